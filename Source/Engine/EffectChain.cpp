#include "EffectChain.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

namespace
{
// Longest dry-path delay: the latency of resampling between the most distant rates supported
// (8 kHz models at 384 kHz hosts stay below it); beyond it dry and wet would stop lining up.
constexpr int maxDryDelay = 16384;

float dbToGain(float db) noexcept TORCHAMP_NONBLOCKING
{
    return std::isfinite(db) ? std::pow(10.0f, std::clamp(db, -96.0f, 48.0f) / 20.0f) : 1.0f;
}
} // namespace

void EffectChain::Smoothed::setTarget(float t) noexcept
{
    if (t == target)
        return;
    target = t;
    remaining = length;
    step = (target - current) / static_cast<float>(length);
}

float EffectChain::Smoothed::next() noexcept
{
    if (remaining > 0)
    {
        --remaining;
        current = remaining == 0 ? target : current + step;
    }
    return current;
}

EffectChain::EffectChain()
{
    inputGain.current = inputGain.target = 1.0f;
    outputGain.current = outputGain.target = 1.0f;
    mix.current = mix.target = 1.0f;
    bypassMix.current = bypassMix.target = 0.0f;
    levelTrim.current = levelTrim.target = 1.0f;
}

EffectChain::~EffectChain()
{
    delete pending.exchange(nullptr);
    delete retired.exchange(nullptr);
    if (fading != active)
        delete fading;
    delete active;
}

std::string EffectChain::prepare(const HostConfig& config)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    hostConfig = config.prepared();
    hostProblem = hostConfig.problem();
    passThrough = !hostProblem.empty();
    if (passThrough)
        hostProblem += ": the audio passes through unprocessed";

    // Audio is stopped: the newest model becomes the active one, rebuilt for the new config.
    ModelRunner* newest = pending.exchange(nullptr);
    if (newest == nullptr)
        newest = active;
    std::unique_ptr<ModelRunner> rebuilt;
    std::string modelProblem;
    if (newest != nullptr)
    {
        try
        {
            rebuilt = newest->rebuildFor(hostConfig);
            rebuilt->warmUp();
        }
        catch (const std::exception& e)
        {
            // The model cannot run at these settings (its engine failed to start): the signal
            // passes through unprocessed until another model is loaded, rather than stopping the host.
            modelProblem = newest->spec().name + " cannot play at these settings (" + e.what()
                           + "): the audio passes through unprocessed until another model is loaded";
            rebuilt.reset();
        }
    }
    if (newest != active)
        delete newest;
    if (fading != active)
        delete fading;
    delete active;
    delete retired.exchange(nullptr);
    fading = nullptr;
    active = rebuilt.release();
    shown.store(active);
    latency.store(active ? active->latencySamples() : 0);
    resetsAtPublish = active ? active->stateResets() : 0;
    underrunsAtPublish = active ? active->underruns() : 0;
    preparedModelProblem = std::move(modelProblem);
    allocateBuffers();
    return problemLocked();
}

void EffectChain::allocateBuffers()
{
    const auto channels = static_cast<size_t>(hostConfig.numChannels);
    const auto block = static_cast<size_t>(hostConfig.maxBlockSize);
    // Smoothing and fades are timed at the host's rate; in pass-through their length is moot.
    const double rate = passThrough ? HostLimits::minSampleRate : hostConfig.sampleRate;
    const int smoothing = std::max(1, static_cast<int>(smoothingSeconds * rate));
    for (auto* s : { &inputGain, &outputGain, &mix, &bypassMix, &levelTrim })
    {
        s->length = smoothing;
        s->snap();
    }
    fadeLength = std::max(1, static_cast<int>(crossfadeSeconds * rate));
    fadePosition = fadeLength;

    dryDelay.assign(channels, std::vector<float>(static_cast<size_t>(maxDryDelay) + block, 0.0f));
    dryWrite = 0;
    dry.assign(channels, std::vector<float>(block, 0.0f));
    wet.assign(channels, std::vector<float>(block, 0.0f));
    faded.assign(channels, std::vector<float>(block, 0.0f));
    readPointers.assign(channels, nullptr);
    wetPointers.assign(channels, nullptr);
    fadedPointers.assign(channels, nullptr);
    for (size_t c = 0; c < channels; ++c)
    {
        wetPointers[c] = wet[c].data();
        fadedPointers[c] = faded[c].data();
    }
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
    const auto* m = shown.load();
    return m != nullptr ? m->problem() : std::string();
}

