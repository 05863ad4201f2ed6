#include "RecurrentNetwork.h"

#include "FastMath.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace torchamp
{

namespace
{

// Rows are computed in tiles whose accumulators stay in registers while every input column is
// added in; a plain row-by-column loop would load and store all gates once per column instead.
constexpr int tileRows = 16;

template <int Tile>
inline void accumulateTile(float* __restrict g, const float* __restrict w, const float* __restrict v, int columns,
                           int stride) noexcept TORCHAMP_NONBLOCKING
{
    float acc[Tile];
    for (int k = 0; k < Tile; ++k)
        acc[k] = g[k];
    for (int j = 0; j < columns; ++j)
    {
        const float vj = v[j];
        const float* wj = w + static_cast<size_t>(j) * static_cast<size_t>(stride);
        for (int k = 0; k < Tile; ++k)
            acc[k] += wj[k] * vj;
    }
    for (int k = 0; k < Tile; ++k)
        g[k] = acc[k];
}

/** g[0..stride) += W v, W stored column by column with `stride` floats per column. */
inline void accumulate(float* g, const float* w, const float* v, int columns, int stride) noexcept
    TORCHAMP_NONBLOCKING
{
    int r = 0;
    for (; r + 2 * tileRows <= stride; r += 2 * tileRows)
        accumulateTile<2 * tileRows>(g + r, w + r, v, columns, stride);
    if (r < stride)
        accumulateTile<tileRows>(g + r, w + r, v, columns, stride);
}

int roundUpToTile(int n)
{
    return (n + tileRows - 1) / tileRows * tileRows;
}

} // namespace

RecurrentNetwork::RecurrentNetwork(const ModelSpec& spec)
{
    if (auto problem = spec.validate(); !problem.empty())
        throw std::invalid_argument(problem);

    rate = spec.sampleRate;
    skip = spec.skip;
    knobCount = spec.numKnobs();
    knobs = spec.knobDefaults;
    headWeight = spec.headWeight;
    headBias = spec.headBias;

    size_t maxStride = 0, maxInputs = 0;
    stateStride = 0;
    for (size_t l = 0; l < spec.layers.size(); ++l)
    {
        const auto& src = spec.layers[l];
        Layer layer;
        layer.hiddenSize = src.hiddenSize;
        layer.inputColumns = l == 0 ? 1 : src.inputSize;
        layer.stride = roundUpToTile(src.numGates() * src.hiddenSize);
        const auto rows = static_cast<size_t>(src.numGates() * src.hiddenSize);
        const auto stride = static_cast<size_t>(layer.stride);
        const auto in = static_cast<size_t>(src.inputSize);
        const auto hidden = static_cast<size_t>(src.hiddenSize);
        const auto inColumns = static_cast<size_t>(layer.inputColumns);

        layer.weights.assign((inColumns + hidden) * stride, 0.0f);
        for (size_t r = 0; r < rows; ++r)
        {
            for (size_t j = 0; j < inColumns; ++j)
                layer.weights[j * stride + r] = src.weightIh[r * in + j];
            for (size_t j = 0; j < hidden; ++j)
                layer.weights[(inColumns + j) * stride + r] = src.weightHh[r * hidden + j];
        }
        layer.bias.assign(stride, 0.0f);
        for (size_t r = 0; r < rows; ++r)
            layer.bias[r] = src.biasIh[r] + src.biasHh[r];

        if (l == 0)
        {
            knobWeights.assign(static_cast<size_t>(knobCount) * stride, 0.0f);
            for (size_t k = 0; k < static_cast<size_t>(knobCount); ++k)
                for (size_t r = 0; r < rows; ++r)
                    knobWeights[k * stride + r] = src.weightIh[r * in + 1 + k];
        }

        maxStride = std::max(maxStride, stride);
        maxInputs = std::max(maxInputs, inColumns + hidden);
        stateStride += 2 * layer.hiddenSize;
        layers.push_back(std::move(layer));
    }

    gates.assign(maxStride, 0.0f);
    inputs.assign(maxInputs, 0.0f);
    layer0Bias = layers.front().bias;
    updateKnobBias();
    prepare(1);
}

void RecurrentNetwork::prepare(int numChannels)
{
    channels = std::max(1, numChannels);
    state.assign(static_cast<size_t>(channels) * static_cast<size_t>(stateStride), 0.0f);
}

void RecurrentNetwork::reset() noexcept
{
    std::fill(state.begin(), state.end(), 0.0f);
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
    // Knobs are constant over a block, so their input-weight contribution is a bias.
    const auto stride = static_cast<size_t>(layers.front().stride);
    const float* bias = layers.front().bias.data();
    for (size_t r = 0; r < stride; ++r)
        layer0Bias[r] = bias[r];
    for (size_t k = 0; k < static_cast<size_t>(knobCount); ++k)
    {
        const float* column = knobWeights.data() + k * stride;
        const float v = knobs[k];
        for (size_t r = 0; r < stride; ++r)
            layer0Bias[r] += column[r] * v;
    }
    knobsChanged = false;
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
float RecurrentNetwork::step(float x, float* channelState) noexcept
{
    float* g = gates.data();
    float* u = inputs.data();
    float* s = channelState;
    float layerInput = x;           // layer 0's input
    const float* previousH = nullptr; // the layer below's new h, input of the layers above

    for (size_t l = 0; l < layers.size(); ++l)
    {
        const Layer& layer = layers[l];
        const int hidden = layer.hiddenSize;
        float* h = s;
        float* c = s + hidden;

        // u = [layer input; h], g = bias + [W_ih | W_hh] u
        if (l == 0)
            u[0] = layerInput;
        else
            for (int j = 0; j < layer.inputColumns; ++j)
                u[j] = previousH[j];
        for (int j = 0; j < hidden; ++j)
            u[layer.inputColumns + j] = h[j];
        const float* bias = l == 0 ? layer0Bias.data() : layer.bias.data();
        for (int r = 0; r < layer.stride; ++r)
            g[r] = bias[r];
        accumulate(g, layer.weights.data(), u, layer.inputColumns + hidden, layer.stride);

        // PyTorch gate order: input, forget, cell (g), output.
        const float* gi = g;
        const float* gf = g + hidden;
        const float* gg = g + 2 * hidden;
        const float* go = g + 3 * hidden;
        for (int j = 0; j < hidden; ++j)
        {
            const float cNew = fastmath::sigmoid(gf[j]) * c[j] + fastmath::sigmoid(gi[j]) * fastmath::tanh(gg[j]);
            c[j] = cNew;
            h[j] = fastmath::sigmoid(go[j]) * fastmath::tanh(cNew);
        }

        previousH = h;
        s += 2 * hidden;
    }

    float y = headBias;
    for (size_t j = 0; j < headWeight.size(); ++j)
        y += headWeight[j] * previousH[j];
    return skip ? y + x : y;
}

bool RecurrentNetwork::stateIsFinite(const float* channelState) const noexcept
{
    float sum = 0.0f;
    for (int i = 0; i < stateStride; ++i)
        sum += channelState[i] * 0.0f;
    return sum == 0.0f; // x * 0 is NaN exactly when x is NaN or Inf
}

void RecurrentNetwork::processChannel(int channel, const float* in, float* out, int numSamples) noexcept
{
    if (channel < 0 || channel >= channels)
        return;
    if (knobsChanged)
        updateKnobBias();

    ScopedFlushDenormals noDenormals;
    float* channelState = state.data() + static_cast<size_t>(channel) * static_cast<size_t>(stateStride);
    for (int t = 0; t < numSamples; ++t)
    {
        const float x = std::isfinite(in[t]) ? in[t] : 0.0f;
        out[t] = step(x, channelState);
    }

    if (!stateIsFinite(channelState))
    {
        std::fill(channelState, channelState + stateStride, 0.0f);
        for (int t = 0; t < numSamples; ++t)
            if (!std::isfinite(out[t]))
                out[t] = 0.0f;
        resets.fetch_add(1, std::memory_order_relaxed);
    }
}

void RecurrentNetwork::process(const float* const* in, float* const* out, int numChannels, int numSamples) noexcept
{
    const int n = std::min(numChannels, channels);
    for (int ch = 0; ch < n; ++ch)
        processChannel(ch, in[ch], out[ch], numSamples);
}

} // namespace torchamp
