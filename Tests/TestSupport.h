#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace torchamp::test
{

/// Where the build wrote the TorchScript files of Tests/models/make_test_models.py.
inline std::string modelPath(const std::string& file)
{
    return std::string(TORCHAMP_TEST_MODELS_DIR) + "/" + file;
}

/// A varied test signal: decaying plucked tones, a sweep, noise, silence and a loud passage.
inline std::vector<float> makeTestSignal(size_t n, unsigned seed = 1, float peak = 0.9f)
{
    std::vector<float> x(n);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; ++i)
    {
        const double t = static_cast<double>(i) / 48000.0;
        const double section = std::fmod(t, 1.0);
        double v;
        if (section < 0.4)
            v = std::exp(-section * 8.0) * (std::sin(2 * pi * 82.4 * t) + 0.6 * std::sin(2 * pi * 164.8 * t));
        else if (section < 0.6)
            v = 0.7 * std::sin(2 * pi * (100.0 + 4000.0 * (section - 0.4)) * t);
        else if (section < 0.7)
            v = 0.4 * noise(rng);
        else if (section < 0.8)
            v = 0.0;
        else
            v = std::sin(2 * pi * 440.0 * t) > 0 ? 1.0 : -1.0;
        x[i] = static_cast<float>(peak * std::max(-1.0, std::min(1.0, v)));
    }
    return x;
}

inline double maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    {
        const double d = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        worst = std::isnan(d) ? INFINITY : std::max(worst, d);
    }
    return worst;
}

} // namespace torchamp::test

#include "ModelSpec.h"

namespace torchamp::test
{

/** A model whose output equals its input: all weights zero, skip connection on. With it, the
    signal path's delays and resampling can be checked sample by sample. */
inline ModelSpec identitySpec(int sampleRate = 48000, int hidden = 4)
{
    ModelSpec spec;
    spec.name = "identity";
    spec.sampleRate = sampleRate;
    spec.skip = true;
    RecurrentLayerSpec layer;
    layer.inputSize = 1;
    layer.hiddenSize = hidden;
    layer.weightIh.assign(static_cast<size_t>(4 * hidden), 0.0f);
    layer.weightHh.assign(static_cast<size_t>(4 * hidden * hidden), 0.0f);
    layer.biasIh.assign(static_cast<size_t>(4 * hidden), 0.0f);
    layer.biasHh = layer.biasIh;
    spec.layers.push_back(layer);
    spec.headWeight.assign(static_cast<size_t>(hidden), 0.0f);
    return spec;
}

/** A sum of sines below `maxHz`, at `rate`: band-limited, so resampling leaves it intact. */
inline std::vector<float> makeBandLimitedSignal(size_t n, double rate, double maxHz = 15000.0)
{
    std::vector<float> x(n);
    const double pi = 3.14159265358979323846;
    const double freqs[] = { 97.0, 440.0, 1234.5, 3000.0, 7777.0, maxHz };
    for (size_t i = 0; i < n; ++i)
    {
        double v = 0.0;
        for (double f : freqs)
            v += 0.15 * std::sin(2 * pi * f * static_cast<double>(i) / rate + f);
        x[i] = static_cast<float>(v);
    }
    return x;
}

/** Largest |out[i] - in[i - delay]| over i in [skip, n). */
inline double maxDelayedDifference(const std::vector<float>& in, const std::vector<float>& out, int delay,
                                   size_t skip)
{
    double worst = 0.0;
    for (size_t i = std::max(skip, static_cast<size_t>(delay)); i < std::min(in.size(), out.size()); ++i)
        worst = std::max(worst, std::abs(double(out[i]) - double(in[i - static_cast<size_t>(delay)])));
    return worst;
}

} // namespace torchamp::test
