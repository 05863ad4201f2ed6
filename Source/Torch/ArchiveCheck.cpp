#include "ArchiveCheck.h"
#include "StringMatch.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace torchamp
{

namespace
{

constexpr std::uint32_t endOfDirectorySignature = 0x06054b50;
constexpr std::uint32_t zip64EndOfDirectorySignature = 0x06064b50;
constexpr std::uint32_t zip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t directoryEntrySignature = 0x02014b50;
constexpr std::uint32_t localHeaderSignature = 0x04034b50;
constexpr std::size_t endOfDirectoryBytes = 22, zip64LocatorBytes = 20, zip64EndOfDirectoryBytes = 56;
constexpr std::size_t directoryEntryBytes = 46, localHeaderBytes = 30;
constexpr std::uint64_t maxDeflateRatio = 1032; // the most deflate can expand: 258 bytes per 2 bits
constexpr std::size_t maxRecords = 100000;
constexpr int maxCodeNesting = 200; // brackets and indentation levels in the archive's TorchScript code

std::uint64_t readLE(const char* p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

struct Record
{
    std::string name;
    std::uint64_t method = 0, compressed = 0, uncompressed = 0, dataStart = 0;
};

/** Walks a pickle's opcodes (protocols 0 to 5) without building anything. Returns what is wrong,
    or an empty string. */
std::string checkPickle(const char* p, std::size_t size)
{
    std::size_t at = 0;
    std::uint64_t memoNext = 0; // the next memo index a well-formed pickle may write
    auto need = [&](std::uint64_t n) { return n <= size - at; };
    std::string text;
    auto line = [&]() -> std::string* {
        const void* end = std::memchr(p + at, '\n', size - at);
        if (end == nullptr)
            return nullptr;
        const auto length = static_cast<std::size_t>(static_cast<const char*>(end) - (p + at));
        text.assign(p + at, length);
        at += length + 1;
        return &text;
    };
    auto decimal = [](const std::string& s, std::uint64_t& value) {
        if (s.empty() || s.size() > 18)
            return false;
        value = 0;
        for (char ch : s)
        {
            if (ch < '0' || ch > '9')
                return false;
            value = value * 10 + static_cast<std::uint64_t>(ch - '0');
        }
        return true;
    };
    auto put = [&](std::uint64_t index) {
        if (index > memoNext)
            return false;
        memoNext = std::max(memoNext, index + 1);
        return true;
    };

    while (at < size)
    {
        const auto opcode = static_cast<unsigned char>(p[at++]);
        std::uint64_t fixed = 0;      // bytes of argument
        int lengthBytes = 0;          // a little-endian length of that many bytes, then the data
        int lines = 0;                // newline-terminated text arguments
        switch (opcode)
        {
            case '.': return {}; // STOP
            case '(': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a': case 'b':
            case 'd': case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't': case ')':
            case 'u': case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8f:
            case 0x90: case 0x91: case 0x92: case 0x93: case 0x97: case 0x98:
                break;
            case 0x94: // MEMOIZE
                ++memoNext;
                break;
            case 'K': case 0x80: case 0x82: fixed = 1; break;
            case 'M': case 0x83: fixed = 2; break;
            case 'J': case 0x84: fixed = 4; break;
            case 'G': case 0x95: fixed = 8; break; // BINFLOAT; FRAME's length (the frame follows inline)
            case 'U': case 'C': case 0x8a: case 0x8c: lengthBytes = 1; break;
            case 'T': case 'X': case 'B': case 0x8b: lengthBytes = 4; break;
            case 0x8d: case 0x8e: case 0x96: lengthBytes = 8; break;
            case 'F': case 'I': case 'L': case 'P': case 'S': case 'V': lines = 1; break;
            case 'c': case 'i': lines = 2; break;
            case 'h': case 'q': // BINGET, BINPUT: one-byte index
            case 'j': case 'r': // LONG_BINGET, LONG_BINPUT: four-byte index
            {
                const int bytes = (opcode == 'h' || opcode == 'q') ? 1 : 4;
                if (!need(bytes))
                    return "a pickle ends inside a memo index";
                const auto index = readLE(p + at, bytes);
                at += static_cast<std::size_t>(bytes);
                if (opcode == 'h' || opcode == 'j' ? index >= memoNext : !put(index))
                    return "a pickle uses memo index " + std::to_string(index) + " out of order";
                continue;
            }
            case 'g': case 'p': // GET, PUT with a decimal index
            {
                auto* text = line();
                std::uint64_t index = 0;
                if (text == nullptr || !decimal(*text, index))
                    return "a pickle has a malformed memo index";
                if (opcode == 'g' ? index >= memoNext : !put(index))
                    return "a pickle uses memo index " + std::to_string(index) + " out of order";
                continue;
            }
            default:
                return "a pickle has an unknown opcode " + std::to_string(opcode);
        }
        if (!need(fixed))
            return "a pickle ends inside an argument";
        at += fixed;
        if (lengthBytes > 0)
        {
            if (!need(static_cast<std::uint64_t>(lengthBytes)))
                return "a pickle ends inside a length";
            const auto length = readLE(p + at, lengthBytes);
            at += static_cast<std::size_t>(lengthBytes);
            if (!need(length))
                return "a pickle declares " + std::to_string(length) + " bytes of data where "
                       + std::to_string(size - at) + " remain";
            at += length;
        }
        for (int i = 0; i < lines; ++i)
            if (line() == nullptr)
                return "a pickle ends inside a text argument";
    }
    return "a pickle has no STOP";
}

/** TorchScript's parser recurses once per bracket and per indented block: a deep enough file
    overflows the loading thread's stack. Generated code nests a few levels. */
std::string checkCode(const char* p, std::size_t size)
{
    int depth = 0;
    std::size_t column = 0;
    bool leading = true;
    for (std::size_t i = 0; i < size; ++i)
    {
        const char ch = p[i];
        if (ch == '\n')
        {
            leading = true;
            column = 0;
            continue;
        }
        if (leading && (ch == ' ' || ch == '\t'))
        {
            if (++column > 4 * maxCodeNesting)
                return "its code is indented deeper than " + std::to_string(maxCodeNesting) + " levels";
            continue;
        }
        leading = false;
        if (ch == '(' || ch == '[' || ch == '{')
        {
            if (++depth > maxCodeNesting)
                return "its code nests brackets deeper than " + std::to_string(maxCodeNesting) + " levels";
        }
        else if ((ch == ')' || ch == ']' || ch == '}') && depth > 0)
            --depth;
    }
    return {};
}

std::string inflateRecord(const char* data, const Record& r, std::vector<char>& out)
{
    out.resize(static_cast<std::size_t>(r.uncompressed));
    z_stream z {};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return "zlib could not start";
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data + r.dataStart));
    z.avail_in = static_cast<uInt>(r.compressed);
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_FINISH);
    const auto produced = z.total_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END || produced != r.uncompressed)
        return "record " + r.name + " does not inflate to its declared " + std::to_string(r.uncompressed) + " bytes";
    return {};
}

