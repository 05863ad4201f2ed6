#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace torchamp::test
{

/// Appends `v` as `bytes` little-endian bytes.
inline void putLittleEndian(std::string& s, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string le32(std::uint32_t v)
{
    std::string s;
    putLittleEndian(s, v, 4);
    return s;
}

/** A minimal zip writer (stored records, no zip64), to build archives byte by byte. */
inline std::vector<char> makeZip(const std::vector<std::pair<std::string, std::string>>& records)
{
    auto put = putLittleEndian;
    std::string out, directory;
    for (const auto& [name, content] : records)
    {
        const auto offset = out.size();
        put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4),
            put(out, 0, 4);
        put(out, content.size(), 4), put(out, content.size(), 4), put(out, name.size(), 2), put(out, 0, 2);
        out += name + content;
        put(directory, 0x02014b50, 4), put(directory, 20, 2), put(directory, 20, 2), put(directory, 0, 2);
        put(directory, 0, 2), put(directory, 0, 4), put(directory, 0, 4), put(directory, content.size(), 4);
        put(directory, content.size(), 4), put(directory, name.size(), 2), put(directory, 0, 2),
            put(directory, 0, 2);
        put(directory, 0, 2), put(directory, 0, 2), put(directory, 0, 4), put(directory, offset, 4);
        directory += name;
    }
    const auto directoryStart = out.size();
    out += directory;
    put(out, 0x06054b50, 4), put(out, 0, 4), put(out, records.size(), 2), put(out, records.size(), 2);
    put(out, directory.size(), 4), put(out, directoryStart, 4), put(out, 0, 2);
    return {out.begin(), out.end()};
}

} // namespace torchamp::test
