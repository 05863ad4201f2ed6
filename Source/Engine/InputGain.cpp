#include "InputGain.h"

#include "Decibels.h"

#include <cmath>

namespace torchamp
{

float InputGain::calibrationDb(bool enabled, float interfaceLevelDbu, float modelInputLevelDbu) noexcept
{
    if (!enabled || !std::isfinite(interfaceLevelDbu) || !std::isfinite(modelInputLevelDbu))
        return 0.0f;
    return interfaceLevelDbu - modelInputLevelDbu;
}

void InputGain::prepare(double sampleRate, double smoothingSeconds)
{
    gain.setLength(static_cast<int>(smoothingSeconds * sampleRate));
}

void InputGain::setGainDb(float db) noexcept
{
    gainDb = std::isfinite(db) ? db : 0.0f;
    updateTarget();
}

void InputGain::setCalibration(bool enabled, float interfaceLevelDbu) noexcept
{
    calibrate = enabled;
    if (std::isfinite(interfaceLevelDbu))
        interfaceDbu = interfaceLevelDbu;
    updateTarget();
}

void InputGain::setModelInputLevel(float dbu) noexcept
{
    if (dbu == modelDbu || (std::isnan(dbu) && std::isnan(modelDbu)))
        return;
    modelDbu = dbu;
    updateTarget();
}

void InputGain::updateTarget() noexcept
{
    gain.setTarget(Decibels::toGain(gainDb + calibrationDb(calibrate, interfaceDbu, modelDbu)));
}

void InputGain::process(float* const* io, int numChannels, int n) noexcept
{
    // One gain for every channel, so the smoothing stays in step.
    for (int i = 0; i < n; ++i)
    {
        const float g = gain.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] *= g;
    }
}

} // namespace torchamp
