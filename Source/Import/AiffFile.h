#pragma once

#include "AudioFile.h"

namespace torchamp
{

/** Decodes AIFF (big-endian PCM 8/16/24/32-bit) and AIFF-C ('NONE' and 'twos' big-endian PCM,
    'sowt' little-endian PCM, 'fl32' and 'fl64' big-endian float). Every message starts with
    `displayName`. Any thread but the audio thread. */
Result<AudioData> parseAiff(const char* bytes, std::size_t size, const std::string& displayName);

} // namespace torchamp
