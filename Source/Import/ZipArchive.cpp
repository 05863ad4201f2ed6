#include "ZipArchive.h"
#include "LittleEndian.h"

#include <zlib.h>

#include <algorithm>

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
constexpr std::uint64_t maxRecords = 100000;

/** The end-of-directory record: the last one whose comment ends exactly at the end of the file,
    or failing that the last signature (as zip readers do). SIZE_MAX when there is none. */
std::size_t findEndOfDirectory(const char* data, std::size_t size)
{
    std::size_t found = SIZE_MAX;
    const std::size_t lowest = size > endOfDirectoryBytes + 0xffff ? size - endOfDirectoryBytes - 0xffff : 0;
    for (std::size_t at = size - endOfDirectoryBytes + 1; at-- > lowest;)
        if (readLittleEndian(data + at, 4) == endOfDirectorySignature)
        {
            if (found == SIZE_MAX)
                found = at;
            if (at + endOfDirectoryBytes + readLittleEndian(data + at + 20, 2) == size)
                return at;
        }
    return found;
}

} // namespace

ZipArchive ZipArchive::fail(Failure f, std::string reason)
{
    ZipArchive z;
    z.why = f;
    z.whatIsWrong = std::move(reason);
    return z;
}

ZipArchive ZipArchive::open(const char* data, std::size_t size)
{
    if (size < endOfDirectoryBytes)
        return fail(Failure::notAZip, "too short for a zip archive");
    const auto eocd = findEndOfDirectory(data, size);
    if (eocd == SIZE_MAX)
        return fail(Failure::notAZip, "no zip directory");

    std::uint64_t entryCount = readLittleEndian(data + eocd + 10, 2);
    std::uint64_t directorySize = readLittleEndian(data + eocd + 12, 4);
    std::uint64_t directoryStart = readLittleEndian(data + eocd + 16, 4);
    if (eocd >= zip64LocatorBytes &&
        readLittleEndian(data + eocd - zip64LocatorBytes, 4) == zip64LocatorSignature)
    {
        // Zip64 (torch.jit.save always writes it): its record's figures are the ones read.
        const auto record = readLittleEndian(data + eocd - zip64LocatorBytes + 8, 8);
        if (record > eocd - zip64LocatorBytes ||
            eocd - zip64LocatorBytes - record < zip64EndOfDirectoryBytes ||
            readLittleEndian(data + record, 4) != zip64EndOfDirectorySignature)
            return fail(Failure::damaged, "its zip64 directory record is missing or out of place");
        entryCount = readLittleEndian(data + record + 32, 8);
        directorySize = readLittleEndian(data + record + 40, 8);
        directoryStart = readLittleEndian(data + record + 48, 8);
    }
    if (directoryStart > eocd || directorySize > eocd - directoryStart)
        return fail(Failure::damaged, "its zip directory lies outside the file");
    if (entryCount > maxRecords || entryCount * directoryEntryBytes > directorySize)
        return fail(Failure::damaged, "its zip directory declares " + std::to_string(entryCount) +
                                          " records in " + std::to_string(directorySize) + " bytes");

    ZipArchive z;
    z.bytes = data;
    z.size = size;
    if (auto problem = z.readDirectory(entryCount, directoryStart, directorySize); !problem.empty())
        return fail(Failure::damaged, std::move(problem));
    return z;
}

std::string ZipArchive::readDirectory(std::uint64_t entryCount, std::uint64_t directoryStart,
                                      std::uint64_t directorySize)
{
    entries.reserve(static_cast<std::size_t>(entryCount));
    std::uint64_t totalUncompressed = 0;
    const char* cursor = bytes + directoryStart;
    const char* const directoryEnd = cursor + directorySize;
    for (std::uint64_t i = 0; i < entryCount; ++i)
    {
        Record r;
        if (auto problem = readEntry(cursor, directoryEnd, directoryStart, i, r); !problem.empty())
            return problem;
        totalUncompressed += r.uncompressedBytes;
        if (totalUncompressed > maxTotalBytes)
            return "its records declare more than " + std::to_string(maxTotalBytes >> 20) + " MB of data";
        entries.push_back(std::move(r));
    }
    return indexRecords();
}

