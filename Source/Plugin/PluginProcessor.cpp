#include "PluginProcessor.h"

#include "BinaryFolder.h"
#include "EmbeddedResources.h"
#include "FileBytes.h"
#include "PluginEditor.h"
#include "Sha256.h"

#include <limits>

namespace torchamp
{

namespace
{

/** How a continuous parameter shows its value: in its unit, to its step's precision. */
juce::AudioParameterFloatAttributes attributesFor(const ParameterInfo& info)
{
    const juce::String unit(info.unit);
    const int decimals = unit == "%" || info.step >= 1.0f ? 0 : info.step > 0.0f ? 1 : 2;
    return juce::AudioParameterFloatAttributes().withLabel(unit).withStringFromValueFunction(
        [unit, decimals](float v, int)
        { return juce::String(v, decimals) + (unit.isEmpty() ? "" : " " + unit); });
}

juce::NormalisableRange<float> rangeOf(const ParameterInfo& info)
{
    juce::NormalisableRange<float> range(info.minimum, info.maximum, info.step);
    if (info.skewCentre > 0.0f)
        range.setSkewForCentre(info.skewCentre);
    return range;
}

} // namespace

ModelKnobParameter::ModelKnobParameter(const ParameterInfo& info, int i)
    : juce::AudioParameterFloat(TorchAmpProcessor::hostId(info.id), info.name, rangeOf(info),
                                info.defaultValue, attributesFor(info)),
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

juce::ParameterID TorchAmpProcessor::hostId(ParameterId id)
{
    const auto& info = parameterInfo(id);
    return {info.key, info.version};
}

TorchAmpProcessor::TorchAmpProcessor()
    : AudioProcessor(BusesProperties()
                         .withInput("Input", juce::AudioChannelSet::stereo(), true)
                         .withOutput("Output", juce::AudioChannelSet::stereo(), true)),
      state(*this, nullptr, "TorchAmp", createParameterLayout())
{
    for (const auto& info : parameterCatalogue())
    {
        const auto i = static_cast<size_t>(info.id);
        rawValues[i] = state.getRawParameterValue(info.key);
        hostParameters[i] = state.getParameter(info.key);
        if (const int k = knobIndex(info.id); k >= 0)
            knobParameters[static_cast<size_t>(k)] = dynamic_cast<ModelKnobParameter*>(hostParameters[i]);
    }
    bypassParameter = hostParameters[static_cast<size_t>(ParameterId::bypass)];

    // The default model plays from construction: read natively from the embedded file here, on
    // the host's thread, before any host call (no LibTorch); later models come through the
    // worker's thread. The tests prove the embedded model loads and matches LibTorch.
    loadDefaultModel();
    const auto status = worker.status();
    if (status.info != nullptr)
        applyModelToParameters(*status.info, true);
    // The built-in cabinet plays until the user loads a response (the default model is an amp
    // that sounds like fizz without one); sessions and presets say otherwise when they need to.
    ImpulseResponseLoader::Request cabinetRequest;
    cabinetRequest.source = CabinetSource::builtIn;
    cabinetLoader.load(std::move(cabinetRequest));
    applyBundledPreset();
    shownGeneration = worker.status().generation;
    worker.onLoadFinished = [this]
    {
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
    // Every parameter of the catalogue, in its order (hosts that address parameters by index keep
    // the first thirteen where TorchAmp 0.1 had them).
    juce::AudioProcessorValueTreeState::ParameterLayout layout;
    for (const auto& info : parameterCatalogue())
    {
        if (const int k = knobIndex(info.id); k >= 0)
            layout.add(std::make_unique<ModelKnobParameter>(info, k));
        else if (info.kind == ParameterKind::toggle)
            layout.add(std::make_unique<juce::AudioParameterBool>(hostId(info.id), info.name,
                                                                  info.defaultValue >= 0.5f));
        else
            layout.add(std::make_unique<juce::AudioParameterFloat>(hostId(info.id), info.name, rangeOf(info),
                                                                   info.defaultValue, attributesFor(info)));
    }
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
    const int modelGeneration = worker.status().generation;
    const int cabinetGeneration = cabinetLoader.status().generation;
    const int latency = chain.latencySamples();
    if (modelGeneration == shownGeneration && cabinetGeneration == shownCabinetGeneration &&
        latency == shownLatency)
        return;
    shownGeneration = modelGeneration;
    shownCabinetGeneration = cabinetGeneration;
    shownLatency = latency;
    setLatencySamples(latency);
    updateHostDisplay(ChangeDetails().withParameterInfoChanged(true).withLatencyChanged(true));
}

bool TorchAmpProcessor::waitForModelLoads(int timeoutMs)
{
    // A preset job waits for the worker itself; after the jobs, what the worker still does.
    return jobs.waitUntilIdle(timeoutMs) && worker.waitUntilIdle(timeoutMs);
}

void TorchAmpProcessor::loadImpulseResponseFile(const juce::File& file)
{
    ImpulseResponseLoader::Request r;
    r.source = CabinetSource::file;
    r.path = file.getFullPathName().toStdString();
    r.readFromPath = true;
    jobs.post(
        [this, r]() mutable
        {
            cabinetLoader.load(std::move(r));
            triggerAsyncUpdate();
        });
}

void TorchAmpProcessor::setCabinetSource(CabinetSource source)
{
    if (source == CabinetSource::file)
        return;
    jobs.post(
        [this, source]
        {
            ImpulseResponseLoader::Request r;
            r.source = source;
            cabinetLoader.load(std::move(r));
            triggerAsyncUpdate();
        });
}

void TorchAmpProcessor::setCabinetLatency(ConvolutionLatency latency)
{
    jobs.post(
        [this, latency]
        {
            if (const auto problem = chain.setCabinetLatency(latency); !problem.empty())
                cabinetLoader.reportFailure(problem);
            triggerAsyncUpdate();
        });
}

float TorchAmpProcessor::calibrationGainDb() const
{
    const auto info = worker.status().info;
    return InputGain::calibrationDb(
        parameterValue(ParameterId::calibrateInput) >= 0.5f, parameterValue(ParameterId::interfaceLevel),
        info != nullptr ? info->inputLevelDbu : std::numeric_limits<float>::quiet_NaN());
}

ModelLibrary& TorchAmpProcessor::library()
{
    if (modelLibrary == nullptr)
        modelLibrary = std::make_unique<ModelLibrary>(ModelLibrary::defaultSettingsFile());
    return *modelLibrary;
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
    // The parameters first, so every stage starts at its value rather than gliding to it. The
    // chain checks what the host says (HostLimits) and passes audio through at rates outside it;
    // it rebuilds the model and the impulse response (from the file's own samples) for the rate.
    for (const auto& info : parameterCatalogue())
        chain.setParameter(info.id, parameterValue(info.id));
    chain.prepare({newSampleRate, maximumExpectedSamplesPerBlock,
                   std::max(getTotalNumInputChannels(), getTotalNumOutputChannels())});
    shownLatency = chain.latencySamples();
    setLatencySamples(shownLatency);
}

void TorchAmpProcessor::releaseResources() {}

bool TorchAmpProcessor::isBusesLayoutSupported(const BusesLayout& layouts) const
{
    const auto in = layouts.getMainInputChannelSet();
    const auto out = layouts.getMainOutputChannelSet();
    const auto mono = juce::AudioChannelSet::mono(), stereo = juce::AudioChannelSet::stereo();
    // Mono, stereo, or a mono input played out in stereo (a guitar into a stereo cabinet).
    return (in == out && (out == mono || out == stereo)) || (in == mono && out == stereo);
}

void TorchAmpProcessor::processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&) noexcept
{
    run(buffer, parameterValue(ParameterId::bypass) >= 0.5f);
}

void TorchAmpProcessor::processBlockBypassed(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&) noexcept
{
    run(buffer, true);
}

void TorchAmpProcessor::run(juce::AudioBuffer<float>& buffer, bool bypassed) noexcept
{
    const auto start = juce::Time::getHighResolutionTicks();
    const int n = buffer.getNumSamples();
    const int inputs = std::min(buffer.getNumChannels(), std::max(getTotalNumInputChannels(), 1));
    const int channels = std::min(buffer.getNumChannels(), std::max(getTotalNumOutputChannels(), inputs));

    for (const auto& info : parameterCatalogue())
        chain.setParameter(info.id, parameterValue(info.id));
    chain.setBypassed(bypassed);

    chain.process(buffer.getArrayOfWritePointers(), inputs, channels, n);
    for (int ch = channels; ch < buffer.getNumChannels(); ++ch)
        buffer.clear(ch, 0, n);

    float peak = 0.0f;
    for (int ch = 0; ch < channels; ++ch)
        peak = std::max(peak, buffer.getMagnitude(ch, 0, n));
    outputPeakValue.store(std::max(peak, outputPeakValue.load(std::memory_order_relaxed) * 0.9f),
                          std::memory_order_relaxed);

    if (n > 0)
    {
        const double seconds =
            juce::Time::highResolutionTicksToSeconds(juce::Time::getHighResolutionTicks() - start);
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
    root.setAttribute("safeMode", safeMode.load());
    writeModelState(root);
    writeCabinetState(root);
    copyXmlToBinary(root, destData);
}

namespace
{

/** A file stored in a session: its path, SHA-256, size and base64 bytes as attributes and text. */
void storeFile(juce::XmlElement& element, const std::string& path, const std::string& sha256,
               const std::vector<char>& bytes)
{
    element.setAttribute("path", juce::String(path));
    element.setAttribute("sha256", juce::String(sha256));
    element.setAttribute("size", static_cast<int>(bytes.size()));
    element.addTextElement(juce::Base64::toBase64(bytes.data(), bytes.size()));
}

/** The bytes storeFile() stored, or std::nullopt when the stated size is above `maxBytes` (checked
    before decoding) or does not match what the text decodes to. */
std::optional<std::vector<char>> storedFile(const juce::XmlElement& element, std::size_t maxBytes)
{
    const auto declaredSize = element.getIntAttribute("size", -1);
    if (declaredSize < 0 || static_cast<std::size_t>(declaredSize) > maxBytes)
        return std::nullopt;
    juce::MemoryOutputStream decoded;
    if (!juce::Base64::convertFromBase64(decoded, element.getAllSubText().trim()) ||
        static_cast<int>(decoded.getDataSize()) != declaredSize)
        return std::nullopt;
    const auto* bytes = static_cast<const char*>(decoded.getData());
    return std::vector<char>(bytes, bytes + decoded.getDataSize());
}

} // namespace

void TorchAmpProcessor::writeModelState(juce::XmlElement& root) const
{
    const auto status = worker.status();
    auto* model = root.createNewChildElement("Model");
    model->setAttribute("name", status.info != nullptr ? juce::String(status.info->name) : juce::String());
    model->setAttribute("default", status.isDefault);
    model->setAttribute("engine", engineChoiceName(status.engineChoice));
    if (!status.isDefault)
        storeFile(*model, status.path, status.sha256, *status.bytes);
}

void TorchAmpProcessor::writeCabinetState(juce::XmlElement& root) const
{
    const auto status = cabinetLoader.status();
    auto* cabinet = root.createNewChildElement("ImpulseResponse");
    cabinet->setAttribute("source", cabinetSourceName(status.source));
    cabinet->setAttribute("name", juce::String(status.name));
    cabinet->setAttribute("latency", convolutionLatencyName(chain.cabinetLatency()));
    if (status.source == CabinetSource::file)
        storeFile(*cabinet, status.path, status.sha256, *status.bytes);
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
        const auto* parameter =
            dynamic_cast<juce::RangedAudioParameter*>(state.getParameter(p->getStringAttribute("id")));
        if (parameter == nullptr || !p->hasAttribute("value"))
            continue;
        const auto& range = parameter->getNormalisableRange();
        const double value = p->getDoubleAttribute("value");
        p->setAttribute(
            "value",
            std::isfinite(value)
                ? juce::jlimit(static_cast<double>(range.start), static_cast<double>(range.end), value)
                : static_cast<double>(parameter->convertFrom0to1(parameter->getDefaultValue())));
    }
}

void TorchAmpProcessor::setStateInformation(const void* data, int sizeInBytes)
{
    if (data == nullptr || sizeInBytes <= 0 ||
        static_cast<std::size_t>(sizeInBytes) > FileLimits::maxStateBytes)
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
    restoreCabinet(root->getChildByName("ImpulseResponse"));
    restoreModel(root->getChildByName("Model"));
}

void TorchAmpProcessor::restoreModel(const juce::XmlElement* model)
{
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
    const auto name = model->getStringAttribute("name").toStdString();
    auto bytes = storedFile(*model, FileLimits::maxModelBytes);
    if (!bytes)
        return worker.reportFailure(
            name +
            ": the model stored in this session is damaged or too large; the current model keeps playing");
    const auto path = model->getStringAttribute("path");
    ModelLoadWorker::Request r;
    r.bytes = std::move(*bytes);
    r.displayName = juce::File(path).getFileName().toStdString();
    r.path = path.toStdString();
    r.expectedSha256 = model->getStringAttribute("sha256").toStdString();
    r.engine = engineChoice.load();
    r.safeMode = safeMode.load();
    worker.request(std::move(r));
}

void TorchAmpProcessor::restoreCabinet(const juce::XmlElement* cabinet)
{
    // Sessions of version 1 have no impulse response: none plays, as it did then.
    const auto latency =
        cabinet != nullptr ? convolutionLatencyFromName(cabinet->getStringAttribute("latency").toStdString())
                           : std::nullopt;
    if (latency.value_or(ConvolutionLatency::zero) != chain.cabinetLatency())
        setCabinetLatency(latency.value_or(ConvolutionLatency::zero));
    ImpulseResponseLoader::Request r;
    r.source = cabinet != nullptr ? cabinetSourceFromName(cabinet->getStringAttribute("source").toStdString())
                                  : CabinetSource::none;
    if (r.source != CabinetSource::file)
    {
        if (r.source != cabinetLoader.status().source)
            setCabinetSource(r.source);
        return;
    }
    r.path = cabinet->getStringAttribute("path").toStdString();
    r.displayName = cabinet->getStringAttribute("name").toStdString();
    r.expectedSha256 = cabinet->getStringAttribute("sha256").toStdString();
    // Hosts restore a session into an instance that may already play its response (a bundled
    // preset's, or the one the host saved a moment ago): swapping it for itself would restart the
    // convolution while the host plays.
    if (const auto playing = cabinetLoader.status();
        playing.source == CabinetSource::file && playing.sha256 == r.expectedSha256 && playing.path == r.path)
        return;
    auto bytes = storedFile(*cabinet, FileLimits::maxImpulseResponseBytes);
    if (!bytes)
        return cabinetLoader.reportFailure(r.displayName +
                                           ": the impulse response stored in this session is "
                                           "damaged or too large; the current one keeps playing");
    r.bytes = std::move(*bytes);
    jobs.post(
        [this, r]() mutable
        {
            cabinetLoader.load(std::move(r));
            triggerAsyncUpdate();
        });
}

void TorchAmpProcessor::applyBundledPreset()
{
    const auto folder = folderOfThisBinary();
    if (folder.empty() || !juce::File(folder + bundledPresetName).existsAsFile())
        return;
    const auto path = folder + bundledPresetName;
    auto preset = readPreset(path);
    if (!preset)
        return worker.reportFailure(preset.error() + "; the built-in settings play instead");
    // The bundle's own settings, like its own model: not compared with LibTorch at every start.
    if (const auto problems = applyPresetWith(*preset, path, false); !problems.empty())
        worker.reportFailure(problems);
}

void TorchAmpProcessor::openFile(const juce::File& file)
{
    const auto path = file.getFullPathName().toStdString();
    if (ModelLibrary::kindOf(path) == LibraryEntryKind::impulseResponse)
        return loadImpulseResponseFile(file);
    if (!file.hasFileExtension("json"))
        return loadModelFile(file);
    jobs.post(
        [this, file, path]
        {
            auto bytes = readFileBytes(path, FileLimits::maxPresetBytes);
            if (bytes && looksLikePreset(*bytes))
                applyPresetFile(path, parsePreset(*bytes, fileNameOf(path)));
            else
                loadModelFile(file); // the model loader says why a file that is neither cannot play
        });
}

void TorchAmpProcessor::loadPresetFile(const juce::File& file)
{
    const auto path = file.getFullPathName().toStdString();
    jobs.post([this, path] { applyPresetFile(path, readPreset(path)); });
}

void TorchAmpProcessor::applyPresetFile(const std::string& path, Result<Preset> preset)
{
    if (!preset)
        return setPresetMessage(preset.error());
    const auto problems = applyPreset(*preset, path);
    setPresetMessage(problems.empty() ? "Loaded preset " + fileNameOf(path) : problems);
}

void TorchAmpProcessor::savePresetFile(const juce::File& file, bool embedFiles)
{
    const auto path = file.getFullPathName().toStdString();
    const auto name = file.getFileNameWithoutExtension().toStdString();
    jobs.post(
        [this, path, name, embedFiles]
        {
            const auto error = writePreset(path, currentPreset(name, embedFiles));
            setPresetMessage(error.empty() ? "Saved preset " + fileNameOf(path) : error);
        });
}

std::string TorchAmpProcessor::presetMessage() const
{
    std::lock_guard<std::mutex> lock(presetMutex);
    return lastPresetMessage;
}

void TorchAmpProcessor::setPresetMessage(const std::string& message)
{
    {
        std::lock_guard<std::mutex> lock(presetMutex);
        lastPresetMessage = message;
    }
    triggerAsyncUpdate();
}

namespace
{

/** A file the preset refers to; its bytes go inside when asked, or when the file is no longer
    where it was loaded from (a session opened on another machine), so the preset still plays. */
PresetAsset assetOf(const std::string& path, const std::string& sha256, const std::vector<char>& bytes,
                    bool embed)
{
    PresetAsset asset;
    asset.path = path;
    asset.sha256 = sha256;
    if (embed || path.empty() || !juce::File(path).existsAsFile())
        asset.bytes = bytes;
    return asset;
}

} // namespace

Preset TorchAmpProcessor::currentPreset(const std::string& name, bool embedFiles) const
{
    Preset preset;
    preset.name = name;
    for (const auto& info : parameterCatalogue())
        preset.parameters[info.id] = parameterValue(info.id);
    const auto model = worker.status();
    if (model.isDefault && model.path.empty())
        preset.model = PresetAsset{{}, {}, std::nullopt, true};
    else if (model.bytes != nullptr)
        preset.model = assetOf(model.path, model.sha256, *model.bytes, embedFiles);
    const auto cabinet = cabinetLoader.status();
    if (cabinet.source == CabinetSource::builtIn)
        preset.impulseResponse = PresetAsset{{}, {}, std::nullopt, true};
    else if (cabinet.source == CabinetSource::file)
        preset.impulseResponse = assetOf(cabinet.path, cabinet.sha256, *cabinet.bytes, embedFiles);
    else
        preset.withoutImpulseResponse = true;
    preset.cabinetLatency = chain.cabinetLatency();
    return preset;
}

std::string TorchAmpProcessor::applyPreset(const Preset& preset, const std::string& presetPath)
{
    return applyPresetWith(preset, presetPath, true);
}

std::string TorchAmpProcessor::applyPresetWith(const Preset& preset, const std::string& presetPath,
                                               bool compareWithLibTorch)
{
    std::string problems;
    auto note = [&problems](const std::string& problem)
    {
        if (!problem.empty())
            problems += (problems.empty() ? "" : "; ") + problem;
    };
    note(loadPresetModel(preset, presetPath, compareWithLibTorch));
    note(chain.setCabinetLatency(preset.cabinetLatency));
    note(loadPresetCabinet(preset, presetPath));
    setParametersFromPreset(preset);
    triggerAsyncUpdate();
    return problems;
}

std::string TorchAmpProcessor::loadPresetModel(const Preset& preset, const std::string& presetPath,
                                               bool compareWithLibTorch)
{
    if (!preset.model)
        return {};
    ModelLoadWorker::Request r;
    if (preset.model->builtIn)
        r = defaultModelRequest(engineChoice.load(), false);
    else
    {
        auto bytes = presetAssetBytes(*preset.model, presetPath, FileLimits::maxModelBytes);
        if (!bytes)
            return bytes.error();
        r.bytes = std::move(*bytes);
        r.path = preset.model->path;
        r.displayName = r.path.empty() ? preset.name + " (embedded model)" : fileNameOf(r.path);
        r.engine = engineChoice.load();
        r.safeMode = safeMode.load();
        r.checkAgainstLibTorch = compareWithLibTorch;
    }
    const auto wanted = sha256Hex(r.bytes);
    knobDefaultsPending = false; // the preset sets the knobs once the model plays
    worker.request(std::move(r));
    worker.waitUntilIdle(std::numeric_limits<int>::max());
    const auto status = worker.status();
    if (status.sha256 == wanted)
    {
        applyModelToParameters(*status.info, false);
        return {};
    }
    return status.lastError.empty() ? fileNameOf(presetPath) + ": another model was loaded meanwhile"
                                    : status.lastError;
}

std::string TorchAmpProcessor::loadPresetCabinet(const Preset& preset, const std::string& presetPath)
{
    ImpulseResponseLoader::Request r;
    if (preset.withoutImpulseResponse)
        r.source = CabinetSource::none;
    else if (!preset.impulseResponse)
        return {};
    else if (preset.impulseResponse->builtIn)
        r.source = CabinetSource::builtIn;
    else
    {
        auto bytes =
            presetAssetBytes(*preset.impulseResponse, presetPath, FileLimits::maxImpulseResponseBytes);
        if (!bytes)
            return bytes.error();
        r.source = CabinetSource::file;
        r.bytes = std::move(*bytes);
        r.path = preset.impulseResponse->path;
        r.displayName = r.path.empty() ? preset.name + " (embedded impulse response)" : fileNameOf(r.path);
    }
    return cabinetLoader.load(std::move(r)) ? std::string() : cabinetLoader.status().lastError;
}

void TorchAmpProcessor::setParametersFromPreset(const Preset& preset)
{
    // As torchamp-render chooses them: the defaults, the model's knob defaults, the preset's values.
    ParameterValues values;
    if (const auto info = worker.status().info)
        for (int k = 0; k < info->numKnobs(); ++k)
            values.set(knobParameter(k), info->knobDefaults[static_cast<size_t>(k)]);
    for (const auto& [id, value] : preset.parameters)
        values.set(id, value);
    for (const auto& info : parameterCatalogue())
    {
        auto& p = parameter(info.id);
        p.setValueNotifyingHost(p.convertTo0to1(values[info.id]));
    }
}

} // namespace torchamp

juce::AudioProcessor* JUCE_CALLTYPE createPluginFilter()
{
    return new torchamp::TorchAmpProcessor();
}
