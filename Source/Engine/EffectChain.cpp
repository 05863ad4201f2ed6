#include "EffectChain.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace torchamp
{

static_assert(DryPath::maxDelay >= ModelStage::maxLatency + CabinetStage::maxLatency,
              "the dry path lines up with the model and the cabinet together");
static_assert(NoiseGate::maxDelay >= ModelStage::maxLatency,
              "the gate's gain lines up with the model's output");

EffectChain::EffectChain() = default;
EffectChain::~EffectChain() = default;

std::string EffectChain::prepare(const HostConfig& config)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    hostConfig = config.prepared();
    hostProblem = hostConfig.problem();
    passThrough = !hostProblem.empty();
    if (passThrough)
        hostProblem += ": the audio passes through unprocessed";
    // Smoothing and fades are timed at the host's rate; in pass-through their length is moot.
    prepareStages(passThrough ? HostLimits::minSampleRate : hostConfig.sampleRate);
    // Every stage starts with each channel in the same state.
    linkingOn = linking;
    linked.store(linkingOn, std::memory_order_relaxed);
    sameSamples = 0;
    relinkSamples = std::max(static_cast<long>(relinkSeconds * hostConfig.sampleRate + 0.5),
                             static_cast<long>(DryPath::maxDelay + hostConfig.maxBlockSize));
    prepared = true;
    return problemLocked();
}

void EffectChain::prepareStages(double rate)
{
    // Audio is stopped: the newest model and impulse response become the active ones, rebuilt
    // for the new configuration.
    preparedModelProblem = model.prepare(hostConfig, rate, smoothingSeconds);
    cabinetProblem = cabinet.prepare(hostConfig, cabinetMode, rate, smoothingSeconds);
    dryPath.prepare(hostConfig);
    inputGain.setModelInputLevel(model.inputLevelDbu()); // calibrated from the start
    inputGain.prepare(rate, smoothingSeconds);
    noiseGate.prepare(hostConfig, rate);
    toneStack.prepare(hostConfig, rate, smoothingSeconds);
    mix.prepare(rate, smoothingSeconds);
    outputGain.prepare(rate, smoothingSeconds);
    bypass.prepare(rate, smoothingSeconds);
}

std::string EffectChain::problem() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return problemLocked();
}

std::string EffectChain::problemLocked() const
{
    if (!hostProblem.empty())
        return hostProblem;
    if (!preparedModelProblem.empty())
        return preparedModelProblem;
    return model.withNewest([](const ModelRunner* m) { return m != nullptr ? m->problem() : std::string(); });
}

HostConfig EffectChain::config() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return hostConfig;
}

bool EffectChain::publish(std::unique_ptr<ModelRunner> runner)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    if (!model.publish(std::move(runner), hostConfig))
        return false;
    preparedModelProblem.clear();
    return true;
}

void EffectChain::setChannelLinking(bool shouldLink)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    linking = shouldLink;
}

void EffectChain::collectGarbage()
{
    std::lock_guard<std::mutex> lock(controlMutex);
    model.collectGarbage();
    cabinet.collectGarbage();
}

std::optional<ModelSpec> EffectChain::currentSpec() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return model.withNewest([](const ModelRunner* m)
                            { return m != nullptr ? std::optional<ModelSpec>(m->spec()) : std::nullopt; });
}

int EffectChain::latencySamples() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return model.withNewest([](const ModelRunner* m) { return m != nullptr ? m->latencySamples() : 0; }) +
           cabinet.withNewest([](const CabinetResponse* r)
                              { return r != nullptr ? r->latencySamples() : 0; });
}

bool EffectChain::isResampling() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return model.withNewest([](const ModelRunner* m) { return m != nullptr && m->isResampling(); });
}

