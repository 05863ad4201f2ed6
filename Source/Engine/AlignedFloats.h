#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace torchamp
{

/** A float array whose first element sits on a 64-byte boundary (a cache line, a zmm load), so
    packed weight columns never straddle cache lines. Sized off the audio thread only. */
class AlignedFloats
{
public:
    AlignedFloats() = default;
    AlignedFloats(AlignedFloats&&) noexcept = default; // the heap block, and so its alignment, moves along
    AlignedFloats& operator=(AlignedFloats&&) noexcept = default;
    AlignedFloats(const AlignedFloats&) = delete; // a copy would land on another boundary
    AlignedFloats& operator=(const AlignedFloats&) = delete;

    void assign(std::size_t n, float value)
    {
        storage.assign(n + padding, value);
        const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
        offset = ((alignment - address % alignment) % alignment) / sizeof(float);
        count = n;
    }

    float* data() noexcept { return storage.data() + offset; }
    const float* data() const noexcept { return storage.data() + offset; }
    std::size_t size() const noexcept { return count; }
    float& operator[](std::size_t i) noexcept { return data()[i]; }
    float operator[](std::size_t i) const noexcept { return data()[i]; }

private:
    static constexpr std::size_t alignment = 64;
    static constexpr std::size_t padding = alignment / sizeof(float);
    std::vector<float> storage;
    std::size_t offset = 0;
    std::size_t count = 0;
};

} // namespace torchamp
