#include "RecurrentNetwork.h"

#include "ChannelCopy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace torchamp
{

namespace
{

const kernels::KernelSet& kernelsOrThrow(kernels::Isa isa, const ModelSpec& spec)
{
    std::vector<int> hidden;
    for (const auto& layer : spec.layers)
        hidden.push_back(layer.hiddenSize);
    const auto* set = kernels::findKernelsFor(isa, hidden.data(), static_cast<int>(hidden.size()));
    if (set == nullptr)
        throw std::invalid_argument(std::string("this CPU or build has no ") + kernels::isaName(isa) + " kernel");
    return *set;
}

} // namespace

RecurrentNetwork::RecurrentNetwork(const ModelSpec& spec) : RecurrentNetwork(spec, kernels::bestIsa())
{
}

RecurrentNetwork::RecurrentNetwork(const ModelSpec& spec, kernels::Isa isa)
    : RecurrentNetwork(spec, kernelsOrThrow(isa, spec))
{
}

RecurrentNetwork::RecurrentNetwork(const ModelSpec& spec, const kernels::KernelSet& kernels)
{
    if (spec.wavenet || !spec.sequence.empty())
        throw std::invalid_argument("the recurrent engine plays the LSTM contract, not a WaveNet or a layer sequence");
    if (auto problem = spec.validate(); !problem.empty())
        throw std::invalid_argument(problem);
    kernel = &kernels;

    rate = spec.sampleRate;
    skip = spec.skip;
    knobCount = spec.numKnobs();
    knobs = spec.knobDefaults;
    // The model's own gains fold into the weights: the input gain into layer 0's audio column, the
    // output gain into the head; only the skip path needs their product.
    headBias = spec.headBias * spec.outputGain;
    skipGain = spec.inputGain * spec.outputGain;
    pack(spec);
    updateKnobBias();
    prepare(1);
}

void RecurrentNetwork::pack(const ModelSpec& spec)
{
    // Row (gate q, unit u) of PyTorch's [4H] gate vector goes to the unit's block of cellWidth units,
    // [i f g o] within it. Each row is scaled by -log2(e) (by -2 log2(e) for the g rows), so the
    // kernel's sum is directly the exponent in sigmoid(x) = 1 / (1 + 2^(-x log2 e)) and
    // tanh(x) = 2 sigmoid(2x) - 1.
    const int width = kernel->cellWidth;
    const float log2e = kernels::KernelConstants::log2e;
    size_t maxRows = 0;
    stateStride = 0;
    struct InitialState
    {
        int offset;
        const std::vector<float>& hidden;
        const std::vector<float>& cell;
    };
    std::vector<InitialState> initialStates;
    int previousPadded = 0;
    for (size_t l = 0; l < spec.layers.size(); ++l)
    {
        const auto& src = spec.layers[l];
        Layer layer;
        layer.hiddenSize = src.hiddenSize;
        layer.paddedHidden = kernels::roundUp(src.hiddenSize, width);
        layer.inputColumns = l == 0 ? src.inputSize : previousPadded;
        const auto hidden = static_cast<size_t>(src.hiddenSize);
        const auto in = static_cast<size_t>(src.inputSize);
        const auto rows = static_cast<size_t>(4 * layer.paddedHidden);
        const auto w = static_cast<size_t>(width);

        layer.inputWeights.assign(static_cast<size_t>(layer.inputColumns) * rows, 0.0f);
        layer.hiddenWeights.assign(static_cast<size_t>(layer.paddedHidden) * rows, 0.0f);
        layer.bias.assign(rows, 0.0f);
        for (size_t q = 0; q < 4; ++q)
        {
            const float scale = q == 2 ? -2.0f * log2e : -log2e;
            for (size_t u = 0; u < hidden; ++u)
            {
                const size_t source = q * hidden + u;
                const size_t row = u / w * 4 * w + q * w + u % w;
                for (size_t j = 0; j < in; ++j)
                {
                    const float gain = l == 0 && j == 0 ? spec.inputGain : 1.0f; // audio is input 0
                    layer.inputWeights[j * rows + row] = src.weightIh[source * in + j] * scale * gain;
                }
                for (size_t j = 0; j < hidden; ++j)
                    layer.hiddenWeights[j * rows + row] = src.weightHh[source * hidden + j] * scale;
                layer.bias[row] = (src.biasIh[source] + src.biasHh[source]) * scale;
            }
        }
        maxRows = std::max(maxRows, rows);
        initialStates.push_back({ stateStride, src.initialHidden, src.initialCell });
        stateStride += 2 * layer.paddedHidden;
        previousPadded = layer.paddedHidden;
        layers.push_back(std::move(layer));
    }

    for (const auto& layer : layers)
        views.push_back({ layer.inputColumns, layer.paddedHidden, layer.inputWeights.data(), layer.hiddenWeights.data(),
                          layer.bias.data() });
    headWeight.assign(static_cast<size_t>(previousPadded), 0.0f);
    for (size_t j = 0; j < spec.headWeight.size(); ++j)
        headWeight[j] = spec.headWeight[j] * spec.outputGain;
    knobBias.assign(layers.front().bias.size(), 0.0f);
    scratch.assign(2 * maxRows, 0.0f);

    // Per layer h[padded] then c[padded]; padded units stay 0.
    initialState.assign(static_cast<size_t>(stateStride), 0.0f);
    for (size_t l = 0; l < initialStates.size(); ++l)
    {
        float* h = initialState.data() + initialStates[l].offset;
        std::copy(initialStates[l].hidden.begin(), initialStates[l].hidden.end(), h);
        std::copy(initialStates[l].cell.begin(), initialStates[l].cell.end(), h + layers[l].paddedHidden);
    }
}

void RecurrentNetwork::prepare(int numChannels)
{
    channels = std::max(1, numChannels);
    state.assign(static_cast<size_t>(channels) * static_cast<size_t>(stateStride), 0.0f);
    reset();
}

void RecurrentNetwork::reset() noexcept
{
    for (int c = 0; c < channels; ++c)
        std::copy(initialState.data(), initialState.data() + stateStride, channelState(c));
}

void RecurrentNetwork::copyChannelState(int from, int to) noexcept
{
    if (!isChannelCopy(from, to, channels))
        return;
    std::copy(channelState(from), channelState(from) + stateStride, channelState(to));
}

void RecurrentNetwork::setKnob(int index, float value) noexcept
{
    if (index < 0 || index >= knobCount)
        return;
    value = std::isfinite(value) ? std::clamp(value, 0.0f, 1.0f) : 0.0f;
    if (knobs[static_cast<size_t>(index)] != value)
    {
        knobs[static_cast<size_t>(index)] = value;
        knobsChanged = true;
    }
}

float RecurrentNetwork::getKnob(int index) const noexcept
{
    return index >= 0 && index < knobCount ? knobs[static_cast<size_t>(index)] : 0.0f;
}

void RecurrentNetwork::updateKnobBias() noexcept
{
    // Knobs are constant over a block, so their input-weight contribution is a bias; their packed
    // columns follow the audio column in layer 0's input weights.
    knobsChanged = false;
    const Layer& first = layers.front();
    const size_t rows = first.bias.size();
    float* folded = knobBias.data();
    std::fill(folded, folded + rows, 0.0f);
    for (size_t k = 0; k < static_cast<size_t>(knobCount); ++k)
    {
        const float* column = first.inputWeights.data() + (1 + k) * rows;
        const float v = knobs[k];
        for (size_t r = 0; r < rows; ++r)
            folded[r] += column[r] * v;
    }
}

float* RecurrentNetwork::channelState(int channel) noexcept
{
    return state.data() + static_cast<size_t>(channel) * static_cast<size_t>(stateStride);
}

bool RecurrentNetwork::stateIsFinite(const float* channelStatePtr) const noexcept
{
    float sum = 0.0f;
    for (int i = 0; i < stateStride; ++i)
        sum += channelStatePtr[i] * 0.0f;
    return sum == 0.0f; // x * 0 is NaN exactly when x is NaN or Inf
}

void RecurrentNetwork::run(kernels::Block& block, const float* inputBias, int layer0Inputs) noexcept
{
    ScopedFlushDenormals noDenormals;
    runKernel(block, inputBias, layer0Inputs);

    for (int c = 0; c < block.numChannels; ++c)
    {
        if (stateIsFinite(block.state[c]))
            continue;
        std::copy(initialState.data(), initialState.data() + stateStride, block.state[c]);
        float* out = block.out[c];
        for (int t = 0; t < block.numSamples; ++t)
            if (!std::isfinite(out[t]))
                out[t] = 0.0f;
        resets.fetch_add(1, std::memory_order_relaxed);
    }
}

void RecurrentNetwork::runKernel(kernels::Block& block, const float* inputBias, int layer0Inputs) noexcept
{
    kernels::NetworkView net;
    net.layers = views.data();
    net.numLayers = static_cast<int>(views.size());
    net.inputBias = inputBias;
    net.layer0Inputs = layer0Inputs;
    net.headWeight = headWeight.data();
    net.headBias = headBias;
    net.skip = skip;
    net.skipGain = skipGain;
    net.stateStride = stateStride;
    block.scratch = scratch.data();
    kernel->process(net, block);
}

void RecurrentNetwork::processChannel(int channel, const float* in, float* out, int numSamples) noexcept
{
    if (channel < 0 || channel >= channels || numSamples <= 0)
        return;
    if (knobsChanged)
        updateKnobBias();
    kernels::Block block;
    block.in[0] = in;
    block.out[0] = out;
    block.state[0] = channelState(channel);
    block.numSamples = numSamples;
    run(block, knobCount > 0 ? knobBias.data() : nullptr, 1);
}

void RecurrentNetwork::process(const float* const* in, float* const* out, int numChannels, int numSamples) noexcept
{
    const int n = std::min(numChannels, channels);
    if (numSamples <= 0)
        return;
    if (knobsChanged)
        updateKnobBias();
    for (int ch = 0; ch < n; ch += 2)
    {
        kernels::Block block;
        block.numChannels = std::min(2, n - ch);
        for (int c = 0; c < block.numChannels; ++c)
        {
            block.in[c] = in[ch + c];
            block.out[c] = out[ch + c];
            block.state[c] = channelState(ch + c);
        }
        block.numSamples = numSamples;
        run(block, knobCount > 0 ? knobBias.data() : nullptr, 1);
    }
}

void RecurrentNetwork::processFeatures(const float* features, float* out, int numSteps) noexcept
{
    if (numSteps <= 0)
        return;
    kernels::Block block;
    block.in[0] = features;
    block.inputStride = numInputs();
    block.out[0] = out;
    block.state[0] = channelState(0);
    block.numSamples = numSteps;
    run(block, nullptr, numInputs());
}

} // namespace torchamp
