#pragma once

#include "EffectChain.h"
#include "ImpulseResponseLoader.h"
#include "JobThread.h"
#include "ModelLibrary.h"
#include "ModelLoadWorker.h"
#include "Preset.h"
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
    /// `info` is the knob's catalogue entry (knob1 + index).
    ModelKnobParameter(const ParameterInfo& info, int index);

    /// Message thread: renames the knob (empty: the model has no such knob).
    void setModelKnobName(const juce::String& name);
    juce::String getName(int maximumStringLength) const override;
    bool isInUse() const;

private:
    const int index;
    mutable juce::SpinLock
        nameLock; // message thread vs host threads asking for names; never the audio thread
    juce::String modelName;
};

/** The TorchAmp plugin: the whole chain (input gain and calibration, noise gate, the neural model
    resampled to its own rate when the host runs at another, tone stack, cabinet impulse response,
    dry/wet mix, output gain, the host's bypass), all of it an EffectChain; this class wires the
    parameters (every entry of the catalogue, Parameters.h), the session state, user presets and
    the loading of models and impulse responses to it.

    Threads: processBlock() is the audio thread and only runs the chain; models are loaded on the
    ModelLoadWorker's thread, impulse responses and presets on a JobThread; everything else is the
    message thread unless it says otherwise. */
class TorchAmpProcessor : public juce::AudioProcessor, private juce::AsyncUpdater
{
public:
    static constexpr int knobPoolSize = ModelLimits::maxKnobs;
    /// Files beside the plugin's binary that replace the embedded default model, in this order.
    static constexpr const char* bundledModelNames[] = {"DefaultModel.nam", "DefaultModel.json",
                                                        "DefaultModel.pt"};
    /// A preset beside the plugin's binary that every new instance starts from (its model, impulse
    /// response and parameters): a capture, a cabinet and settings shipped as a plugin of their own.
    static constexpr const char* bundledPresetName = "DefaultPreset.json";
    /// 2: every parameter of the catalogue, the impulse response and the cabinet's latency mode.
    /// Version 1 sessions (the first thirteen parameters, a model) load with the rest at defaults.
    static constexpr int stateVersion = 2;

    /// The host's ID of a catalogue parameter: its key and the version that introduced it.
    static juce::ParameterID hostId(ParameterId id);

    TorchAmpProcessor();
    ~TorchAmpProcessor() override;

    void prepareToPlay(double sampleRate, int maximumExpectedSamplesPerBlock) override;
    void releaseResources() override;
    bool isBusesLayoutSupported(const BusesLayout& layouts) const override;

    /// Audio thread: no allocation, lock or system call (checked by the RealtimeSanitizer build).
    void processBlock(juce::AudioBuffer<float>&, juce::MidiBuffer&) noexcept TORCHAMP_NONBLOCKING override;
    void processBlockBypassed(juce::AudioBuffer<float>&,
                              juce::MidiBuffer&) noexcept TORCHAMP_NONBLOCKING override;
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
    /// The host parameter of a catalogue entry. Any thread.
    juce::RangedAudioParameter& parameter(ParameterId id) const noexcept
    {
        return *hostParameters[static_cast<size_t>(id)];
    }
    /// A parameter's value in its own units (dB, ms, %, dBu, 0/1). Any thread.
    float parameterValue(ParameterId id) const noexcept
    {
        return rawValues[static_cast<size_t>(id)]->load(std::memory_order_relaxed);
    }

    /// Starts loading a model file on the loader thread; the current model plays until it is ready.
    void loadModelFile(const juce::File& file);

    /// Plays the current model with another engine (A/B listening): reloads it on the loader thread.
    void setEngineChoice(EngineChoice choice);

    /// Safe mode (on by default): model files whose TorchScript code uses operators outside a small
    /// allow-list are refused. Loading TorchScript runs the file's code inside LibTorch.
    void setSafeMode(bool on) { safeMode = on; }
    bool isSafeMode() const { return safeMode; }

    /// Blocks until no model, impulse response or preset load is pending (for tests and offline
    /// rendering). True when idle.
    bool waitForModelLoads(int timeoutMs = 30000);

    /// Starts loading an impulse response file (WAV, AIFF, FLAC) off the message thread; the
    /// current response plays until it is ready, then crossfades to it.
    void loadImpulseResponseFile(const juce::File& file);
    /// Switches to the built-in cabinet, or to no impulse response (CabinetSource::file: use
    /// loadImpulseResponseFile()).
    void setCabinetSource(CabinetSource source);
    /// The impulse response playing and the last load's outcome. Any thread but the audio thread.
    CabinetStatus cabinetStatus() const { return cabinetLoader.status(); }
    /// What the cabinet plays at the host's rate, or std::nullopt without a response. Off the audio thread.
    std::optional<CabinetInfo> cabinetInfo() const { return chain.currentImpulseResponse(); }
    /// Trades the cabinet's latency for CPU (rebuilt off the message thread; the host is told the
    /// new latency).
    void setCabinetLatency(ConvolutionLatency latency);
    /// The cabinet's latency mode. Any thread but the audio thread.
    ConvolutionLatency cabinetLatency() const { return chain.cabinetLatency(); }

