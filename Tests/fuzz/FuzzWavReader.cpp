// libFuzzer target: any bytes as a WAV file, through the reader torchamp-render uses. It must never
// crash, hang, leak or allocate more than the bytes justify; every message starts with the name.

#include "WavFile.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto audio = torchamp::parseWav(reinterpret_cast<const char*>(data), size, "fuzz.wav");
    if (!audio)
    {
        if (audio.error().rfind("fuzz.wav", 0) != 0)
            __builtin_trap();
        return 0;
    }
    // What was decoded came from the bytes: no more samples than bytes, every channel as long.
    if (audio->numFrames() * static_cast<std::size_t>(audio->numChannels()) > size)
        __builtin_trap();
    for (const auto& channel : audio->channels)
        if (channel.size() != audio->numFrames())
            __builtin_trap();
    return 0;
}
