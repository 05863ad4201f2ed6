// Runs the built torchamp-render end to end, as a user would.

#include "ModelLoader.h"
#include "TestSupport.h"
#include "WavFile.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;

struct Run
{
    int exitCode = -1;
    std::string out; // stdout
    std::string err; // stderr
};

Run render(const std::string& arguments)
{
    const auto errFile = fs::temp_directory_path() / ("torchamp-render-err-" + std::to_string(::getpid()));
    // A render that hangs fails the test (exit 124) instead of stalling the suite.
    const std::string command = "timeout 120 " + std::string(TORCHAMP_RENDER_BIN) + " " + arguments + " 2>" + errFile.string();
    Run run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return run;
    std::array<char, 4096> buffer {};
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        run.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (FILE* f = std::fopen(errFile.c_str(), "r"))
    {
        while (size_t n = std::fread(buffer.data(), 1, buffer.size(), f))
            run.err.append(buffer.data(), n);
        std::fclose(f);
    }
    fs::remove(errFile);
    return run;
}

/** The number after "key": in a one-line JSON object. */
double jsonNumber(const std::string& json, const std::string& key)
{
    const auto pos = json.find("\"" + key + "\":");
    if (pos == std::string::npos)
        return NAN;
    return std::strtod(json.c_str() + pos + key.size() + 3, nullptr);
}

