#pragma once

#include "ModelRunner.h"
#include "RealtimeSafety.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace torchamp
{

/** The whole signal path, shared by the plugin and torchamp-render: input gain, the model (with
    resampling to its rate), dry/wet mix with the dry path delayed to line up, output gain.

    Models are published wait-free: any non-audio thread hands over a ModelRunner built for the
    current HostConfig; the audio thread picks it up at the start of a block and crossfades from the
    old model to the new one; the old runner goes back to a non-audio thread to be freed
    (collectGarbage()). The audio thread never allocates, frees, locks or waits.

    Threads: prepare(), publish(), collectGarbage() off the audio thread (prepare() while audio is
    stopped, as hosts guarantee for prepareToPlay); process() and the setters on the audio thread. */
class EffectChain
{
public:
    static constexpr double crossfadeSeconds = 0.010;
    static constexpr double smoothingSeconds = 0.020;
    static constexpr int maxKnobs = ModelLimits::maxKnobs;
    /// The loudness "normalise output" levels models to, in dB: Neural Amp Modeler's own target,
    /// so models sit where NAM users expect them.
    static constexpr float normaliseTargetDb = -18.0f;

    EffectChain();
    ~EffectChain();

    /// Sizes everything for `config` (block size and channels brought within HostLimits) and
    /// rebuilds the active model for it. At a rate outside HostLimits the audio passes through
    /// unprocessed until the next prepare(). Returns what the user should know: empty when the
    /// model plays, else why the audio passes through (also given by problem()). Not real-time safe.
    std::string prepare(const HostConfig& config);
    /// The configuration of the last prepare(); build published ModelRunners for it. Off the audio thread.
    HostConfig config() const;

    /// Hands a new model to the audio thread, wait-free. A model published before the previous one
    /// was picked up replaces it (the older is freed here). Any thread but the audio thread.
    /// Returns false (and frees nothing that is in use) if `runner` was built for another config.
    bool publish(std::unique_ptr<ModelRunner> runner);

    /// Why the audio passes through unprocessed (the host's rate, or the newest model cannot play
    /// at it); empty when it plays. Off the audio thread.
    std::string problem() const;

    /// Frees models the audio thread has retired. Call periodically off the audio thread.
    void collectGarbage();

    /// A copy of the spec of the newest model (playing, or about to be picked up). Off the audio thread.
    std::optional<ModelSpec> currentSpec() const;

    /// Whether the newest model is resampled from the host rate. Off the audio thread.
    bool isResampling() const;

    /// Latency in host samples of the newest model (playing, or played from the next block on):
    /// what the host should be told. Off the audio thread.
    int latencySamples() const;

    // Parameter targets, smoothed inside process(). Audio thread (or before processing starts).
    void setInputGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setOutputGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setMix(float wet01) noexcept TORCHAMP_NONBLOCKING;
    void setKnob(int index, float value01) noexcept TORCHAMP_NONBLOCKING;
    void setBypassed(bool shouldBypass) noexcept TORCHAMP_NONBLOCKING;
    /// When on, a model that states its loudness (ModelSpec::loudnessDb) is played with a gain of
    /// normaliseTargetDb - loudness dB (smoothed); models without it are unchanged.
    void setNormaliseOutput(bool shouldNormalise) noexcept TORCHAMP_NONBLOCKING;

    /// Processes n samples in place; blocks longer than config().maxBlockSize are split. Audio thread.
    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

    /// Offline rendering only, from the thread that calls process(): waits until the active model's
    /// engine has every result the next process() reads (the LibTorch engine's worker).
    void waitForEngine() const;

    /// Late results of the active model's engine since it was published. Any thread.
    std::uint64_t underruns() const noexcept { return lateBlocks.load(std::memory_order_relaxed); }

    /// Non-finite state resets of the active model since it was published. Any thread.
    std::uint64_t stateResets() const noexcept { return resets.load(std::memory_order_relaxed); }

private:
    struct Smoothed
    {
        float current = 0.0f, target = 0.0f, step = 0.0f;
        int remaining = 0, length = 1;
        void setTarget(float t) noexcept TORCHAMP_NONBLOCKING;
        float next() noexcept TORCHAMP_NONBLOCKING;
        void snap() noexcept { current = target, remaining = 0; }
    };

    void allocateBuffers();
    std::string problemLocked() const;
    void processChunk(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;
    void pickUpPublishedModel() noexcept TORCHAMP_NONBLOCKING;
    void retire(ModelRunner*& runner) noexcept TORCHAMP_NONBLOCKING;

    HostConfig hostConfig;
    bool passThrough = false; // the host's rate is outside HostLimits
    std::string hostProblem;  // the host's rate, as prepare() found it
    std::string preparedModelProblem; // why prepare() could not rebuild the model; until the next publish
    mutable std::mutex controlMutex; // between non-audio threads only; the audio thread never takes it

    std::atomic<ModelRunner*> pending { nullptr }; // published, not yet picked up
    std::atomic<ModelRunner*> retired { nullptr }; // done with, to be freed off the audio thread
    std::atomic<ModelRunner*> shown { nullptr };   // the newest model, for currentSpec()
    ModelRunner* active = nullptr;                 // audio thread's
    ModelRunner* fading = nullptr;                 // audio thread's: the previous model, fading out
    int fadePosition = 0, fadeLength = 1;

    std::atomic<int> latency { 0 }; // the active model's, for the dry path
    std::atomic<std::uint64_t> resets { 0 };
    std::uint64_t resetsAtPublish = 0;
    std::atomic<std::uint64_t> lateBlocks { 0 };
    std::uint64_t underrunsAtPublish = 0;

    Smoothed inputGain, outputGain, mix, bypassMix, levelTrim;
    bool normalise = false;
    float knobs[maxKnobs] = {};

    // Dry path: delayed by the active model's latency so dry and wet line up in the mix.
    std::vector<std::vector<float>> dryDelay; // [channel][delay capacity]
    int dryWrite = 0;
    std::vector<std::vector<float>> dry, wet, faded; // [channel][maxBlockSize]
    std::vector<const float*> readPointers;
    std::vector<float*> wetPointers, fadedPointers;
};

} // namespace torchamp
