#pragma once

#include "ImpulseResponse.h"
#include "Result.h"

#include <string>
#include <vector>

namespace torchamp
{

/** Decodes a cabinet impulse response from a WAV, AIFF or FLAC file's bytes and checks it
    (ImpulseResponse::validate(): mono or stereo, at most ImpulseResponseLimits::maxSeconds, a
    rate within HostLimits, finite, not silent). Every message starts with `displayName`, which
    also becomes the response's name. Off the audio thread. */
Result<ImpulseResponse> decodeImpulseResponse(const std::vector<char>& bytes, const std::string& displayName);

/** Reads (at most FileLimits::maxImpulseResponseBytes, with readFileBytes()) and decodes an
    impulse response file. Off the audio thread and, in the plugin, off the message thread. */
Result<ImpulseResponse> readImpulseResponseFile(const std::string& path);

} // namespace torchamp
