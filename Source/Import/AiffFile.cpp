#include "AiffFile.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace torchamp
{

namespace
{

std::uint32_t be32(const unsigned char* p)
{
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
           std::uint32_t(p[3]);
}

std::uint16_t be16(const unsigned char* p)
{
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

/** The 80-bit IEEE 754 extended number AIFF states its rate in; NaN when it is not finite. */
double extended80(const unsigned char* p)
{
    const int exponent = (p[0] & 0x7F) << 8 | p[1];
    std::uint64_t mantissa = 0;
    for (int i = 0; i < 8; ++i)
        mantissa = mantissa << 8 | p[2 + i];
    if (exponent == 0x7FFF)
        return NAN;
    const double value = std::ldexp(static_cast<double>(mantissa), exponent - 16383 - 63);
    return (p[0] & 0x80) != 0 ? -value : value;
}

enum class Encoding
{
    bigEndianPcm,
    littleEndianPcm,
    float32,
    float64,
};

struct Format
{
    int channels = 0;
    std::uint32_t frames = 0;
    int bits = 0;
    double rate = 0.0;
    Encoding encoding = Encoding::bigEndianPcm;
};

float decode(const unsigned char* p, const Format& f)
{
    switch (f.encoding)
    {
        case Encoding::float32:
        {
            const std::uint32_t u = be32(p);
            float v;
            std::memcpy(&v, &u, 4);
            return v;
        }
        case Encoding::float64:
        {
            const std::uint64_t u = std::uint64_t(be32(p)) << 32 | be32(p + 4);
            double v;
            std::memcpy(&v, &u, 8);
            return static_cast<float>(v);
        }
        default:
            break;
    }
    const int bytes = f.bits / 8;
    std::uint32_t u = 0; // the sample's bytes, most significant first
    for (int i = 0; i < bytes; ++i)
        u = u << 8 | p[f.encoding == Encoding::bigEndianPcm ? i : bytes - 1 - i];
    const auto v = static_cast<std::int32_t>(u << (32 - f.bits)); // sign-extended, full scale 2^31
    return static_cast<float>(static_cast<double>(v) / 2147483648.0);
}

/** Reads a COMM chunk; empty on success, else what is wrong. */
std::string readFormat(const unsigned char* c, std::size_t size, bool compressed, Format& f)
{
    if (size < 18 || (compressed && size < 22))
        return "broken AIFF format chunk (COMM)";
    f.channels = be16(c);
    f.frames = be32(c + 2);
    f.bits = be16(c + 6);
    f.rate = extended80(c + 8);
    if (!compressed)
        return {};
    const char* type = reinterpret_cast<const char*>(c + 18);
    auto is = [&](const char* t) { return std::memcmp(type, t, 4) == 0; };
    if (is("NONE") || is("twos"))
        f.encoding = Encoding::bigEndianPcm;
    else if (is("sowt"))
        f.encoding = Encoding::littleEndianPcm;
    else if (is("fl32") || is("FL32"))
    {
        f.encoding = Encoding::float32;
        f.bits = 32;
    }
    else if (is("fl64") || is("FL64"))
    {
        f.encoding = Encoding::float64;
        f.bits = 64;
    }
    else
        return "unsupported AIFF-C compression '" + std::string(type, 4) +
               "'; use uncompressed PCM or 32-bit float (or WAV or FLAC)";
    return {};
}

} // namespace

Result<AudioData> parseAiff(const char* fileBytes, std::size_t fileSize, const std::string& name)
{
    using R = Result<AudioData>;
    const auto* bytes = reinterpret_cast<const unsigned char*>(fileBytes);
    if (fileSize < 12 || std::memcmp(bytes, "FORM", 4) != 0 ||
        (std::memcmp(bytes + 8, "AIFF", 4) != 0 && std::memcmp(bytes + 8, "AIFC", 4) != 0))
        return R::failure(name + ": not an AIFF file (FORM/AIFF header missing)");
    const bool compressed = std::memcmp(bytes + 8, "AIFC", 4) == 0;

    Format format;
    bool haveFormat = false;
    const unsigned char* data = nullptr;
    std::size_t dataSize = 0;
    for (std::size_t pos = 12; pos + 8 <= fileSize;)
    {
        const unsigned char* chunk = bytes + pos;
        const std::size_t size = be32(chunk + 4);
        const std::size_t available = fileSize - pos - 8;
        if (std::memcmp(chunk, "COMM", 4) == 0)
        {
            if (auto problem = readFormat(chunk + 8, std::min(size, available), compressed, format);
                !problem.empty())
                return R::failure(name + ": " + problem);
            haveFormat = true;
        }
        else if (std::memcmp(chunk, "SSND", 4) == 0 && std::min(size, available) >= 8)
        {
            const std::size_t offset = be32(chunk + 8);
            const std::size_t held = std::min(size, available) - 8; // a truncated file keeps what it has
            data = chunk + 16 + std::min(offset, held);
            dataSize = held - std::min(offset, held);
        }
        pos += 8 + size + (size & 1);
    }
    if (!haveFormat)
        return R::failure(name + ": AIFF file without a format chunk (COMM)");
    if (data == nullptr)
        return R::failure(name + ": AIFF file without audio data (SSND)");
    const bool pcm =
        format.encoding == Encoding::bigEndianPcm || format.encoding == Encoding::littleEndianPcm;
    if (pcm && format.bits != 8 && format.bits != 16 && format.bits != 24 && format.bits != 32)
        return R::failure(name + ": unsupported AIFF sample size (" + std::to_string(format.bits) +
                          " bits); use 8, 16, 24 or 32-bit PCM");
    if (format.channels < 1 || format.channels > HostLimits::maxChannels || !(format.rate >= 1.0) ||
        format.rate > 4294967295.0)
        return R::failure(name + ": inconsistent AIFF header");

    AudioData audio;
    audio.sampleRate = std::llround(format.rate);
    const std::size_t frameBytes =
        static_cast<std::size_t>(format.channels) * static_cast<std::size_t>(format.bits / 8);
    const std::size_t frames = std::min<std::size_t>(format.frames, dataSize / frameBytes);
    audio.channels.assign(static_cast<std::size_t>(format.channels), std::vector<float>(frames));
    for (std::size_t f = 0; f < frames; ++f)
        for (int c = 0; c < format.channels; ++c)
            audio.channels[static_cast<std::size_t>(c)][f] =
                decode(data + f * frameBytes + static_cast<std::size_t>(c * format.bits / 8), format);
    return R::success(std::move(audio));
}

} // namespace torchamp
