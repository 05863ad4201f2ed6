#include "WavFile.h"

#include "FileBytes.h"
#include "Limits.h"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace torchamp
{

namespace
{

constexpr uint16_t formatPcm = 1;
constexpr uint16_t formatFloat = 3;
constexpr uint16_t formatExtensible = 0xFFFE;

uint32_t le32(const unsigned char* p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t le16(const unsigned char* p)
{
    return uint16_t(p[0] | p[1] << 8);
}

void put32(std::string& s, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put16(std::string& s, uint16_t v)
{
    s.push_back(static_cast<char>(v & 0xFF));
    s.push_back(static_cast<char>(v >> 8));
}

float decodeSample(const unsigned char* p, uint16_t format, int bits)
{
    if (format == formatFloat)
    {
        if (bits == 32)
        {
            float f;
            uint32_t u = le32(p);
            std::memcpy(&f, &u, 4);
            return f;
        }
        uint64_t u = uint64_t(le32(p)) | uint64_t(le32(p + 4)) << 32;
        double d;
        std::memcpy(&d, &u, 8);
        return static_cast<float>(d);
    }
    switch (bits)
    {
        case 8:
            return (static_cast<int>(p[0]) - 128) / 128.0f;
        case 16:
            return static_cast<int16_t>(le16(p)) / 32768.0f;
        case 24:
        {
            int32_t v = int32_t(uint32_t(p[0]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 24) >> 8;
            return static_cast<float>(v / 8388608.0);
        }
        default:
            return static_cast<float>(static_cast<int32_t>(le32(p)) / 2147483648.0);
    }
}

} // namespace

Result<AudioData> readWav(const std::string& path)
{
    auto bytes = readFileBytes(path, FileLimits::maxAudioFileBytes);
    if (!bytes)
        return Result<AudioData>::failure(bytes.error());
    return parseWav(bytes->data(), bytes->size(), fileNameOf(path));
}

Result<AudioData> parseWav(const char* fileBytes, std::size_t fileSize, const std::string& path)
{
    using R = Result<AudioData>;
    const auto* bytes = reinterpret_cast<const unsigned char*>(fileBytes);
    if (fileSize < 12 || std::memcmp(bytes, "RIFF", 4) != 0 || std::memcmp(bytes + 8, "WAVE", 4) != 0)
        return R::failure(path + ": not a WAV file (RIFF/WAVE header missing)");

    uint16_t format = 0, channels = 0, bits = 0, blockAlign = 0;
    uint32_t rate = 0;
    const unsigned char* data = nullptr;
    size_t dataSize = 0;
    size_t pos = 12;
    while (pos + 8 <= fileSize)
    {
        const unsigned char* chunk = bytes + pos;
        const size_t size = le32(chunk + 4);
        const size_t available = fileSize - pos - 8;
        if (std::memcmp(chunk, "fmt ", 4) == 0)
        {
            if (size < 16 || size > available)
                return R::failure(path + ": broken WAV format chunk");
            format = le16(chunk + 8);
            channels = le16(chunk + 10);
            rate = le32(chunk + 12);
            blockAlign = le16(chunk + 20);
            bits = le16(chunk + 22);
            if (format == formatExtensible && size >= 40)
                format = le16(chunk + 8 + 24); // the sub-format GUID starts with the format tag
        }
        else if (std::memcmp(chunk, "data", 4) == 0)
        {
            data = chunk + 8;
            dataSize = std::min(size, available); // a truncated file keeps what it has
        }
        pos += 8 + size + (size & 1);
    }

    if (format == 0)
        return R::failure(path + ": WAV file without a format chunk");
    if (!data)
        return R::failure(path + ": WAV file without audio data");
    const bool supported = (format == formatPcm && (bits == 8 || bits == 16 || bits == 24 || bits == 32))
                           || (format == formatFloat && (bits == 32 || bits == 64));
    if (!supported)
        return R::failure(path + ": unsupported WAV encoding (format " + std::to_string(format) + ", "
                          + std::to_string(bits) + " bits); use PCM 16/24/32-bit or 32-bit float");
    if (channels == 0 || channels > HostLimits::maxChannels || rate == 0 || blockAlign != channels * (bits / 8))
        return R::failure(path + ": inconsistent WAV header");

    AudioData audio;
    audio.sampleRate = rate;
    const size_t frames = dataSize / blockAlign;
    audio.channels.assign(channels, std::vector<float>(frames));
    const int bytesPerSample = bits / 8;
    for (size_t f = 0; f < frames; ++f)
        for (int ch = 0; ch < channels; ++ch)
            audio.channels[static_cast<size_t>(ch)][f] =
                decodeSample(data + f * blockAlign + static_cast<size_t>(ch * bytesPerSample), format, bits);
    return R::success(std::move(audio));
}

std::string writeWavFloat(const std::string& path, const AudioData& audio)
{
    const auto channels = static_cast<uint16_t>(audio.numChannels());
    const size_t frames = audio.numFrames();
    const uint64_t dataBytes = uint64_t(frames) * channels * 4;
    if (dataBytes > 0xFFFFFFFFull - 64)
        return path + ": audio too long for a WAV file";
    if (audio.sampleRate <= 0 || static_cast<uint64_t>(audio.sampleRate) * channels * 4 > 0xFFFFFFFFull)
        return path + ": a WAV file cannot hold audio at " + std::to_string(audio.sampleRate) + " Hz";

    std::string out;
    out.reserve(static_cast<size_t>(dataBytes) + 64);
    out += "RIFF";
    put32(out, static_cast<uint32_t>(4 + (8 + 18) + (8 + 4) + 8 + dataBytes));
    out += "WAVE";
    out += "fmt ";
    put32(out, 18);
    put16(out, formatFloat);
    put16(out, channels);
    put32(out, static_cast<uint32_t>(audio.sampleRate));
    put32(out, static_cast<uint32_t>(audio.sampleRate) * channels * 4);
    put16(out, static_cast<uint16_t>(channels * 4));
    put16(out, 32);
    put16(out, 0);
    out += "fact";
    put32(out, 4);
    put32(out, static_cast<uint32_t>(frames));
    out += "data";
    put32(out, static_cast<uint32_t>(dataBytes));
    for (size_t f = 0; f < frames; ++f)
        for (const auto& ch : audio.channels)
        {
            uint32_t u;
            std::memcpy(&u, &ch[f], 4);
            put32(out, u);
        }

    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        return path + ": cannot create the output file (does the folder exist, is it writable?)";
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    file.close();
    if (!file)
        return path + ": writing the output file failed (disk full?)";
    return {};
}

} // namespace torchamp
