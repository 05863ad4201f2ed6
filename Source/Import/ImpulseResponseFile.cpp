#include "ImpulseResponseFile.h"

#include "AudioFile.h"
#include "FileBytes.h"

namespace torchamp
{

namespace
{
// A response of the longest duration at the highest rate, in stereo: more is refused as it decodes.
constexpr auto maxSamples =
    static_cast<std::size_t>(ImpulseResponseLimits::maxSeconds * HostLimits::maxSampleRate) *
    ImpulseResponseLimits::maxChannels;
} // namespace

Result<ImpulseResponse> decodeImpulseResponse(const std::vector<char>& bytes, const std::string& displayName)
{
    using R = Result<ImpulseResponse>;
    auto audio = decodeAudioFile(bytes.data(), bytes.size(), displayName, maxSamples);
    if (!audio)
        return R::failure(audio.error());
    const auto rate = static_cast<double>(audio->sampleRate);
    if (auto problem = HostLimits::describeUnsupportedSampleRate(rate, "the impulse response");
        !problem.empty())
        return R::failure(displayName + ": " + problem);
    ImpulseResponse ir;
    ir.name = displayName;
    ir.sampleRate = static_cast<int>(audio->sampleRate);
    ir.channels = std::move(audio->channels);
    if (auto problem = ir.validate(); !problem.empty())
        return R::failure(displayName + ": " + problem);
    return R::success(std::move(ir));
}

Result<ImpulseResponse> readImpulseResponseFile(const std::string& path)
{
    auto bytes = readFileBytes(path, FileLimits::maxImpulseResponseBytes);
    if (!bytes)
        return Result<ImpulseResponse>::failure(bytes.error());
    return decodeImpulseResponse(*bytes, fileNameOf(path));
}

} // namespace torchamp
