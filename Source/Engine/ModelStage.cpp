#include "ModelStage.h"

#include "Crossfade.h"
#include "Decibels.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

ModelStage::ModelStage() = default;

std::string ModelStage::prepare(const HostConfig& config, double sampleRate, double smoothingSeconds)
{
    auto newest = runners.takeNewest();
    std::unique_ptr<ModelRunner> rebuilt;
    std::string problem;
    if (newest != nullptr)
    {
        try
        {
            rebuilt = newest->rebuildFor(config);
            rebuilt->warmUp();
        }
        catch (const std::exception& e)
        {
            // The model cannot run at these settings (its engine failed to start): the signal
            // passes through unprocessed until another model is loaded, rather than stopping the host.
            problem = newest->spec().name + " cannot play at these settings (" + e.what() +
                      "): the audio passes through unprocessed until another model is loaded";
            rebuilt.reset();
        }
    }
    newest.reset();
    resetsAtPublish = rebuilt ? rebuilt->stateResets() : 0;
    underrunsAtPublish = rebuilt ? rebuilt->underruns() : 0;
    runners.install(std::move(rebuilt));
    updateLevelTrim();

    fadeLength = std::max(1, static_cast<int>(crossfadeSeconds * sampleRate));
    fadePosition = fadeLength;
    levelTrim.setLength(static_cast<int>(smoothingSeconds * sampleRate));
    wet.resize(config.numChannels, config.maxBlockSize);
    faded.resize(config.numChannels, config.maxBlockSize);
    inPointers.assign(static_cast<size_t>(config.numChannels), nullptr);
    return problem;
}

bool ModelStage::publish(std::unique_ptr<ModelRunner> runner, const HostConfig& config)
{
    if (!runner || runner->config() != config)
        return false;
    runners.publish(std::move(runner));
    return true;
}

bool ModelStage::beginBlock() noexcept
{
    // Hand a finished fade's old model back first: at most one is ever waiting to be freed.
    if (runners.previous() != nullptr && fadePosition >= fadeLength && !runners.retirePrevious())
        return false;
    if (!runners.pickUp())
        return false;
    const auto* active = runners.current();
    const bool first = runners.previous() == nullptr;
    fadePosition = first ? fadeLength : 0;
    resetsAtPublish = active->stateResets();
    underrunsAtPublish = active->underruns();
    if (first)
    {
        // Nothing played before: the model's level is right from its first sample.
        updateLevelTrim();
        levelTrim.snap();
    }
    return first;
}

void ModelStage::updateLevelTrim() noexcept
{
    const auto* active = runners.current();
    const float loudness = active != nullptr ? active->spec().loudnessDb : NAN;
    levelTrim.setTarget(normalise && std::isfinite(loudness) ? Decibels::toGain(normaliseTargetDb - loudness) : 1.0f);
}

void ModelStage::setKnob(int index, float value01) noexcept
{
    // A non-finite value (from automation or a damaged state) leaves the knob where it was.
    if (index >= 0 && index < ModelLimits::maxKnobs && std::isfinite(value01))
        knobs[index] = std::clamp(value01, 0.0f, 1.0f);
}

void ModelStage::setNormalise(bool shouldNormalise) noexcept
{
    normalise = shouldNormalise;
}

int ModelStage::latencySamples() const noexcept
{
    const auto* active = runners.current();
    return active != nullptr ? active->latencySamples() : 0;
}

float ModelStage::inputLevelDbu() const noexcept
{
    const auto* active = runners.current();
    return active != nullptr ? active->spec().inputLevelDbu : NAN;
}

bool ModelStage::canCopyChannelState() const noexcept
{
    const auto* active = runners.current();
    const auto* fading = runners.previous();
    return (active == nullptr || active->canCopyChannelState()) &&
           (fading == nullptr || fading->canCopyChannelState());
}

void ModelStage::copyChannelState(int from, int to) noexcept
{
    if (auto* active = runners.current())
        active->copyChannelState(from, to);
    if (auto* fading = runners.previous(); fading != nullptr && fading != runners.current())
        fading->copyChannelState(from, to);
}

void ModelStage::process(float* const* io, int numChannels, int n) noexcept
{
    auto* active = runners.current();
    auto* fading = runners.previous();
    for (int c = 0; c < numChannels; ++c)
        inPointers[static_cast<size_t>(c)] = io[c];

    if (active != nullptr)
    {
        for (int k = 0; k < active->spec().numKnobs(); ++k)
            active->setKnob(k, knobs[k]);
        active->process(inPointers.data(), wet.pointers(), numChannels, n);
    }
    else
        for (int c = 0; c < numChannels; ++c)
            std::copy(io[c], io[c] + n, wet.channel(c));

    if (fading != nullptr && fadePosition < fadeLength)
    {
        for (int k = 0; k < fading->spec().numKnobs(); ++k)
            fading->setKnob(k, knobs[k]);
        fading->process(inPointers.data(), faded.pointers(), numChannels, n);
        fadePosition = crossfadeLinear(wet.pointers(), faded.pointers(), numChannels, n, fadePosition, fadeLength);
    }

    const float loudness = active != nullptr ? active->spec().loudnessDb : NAN;
    levelTrim.setTarget(normalise && std::isfinite(loudness) ? Decibels::toGain(normaliseTargetDb - loudness)
                                                             : 1.0f);
    for (int i = 0; i < n; ++i)
    {
        const float trim = levelTrim.next(); // the model's level only: the dry signal keeps its own
        for (int c = 0; c < numChannels; ++c)
            io[c][i] = trim * wet.channel(c)[i];
    }
}

void ModelStage::endBlock() noexcept
{
    if (const auto* active = runners.current())
    {
        resets.store(active->stateResets() - resetsAtPublish, std::memory_order_relaxed);
        lateBlocks.store(active->underruns() - underrunsAtPublish, std::memory_order_relaxed);
    }
}

void ModelStage::waitForEngine() const
{
    if (const auto* next = runners.waiting())
        next->waitForEngine();
    if (const auto* active = runners.current())
        active->waitForEngine();
    if (const auto* fading = runners.previous())
        fading->waitForEngine();
}

} // namespace torchamp
