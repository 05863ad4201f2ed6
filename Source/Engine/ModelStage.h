#pragma once

#include "ChannelBlocks.h"
#include "ModelRunner.h"
#include "RealtimeExchange.h"
#include "RealtimeSafety.h"
#include "SmoothedValue.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** The model: a ModelRunner received through a RealtimeExchange, crossfaded from the one before
    over crossfadeSeconds when a new one arrives, its knobs, and the level normalisation of
    models that state their loudness.

    Threads: prepare() while audio is stopped; publish(), collectGarbage() and withNewest() off the
    audio thread; beginBlock(), the setters and process() on the audio thread. */
class ModelStage
{
public:
    static constexpr double crossfadeSeconds = 0.010;
    /// The loudness "normalise output" levels models to, in dB: Neural Amp Modeler's own target,
    /// so models sit where NAM users expect them.
    static constexpr float normaliseTargetDb = -18.0f;
    /// Longest latency the dry path and the gate line up with: resampling between the most
    /// distant rates (8 kHz models at 768 kHz hosts) stays below it.
    static constexpr int maxLatency = 16384;

    ModelStage();

    /// Rebuilds the newest model for `config` and warms it up; sizes the buffers. Returns why the
    /// model cannot play at these settings (it is dropped), else empty.
    std::string prepare(const HostConfig& config, double sampleRate, double smoothingSeconds);

    /// Hands `runner` to the audio thread if it was built for `config`; false (and nothing is
    /// freed that is in use) otherwise. Off the audio thread.
    bool publish(std::unique_ptr<ModelRunner> runner, const HostConfig& config);

    /// Frees models the audio thread has retired. Off the audio thread.
    void collectGarbage() { runners.collectGarbage(); }

    /// f(newest runner or null), the runner alive while f runs. Off the audio thread.
    template <typename F>
    auto withNewest(F&& f) const
    {
        return runners.withNewest(std::forward<F>(f));
    }

    /// Picks up a newly published model (starting a crossfade) once the last crossfade is over.
    /// Returns true when it picked up the first model, which plays at once, with nothing to
    /// fade from. Audio thread, at the start of every host block.
    bool beginBlock() noexcept TORCHAMP_NONBLOCKING;

    void setKnob(int index, float value01) noexcept TORCHAMP_NONBLOCKING;
    /// When on, a model that states its loudness (ModelSpec::loudnessDb) plays with a gain of
    /// normaliseTargetDb - loudness dB (smoothed); models without it are unchanged.
    void setNormalise(bool shouldNormalise) noexcept TORCHAMP_NONBLOCKING;

    /// The playing model's latency in host samples (0 without one). Audio thread.
    int latencySamples() const noexcept;
    /// The playing model's ModelSpec::inputLevelDbu (NaN without one). Audio thread.
    float inputLevelDbu() const noexcept;

    /// Whether every model playing (and the one fading out) can copy a channel's state to another
    /// (ModelRunner::canCopyChannelState()); true without a model. Audio thread.
    bool canCopyChannelState() const noexcept;
    /// Makes channel `to` of every model playing a copy of channel `from`. Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING;

    /// Replaces n samples of `io` by the model's output. Audio thread.
    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

    /// Updates the counters below from the playing model. Audio thread, after a host block.
    void endBlock() noexcept TORCHAMP_NONBLOCKING;
    std::uint64_t stateResets() const noexcept { return resets.load(std::memory_order_relaxed); }
    std::uint64_t underruns() const noexcept { return lateBlocks.load(std::memory_order_relaxed); }

    /// Offline rendering only, from the thread that calls process(): waits for every engine
    /// that the next process() reads from.
    void waitForEngine() const;

private:
    void updateLevelTrim() noexcept TORCHAMP_NONBLOCKING;

    RealtimeExchange<ModelRunner> runners;
    int fadePosition = 0, fadeLength = 1;
    float knobs[ModelLimits::maxKnobs] = {};
    bool normalise = false;
    SmoothedValue levelTrim{1.0f};
    std::atomic<std::uint64_t> resets{0}, lateBlocks{0};
    std::uint64_t resetsAtPublish = 0, underrunsAtPublish = 0;
    ChannelBlocks wet, faded; // [channel][maxBlockSize]
    std::vector<const float*> inPointers;
};

} // namespace torchamp
