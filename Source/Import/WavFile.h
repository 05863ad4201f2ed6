#pragma once

#include "AudioFile.h"
#include "Result.h"

#include <cstddef>
#include <string>

namespace torchamp
{

/** Reads a RIFF/WAVE file: PCM 8/16/24/32-bit, IEEE float 32/64-bit, plain or WAVE_FORMAT_EXTENSIBLE,
    at most FileLimits::maxAudioFileBytes (read with readFileBytes(): regular files only). The
    sample rate is reported as the file states it; the caller checks it against HostLimits. */
Result<AudioData> readWav(const std::string& path);

/** Decodes a WAV file's bytes as readWav() does; `displayName` starts every message. Any thread
    but the audio thread. */
Result<AudioData> parseWav(const char* bytes, std::size_t size, const std::string& displayName);

/** Writes 32-bit float WAV. Returns an empty string on success, else what went wrong. */
std::string writeWavFloat(const std::string& path, const AudioData& audio);

} // namespace torchamp
