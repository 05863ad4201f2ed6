#include "Bypass.h"

namespace torchamp
{

void Bypass::prepare(double sampleRate, double smoothingSeconds)
{
    amount.setLength(static_cast<int>(smoothingSeconds * sampleRate));
}

void Bypass::setBypassed(bool bypassed) noexcept
{
    amount.setTarget(bypassed ? 1.0f : 0.0f);
}

void Bypass::process(float* const* io, const float* const* dry, int numChannels, int n) noexcept
{
    if (!amount.isGliding() && amount.value() == 0.0f)
        return;
    for (int i = 0; i < n; ++i)
    {
        const float b = amount.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] = b * dry[c][i] + (1.0f - b) * io[c][i];
    }
}

} // namespace torchamp
