// libFuzzer target: any bytes as a preset file. It must never crash, hang or leak; every message
// starts with the name; what parses serialises and parses again to the same preset.

#include "Preset.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::vector<char> bytes(data, data + size);
    auto preset = torchamp::parsePreset(bytes, "fuzz.json");
    if (!preset)
    {
        if (preset.error().rfind("fuzz.json: ", 0) != 0)
            __builtin_trap();
        return 0;
    }
    const auto text = torchamp::serialisePreset(*preset);
    auto again = torchamp::parsePreset({text.begin(), text.end()}, "again.json");
    if (!again || again->parameters != preset->parameters || again->name != preset->name)
        __builtin_trap();
    return 0;
}
