#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace torchamp
{

/** One opcode of a pickle and its argument, as PickleReader decodes it. */
struct PickleOp
{
    std::uint8_t code = 0;
    /// The memo index of PUT/GET/MEMOIZE opcodes.
    std::uint64_t memoIndex = 0;
    /// Length-prefixed data (strings, LONG1 bytes) or fixed-size arguments (integers, BINFLOAT).
    std::string_view argument;
    /// Newline-terminated text arguments (GLOBAL's module and name; text opcodes use the first).
    std::string_view lines[2];
};

/** Walks a pickle (protocols 0 to 5) opcode by opcode without building anything: every
    argument lies inside the pickle, every memo index is written in order (at most the next free
    one) and read only once written. The one decoder of pickle opcodes: the archive check walks
    every pickle with it, and Unpickler builds values from what it decodes.

    Plain C++; any thread. The pickle's bytes must outlive the reader. */
class PickleReader
{
public:
    explicit PickleReader(std::string_view pickle) noexcept : bytes(pickle) {}

    /// Decodes the next opcode into `op`. False when the pickle is malformed or ends without
    /// STOP (problem() says which); true otherwise, including for STOP itself.
    bool next(PickleOp& op);

    /// What is wrong with the pickle, in words for the user; empty while nothing is.
    const std::string& problem() const noexcept { return whatIsWrong; }

    /// The byte offset of the next opcode.
    std::size_t position() const noexcept { return at; }

private:
    bool fail(std::string reason);
    bool readLine(std::string_view& line);
    bool readMemoIndex(std::uint8_t code, PickleOp& op);
    bool readArgument(std::uint8_t code, PickleOp& op);

    std::string_view bytes;
    std::size_t at = 0;
    std::uint64_t memoNext = 0; // the next memo index a well-formed pickle may write
    std::string whatIsWrong;
};

} // namespace torchamp
