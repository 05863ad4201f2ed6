#include "DryWetMix.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

void DryWetMix::prepare(double sampleRate, double smoothingSeconds)
{
    wet.setLength(static_cast<int>(smoothingSeconds * sampleRate));
}

void DryWetMix::setMix(float wet01) noexcept
{
    wet.setTarget(std::isfinite(wet01) ? std::clamp(wet01, 0.0f, 1.0f) : 1.0f);
}

void DryWetMix::process(float* const* io, const float* const* dry, int numChannels, int n) noexcept
{
    if (!wet.isGliding() && wet.value() == 1.0f)
        return;
    for (int i = 0; i < n; ++i)
    {
        const float m = wet.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] = m * io[c][i] + (1.0f - m) * dry[c][i];
    }
}

} // namespace torchamp
