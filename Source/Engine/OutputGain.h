#pragma once

#include "RealtimeSafety.h"
#include "SmoothedValue.h"

namespace torchamp
{

/** The output level, after the dry/wet mix.

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class OutputGain
{
public:
    void prepare(double sampleRate, double smoothingSeconds);
    void setGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

private:
    SmoothedValue gain{1.0f};
};

} // namespace torchamp
