#pragma once

#include "ChannelBlocks.h"
#include "DelayLine.h"
#include "ModelRunner.h"
#include "RealtimeSafety.h"

namespace torchamp
{

/** The chain's input as it enters: non-finite samples become silence here, for every stage after,
    and a copy delayed by the chain's latency is the dry signal that the mix and the bypass blend
    with, lined up with the processed one.

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class DryPath
{
public:
    /// Longest delay it holds, in samples; beyond it dry and processed stop lining up.
    static constexpr int maxDelay = 32768;

    void prepare(const HostConfig& config);

    /// Replaces non-finite samples of `io` by 0, stores the block and makes dry() that block
    /// delayed by `delay` samples (at most maxDelay). n <= the prepared block size.
    void capture(float* const* io, int numChannels, int n, int delay) noexcept TORCHAMP_NONBLOCKING;

    /// Makes channel `to`'s delayed signal a copy of channel `from`'s. Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING { line.copyChannelState(from, to); }

    /// The dry signal for the block capture() was last given. Audio thread.
    const float* const* dry() const noexcept { return delayed.pointers(); }

private:
    DelayLine line;
    ChannelBlocks delayed; // [channel][block]
};

} // namespace torchamp
