#pragma once

#include "CabinetResponse.h"
#include "ChannelBlocks.h"
#include "DelayLine.h"
#include "ModelRunner.h"
#include "RealtimeExchange.h"
#include "RealtimeSafety.h"
#include "SmoothedValue.h"

#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** The cabinet: a CabinetResponse received through a RealtimeExchange and crossfaded from the one
    before (or from the unconvolved signal, when there was none) over crossfadeSeconds (one that
    arrives before any audio plays after prepare() plays at once), and an
    on/off switch that glides between the convolved and the unconvolved signal. Off, and once the
    glide is over, nothing is convolved; switched on again, the convolution starts from silence.
    The unconvolved signal is delayed by the response's latency, so switching keeps the timing.
    Without a response the audio passes through untouched.

    Threads: prepare() while audio is stopped; publish(), collectGarbage() and withNewest() off the
    audio thread; beginBlock(), setEnabled() and process() on the audio thread. */
class CabinetStage
{
public:
    static constexpr double crossfadeSeconds = 0.010;
    /// Longest latency a response can have: the low-CPU partition at the highest host rate.
    static constexpr int maxLatency = 8192;

    /// Rebuilds the newest response for `config` and `latency`; sizes the buffers. Returns why the
    /// response cannot play at these settings (it is dropped), else empty.
    std::string prepare(const HostConfig& config, ConvolutionLatency latency, double sampleRate,
                        double smoothingSeconds);

    /// Hands `response` to the audio thread if it was built for `config` and `latency`; false
    /// (and it is freed) otherwise. Off the audio thread.
    bool publish(std::unique_ptr<CabinetResponse> response, const HostConfig& config,
                 ConvolutionLatency latency);

    /// Frees responses the audio thread has retired. Off the audio thread.
    void collectGarbage() { responses.collectGarbage(); }

    /// f(newest response or null), the response alive while f runs. Off the audio thread.
    template <typename F>
    auto withNewest(F&& f) const
    {
        return responses.withNewest(std::forward<F>(f));
    }

    /// Picks up a newly published response (starting a crossfade) once the last crossfade is
    /// over. Audio thread, at the start of every host block.
    void beginBlock() noexcept TORCHAMP_NONBLOCKING;

    void setEnabled(bool enabled) noexcept TORCHAMP_NONBLOCKING;

    /// The playing response's latency in host samples (0 without one). Audio thread.
    int latencySamples() const noexcept;

    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

private:
    void convolve(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;
    void restart() noexcept TORCHAMP_NONBLOCKING;

    RealtimeExchange<CabinetResponse> responses;
    int fadePosition = 0, fadeLength = 1;
    SmoothedValue on{1.0f};
    bool convolving = true;               // false once switched off and the glide is over
    bool played = false;                  // audio went through since prepare()
    DelayLine unconvolved; // the signal without the cabinet, delayed by the response's latency
    ChannelBlocks dry, wet, faded; // [channel][block]
    std::vector<const float*> inPointers;
};

} // namespace torchamp
