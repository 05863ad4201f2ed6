#include "PluginProcessor.h"

#include "BinaryFolder.h"
#include "EmbeddedResources.h"
#include "PluginEditor.h"

namespace torchamp
{

ModelKnobParameter::ModelKnobParameter(const juce::ParameterID& id, int i)
    : juce::AudioParameterFloat(id, "Knob " + juce::String(i + 1), juce::NormalisableRange<float>(0.0f, 1.0f), 0.5f,
                                juce::AudioParameterFloatAttributes().withStringFromValueFunction(
                                    [](float v, int) { return juce::String(v, 2); })),
      index(i)
{
}

void ModelKnobParameter::setModelKnobName(const juce::String& name)
{
    const juce::SpinLock::ScopedLockType lock(nameLock);
    modelName = name;
}

juce::String ModelKnobParameter::getName(int maximumStringLength) const
{
    juce::String name;
    {
        const juce::SpinLock::ScopedLockType lock(nameLock);
        name = modelName.isNotEmpty() ? modelName : "(unused) Knob " + juce::String(index + 1);
    }
    return maximumStringLength > 0 ? name.substring(0, maximumStringLength) : name;
}

bool ModelKnobParameter::isInUse() const
{
    const juce::SpinLock::ScopedLockType lock(nameLock);
    return modelName.isNotEmpty();
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
    bypassValue = state.getRawParameterValue(ParameterIds::bypass.getParamID());
    normaliseValue = state.getRawParameterValue(ParameterIds::normalise.getParamID());
    bypassParameter = state.getParameter(ParameterIds::bypass.getParamID());
    for (int k = 0; k < knobPoolSize; ++k)
    {
        knobValues[static_cast<size_t>(k)] = state.getRawParameterValue(ParameterIds::knob(k).getParamID());
        knobParameters[static_cast<size_t>(k)] =
            dynamic_cast<ModelKnobParameter*>(state.getParameter(ParameterIds::knob(k).getParamID()));
    }

    // The default model plays from construction: read natively from the embedded file here, on
    // the host's thread, before any host call (no LibTorch); later models come through the
    // worker's thread. The tests prove the embedded model loads and matches LibTorch.
    loadDefaultModel();
    const auto status = worker.status();
    if (status.info != nullptr)
        applyModelToParameters(*status.info, true);
    shownGeneration = status.generation;
    worker.onLoadFinished = [this] {
        // Knob names and defaults follow the new model at once (parameters are thread-safe); the
        // host hears of new names and latency on the message thread.
        const auto latest = worker.status();
        if (latest.lastError.empty() && latest.info != nullptr)
            applyModelToParameters(*latest.info, knobDefaultsPending.exchange(false));
        triggerAsyncUpdate();
    };
}

TorchAmpProcessor::~TorchAmpProcessor()
{
    worker.onLoadFinished = nullptr;
    cancelPendingUpdate();
}

juce::AudioProcessorValueTreeState::ParameterLayout TorchAmpProcessor::createParameterLayout()
{
    using namespace juce;
    AudioProcessorValueTreeState::ParameterLayout layout;
    auto db = [](float v, int) { return String(v, 1) + " dB"; };
    const auto gainRange = NormalisableRange<float>(-24.0f, 24.0f, 0.1f);
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::inputGain, "Input", gainRange, 0.0f,
                                                     AudioParameterFloatAttributes().withLabel("dB").withStringFromValueFunction(db)));
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::outputGain, "Output", gainRange, 0.0f,
                                                     AudioParameterFloatAttributes().withLabel("dB").withStringFromValueFunction(db)));
    layout.add(std::make_unique<AudioParameterFloat>(ParameterIds::mix, "Mix", NormalisableRange<float>(0.0f, 100.0f, 0.1f), 100.0f,
                                                     AudioParameterFloatAttributes().withLabel("%").withStringFromValueFunction(
                                                         [](float v, int) { return String(v, 0) + " %"; })));
    layout.add(std::make_unique<AudioParameterBool>(ParameterIds::bypass, "Bypass", false));
    // Levels models that state their loudness (NAM files) to EffectChain::normaliseTargetDb.
    layout.add(std::make_unique<AudioParameterBool>(ParameterIds::normalise, "Normalise output", false));
    for (int k = 0; k < knobPoolSize; ++k)
        layout.add(std::make_unique<ModelKnobParameter>(ParameterIds::knob(k), k));
    return layout;
}

