#include "NoiseGate.h"

#include "ChannelCopy.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

namespace
{
const double floorPower = std::pow(10.0, NoiseGate::floorDb / 10.0);
}

void NoiseGate::prepare(const HostConfig& config, double sampleRate)
{
    rate = sampleRate;
    alpha = std::pow(0.5, 1.0 / (levelHalfLifeSeconds * rate));
    power.assign(static_cast<size_t>(config.numChannels), floorPower);
    gains.assign(static_cast<size_t>(maxDelay + config.maxBlockSize), 1.0f);
    reset();
}

void NoiseGate::reset() noexcept
{
    std::fill(power.begin(), power.end(), floorPower);
    std::fill(gains.begin(), gains.end(), 1.0f);
    write = 0;
    state = State::holding;
    reductionDb = 0.0;
    timeHeld = 0.0;
}

void NoiseGate::setEnabled(bool on) noexcept
{
    enabled = on;
}

void NoiseGate::setThresholdDb(float db) noexcept
{
    if (std::isfinite(db))
        thresholdDb = std::clamp(static_cast<double>(db), floorDb, 0.0);
    updateClosingLevel();
}

void NoiseGate::setAttackMs(float ms) noexcept
{
    if (std::isfinite(ms))
        attackSeconds = std::clamp(static_cast<double>(ms), 0.01, 10000.0) / 1000.0;
}

void NoiseGate::setReleaseMs(float ms) noexcept
{
    if (std::isfinite(ms))
        releaseSeconds = std::clamp(static_cast<double>(ms), 0.01, 10000.0) / 1000.0;
}

void NoiseGate::setHysteresisDb(float db) noexcept
{
    if (std::isfinite(db))
        hysteresisDb = std::clamp(static_cast<double>(db), 0.0, 60.0);
    updateClosingLevel();
}

void NoiseGate::updateClosingLevel() noexcept
{
    closeBelowPower = std::pow(10.0, (thresholdDb - hysteresisDb) / 10.0);
}

double NoiseGate::targetReduction(double levelDb) const noexcept
{
    return levelDb < thresholdDb ? -ratio * (levelDb - thresholdDb) * (levelDb - thresholdDb) : 0.0;
}

float NoiseGate::nextGain(double levelPower) noexcept
{
    const double dt = 1.0 / rate;
    if (state == State::holding)
    {
        const bool quiet = enabled && levelPower < closeBelowPower;
        timeHeld = quiet ? timeHeld + dt : 0.0;
        if (timeHeld >= holdSeconds)
            state = State::moving;
        reductionDb = 0.0;
        return 1.0f;
    }
    const double full = maxReduction();
    const double target = enabled ? targetReduction(10.0 * std::log10(levelPower)) : 0.0;
    if (target > reductionDb)
    {
        reductionDb -= full / attackSeconds * dt;
        if (reductionDb >= 0.0)
        {
            reductionDb = 0.0;
            state = State::holding;
            timeHeld = 0.0;
        }
    }
    else if (target < reductionDb)
        reductionDb = std::max(full, reductionDb + full / releaseSeconds * dt);
    return static_cast<float>(std::pow(10.0, reductionDb / 20.0));
}

void NoiseGate::copyChannelState(int from, int to) noexcept
{
    if (isChannelCopy(from, to, static_cast<int>(power.size())))
        power[static_cast<size_t>(to)] = power[static_cast<size_t>(from)];
}

void NoiseGate::listen(const float* const* in, int numChannels, int n) noexcept
{
    const int capacity = static_cast<int>(gains.size());
    numChannels = std::min(numChannels, static_cast<int>(power.size()));
    for (int i = 0; i < n; ++i)
    {
        double loudest = floorPower;
        for (int c = 0; c < numChannels; ++c)
        {
            auto& p = power[static_cast<size_t>(c)];
            const double x = in[c][i];
            p = std::clamp(alpha * p + (1.0 - alpha) * x * x, floorPower, 1000.0);
            loudest = std::max(loudest, p);
        }
        gains[static_cast<size_t>(write)] = nextGain(loudest);
        if (++write == capacity)
            write = 0;
    }
}

void NoiseGate::apply(float* const* io, int numChannels, int n, int delay) noexcept
{
    const int capacity = static_cast<int>(gains.size());
    delay = std::clamp(delay, 0, maxDelay);
    int r = write - n - delay;
    while (r < 0)
        r += capacity;
    for (int i = 0; i < n; ++i)
    {
        const float g = gains[static_cast<size_t>(r)];
        for (int c = 0; c < numChannels; ++c)
            io[c][i] *= g;
        if (++r == capacity)
            r = 0;
    }
}

} // namespace torchamp
