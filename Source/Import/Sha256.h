#pragma once

#include <cstddef>
#include <string>

namespace torchamp
{

/** The SHA-256 digest (FIPS 180-4) of `size` bytes, as 64 lower-case hexadecimal digits. Any thread
    but the audio thread. */
std::string sha256Hex(const void* bytes, std::size_t size);

} // namespace torchamp
