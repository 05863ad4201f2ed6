#pragma once

#include "AudioFile.h"

namespace torchamp
{

/** Decodes FLAC (native, not Ogg) with libFLAC, 4 to 32 bits per sample, refusing a file that
    decodes to more than `maxSamples` samples. Every message starts with `displayName`. Any
    thread but the audio thread. */
Result<AudioData> parseFlac(const char* bytes, std::size_t size, const std::string& displayName,
                            std::size_t maxSamples = maxDecodedSamples);

} // namespace torchamp