ModelLoadWorker::Request TorchAmpProcessor::defaultModelRequest(EngineChoice engine, bool allowBundled) const
{
    ModelLoadWorker::Request r;
    r.isDefault = true;
    r.engine = engine;
    r.safeMode = safeMode.load();
    r.checkAgainstLibTorch = false;
    // A bundle may carry its own default model beside the plugin's binary: a capture shipped as
    // a plugin of its own.
    const auto folder = folderOfThisBinary();
    for (const char* name : bundledModelNames)
        if (allowBundled && !folder.empty() && juce::File(folder + name).existsAsFile())
        {
            r.path = folder + name;
            r.displayName = name;
            r.readFromPath = true;
            return r;
        }
    r.bytes = resources::defaultModelBytes();
    r.displayName = resources::defaultModelName;
    return r;
}

void TorchAmpProcessor::loadDefaultModel()
{
    if (worker.loadNow(defaultModelRequest(EngineChoice::automatic, true)))
        return;
    // The bundle's own model could not be read or played: the embedded one plays, and the editor says why.
    const auto why = worker.status().lastError;
    worker.loadNow(defaultModelRequest(EngineChoice::automatic, false));
    worker.reportFailure(why + "; the built-in default model plays instead");
}

void TorchAmpProcessor::applyModelToParameters(const ModelInfo& info, bool resetKnobsToDefaults)
{
    for (int k = 0; k < knobPoolSize; ++k)
    {
        auto* p = knobParameters[static_cast<size_t>(k)];
        const bool used = k < info.numKnobs();
        p->setModelKnobName(used ? juce::String(info.knobNames[static_cast<size_t>(k)]) : juce::String());
        if (used && resetKnobsToDefaults)
            p->setValueNotifyingHost(info.knobDefaults[static_cast<size_t>(k)]);
    }
}

void TorchAmpProcessor::handleAsyncUpdate()
{
    chain.collectGarbage();
    const auto status = worker.status();
    if (status.generation == shownGeneration)
        return;
    shownGeneration = status.generation;
    setLatencySamples(chain.latencySamples());
    updateHostDisplay(ChangeDetails().withParameterInfoChanged(true).withLatencyChanged(true));
}

void TorchAmpProcessor::loadModelFile(const juce::File& file)
{
    // The worker reads the file: a large, slow or special file (a FIFO, a device) never holds up
    // the message thread.
    knobDefaultsPending = true;
    ModelLoadWorker::Request r;
    r.displayName = file.getFileName().toStdString();
    r.path = file.getFullPathName().toStdString();
    r.engine = engineChoice.load();
    r.safeMode = safeMode.load();
    r.readFromPath = true;
    worker.request(std::move(r));
}

void TorchAmpProcessor::setEngineChoice(EngineChoice choice)
{
    engineChoice = choice;
    const auto status = worker.status();
    if (status.isDefault || status.bytes == nullptr)
        return worker.request(defaultModelRequest(choice, true));
    ModelLoadWorker::Request r;
    r.bytes = *status.bytes;
    r.displayName = juce::File(status.path).getFileName().toStdString();
    r.path = status.path;
    r.engine = choice;
    r.safeMode = safeMode.load();
    worker.request(std::move(r));
}

void TorchAmpProcessor::prepareToPlay(double newSampleRate, int maximumExpectedSamplesPerBlock)
{
    sampleRate = newSampleRate;
    // The chain checks what the host says (HostLimits) and passes audio through at rates outside it.
    chain.prepare({ newSampleRate, maximumExpectedSamplesPerBlock,
                    std::max(getTotalNumInputChannels(), getTotalNumOutputChannels()) });
    setLatencySamples(chain.latencySamples());
    chain.setInputGainDb(inputGainDb->load());
    chain.setOutputGainDb(outputGainDb->load());
    chain.setMix(mixPercent->load() / 100.0f);
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
    run(buffer, bypassValue->load() >= 0.5f);
}

