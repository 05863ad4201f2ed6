#include "PortableNetwork.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

namespace
{

/** acc[r] += sum over j of w[j * rows + r] * x[j]: a matrix-vector product as a sum of columns, so
    the inner loop runs over contiguous rows and vectorises. */
inline void addColumns(float* __restrict acc, const float* __restrict w, const float* __restrict x,
                       int columns, int rows) noexcept TORCHAMP_NONBLOCKING
{
    for (int j = 0; j < columns; ++j, w += rows)
    {
        const float v = x[j];
        for (int r = 0; r < rows; ++r)
            acc[r] += w[r] * v;
    }
}

inline float finiteOrZero(float v) noexcept TORCHAMP_NONBLOCKING
{
    return v - v == 0.0f ? v : 0.0f; // v - v is 0 exactly when v is finite
}

/** PyTorch's [rows, columns] row-major matrix as [columns][rows]. */
std::vector<float> columnMajor(const std::vector<float>& m, int rows, int columns)
{
    std::vector<float> out(m.size());
    for (int r = 0; r < rows; ++r)
        for (int j = 0; j < columns; ++j)
            out[static_cast<size_t>(j) * static_cast<size_t>(rows) + static_cast<size_t>(r)] =
                m[static_cast<size_t>(r) * static_cast<size_t>(columns) + static_cast<size_t>(j)];
    return out;
}

} // namespace

PortableNetwork::PortableNetwork(const ModelSpec& spec, const kernels::KernelSet& kernel)
{
    activations = kernel.activations;
    activationWidth = kernel.cellWidth;
    skip = spec.skip;
    inputGain = spec.inputGain;
    outputGain = spec.outputGain;
    numInputs = spec.inputSize();
    headWeight = spec.headWeight;
    headBias = spec.headBias;

    size_t widest = static_cast<size_t>(numInputs);
    size_t mostRows = 0;
    for (const auto& src : spec.layers)
    {
        Recurrent layer;
        layer.type = src.type;
        layer.inputs = src.inputSize;
        layer.hidden = src.hiddenSize;
        layer.rows = src.numGates() * src.hiddenSize;
        layer.inputWeights = columnMajor(src.weightIh, layer.rows, layer.inputs);
        layer.hiddenWeights = columnMajor(src.weightHh, layer.rows, layer.hidden);
        if (src.type == CellType::lstm)
        {
            // LSTM biases only ever appear summed; GRU's b_hn sits inside r * (...), so both are kept.
            layer.inputBias.resize(src.biasIh.size());
            for (size_t r = 0; r < src.biasIh.size(); ++r)
                layer.inputBias[r] = src.biasIh[r] + src.biasHh[r];
        }
        else
        {
            layer.inputBias = src.biasIh;
            layer.hiddenBias = src.biasHh;
        }
        const auto hidden = static_cast<size_t>(layer.hidden);
        layer.initialState.assign(src.type == CellType::lstm ? 2 * hidden : hidden, 0.0f);
        std::copy(src.initialHidden.begin(), src.initialHidden.end(), layer.initialState.begin());
        if (src.type == CellType::lstm)
            std::copy(src.initialCell.begin(), src.initialCell.end(),
                      layer.initialState.begin() + static_cast<long>(hidden));
        stateFloats += static_cast<int>(layer.initialState.size());
        mostRows = std::max(mostRows, static_cast<size_t>(layer.rows));
        widest = std::max(widest, hidden);
        recurrent.push_back(std::move(layer));
    }
    for (const auto& src : spec.denseLayers)
    {
        Dense d;
        d.inputs = src.inputSize;
        d.outputs = src.outputSize;
        d.weights = columnMajor(src.weight, d.outputs, d.inputs);
        d.bias = src.bias;
        d.activation = src.activation;
        widest = std::max(widest, static_cast<size_t>(d.outputs));
        dense.push_back(std::move(d));
    }
    const auto width = static_cast<size_t>(activationWidth);
    const size_t padded = (std::max(mostRows, widest) + width - 1) / width * width;
    inputs.assign(static_cast<size_t>(numInputs), 0.0f);
    inputGates.assign(padded, 0.0f);
    hiddenGates.assign(padded, 0.0f);
    denseA.assign(padded, 0.0f);
    denseB.assign(padded, 0.0f);
    preActivation.assign(padded, 0.0f);
    sigmoids.assign(padded, 0.0f);
    tanhs.assign(padded, 0.0f);
}

