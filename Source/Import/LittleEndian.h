#pragma once

#include <cstdint>

namespace torchamp
{

/** The unsigned little-endian integer in the `bytes` bytes at `p` (zip fields, pickle arguments). */
inline std::uint64_t readLittleEndian(const char* p, int bytes) noexcept
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

} // namespace torchamp
