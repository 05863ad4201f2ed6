#include "ToneStack.h"

#include "ChannelCopy.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

void ToneStack::prepare(const HostConfig& config, double sampleRate, double smoothingSeconds)
{
    rate = sampleRate;
    states.assign(static_cast<size_t>(config.numChannels), {});
    for (int b = 0; b < numBands; ++b)
    {
        gainDb[static_cast<size_t>(b)].setLength(static_cast<int>(smoothingSeconds * sampleRate));
        redesign(b);
    }
}

void ToneStack::reset() noexcept
{
    for (auto& channel : states)
        channel.fill({});
}

void ToneStack::copyChannelState(int from, int to) noexcept
{
    if (isChannelCopy(from, to, static_cast<int>(states.size())))
        states[static_cast<size_t>(to)] = states[static_cast<size_t>(from)];
}

void ToneStack::setEnabled(bool on) noexcept
{
    enabled = on;
    updateTargets();
}

void ToneStack::setGainDb(Band band, float db) noexcept
{
    if (band < 0 || band >= numBands || !std::isfinite(db))
        return;
    userDb[static_cast<size_t>(band)] = std::clamp(db, -maxGainDb, maxGainDb);
    updateTargets();
}

void ToneStack::updateTargets() noexcept
{
    for (int b = 0; b < numBands; ++b)
        gainDb[static_cast<size_t>(b)].setTarget(enabled ? userDb[static_cast<size_t>(b)] : 0.0f);
}

bool ToneStack::isFlat() const noexcept
{
    return std::all_of(gainDb.begin(), gainDb.end(),
                       [](const SmoothedValue& g) { return !g.isGliding() && g.value() == 0.0f; });
}

void ToneStack::redesign(int band) noexcept
{
    const auto& d = designs[static_cast<size_t>(band)];
    filters[static_cast<size_t>(band)] =
        Biquad::design(d.shape, rate, d.frequency, d.q, gainDb[static_cast<size_t>(band)].value());
}

void ToneStack::process(float* const* io, int numChannels, int n) noexcept
{
    numChannels = std::min(numChannels, static_cast<int>(states.size()));
    if (isFlat())
    {
        followInput(io, numChannels, n);
        return;
    }
    for (int start = 0; start < n; start += updateInterval)
    {
        const int count = std::min(updateInterval, n - start);
        for (int b = 0; b < numBands; ++b)
            if (gainDb[static_cast<size_t>(b)].isGliding())
            {
                gainDb[static_cast<size_t>(b)].skip(count);
                redesign(b);
            }
        filter(io, numChannels, start, count);
    }
}

void ToneStack::filter(float* const* io, int numChannels, int start, int count) noexcept
{
    for (int c = 0; c < numChannels; ++c)
    {
        auto& s = states[static_cast<size_t>(c)];
        float* x = io[c] + start;
        for (int i = 0; i < count; ++i)
        {
            double v = x[i];
            for (int b = 0; b < numBands; ++b)
                v = filters[static_cast<size_t>(b)].process(v, s[static_cast<size_t>(b)]);
            x[i] = static_cast<float>(v);
        }
        if (!std::isfinite(s[0].y1 + s[1].y1 + s[2].y1 + s[3].y1))
            s.fill({}); // a state that is not a number would never recover
    }
}

void ToneStack::followInput(float* const* io, int numChannels, int n) noexcept
{
    // Flat, every filter's output equals its input: keeping their history so means the filters
    // take over without a step when a band moves away from 0 dB.
    if (n <= 0)
        return;
    for (int c = 0; c < numChannels; ++c)
        for (auto& s : states[static_cast<size_t>(c)])
        {
            s.x2 = n >= 2 ? io[c][n - 2] : s.x1;
            s.x1 = io[c][n - 1];
            s.y1 = s.x1;
            s.y2 = s.x2;
        }
}

} // namespace torchamp
