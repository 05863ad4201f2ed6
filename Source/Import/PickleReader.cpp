#include "PickleReader.h"
#include "LittleEndian.h"

#include <algorithm>
#include <cstring>

namespace torchamp
{

namespace
{

bool parseDecimal(std::string_view s, std::uint64_t& value)
{
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
}

/** How an opcode's argument is laid out. */
struct ArgumentShape
{
    bool known = true;
    int fixedBytes = 0;  // an argument of that many bytes
    int lengthBytes = 0; // a little-endian length of that many bytes, then that much data
    int lines = 0;       // newline-terminated text arguments
};

ArgumentShape shapeOf(std::uint8_t opcode)
{
    struct Row
    {
        std::string_view opcodes;
        ArgumentShape shape;
    };
    static constexpr Row table[] = {
        {"(.012NQRabd}el]ost)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98", {}},
        {"K\x80\x82", {true, 1, 0, 0}},
        {"M\x83", {true, 2, 0, 0}},
        {"J\x84", {true, 4, 0, 0}},
        {"G\x95", {true, 8, 0, 0}}, // BINFLOAT; FRAME's length (the frame follows inline)
        {"UC\x8a\x8c", {true, 0, 1, 0}},
        {"TXB\x8b", {true, 0, 4, 0}},
        {"\x8d\x8e\x96", {true, 0, 8, 0}},
        {"FILPSV", {true, 0, 0, 1}},
        {"ci", {true, 0, 0, 2}},
    };
    for (const auto& row : table)
        if (row.opcodes.find(static_cast<char>(opcode)) != std::string_view::npos)
            return row.shape;
    return {false, 0, 0, 0};
}

} // namespace

bool PickleReader::fail(std::string reason)
{
    whatIsWrong = std::move(reason);
    return false;
}

bool PickleReader::readLine(std::string_view& line)
{
    const void* end = std::memchr(bytes.data() + at, '\n', bytes.size() - at);
    if (end == nullptr)
        return false;
    const auto length = static_cast<std::size_t>(static_cast<const char*>(end) - (bytes.data() + at));
    line = bytes.substr(at, length);
    at += length + 1;
    return true;
}

bool PickleReader::readMemoIndex(std::uint8_t code, PickleOp& op)
{
    const bool get = code == 'h' || code == 'j' || code == 'g';
    if (code == 'g' || code == 'p')
    {
        std::string_view text;
        if (!readLine(text) || !parseDecimal(text, op.memoIndex))
            return fail("a pickle has a malformed memo index");
    }
    else
    {
        const int size = (code == 'h' || code == 'q') ? 1 : 4;
        if (bytes.size() - at < static_cast<std::size_t>(size))
            return fail("a pickle ends inside a memo index");
        op.memoIndex = readLittleEndian(bytes.data() + at, size);
        at += static_cast<std::size_t>(size);
    }
    const bool inOrder = get ? op.memoIndex < memoNext : op.memoIndex <= memoNext;
    if (!inOrder)
        return fail("a pickle uses memo index " + std::to_string(op.memoIndex) + " out of order");
    if (!get)
        memoNext = std::max(memoNext, op.memoIndex + 1);
    return true;
}

bool PickleReader::readArgument(std::uint8_t code, PickleOp& op)
{
    const auto shape = shapeOf(code);
    if (!shape.known)
        return fail("a pickle has an unknown opcode " + std::to_string(code));
    const auto remaining = [this] { return bytes.size() - at; };
    if (remaining() < static_cast<std::size_t>(shape.fixedBytes))
        return fail("a pickle ends inside an argument");
    op.argument = bytes.substr(at, static_cast<std::size_t>(shape.fixedBytes));
    at += static_cast<std::size_t>(shape.fixedBytes);
    if (shape.lengthBytes > 0)
    {
        if (remaining() < static_cast<std::size_t>(shape.lengthBytes))
            return fail("a pickle ends inside a length");
        const auto length = readLittleEndian(bytes.data() + at, shape.lengthBytes);
        at += static_cast<std::size_t>(shape.lengthBytes);
        if (length > remaining())
            return fail("a pickle declares " + std::to_string(length) + " bytes of data where " +
                        std::to_string(remaining()) + " remain");
        op.argument = bytes.substr(at, static_cast<std::size_t>(length));
        at += static_cast<std::size_t>(length);
    }
    for (int i = 0; i < shape.lines; ++i)
        if (!readLine(op.lines[i]))
            return fail("a pickle ends inside a text argument");
    return true;
}

bool PickleReader::next(PickleOp& op)
{
    if (!whatIsWrong.empty())
        return false;
    if (at >= bytes.size())
        return fail("a pickle has no STOP");
    op = PickleOp{};
    op.code = static_cast<std::uint8_t>(bytes[at++]);
    switch (op.code)
    {
        case 'h':
        case 'q':
        case 'j':
        case 'r':
        case 'g':
        case 'p':
            return readMemoIndex(op.code, op);
        case 0x94: // MEMOIZE
            op.memoIndex = memoNext++;
            return true;
        default:
            return readArgument(op.code, op);
    }
}

} // namespace torchamp
