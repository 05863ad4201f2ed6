#pragma once

#include "ModelLoader.h"
#include "RealtimeSafety.h"
#include "RecurrentNetwork.h"

#include <juce_audio_processors/juce_audio_processors.h>

#include <memory>

namespace torchamp
{

/** The TorchAmp plugin: input gain, the neural model, dry/wet mix and output gain.

    The model is built and warmed off the audio thread; processBlock() only runs the preallocated
    native engine. */
class TorchAmpProcessor : public juce::AudioProcessor
{
public:
    /// Parameter IDs. The version number is part of the ID so hosts keep automation across releases.
    struct ParameterIds
    {
        static inline const juce::ParameterID inputGain { "inputGain", 1 };
        static inline const juce::ParameterID outputGain { "outputGain", 1 };
        static inline const juce::ParameterID mix { "mix", 1 };
        static juce::ParameterID knob(int index) { return { "knob" + juce::String(index + 1), 1 }; }
    };
    static constexpr int knobPoolSize = ModelLimits::maxKnobs;

    TorchAmpProcessor();
    ~TorchAmpProcessor() override;

    void prepareToPlay(double sampleRate, int maximumExpectedSamplesPerBlock) override;
    void releaseResources() override;
    bool isBusesLayoutSupported(const BusesLayout& layouts) const override;
    /// Audio thread: no allocation, lock or system call (checked by the RealtimeSanitizer build).
    void processBlock(juce::AudioBuffer<float>&, juce::MidiBuffer&) noexcept TORCHAMP_NONBLOCKING override;
    using AudioProcessor::processBlock;

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

    void getStateInformation(juce::MemoryBlock& destData) override;
    void setStateInformation(const void* data, int sizeInBytes) override;

    juce::AudioProcessorValueTreeState& parameters() noexcept { return state; }

    /// The active model's spec (name, architecture, knobs). Message thread.
    const ModelSpec& modelSpec() const noexcept { return model.spec; }

private:
    static juce::AudioProcessorValueTreeState::ParameterLayout createParameterLayout();

    juce::AudioProcessorValueTreeState state;
    std::atomic<float>* inputGainDb = nullptr;
    std::atomic<float>* outputGainDb = nullptr;
    std::atomic<float>* mixPercent = nullptr;
    std::array<std::atomic<float>*, knobPoolSize> knobValues {};

    LoadedModel model;
    std::unique_ptr<RecurrentNetwork> network;

    juce::SmoothedValue<float, juce::ValueSmoothingTypes::Multiplicative> inputGain { 1.0f }, outputGain { 1.0f };
    juce::SmoothedValue<float> mix { 1.0f };
    juce::AudioBuffer<float> dryBuffer;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TorchAmpProcessor)
};

} // namespace torchamp