std::string ZipArchive::readEntry(const char*& cursor, const char* directoryEnd, std::uint64_t directoryStart,
                                  std::uint64_t index, Record& r) const
{
    const auto cutShort = "its zip directory is cut short at record " + std::to_string(index);
    if (directoryEnd - cursor < static_cast<std::ptrdiff_t>(directoryEntryBytes) ||
        readLittleEndian(cursor, 4) != directoryEntrySignature)
        return cutShort;
    const auto flags = readLittleEndian(cursor + 8, 2);
    r.method = readLittleEndian(cursor + 10, 2);
    r.compressedBytes = readLittleEndian(cursor + 20, 4);
    r.uncompressedBytes = readLittleEndian(cursor + 24, 4);
    const auto nameLength = readLittleEndian(cursor + 28, 2);
    const auto entryBytes = directoryEntryBytes + nameLength + readLittleEndian(cursor + 30, 2) +
                            readLittleEndian(cursor + 32, 2);
    const auto localHeader = readLittleEndian(cursor + 42, 4);
    if (static_cast<std::uint64_t>(directoryEnd - cursor) < entryBytes)
        return cutShort;
    r.name.assign(cursor + directoryEntryBytes, static_cast<std::size_t>(nameLength));
    cursor += entryBytes;

    if (r.compressedBytes == 0xffffffff || r.uncompressedBytes == 0xffffffff || localHeader == 0xffffffff)
        return "record " + r.name + " declares a zip64 size (above 4 GB)";
    if ((flags & 1) != 0)
        return "record " + r.name + " is encrypted";
    if (r.method != 0 && r.method != 8)
        return "record " + r.name + " uses zip compression method " + std::to_string(r.method) +
               " (TorchScript uses stored or deflated records)";
    if (r.method == 0 ? r.uncompressedBytes != r.compressedBytes
                      : r.uncompressedBytes > r.compressedBytes * maxDeflateRatio + 64)
        return "record " + r.name + " declares " + std::to_string(r.uncompressedBytes) + " bytes from " +
               std::to_string(r.compressedBytes) + " compressed";
    if (localHeader > directoryStart || directoryStart - localHeader < localHeaderBytes ||
        readLittleEndian(bytes + localHeader, 4) != localHeaderSignature)
        return "record " + r.name + " points outside the archive's data";
    r.dataStart = localHeader + localHeaderBytes + readLittleEndian(bytes + localHeader + 26, 2) +
                  readLittleEndian(bytes + localHeader + 28, 2);
    if (r.dataStart > directoryStart || r.compressedBytes > directoryStart - r.dataStart)
        return "record " + r.name + " runs past the archive's data";
    return {};
}

std::string ZipArchive::indexRecords()
{
    // Records may not share bytes: overlapping records would multiply what is read.
    std::vector<const Record*> byStart;
    byStart.reserve(entries.size());
    for (const auto& r : entries)
        byStart.push_back(&r);
    std::sort(byStart.begin(), byStart.end(), [](auto* a, auto* b) { return a->dataStart < b->dataStart; });
    for (std::size_t i = 1; i < byStart.size(); ++i)
        if (byStart[i - 1]->dataStart + byStart[i - 1]->compressedBytes > byStart[i]->dataStart)
            return "records " + byStart[i - 1]->name + " and " + byStart[i]->name + " overlap";

    byName.resize(entries.size());
    for (std::size_t i = 0; i < byName.size(); ++i)
        byName[i] = i;
    std::sort(byName.begin(), byName.end(),
              [this](std::size_t a, std::size_t b)
              { return entries[a].name < entries[b].name || (entries[a].name == entries[b].name && a < b); });
    return {};
}

const ZipArchive::Record* ZipArchive::find(std::string_view name) const noexcept
{
    const auto at =
        std::lower_bound(byName.begin(), byName.end(), name,
                         [this](std::size_t i, std::string_view n) { return entries[i].name < n; });
    return at != byName.end() && entries[*at].name == name ? &entries[*at] : nullptr;
}

std::string ZipArchive::read(const Record& record, std::string_view& content,
                             std::vector<char>& scratch) const
{
    if (record.method == 0)
    {
        content =
            std::string_view(bytes + record.dataStart, static_cast<std::size_t>(record.uncompressedBytes));
        return {};
    }
    scratch.resize(static_cast<std::size_t>(record.uncompressedBytes));
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return "zlib could not start";
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes + record.dataStart));
    z.avail_in = static_cast<uInt>(record.compressedBytes);
    z.next_out = reinterpret_cast<Bytef*>(scratch.data());
    z.avail_out = static_cast<uInt>(scratch.size());
    const int status = inflate(&z, Z_FINISH);
    const auto produced = z.total_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END || produced != record.uncompressedBytes)
        return "record " + record.name + " does not inflate to its declared " +
               std::to_string(record.uncompressedBytes) + " bytes";
    content = std::string_view(scratch.data(), scratch.size());
    return {};
}

} // namespace torchamp
