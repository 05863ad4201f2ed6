#include "AudioFile.h"

#include "AiffFile.h"
#include "FileBytes.h"
#include "FlacFile.h"
#include "WavFile.h"

#include <cstring>

namespace torchamp
{

Result<AudioData> decodeAudioFile(const char* bytes, std::size_t size, const std::string& displayName,
                                  std::size_t maxSamples)
{
    auto starts = [&](const char* magic, std::size_t at = 0)
    { return size >= at + 4 && std::memcmp(bytes + at, magic, 4) == 0; };
    Result<AudioData> audio = Result<AudioData>::failure({});
    if (starts("RIFF") && starts("WAVE", 8))
        audio = parseWav(bytes, size, displayName);
    else if (starts("FORM") && (starts("AIFF", 8) || starts("AIFC", 8)))
        audio = parseAiff(bytes, size, displayName);
    else if (starts("fLaC"))
        return parseFlac(bytes, size, displayName, maxSamples);
    else
        return Result<AudioData>::failure(displayName +
                                          ": not a WAV, AIFF or FLAC file");
    if (audio && audio->numFrames() * static_cast<std::size_t>(audio->numChannels()) > maxSamples)
        return Result<AudioData>::failure(displayName + ": the audio is longer than TorchAmp reads here");
    return audio;
}

Result<AudioData> readAudioFile(const std::string& path, std::size_t maxBytes, std::size_t maxSamples)
{
    auto bytes = readFileBytes(path, maxBytes);
    if (!bytes)
        return Result<AudioData>::failure(bytes.error());
    return decodeAudioFile(bytes->data(), bytes->size(), fileNameOf(path), maxSamples);
}

} // namespace torchamp
