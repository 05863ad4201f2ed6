#pragma once

#include "Result.h"

#include <string>
#include <string_view>
#include <vector>

namespace torchamp
{

/** Standard base64 (RFC 4648, with padding) of `bytes`. Any thread but the audio thread. */
std::string base64Encode(const std::vector<char>& bytes);

/** The bytes `text` encodes, or a failure saying what is wrong with it (a character outside the
    alphabet, a length that is not a multiple of four, misplaced padding). Any thread but the audio thread. */
Result<std::vector<char>> base64Decode(std::string_view text);

} // namespace torchamp
