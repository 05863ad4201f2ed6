#include "Base64.h"

#include <array>
#include <cstdint>

namespace torchamp
{

namespace
{

constexpr const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> makeValues()
{
    std::array<int, 256> v{};
    for (auto& x : v)
        x = -1;
    for (int i = 0; i < 64; ++i)
        v[static_cast<unsigned char>(alphabet[i])] = i;
    return v;
}

constexpr std::array<int, 256> values = makeValues();

} // namespace

std::string base64Encode(const std::vector<char>& bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3)
    {
        std::uint32_t group = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
        if (i + 1 < bytes.size())
            group |= std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8;
        if (i + 2 < bytes.size())
            group |= static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[(group >> 18) & 63];
        out += alphabet[(group >> 12) & 63];
        out += i + 1 < bytes.size() ? alphabet[(group >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? alphabet[group & 63] : '=';
    }
    return out;
}

Result<std::vector<char>> base64Decode(std::string_view text)
{
    using R = Result<std::vector<char>>;
    if (text.size() % 4 != 0)
        return R::failure("base64 text whose length (" + std::to_string(text.size()) +
                          ") is not a multiple of 4");
    std::vector<char> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4)
    {
        const bool last = i + 4 == text.size();
        const int padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
        if (padding == 1 && text[i + 2] == '=')
            return R::failure("misplaced base64 padding at character " + std::to_string(i + 2));
        std::uint32_t group = 0;
        for (int k = 0; k < 4; ++k)
        {
            const char c = text[i + static_cast<std::size_t>(k)];
            const int v = k >= 4 - padding ? 0 : values[static_cast<unsigned char>(c)];
            if (v < 0)
                return R::failure("a character that is not base64 at position " +
                                  std::to_string(i + static_cast<std::size_t>(k)));
            group = group << 6 | static_cast<std::uint32_t>(v);
        }
        out.push_back(static_cast<char>(group >> 16));
        if (padding < 2)
            out.push_back(static_cast<char>(group >> 8));
        if (padding < 1)
            out.push_back(static_cast<char>(group));
    }
    return R::success(std::move(out));
}

} // namespace torchamp
