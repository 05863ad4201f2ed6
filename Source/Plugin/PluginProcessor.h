#pragma once

#include "EffectChain.h"
#include "ModelLoadWorker.h"
#include "RealtimeSafety.h"

#include <juce_audio_processors/juce_audio_processors.h>

#include <array>
#include <atomic>
#include <memory>

namespace torchamp
{

/** A knob parameter from the fixed pool whose name follows the loaded model's knob names. */
class ModelKnobParameter : public juce::AudioParameterFloat
{
public:
    ModelKnobParameter(const juce::ParameterID& id, int index);

    /// Message thread: renames the knob (empty: the model has no such knob).
    void setModelKnobName(const juce::String& name);
    juce::String getName(int maximumStringLength) const override;
    bool isInUse() const;

private:
    const int index;
    mutable juce::SpinLock nameLock; // message thread vs host threads asking for names; never the audio thread
    juce::String modelName;
};

/** The TorchAmp plugin: input gain, the neural model (resampled to its own rate when the host runs
    at another), dry/wet mix, output gain, and the host's bypass. All of it is an EffectChain; this
    class wires parameters, state and model loading to it.

    Threads: processBlock() is the audio thread and only runs the chain; models are loaded on
    the ModelLoadWorker's thread; everything else is the message thread unless it says otherwise. */
class TorchAmpProcessor : public juce::AudioProcessor, private juce::AsyncUpdater
{
public:
    /// Parameter IDs. The version number is part of the ID so hosts keep automation across releases.
    struct ParameterIds
    {
        static inline const juce::ParameterID inputGain { "inputGain", 1 };
        static inline const juce::ParameterID outputGain { "outputGain", 1 };
        static inline const juce::ParameterID mix { "mix", 1 };
        static inline const juce::ParameterID bypass { "bypass", 1 };
        static inline const juce::ParameterID normalise { "normalise", 1 };
        static juce::ParameterID knob(int index) { return { "knob" + juce::String(index + 1), 1 }; }
    };
    static constexpr int knobPoolSize = ModelLimits::maxKnobs;
    /// Files beside the plugin's binary that replace the embedded default model, in this order.
    static constexpr const char* bundledModelNames[] = { "DefaultModel.nam", "DefaultModel.json", "DefaultModel.pt" };
    static constexpr int stateVersion = 1;

    TorchAmpProcessor();
    ~TorchAmpProcessor() override;

    void prepareToPlay(double sampleRate, int maximumExpectedSamplesPerBlock) override;
    void releaseResources() override;
    bool isBusesLayoutSupported(const BusesLayout& layouts) const override;

    /// Audio thread: no allocation, lock or system call (checked by the RealtimeSanitizer build).
    void processBlock(juce::AudioBuffer<float>&, juce::MidiBuffer&) noexcept TORCHAMP_NONBLOCKING override;
    void processBlockBypassed(juce::AudioBuffer<float>&, juce::MidiBuffer&) noexcept TORCHAMP_NONBLOCKING override;
    using AudioProcessor::processBlock;
    using AudioProcessor::processBlockBypassed;
    juce::AudioProcessorParameter* getBypassParameter() const override { return bypassParameter; }

    juce::AudioProcessorEditor* createEditor() override;
    bool hasEditor() const override { return true; }

    const juce::String getName() const override { return JucePlugin_Name; }
    bool acceptsMidi() const override { return false; }
    bool producesMidi() const override { return false; }
    bool isMidiEffect() const override { return false; }
    double getTailLengthSeconds() const override { return 0.0; }

    int getNumPrograms() override { return 1; }
    int getCurrentProgram() override { return 0; }
    void setCurrentProgram(int) override {}
    const juce::String getProgramName(int) override { return {}; }
    void changeProgramName(int, const juce::String&) override {}

