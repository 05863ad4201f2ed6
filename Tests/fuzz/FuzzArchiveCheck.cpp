// libFuzzer target: any bytes through the archive check alone (the zip directory walk, inflating,
// the pickle and code scans), thousands of inputs a second where the whole loader manages tens.
// It must never crash, hang, leak or read outside the input; whatever it accepts must be a zip
// whose records all lie inside the file.

#include "ArchiveCheck.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto result = torchamp::ArchiveCheck::run(reinterpret_cast<const char*>(data), size);
    if (result && !result.reason.empty())
        __builtin_trap(); // an accepted archive carries no complaint
    if (!result && result.reason.empty())
        __builtin_trap(); // every refusal says why
    return 0;
}
