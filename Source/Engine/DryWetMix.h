#pragma once

#include "RealtimeSafety.h"
#include "SmoothedValue.h"

namespace torchamp
{

/** Blends the processed signal with the dry one (DryPath, delayed to line up with it).

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class DryWetMix
{
public:
    void prepare(double sampleRate, double smoothingSeconds);
    /// 1 is all processed, 0 all dry; outside [0, 1] the nearest end, not a number 1.
    void setMix(float wet01) noexcept TORCHAMP_NONBLOCKING;
    void process(float* const* io, const float* const* dry, int numChannels,
                 int n) noexcept TORCHAMP_NONBLOCKING;

private:
    SmoothedValue wet{1.0f};
};

} // namespace torchamp
