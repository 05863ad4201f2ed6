#pragma once

// Layer-sequence models for the tests: random layers of every kind, and what Keras / PyTorch
// compute for a sequence, written out from their documented equations in double precision, one
// step at a time (a causal conv1d keeps its own input history).

#include "ModelSpec.h"

#include <cmath>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace torchamp::test
{

inline std::vector<float> uniformValues(size_t n, float scale, std::mt19937& rng)
{
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v)
        x = u(rng);
    return v;
}

inline LayerSpec recurrentLayer(CellType type, int inputs, int hidden, std::mt19937& rng)
{
    LayerSpec layer;
    layer.kind = type == CellType::gru ? LayerKind::gru : LayerKind::lstm;
    layer.inputSize = inputs;
    layer.outputSize = hidden;
    auto& r = layer.recurrent;
    r.type = type;
    r.inputSize = inputs;
    r.hiddenSize = hidden;
    const auto rows = static_cast<size_t>(r.numGates() * hidden);
    r.weightIh = uniformValues(rows * static_cast<size_t>(inputs), 1.0f, rng);
    r.weightHh = uniformValues(rows * static_cast<size_t>(hidden), 1.0f / std::sqrt(float(hidden)), rng);
    r.biasIh = uniformValues(rows, 0.5f, rng);
    r.biasHh = uniformValues(rows, 0.5f, rng);
    return layer;
}

inline LayerSpec denseLayer(int inputs, int outputs, Activation activation, std::mt19937& rng)
{
    LayerSpec layer;
    layer.kind = LayerKind::dense;
    layer.inputSize = inputs;
    layer.outputSize = outputs;
    layer.activation = activation;
    layer.weight = uniformValues(static_cast<size_t>(inputs * outputs), 1.0f / std::sqrt(float(inputs)), rng);
    layer.bias = uniformValues(static_cast<size_t>(outputs), 0.2f, rng);
    return layer;
}

inline LayerSpec convLayer(int inputs, int outputs, int kernelSize, int dilation, int groups,
                           Activation activation, std::mt19937& rng)
{
    LayerSpec layer;
    layer.kind = LayerKind::conv1d;
    layer.inputSize = inputs;
    layer.outputSize = outputs;
    layer.kernelSize = kernelSize;
    layer.dilation = dilation;
    layer.groups = groups;
    layer.activation = activation;
    const int fanIn = inputs / groups * kernelSize;
    layer.weight = uniformValues(static_cast<size_t>(outputs * fanIn), 1.0f / std::sqrt(float(fanIn)), rng);
    layer.bias = uniformValues(static_cast<size_t>(outputs), 0.2f, rng);
    return layer;
}

inline LayerSpec batchNormLayer(int width, bool affine, std::mt19937& rng)
{
    LayerSpec layer;
    layer.kind = LayerKind::batchNorm;
    layer.inputSize = layer.outputSize = width;
    layer.mean = uniformValues(static_cast<size_t>(width), 0.5f, rng);
    layer.variance = uniformValues(static_cast<size_t>(width), 0.5f, rng);
    for (auto& v : layer.variance)
        v = 0.6f + v;
    if (affine)
    {
        layer.gamma = uniformValues(static_cast<size_t>(width), 1.5f, rng);
        layer.beta = uniformValues(static_cast<size_t>(width), 0.5f, rng);
    }
    layer.epsilon = 0.01f;
    return layer;
}

inline LayerSpec preluLayer(int width, std::mt19937& rng)
{
    LayerSpec layer;
    layer.kind = LayerKind::prelu;
    layer.inputSize = layer.outputSize = width;
    layer.slopes = uniformValues(static_cast<size_t>(width), 0.6f, rng);
    return layer;
}

inline LayerSpec activationLayer(int width, Activation activation)
{
    LayerSpec layer;
    layer.kind = LayerKind::activation;
    layer.inputSize = layer.outputSize = width;
    layer.activation = activation;
    return layer;
}

/** A sequence model with `knobs` knobs (named "k0"..., default 0.3). */
inline ModelSpec sequenceSpec(std::vector<LayerSpec> layers, int knobs, bool skip)
{
    ModelSpec spec;
    spec.skip = skip;
    for (int k = 0; k < knobs; ++k)
    {
        spec.knobNames.push_back("k" + std::to_string(k));
        spec.knobDefaults.push_back(0.3f);
    }
    spec.sequence = std::move(layers);
    return spec;
}

inline double sigmoidOf(double v)
{
    return 1.0 / (1.0 + std::exp(-v));
}

inline std::vector<double> activated(Activation a, std::vector<double> x)
{
    if (a == Activation::softmax)
    {
        double largest = x[0], sum = 0.0;
        for (double v : x)
            largest = std::max(largest, v);
        for (auto& v : x)
            sum += (v = std::exp(v - largest));
        for (auto& v : x)
            v /= sum;
        return x;
    }
    for (auto& v : x)
        switch (a)
        {
            case Activation::tanh:
                v = std::tanh(v);
                break;
            case Activation::sigmoid:
                v = sigmoidOf(v);
                break;
            case Activation::relu:
                v = std::max(v, 0.0);
                break;
            case Activation::elu:
                v = v > 0.0 ? v : std::expm1(v);
                break;
            case Activation::softmax:
            case Activation::identity:
                break;
        }
    return x;
}

