#include "LayerNetwork.h"

#include "ChannelCopy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace torchamp
{

namespace
{

const kernels::LayerKernelSet& kernelsOrThrow(kernels::Isa isa)
{
    const auto* set = kernels::findLayerKernels(isa);
    if (set == nullptr)
        throw std::invalid_argument(std::string("this CPU or build has no ") + kernels::isaName(isa) +
                                    " kernel");
    return *set;
}

inline float finiteOrZero(float v) noexcept TORCHAMP_NONBLOCKING
{
    return v - v == 0.0f ? v : 0.0f; // v - v is 0 exactly when v is finite
}

} // namespace

LayerNetwork::LayerNetwork(const ModelSpec& spec) : LayerNetwork(spec, kernels::bestIsa()) {}

LayerNetwork::LayerNetwork(const ModelSpec& spec, kernels::Isa isa)
{
    if (spec.sequence.empty())
        throw std::invalid_argument("the layer engine plays layer-sequence models");
    if (auto problem = spec.validate(); !problem.empty())
        throw std::invalid_argument(problem);
    kernel = &kernelsOrThrow(isa);
    rate = spec.sampleRate;
    inputs = spec.inputSize();
    skip = spec.skip;
    inputGain = spec.inputGain;
    outputGain = spec.outputGain;
    knobs = spec.knobDefaults;
    pack(spec);
    prepare(1, 0);
}

void LayerNetwork::pack(const ModelSpec& spec)
{
    const int w = kernel->width;
    inputStride = kernels::roundUp(inputs, w);
    maxStride = inputStride;
    int stride = inputStride;
    std::vector<std::pair<int, const RecurrentLayerSpec*>> initialStates;
    for (const auto& src : spec.sequence)
    {
        Layer layer;
        layer.kind = src.kind;
        layer.inStride = stride;
        switch (src.kind)
        {
            case LayerKind::dense:
            case LayerKind::conv1d:
                packLinear(layer, src, stride);
                break;
            case LayerKind::gru:
            case LayerKind::lstm:
                packRecurrent(layer, src);
                break;
            case LayerKind::activation:
            case LayerKind::batchNorm:
            case LayerKind::prelu:
                packElementwise(layer, src);
                break;
        }
        layer.stateOffset = stateFloats;
        stateFloats += layer.stateFloats;
        if (src.kind == LayerKind::gru || src.kind == LayerKind::lstm)
            initialStates.emplace_back(layer.stateOffset, &src.recurrent);
        stride = layer.outStride;
        maxStride = std::max(maxStride, stride);
        maxLookback = std::max(maxLookback, layer.lookback);
        layers.push_back(std::move(layer));
    }
    initialState.assign(static_cast<size_t>(std::max(1, stateFloats)), 0.0f);
    for (size_t l = 0, r = 0; l < layers.size(); ++l)
    {
        if (layers[l].kind != LayerKind::gru && layers[l].kind != LayerKind::lstm)
            continue;
        const auto& [offset, cell] = initialStates[r++];
        float* h = initialState.data() + offset;
        std::copy(cell->initialHidden.begin(), cell->initialHidden.end(), h);
        std::copy(cell->initialCell.begin(), cell->initialCell.end(), h + layers[l].recurrent.paddedHidden);
    }
}

void LayerNetwork::packLinear(Layer& layer, const LayerSpec& src, int inStride)
{
    // Tap k of the packed map reads k * dilation steps back: the spec's tap kernelSize - 1 - k.
    const int in = src.inputSize, out = src.outputSize, taps = src.kernelSize;
    const int padded = kernels::roundUp(out, kernel->width);
    const int inPerGroup = in / src.groups, outPerGroup = out / src.groups;
    layer.weights.assign(static_cast<size_t>(taps) * static_cast<size_t>(in) * static_cast<size_t>(padded),
                         0.0f);
    layer.bias.assign(static_cast<size_t>(padded), 0.0f);
    for (int o = 0; o < out; ++o)
    {
        layer.bias[static_cast<size_t>(o)] = src.bias[static_cast<size_t>(o)];
        const int group = o / outPerGroup;
        for (int jj = 0; jj < inPerGroup; ++jj)
            for (int k = 0; k < taps; ++k)
            {
                const int j = group * inPerGroup + jj;
                const auto source =
                    (static_cast<size_t>(o) * static_cast<size_t>(inPerGroup) + static_cast<size_t>(jj)) *
                        static_cast<size_t>(taps) +
                    static_cast<size_t>(taps - 1 - k);
                layer.weights[(static_cast<size_t>(k) * static_cast<size_t>(in) + static_cast<size_t>(j)) *
                                  static_cast<size_t>(padded) +
                              static_cast<size_t>(o)] = src.weight[source];
            }
    }
    layer.linear = {in, padded, taps, src.dilation, layer.weights.data(), layer.bias.data()};
    layer.outStride = padded;
    layer.lookback = src.lookback();
    layer.stateFloats = layer.lookback * inStride;
    if (src.activation != Activation::identity)
    {
        layer.hasElementwise = true;
        layer.elementwise.op = kernels::ElementwiseView::Op::activation;
        layer.elementwise.activation = src.activation;
        layer.elementwise.width = out;
    }
}

void LayerNetwork::packRecurrent(Layer& layer, const LayerSpec& src)
{
    // Gate rows interleaved per block of `width` units ([r z n] or [i f g o]) and scaled so each
    // sum is directly the exp2 argument of the gate's sigmoid (tanh = 2 sigmoid(2x) - 1), as the
    // LSTM kernel packs them. A GRU's b_hr and b_hz add to the input projection; b_hn stays with
    // the hidden sum, inside r * (W_hn h + b_hn).
    const auto& cell = src.recurrent;
    const bool gru = cell.type == CellType::gru;
    const int gates = cell.numGates(), w = kernel->width;
    const int hidden = cell.hiddenSize, hp = kernels::roundUp(hidden, w), rows = gates * hp, in = cell.inputSize;
    const int tanhGate = 2; // n for a GRU, g for an LSTM
    const float log2e = kernels::KernelConstants::log2e;
    layer.weights.assign(static_cast<size_t>(in) * static_cast<size_t>(rows), 0.0f);
    layer.bias.assign(static_cast<size_t>(rows), 0.0f);
    layer.hiddenWeights.assign(static_cast<size_t>(hp) * static_cast<size_t>(rows), 0.0f);
    layer.hiddenBias.assign(static_cast<size_t>(rows), 0.0f);
    for (int q = 0; q < gates; ++q)
    {
        const float scale = q == tanhGate ? -2.0f * log2e : -log2e;
        for (int u = 0; u < hidden; ++u)
        {
            const auto source = static_cast<size_t>(q * hidden + u);
            const auto row = static_cast<size_t>(u / w * gates * w + q * w + u % w);
            for (int j = 0; j < in; ++j)
                layer.weights[static_cast<size_t>(j) * static_cast<size_t>(rows) + row] =
                    cell.weightIh[source * static_cast<size_t>(in) + static_cast<size_t>(j)] * scale;
            for (int j = 0; j < hidden; ++j)
                layer.hiddenWeights[static_cast<size_t>(j) * static_cast<size_t>(rows) + row] =
                    cell.weightHh[source * static_cast<size_t>(hidden) + static_cast<size_t>(j)] * scale;
            const bool hiddenBiasApart = gru && q == 2;
            layer.bias[row] = (cell.biasIh[source] + (hiddenBiasApart ? 0.0f : cell.biasHh[source])) * scale;
            layer.hiddenBias[row] = hiddenBiasApart ? cell.biasHh[source] * scale : 0.0f;
        }
    }
    layer.linear = {in, rows, 1, 1, layer.weights.data(), layer.bias.data()};
    layer.recurrent = {cell.type, hidden, hp, layer.hiddenWeights.data(), layer.hiddenBias.data()};
    layer.outStride = hp;
    layer.stateFloats = gru ? hp : 2 * hp;
    maxGateRows = std::max(maxGateRows, rows);
}

void LayerNetwork::packElementwise(Layer& layer, const LayerSpec& src)
{
    const int width = src.outputSize;
    const auto padded = static_cast<size_t>(kernels::roundUp(width, kernel->width));
    layer.outStride = layer.inStride;
    layer.elementwise.width = width;
    layer.scale.assign(padded, 0.0f);
    layer.shift.assign(padded, 0.0f);
    layer.elementwise.scale = layer.scale.data();
    layer.elementwise.shift = layer.shift.data();
    if (src.kind == LayerKind::activation)
    {
        layer.elementwise.op = kernels::ElementwiseView::Op::activation;
        layer.elementwise.activation = src.activation;
    }
    else if (src.kind == LayerKind::prelu)
    {
        layer.elementwise.op = kernels::ElementwiseView::Op::prelu;
        std::copy(src.slopes.begin(), src.slopes.end(), layer.scale.data());
    }
    else
    {
        // Inference-time batch normalisation is a per-channel scale and shift.
        layer.elementwise.op = kernels::ElementwiseView::Op::affine;
        for (size_t c = 0; c < static_cast<size_t>(width); ++c)
        {
            const double gamma = src.gamma.empty() ? 1.0 : src.gamma[c];
            const double beta = src.beta.empty() ? 0.0 : src.beta[c];
            const double scale = gamma / std::sqrt(double(src.variance[c]) + double(src.epsilon));
            layer.scale[c] = static_cast<float>(scale);
            layer.shift[c] = static_cast<float>(beta - double(src.mean[c]) * scale);
        }
    }
}

void LayerNetwork::prepare(int numChannels, int)
{
    channels = std::max(1, numChannels);
    state.assign(static_cast<size_t>(channels) * static_cast<size_t>(std::max(1, stateFloats)), 0.0f);
    const size_t signal = static_cast<size_t>(maxLookback + chunkSteps) * static_cast<size_t>(maxStride);
    const size_t perSlot =
        2 * signal + static_cast<size_t>(chunkSteps) * static_cast<size_t>(maxGateRows + 1);
    scratch.assign(2 * perSlot, 0.0f);
    reset();
}

void LayerNetwork::reset() noexcept
{
    for (int c = 0; c < channels; ++c)
        std::copy(initialState.data(), initialState.data() + stateFloats,
                  state.data() + static_cast<size_t>(c) * static_cast<size_t>(stateFloats));
}

void LayerNetwork::copyChannelState(int from, int to) noexcept
{
    if (!isChannelCopy(from, to, channels))
        return;
    const float* source = state.data() + static_cast<size_t>(from) * static_cast<size_t>(stateFloats);
    std::copy(source, source + stateFloats, state.data() + static_cast<size_t>(to) * static_cast<size_t>(stateFloats));
}

void LayerNetwork::setKnob(int index, float value) noexcept
{
    if (index < 0 || index >= inputs - 1)
        return;
    knobs[static_cast<size_t>(index)] = std::isfinite(value) ? std::clamp(value, 0.0f, 1.0f) : 0.0f;
}

float LayerNetwork::getKnob(int index) const noexcept
{
    return index >= 0 && index < inputs - 1 ? knobs[static_cast<size_t>(index)] : 0.0f;
}

LayerNetwork::Slot LayerNetwork::slot(int index, int channel) noexcept
{
    const size_t signal = static_cast<size_t>(maxLookback + chunkSteps) * static_cast<size_t>(maxStride);
    const size_t headroom = static_cast<size_t>(maxLookback) * static_cast<size_t>(maxStride);
    float* base = scratch.data() +
                  static_cast<size_t>(index) *
                      (2 * signal + static_cast<size_t>(chunkSteps) * static_cast<size_t>(maxGateRows + 1));
    Slot s;
    s.signal[0] = base + headroom;
    s.signal[1] = base + signal + headroom;
    s.gates = base + 2 * signal;
    s.audio = s.gates + static_cast<size_t>(chunkSteps) * static_cast<size_t>(maxGateRows);
    s.state = state.data() + static_cast<size_t>(channel) * static_cast<size_t>(stateFloats);
    return s;
}

void LayerNetwork::fillInputs(Slot& s, const float* in, int stride, int fed, int n) noexcept
{
    float* audio = s.audio;
    for (int t = 0; t < n; ++t)
    {
        const float* x = in + static_cast<long>(t) * stride;
        float* row = s.signal[0] + static_cast<long>(t) * inputStride;
        row[0] = inputGain * finiteOrZero(x[0]);
        audio[t] = row[0];
        for (int j = 1; j < inputs; ++j)
            row[j] = j < fed ? finiteOrZero(x[j]) : knobs[static_cast<size_t>(j - 1)];
    }
}

void LayerNetwork::runLayer(const Layer& layer, Slot* slots, int numSlots, int& current, int n) noexcept
{
    switch (layer.kind)
    {
        case LayerKind::activation:
        case LayerKind::batchNorm:
        case LayerKind::prelu:
            for (int c = 0; c < numSlots; ++c)
                kernel->elementwise(layer.elementwise, slots[c].signal[current], layer.inStride, n);
            return;
        case LayerKind::dense:
        case LayerKind::conv1d:
            for (int c = 0; c < numSlots; ++c)
            {
                float* in = slots[c].signal[current];
                float* out = slots[c].signal[1 - current];
                float* history = slots[c].state + layer.stateOffset;
                const long kept = static_cast<long>(layer.lookback) * layer.inStride;
                // The steps the convolution looks back at sit just before step 0, then become the
                // last `lookback` steps of this chunk's input.
                std::copy(history, history + kept, in - kept);
                kernel->linear(layer.linear, in, layer.inStride, out, layer.outStride, n);
                std::copy(in + static_cast<long>(n) * layer.inStride - kept,
                          in + static_cast<long>(n) * layer.inStride, history);
                if (layer.hasElementwise)
                    kernel->elementwise(layer.elementwise, out, layer.outStride, n);
            }
            break;
        case LayerKind::gru:
        case LayerKind::lstm:
        {
            kernels::RecurrentBlock block;
            block.numChannels = numSlots;
            block.outStride = layer.outStride;
            block.numSteps = n;
            for (int c = 0; c < numSlots; ++c)
            {
                kernel->linear(layer.linear, slots[c].signal[current], layer.inStride, slots[c].gates,
                               layer.linear.paddedOutputs, n);
                block.gates[c] = slots[c].gates;
                block.out[c] = slots[c].signal[1 - current];
                block.state[c] = slots[c].state + layer.stateOffset;
            }
            kernel->recurrent(layer.recurrent, block);
            break;
        }
    }
    current = 1 - current;
}

void LayerNetwork::checkState(Slot& s) noexcept
{
    float sum = 0.0f;
    for (int i = 0; i < stateFloats; ++i)
        sum += s.state[i] * 0.0f;
    if (sum == 0.0f) // x * 0 is NaN exactly when x is NaN or Inf
        return;
    std::copy(initialState.data(), initialState.data() + stateFloats, s.state);
    resets.fetch_add(1, std::memory_order_relaxed);
}

void LayerNetwork::runChunk(Slot* slots, int numSlots, float* const* out, int n) noexcept
{
    int current = 0;
    for (const auto& layer : layers)
        runLayer(layer, slots, numSlots, current, n);
    const int stride = layers.back().outStride;
    for (int c = 0; c < numSlots; ++c)
    {
        const float* y = slots[c].signal[current];
        // An overflow inside the network (a loud input through large weights) can reach the output
        // without sticking in any state: it plays as silence.
        for (int t = 0; t < n; ++t)
            out[c][t] = finiteOrZero((y[static_cast<long>(t) * stride] + (skip ? slots[c].audio[t] : 0.0f)) *
                                     outputGain);
        checkState(slots[c]);
    }
}

void LayerNetwork::process(const float* const* in, float* const* out, int numChannels,
                           int numSamples) noexcept
{
    ScopedFlushDenormals noDenormals;
    const int count = std::min(numChannels, channels);
    for (int ch = 0; ch < count; ch += 2)
    {
        const int pair = std::min(2, count - ch);
        for (int offset = 0; offset < numSamples; offset += chunkSteps)
        {
            const int n = std::min(chunkSteps, numSamples - offset);
            Slot slots[2];
            float* outs[2]{};
            for (int c = 0; c < pair; ++c)
            {
                slots[c] = slot(c, ch + c);
                fillInputs(slots[c], in[ch + c] + offset, 1, 1, n);
                outs[c] = out[ch + c] + offset;
            }
            runChunk(slots, pair, outs, n);
        }
    }
}

void LayerNetwork::processFeatures(const float* features, float* out, int numSteps) noexcept
{
    ScopedFlushDenormals noDenormals;
    for (int offset = 0; offset < numSteps; offset += chunkSteps)
    {
        const int n = std::min(chunkSteps, numSteps - offset);
        Slot s = slot(0, 0);
        fillInputs(s, features + static_cast<long>(offset) * inputs, inputs, inputs, n);
        float* outs[1] = {out + offset};
        runChunk(&s, 1, outs, n);
    }
}

} // namespace torchamp
