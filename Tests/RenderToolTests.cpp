// Runs the built torchamp-render end to end, as a user would.

#include "ImpulseResponseFile.h"
#include "ModelLoader.h"
#include "Preset.h"
#include "RenderToolRunner.h"
#include "TestSupport.h"
#include "WavFile.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

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
        stereo.channels = {test::makeTestSignal(48000 * 3, 1), test::makeTestSignal(48000 * 3, 2, 0.4f)};
        ASSERT_EQ(writeWavFloat(path("in.wav"), stereo), "");
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string path(const std::string& name) const { return (dir / name).string(); }

    fs::path dir;
};

TEST_F(RenderTool, rendersEveryChannelAsLibTorchForwardDoes)
{
    for (const auto* model : {"lstm2x24_knobs_skip.pt", "nometa_skip.pt", "lstm1x40.pt"})
    {
        const auto run = render("--model " + test::modelPath(model) + " --in " + path("in.wav") + " --out " +
                                path("out.wav") + " --block 333");
        ASSERT_EQ(run.exitCode, 0) << run.err;
        EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << "exactly one JSON line on stdout";
        for (const char* key :
             {"engine", "model", "sample_rate", "samples", "seconds_audio", "seconds_wall", "realtime_factor",
              "block_us_p50", "block_us_p99", "block_us_max", "latency_samples", "parity_max_abs_error"})
            EXPECT_NE(run.out.find(std::string("\"") + key + "\":"), std::string::npos) << key;
        EXPECT_EQ(jsonNumber(run.out, "samples"), 48000 * 3);
        EXPECT_EQ(jsonNumber(run.out, "sample_rate"), 48000);
        EXPECT_GT(jsonNumber(run.out, "realtime_factor"), 0.0);
        EXPECT_LE(jsonNumber(run.out, "parity_max_abs_error"), 1e-5);
        EXPECT_NE(run.out.find("\"channels_linked\":false"), std::string::npos) << "the channels differ";

        auto in = readWav(path("in.wav"));
        auto out = readWav(path("out.wav"));
        ASSERT_TRUE(out) << out.error();
        ASSERT_EQ(out->numChannels(), 2);
        ASSERT_EQ(out->sampleRate, 48000);
        auto loaded = loadModelFile(test::modelPath(model)); // compared with LibTorch: its module is loaded
        ASSERT_TRUE(loaded);
        ASSERT_NE(loaded->module, nullptr);
        for (int ch = 0; ch < 2; ++ch)
        {
            auto reference = loaded->module->render(in->channels[static_cast<size_t>(ch)],
                                            loaded->spec.knobDefaults, 4096);
            ASSERT_TRUE(reference);
            EXPECT_LE(test::maxAbsDifference(out->channels[static_cast<size_t>(ch)], *reference), 1e-4)
                << model;
        }
    }
}

TEST_F(RenderTool, knobsAndTheLibTorchEngineAgreeWithTheNativeEngine)
{
    const auto model = test::modelPath("lstm1x32_knob.pt");
    auto native = render("--model " + model + " --in " + path("in.wav") + " --out " + path("native.wav") +
                         " --knob gain=0.8 --engine native");
    ASSERT_EQ(native.exitCode, 0) << native.err;
    auto libtorch = render("--model " + model + " --in " + path("in.wav") + " --out " + path("libtorch.wav") +
                           " --knob gain=0.8 --engine libtorch");
    ASSERT_EQ(libtorch.exitCode, 0) << libtorch.err;
    EXPECT_NE(libtorch.out.find("\"engine\":\"libtorch\""), std::string::npos);
    auto a = readWav(path("native.wav"));
    auto b = readWav(path("libtorch.wav"));
    ASSERT_TRUE(a && b);
    for (int ch = 0; ch < 2; ++ch)
        EXPECT_LE(test::maxAbsDifference(a->channels[static_cast<size_t>(ch)],
                                         b->channels[static_cast<size_t>(ch)]),
                  1e-4);

    auto other = render("--model " + model + " --in " + path("in.wav") + " --out " + path("other.wav") +
                        " --knob gain=0.1");
    ASSERT_EQ(other.exitCode, 0);
    auto c = readWav(path("other.wav"));
    EXPECT_GT(test::maxAbsDifference(a->channels[0], c->channels[0]), 1e-3) << "the knob changes the sound";
}