/** One step of torch.nn.GRU / LSTM in double. */
inline std::vector<double> recurrentStep(const RecurrentLayerSpec& l, const std::vector<double>& in,
                                         std::vector<double>& h, std::vector<double>& c)
{
    const auto H = static_cast<size_t>(l.hiddenSize), I = static_cast<size_t>(l.inputSize);
    const size_t rows = static_cast<size_t>(l.numGates()) * H;
    std::vector<double> gi(rows), gh(rows);
    for (size_t r = 0; r < rows; ++r)
    {
        gi[r] = l.biasIh[r];
        gh[r] = l.biasHh[r];
        for (size_t j = 0; j < I; ++j)
            gi[r] += double(l.weightIh[r * I + j]) * in[j];
        for (size_t j = 0; j < H; ++j)
            gh[r] += double(l.weightHh[r * H + j]) * h[j];
    }
    for (size_t u = 0; u < H; ++u)
    {
        if (l.type == CellType::gru)
        {
            const double r = sigmoidOf(gi[u] + gh[u]);
            const double z = sigmoidOf(gi[H + u] + gh[H + u]);
            const double n = std::tanh(gi[2 * H + u] + r * gh[2 * H + u]);
            h[u] = (1.0 - z) * n + z * h[u];
        }
        else
        {
            auto g = [&](size_t q) { return gi[q * H + u] + gh[q * H + u]; };
            c[u] = sigmoidOf(g(1)) * c[u] + sigmoidOf(g(0)) * std::tanh(g(2));
            h[u] = sigmoidOf(g(3)) * std::tanh(c[u]);
        }
    }
    return h;
}

/** A layer-sequence model played on x with held knob values, in double. */
inline std::vector<float> sequenceReference(const ModelSpec& spec, const std::vector<float>& x,
                                            const std::vector<float>& knobs)
{
    struct State
    {
        std::vector<double> h, c;
        std::deque<std::vector<double>> history; // conv1d: the last (kernel - 1) * dilation + 1 inputs
    };
    std::vector<State> states(spec.sequence.size());
    for (size_t i = 0; i < spec.sequence.size(); ++i)
    {
        const auto& l = spec.sequence[i];
        const auto H = static_cast<size_t>(l.outputSize);
        states[i].h.assign(H, 0.0);
        states[i].c.assign(H, 0.0);
        for (size_t j = 0; j < l.recurrent.initialHidden.size(); ++j)
            states[i].h[j] = l.recurrent.initialHidden[j];
        for (size_t j = 0; j < l.recurrent.initialCell.size(); ++j)
            states[i].c[j] = l.recurrent.initialCell[j];
        for (int k = 0; k < l.lookback(); ++k)
            states[i].history.emplace_back(static_cast<size_t>(l.inputSize), 0.0);
    }
    std::vector<float> y(x.size());
    for (size_t t = 0; t < x.size(); ++t)
    {
        const double audio = double(x[t]) * spec.inputGain;
        std::vector<double> u{audio};
        u.insert(u.end(), knobs.begin(), knobs.end());
        for (size_t i = 0; i < spec.sequence.size(); ++i)
        {
            const auto& l = spec.sequence[i];
            auto& s = states[i];
            const auto out = static_cast<size_t>(l.outputSize), in = static_cast<size_t>(l.inputSize);
            std::vector<double> v(out);
            switch (l.kind)
            {
                case LayerKind::gru:
                case LayerKind::lstm:
                    v = recurrentStep(l.recurrent, u, s.h, s.c);
                    break;
                case LayerKind::dense:
                    for (size_t o = 0; o < out; ++o)
                    {
                        v[o] = l.bias[o];
                        for (size_t j = 0; j < in; ++j)
                            v[o] += double(l.weight[o * in + j]) * u[j];
                    }
                    v = activated(l.activation, v);
                    break;
                case LayerKind::conv1d:
                {
                    s.history.push_back(u);
                    const size_t K = static_cast<size_t>(l.kernelSize),
                                 inG = in / static_cast<size_t>(l.groups);
                    const size_t outG = out / static_cast<size_t>(l.groups);
                    for (size_t o = 0; o < out; ++o)
                    {
                        v[o] = l.bias[o];
                        const size_t g = o / outG;
                        for (size_t k = 0; k < K; ++k)
                        {
                            // Tap k reads (K - 1 - k) * dilation steps back: Keras' causal padding.
                            const auto back = (K - 1 - k) * static_cast<size_t>(l.dilation);
                            const auto& past = s.history[s.history.size() - 1 - back];
                            for (size_t j = 0; j < inG; ++j)
                                v[o] += double(l.weight[(o * inG + j) * K + k]) * past[g * inG + j];
                        }
                    }
                    s.history.pop_front();
                    v = activated(l.activation, v);
                    break;
                }
                case LayerKind::batchNorm:
                    for (size_t c = 0; c < out; ++c)
                        v[c] = (u[c] - l.mean[c]) / std::sqrt(double(l.variance[c]) + double(l.epsilon)) *
                                   (l.gamma.empty() ? 1.0 : double(l.gamma[c])) +
                               (l.beta.empty() ? 0.0 : double(l.beta[c]));
                    break;
                case LayerKind::prelu:
                    for (size_t c = 0; c < out; ++c)
                        v[c] = u[c] >= 0.0 ? u[c] : double(l.slopes[c]) * u[c];
                    break;
                case LayerKind::activation:
                    v = activated(l.activation, u);
                    break;
            }
            u = v;
        }
        y[t] = static_cast<float>((u[0] + (spec.skip ? audio : 0.0)) * spec.outputGain);
    }
    return y;
}

} // namespace torchamp::test