    /// Parameters, and the model file's bytes so a session opens on a machine without the file.
    void getStateInformation(juce::MemoryBlock& destData) override;
    /// Restores parameters at once and the model on the loader thread; garbage keeps the defaults.
    void setStateInformation(const void* data, int sizeInBytes) override;

    juce::AudioProcessorValueTreeState& parameters() noexcept { return state; }

    /// Starts loading a model file on the loader thread; the current model plays until it is ready.
    void loadModelFile(const juce::File& file);

    /// Plays the current model with another engine (A/B listening): reloads it on the loader thread.
    void setEngineChoice(EngineChoice choice);

    /// Safe mode (on by default): model files whose TorchScript code uses operators outside a small
    /// allow-list are refused. Loading TorchScript runs the file's code inside LibTorch.
    void setSafeMode(bool on) { safeMode = on; }
    bool isSafeMode() const { return safeMode; }

    /// Blocks until no model load is pending (for tests and offline rendering). True when idle.
    bool waitForModelLoads(int timeoutMs = 30000) { return worker.waitUntilIdle(timeoutMs); }

    /// The playing model and the last load's outcome. Any thread but the audio thread.
    ModelStatus modelStatus() const { return worker.status(); }

    bool isResampling() const { return chain.isResampling(); }
    /// Why the audio passes through unprocessed (a host rate outside HostLimits, a model that cannot
    /// be resampled to it); empty while the model plays. Off the audio thread.
    std::string playbackProblem() const { return chain.problem(); }
    /// The rate of the last prepareToPlay(). Off the audio thread.
    double hostSampleRate() const { return chain.config().sampleRate; }

    /// Share of the block's duration spent in processBlock, smoothed; and the output peak. Any thread.
    float cpuLoad() const noexcept { return cpuLoadValue.load(std::memory_order_relaxed); }
    float outputPeak() const noexcept { return outputPeakValue.load(std::memory_order_relaxed); }
    std::uint64_t stateResets() const noexcept { return chain.stateResets(); }
    std::uint64_t underruns() const noexcept { return chain.underruns(); }

private:
    static juce::AudioProcessorValueTreeState::ParameterLayout createParameterLayout();
    /// The state's XML, or null for anything that is not an intact TorchAmp state.
    static std::unique_ptr<juce::XmlElement> parseStateXml(const void* data, int sizeInBytes);
    void sanitiseParameterValues(juce::XmlElement& params) const;
    void handleAsyncUpdate() override;
    /// The model a new instance starts with: the bundle's own (bundledModelNames) when it carries one
    /// and `allowBundled`, else the embedded default.
    ModelLoadWorker::Request defaultModelRequest(EngineChoice engine, bool allowBundled) const;
    void loadDefaultModel();
    void applyModelToParameters(const ModelInfo& info, bool resetKnobsToDefaults);
    void run(juce::AudioBuffer<float>& buffer, bool bypassed) noexcept TORCHAMP_NONBLOCKING;

    EffectChain chain;
    ModelLoadWorker worker { chain };

    juce::AudioProcessorValueTreeState state;
    std::atomic<float>* inputGainDb = nullptr;
    std::atomic<float>* outputGainDb = nullptr;
    std::atomic<float>* mixPercent = nullptr;
    std::atomic<float>* bypassValue = nullptr;
    std::atomic<float>* normaliseValue = nullptr;
    juce::AudioProcessorParameter* bypassParameter = nullptr;
    std::array<std::atomic<float>*, knobPoolSize> knobValues {};
    std::array<ModelKnobParameter*, knobPoolSize> knobParameters {};

    std::atomic<bool> knobDefaultsPending { false };
    std::atomic<EngineChoice> engineChoice { EngineChoice::automatic };
    std::atomic<bool> safeMode { true };
    int shownGeneration = -1;

    double sampleRate = 48000.0;
    std::atomic<float> cpuLoadValue { 0.0f }, outputPeakValue { 0.0f };

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TorchAmpProcessor)
};

} // namespace torchamp