std::string EffectChain::loadImpulseResponse(ImpulseResponse ir)
{
    if (auto problem = ir.validate(); !problem.empty())
        return ir.name + ": " + problem;
    // Prepared outside the lock (resampling takes a moment); should the settings change meanwhile,
    // it is prepared again for the new ones.
    for (;;)
    {
        HostConfig settings;
        ConvolutionLatency mode;
        {
            std::lock_guard<std::mutex> lock(controlMutex);
            settings = hostConfig;
            mode = cabinetMode;
        }
        std::unique_ptr<CabinetResponse> response;
        try
        {
            response = std::make_unique<CabinetResponse>(ir, settings, mode);
        }
        catch (const std::exception& e)
        {
            return ir.name + ": " + e.what();
        }
        if (publishImpulseResponse(std::move(response)))
            return {};
    }
}

bool EffectChain::publishImpulseResponse(std::unique_ptr<CabinetResponse> response)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    if (!cabinet.publish(std::move(response), hostConfig, cabinetMode))
        return false;
    cabinetProblem.clear();
    return true;
}

void EffectChain::unloadImpulseResponse()
{
    std::lock_guard<std::mutex> lock(controlMutex);
    cabinet.publish(std::make_unique<CabinetResponse>(ImpulseResponse{}, hostConfig, cabinetMode), hostConfig,
                    cabinetMode);
    cabinetProblem.clear();
}

std::optional<CabinetInfo> EffectChain::currentImpulseResponse() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return cabinet.withNewest(
        [](const CabinetResponse* r)
        {
            return r != nullptr && r->source().numChannels() > 0 ? std::optional<CabinetInfo>(r->info())
                                                                 : std::nullopt;
        });
}

std::string EffectChain::impulseResponseProblem() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return cabinetProblem;
}

ConvolutionLatency EffectChain::cabinetLatency() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return cabinetMode;
}

std::string EffectChain::setCabinetLatency(ConvolutionLatency latency)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    if (latency == cabinetMode)
        return {};
    cabinetMode = latency;
    auto source = cabinet.withNewest(
        [](const CabinetResponse* r)
        { return r != nullptr ? std::optional<ImpulseResponse>(r->source()) : std::nullopt; });
    if (!source)
        return {};
    const auto name = source->name;
    try
    {
        cabinet.publish(std::make_unique<CabinetResponse>(std::move(*source), hostConfig, cabinetMode),
                        hostConfig, cabinetMode);
        cabinetProblem.clear();
    }
    catch (const std::exception& e)
    {
        cabinetProblem = name + ": " + e.what();
    }
    return cabinetProblem;
}

void EffectChain::setParameter(ParameterId id, float value) noexcept
{
    const auto v = parameterInfo(id).clamp(value);
    if (!v)
        return;
    const bool on = *v >= 0.5f;
    switch (id)
    {
        case ParameterId::inputGain:
            setInputGainDb(*v);
            break;
        case ParameterId::outputGain:
            setOutputGainDb(*v);
            break;
        case ParameterId::mix:
            setMix(*v / 100.0f);
            break;
        case ParameterId::bypass:
            setBypassed(on);
            break;
        case ParameterId::normalise:
            setNormaliseOutput(on);
            break;
        case ParameterId::irOn:
            cabinet.setEnabled(on);
            break;
        case ParameterId::calibrateInput:
            calibrate = on;
            inputGain.setCalibration(calibrate, interfaceLevelDbu);
            break;
        case ParameterId::interfaceLevel:
            interfaceLevelDbu = *v;
            inputGain.setCalibration(calibrate, interfaceLevelDbu);
            break;
        default:
            if (knobIndex(id) >= 0)
                setKnob(knobIndex(id), *v);
            else
                setGateOrToneParameter(id, *v);
            break;
    }
}