TEST_F(RenderTool, anAudioModulePlaysOnLibTorchWithItsLatencyRemoved)
{
    const auto run = render("--model " + test::modelPath("waveshaper.pt") + " --in " + path("in.wav") +
                            " --out " + path("shaped.wav"));
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
    auto corrupt = render("--model " + test::modelPath("truncated.pt") + " --in " + path("in.wav") +
                          " --out " + path("x.wav"));
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
    auto badKnob = render("--model " + test::modelPath("lstm1x32_knob.pt") + " --in " + path("in.wav") +
                          " --out " + path("x.wav") + " --knob volume=0.5");
    EXPECT_EQ(badKnob.exitCode, 2);
    EXPECT_NE(badKnob.err.find("no knob 'volume' (its knobs: gain)"), std::string::npos) << badKnob.err;
    EXPECT_EQ(render("--help").exitCode, 0);
}

/** A 16-bit PCM WAV file's bytes whose header says `rate`, `channels`, and a data chunk of `claimed` bytes.
 */
std::string pcmWav(uint32_t rate, uint16_t channels, uint32_t claimed, const std::string& data)
{
    std::string h = "RIFF";
    auto p32 = [&](uint32_t v)
    {
        for (int i = 0; i < 4; ++i)
            h.push_back(char((v >> (8 * i)) & 0xFF));
    };
    auto p16 = [&](uint16_t v)
    {
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
    auto write = [&](const std::string& name, const std::string& bytes)
    {
        std::ofstream(path(name), std::ios::binary) << bytes;
        return path(name);
    };
    std::string samples;
    for (int i = 0; i < 100; ++i)
        samples += std::string{char(i * 7), char(i % 50)};

    // Sample rates no audio file has: refused with the figure and the range.
    for (auto [rate, shown] : {std::pair{4000000000u, "4000000000 Hz"}, std::pair{1u, "1 Hz"}})
    {
        const auto in = write("rate.wav", pcmWav(rate, 1, 200, samples));
        const auto run = render("--in " + in + " --out " + path("x.wav"));
        EXPECT_EQ(run.exitCode, 4) << run.err;
        EXPECT_NE(run.err.find(std::string("sample rate, ") + shown + ", is outside the 8 kHz..768 kHz"),
                  std::string::npos)
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
    fs::resize_file(path("model.pt"), std::uintmax_t{2048} << 20);
    run = render("--model " + path("model.pt") + " --in " + path("in.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("model.pt: the file is 2048 MB, above the 256 MB TorchAmp reads"),
              std::string::npos)
        << run.err;

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
    const auto run =
        render("--model " + path("odd.nam") + " --in " + path("in.wav") + " --out " + path("x.wav"));
    EXPECT_EQ(run.exitCode, 3);
    EXPECT_NE(run.err.find("odd.nam: the model runs at 44101 Hz and the audio at 48000 Hz"),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("no small common ratio"), std::string::npos) << run.err;
}

/** A stereo impulse response at `rate`, decaying noise, written as a float WAV. */
void writeImpulseResponse(const std::string& file, std::int64_t rate, int frames)
{
    AudioData ir;
    ir.sampleRate = rate;
    ir.channels = {test::makeTestSignal(static_cast<size_t>(frames), 5),
                   test::makeTestSignal(static_cast<size_t>(frames), 6)};
    for (auto& ch : ir.channels)
    {
        ch[0] = 0.9f;
        for (size_t i = 0; i < ch.size(); ++i)
            ch[i] *= static_cast<float>(std::exp(-6.0 * static_cast<double>(i) / frames));
    }
    ASSERT_EQ(writeWavFloat(file, ir), "");
}

TEST_F(RenderTool, anImpulseResponseConvolvesTheModelsOutput)
{
    writeImpulseResponse(path("cab.wav"), 48000, 3000);
    const std::string common =
        " --model " + test::modelPath("lstm2x24_knobs_skip.pt") + " --in " + path("in.wav");
    const auto dry = render(common + " --out " + path("dry.wav"));
    const auto wet =
        render(common + " --out " + path("wet.wav") + " --ir " + path("cab.wav") + " --block 77");
    ASSERT_EQ(dry.exitCode, 0) << dry.err;
    ASSERT_EQ(wet.exitCode, 0) << wet.err;
    EXPECT_NE(wet.out.find("\"impulse_response\":{\"name\":\"cab.wav\",\"sample_rate\":48000,\"channels\":2"),
              std::string::npos)
        << wet.out;
    EXPECT_NE(dry.out.find("\"impulse_response\":null"), std::string::npos);
    const auto ir = readImpulseResponseFile(path("cab.wav"));
    ASSERT_TRUE(ir) << ir.error();
    const auto taps = ir->preparedFor(48000.0);
    const auto model = readWav(path("dry.wav"));
    const auto out = readWav(path("wet.wav"));
    for (size_t c = 0; c < 2; ++c)
    {
        double worst = 0.0;
        const auto& x = model->channels[c];
        for (size_t t = 0; t < x.size(); t += 7)
        {
            double ref = 0.0;
            for (size_t j = 0; j < taps[c].size() && j <= t; ++j)
                ref += static_cast<double>(taps[c][j]) * x[t - j];
            worst = std::max(worst, std::abs(ref - out->channels[c][t]));
        }
        EXPECT_LT(worst, 1e-5) << "channel " << c;
    }
}

TEST_F(RenderTool, stereoPlaysAMonoInputOutThroughBothChannelsOfTheImpulseResponse)
{
    // --stereo: what a stereo file holding the mono signal on both channels gives, and its left
    // channel what the mono render gives.
    AudioData cabinet; // a stereo response whose right channel is the left's, halved and inverted
    cabinet.sampleRate = 48000;
    cabinet.channels = {test::makeTestSignal(3000, 5), {}};
    for (float v : cabinet.channels[0])
        cabinet.channels[1].push_back(-0.5f * v);
    ASSERT_EQ(writeWavFloat(path("cab.wav"), cabinet), "");
    AudioData mono, both;
    mono.sampleRate = both.sampleRate = 48000;
    mono.channels = {test::makeTestSignal(48000 * 2, 1)};
    both.channels = {mono.channels[0], mono.channels[0]};
    ASSERT_EQ(writeWavFloat(path("mono.wav"), mono), "");
    ASSERT_EQ(writeWavFloat(path("both.wav"), both), "");
    const std::string common = " --model " + test::modelPath("lstm2x24_knobs_skip.pt") + " --ir " +
                               path("cab.wav") + " --param gateOn=1 --param mix=70";
    const auto narrow = render(common + " --in " + path("mono.wav") + " --out " + path("narrow.wav"));
    const auto wide = render(common + " --in " + path("mono.wav") + " --out " + path("wide.wav") + " --stereo");
    const auto twice = render(common + " --in " + path("both.wav") + " --out " + path("twice.wav"));
    for (const auto* run : {&narrow, &wide, &twice})
        ASSERT_EQ(run->exitCode, 0) << run->err;
    EXPECT_EQ(jsonNumber(narrow.out, "output_channels"), 1.0);
    EXPECT_EQ(jsonNumber(wide.out, "channels"), 1.0);
    EXPECT_EQ(jsonNumber(wide.out, "output_channels"), 2.0);
    // The file's two channels are the same: linked, the model played once for them too.
    EXPECT_NE(twice.out.find("\"channels_linked\":true"), std::string::npos) << twice.out;
    const auto n = readWav(path("narrow.wav")), w = readWav(path("wide.wav")), t = readWav(path("twice.wav"));
    ASSERT_TRUE(n && w && t);
    ASSERT_EQ(n->numChannels(), 1);
    ASSERT_EQ(w->numChannels(), 2);
    EXPECT_LE(test::maxAbsDifference(w->channels[0], t->channels[0]), 1e-6);
    EXPECT_LE(test::maxAbsDifference(w->channels[1], t->channels[1]), 1e-6);
    EXPECT_LE(test::maxAbsDifference(w->channels[0], n->channels[0]), 1e-6);
    EXPECT_GT(test::maxAbsDifference(w->channels[0], w->channels[1]), 1e-3);
}

TEST_F(RenderTool, aPresetRendersAsItsFlagsDo)
{
    writeImpulseResponse(path("cab.wav"), 44100, 2000);
    Preset preset;
    preset.name = "Test rig";
    preset.parameters = {{ParameterId::gateOn, 1.0f}, {ParameterId::gateThreshold, -50.0f},
                         {ParameterId::bass, 4.0f},   {ParameterId::presence, -3.0f},
                         {ParameterId::knob1, 0.8f},  {ParameterId::outputGain, -2.0f}};
    auto model =
        presetAssetFromFile(test::modelPath("lstm2x24_knobs_skip.pt"), FileLimits::maxModelBytes, true);
    auto ir = presetAssetFromFile(path("cab.wav"), FileLimits::maxImpulseResponseBytes, false);
    ASSERT_TRUE(model && ir);
    preset.model = *model;
    preset.model->path = "elsewhere/gone.pt"; // the embedded bytes play
    preset.impulseResponse = *ir;
    preset.impulseResponse->path = "cab.wav"; // beside the preset
    preset.cabinetLatency = ConvolutionLatency::lowCpu;
    ASSERT_EQ(writePreset(path("rig.json"), preset), "");

    const auto fromPreset =
        render("--preset " + path("rig.json") + " --in " + path("in.wav") + " --out " + path("a.wav"));
    ASSERT_EQ(fromPreset.exitCode, 0) << fromPreset.err;
    EXPECT_NE(fromPreset.out.find("\"preset\":\"Test rig\""), std::string::npos);
    EXPECT_NE(fromPreset.out.find("\"bass\":4,"), std::string::npos) << fromPreset.out;
    EXPECT_EQ(jsonNumber(fromPreset.out, "latency_samples"), 512) << "the low-CPU cabinet's partition";
    const auto fromFlags =
        render("--model " + test::modelPath("lstm2x24_knobs_skip.pt") + " --ir " + path("cab.wav") +
               " --cabinet-latency low-cpu --param gateOn=1 --param gateThreshold=-50 --param bass=4"
               " --param presence=-3 --param knob1=0.8 --param outputGain=-2 --in " +
               path("in.wav") + " --out " + path("b.wav"));
    ASSERT_EQ(fromFlags.exitCode, 0) << fromFlags.err;
    EXPECT_EQ(readWav(path("a.wav"))->channels, readWav(path("b.wav"))->channels);

    // Flags given with a preset take precedence over it.
    const auto overridden = render("--preset " + path("rig.json") + " --param bass=-6 --ir default --in " +
                                   path("in.wav") + " --out " + path("c.wav"));
    ASSERT_EQ(overridden.exitCode, 0) << overridden.err;
    EXPECT_NE(overridden.out.find("\"bass\":-6,"), std::string::npos);
    EXPECT_NE(overridden.out.find("\"name\":\"DefaultCabinet.wav\""), std::string::npos);
}

TEST_F(RenderTool, badParametersImpulseResponsesAndPresetsExitWithTheirCodes)
{
    const std::string io = " --in " + path("in.wav") + " --out " + path("x.wav");
    const auto unknown = render("--param warmth=3" + io);
    EXPECT_EQ(unknown.exitCode, 2);
    EXPECT_NE(unknown.err.find("there is no parameter 'warmth'; the parameters are:"), std::string::npos);
    EXPECT_NE(unknown.err.find("gateThreshold: Gate threshold, -100 dB .. 0 dB (default -80)"),
              std::string::npos)
        << unknown.err;
    const auto outside = render("--param treble=13" + io);
    EXPECT_EQ(outside.exitCode, 2);
    EXPECT_NE(outside.err.find("parameter 'treble' takes a value in -12 dB .. 12 dB, got '13'"),
              std::string::npos);
    EXPECT_EQ(render("--param treble" + io).exitCode, 2);
    EXPECT_EQ(render("--cabinet-latency big" + io).exitCode, 2);
    const auto list = render("--param list");
    EXPECT_EQ(list.exitCode, 0);
    EXPECT_NE(list.out.find("interfaceLevel: Interface level, -30 dBu .. 30 dBu (default 12)"),
              std::string::npos);

    const auto missing = render("--ir " + path("none.wav") + io);
    EXPECT_EQ(missing.exitCode, 5);
    EXPECT_NE(missing.err.find("none.wav: cannot open the file"), std::string::npos) << missing.err;
    std::ofstream(path("text.wav")) << "not audio";
    EXPECT_EQ(render("--ir " + path("text.wav") + io).exitCode, 5);

    std::ofstream(path("broken.json"))
        << "{\"format\": \"torchamp-preset\", \"version\": 1, \"parameters\": {\"bass\": 99}}";
    const auto broken = render("--preset " + path("broken.json") + io);
    EXPECT_EQ(broken.exitCode, 6);
    EXPECT_NE(broken.err.find("broken.json: parameter 'bass' is 99, outside its range"), std::string::npos)
        << broken.err;
    std::ofstream(path("lost.json"))
        << "{\"format\": \"torchamp-preset\", \"version\": 1, \"model\": {\"path\": \"lost.pt\"}}";
    const auto lost = render("--preset " + path("lost.json") + io);
    EXPECT_EQ(lost.exitCode, 6);
    EXPECT_NE(lost.err.find("lost.json: lost.pt: cannot open the file"), std::string::npos) << lost.err;
}

} // namespace
} // namespace torchamp
