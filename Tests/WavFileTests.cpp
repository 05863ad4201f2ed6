#include "Limits.h"
#include "WavFile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;

std::string tempPath(const std::string& name)
{
    return (fs::temp_directory_path() / ("torchamp-wav-" + std::to_string(::getpid()) + "-" + name)).string();
}

TEST(WavFile, floatRoundTripIsExact)
{
    AudioData a;
    a.sampleRate = 44100;
    a.channels = { { 0.0f, 0.5f, -1.0f, 1e-30f }, { 1.5f, -2.0f, 0.25f, 3.0f } };
    const auto p = tempPath("rt.wav");
    ASSERT_EQ(writeWavFloat(p, a), "");
    auto b = readWav(p);
    ASSERT_TRUE(b) << b.error();
    EXPECT_EQ(b->sampleRate, 44100);
    EXPECT_EQ(b->channels, a.channels);
    fs::remove(p);
}

TEST(WavFile, readsSixteenAndTwentyFourBitPcm)
{
    // 16-bit stereo header + 2 frames, written by hand.
    auto header = [](uint16_t bits, uint16_t channels, uint32_t dataBytes) {
        std::string h = "RIFF";
        auto p32 = [&](uint32_t v) {
            for (int i = 0; i < 4; ++i)
                h.push_back(char((v >> (8 * i)) & 0xFF));
        };
        auto p16 = [&](uint16_t v) {
            h.push_back(char(v & 0xFF));
            h.push_back(char(v >> 8));
        };
        p32(36 + dataBytes);
        h += "WAVEfmt ";
        p32(16);
        p16(1);
        p16(channels);
        p32(48000);
        p32(48000u * channels * bits / 8);
        p16(uint16_t(channels * bits / 8));
        p16(bits);
        h += "data";
        p32(dataBytes);
        return h;
    };
    const auto p = tempPath("pcm.wav");
    {
        std::ofstream f(p, std::ios::binary);
        f << header(16, 1, 4);
        f.write("\x00\x40\x00\x80", 4); // 0.5, -1.0
    }
    auto a = readWav(p);
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->channels[0], (std::vector<float> { 0.5f, -1.0f }));
    {
        std::ofstream f(p, std::ios::binary);
        f << header(24, 1, 6);
        f.write("\x00\x00\x40\x00\x00\xC0", 6); // 0.5, -0.5
    }
    a = readWav(p);
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->channels[0], (std::vector<float> { 0.5f, -0.5f }));
    fs::remove(p);
}

TEST(WavFile, clearErrors)
{
    EXPECT_NE(readWav("/nonexistent/x.wav").error().find("cannot open"), std::string::npos);
    const auto p = tempPath("junk.wav");
    {
        std::ofstream f(p, std::ios::binary);
        f << "this is not audio at all";
    }
    EXPECT_NE(readWav(p).error().find("not a WAV file"), std::string::npos);
    fs::remove(p);
    AudioData a;
    a.sampleRate = 48000;
    a.channels = { { 0.0f } };
    EXPECT_NE(writeWavFloat("/nonexistent/dir/out.wav", a).find("cannot create"), std::string::npos);
}

/** A canonical 44-byte PCM header; `dataBytes` is what the data chunk claims. */
std::string pcmHeader(uint16_t bits, uint16_t channels, uint32_t rate, uint32_t dataBytes)
{
    std::string h = "RIFF";
    auto p32 = [&](uint32_t v) {
        for (int i = 0; i < 4; ++i)
            h.push_back(char((v >> (8 * i)) & 0xFF));
    };
    auto p16 = [&](uint16_t v) {
        h.push_back(char(v & 0xFF));
        h.push_back(char(v >> 8));
    };
    p32(36 + dataBytes);
    h += "WAVEfmt ";
    p32(16);
    p16(1);
    p16(channels);
    p32(rate);
    p32(rate * channels * bits / 8);
    p16(uint16_t(channels * bits / 8));
    p16(bits);
    h += "data";
    p32(dataBytes);
    return h;
}

TEST(WavFile, reportsTheRateTheHeaderStatesEvenBeyondAnyRealOne)
{
    // The reader reports; torchamp-render refuses rates outside HostLimits with this figure.
    const auto bytes = pcmHeader(16, 1, 4000000000u, 4) + std::string("\x00\x40\x00\x80", 4);
    auto a = parseWav(bytes.data(), bytes.size(), "fast.wav");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->sampleRate, 4000000000LL);
    EXPECT_EQ(a->numFrames(), 2u);
}

TEST(WavFile, aDataChunkClaimingMoreThanTheFileHoldsKeepsWhatIsThere)
{
    const auto bytes = pcmHeader(16, 1, 48000, 0xFFFFFFF0u) + std::string(100, '\x01');
    auto a = parseWav(bytes.data(), bytes.size(), "cut.wav");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->numFrames(), 50u);
}

TEST(WavFile, sixtyFourChannelsAreReadAndSixtyFiveRefused)
{
    for (uint16_t channels : { 64, 65 })
    {
        const auto bytes = pcmHeader(16, channels, 48000, channels * 2u) + std::string(channels * 2u, '\0');
        auto a = parseWav(bytes.data(), bytes.size(), "many.wav");
        EXPECT_EQ(static_cast<bool>(a), channels == HostLimits::maxChannels) << channels;
        if (a)
            EXPECT_EQ(a->numChannels(), 64);
        else
            EXPECT_EQ(a.error(), "many.wav: inconsistent WAV header");
    }
}

TEST(WavFile, readsOnlyRegularFiles)
{
    const auto folder = tempPath("folder.wav");
    fs::create_directory(folder);
    EXPECT_NE(readWav(folder).error().find("a folder, not a file"), std::string::npos);
    fs::remove(folder);
    EXPECT_EQ(readWav("/dev/zero").error(), "zero: a device, not a file");
}

TEST(WavFile, fuzzCorpusAndRegressionsDecodeOrAreRefusedWithTheName)
{
    int files = 0;
    for (const char* folder : { "corpus/wav", "regressions/wav" })
    {
        const fs::path dir = fs::path(TORCHAMP_FUZZ_DIR) / folder;
        if (!fs::exists(dir))
            continue;
        for (const auto& entry : fs::directory_iterator(dir))
        {
            auto a = readWav(entry.path().string());
            if (!a)
                EXPECT_EQ(a.error().rfind(entry.path().filename().string(), 0), 0u) << a.error();
            ++files;
        }
    }
    EXPECT_GE(files, 4);
}

} // namespace
} // namespace torchamp
