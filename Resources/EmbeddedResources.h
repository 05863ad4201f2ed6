#pragma once

#include <cstddef>
#include <vector>

// What ships inside the plugin and the tools, compiled in so nothing depends on a file path.
namespace torchamp::resources
{

extern const unsigned char defaultModel[];
extern const std::size_t defaultModelSize;
extern const unsigned char defaultCabinet[];
extern const std::size_t defaultCabinetSize;

/// The file name the embedded default model was made from, shown to users.
inline constexpr const char* defaultModelName = "DefaultModel.pt";

/// A copy of the default model's TorchScript bytes, for the loader. Off the audio thread.
inline std::vector<char> defaultModelBytes()
{
    return { reinterpret_cast<const char*>(defaultModel), reinterpret_cast<const char*>(defaultModel) + defaultModelSize };
}

/// The file name the embedded default cabinet impulse response was made as
/// (Resources/make_default_cabinet.py), shown to users.
inline constexpr const char* defaultCabinetName = "DefaultCabinet.wav";

/// A copy of the default cabinet's WAV bytes, for decodeImpulseResponse(). Off the audio thread.
inline std::vector<char> defaultCabinetBytes()
{
    return { reinterpret_cast<const char*>(defaultCabinet),
             reinterpret_cast<const char*>(defaultCabinet) + defaultCabinetSize };
}

} // namespace torchamp::resources
