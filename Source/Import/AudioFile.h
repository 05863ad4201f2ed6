#pragma once

#include "Limits.h"
#include "Result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace torchamp
{

/** Audio as float samples, one vector per channel. */
struct AudioData
{
    std::int64_t sampleRate = 0; ///< as the file states it (a WAV header holds up to 2^32 - 1)
    std::vector<std::vector<float>> channels;

    int numChannels() const noexcept { return static_cast<int>(channels.size()); }
    size_t numFrames() const noexcept { return channels.empty() ? 0 : channels.front().size(); }
};

/** Most samples (frames times channels) an audio file may decode to: the samples of the largest
    audio file TorchAmp reads, held as floats. A compressed file (FLAC) that would expand beyond
    the caller's limit is refused as it decodes. */
constexpr std::size_t maxDecodedSamples = FileLimits::maxAudioFileBytes / sizeof(float);

/** Decodes an audio file's bytes, choosing the format from its first bytes: WAV (RIFF/WAVE),
    AIFF or AIFF-C (FORM), FLAC (fLaC). At most `maxSamples` samples are decoded. Every message
    starts with `displayName`. The sample rate is reported as the file states it; the caller
    checks it against HostLimits. Any thread but the audio thread. */
Result<AudioData> decodeAudioFile(const char* bytes, std::size_t size, const std::string& displayName,
                                  std::size_t maxSamples = maxDecodedSamples);

/** Reads and decodes an audio file (decodeAudioFile()), at most `maxBytes` long (read with
    readFileBytes(): regular files only). Any thread but the audio thread. */
Result<AudioData> readAudioFile(const std::string& path, std::size_t maxBytes = FileLimits::maxAudioFileBytes,
                                std::size_t maxSamples = maxDecodedSamples);

} // namespace torchamp
