#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace torchamp
{

/** The directory of a zip archive held in memory (as torch.jit.save writes them: zip64 end
    records, stored or deflated records, data descriptors), and the bytes of its records.

    Nothing the archive declares is believed without a check against the file itself: the
    directory and every record must lie inside the file, records may not overlap, a stored
    record's sizes must agree, a deflated one may not declare more than deflate can produce, and
    all records together at most maxTotalBytes. So reading every record allocates at most what
    the file's size justifies.

    Plain data and zlib; any thread. The archive's bytes must outlive it. */
class ZipArchive
{
public:
    /// One directory entry, with where its data starts in the file.
    struct Record
    {
        std::string name;
        std::uint64_t method = 0; ///< 0 stored, 8 deflated
        std::uint64_t compressedBytes = 0;
        std::uint64_t uncompressedBytes = 0;
        std::uint64_t dataStart = 0;
    };

    enum class Failure
    {
        none,
        notAZip, ///< no end-of-directory record: not a zip archive, or cut short
        damaged  ///< a zip whose directory or records lie about their sizes or places
    };

    /// The most uncompressed data all records may declare together.
    static constexpr std::uint64_t maxTotalBytes = 512u << 20;

    /// Reads and checks the directory of the `size` bytes at `data`.
    static ZipArchive open(const char* data, std::size_t size);

    Failure failure() const noexcept { return why; }
    /// What is wrong, in words for the user; empty when failure() is none.
    const std::string& problem() const noexcept { return whatIsWrong; }

    /// The records in directory order.
    const std::vector<Record>& records() const noexcept { return entries; }

    /// The first record called `name` in directory order, or null. Logarithmic in the record count.
    const Record* find(std::string_view name) const noexcept;

    /// Points `content` at the record's bytes: inside the archive for a stored record, inside
    /// `scratch` for a deflated one (so `content` lives as long as `scratch` is untouched).
    /// Returns what went wrong, or an empty string.
    std::string read(const Record& record, std::string_view& content, std::vector<char>& scratch) const;

private:
    ZipArchive() = default;
    static ZipArchive fail(Failure f, std::string reason);
    std::string readDirectory(std::uint64_t entryCount, std::uint64_t directoryStart,
                              std::uint64_t directorySize);
    std::string readEntry(const char*& cursor, const char* directoryEnd, std::uint64_t directoryStart,
                          std::uint64_t index, Record& r) const;
    std::string indexRecords();

    const char* bytes = nullptr;
    std::size_t size = 0;
    std::vector<Record> entries;
    std::vector<std::size_t> byName; // indices into entries, by name then directory order
    Failure why = Failure::none;
    std::string whatIsWrong;
};

} // namespace torchamp
