// Runs the built torchamp-render end to end, as a user would.

#include "ModelLoader.h"
#include "RenderToolRunner.h"
#include "TestSupport.h"
#include "WavFile.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;
using test::jsonNumber;
using test::render;

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
    EXPECT_NE(notWav.err.find("not a WAV file"), std::string::npos);

    EXPECT_EQ(render("--in " + path("in.wav")).exitCode, 2);
    EXPECT_EQ(render("--in " + path("in.wav") + " --out " + path("x.wav") + " --block 0").exitCode, 2);
    EXPECT_EQ(render("--in " + path("in.wav") + " --out " + path("x.wav") + " --engine gpu").exitCode, 2);
    auto badKnob = render("--model " + test::modelPath("lstm1x32_knob.pt") + " --in " + path("in.wav") + " --out "
                          + path("x.wav") + " --knob volume=0.5");
    EXPECT_EQ(badKnob.exitCode, 2);
    EXPECT_NE(badKnob.err.find("no knob 'volume' (its knobs: gain)"), std::string::npos) << badKnob.err;
    EXPECT_EQ(render("--help").exitCode, 0);
}

} // namespace
} // namespace torchamp