void TorchAmpProcessor::processBlockBypassed(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&) noexcept
{
    run(buffer, true);
}

void TorchAmpProcessor::run(juce::AudioBuffer<float>& buffer, bool bypassed) noexcept
{
    const auto start = juce::Time::getHighResolutionTicks();
    const int n = buffer.getNumSamples();
    const int channels = std::min(buffer.getNumChannels(), std::max(getTotalNumInputChannels(), 1));

    chain.setInputGainDb(inputGainDb->load());
    chain.setOutputGainDb(outputGainDb->load());
    chain.setMix(mixPercent->load() / 100.0f);
    chain.setBypassed(bypassed);
    chain.setNormaliseOutput(normaliseValue->load() >= 0.5f);
    for (int k = 0; k < knobPoolSize; ++k)
        chain.setKnob(k, knobValues[static_cast<size_t>(k)]->load());

    chain.process(buffer.getArrayOfWritePointers(), channels, n);
    for (int ch = channels; ch < buffer.getNumChannels(); ++ch)
        buffer.clear(ch, 0, n);

    float peak = 0.0f;
    for (int ch = 0; ch < channels; ++ch)
        peak = std::max(peak, buffer.getMagnitude(ch, 0, n));
    outputPeakValue.store(std::max(peak, outputPeakValue.load(std::memory_order_relaxed) * 0.9f),
                          std::memory_order_relaxed);

    if (n > 0)
    {
        const double seconds = juce::Time::highResolutionTicksToSeconds(juce::Time::getHighResolutionTicks() - start);
        const auto load = static_cast<float>(seconds * sampleRate / n);
        const float previous = cpuLoadValue.load(std::memory_order_relaxed);
        if (std::isfinite(load))
            cpuLoadValue.store(previous + 0.1f * (load - previous), std::memory_order_relaxed);
    }
}

juce::AudioProcessorEditor* TorchAmpProcessor::createEditor()
{
    return new TorchAmpEditor(*this);
}

void TorchAmpProcessor::getStateInformation(juce::MemoryBlock& destData)
{
    juce::XmlElement root("TorchAmpState");
    root.setAttribute("version", stateVersion);
    if (auto params = state.copyState().createXml())
        root.addChildElement(params.release());

    const auto status = worker.status();
    auto* model = root.createNewChildElement("Model");
    model->setAttribute("name", status.info != nullptr ? juce::String(status.info->name) : juce::String());
    model->setAttribute("default", status.isDefault);
    root.setAttribute("safeMode", safeMode.load());
    model->setAttribute("engine", engineChoiceName(status.engineChoice));
    if (!status.isDefault)
    {
        model->setAttribute("path", juce::String(status.path));
        model->setAttribute("sha256", juce::String(status.sha256));
        model->setAttribute("size", static_cast<int>(status.bytes->size()));
        model->addTextElement(juce::Base64::toBase64(status.bytes->data(), status.bytes->size()));
    }
    copyXmlToBinary(root, destData);
}

std::unique_ptr<juce::XmlElement> TorchAmpProcessor::parseStateXml(const void* data, int sizeInBytes)
{
    // What copyXmlToBinary() wrote: a magic number, the text's size, the text. JUCE's own reader
    // (getXmlFromBinary) trusts that text to be valid UTF-8 and reads past the end of a damaged
    // one (found by the state fuzzer), so everything is checked here first.
    constexpr juce::uint32 magic = 0x21324356;
    if (data == nullptr || sizeInBytes < 9)
        return nullptr;
    const auto* bytes = static_cast<const char*>(data);
    if (juce::ByteOrder::littleEndianInt(bytes) != magic)
        return nullptr;
    const auto declared = static_cast<int>(juce::ByteOrder::littleEndianInt(bytes + 4));
    if (declared <= 0 || declared > sizeInBytes - 8)
        return nullptr;
    const char* text = bytes + 8;
    const auto length = static_cast<int>(std::find(text, text + declared, '\0') - text);
    if (!juce::CharPointer_UTF8::isValidString(text, length))
        return nullptr;
    return juce::parseXML(juce::String(juce::CharPointer_UTF8(text), juce::CharPointer_UTF8(text + length)));
}

