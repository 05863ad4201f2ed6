#pragma once

#include "Result.h"

#include <string>
#include <vector>

namespace torchamp
{

/** Audio as float samples, one vector per channel. */
struct AudioData
{
    int sampleRate = 0;
    std::vector<std::vector<float>> channels;

    int numChannels() const noexcept { return static_cast<int>(channels.size()); }
    size_t numFrames() const noexcept { return channels.empty() ? 0 : channels.front().size(); }
};

/** Reads a RIFF/WAVE file: PCM 8/16/24/32-bit, IEEE float 32/64-bit, plain or WAVE_FORMAT_EXTENSIBLE. */
Result<AudioData> readWav(const std::string& path);

/** Writes 32-bit float WAV. Returns an empty string on success, else what went wrong. */
std::string writeWavFloat(const std::string& path, const AudioData& audio);

} // namespace torchamp
