#include "PluginProcessor.h"

#include "EmbeddedResources.h"

namespace torchamp
{

namespace
{
constexpr double smoothingSeconds = 0.02;
}

TorchAmpProcessor::TorchAmpProcessor()
    : AudioProcessor(BusesProperties()
                         .withInput("Input", juce::AudioChannelSet::stereo(), true)
                         .withOutput("Output", juce::AudioChannelSet::stereo(), true)),
      state(*this, nullptr, "TorchAmp", createParameterLayout())
{
    inputGainDb = state.getRawParameterValue(ParameterIds::inputGain.getParamID());
    outputGainDb = state.getRawParameterValue(ParameterIds::outputGain.getParamID());
    mixPercent = state.getRawParameterValue(ParameterIds::mix.getParamID());
    for (int k = 0; k < knobPoolSize; ++k)
        knobValues[static_cast<size_t>(k)] = state.getRawParameterValue(ParameterIds::knob(k).getParamID());

    // The embedded default model is part of the build and checked by the tests, so failing here
    // means a broken build, not a user error.
    auto loaded = loadModel(resources::defaultModelBytes(), resources::defaultModelName);
    jassert(loaded.ok());
    if (loaded)
    {
        model = std::move(*loaded);
        network = std::make_unique<RecurrentNetwork>(model.spec);
        for (int k = 0; k < model.spec.numKnobs() && k < knobPoolSize; ++k)
            if (auto* p = state.getParameter(ParameterIds::knob(k).getParamID()))
                p->setValueNotifyingHost(model.spec.knobDefaults[static_cast<size_t>(k)]);
    }
}

TorchAmpProcessor::~TorchAmpProcessor() = default;

juce::AudioProcessorValueTreeState::ParameterLayout TorchAmpProcessor::createParameterLayout()
{
    using namespace juce;
    AudioProcessorValueTreeState::ParameterLayout layout;
    auto db = [](float v, int) { return String(v, 1) + " dB"; };
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::inputGain, "Input", NormalisableRange<float>(-24.0f, 24.0f, 0.1f),
                                                     0.0f, AudioParameterFloatAttributes().withLabel("dB").withStringFromValueFunction(db)));
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::outputGain, "Output", NormalisableRange<float>(-24.0f, 24.0f, 0.1f),
                                                     0.0f, AudioParameterFloatAttributes().withLabel("dB").withStringFromValueFunction(db)));
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::mix, "Mix", NormalisableRange<float>(0.0f, 100.0f, 0.1f), 100.0f,
                                                     AudioParameterFloatAttributes().withLabel("%")));
    for (int k = 0; k < knobPoolSize; ++k)
        layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::knob(k), "Knob " + String(k + 1),
                                                         NormalisableRange<float>(0.0f, 1.0f), 0.5f));
    return layout;
}

void TorchAmpProcessor::prepareToPlay(double sampleRate, int maximumExpectedSamplesPerBlock)
{
    const int channels = std::max(getTotalNumInputChannels(), getTotalNumOutputChannels());
    dryBuffer.setSize(channels, std::max(1, maximumExpectedSamplesPerBlock));
    inputGain.reset(sampleRate, smoothingSeconds);
    outputGain.reset(sampleRate, smoothingSeconds);
    mix.reset(sampleRate, smoothingSeconds);
    inputGain.setCurrentAndTargetValue(juce::Decibels::decibelsToGain(inputGainDb->load()));
    outputGain.setCurrentAndTargetValue(juce::Decibels::decibelsToGain(outputGainDb->load()));
    mix.setCurrentAndTargetValue(mixPercent->load() / 100.0f);

    if (network)
    {
        network->prepare(channels);
        // Warm-up: run silence through the engine so caches are hot and the state has settled on
        // the model's idle point before the first real block.
        auto& warm = dryBuffer;
        warm.clear();
        for (int i = 0; i < 4; ++i)
            network->process(warm.getArrayOfReadPointers(), warm.getArrayOfWritePointers(), channels, warm.getNumSamples());
        network->reset();
    }
}

void TorchAmpProcessor::releaseResources() {}

bool TorchAmpProcessor::isBusesLayoutSupported(const BusesLayout& layouts) const
{
    const auto in = layouts.getMainInputChannelSet();
    const auto out = layouts.getMainOutputChannelSet();
    return in == out && (out == juce::AudioChannelSet::mono() || out == juce::AudioChannelSet::stereo());
}

void TorchAmpProcessor::processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&) noexcept
{
    juce::ScopedNoDenormals noDenormals;
    const int channels = std::min(buffer.getNumChannels(), dryBuffer.getNumChannels());
    const int total = buffer.getNumSamples();

    inputGain.setTargetValue(juce::Decibels::decibelsToGain(inputGainDb->load()));
    outputGain.setTargetValue(juce::Decibels::decibelsToGain(outputGainDb->load()));
    mix.setTargetValue(mixPercent->load() / 100.0f);
    if (network)
        for (int k = 0; k < network->numKnobs(); ++k)
            network->setKnob(k, knobValues[static_cast<size_t>(k)]->load());

    // A host block larger than announced is processed in chunks of the prepared size.
    const int chunk = dryBuffer.getNumSamples();
    for (int start = 0; start < total; start += chunk)
    {
        const int n = std::min(chunk, total - start);
        float* const* io = buffer.getArrayOfWritePointers();
        for (int ch = 0; ch < channels; ++ch)
            dryBuffer.copyFrom(ch, 0, buffer, ch, start, n);

        for (int i = 0; i < n; ++i)
        {
            const float g = inputGain.getNextValue();
            for (int ch = 0; ch < channels; ++ch)
                io[ch][start + i] *= g;
        }

        if (network)
        {
            std::array<float*, 2> ptrs {};
            for (int ch = 0; ch < channels && ch < 2; ++ch)
                ptrs[static_cast<size_t>(ch)] = io[ch] + start;
            network->process(ptrs.data(), ptrs.data(), std::min(channels, 2), n);
        }

        for (int i = 0; i < n; ++i)
        {
            const float wet = mix.getNextValue();
            const float g = outputGain.getNextValue();
            for (int ch = 0; ch < channels; ++ch)
                io[ch][start + i] = g * (wet * io[ch][start + i] + (1.0f - wet) * dryBuffer.getSample(ch, i));
        }
    }
    for (int ch = channels; ch < buffer.getNumChannels(); ++ch)
        buffer.clear(ch, 0, total);
}

juce::AudioProcessorEditor* TorchAmpProcessor::createEditor()
{
    return new juce::GenericAudioProcessorEditor(*this);
}

void TorchAmpProcessor::getStateInformation(juce::MemoryBlock& destData)
{
    if (auto xml = state.copyState().createXml())
        copyXmlToBinary(*xml, destData);
}

void TorchAmpProcessor::setStateInformation(const void* data, int sizeInBytes)
{
    if (auto xml = getXmlFromBinary(data, sizeInBytes))
        if (xml->hasTagName(state.state.getType()))
            state.replaceState(juce::ValueTree::fromXml(*xml));
}

} // namespace torchamp

juce::AudioProcessor* JUCE_CALLTYPE createPluginFilter()
{
    return new torchamp::TorchAmpProcessor();
}