void PortableNetwork::activate(const float* x, int n) noexcept
{
    const int padded = (n + activationWidth - 1) / activationWidth * activationWidth;
    activations(x, sigmoids.data(), tanhs.data(), padded);
}

void PortableNetwork::writeInitialState(float* state) const noexcept
{
    for (const auto& layer : recurrent)
        state = std::copy(layer.initialState.begin(), layer.initialState.end(), state);
}

void PortableNetwork::process(const float* in, int inputStride, int fedInputs, const float* heldInputs,
                              float* out, float* state, int numSamples) noexcept
{
    float* const x0 = inputs.data();
    float* const gi = inputGates.data();
    float* const gh = hiddenGates.data();
    fedInputs = std::clamp(fedInputs, 1, numInputs);
    for (int t = 0; t < numSamples; ++t)
    {
        const float* step = in + static_cast<long>(t) * inputStride;
        x0[0] = inputGain * finiteOrZero(step[0]);
        for (int j = 1; j < fedInputs; ++j)
            x0[j] = finiteOrZero(step[j]);
        for (int j = fedInputs; j < numInputs; ++j)
            x0[j] = heldInputs[j - fedInputs];

        const float* x = x0;
        int width = numInputs;
        float* s = state;
        for (const auto& layer : recurrent)
        {
            const int H = layer.hidden;
            float* h = s;
            std::copy(layer.inputBias.begin(), layer.inputBias.end(), gi);
            addColumns(gi, layer.inputWeights.data(), x, width, layer.rows);
            float* const sig = sigmoids.data();
            float* const th = tanhs.data();
            float* const pre = preActivation.data();
            if (layer.type == CellType::lstm)
            {
                float* c = s + H;
                addColumns(gi, layer.hiddenWeights.data(), h, H, layer.rows);
                activate(gi, 4 * H); // i f o need the sigmoids, g the tanh
                for (int u = 0; u < H; ++u)
                    pre[u] = c[u] = sig[H + u] * c[u] + sig[u] * th[2 * H + u];
                for (int u = 0; u < H; ++u)
                    gh[u] = sig[3 * H + u]; // o, kept while tanh(c) overwrites the activations
                activate(pre, H);
                for (int u = 0; u < H; ++u)
                    h[u] = gh[u] * th[u];
                s += 2 * H;
            }
            else
            {
                std::copy(layer.hiddenBias.begin(), layer.hiddenBias.end(), gh);
                addColumns(gh, layer.hiddenWeights.data(), h, H, layer.rows);
                for (int k = 0; k < 2 * H; ++k)
                    pre[k] = gi[k] + gh[k];
                activate(pre, 2 * H); // r, z
                for (int u = 0; u < H; ++u)
                    pre[u] = gi[2 * H + u] + sig[u] * gh[2 * H + u];
                for (int u = 0; u < H; ++u)
                    gh[u] = sig[H + u]; // z, kept while tanh(n) overwrites the activations
                activate(pre, H);
                for (int u = 0; u < H; ++u)
                    h[u] = (1.0f - gh[u]) * th[u] + gh[u] * h[u];
                s += H;
            }
            x = h;
            width = H;
        }

        float* dOut = denseA.data();
        float* dOther = denseB.data();
        for (const auto& d : dense)
        {
            std::copy(d.bias.begin(), d.bias.end(), dOut);
            addColumns(dOut, d.weights.data(), x, width, d.outputs);
            switch (d.activation)
            {
                case Activation::tanh:
                    activate(dOut, d.outputs);
                    std::copy(tanhs.data(), tanhs.data() + d.outputs, dOut);
                    break;
                case Activation::relu:
                    for (int k = 0; k < d.outputs; ++k)
                        dOut[k] = std::max(dOut[k], 0.0f);
                    break;
                case Activation::sigmoid:
                    activate(dOut, d.outputs);
                    std::copy(sigmoids.data(), sigmoids.data() + d.outputs, dOut);
                    break;
                case Activation::identity:
                    break;
            }
            x = dOut;
            width = d.outputs;
            std::swap(dOut, dOther);
        }

        float y = headBias;
        for (int k = 0; k < width; ++k)
            y += headWeight[static_cast<size_t>(k)] * x[k];
        if (skip)
            y += x0[0];
        out[t] = y * outputGain;
    }
}

} // namespace torchamp
