#pragma once

#include "ChannelBlocks.h"
#include "InferenceEngine.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"
#include "Resampler.h"

#include <functional>
#include <string>
#include <memory>
#include <vector>

namespace torchamp
{

/** Where a ModelRunner plays: the host's rate, largest block and channel count. */
struct HostConfig
{
    double sampleRate = 48000.0;
    int maxBlockSize = 512;
    int numChannels = 2;

    /// The configuration buffers are sized for when a host announces this one: block size and
    /// channel count brought within HostLimits (the rate is kept as announced; see problem()).
    HostConfig prepared() const noexcept
    {
        return { sampleRate, HostLimits::preparedBlockSize(maxBlockSize), HostLimits::preparedChannels(numChannels) };
    }
    /// Empty when TorchAmp can play at this configuration's rate, else why not.
    std::string problem() const { return HostLimits::describeUnsupportedSampleRate(sampleRate, "the host"); }

    bool operator==(const HostConfig& o) const noexcept
    {
        // A host that announced NaN keeps announcing the same configuration.
        const bool sameRate = sampleRate == o.sampleRate || (sampleRate != sampleRate && o.sampleRate != o.sampleRate);
        return sameRate && maxBlockSize == o.maxBlockSize && numChannels == o.numChannels;
    }
    bool operator!=(const HostConfig& o) const noexcept { return !(*this == o); }
};

/** One model ready to play at a host's rate: the native engine at the model's own sample rate,
    with band-limited resampling from the host rate and back when they differ, and a fixed,
    whole-sample latency. At a host rate TorchAmp does not support, or one it cannot resample the
    model to, the runner passes its input through and problem() says why; rebuildFor() a supported
    configuration plays the model again.

    Threads: built (and warmed up) off the audio thread; process(), reset() and setKnob() are
    real-time safe. */
class ModelRunner
{
public:
    /// Makes the engine for a model; empty means the native engine built from the spec.
    using EngineFactory = std::function<std::unique_ptr<InferenceEngine>()>;

    /// Builds the resamplers for `config` (its block size and channel count brought within
    /// HostLimits) and the engine from `makeEngine` (the native engine built from `spec` when
    /// empty), and prepares it. Throws std::invalid_argument on a bad spec and std::runtime_error
    /// when the engine cannot run.
    ModelRunner(const ModelSpec& spec, const HostConfig& config, EngineFactory makeEngine = {});

    /// The same model with the same kind of engine, for another configuration. Not real-time safe.
    std::unique_ptr<ModelRunner> rebuildFor(const HostConfig& config) const;

    /// Rounds a model-rate block size up so that the block lasts a whole number of host samples
    /// too; an engine whose latency is one such block keeps the total latency whole.
    static int alignedModelBlock(int modelBlock, int modelRate, double hostRate);

    /// Largest block the engine gets, in model-rate samples, for `config`.
    static int maxModelBlock(const ModelSpec& spec, const HostConfig& config);

    const char* engineName() const noexcept { return engine->name(); }
    /// Empty when the model plays; else why the runner passes audio through (the host's rate).
    const std::string& problem() const noexcept { return unplayable; }
    std::uint64_t underruns() const noexcept { return engine->underruns(); }
    /// See InferenceEngine::waitUntilCaughtUp(). Offline rendering only.
    void waitForEngine() const { engine->waitUntilCaughtUp(); }

    const ModelSpec& spec() const noexcept { return modelSpec; }
    const HostConfig& config() const noexcept { return hostConfig; }

    /// True when the host rate differs from the model's and the signal is resampled.
    bool isResampling() const noexcept { return resampling; }

    /// Delay of the output relative to the input, in host samples.
    int latencySamples() const noexcept { return latency; }

    /// How long warmUp() plays silence at least.
    static constexpr double warmUpSeconds = 0.1;
    /// Host samples of silence warmUp() plays: warmUpSeconds, or the engine's own need
    /// (InferenceEngine::warmUpSamples(): a WaveNet's receptive field) when that is longer.
    int warmUpSamples() const noexcept;

    /// Plays warmUpSamples() of silence through the whole path so caches are warm, the first real
    /// block costs what any other does, and the model's state rests at its idle point (where a
    /// host's pre-roll of silence would leave it) instead of jumping there audibly on the first
    /// note. Not real-time safe (used after construction and in prepare).
    void warmUp();

    /// Back to zero state everywhere, as freshly built: what LibTorch's forward() starts from. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING { engine->setKnob(index, value); }

    /// Whether copyChannelState() copies the engine's state too (InferenceEngine::canCopyChannelState()).
    bool canCopyChannelState() const noexcept { return engine->canCopyChannelState(); }
    /// Makes channel `to` (resamplers, output FIFO and, where it can, the engine's state) a copy
    /// of channel `from`; channels outside the configured count are ignored. Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING;
    std::uint64_t stateResets() const noexcept { return engine->stateResets(); }

    /// Processes n host samples (n <= config().maxBlockSize) of numChannels channels (at most the
    /// configured count). Audio thread.
    void process(const float* const* in, float* const* out, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

private:
    static std::string describeUnplayable(const ModelSpec& spec, const HostConfig& config);
    void prepareResamplers(int hostRate, int modelBlock);

    struct ChannelBuffers
    {
        Resampler toModel, toHost;
        std::vector<float> fifo; // host-rate output waiting to be read
        int fifoFill = 0;
    };

    ModelSpec modelSpec;
    HostConfig hostConfig;
    EngineFactory engineFactory;
    std::string unplayable;
    std::unique_ptr<InferenceEngine> engine;
    bool resampling = false;
    int latency = 0;
    std::vector<ChannelBuffers> channels;
    ChannelBlocks modelIn, modelOut; // scratch, [channel][model-rate block]
    std::vector<float> hostOut;
};

} // namespace torchamp
