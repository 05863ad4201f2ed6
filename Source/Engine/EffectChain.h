#pragma once

#include "Bypass.h"
#include "CabinetStage.h"
#include "DryPath.h"
#include "DryWetMix.h"
#include "InputGain.h"
#include "ModelStage.h"
#include "NoiseGate.h"
#include "OutputGain.h"
#include "Parameters.h"
#include "RealtimeSafety.h"
#include "ToneStack.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace torchamp
{

/** The whole signal path, shared by the plugin and torchamp-render:

        input gain -> noise gate -> model -> tone stack -> cabinet IR -> dry/wet mix -> output gain

    and the host's bypass. Each stage is its own class; process() reads as the line above.

    Models and impulse responses are published wait-free (RealtimeExchange): any non-audio thread
    hands over one built for the current HostConfig; the audio thread picks it up at the start of
    a block and crossfades to it; the old one goes back to a non-audio thread to be freed
    (collectGarbage()). The audio thread never allocates, frees, locks or waits.

    Threads: prepare(), publish(), loadImpulseResponse(), setCabinetLatency() and collectGarbage()
    off the audio thread (prepare() while audio is stopped, as hosts guarantee for prepareToPlay);
    process() and the parameter setters on the audio thread (or before processing starts). */
class EffectChain
{
public:
    static constexpr double smoothingSeconds = 0.020;
    static constexpr double crossfadeSeconds = ModelStage::crossfadeSeconds;
    static constexpr int maxKnobs = ModelLimits::maxKnobs;
    static constexpr float normaliseTargetDb = ModelStage::normaliseTargetDb;

    EffectChain();
    ~EffectChain();

    /// Sizes everything for `config` (block size and channels brought within HostLimits) and
    /// rebuilds the active model and impulse response for it. At a rate outside HostLimits the
    /// audio passes through unprocessed until the next prepare(). Returns what the user should
    /// know: empty when the model plays, else why the audio passes through (also given by
    /// problem()). Not real-time safe.
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

    /// Frees models and impulse responses the audio thread has retired. Call periodically off the
    /// audio thread.
    void collectGarbage();

    /// A copy of the spec of the newest model (playing, or about to be picked up). Off the audio thread.
    std::optional<ModelSpec> currentSpec() const;

    /// Whether the newest model is resampled from the host rate. Off the audio thread.
    bool isResampling() const;

    /// Latency in host samples of the newest model and impulse response (playing, or played from
    /// the next block on): what the host should be told. Off the audio thread.
    int latencySamples() const;

    /// Validates `ir`, prepares it for the current settings (resampled to the host's rate,
    /// trimmed, normalised: ImpulseResponse::preparedFor()) and hands it to the audio thread,
    /// which crossfades to it. Returns empty on success, else a message that starts with the
    /// response's name; the playing response then stays. Off the audio thread and off the
    /// message thread (preparing a long response takes a moment).
    std::string loadImpulseResponse(ImpulseResponse ir);
    /// Hands a response built for config() and cabinetLatency() to the audio thread; false (and
    /// it is freed) when it was built for other settings. Off the audio thread.
    bool publishImpulseResponse(std::unique_ptr<CabinetResponse> response);
    /// Crossfades to no impulse response. Off the audio thread.
    void unloadImpulseResponse();
    /// The newest impulse response, or std::nullopt when none is loaded. Off the audio thread.
    std::optional<CabinetInfo> currentImpulseResponse() const;
    /// Why the last impulse response could not play at the host's settings; empty when it plays
    /// (or none is loaded). Off the audio thread.
    std::string impulseResponseProblem() const;

    /// The convolution's trade of latency for CPU (ConvolutionLatency::zero until set).
    ConvolutionLatency cabinetLatency() const;
    /// Rebuilds the loaded impulse response for `latency` and crossfades to it; the chain's
    /// latencySamples() changes with it. Returns empty, or why the response cannot play. Off the
    /// audio thread.
    std::string setCabinetLatency(ConvolutionLatency latency);

    /// Sets a parameter of the catalogue (Parameters.h) in its own units (dB, ms, %, dBu, 0/1),
    /// clamped to its range; a value that is not a number is ignored. Smoothed inside process().
    /// Audio thread (or before processing starts).
    void setParameter(ParameterId id, float value) noexcept TORCHAMP_NONBLOCKING;
    /// setParameter() for every parameter. Audio thread (or before processing starts).
    void setParameters(const ParameterValues& values) noexcept TORCHAMP_NONBLOCKING;

    // Parameter targets of TorchAmp 0.1, smoothed inside process(). Audio thread.
    void setInputGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setOutputGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setMix(float wet01) noexcept TORCHAMP_NONBLOCKING;
    void setKnob(int index, float value01) noexcept TORCHAMP_NONBLOCKING;
    void setBypassed(bool shouldBypass) noexcept TORCHAMP_NONBLOCKING;
    /// When on, a model that states its loudness (ModelSpec::loudnessDb) is played with a gain of
    /// normaliseTargetDb - loudness dB (smoothed); models without it are unchanged.
    void setNormaliseOutput(bool shouldNormalise) noexcept TORCHAMP_NONBLOCKING;

    /// Processes n samples in place; blocks longer than config().maxBlockSize are split. Audio thread.
    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING
    {
        process(io, numChannels, numChannels, n);
    }

    /// The same with fewer input channels than output channels (a mono guitar into a stereo
    /// cabinet): io holds outputChannels buffers, the first inputChannels of them the input. The
    /// stages up to the tone stack play the input channels, so the model runs once for a mono
    /// input; each further output channel then starts from the last input channel's signal (and
    /// dry signal), and the cabinet, mix, output gain and bypass play every output channel. At a
    /// rate TorchAmp does not play, the input is copied out the same way. Audio thread.
    void process(float* const* io, int inputChannels, int outputChannels, int n) noexcept TORCHAMP_NONBLOCKING;

    /// How long channels that parted must carry the same samples and come out of the tone stack
    /// within relinkTolerance of each other before they play linked again.
    static constexpr double relinkSeconds = 1.0;
    /// -120 dBFS: the largest step relinking can make in a channel's output.
    static constexpr float relinkTolerance = 1e-6f;

    /// Linked channels, on unless turned off: from prepare() on, while every input channel carries
    /// the same samples as the first (a mono guitar on a stereo track), the stages up to the tone
    /// stack play the first channel only and the others start from copies of it, so the output is
    /// what playing them all gives at about the cost of mono. The first block whose channels
    /// differ gives every channel the first one's state, and each plays its own input from then
    /// on; once they have carried the same samples and come out within relinkTolerance of each
    /// other for relinkSeconds (and at least the dry path's delay), they link again, the first
    /// channel's state copied to the others. Off, every channel plays through every
    /// stage. Takes effect at the next prepare(); off the audio thread.
    void setChannelLinking(bool shouldLink);
    /// Whether the input channels still play as one (see setChannelLinking()). Any thread.
    bool channelsLinked() const noexcept { return linked.load(std::memory_order_relaxed); }

    /// Offline rendering only, from the thread that calls process(): waits until the active model's
    /// engine has every result the next process() reads (the LibTorch engine's worker).
    void waitForEngine() const;

    /// Late results of the active model's engine since it was published. Any thread.
    std::uint64_t underruns() const noexcept { return model.underruns(); }

    /// Non-finite state resets of the active model since it was published. Any thread.
    std::uint64_t stateResets() const noexcept { return model.stateResets(); }

    /// The noise gate's gain reduction at the end of the last block, in dB (0 when open). Any thread.
    float gateReductionDb() const noexcept { return gateReduction.load(std::memory_order_relaxed); }

private:
    void prepareStages(double rate);
    void setGateOrToneParameter(ParameterId id, float value) noexcept TORCHAMP_NONBLOCKING;
    std::string problemLocked() const;
    void processChunk(float* const* io, int inputChannels, int outputChannels, int n) noexcept TORCHAMP_NONBLOCKING;
    int channelsToPlay(bool inputsSame, int inputChannels) noexcept TORCHAMP_NONBLOCKING;
    void relinkWhenTheyStayTheSame(const float* const* io, bool inputsSame, int inputChannels,
                                   int n) noexcept TORCHAMP_NONBLOCKING;
    void copyFirstChannelState() noexcept TORCHAMP_NONBLOCKING;

    HostConfig hostConfig;
    bool prepared = false;
    bool passThrough = false;         // the host's rate is outside HostLimits
    std::string hostProblem;          // the host's rate, as prepare() found it
    std::string preparedModelProblem; // why prepare() could not rebuild the model; until the next publish
    std::string cabinetProblem;       // why prepare() could not rebuild the impulse response
    ConvolutionLatency cabinetMode = ConvolutionLatency::zero;
    mutable std::mutex controlMutex; // between non-audio threads only; the audio thread never takes it

    bool calibrate = false;
    float interfaceLevelDbu = 12.0f;
    std::atomic<float> gateReduction{0.0f};
    bool linking = true;             // setChannelLinking(), for the next prepare()
    bool linkingOn = false;          // as prepare() found it
    std::atomic<bool> linked{false}; // written by prepare() and the audio thread
    long sameSamples = 0;            // parted channels: how long they have been the same
    long relinkSamples = 0;

    DryPath dryPath;
    InputGain inputGain;
    NoiseGate noiseGate;
    ModelStage model;
    ToneStack toneStack;
    CabinetStage cabinet;
    DryWetMix mix;
    OutputGain outputGain;
    Bypass bypass;
};

} // namespace torchamp