HostConfig EffectChain::config() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    return hostConfig;
}

bool EffectChain::publish(std::unique_ptr<ModelRunner> runner)
{
    std::lock_guard<std::mutex> lock(controlMutex);
    if (!runner || runner->config() != hostConfig)
        return false;
    ModelRunner* fresh = runner.release();
    shown.store(fresh);
    preparedModelProblem.clear();
    // The audio thread never saw a model that is still pending, so it can be freed here.
    delete pending.exchange(fresh);
    return true;
}

void EffectChain::collectGarbage()
{
    std::lock_guard<std::mutex> lock(controlMutex);
    delete retired.exchange(nullptr);
}

std::optional<ModelSpec> EffectChain::currentSpec() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    if (const auto* m = shown.load())
        return m->spec();
    return std::nullopt;
}

int EffectChain::latencySamples() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    const auto* m = shown.load();
    return m != nullptr ? m->latencySamples() : 0;
}

bool EffectChain::isResampling() const
{
    std::lock_guard<std::mutex> lock(controlMutex);
    const auto* m = shown.load();
    return m != nullptr && m->isResampling();
}

void EffectChain::setInputGainDb(float db) noexcept
{
    inputGain.setTarget(dbToGain(db));
}

void EffectChain::setOutputGainDb(float db) noexcept
{
    outputGain.setTarget(dbToGain(db));
}

void EffectChain::setMix(float wet01) noexcept
{
    mix.setTarget(std::isfinite(wet01) ? std::clamp(wet01, 0.0f, 1.0f) : 1.0f);
}

void EffectChain::setKnob(int index, float value01) noexcept
{
    // A non-finite value (from automation or a damaged state) leaves the knob where it was.
    if (index >= 0 && index < maxKnobs && std::isfinite(value01))
        knobs[index] = std::clamp(value01, 0.0f, 1.0f);
}

void EffectChain::setBypassed(bool shouldBypass) noexcept
{
    bypassMix.setTarget(shouldBypass ? 1.0f : 0.0f);
}

void EffectChain::setNormaliseOutput(bool shouldNormalise) noexcept
{
    normalise = shouldNormalise;
}

void EffectChain::pickUpPublishedModel() noexcept
{
    // Hand a finished fade's old model back first: at most one is ever waiting to be freed.
    if (fading != nullptr && fadePosition >= fadeLength)
    {
        ModelRunner* expected = nullptr;
        if (!retired.compare_exchange_strong(expected, fading, std::memory_order_acq_rel))
            return;
        fading = nullptr;
    }
    if (fading != nullptr)
        return;

    ModelRunner* fresh = pending.exchange(nullptr, std::memory_order_acq_rel);
    if (fresh == nullptr)
        return;
    fading = active;
    active = fresh;
    fadePosition = fading != nullptr ? 0 : fadeLength;
    latency.store(active->latencySamples(), std::memory_order_relaxed);
    resetsAtPublish = active->stateResets();
    underrunsAtPublish = active->underruns();
}

void EffectChain::process(float* const* io, int numChannels, int n) noexcept
{
    ScopedFlushDenormals noDenormals;
    if (dry.empty() || passThrough)
        return; // not prepared, or at a rate TorchAmp does not support: leave the audio as it is
    pickUpPublishedModel();
    if (io == nullptr)
        return;
    const int channels = std::min(numChannels, hostConfig.numChannels);
    for (int start = 0; start < n; start += hostConfig.maxBlockSize)
    {
        const int chunk = std::min(hostConfig.maxBlockSize, n - start);
        float* chunkPointers[HostLimits::maxChannels];
        for (int c = 0; c < channels; ++c)
            chunkPointers[c] = io[c] + start;
        processChunk(chunkPointers, channels, chunk);
    }
    if (active != nullptr)
    {
        resets.store(active->stateResets() - resetsAtPublish, std::memory_order_relaxed);
        lateBlocks.store(active->underruns() - underrunsAtPublish, std::memory_order_relaxed);
    }
}

