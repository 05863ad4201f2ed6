#pragma once

#include <cstddef>
#include <string>

namespace torchamp
{

/** Checks a TorchScript file's bytes before LibTorch or the native reader (TorchScriptReader)
    reads them.

    LibTorch 1.13 trusts the sizes and indices a file declares: a damaged or hostile archive can
    make it allocate gigabytes (a zip record that declares 4 GB, a pickle that memoises at index
    458 million, a string that declares 4 GB of text) long before it notices the file is wrong.
    This check walks the zip directory and every pickle in the archive and refuses, without
    allocating more than the largest record, what LibTorch would over-allocate on:

    - files above maxArchiveBytes, or without a zip end-of-directory record (not a zip, truncated);
    - directory entries or records that point outside the file, overlap the directory, or declare
      sizes that their compression cannot produce (stored: equal sizes; deflate: at most 1032:1);
    - pickles (`*.pkl`, `*.debug_pkl`) with an unknown opcode, an argument running past the end,
      a memo index beyond the next free one, a memo read of an index never written, or no STOP.

    The zip directory is ZipArchive's, the opcode walk PickleReader's: the native reader reads
    the same archive with the same two. Pure C++ (zlib for deflated records), no LibTorch: it is
    unit-tested and fuzzed on its own. */
struct ArchiveCheck
{
    enum class Verdict
    {
        ok,
        notAZip,  ///< no end-of-directory record: not a zip archive, or cut short
        tooLarge, ///< above maxArchiveBytes
        damaged   ///< a zip, but with sizes or pickles LibTorch must not be given
    };

    Verdict verdict = Verdict::ok;
    std::string reason; ///< what is wrong, for the user; empty when ok

    explicit operator bool() const { return verdict == Verdict::ok; }

    /// The largest model file TorchAmp reads (a 4 x 128 LSTM is about 0.6 MB).
    static constexpr std::size_t maxArchiveBytes = 256u << 20;

    /// Checks the `size` bytes at `data`. Any thread but the audio thread (it inflates records).
    static ArchiveCheck run(const char* data, std::size_t size);
};

} // namespace torchamp