class RenderTool : public ::testing::Test
{
protected:
    void SetUp() override
    {
        dir = fs::temp_directory_path() / ("torchamp-render-test-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        AudioData stereo;
        stereo.sampleRate = 48000;
        stereo.channels = { test::makeTestSignal(48000 * 3, 1), test::makeTestSignal(48000 * 3, 2, 0.4f) };
        ASSERT_EQ(writeWavFloat(path("in.wav"), stereo), "");
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }

    fs::path dir;
};

TEST_F(RenderTool, rendersEveryChannelAsLibTorchForwardDoes)
{
    for (const auto* model : { "lstm2x24_knobs_skip.pt", "nometa_skip.pt", "lstm1x40.pt" })
    {
        const auto run = render("--model " + test::modelPath(model) + " --in " + path("in.wav") + " --out "
                                + path("out.wav") + " --block 333");
        ASSERT_EQ(run.exitCode, 0) << run.err;
        EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << "exactly one JSON line on stdout";
        for (const char* key : { "engine", "model", "sample_rate", "samples", "seconds_audio", "seconds_wall",
                                 "realtime_factor", "block_us_p50", "block_us_p99", "block_us_max",
                                 "latency_samples", "parity_max_abs_error" })
            EXPECT_NE(run.out.find(std::string("\"") + key + "\":"), std::string::npos) << key;
        EXPECT_EQ(jsonNumber(run.out, "samples"), 48000 * 3);
        EXPECT_EQ(jsonNumber(run.out, "sample_rate"), 48000);
        EXPECT_GT(jsonNumber(run.out, "realtime_factor"), 0.0);
        EXPECT_LE(jsonNumber(run.out, "parity_max_abs_error"), 1e-5);

        auto in = readWav(path("in.wav"));
        auto out = readWav(path("out.wav"));
        ASSERT_TRUE(out) << out.error();
        ASSERT_EQ(out->numChannels(), 2);
        ASSERT_EQ(out->sampleRate, 48000);
        auto loaded = loadModelFile(test::modelPath(model), { false });
        ASSERT_TRUE(loaded);
        for (int ch = 0; ch < 2; ++ch)
        {
            auto reference = renderLibTorch(loaded->module, in->channels[static_cast<size_t>(ch)],
                                            loaded->spec.knobDefaults, 4096);
            ASSERT_TRUE(reference);
            EXPECT_LE(test::maxAbsDifference(out->channels[static_cast<size_t>(ch)], *reference), 1e-4) << model;
        }
    }
}

TEST_F(RenderTool, knobsAndTheLibTorchEngineAgreeWithTheNativeEngine)
{
    const auto model = test::modelPath("lstm1x32_knob.pt");
    auto native = render("--model " + model + " --in " + path("in.wav") + " --out " + path("native.wav")
                         + " --knob gain=0.8 --engine native");
    ASSERT_EQ(native.exitCode, 0) << native.err;
    auto libtorch = render("--model " + model + " --in " + path("in.wav") + " --out " + path("libtorch.wav")
                           + " --knob gain=0.8 --engine libtorch");
    ASSERT_EQ(libtorch.exitCode, 0) << libtorch.err;
    EXPECT_NE(libtorch.out.find("\"engine\":\"libtorch\""), std::string::npos);
    auto a = readWav(path("native.wav"));
    auto b = readWav(path("libtorch.wav"));
    ASSERT_TRUE(a && b);
    for (int ch = 0; ch < 2; ++ch)
        EXPECT_LE(test::maxAbsDifference(a->channels[static_cast<size_t>(ch)], b->channels[static_cast<size_t>(ch)]),
                  1e-4);

    auto other = render("--model " + model + " --in " + path("in.wav") + " --out " + path("other.wav")
                        + " --knob gain=0.1");
    ASSERT_EQ(other.exitCode, 0);
    auto c = readWav(path("other.wav"));
    EXPECT_GT(test::maxAbsDifference(a->channels[0], c->channels[0]), 1e-3) << "the knob changes the sound";
}

TEST_F(RenderTool, anAudioModulePlaysOnLibTorchWithItsLatencyRemoved)
{
    const auto run = render("--model " + test::modelPath("waveshaper.pt") + " --in " + path("in.wav") + " --out "
                            + path("shaped.wav"));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_NE(run.out.find("\"engine\":\"libtorch\""), std::string::npos) << run.out;
    EXPECT_GT(jsonNumber(run.out, "latency_samples"), 0);
    EXPECT_EQ(jsonNumber(run.out, "underruns"), 0);
    EXPECT_NE(run.err.find("libtorch engine (forward(x) is an audio module"), std::string::npos) << run.err;
    auto in = readWav(path("in.wav"));
    auto out = readWav(path("shaped.wav"));
    ASSERT_TRUE(out);
    for (size_t ch = 0; ch < 2; ++ch)
    {
        std::vector<float> expected(in->channels[ch].size());
        for (size_t i = 0; i < expected.size(); ++i)
            expected[i] = std::tanh(3.0f * in->channels[ch][i]);
        EXPECT_LE(test::maxAbsDifference(out->channels[ch], expected), 1e-6);
    }
}

TEST_F(RenderTool, embeddedDefaultModelRendersWithoutAModelFile)
{
    const auto run = render("--in " + path("in.wav") + " --out " + path("out.wav"));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_NE(run.out.find("\"model\":\"DefaultModel.pt\""), std::string::npos) << run.out;
    auto out = readWav(path("out.wav"));
    ASSERT_TRUE(out);
    for (const auto& ch : out->channels)
        for (float v : ch)
            ASSERT_TRUE(std::isfinite(v));
}

TEST_F(RenderTool, exitCodesAndMessages)
{
    auto corrupt = render("--model " + test::modelPath("truncated.pt") + " --in " + path("in.wav") + " --out "
                          + path("x.wav"));
    EXPECT_EQ(corrupt.exitCode, 3);
    EXPECT_NE(corrupt.err.find("truncated.pt: not a TorchScript file, or a truncated one"), std::string::npos)
        << corrupt.err;
    EXPECT_TRUE(corrupt.out.empty());

    auto missingAudio = render("--in " + path("nope.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(missingAudio.exitCode, 4);
    EXPECT_NE(missingAudio.err.find("nope.wav: cannot open"), std::string::npos) << missingAudio.err;

    auto notWav = render("--in " + test::modelPath("lstm1x8.pt") + " --out " + path("x.wav"));
    EXPECT_EQ(notWav.exitCode, 4);
    EXPECT_NE(notWav.err.find("not a WAV, AIFF or FLAC file"), std::string::npos) << notWav.err;

    EXPECT_EQ(render("--in " + path("in.wav")).exitCode, 2);
    EXPECT_EQ(render("--in " + path("in.wav") + " --out " + path("x.wav") + " --block 0").exitCode, 2);
    EXPECT_EQ(render("--in " + path("in.wav") + " --out " + path("x.wav") + " --engine gpu").exitCode, 2);
    auto badKnob = render("--model " + test::modelPath("lstm1x32_knob.pt") + " --in " + path("in.wav") + " --out "
                          + path("x.wav") + " --knob volume=0.5");
    EXPECT_EQ(badKnob.exitCode, 2);
    EXPECT_NE(badKnob.err.find("no knob 'volume' (its knobs: gain)"), std::string::npos) << badKnob.err;
    EXPECT_EQ(render("--help").exitCode, 0);
}

/** A 16-bit PCM WAV file's bytes whose header says `rate`, `channels`, and a data chunk of `claimed` bytes. */
std::string pcmWav(uint32_t rate, uint16_t channels, uint32_t claimed, const std::string& data)
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
    p32(36 + static_cast<uint32_t>(data.size()));
    h += "WAVEfmt ";
    p32(16);
    p16(1);
    p16(channels);
    p32(rate);
    p32(rate * channels * 2u);
    p16(uint16_t(channels * 2));
    p16(16);
    h += "data";
    p32(claimed);
    return h + data;
}

TEST_F(RenderTool, hostileFilesAreRefusedOrRenderedButNeverCrashOrStall)
{
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(path(name), std::ios::binary) << bytes;
        return path(name);
    };
    std::string samples;
    for (int i = 0; i < 100; ++i)
        samples += std::string { char(i * 7), char(i % 50) };

    // Sample rates no audio file has: refused with the figure and the range.
    for (auto [rate, shown] : { std::pair { 4000000000u, "4000000000 Hz" }, std::pair { 1u, "1 Hz" } })
    {
        const auto in = write("rate.wav", pcmWav(rate, 1, 200, samples));
        const auto run = render("--in " + in + " --out " + path("x.wav"));
        EXPECT_EQ(run.exitCode, 4) << run.err;
        EXPECT_NE(run.err.find(std::string("sample rate, ") + shown + ", is outside the 8 kHz..768 kHz"), std::string::npos)
            << run.err;
    }

    // 64 channels: each its own state.
    const auto wide = write("wide.wav", pcmWav(48000, 64, 64 * 2 * 100, std::string(64 * 2 * 100, '\x10')));
    auto run = render("--in " + wide + " --out " + path("wide-out.wav"));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(readWav(path("wide-out.wav"))->numChannels(), 64);

    // A data chunk that claims 4 GB and holds 100 bytes: the 50 samples that are there.
    const auto cut = write("cut.wav", pcmWav(48000, 1, 0xFFFFFFF0u, samples.substr(0, 100)));
    run = render("--in " + cut + " --out " + path("cut-out.wav"));
    ASSERT_EQ(run.exitCode, 0) << run.err;
    EXPECT_EQ(readWav(path("cut-out.wav"))->numFrames(), 50u);

    // A 2 GB model file (sparse): refused from its size.
    std::ofstream(path("model.pt")).close();
    fs::resize_file(path("model.pt"), std::uintmax_t { 2048 } << 20);
    run = render("--model " + path("model.pt") + " --in " + path("in.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("model.pt: the file is 2048 MB, above the 256 MB TorchAmp reads"), std::string::npos) << run.err;

    // What is not a file: a FIFO (opening it would wait for a writer), a device, a folder.
    ASSERT_EQ(::mkfifo(path("pipe.wav").c_str(), 0644), 0);
    run = render("--in " + path("pipe.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 4);
    EXPECT_NE(run.err.find("pipe.wav: a named pipe (FIFO), not a file"), std::string::npos) << run.err;
    run = render("--model /dev/zero --in " + path("in.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("zero: a device, not a file"), std::string::npos) << run.err;
    run = render("--in " + dir.string() + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 4);
    EXPECT_NE(run.err.find("a folder, not a file"), std::string::npos) << run.err;
}

TEST_F(RenderTool, aModelRateWithNoSmallRatioToTheFilesRateIsRefused)
{
    std::ifstream seed(std::string(TORCHAMP_FUZZ_DIR) + "/corpus/nam/lstm1x2.nam");
    std::string nam((std::istreambuf_iterator<char>(seed)), std::istreambuf_iterator<char>());
    const std::string rate = "\"sample_rate\": 48000";
    const auto at = nam.find(rate);
    ASSERT_NE(at, std::string::npos);
    nam.replace(at, rate.size(), "\"sample_rate\": 44101");
    std::ofstream(path("odd.nam")) << nam;
    const auto run = render("--model " + path("odd.nam") + " --in " + path("in.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("odd.nam: the model runs at 44101 Hz and the audio at 48000 Hz"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("no small common ratio"), std::string::npos) << run.err;
}

} // namespace
} // namespace torchamp