void EffectChain::waitForEngine() const
{
    if (const auto* next = pending.load())
        next->waitForEngine();
    if (active != nullptr)
        active->waitForEngine();
    if (fading != nullptr)
        fading->waitForEngine();
}

void EffectChain::processChunk(float* const* io, int numChannels, int n) noexcept
{
    const int delayCapacity = static_cast<int>(dryDelay.front().size());
    const int delay = std::min(latency.load(std::memory_order_relaxed), maxDryDelay);

    for (int c = 0; c < numChannels; ++c)
    {
        float* x = io[c];
        auto& line = dryDelay[static_cast<size_t>(c)];
        float* delayed = dry[static_cast<size_t>(c)].data();
        int w = dryWrite;
        for (int i = 0; i < n; ++i)
        {
            // Non-finite input is silence from here on: it must reach neither the model nor the mix.
            const float v = std::isfinite(x[i]) ? x[i] : 0.0f;
            x[i] = v;
            line[static_cast<size_t>(w)] = v;
            int r = w - delay;
            if (r < 0)
                r += delayCapacity;
            delayed[i] = line[static_cast<size_t>(r)];
            if (++w == delayCapacity)
                w = 0;
        }
    }
    dryWrite = (dryWrite + n) % delayCapacity;

    // Input gain, shared by every channel so the smoothing stays in step.
    for (int i = 0; i < n; ++i)
    {
        const float g = inputGain.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] *= g;
    }

    for (int c = 0; c < numChannels; ++c)
        readPointers[static_cast<size_t>(c)] = io[c];

    if (active != nullptr)
    {
        for (int k = 0; k < active->spec().numKnobs(); ++k)
            active->setKnob(k, knobs[k]);
        active->process(readPointers.data(), wetPointers.data(), numChannels, n);
    }
    else
        for (int c = 0; c < numChannels; ++c)
            std::copy(io[c], io[c] + n, wet[static_cast<size_t>(c)].data());

    if (fading != nullptr && fadePosition < fadeLength)
    {
        for (int k = 0; k < fading->spec().numKnobs(); ++k)
            fading->setKnob(k, knobs[k]);
        fading->process(readPointers.data(), fadedPointers.data(), numChannels, n);
        const float step = 1.0f / static_cast<float>(fadeLength);
        for (int c = 0; c < numChannels; ++c)
        {
            float* w = wet[static_cast<size_t>(c)].data();
            const float* old = faded[static_cast<size_t>(c)].data();
            int position = fadePosition;
            for (int i = 0; i < n; ++i, ++position)
            {
                const float a = position < fadeLength ? static_cast<float>(position) * step : 1.0f;
                w[i] = a * w[i] + (1.0f - a) * old[i];
            }
        }
        fadePosition = std::min(fadeLength, fadePosition + n);
    }

    const float loudness = active != nullptr ? active->spec().loudnessDb : NAN;
    levelTrim.setTarget(normalise && std::isfinite(loudness) ? dbToGain(normaliseTargetDb - loudness) : 1.0f);
    for (int i = 0; i < n; ++i)
    {
        const float m = mix.next();
        const float g = outputGain.next();
        const float trim = levelTrim.next(); // the model's level only: the dry signal keeps its own
        const float b = bypassMix.next();
        for (int c = 0; c < numChannels; ++c)
        {
            const float d = dry[static_cast<size_t>(c)][static_cast<size_t>(i)];
            const float processed
                = g * (m * trim * wet[static_cast<size_t>(c)][static_cast<size_t>(i)] + (1.0f - m) * d);
            io[c][i] = b * d + (1.0f - b) * processed;
        }
    }
}

} // namespace torchamp
