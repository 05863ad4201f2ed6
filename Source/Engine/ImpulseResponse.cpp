#include "ImpulseResponse.h"

#include "Resampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace torchamp
{

namespace
{

std::vector<float> resampled(const std::vector<float>& x, int fromRate, int toRate)
{
    constexpr int block = 4096;
    Resampler resampler;
    resampler.prepare(fromRate, toRate, block, toRate);
    const auto delay = static_cast<std::size_t>(std::llround(resampler.delaySeconds() * toRate));
    const auto length =
        static_cast<std::size_t>((static_cast<long long>(x.size()) * toRate + fromRate - 1) / fromRate);
    std::vector<float> out;
    out.reserve(delay + length + static_cast<std::size_t>(resampler.maxOutputFor(block)));
    std::vector<float> chunk(static_cast<std::size_t>(block)),
        produced(static_cast<std::size_t>(resampler.maxOutputFor(block)));
    // The response, then silence until the filter's delay has flushed the last of it out.
    for (std::size_t start = 0; out.size() < delay + length; start += block)
    {
        for (std::size_t i = 0; i < chunk.size(); ++i)
            chunk[i] = start + i < x.size() ? x[start + i] : 0.0f;
        const int k = resampler.process(chunk.data(), block, produced.data());
        out.insert(out.end(), produced.begin(), produced.begin() + k);
    }
    return {out.begin() + static_cast<std::ptrdiff_t>(delay),
            out.begin() + static_cast<std::ptrdiff_t>(delay + length)};
}

} // namespace

std::string ImpulseResponse::validate() const
{
    if (channels.empty() || numChannels() > ImpulseResponseLimits::maxChannels)
        return "the impulse response has " + std::to_string(numChannels()) +
               " channels; TorchAmp plays mono and stereo responses";
    for (const auto& ch : channels)
        if (ch.size() != numFrames())
            return "the impulse response's channels differ in length";
    if (auto problem = HostLimits::describeUnsupportedSampleRate(sampleRate, "the impulse response");
        !problem.empty())
        return problem;
    if (numFrames() == 0)
        return "the impulse response has no samples";
    if (static_cast<double>(numFrames()) > ImpulseResponseLimits::maxSeconds * sampleRate)
        return "the impulse response is " +
               std::to_string(static_cast<int>(std::ceil(static_cast<double>(numFrames()) / sampleRate))) +
               " s long; impulse responses up to " +
               std::to_string(static_cast<int>(ImpulseResponseLimits::maxSeconds)) +
               " s are played (trim it in an audio editor)";
    float peak = 0.0f;
    for (const auto& ch : channels)
        for (float v : ch)
        {
            if (!std::isfinite(v))
                return "the impulse response holds samples that are not numbers (NaN or infinity)";
            peak = std::max(peak, std::abs(v));
        }
    if (peak == 0.0f)
        return "the impulse response is silent (every sample is zero)";
    return {};
}

std::size_t ImpulseResponse::leadingSilence() const
{
    float peak = 0.0f;
    for (const auto& ch : channels)
        for (float v : ch)
            peak = std::max(peak, std::abs(v));
    const float threshold = peak * std::pow(10.0f, leadingSilenceDb / 20.0f);
    std::size_t first = numFrames();
    for (const auto& ch : channels)
        for (std::size_t i = 0; i < std::min(first, ch.size()); ++i)
            if (std::abs(ch[i]) >= threshold)
            {
                first = i;
                break;
            }
    return first == numFrames() ? 0 : first;
}

std::vector<std::vector<float>> ImpulseResponse::preparedFor(double hostRate) const
{
    const auto host = static_cast<int>(std::lround(hostRate));
    if (host != sampleRate)
        if (auto problem = Resampler::describeUnsupported(sampleRate, host, host); !problem.empty())
            throw std::invalid_argument(problem);
    const auto trim = static_cast<std::ptrdiff_t>(leadingSilence());
    const float gain = static_cast<float>(std::pow(10.0, levelDb / 20.0) * referenceRate / host);
    std::vector<std::vector<float>> taps;
    for (const auto& ch : channels)
    {
        std::vector<float> trimmed(ch.begin() + trim, ch.end());
        auto t = host == sampleRate ? std::move(trimmed) : resampled(trimmed, sampleRate, host);
        for (auto& v : t)
            v *= gain;
        taps.push_back(std::move(t));
    }
    return taps;
}

} // namespace torchamp