void TorchAmpProcessor::sanitiseParameterValues(juce::XmlElement& params) const
{
    // A damaged or hand-edited session may hold NaN, infinities or values beyond a parameter's
    // range: such a value takes the parameter's default, an out-of-range one its nearest end.
    for (auto* p : params.getChildWithTagNameIterator("PARAM"))
    {
        const auto* parameter = dynamic_cast<juce::RangedAudioParameter*>(state.getParameter(p->getStringAttribute("id")));
        if (parameter == nullptr || !p->hasAttribute("value"))
            continue;
        const auto& range = parameter->getNormalisableRange();
        const double value = p->getDoubleAttribute("value");
        p->setAttribute("value", std::isfinite(value)
                                     ? juce::jlimit(static_cast<double>(range.start), static_cast<double>(range.end), value)
                                     : static_cast<double>(parameter->convertFrom0to1(parameter->getDefaultValue())));
    }
}

void TorchAmpProcessor::setStateInformation(const void* data, int sizeInBytes)
{
    if (data == nullptr || sizeInBytes <= 0 || static_cast<std::size_t>(sizeInBytes) > FileLimits::maxStateBytes)
        return;
    const auto root = parseStateXml(data, sizeInBytes);
    if (root == nullptr || !root->hasTagName("TorchAmpState"))
        return; // not ours, or damaged: keep what plays now

    // A state from a newer TorchAmp: take what this version understands.
    if (auto* params = root->getChildByName(state.state.getType()))
    {
        sanitiseParameterValues(*params);
        state.replaceState(juce::ValueTree::fromXml(*params));
    }

    safeMode = root->getBoolAttribute("safeMode", true);
    const auto* model = root->getChildByName("Model");
    if (model == nullptr)
        return;
    engineChoice = engineChoiceFromName(model->getStringAttribute("engine", "auto").toStdString());
    if (model->getBoolAttribute("default", true))
    {
        const auto status = worker.status();
        if (!status.isDefault || status.engineChoice != engineChoice.load())
            worker.request(defaultModelRequest(engineChoice.load(), true));
        return;
    }
    const auto declaredSize = model->getIntAttribute("size", -1);
    if (declaredSize < 0 || static_cast<std::size_t>(declaredSize) > FileLimits::maxModelBytes)
    {
        worker.reportFailure(model->getStringAttribute("name").toStdString()
                             + ": the model stored in this session is damaged or too large; the current model keeps playing");
        return;
    }
    juce::MemoryOutputStream decoded;
    if (!juce::Base64::convertFromBase64(decoded, model->getAllSubText().trim())
        || static_cast<int>(decoded.getDataSize()) != model->getIntAttribute("size", -1))
    {
        worker.reportFailure(model->getStringAttribute("name").toStdString()
                             + ": the model stored in this session is damaged; the current model keeps playing");
        return;
    }
    const auto* bytes = static_cast<const char*>(decoded.getData());
    const auto path = model->getStringAttribute("path");
    ModelLoadWorker::Request r;
    r.bytes.assign(bytes, bytes + decoded.getDataSize());
    r.displayName = juce::File(path).getFileName().toStdString();
    r.path = path.toStdString();
    r.expectedSha256 = model->getStringAttribute("sha256").toStdString();
    r.engine = engineChoice.load();
    r.safeMode = safeMode.load();
    worker.request(std::move(r));
}

} // namespace torchamp

juce::AudioProcessor* JUCE_CALLTYPE createPluginFilter()
{
    return new torchamp::TorchAmpProcessor();
}
