#include "CabinetStage.h"

#include "Crossfade.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

std::string CabinetStage::prepare(const HostConfig& config, ConvolutionLatency latency, double sampleRate,
                                  double smoothingSeconds)
{
    auto newest = responses.takeNewest();
    std::unique_ptr<CabinetResponse> rebuilt;
    std::string problem;
    if (newest != nullptr)
    {
        try
        {
            rebuilt = newest->rebuildFor(config, latency);
        }
        catch (const std::exception& e)
        {
            problem = newest->source().name + " cannot play at these settings (" + e.what() +
                      "): the cabinet is off until another impulse response is loaded";
        }
    }
    newest.reset();
    responses.install(std::move(rebuilt));

    fadeLength = std::max(1, static_cast<int>(crossfadeSeconds * sampleRate));
    fadePosition = fadeLength;
    played = false;
    on.setLength(static_cast<int>(smoothingSeconds * sampleRate));
    convolving = on.value() > 0.0f;
    const auto channels = static_cast<size_t>(config.numChannels);
    unconvolved.prepare(config.numChannels, maxLatency, config.maxBlockSize);
    for (auto* buffers : {&dry, &wet, &faded})
        buffers->resize(config.numChannels, config.maxBlockSize);
    inPointers.assign(channels, nullptr);
    return problem;
}

bool CabinetStage::publish(std::unique_ptr<CabinetResponse> response, const HostConfig& config,
                           ConvolutionLatency latency)
{
    if (!response || response->config() != config || response->latencyMode() != latency)
        return false;
    responses.publish(std::move(response));
    return true;
}

void CabinetStage::beginBlock() noexcept
{
    if (responses.previous() != nullptr && fadePosition >= fadeLength && !responses.retirePrevious())
        return;
    if (fadePosition < fadeLength || !responses.pickUp())
        return;
    // A response that arrives while audio plays fades in, from the one before or from the
    // unconvolved signal; before the first block after prepare() it plays at once.
    fadePosition = played ? 0 : fadeLength;
}

void CabinetStage::setEnabled(bool enabled) noexcept
{
    on.setTarget(enabled ? 1.0f : 0.0f);
    if (enabled && !convolving)
        restart();
}

void CabinetStage::restart() noexcept
{
    // Switched on again: the responses' history holds audio from before they were switched off.
    if (auto* r = responses.current())
        r->reset();
    if (auto* r = responses.previous())
        r->reset();
    convolving = true;
}

int CabinetStage::latencySamples() const noexcept
{
    const auto* r = responses.current();
    return r != nullptr ? r->latencySamples() : 0;
}

void CabinetStage::process(float* const* io, int numChannels, int n) noexcept
{
    played = true;
    const auto* active = responses.current();
    const int delay = latencySamples();
    const bool fading = fadePosition < fadeLength;
    if ((active == nullptr || active->isEmpty()) && !fading && delay == 0)
        return; // nothing to convolve: untouched
    unconvolved.process(io, dry.pointers(), numChannels, n, delay);
    if (!convolving)
    {
        fadePosition = fadeLength; // nothing plays that could fade
        for (int c = 0; c < numChannels; ++c)
            std::copy(dry.channel(c), dry.channel(c) + n, io[c]);
        return;
    }
    convolve(io, numChannels, n);
    for (int i = 0; i < n; ++i)
    {
        const float g = on.next();
        for (int c = 0; c < numChannels; ++c)
            io[c][i] = g * wet.channel(c)[i] + (1.0f - g) * dry.channel(c)[i];
    }
    if (!on.isGliding() && on.value() == 0.0f)
        convolving = false;
}

void CabinetStage::convolve(float* const* io, int numChannels, int n) noexcept
{
    auto* active = responses.current();
    auto* previous = responses.previous();
    for (int c = 0; c < numChannels; ++c)
        inPointers[static_cast<size_t>(c)] = io[c];
    if (active != nullptr)
        active->process(inPointers.data(), wet.pointers(), numChannels, n);
    else
        for (int c = 0; c < numChannels; ++c)
            std::copy(dry.channel(c), dry.channel(c) + n, wet.channel(c));

    if (fadePosition < fadeLength)
    {
        if (previous != nullptr)
            previous->process(inPointers.data(), faded.pointers(), numChannels, n);
        fadePosition = crossfadeLinear(wet.pointers(), previous != nullptr ? faded.pointers() : dry.pointers(),
                                       numChannels, n, fadePosition, fadeLength);
    }

    // A response fed something that is not a number would play it for its whole length.
    for (int c = 0; c < numChannels; ++c)
    {
        float sum = 0.0f;
        for (int i = 0; i < n; ++i)
            sum += wet.channel(c)[i];
        if (!std::isfinite(sum))
        {
            restart();
            for (int k = 0; k < numChannels; ++k)
                std::fill(wet.channel(k), wet.channel(k) + n, 0.0f);
            break;
        }
    }
}

} // namespace torchamp
