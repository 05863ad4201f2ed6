#pragma once

#include <cstddef>
#include <vector>

// What ships inside the plugin and the tools, compiled in so nothing depends on a file path.
namespace torchamp::resources
{

extern const unsigned char defaultModel[];
extern const std::size_t defaultModelSize;

/// The file name the embedded default model was made from, shown to users.
inline constexpr const char* defaultModelName = "DefaultModel.pt";

/// A copy of the default model's TorchScript bytes, for the loader. Off the audio thread.
inline std::vector<char> defaultModelBytes()
{
    return { reinterpret_cast<const char*>(defaultModel), reinterpret_cast<const char*>(defaultModel) + defaultModelSize };
}

} // namespace torchamp::resources
