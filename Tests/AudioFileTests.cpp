// Audio files beyond WAV: AIFF and AIFF-C written byte by byte here, FLAC written by libFLAC's own
// encoder, and the impulse response reader on top of them.

#include "AiffFile.h"
#include "AudioFile.h"
#include "EmbeddedResources.h"
#include "FlacFile.h"
#include "ImpulseResponseFile.h"
#include "WavFile.h"

#include <FLAC/stream_encoder.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace torchamp
{
namespace
{

std::vector<std::vector<float>> testChannels(int channels, int frames)
{
    std::vector<std::vector<float>> x(static_cast<size_t>(channels),
                                      std::vector<float>(static_cast<size_t>(frames)));
    for (int c = 0; c < channels; ++c)
        for (int i = 0; i < frames; ++i)
            x[static_cast<size_t>(c)][static_cast<size_t>(i)] =
                static_cast<float>(0.8 * std::sin(0.01 * (i + 1) * (c + 1)) * std::exp(-0.001 * i));
    return x;
}

void putBe(std::string& s, std::uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

/** 80-bit extended for whole rates, as AIFF writers store them. */
std::string extended(double rate)
{
    int exponent = 0;
    const double mantissa = std::frexp(rate, &exponent); // rate = mantissa * 2^exponent, mantissa in [0.5, 1)
    std::string s;
    putBe(s, static_cast<std::uint64_t>(16383 + exponent - 1), 2);
    putBe(s, static_cast<std::uint64_t>(std::ldexp(mantissa, 64)), 8);
    return s;
}

/** An AIFF (compression empty) or AIFF-C file of `x`, samples quantised by `encode`. */
std::string aiff(const std::vector<std::vector<float>>& x, double rate, int bits,
                 const std::string& compression = "", bool littleEndian = false, bool asFloat = false)
{
    const auto channels = x.size(), frames = x[0].size();
    std::string comm, data;
    putBe(comm, channels, 2);
    putBe(comm, frames, 4);
    putBe(comm, static_cast<std::uint64_t>(bits), 2);
    comm += extended(rate);
    if (!compression.empty())
        comm += compression + std::string("\0\0", 2); // the name: an empty Pascal string, padded
    putBe(data, 0, 4);
    putBe(data, 0, 4);
    for (size_t f = 0; f < frames; ++f)
        for (size_t c = 0; c < channels; ++c)
        {
            std::string sample;
            if (asFloat)
            {
                std::uint32_t u;
                std::memcpy(&u, &x[c][f], 4);
                putBe(sample, u, 4);
            }
            else
            {
                const auto v = static_cast<std::int64_t>(std::lround(x[c][f] * std::ldexp(1.0, bits - 1)));
                putBe(sample, static_cast<std::uint64_t>(v), bits / 8);
            }
            if (littleEndian)
                std::reverse(sample.begin(), sample.end());
            data += sample;
        }
    std::string body = compression.empty() ? "AIFF" : "AIFC";
    body += "COMM";
    putBe(body, comm.size(), 4);
    body += comm;
    body += "SSND";
    putBe(body, data.size(), 4);
    body += data;
    if (data.size() % 2)
        body.push_back('\0');
    std::string file = "FORM";
    putBe(file, body.size(), 4);
    return file + body;
}

FLAC__StreamEncoderWriteStatus collect(const FLAC__StreamEncoder*, const FLAC__byte buffer[], size_t bytes,
                                       uint32_t, uint32_t, void* data)
{
    static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), bytes);
    return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

std::string flac(const std::vector<std::vector<float>>& x, unsigned rate, int bits)
{
    std::string out;
    FLAC__StreamEncoder* encoder = FLAC__stream_encoder_new();
    FLAC__stream_encoder_set_channels(encoder, static_cast<uint32_t>(x.size()));
    FLAC__stream_encoder_set_bits_per_sample(encoder, static_cast<uint32_t>(bits));
    FLAC__stream_encoder_set_sample_rate(encoder, rate);
    EXPECT_EQ(FLAC__stream_encoder_init_stream(encoder, collect, nullptr, nullptr, nullptr, &out),
              FLAC__STREAM_ENCODER_INIT_STATUS_OK);
    std::vector<FLAC__int32> interleaved;
    for (size_t f = 0; f < x[0].size(); ++f)
        for (const auto& ch : x)
            interleaved.push_back(static_cast<FLAC__int32>(std::lround(ch[f] * std::ldexp(1.0, bits - 1))));
    FLAC__stream_encoder_process_interleaved(encoder, interleaved.data(), static_cast<uint32_t>(x[0].size()));
    FLAC__stream_encoder_finish(encoder);
    FLAC__stream_encoder_delete(encoder);
    return out;
}

void expectClose(const AudioData& a, const std::vector<std::vector<float>>& x, double tolerance)
{
    ASSERT_EQ(a.numChannels(), static_cast<int>(x.size()));
    ASSERT_EQ(a.numFrames(), x[0].size());
    for (size_t c = 0; c < x.size(); ++c)
        for (size_t f = 0; f < x[0].size(); ++f)
            ASSERT_NEAR(a.channels[c][f], x[c][f], tolerance) << c << " " << f;
}

Result<AudioData> decode(const std::string& bytes, const std::string& name = "file")
{
    return decodeAudioFile(bytes.data(), bytes.size(), name);
}

TEST(AiffFile, readsBigEndianPcmAtEverySampleSize)
{
    const auto x = testChannels(2, 300);
    for (int bits : {8, 16, 24, 32})
    {
        auto a = decode(aiff(x, 44100.0, bits), "in.aif");
        ASSERT_TRUE(a) << a.error();
        EXPECT_EQ(a->sampleRate, 44100);
        expectClose(*a, x, std::ldexp(1.0, 1 - bits));
    }
}

TEST(AiffFile, readsAiffCUncompressedLittleEndianAndFloat)
{
    const auto x = testChannels(1, 257);
    auto none = decode(aiff(x, 48000.0, 24, "NONE"));
    ASSERT_TRUE(none) << none.error();
    expectClose(*none, x, 1.0 / (1 << 23));
    auto sowt = decode(aiff(x, 96000.0, 16, "sowt", true));
    ASSERT_TRUE(sowt) << sowt.error();
    EXPECT_EQ(sowt->sampleRate, 96000);
    expectClose(*sowt, x, 1.0 / (1 << 15));
    auto fl32 = decode(aiff(x, 22050.0, 32, "fl32", false, true));
    ASSERT_TRUE(fl32) << fl32.error();
    expectClose(*fl32, x, 0.0);
}

TEST(AiffFile, refusesWhatItCannotReadWithTheName)
{
    const auto x = testChannels(1, 10);
    auto ulaw = decode(aiff(x, 48000.0, 16, "ulaw"), "ulaw.aifc");
    EXPECT_EQ(ulaw.error().rfind("ulaw.aifc: unsupported AIFF-C compression 'ulaw'", 0), 0u) << ulaw.error();
    auto twelve = decode(aiff(x, 48000.0, 16).replace(26, 2, std::string("\0\x0c", 2)), "twelve.aif");
    EXPECT_NE(twelve.error().find("unsupported AIFF sample size (12 bits)"), std::string::npos)
        << twelve.error();
    const std::string noSound = aiff(x, 48000.0, 16).substr(0, 12 + 8 + 18);
    EXPECT_NE(decode(noSound, "a.aif").error().find("without audio data"), std::string::npos);
    // Every truncation is refused or decodes what is there, never reads past the end.
    const auto whole = aiff(testChannels(2, 50), 48000.0, 16);
    for (size_t n = 0; n < whole.size(); ++n)
    {
        auto a = parseAiff(whole.data(), n, "cut.aif");
        if (!a)
            EXPECT_EQ(a.error().rfind("cut.aif: ", 0), 0u);
        else
            EXPECT_LE(a->numFrames() * 4, n);
    }
}

TEST(FlacFile, readsWhatLibFlacWrites)
{
    for (int bits : {16, 24})
        for (int channels : {1, 2})
        {
            const auto x = testChannels(channels, 10000);
            auto a = decode(flac(x, 44100, bits), "in.flac");
            ASSERT_TRUE(a) << a.error();
            EXPECT_EQ(a->sampleRate, 44100);
            expectClose(*a, x, std::ldexp(1.0, 1 - bits));
        }
}

TEST(FlacFile, refusesDamageAndAudioBeyondItsLimit)
{
    const auto x = testChannels(2, 20000);
    auto bytes = flac(x, 48000, 16);
    auto limited = parseFlac(bytes.data(), bytes.size(), "long.flac", 10000);
    EXPECT_EQ(limited.error(), "long.flac: the audio is longer than TorchAmp reads here");
    auto flipped = bytes;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x5A);
    auto damaged = decode(flipped, "damaged.flac");
    ASSERT_FALSE(damaged);
    EXPECT_EQ(damaged.error().rfind("damaged.flac: damaged", 0), 0u) << damaged.error();
    EXPECT_EQ(
        decode(bytes.substr(0, 42), "cut.flac").error().rfind("cut.flac: damaged or truncated FLAC data", 0),
        0u);
    auto cutInAFrame = decode(bytes.substr(0, bytes.size() / 3), "cut.flac");
    ASSERT_FALSE(cutInAFrame);
    EXPECT_EQ(cutInAFrame.error().rfind("cut.flac: damaged", 0), 0u) << cutInAFrame.error();
    EXPECT_EQ(decode("fLaC", "empty.flac").error().rfind("empty.flac: ", 0), 0u);
}

TEST(AudioFile, picksTheFormatFromTheBytesAndNamesWhatItIsNot)
{
    EXPECT_EQ(decode("hello world, not audio", "notes.txt").error(),
              "notes.txt: not a WAV, AIFF or FLAC file");
    EXPECT_EQ(decode("", "empty.wav").error(), "empty.wav: not a WAV, AIFF or FLAC file");
    const auto x = testChannels(1, 100);
    EXPECT_TRUE(decode(aiff(x, 48000.0, 16)));
    EXPECT_TRUE(decode(flac(x, 48000, 16)));
}

TEST(ImpulseResponseFile, theBuiltInCabinetIsAMonoResponseAt48kHz)
{
    auto ir = decodeImpulseResponse(resources::defaultCabinetBytes(), resources::defaultCabinetName);
    ASSERT_TRUE(ir) << ir.error();
    EXPECT_EQ(ir->name, "DefaultCabinet.wav");
    EXPECT_EQ(ir->numChannels(), 1);
    EXPECT_EQ(ir->sampleRate, 48000);
    EXPECT_EQ(ir->numFrames(), 4096u);
    EXPECT_EQ(ir->leadingSilence(), 0u);
}

TEST(ImpulseResponseFile, readsEveryFormatAndRefusesWhatCannotPlay)
{
    const auto dir = std::filesystem::temp_directory_path() / ("torchamp-ir-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& bytes)
    {
        std::ofstream((dir / name).string(), std::ios::binary) << bytes;
        return (dir / name).string();
    };
    const auto stereo = testChannels(2, 2000);
    for (const auto& [name, bytes] : {std::make_pair(std::string("cab.aif"), aiff(stereo, 96000.0, 24)),
                                      std::make_pair(std::string("cab.flac"), flac(stereo, 44100, 24))})
    {
        auto ir = readImpulseResponseFile(write(name, bytes));
        ASSERT_TRUE(ir) << ir.error();
        EXPECT_EQ(ir->name, name);
        EXPECT_EQ(ir->numChannels(), 2);
    }
    auto three = readImpulseResponseFile(write("three.flac", flac(testChannels(3, 100), 48000, 16)));
    EXPECT_EQ(three.error(),
              "three.flac: the impulse response has 3 channels; TorchAmp plays mono and stereo responses");
    auto slow = readImpulseResponseFile(write("slow.aif", aiff(testChannels(1, 100), 4000.0, 16)));
    EXPECT_NE(slow.error().find("slow.aif: the impulse response's sample rate, 4000 Hz, is outside"),
              std::string::npos)
        << slow.error();
    auto silent =
        readImpulseResponseFile(write("silent.aif", aiff({std::vector<float>(64, 0.0f)}, 48000.0, 16)));
    EXPECT_EQ(silent.error(), "silent.aif: the impulse response is silent (every sample is zero)");
    EXPECT_EQ(readImpulseResponseFile(dir.string()).error(),
              dir.filename().string() + ": a folder, not a file");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace torchamp
