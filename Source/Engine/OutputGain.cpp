#include "OutputGain.h"

#include "Decibels.h"

namespace torchamp
{

void OutputGain::prepare(double sampleRate, double smoothingSeconds)
{
    gain.setLength(static_cast<int>(smoothingSeconds * sampleRate));
}

void OutputGain::setGainDb(float db) noexcept
{
    gain.setTarget(Decibels::toGain(db));
}

void OutputGain::process(float* const* io, int numChannels, int n) noexcept
{
    for (int i = 0; i < n; ++i)
    {
        const float g = gain.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] *= g;
    }
}

} // namespace torchamp
