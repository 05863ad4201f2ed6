#include "WaveNet.h"

#include "ChannelCopy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace torchamp
{

namespace
{

const kernels::WaveNetKernelSet& kernelsOrThrow(kernels::Isa isa)
{
    const auto* set = kernels::findWaveNetKernels(isa);
    if (set == nullptr)
        throw std::invalid_argument(std::string("this CPU or build has no ") + kernels::isaName(isa) +
                                    " kernel");
    return *set;
}

const ModelSpec& validWaveNet(const ModelSpec& spec)
{
    if (!spec.wavenet)
        throw std::invalid_argument("the model is not a WaveNet");
    if (auto problem = spec.validate(); !problem.empty())
        throw std::invalid_argument(problem);
    return spec;
}

kernels::ActivationParams paramsOf(const WaveNetActivationSpec& a)
{
    kernels::ActivationParams p;
    p.type = a.type;
    p.negativeSlope = a.negativeSlope;
    p.minValue = a.minValue;
    p.maxValue = a.maxValue;
    p.minSlope = a.minSlope;
    p.maxSlope = a.maxSlope;
    return p;
}

/** The dilated convolution as one matrix: input p = tap k * channels + channel i, then the condition. */
std::vector<float> convMatrix(const WaveNetLayerSpec& l, int channels)
{
    const int rows = l.convChannels(channels);
    const int k = l.kernelSize;
    const int inputs = channels * k + 1;
    std::vector<float> w(static_cast<size_t>(rows) * static_cast<size_t>(inputs));
    for (int o = 0; o < rows; ++o)
    {
        for (int tap = 0; tap < k; ++tap)
            for (int i = 0; i < channels; ++i)
                w[static_cast<size_t>(o * inputs + tap * channels + i)] =
                    l.convWeight[static_cast<size_t>((o * channels + i) * k + tap)];
        w[static_cast<size_t>(o * inputs + channels * k)] = l.mixinWeight[static_cast<size_t>(o)];
    }
    return w;
}

AlignedFloats aligned(const std::vector<float>& v, float scale = 1.0f)
{
    AlignedFloats a;
    a.assign(v.size(), 0.0f);
    for (size_t i = 0; i < v.size(); ++i)
        a[i] = v[i] * scale;
    return a;
}

} // namespace

WaveNet::WaveNet(const ModelSpec& spec) : WaveNet(spec, kernels::bestIsa()) {}

WaveNet::WaveNet(const ModelSpec& spec, kernels::Isa isa)
{
    validWaveNet(spec);
    kernel = &kernelsOrThrow(isa);
    rate = spec.sampleRate;
    inputGain = spec.inputGain;
    receptive = static_cast<int>(spec.wavenet->receptiveField());
    pack(*spec.wavenet, spec.outputGain);
    layOutHistories();
    prepare(1, chunkSamples);
}

AlignedFloats WaveNet::packRows(const std::vector<float>& w, int rows, int inputs) const
{
    // Tile t: rows [t R, t R + r) as [input][row in tile], starting at t R inputs (MatrixProduct::weights).
    AlignedFloats packed;
    packed.assign(static_cast<size_t>(rows) * static_cast<size_t>(inputs), 0.0f);
    for (int row0 = 0; row0 < rows; row0 += kernel->rowBlock)
    {
        const int r = std::min(kernel->rowBlock, rows - row0);
        float* tile = packed.data() + static_cast<long>(row0) * inputs;
        for (int p = 0; p < inputs; ++p)
            for (int j = 0; j < r; ++j)
                tile[p * r + j] = w[static_cast<size_t>((row0 + j) * inputs + p)];
    }
    return packed;
}

void WaveNet::pack(const WaveNetSpec& spec, float outputGain)
{
    maxRows = 1;
    maxGroups = 1;
    numLayers = 0;
    for (size_t a = 0; a < spec.arrays.size(); ++a)
    {
        const auto& src = spec.arrays[a];
        const bool last = a + 1 == spec.arrays.size();
        // The output is the last head times the head scale (and the model's own output gain):
        // folded into that head's weights.
        const float headScale = last ? spec.headScale * outputGain : 1.0f;
        LayerArray array;
        array.inputSize = src.inputSize;
        array.channels = src.channels;
        array.headSize = src.headSize;
        array.rechannelWeights = packRows(src.rechannelWeight, src.channels, src.inputSize);
        std::vector<float> head(src.headWeight);
        for (float& w : head)
            w *= headScale;
        array.headWeights = packRows(head, src.headSize, src.channels);
        array.headBias = aligned(src.headBias, headScale);
        for (const auto& l : src.layers)
        {
            Layer layer;
            layer.index = numLayers;
            layer.dilation = l.dilation;
            layer.kernelSize = l.kernelSize;
            layer.lookback = l.lookback();
            layer.gated = l.gated;
            layer.convRows = l.convChannels(src.channels);
            layer.convWeights =
                packRows(convMatrix(l, src.channels), layer.convRows, src.channels * l.kernelSize + 1);
            layer.convBias = aligned(l.convBias);
            layer.outputWeights = packRows(l.outputWeight, src.channels, src.channels);
            layer.outputBias = aligned(l.outputBias);
            layer.activation = paramsOf(l.activation);
            layer.gate = paramsOf(l.gateActivation);
            layer.activationSlopes = l.activation.channelSlopes;
            layer.gateSlopes = l.gateActivation.channelSlopes;
            maxGroups = std::max(maxGroups, l.kernelSize + 1);
            maxRows = std::max(maxRows, layer.convRows);
            array.layers.push_back(std::move(layer));
            ++numLayers;
        }
        maxRows = std::max({maxRows, src.channels, src.headSize});
        arrays.push_back(std::move(array));
    }
    // Every vector is in its final place now: point the activations at their per-channel slopes.
    for (auto& array : arrays)
        for (auto& layer : array.layers)
        {
            layer.activation.rowSlopes =
                layer.activationSlopes.empty() ? nullptr : layer.activationSlopes.data();
            layer.gate.rowSlopes = layer.gateSlopes.empty() ? nullptr : layer.gateSlopes.data();
        }
}

void WaveNet::layOutHistories()
{
    // Each layer's input history: its rows hold the last `lookback` samples, then room for two
    // chunks or the lookback, whichever is more (so a rewind copies at most one sample per sample
    // played); when the room runs out, the last `lookback` samples move to the front.
    stateSize = 0;
    for (auto& array : arrays)
        for (auto& layer : array.layers)
        {
            layer.rowLength =
                layer.lookback + static_cast<int>(std::max<long>(layer.lookback, 2 * chunkSamples));
            layer.rowStride = kernels::roundUp(layer.rowLength, 16);
            layer.historyOffset = stateSize;
            stateSize += layer.rowStride * array.channels;
        }
}

void WaveNet::prepare(int numChannels, int)
{
    channels = std::max(1, numChannels);
    state.assign(static_cast<size_t>(channels) * static_cast<size_t>(stateSize), 0.0f);
    positions.assign(static_cast<size_t>(channels) * static_cast<size_t>(numLayers), 0);
    const auto block = static_cast<size_t>(chunkSamples);
    audio.assign(block, 0.0f);
    conv.assign(block * static_cast<size_t>(maxRows), 0.0f);
    headA.assign(block * static_cast<size_t>(maxRows), 0.0f);
    headB.assign(block * static_cast<size_t>(maxRows), 0.0f);
    arrayOut.assign(block * static_cast<size_t>(maxRows), 0.0f);
    finalOut.assign(block, 0.0f);
    groups.assign(static_cast<size_t>(maxGroups), {});
    reset();
}

WaveNet::ChannelState WaveNet::channelState(int channel) noexcept
{
    return {state.data() + static_cast<long>(channel) * stateSize,
            positions.data() + static_cast<long>(channel) * numLayers};
}

void WaveNet::resetChannel(ChannelState s) noexcept
{
    std::fill(s.history, s.history + stateSize, 0.0f);
    for (const auto& array : arrays)
        for (const auto& layer : array.layers)
            s.positions[layer.index] = layer.lookback;
}

void WaveNet::reset() noexcept
{
    for (int c = 0; c < channels; ++c)
        resetChannel(channelState(c));
}

void WaveNet::copyChannelState(int from, int to) noexcept
{
    if (!isChannelCopy(from, to, channels))
        return;
    const ChannelState source = channelState(from), target = channelState(to);
    std::copy(source.history, source.history + stateSize, target.history);
    std::copy(source.positions, source.positions + numLayers, target.positions);
}

void WaveNet::rewindIfFull(ChannelState s, int n) noexcept
{
    const int written = kernels::roundUp(n, kernel->width);
    for (const auto& array : arrays)
        for (const auto& layer : array.layers)
        {
            int& position = s.positions[layer.index];
            if (position + written <= layer.rowLength)
                continue;
            float* rows = s.history + layer.historyOffset;
            for (int r = 0; r < array.channels; ++r)
            {
                float* row = rows + r * layer.rowStride;
                std::memmove(row, row + position - layer.lookback,
                             sizeof(float) * static_cast<size_t>(layer.lookback));
            }
            position = layer.lookback;
        }
}

void WaveNet::runLayer(const LayerArray& array, const Layer& layer, ChannelState s, float* next,
                       long nextStride, float* head, int n) noexcept
{
    const int position = s.positions[layer.index];
    const float* input = s.history + layer.historyOffset + position;
    const int c = array.channels;

    // The dilated convolution and the condition: one matrix product over the block, its inputs the
    // history at each tap's delay, then the audio.
    for (int tap = 0; tap < layer.kernelSize; ++tap)
    {
        const long delay = static_cast<long>(layer.kernelSize - 1 - tap) * layer.dilation;
        groups[static_cast<size_t>(tap)] = {input - delay, layer.rowStride, c};
    }
    groups[static_cast<size_t>(layer.kernelSize)] = {audio.data(), 0, 1};
    kernels::MatrixProduct product;
    product.rows = layer.convRows;
    product.inputs = c * layer.kernelSize + 1;
    product.weights = layer.convWeights.data();
    product.bias = layer.convBias.data();
    product.groups = groups.data();
    product.numGroups = layer.kernelSize + 1;
    product.out = conv.data();
    product.outStride = blockStride;
    kernel->multiply(product, n);

    kernels::ActivationPass pass;
    pass.channels = c;
    pass.z = conv.data();
    pass.stride = blockStride;
    pass.activation = layer.activation;
    pass.gate = layer.gated ? &layer.gate : nullptr;
    pass.head = head;
    kernel->activate(pass, n);

    // The 1x1 convolution onto the residual path: the next layer's input (none after the last
    // layer of the last array, whose residual path leads nowhere).
    if (next == nullptr)
        return;
    groups.front() = {conv.data(), blockStride, c};
    product.rows = c;
    product.inputs = c;
    product.numGroups = 1;
    product.weights = layer.outputWeights.data();
    product.bias = layer.outputBias.data();
    product.residual = input;
    product.residualStride = layer.rowStride;
    product.out = next;
    product.outStride = nextStride;
    kernel->multiply(product, n);
}

void WaveNet::runArray(const LayerArray& array, ChannelState s, const float* input, float* head,
                       float* headOut, bool last, int n) noexcept
{
    const Layer& first = array.layers.front();
    groups.front() = {input, blockStride, array.inputSize};
    kernels::MatrixProduct rechannel;
    rechannel.rows = array.channels;
    rechannel.inputs = array.inputSize;
    rechannel.weights = array.rechannelWeights.data();
    rechannel.groups = groups.data();
    rechannel.numGroups = 1;
    rechannel.out = s.history + first.historyOffset + s.positions[first.index];
    rechannel.outStride = first.rowStride;
    kernel->multiply(rechannel, n);

    for (size_t l = 0; l < array.layers.size(); ++l)
    {
        const bool lastLayer = l + 1 == array.layers.size();
        if (!lastLayer)
        {
            const Layer& next = array.layers[l + 1];
            runLayer(array, array.layers[l], s, s.history + next.historyOffset + s.positions[next.index],
                     next.rowStride, head, n);
        }
        else
            runLayer(array, array.layers[l], s, last ? nullptr : arrayOut.data(), blockStride, head, n);
    }

    groups.front() = {head, blockStride, array.channels};
    kernels::MatrixProduct product;
    product.rows = array.headSize;
    product.inputs = array.channels;
    product.weights = array.headWeights.data();
    product.bias = array.headBias.size() > 0 ? array.headBias.data() : nullptr;
    product.groups = groups.data();
    product.numGroups = 1;
    product.out = headOut;
    product.outStride = blockStride;
    kernel->multiply(product, n);
}

bool WaveNet::stateIsFinite(ChannelState s, int n) const noexcept
{
    // Every layer's output is its input plus a term: a non-finite value written anywhere this chunk
    // reaches, at the same sample, the input of every later layer (through a rechannel too, where
    // Inf times any weight, 0 included, stays non-finite). So the last layer's input history and
    // the output cover the whole state.
    const auto& array = arrays.back();
    const auto& last = array.layers.back();
    return kernel->allFinite(finalOut.data(), blockStride, 1, n) &&
           kernel->allFinite(s.history + last.historyOffset + s.positions[last.index], last.rowStride,
                             array.channels, n);
}

void WaveNet::processChunk(ChannelState s, const float* in, float* out, int n) noexcept
{
    rewindIfFull(s, n);
    // The block buffers' rows lie back to back, as long as this chunk (in whole vectors).
    const int padded = kernels::roundUp(n, kernel->width);
    blockStride = padded;
    // Non-finite input is silence: v - v is 0 exactly when v is finite.
    float* x = audio.data();
    for (int t = 0; t < n; ++t)
        x[t] = in[t] - in[t] == 0.0f ? in[t] * inputGain : 0.0f;
    std::fill(x + n, x + padded, 0.0f);

    float* head = headA.data();
    std::fill(head, head + static_cast<long>(arrays.front().channels) * blockStride, 0.0f);
    const float* input = audio.data();
    for (size_t a = 0; a < arrays.size(); ++a)
    {
        const bool last = a + 1 == arrays.size();
        float* headOut = last ? finalOut.data() : head == headA.data() ? headB.data() : headA.data();
        runArray(arrays[a], s, input, head, headOut, last, n);
        input = arrayOut.data();
        head = headOut;
    }

    // The state written this chunk is checked before it is kept: a non-finite value (an overflow
    // far beyond audio levels) would otherwise stay in the histories for a receptive field.
    const bool finite = stateIsFinite(s, n);
    for (int t = 0; t < n; ++t)
        out[t] = finite || std::isfinite(finalOut[static_cast<size_t>(t)]) ? finalOut[static_cast<size_t>(t)]
                                                                           : 0.0f;
    if (!finite)
    {
        resetChannel(s);
        resets.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    for (int l = 0; l < numLayers; ++l)
        s.positions[l] += n;
}

void WaveNet::process(const float* const* in, float* const* out, int numChannels, int n) noexcept
{
    ScopedFlushDenormals noDenormals;
    const int count = std::min(numChannels, channels);
    for (int c = 0; c < count; ++c)
    {
        const ChannelState s = channelState(c);
        for (int start = 0; start < n; start += chunkSamples)
            processChunk(s, in[c] + start, out[c] + start, std::min(chunkSamples, n - start));
    }
}

} // namespace torchamp