    /// Opens a file by what it is, as a drop on the editor or the library does: an impulse response
    /// (by its extension), a preset (a JSON file that says so: looksLikePreset()) or a model. The
    /// file is read off the message thread.
    void openFile(const juce::File& file);
    /// Starts loading a preset (Preset.h: model, impulse response, parameters) off the message thread.
    void loadPresetFile(const juce::File& file);
    /// Starts saving the model, the impulse response, the cabinet's latency and every parameter as
    /// a preset; `embedFiles` puts the model and impulse response files inside it so it travels.
    void savePresetFile(const juce::File& file, bool embedFiles);
    /// What the last preset load or save did ("Loaded Crunch.json"), or why it failed. Any thread.
    std::string presetMessage() const;
    /// The preset of what plays now. Off the audio thread and, with `embedFiles`, off the message
    /// thread (files are read when they are no longer in memory).
    Preset currentPreset(const std::string& name, bool embedFiles) const;
    /// Applies `preset` (read from `presetPath`, for its relative paths): model and impulse
    /// response loaded, then every parameter set (those it does not state to their defaults, knobs
    /// to the model's). Blocks until done; returns empty or what went wrong. Off the message and
    /// audio threads (the constructor applies a bundle's DefaultPreset.json with it).
    std::string applyPreset(const Preset& preset, const std::string& presetPath);

    /// The model library (a folder of models, impulse responses and presets), scanned off the
    /// message thread. Message thread.
    ModelLibrary& library();

    /// The playing model and the last load's outcome. Any thread but the audio thread.
    ModelStatus modelStatus() const { return worker.status(); }

    /// The noise gate's gain reduction in dB (0 when open). Any thread.
    float gateReductionDb() const noexcept { return chain.gateReductionDb(); }
    /// The gain input calibration adds with the current parameters and the playing model's input
    /// level (InputGain::calibrationDb()). Any thread but the audio thread.
    float calibrationGainDb() const;

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
    void writeModelState(juce::XmlElement& root) const;
    void writeCabinetState(juce::XmlElement& root) const;
    void restoreModel(const juce::XmlElement* model);
    void restoreCabinet(const juce::XmlElement* cabinet);
    void handleAsyncUpdate() override;
    /// The model a new instance starts with: the bundle's own (bundledModelNames) when it carries one
    /// and `allowBundled`, else the embedded default.
    ModelLoadWorker::Request defaultModelRequest(EngineChoice engine, bool allowBundled) const;
    void loadDefaultModel();
    void applyBundledPreset();
    std::string applyPresetWith(const Preset& preset, const std::string& presetPath,
                                bool compareWithLibTorch);
    std::string loadPresetModel(const Preset& preset, const std::string& presetPath,
                                bool compareWithLibTorch);
    std::string loadPresetCabinet(const Preset& preset, const std::string& presetPath);
    void setParametersFromPreset(const Preset& preset);
    void setPresetMessage(const std::string& message);
    void applyPresetFile(const std::string& path, Result<Preset> preset);
    void applyModelToParameters(const ModelInfo& info, bool resetKnobsToDefaults);
    void run(juce::AudioBuffer<float>& buffer, bool bypassed) noexcept TORCHAMP_NONBLOCKING;

    EffectChain chain;
    ModelLoadWorker worker{chain};
    ImpulseResponseLoader cabinetLoader{chain};

    juce::AudioProcessorValueTreeState state;
    std::array<std::atomic<float>*, parameterCount> rawValues{};
    std::array<juce::RangedAudioParameter*, parameterCount> hostParameters{};
    juce::AudioProcessorParameter* bypassParameter = nullptr;
    std::array<ModelKnobParameter*, knobPoolSize> knobParameters{};

    std::atomic<bool> knobDefaultsPending{false};
    std::atomic<EngineChoice> engineChoice{EngineChoice::automatic};
    std::atomic<bool> safeMode{true};
    int shownGeneration = -1, shownCabinetGeneration = -1, shownLatency = 0;

    mutable std::mutex presetMutex;
    std::string lastPresetMessage;
    std::unique_ptr<ModelLibrary> modelLibrary;

    double sampleRate = 48000.0;
    std::atomic<float> cpuLoadValue{0.0f}, outputPeakValue{0.0f};

    // Last: stopped (its running job finished) before anything a job uses is destroyed.
    JobThread jobs;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TorchAmpProcessor)
};

} // namespace torchamp