void EffectChain::setGateOrToneParameter(ParameterId id, float v) noexcept
{
    switch (id)
    {
        case ParameterId::gateOn:
            noiseGate.setEnabled(v >= 0.5f);
            break;
        case ParameterId::gateThreshold:
            noiseGate.setThresholdDb(v);
            break;
        case ParameterId::gateAttack:
            noiseGate.setAttackMs(v);
            break;
        case ParameterId::gateRelease:
            noiseGate.setReleaseMs(v);
            break;
        case ParameterId::gateHysteresis:
            noiseGate.setHysteresisDb(v);
            break;
        case ParameterId::toneOn:
            toneStack.setEnabled(v >= 0.5f);
            break;
        case ParameterId::bass:
            toneStack.setGainDb(ToneStack::bass, v);
            break;
        case ParameterId::middle:
            toneStack.setGainDb(ToneStack::middle, v);
            break;
        case ParameterId::treble:
            toneStack.setGainDb(ToneStack::treble, v);
            break;
        case ParameterId::presence:
            toneStack.setGainDb(ToneStack::presence, v);
            break;
        default:
            break;
    }
}

void EffectChain::setParameters(const ParameterValues& values) noexcept
{
    for (int p = 0; p < parameterCount; ++p)
        setParameter(static_cast<ParameterId>(p), values[static_cast<ParameterId>(p)]);
}

void EffectChain::setInputGainDb(float db) noexcept
{
    inputGain.setGainDb(db);
}

void EffectChain::setOutputGainDb(float db) noexcept
{
    outputGain.setGainDb(db);
}

void EffectChain::setMix(float wet01) noexcept
{
    mix.setMix(wet01);
}

void EffectChain::setKnob(int index, float value01) noexcept
{
    model.setKnob(index, value01);
}

void EffectChain::setBypassed(bool shouldBypass) noexcept
{
    bypass.setBypassed(shouldBypass);
}

void EffectChain::setNormaliseOutput(bool shouldNormalise) noexcept
{
    model.setNormalise(shouldNormalise);
}

namespace
{
/// Output channels [inputChannels, outputChannels) of io become copies of the last input channel
/// (process() plays no output channel without an input channel).
void widen(float* const* io, int inputChannels, int outputChannels, int n) noexcept TORCHAMP_NONBLOCKING
{
    for (int c = inputChannels; c < outputChannels; ++c)
        std::copy(io[inputChannels - 1], io[inputChannels - 1] + n, io[c]);
}

/// Whether channels [1, channels) of io hold the bits of channel 0 for n samples.
bool sameAsFirstChannel(const float* const* io, int channels, int n) noexcept TORCHAMP_NONBLOCKING
{
    for (int c = 1; c < channels; ++c)
        if (std::memcmp(io[c], io[0], static_cast<size_t>(n) * sizeof(float)) != 0)
            return false;
    return true;
}

/// Whether channels [1, channels) of io are within `tolerance` of channel 0 for n samples.
bool closeToFirstChannel(const float* const* io, int channels, int n, float tolerance) noexcept TORCHAMP_NONBLOCKING
{
    for (int c = 1; c < channels; ++c)
        for (int i = 0; i < n; ++i)
            if (!(std::abs(io[c][i] - io[0][i]) <= tolerance))
                return false;
    return true;
}
} // namespace

void EffectChain::process(float* const* io, int inputChannels, int outputChannels, int n) noexcept
{
    ScopedFlushDenormals noDenormals;
    // Without an input channel there is nothing to play (and nothing to copy out).
    const int inputs = std::clamp(std::min(inputChannels, outputChannels), 0, HostLimits::maxChannels);
    const int outputs = inputs > 0 ? std::min(outputChannels, HostLimits::maxChannels) : 0;
    if (!prepared || passThrough)
    {
        // Not prepared, or at a rate TorchAmp does not support: the audio as it is.
        if (io != nullptr)
            widen(io, inputs, outputs, n);
        return;
    }
    if (model.beginBlock())
    {
        // The first model: nothing played before it, so its calibration applies at once.
        inputGain.setModelInputLevel(model.inputLevelDbu());
        inputGain.settle();
    }
    cabinet.beginBlock();
    if (io == nullptr)
        return;
    const int channels = std::min(outputs, hostConfig.numChannels);
    for (int start = 0; start < n; start += hostConfig.maxBlockSize)
    {
        const int chunk = std::min(hostConfig.maxBlockSize, n - start);
        float* chunkPointers[HostLimits::maxChannels];
        for (int c = 0; c < channels; ++c)
            chunkPointers[c] = io[c] + start;
        processChunk(chunkPointers, std::min(inputs, channels), channels, chunk);
    }
    model.endBlock();
    gateReduction.store(noiseGate.gainReductionDb(), std::memory_order_relaxed);
}

