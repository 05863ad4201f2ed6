// libFuzzer target: any bytes as a model file, through the loader as the plugin and the render
// tool use it (safe mode on and off, parity check on). It must never crash, hang or leak; it
// returns an error for everything that is not a playable model.

#include "ModelLoader.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::vector<char> bytes(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size);
    torchamp::LoadOptions options;
    options.strict = size % 2 == 0;
    auto loaded = torchamp::loadModel(bytes, "fuzz.pt", options);
    if (!loaded && loaded.error().rfind("fuzz.pt", 0) != 0)
        __builtin_trap(); // every message starts with the file name
    return 0;
}
