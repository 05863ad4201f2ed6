#pragma once

#include "RealtimeSafety.h"
#include "SmoothedValue.h"

namespace torchamp
{

/** The host's bypass: glides to the dry signal (DryPath), which keeps the chain's latency, so
    hosts that compensate it stay in time.

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class Bypass
{
public:
    void prepare(double sampleRate, double smoothingSeconds);
    void setBypassed(bool bypassed) noexcept TORCHAMP_NONBLOCKING;
    void process(float* const* io, const float* const* dry, int numChannels,
                 int n) noexcept TORCHAMP_NONBLOCKING;

private:
    SmoothedValue amount{0.0f};
};

} // namespace torchamp