int EffectChain::channelsToPlay(bool inputsSame, int inputChannels) noexcept
{
    if (!linked.load(std::memory_order_relaxed) || inputChannels < 2)
        return inputChannels;
    // A model whose engine state cannot be copied (LibTorch's) arrives fresh, every channel
    // alike: parting now leaves nothing of it to copy.
    if (inputsSame && model.canCopyChannelState())
        return 1;
    copyFirstChannelState();
    linked.store(false, std::memory_order_relaxed);
    sameSamples = 0;
    return inputChannels;
}

void EffectChain::relinkWhenTheyStayTheSame(const float* const* io, bool inputsSame, int inputChannels,
                                            int n) noexcept
{
    if (!linkingOn || inputChannels < 2 || linked.load(std::memory_order_relaxed))
        return;
    // The same samples in and, after the tone stack, the same out for long enough: every stage
    // has forgotten what told the channels apart (a recurrent model may settle a rounding step
    // apart on each channel, hence the tolerance).
    sameSamples = inputsSame && closeToFirstChannel(io, inputChannels, n, relinkTolerance) ? sameSamples + n : 0;
    if (sameSamples < relinkSamples || !model.canCopyChannelState())
        return;
    copyFirstChannelState();
    linked.store(true, std::memory_order_relaxed);
}

void EffectChain::copyFirstChannelState() noexcept
{
    for (int c = 1; c < hostConfig.numChannels; ++c)
    {
        dryPath.copyChannelState(0, c);
        noiseGate.copyChannelState(0, c);
        model.copyChannelState(0, c);
        toneStack.copyChannelState(0, c);
    }
}

void EffectChain::processChunk(float* const* io, int inputChannels, int outputChannels, int n) noexcept
{
    // Linked, the stages up to the tone stack play the first channel only (setChannelLinking()).
    const int inputs = inputChannels;
    const bool inputsSame = linkingOn && inputs > 1 && sameAsFirstChannel(io, inputs, n);
    inputChannels = channelsToPlay(inputsSame, inputs);
    const int modelLatency = model.latencySamples();
    dryPath.capture(io, inputChannels, n, modelLatency + cabinet.latencySamples());
    inputGain.setModelInputLevel(model.inputLevelDbu());

    inputGain.process(io, inputChannels, n);
    noiseGate.listen(io, inputChannels, n); // the gate's gain comes from the input...
    model.process(io, inputChannels, n);
    noiseGate.apply(io, inputChannels, n, modelLatency); // ...and gates the model's output
    toneStack.process(io, inputChannels, n);
    relinkWhenTheyStayTheSame(io, inputsSame, inputs, n);
    widen(io, inputChannels, outputChannels, n);
    const float* dry[HostLimits::maxChannels];
    for (int c = 0; c < outputChannels; ++c)
        dry[c] = dryPath.dry()[std::clamp(c, 0, inputChannels - 1)];
    cabinet.process(io, outputChannels, n);
    mix.process(io, dry, outputChannels, n);
    outputGain.process(io, outputChannels, n);
    bypass.process(io, dry, outputChannels, n);
}

void EffectChain::waitForEngine() const
{
    model.waitForEngine();
}

} // namespace torchamp