ArchiveCheck fail(ArchiveCheck::Verdict v, std::string reason)
{
    ArchiveCheck c;
    c.verdict = v;
    c.reason = std::move(reason);
    return c;
}

} // namespace

ArchiveCheck ArchiveCheck::run(const char* data, std::size_t size)
{
    using V = Verdict;
    if (size > maxArchiveBytes)
        return fail(V::tooLarge, std::to_string(size >> 20) + " MB, above the " + std::to_string(maxArchiveBytes >> 20)
                                     + " MB TorchAmp reads");
    if (size < endOfDirectoryBytes)
        return fail(V::notAZip, "too short for a zip archive");

    // The end-of-directory record: the last one whose comment ends exactly at the end of the file,
    // or failing that the last signature (as zip readers do).
    std::size_t eocd = SIZE_MAX;
    const std::size_t lowest = size > endOfDirectoryBytes + 0xffff ? size - endOfDirectoryBytes - 0xffff : 0;
    for (std::size_t at = size - endOfDirectoryBytes + 1; at-- > lowest;)
        if (readLE(data + at, 4) == endOfDirectorySignature)
        {
            if (eocd == SIZE_MAX)
                eocd = at;
            if (at + endOfDirectoryBytes + readLE(data + at + 20, 2) == size)
            {
                eocd = at;
                break;
            }
        }
    if (eocd == SIZE_MAX)
        return fail(V::notAZip, "no zip directory");

    std::uint64_t entries = readLE(data + eocd + 10, 2);
    std::uint64_t directorySize = readLE(data + eocd + 12, 4);
    std::uint64_t directoryStart = readLE(data + eocd + 16, 4);
    if (eocd >= zip64LocatorBytes && readLE(data + eocd - zip64LocatorBytes, 4) == zip64LocatorSignature)
    {
        // Zip64 (torch.jit.save always writes it): its record's figures are the ones read.
        const auto record = readLE(data + eocd - zip64LocatorBytes + 8, 8);
        if (record > eocd - zip64LocatorBytes || eocd - zip64LocatorBytes - record < zip64EndOfDirectoryBytes
            || readLE(data + record, 4) != zip64EndOfDirectorySignature)
            return fail(V::damaged, "its zip64 directory record is missing or out of place");
        entries = readLE(data + record + 32, 8);
        directorySize = readLE(data + record + 40, 8);
        directoryStart = readLE(data + record + 48, 8);
    }
    if (directoryStart > eocd || directorySize > eocd - directoryStart)
        return fail(V::damaged, "its zip directory lies outside the file");
    if (entries > maxRecords || entries * directoryEntryBytes > directorySize)
        return fail(V::damaged, "its zip directory declares " + std::to_string(entries) + " records in "
                                    + std::to_string(directorySize) + " bytes");

    std::vector<Record> records;
    records.reserve(static_cast<std::size_t>(entries));
    std::uint64_t totalUncompressed = 0;
    const char* cursor = data + directoryStart;
    const char* const directoryEnd = cursor + directorySize;
    for (std::uint64_t i = 0; i < entries; ++i)
    {
        if (directoryEnd - cursor < static_cast<std::ptrdiff_t>(directoryEntryBytes) || readLE(cursor, 4) != directoryEntrySignature)
            return fail(V::damaged, "its zip directory is cut short at record " + std::to_string(i));
        Record r;
        const auto flags = readLE(cursor + 8, 2);
        r.method = readLE(cursor + 10, 2);
        r.compressed = readLE(cursor + 20, 4);
        r.uncompressed = readLE(cursor + 24, 4);
        const auto nameLength = readLE(cursor + 28, 2), extraLength = readLE(cursor + 30, 2), commentLength = readLE(cursor + 32, 2);
        const auto localHeader = readLE(cursor + 42, 4);
        const auto entryBytes = directoryEntryBytes + nameLength + extraLength + commentLength;
        if (static_cast<std::uint64_t>(directoryEnd - cursor) < entryBytes)
            return fail(V::damaged, "its zip directory is cut short at record " + std::to_string(i));
        r.name.assign(cursor + directoryEntryBytes, static_cast<std::size_t>(nameLength));
        cursor += entryBytes;

        if (r.compressed == 0xffffffff || r.uncompressed == 0xffffffff || localHeader == 0xffffffff)
            return fail(V::damaged, "record " + r.name + " declares a zip64 size (above 4 GB)");
        if ((flags & 1) != 0)
            return fail(V::damaged, "record " + r.name + " is encrypted");
        if (r.method != 0 && r.method != 8)
            return fail(V::damaged, "record " + r.name + " uses zip compression method " + std::to_string(r.method)
                                        + " (TorchScript uses stored or deflated records)");
        if (r.method == 0 ? r.uncompressed != r.compressed : r.uncompressed > r.compressed * maxDeflateRatio + 64)
            return fail(V::damaged, "record " + r.name + " declares " + std::to_string(r.uncompressed) + " bytes from "
                                        + std::to_string(r.compressed) + " compressed");
        if (localHeader > directoryStart || directoryStart - localHeader < localHeaderBytes
            || readLE(data + localHeader, 4) != localHeaderSignature)
            return fail(V::damaged, "record " + r.name + " points outside the archive's data");
        r.dataStart = localHeader + localHeaderBytes + readLE(data + localHeader + 26, 2) + readLE(data + localHeader + 28, 2);
        if (r.dataStart > directoryStart || r.compressed > directoryStart - r.dataStart)
            return fail(V::damaged, "record " + r.name + " runs past the archive's data");
        totalUncompressed += r.uncompressed;
        if (totalUncompressed > 2 * static_cast<std::uint64_t>(maxArchiveBytes))
            return fail(V::damaged, "its records declare more than " + std::to_string((2 * maxArchiveBytes) >> 20)
                                        + " MB of data");
        records.push_back(std::move(r));
    }

    // Stored records may not share bytes: overlapping records would multiply what is read.
    std::vector<const Record*> byStart;
    for (const auto& r : records)
        byStart.push_back(&r);
    std::sort(byStart.begin(), byStart.end(), [](auto* a, auto* b) { return a->dataStart < b->dataStart; });
    for (std::size_t i = 1; i < byStart.size(); ++i)
        if (byStart[i - 1]->dataStart + byStart[i - 1]->compressed > byStart[i]->dataStart)
            return fail(V::damaged, "records " + byStart[i - 1]->name + " and " + byStart[i]->name + " overlap");

    std::vector<char> inflated;
    for (const auto& r : records)
    {
        const bool pickle = endsWith(r.name, ".pkl") || endsWith(r.name, ".debug_pkl");
        const bool code = r.name.find("/code/") != std::string::npos && endsWith(r.name, ".py");
        if (!pickle && !code)
            continue;
        const char* content = data + r.dataStart;
        if (r.method == 8)
        {
            if (auto problem = inflateRecord(data, r, inflated); !problem.empty())
                return fail(V::damaged, problem);
            content = inflated.data();
        }
        const auto length = static_cast<std::size_t>(r.uncompressed);
        if (auto problem = pickle ? checkPickle(content, length) : checkCode(content, length); !problem.empty())
            return fail(V::damaged, "record " + r.name + ": " + problem);
    }
    return {};
}

} // namespace torchamp
