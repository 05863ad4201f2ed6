#include "AllocationCounter.h"
#include "ModelLoader.h"
#include "PluginProcessor.h"
#include "Preset.h"
#include "TestSupport.h"
#include "WavFile.h"

#include <gtest/gtest.h>

#include <complex>
#include <filesystem>
#include <fstream>
#include <limits>

#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace torchamp
{
namespace
{

class PluginProcessor : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { juceInit = std::make_unique<juce::ScopedJuceInitialiser_GUI>(); }
    static void TearDownTestSuite() { juceInit.reset(); }

    static void setLayout(TorchAmpProcessor& p, int channels) { setLayout(p, channels, channels); }

    static void setLayout(TorchAmpProcessor& p, int inputs, int outputs)
    {
        auto set = [](int channels)
        { return channels == 1 ? juce::AudioChannelSet::mono() : juce::AudioChannelSet::stereo(); };
        juce::AudioProcessor::BusesLayout layout;
        layout.inputBuses.add(set(inputs));
        layout.outputBuses.add(set(outputs));
        ASSERT_TRUE(p.setBusesLayout(layout));
    }

    static std::unique_ptr<juce::ScopedJuceInitialiser_GUI> juceInit;
};

std::unique_ptr<juce::ScopedJuceInitialiser_GUI> PluginProcessor::juceInit;

/** The embedded default model, as the plugin plays it. */
ModelSpec defaultSpec()
{
    auto loaded = loadModelFile(TORCHAMP_DEFAULT_MODEL_PATH);
    EXPECT_TRUE(loaded) << loaded.error();
    return loaded->spec;
}

/** The engine alone, started where the plugin's warm-up leaves it: after the warm-up's silence. */
std::vector<float> renderWarm(const ModelSpec& spec, const std::vector<float>& x, double rate)
{
    const auto warm = static_cast<size_t>(std::lround(ModelRunner::warmUpSeconds * rate));
    std::vector<float> padded(warm, 0.0f);
    padded.insert(padded.end(), x.begin(), x.end());
    const auto y = renderNative(spec, padded, spec.knobDefaults, 512);
    return std::vector<float>(y.begin() + static_cast<std::ptrdiff_t>(warm), y.end());
}

/** A cabinet-like response written as a 32-bit float WAV in the temporary folder: decaying noise,
    `channels` channels at `rate`, different for each `seed`. */
juce::File writeTestImpulseResponse(const std::string& name, int channels, std::int64_t rate, unsigned seed)
{
    AudioData ir;
    ir.sampleRate = rate;
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    const auto frames = static_cast<size_t>(rate / 20);
    for (int ch = 0; ch < channels; ++ch)
    {
        std::vector<float> samples(frames);
        for (size_t i = 0; i < frames; ++i)
            samples[i] =
                0.5f * noise(rng) * std::exp(-8.0f * static_cast<float>(i) / static_cast<float>(frames));
        ir.channels.push_back(std::move(samples));
    }
    const auto file = juce::File::getSpecialLocation(juce::File::tempDirectory)
                          .getChildFile(juce::String(name) + "-" + juce::String(::getpid()) + ".wav");
    EXPECT_EQ(writeWavFloat(file.getFullPathName().toStdString(), ir), "");
    return file;
}

/** Plays `signal` on both channels of a prepared stereo `p` in blocks of `block`; the left output. */
std::vector<float> play(TorchAmpProcessor& p, const std::vector<float>& signal, int block)
{
    juce::AudioBuffer<float> buffer(2, block);
    juce::MidiBuffer midi;
    std::vector<float> out;
    for (size_t start = 0; start + static_cast<size_t>(block) <= signal.size();
         start += static_cast<size_t>(block))
    {
        buffer.copyFrom(0, 0, signal.data() + start, block);
        buffer.copyFrom(1, 0, signal.data() + start, block);
        p.processBlock(buffer, midi);
        out.insert(out.end(), buffer.getReadPointer(0), buffer.getReadPointer(0) + block);
    }
    return out;
}

/** Sets a parameter in its own units, as a host would. */
void setValue(TorchAmpProcessor& p, ParameterId id, float value)
{
    auto& parameter = p.parameter(id);
    parameter.setValueNotifyingHost(parameter.convertTo0to1(value));
}

TEST_F(PluginProcessor, defaultModelIsActiveFromConstruction)
{
    TorchAmpProcessor p;
    ASSERT_NE(p.modelStatus().info, nullptr);
    EXPECT_EQ(p.modelStatus().info->name, "Diode Clipper");
    EXPECT_EQ(p.modelStatus().lastError, "");
}

TEST_F(PluginProcessor, playsMonoStereoAndMonoInStereoOutOnly)
{
    TorchAmpProcessor p;
    const auto mono = juce::AudioChannelSet::mono(), stereo = juce::AudioChannelSet::stereo();
    auto supports = [&](const juce::AudioChannelSet& in, const juce::AudioChannelSet& out)
    {
        juce::AudioProcessor::BusesLayout layout;
        layout.inputBuses.add(in);
        layout.outputBuses.add(out);
        return p.checkBusesLayoutSupported(layout);
    };
    EXPECT_TRUE(supports(mono, mono));
    EXPECT_TRUE(supports(stereo, stereo));
    EXPECT_TRUE(supports(mono, stereo));
    EXPECT_FALSE(supports(stereo, mono));
    EXPECT_FALSE(supports(juce::AudioChannelSet::create5point1(), juce::AudioChannelSet::create5point1()));
    EXPECT_FALSE(supports(mono, juce::AudioChannelSet::create5point1()));
}

TEST_F(PluginProcessor, aMonoInputPlaysOutInStereoAsAStereoInstanceGivenItOnBothChannels)
{
    // A guitar on a mono input into a stereo cabinet: the model plays once, the cabinet's two
    // channels make the stereo. The same as a stereo instance given the guitar on both channels.
    const auto file = writeTestImpulseResponse("torchamp-mono-to-stereo", 2, 48000, 17);
    TorchAmpProcessor widened, stereo;
    setLayout(widened, 1, 2);
    setLayout(stereo, 2, 2);
    for (auto* p : {&widened, &stereo})
    {
        p->loadImpulseResponseFile(file);
        ASSERT_TRUE(p->waitForModelLoads());
        ASSERT_EQ(p->cabinetStatus().lastError, "");
        setValue(*p, ParameterId::gateOn, 1.0f);
        setValue(*p, ParameterId::bass, 4.0f);
        setValue(*p, ParameterId::mix, 80.0f);
        p->prepareToPlay(48000.0, 256);
    }
    EXPECT_EQ(widened.getLatencySamples(), stereo.getLatencySamples());
    const auto signal = test::makeTestSignal(48000);
    juce::AudioBuffer<float> a(2, 256), b(2, 256);
    juce::MidiBuffer midi;
    double differences[2] = {0.0, 0.0}, leftRight = 0.0;
    for (size_t start = 0; start + 256 <= signal.size(); start += 256)
    {
        a.copyFrom(0, 0, signal.data() + start, 256);
        a.clear(1, 0, 256);
        for (int i = 0; i < 256; ++i)
            a.setSample(1, i, std::numeric_limits<float>::quiet_NaN()); // what a host may leave there
        b.copyFrom(0, 0, signal.data() + start, 256);
        b.copyFrom(1, 0, signal.data() + start, 256);
        if (start == 256 * 40)
            for (auto* p : {&widened, &stereo})
                setValue(*p, ParameterId::bypass, 1.0f); // and the bypass copies the dry signal out too
        widened.processBlock(a, midi);
        stereo.processBlock(b, midi);
        for (int ch = 0; ch < 2; ++ch)
            for (int i = 0; i < 256; ++i)
            {
                ASSERT_TRUE(std::isfinite(a.getSample(ch, i))) << "channel " << ch << " at " << start + size_t(i);
                differences[ch] = std::max(differences[ch],
                                           std::abs(static_cast<double>(a.getSample(ch, i) - b.getSample(ch, i))));
            }
        for (int i = 0; i < 256; ++i)
            leftRight = std::max(leftRight, std::abs(static_cast<double>(a.getSample(0, i) - a.getSample(1, i))));
    }
    EXPECT_LE(differences[0], 1e-6);
    EXPECT_LE(differences[1], 1e-6);
    EXPECT_GT(leftRight, 1e-3); // the cabinet's channels differ
    file.deleteFile();
}

TEST_F(PluginProcessor, aNewInstancePlaysTheBuiltInCabinet)
{
    TorchAmpProcessor p;
    EXPECT_EQ(p.cabinetStatus().source, CabinetSource::builtIn);
    EXPECT_EQ(p.cabinetStatus().lastError, "");
    ASSERT_TRUE(p.cabinetInfo().has_value());
    EXPECT_EQ(p.parameterValue(ParameterId::irOn), 1.0f);
}

TEST_F(PluginProcessor, atUnityGainAndFullMixItPlaysExactlyTheEngine)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    setValue(p, ParameterId::irOn, 0.0f);
    p.prepareToPlay(48000.0, 256);
    const auto left = test::makeTestSignal(48000, 1);
    const auto right = test::makeTestSignal(48000, 2, 0.5f);
    juce::AudioBuffer<float> buffer(2, 256);
    juce::MidiBuffer midi;
    std::vector<float> outL, outR;
    for (size_t start = 0; start + 256 <= left.size(); start += 256)
    {
        buffer.copyFrom(0, 0, left.data() + start, 256);
        buffer.copyFrom(1, 0, right.data() + start, 256);
        p.processBlock(buffer, midi);
        outL.insert(outL.end(), buffer.getReadPointer(0), buffer.getReadPointer(0) + 256);
        outR.insert(outR.end(), buffer.getReadPointer(1), buffer.getReadPointer(1) + 256);
    }
    const auto spec = defaultSpec();
    auto trimmed = [&](const std::vector<float>& x)
    { return std::vector<float>(x.begin(), x.begin() + outL.size()); };
    EXPECT_LE(test::maxAbsDifference(outL, renderWarm(spec, trimmed(left), 48000.0)), 1e-6);
    EXPECT_LE(test::maxAbsDifference(outR, renderWarm(spec, trimmed(right), 48000.0)), 1e-6);
}

class ProcessorMatrix : public PluginProcessor,
                        public ::testing::WithParamInterface<std::tuple<double, int, int, const char*>>
{
protected:
    /// A stereo response at 44.1 kHz, so every host rate resamples it.
    static juce::File matrixImpulseResponse()
    {
        static const auto file = writeTestImpulseResponse("torchamp-matrix-cabinet", 2, 44100, 3);
        return file;
    }

    /// Plays `model` with automation, a model and response swap and a state restore, counting heap calls.
    void playMatrix(double rate, int block, int inputs, int outputs, const char* model);
};

/** The real-time matrix: every rate, block size, channel count and model kind, with automation
    (gate, tone, cabinet on and off), bypass toggles, a model hot-swap, an impulse response swap and
    a state restore from another thread while playing. In
    the ordinary build heap calls are counted (none allowed); in the RealtimeSanitizer build RTSan
    halts on any allocation, lock or system call inside processBlock. */
TEST_P(ProcessorMatrix, finiteOutputAndNoHeapCallsInProcessBlock)
{
    const auto [rate, block, channels, model] = GetParam();
    playMatrix(rate, block, channels, channels, model);
}

/** The matrix's test on the mono-in, stereo-out layout, at two rates and block sizes. */
class MonoInStereoOutMatrix : public ProcessorMatrix
{
};

TEST_P(MonoInStereoOutMatrix, finiteOutputAndNoHeapCallsInProcessBlock)
{
    const auto [rate, block, channels, model] = GetParam();
    playMatrix(rate, block, channels, 2, model);
}

void ProcessorMatrix::playMatrix(double rate, int block, int inputs, int outputs, const char* model)
{
    TorchAmpProcessor p;
    setLayout(p, inputs, outputs);
    if (std::string(model) != "default")
    {
        p.loadModelFile(juce::File(test::modelPath(model)));
        ASSERT_TRUE(p.waitForModelLoads());
        ASSERT_EQ(p.modelStatus().lastError, "");
    }
    p.prepareToPlay(rate, block);
    juce::MemoryBlock saved;
    p.getStateInformation(saved);

    std::atomic<bool> done{false};
    std::thread host(
        [&]
        {
            p.loadModelFile(juce::File(test::modelPath("lstm1x16_skip.pt")));
            p.waitForModelLoads();
            p.loadImpulseResponseFile(matrixImpulseResponse());
            p.waitForModelLoads();
            p.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
            p.waitForModelLoads();
            done = true;
        });

    const auto signal = test::makeTestSignal(static_cast<size_t>(block) * 8);
    juce::AudioBuffer<float> buffer(outputs, block);
    juce::MidiBuffer midi;
    auto* gain = &p.parameter(ParameterId::inputGain);
    auto* mix = &p.parameter(ParameterId::mix);
    auto* knob = &p.parameter(ParameterId::knob1);
    auto* bypass = p.getBypassParameter();
    auto* gate = &p.parameter(ParameterId::gateOn);
    auto* bass = &p.parameter(ParameterId::bass);
    auto* cabinet = &p.parameter(ParameterId::irOn);

    long heapCalls = 0;
    for (int b = 0; b < 8 || !done; ++b)
    {
        gate->setValueNotifyingHost(b % 3 == 0 ? 1.0f : 0.0f);
        bass->setValueNotifyingHost(static_cast<float>(b % 9) / 8.0f);
        cabinet->setValueNotifyingHost(b % 11 == 5 ? 0.0f : 1.0f);
        // The same signal on every input channel (they play linked), then from block 5 on a
        // quieter second channel: the channels part while playing.
        for (int ch = 0; ch < inputs; ++ch)
            buffer.copyFrom(ch, 0, signal.data() + (b % 8) * block, block, ch > 0 && b >= 5 ? 0.5f : 1.0f);
        for (int ch = inputs; ch < outputs; ++ch)
            std::fill(buffer.getWritePointer(ch), buffer.getWritePointer(ch) + block, 1e30f); // not an input
        gain->setValueNotifyingHost(static_cast<float>(b % 8) / 8.0f); // automation while playing
        mix->setValueNotifyingHost(1.0f - static_cast<float>(b % 16) / 32.0f);
        knob->setValueNotifyingHost(static_cast<float>(b % 5) / 4.0f);
        bypass->setValueNotifyingHost(b % 7 == 3 ? 1.0f : 0.0f);
        {
            test::AllocationCounter counter;
            p.processBlock(buffer, midi);
            heapCalls += counter.count();
        }
        for (int ch = 0; ch < outputs; ++ch)
            for (int i = 0; i < block; ++i)
                ASSERT_TRUE(std::isfinite(buffer.getSample(ch, i)) && std::abs(buffer.getSample(ch, i)) < 1e3f);
    }
    host.join();
    EXPECT_EQ(heapCalls, 0);
    EXPECT_EQ(p.modelStatus().info->name,
              std::string(model) == "default"
                  ? p.modelStatus().info->name
                  : juce::File(model).getFileNameWithoutExtension().toStdString());
}

INSTANTIATE_TEST_SUITE_P(
    RatesBlocksChannelsModels, ProcessorMatrix,
    ::testing::Combine(::testing::Values(44100.0, 48000.0, 96000.0),
                       ::testing::Values(1, 16, 64, 128, 333, 512, 2048, 8192), ::testing::Values(1, 2),
                       ::testing::Values("default", "lstm2x16.pt", "lstm1x32_knob.pt", "wavenet_small.nam",
                                         "keras_conv_gru.json")),
    [](const auto& info)
    {
        std::string model = std::get<3>(info.param);
        model = model.substr(0, model.find('.'));
        return std::to_string(static_cast<int>(std::get<0>(info.param))) + "Hz_" +
               std::to_string(std::get<1>(info.param)) + "_" + std::to_string(std::get<2>(info.param)) +
               "ch_" + model;
    });

INSTANTIATE_TEST_SUITE_P(
    RatesBlocksModels, MonoInStereoOutMatrix,
    ::testing::Combine(::testing::Values(44100.0, 48000.0), ::testing::Values(64, 333), ::testing::Values(1),
                       ::testing::Values("default", "wavenet_small.nam")),
    [](const auto& info)
    {
        std::string model = std::get<3>(info.param);
        model = model.substr(0, model.find('.'));
        return std::to_string(static_cast<int>(std::get<0>(info.param))) + "Hz_" +
               std::to_string(std::get<1>(info.param)) + "_monoInStereoOut_" + model;
    });

TEST_F(PluginProcessor, blockLargerThanAnnouncedIsProcessedInChunks)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    setValue(p, ParameterId::irOn, 0.0f);
    p.prepareToPlay(48000.0, 64);
    juce::AudioBuffer<float> buffer(2, 1000);
    const auto signal = test::makeTestSignal(1000);
    buffer.copyFrom(0, 0, signal.data(), 1000);
    buffer.copyFrom(1, 0, signal.data(), 1000);
    juce::MidiBuffer midi;
    test::AllocationCounter counter;
    p.processBlock(buffer, midi);
    EXPECT_EQ(counter.count(), 0);
    const auto spec = defaultSpec();
    std::vector<float> out(buffer.getReadPointer(0), buffer.getReadPointer(0) + 1000);
    EXPECT_LE(test::maxAbsDifference(out, renderWarm(spec, signal, 48000.0)), 1e-6);
}

TEST_F(PluginProcessor, parametersAndTheModelItselfSurviveAStateRoundTrip)
{
    // The model is loaded from a copy that is deleted before the session is reopened.
    const auto copy =
        juce::File::getSpecialLocation(juce::File::tempDirectory).getChildFile("torchamp-state-model.pt");
    ASSERT_TRUE(juce::File(test::modelPath("lstm1x32_knob.pt")).copyFileTo(copy));
    juce::MemoryBlock saved;
    {
        TorchAmpProcessor p;
        p.loadModelFile(copy);
        ASSERT_TRUE(p.waitForModelLoads());
        ASSERT_EQ(p.modelStatus().lastError, "");
        p.parameters().getParameter("outputGain")->setValueNotifyingHost(0.25f);
        p.parameters().getParameter("knob1")->setValueNotifyingHost(0.75f);
        p.getStateInformation(saved);
    }
    copy.deleteFile();

    TorchAmpProcessor q;
    q.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
    ASSERT_TRUE(q.waitForModelLoads());
    const auto status = q.modelStatus();
    EXPECT_EQ(status.lastError, "");
    EXPECT_EQ(status.info->name, "lstm1x32_knob");
    EXPECT_FALSE(status.isDefault);
    EXPECT_EQ(status.path, copy.getFullPathName().toStdString());
    EXPECT_EQ(status.sha256.size(), 64u);
    EXPECT_NEAR(q.parameters().getParameter("outputGain")->getValue(), 0.25f, 1e-6);
    EXPECT_NEAR(q.parameters().getParameter("knob1")->getValue(), 0.75f, 1e-6);
}

TEST_F(PluginProcessor, garbageOrTruncatedStateKeepsWhatPlays)
{
    juce::MemoryBlock saved;
    {
        TorchAmpProcessor p;
        p.loadModelFile(juce::File(test::modelPath("lstm1x8.pt")));
        ASSERT_TRUE(p.waitForModelLoads());
        p.getStateInformation(saved);
    }
    TorchAmpProcessor q;
    const auto before = q.parameters().getParameter("outputGain")->getValue();
    const char junk[] = "definitely not a TorchAmp state";
    q.setStateInformation(junk, sizeof junk);
    q.setStateInformation(nullptr, 0);
    for (size_t cut : {size_t(1), size_t(8), saved.getSize() / 2, saved.getSize() * 9 / 10})
        q.setStateInformation(saved.getData(), static_cast<int>(cut));
    std::vector<char> random(5000);
    std::mt19937 rng(5);
    for (auto& c : random)
        c = static_cast<char>(rng());
    q.setStateInformation(random.data(), static_cast<int>(random.size()));
    ASSERT_TRUE(q.waitForModelLoads());
    EXPECT_EQ(q.parameters().getParameter("outputGain")->getValue(), before);
    EXPECT_TRUE(q.modelStatus().isDefault);
}

TEST_F(PluginProcessor, aFailedLoadLeavesTheModelPlayingAndSaysWhy)
{
    TorchAmpProcessor p;
    const auto name = p.modelStatus().info->name;
    p.loadModelFile(juce::File(test::modelPath("truncated.pt")));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().info->name, name);
    EXPECT_NE(p.modelStatus().lastError.find("truncated.pt: not a TorchScript file"), std::string::npos);
    p.loadModelFile(juce::File("/nonexistent/amp.pt"));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().lastError, "amp.pt: cannot open the file (No such file or directory)");
}

TEST_F(PluginProcessor, hostileHostNumbersNeverCrashAndTheEditorSaysWhy)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    juce::MidiBuffer midi;
    const auto signal = test::makeTestSignal(20000, 31);
    auto playBlock = [&](int channels, int n)
    {
        juce::AudioBuffer<float> b(channels, n);
        for (int ch = 0; ch < channels; ++ch)
            b.copyFrom(ch, 0, signal.data(), std::min(n, static_cast<int>(signal.size())));
        test::AllocationCounter counter;
        p.processBlock(b, midi);
        EXPECT_EQ(counter.count(), 0) << channels << " x " << n;
        return b;
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (double rate : {0.0, -44100.0, nan, std::numeric_limits<double>::infinity(), 1.0, 4.0e9})
        for (int block : {0, -1, 1, 1 << 30})
        {
            p.prepareToPlay(rate, block);
            EXPECT_NE(p.playbackProblem().find("outside the 8 kHz..768 kHz"), std::string::npos) << rate;
            EXPECT_EQ(p.getLatencySamples(), 0);
            const auto b = playBlock(2, 512);
            for (int i = 0; i < 512; ++i) // unprocessed: what went in comes out
                ASSERT_EQ(b.getSample(1, i), signal[static_cast<size_t>(i)]) << rate;
        }
    for (int block : {0, -7, 1, 1 << 30})
    {
        p.prepareToPlay(48000.0, block);
        EXPECT_EQ(p.playbackProblem(), "");
        for (auto [channels, n] :
             {std::pair{2, 0}, std::pair{2, 1}, std::pair{8, 300}, std::pair{0, 64}, std::pair{1, 20000}})
        {
            const auto b = playBlock(channels, n);
            for (int ch = 0; ch < b.getNumChannels(); ++ch)
                for (int i = 0; i < n; ++i)
                    ASSERT_TRUE(std::isfinite(b.getSample(ch, i)));
        }
    }
    EXPECT_TRUE(p.modelStatus().isDefault) << "the default model survived it all";
}

TEST_F(PluginProcessor, parameterValuesThatAreNotNumbersInAStateTakeTheirDefaults)
{
    TorchAmpProcessor p;
    juce::XmlElement root("TorchAmpState");
    root.setAttribute("version", TorchAmpProcessor::stateVersion);
    auto* params = root.createNewChildElement("TorchAmp");
    auto add = [&](const char* id, const juce::String& value)
    {
        auto* param = params->createNewChildElement("PARAM");
        param->setAttribute("id", id);
        param->setAttribute("value", value);
    };
    add("inputGain", "nan");
    add("outputGain", "1e300");
    add("mix", "-inf");
    add("knob1", "inf");
    add("knob2", "-5");
    juce::MemoryBlock data;
    juce::AudioProcessor::copyXmlToBinary(root, data);
    p.setStateInformation(data.getData(), static_cast<int>(data.getSize()));
    auto value = [&](const char* id) { return p.parameters().getRawParameterValue(id)->load(); };
    EXPECT_EQ(value("inputGain"), 0.0f);
    EXPECT_EQ(value("outputGain"), 24.0f);
    EXPECT_EQ(value("mix"), 100.0f);
    EXPECT_EQ(value("knob1"), 0.5f);
    EXPECT_EQ(value("knob2"), 0.0f);

    // A model whose stored size is absurd is refused before it is decoded.
    juce::XmlElement withModel("TorchAmpState");
    auto* model = withModel.createNewChildElement("Model");
    model->setAttribute("name", "huge");
    model->setAttribute("default", false);
    model->setAttribute("size", 2000000000);
    model->addTextElement("AAAA");
    juce::AudioProcessor::copyXmlToBinary(withModel, data);
    p.setStateInformation(data.getData(), static_cast<int>(data.getSize()));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_NE(
        p.modelStatus().lastError.find("huge: the model stored in this session is damaged or too large"),
        std::string::npos);
    EXPECT_TRUE(p.modelStatus().isDefault);
}

TEST_F(PluginProcessor, filesThatAreNotModelsAreRefusedOnTheLoaderThreadWithoutReadingThem)
{
    namespace fs = std::filesystem;
    TorchAmpProcessor p;
    const auto dir = fs::temp_directory_path() / ("torchamp-hostile-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto fifo = dir / "pipe.pt";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    const auto huge = dir / "huge.pt";
    std::ofstream(huge).close();
    fs::resize_file(huge, std::uintmax_t{2048} << 20); // sparse
    struct Case
    {
        fs::path file;
        std::string message;
    };
    for (const auto& c : {Case{fifo, "pipe.pt: a named pipe (FIFO), not a file"},
                          Case{huge, "huge.pt: the file is 2048 MB, above the 256 MB TorchAmp reads"},
                          Case{dir, dir.filename().string() + ": a folder, not a file"},
                          Case{"/dev/zero", "zero: a device, not a file"}})
    {
        p.loadModelFile(juce::File(c.file.string()));
        ASSERT_TRUE(p.waitForModelLoads(5000)) << c.file;
        EXPECT_EQ(p.modelStatus().lastError, c.message);
        EXPECT_TRUE(p.modelStatus().isDefault);
    }
    fs::remove_all(dir);
}

TEST_F(PluginProcessor, knobParametersTakeTheModelsKnobNames)
{
    TorchAmpProcessor p;
    p.loadModelFile(juce::File(test::modelPath("lstm2x24_knobs_skip.pt")));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.parameters().getParameter("knob1")->getName(100), "drive");
    EXPECT_EQ(p.parameters().getParameter("knob2")->getName(100), "tone");
    EXPECT_TRUE(p.parameters().getParameter("knob3")->getName(100).startsWith("(unused)"));
}

TEST_F(PluginProcessor, hotSwapsFromAnotherThreadWhileProcessingWithoutHeapCalls)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    p.prepareToPlay(48000.0, 128);
    std::atomic<bool> done{false};
    std::thread loader(
        [&]
        {
            const char* models[] = {"lstm1x8.pt", "lstm2x16.pt", "lstm1x32_knob.pt", "nometa_skip.pt"};
            for (int i = 0; i < 12; ++i)
            {
                p.loadModelFile(juce::File(test::modelPath(models[i % 4])));
                p.waitForModelLoads();
            }
            done = true;
        });
    juce::AudioBuffer<float> buffer(2, 128);
    juce::MidiBuffer midi;
    const auto signal = test::makeTestSignal(128);
    long heapCalls = 0;
    int blocks = 0;
    while (!done || blocks < 100)
    {
        buffer.copyFrom(0, 0, signal.data(), 128);
        buffer.copyFrom(1, 0, signal.data(), 128);
        {
            test::AllocationCounter counter;
            p.processBlock(buffer, midi);
            heapCalls += counter.count();
        }
        for (int i = 0; i < 128; ++i)
            ASSERT_TRUE(std::isfinite(buffer.getSample(0, i)));
        ++blocks;
    }
    loader.join();
    EXPECT_EQ(heapCalls, 0);
    EXPECT_EQ(p.modelStatus().info->name, "nometa_skip");
}

TEST_F(PluginProcessor, reportsLatencyWhenResampling)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    p.prepareToPlay(48000.0, 256);
    EXPECT_EQ(p.getLatencySamples(), 0);
    EXPECT_FALSE(p.isResampling());
    p.prepareToPlay(96000.0, 256);
    EXPECT_GT(p.getLatencySamples(), 0);
    EXPECT_TRUE(p.isResampling());
    p.prepareToPlay(44100.0, 77);
    EXPECT_GT(p.getLatencySamples(), 0);
}

/** Hann-windowed DFT magnitude in dBFS (of a full-scale sine) at `hz`. */
double windowedLevelDb(const std::vector<float>& x, double rate, double hz)
{
    const double pi = 3.14159265358979323846;
    std::complex<double> acc = 0.0;
    double windowSum = 0.0;
    const size_t n = x.size();
    for (size_t i = 0; i < n; ++i)
    {
        // 4-term Blackman-Harris: sidelobes below -92 dB, so strong harmonics do not leak.
        const double t = 2 * pi * static_cast<double>(i) / static_cast<double>(n);
        const double w =
            0.35875 - 0.48829 * std::cos(t) + 0.14128 * std::cos(2 * t) - 0.01168 * std::cos(3 * t);
        windowSum += w;
        acc += w * static_cast<double>(x[i]) * std::polar(1.0, -2 * pi * hz * static_cast<double>(i) / rate);
    }
    return 20.0 * std::log10(std::max(1e-20, 2.0 * std::abs(acc) / windowSum));
}

std::vector<float> renderSine(double rate, double hz, float amplitude)
{
    TorchAmpProcessor p;
    juce::AudioProcessor::BusesLayout layout;
    layout.inputBuses.add(juce::AudioChannelSet::mono());
    layout.outputBuses.add(juce::AudioChannelSet::mono());
    p.setBusesLayout(layout);
    p.prepareToPlay(rate, 512);
    const auto total = static_cast<size_t>(rate); // one second; the last 0.25 s is analysed
    std::vector<float> out;
    juce::AudioBuffer<float> buffer(1, 512);
    juce::MidiBuffer midi;
    for (size_t s = 0; s < total; s += 512)
    {
        for (int i = 0; i < 512; ++i)
            buffer.setSample(0, i,
                             amplitude * static_cast<float>(std::sin(
                                             2 * 3.14159265358979323846 * hz *
                                             static_cast<double>(s + static_cast<size_t>(i)) / rate)));
        p.processBlock(buffer, midi);
        out.insert(out.end(), buffer.getReadPointer(0), buffer.getReadPointer(0) + 512);
    }
    return std::vector<float>(out.end() - static_cast<std::ptrdiff_t>(rate / 4), out.end());
}

TEST_F(PluginProcessor, at96kHzItSoundsAsAtTheModelsRateWithoutAliasing)
{
    const auto at48 = renderSine(48000.0, 1000.0, 0.5f);
    const auto at96 = renderSine(96000.0, 1000.0, 0.5f);
    for (int h = 1; h <= 5; ++h)
    {
        const double level48 = windowedLevelDb(at48, 48000.0, 1000.0 * h);
        const double level96 = windowedLevelDb(at96, 96000.0, 1000.0 * h);
        std::cout << "harmonic " << h << ": " << level48 << " dBFS at 48 kHz, " << level96
                  << " dBFS at 96 kHz\n";
        // Harmonics the model makes above 24 kHz alias back at its own rate, differently for each
        // sampling phase; a harmonic at that floor (below -60 dBFS) may move by more than 0.5 dB,
        // so there the amplitudes are compared instead.
        if (level48 > -60.0)
            EXPECT_NEAR(level96, level48, 0.5) << "harmonic " << h;
        else
            EXPECT_LT(std::abs(std::pow(10.0, level96 / 20) - std::pow(10.0, level48 / 20)), 1e-3)
                << "harmonic " << h;
    }
    double loudestAbove = -300.0;
    for (double hz = 24000.0; hz < 48000.0; hz += 50.0)
        loudestAbove = std::max(loudestAbove, windowedLevelDb(at96, 96000.0, hz));
    EXPECT_LT(loudestAbove, -80.0);
}

std::vector<float> playMono(TorchAmpProcessor& p, const std::vector<float>& x, int block)
{
    std::vector<float> out;
    juce::AudioBuffer<float> buffer(1, block);
    juce::MidiBuffer midi;
    for (size_t s = 0; s + static_cast<size_t>(block) <= x.size(); s += static_cast<size_t>(block))
    {
        buffer.copyFrom(0, 0, x.data() + s, block);
        p.processBlock(buffer, midi);
        out.insert(out.end(), buffer.getReadPointer(0), buffer.getReadPointer(0) + block);
    }
    return out;
}

TEST_F(PluginProcessor, hostileAudioNeverBreaksTheOutputNorSticksInTheState)
{
    const int block = 256;
    std::vector<float> hostile, sanitised;
    auto add = [&](float value, bool finite)
    {
        for (int i = 0; i < block; ++i)
        {
            hostile.push_back(value);
            sanitised.push_back(finite ? value : 0.0f);
        }
    };
    const float plus24dB = std::pow(10.0f, 24.0f / 20.0f);
    add(NAN, false);
    add(INFINITY, false);
    add(-INFINITY, false);
    add(1e-40f, true); // denormal
    add(1.0f, true);   // full-scale DC
    for (int i = 0; i < 8 * block; ++i)
    {
        const float square = (i / 24) % 2 ? 1.0f : -1.0f;
        hostile.push_back(i < 4 * block ? square : plus24dB * square);
        sanitised.push_back(hostile.back());
    }
    add(0.0f, true);
    const auto clean = test::makeTestSignal(static_cast<size_t>(block) * 40, 21);
    hostile.insert(hostile.end(), clean.begin(), clean.end());
    sanitised.insert(sanitised.end(), clean.begin(), clean.end());

    for (const char* model : {"default", "lstm2x24_knobs_skip.pt"})
    {
        TorchAmpProcessor a, b;
        for (auto* p : {&a, &b})
        {
            setLayout(*p, 1);
            if (std::string(model) != "default")
            {
                p->loadModelFile(juce::File(test::modelPath(model)));
                ASSERT_TRUE(p->waitForModelLoads());
            }
            p->prepareToPlay(48000.0, block);
        }
        const auto out = playMono(a, hostile, block);
        for (float v : out)
        {
            ASSERT_TRUE(std::isfinite(v));
            ASSERT_LT(std::abs(v), 100.0f);
        }
        // Non-finite input is silence to the model: nothing of it remains afterwards.
        EXPECT_EQ(test::maxAbsDifference(out, playMono(b, sanitised, block)), 0.0) << model;
    }
}

TEST_F(PluginProcessor, survivesWhatHostsDo)
{
    TorchAmpProcessor p;
    juce::MidiBuffer midi;
    juce::AudioBuffer<float> buffer(2, 512);
    const auto signal = test::makeTestSignal(512, 22);
    auto fill = [&](juce::AudioBuffer<float>& b)
    {
        for (int ch = 0; ch < b.getNumChannels(); ++ch)
            b.copyFrom(ch, 0, signal.data(), b.getNumSamples());
    };
    auto finite = [](const juce::AudioBuffer<float>& b)
    {
        for (int ch = 0; ch < b.getNumChannels(); ++ch)
            for (int i = 0; i < b.getNumSamples(); ++i)
                if (!std::isfinite(b.getSample(ch, i)))
                    return false;
        return true;
    };

    fill(buffer);
    p.processBlock(buffer, midi); // before prepareToPlay
    EXPECT_TRUE(finite(buffer));

    p.prepareToPlay(96000.0, 512);
    p.prepareToPlay(44100.0, 128); // again, at another rate
    EXPECT_GT(p.getLatencySamples(), 0);
    for (int channels : {1, 2, 4, 2, 1}) // layouts changing between calls
    {
        juce::AudioBuffer<float> b(channels, 100);
        fill(b);
        p.processBlock(b, midi);
        EXPECT_TRUE(finite(b));
    }

    p.loadModelFile(juce::File(test::modelPath("lstm2x16.pt")));
    p.releaseResources(); // during a load
    p.prepareToPlay(48000.0, 64);
    ASSERT_TRUE(p.waitForModelLoads());
    fill(buffer);
    p.processBlock(buffer, midi);
    EXPECT_TRUE(finite(buffer));

    // A state from a future version: what this version understands is taken.
    juce::XmlElement future("TorchAmpState");
    future.setAttribute("version", 99);
    auto* params = future.createNewChildElement("TorchAmp");
    auto* param = params->createNewChildElement("PARAM");
    param->setAttribute("id", "outputGain");
    param->setAttribute("value", -6.0);
    future.createNewChildElement("SomethingNew")->setAttribute("x", 1);
    juce::MemoryBlock data;
    juce::AudioProcessor::copyXmlToBinary(future, data);
    p.setStateInformation(data.getData(), static_cast<int>(data.getSize()));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_NEAR(p.parameters().getRawParameterValue("outputGain")->load(), -6.0f, 1e-4);
}

TEST_F(PluginProcessor, thirtyTwoInstancesProcessAtOnce)
{
    constexpr int instances = 32;
    std::vector<std::unique_ptr<TorchAmpProcessor>> plugins;
    for (int i = 0; i < instances; ++i)
    {
        plugins.push_back(std::make_unique<TorchAmpProcessor>());
        setLayout(*plugins.back(), 2);
        plugins.back()->prepareToPlay(48000.0, 256);
    }
    const auto x = test::makeTestSignal(256 * 50, 23);
    std::vector<std::vector<float>> outputs(instances);
    auto work = [&](int first)
    {
        juce::AudioBuffer<float> buffer(2, 256);
        juce::MidiBuffer midi;
        for (size_t s = 0; s < x.size(); s += 256)
            for (int i = first; i < instances; i += 2) // two "audio threads", interleaving their instances
            {
                buffer.copyFrom(0, 0, x.data() + s, 256);
                buffer.copyFrom(1, 0, x.data() + s, 256);
                plugins[static_cast<size_t>(i)]->processBlock(buffer, midi);
                auto& out = outputs[static_cast<size_t>(i)];
                out.insert(out.end(), buffer.getReadPointer(1), buffer.getReadPointer(1) + 256);
            }
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();
    for (int i = 1; i < instances; ++i)
        EXPECT_EQ(outputs[static_cast<size_t>(i)], outputs[0]) << "instance " << i;
}

TEST_F(PluginProcessor, fuzzCorpusAndRegressionStatesRestoreOrAreRefused)
{
    namespace fs = std::filesystem;
    TorchAmpProcessor p;
    p.prepareToPlay(48000.0, 256);
    int files = 0;
    for (const char* folder : {"corpus/state", "regressions/state"})
    {
        const fs::path dir = fs::path(TORCHAMP_FUZZ_DIR) / folder;
        if (!fs::exists(dir))
            continue;
        for (const auto& entry : fs::directory_iterator(dir))
        {
            juce::MemoryBlock data;
            ASSERT_TRUE(juce::File(entry.path().string()).loadFileAsData(data));
            p.setStateInformation(data.getData(), static_cast<int>(data.getSize()));
            ASSERT_TRUE(p.waitForModelLoads());
            juce::AudioBuffer<float> buffer(2, 256);
            buffer.clear();
            juce::MidiBuffer midi;
            p.processBlock(buffer, midi);
            for (int i = 0; i < 256; ++i)
                ASSERT_TRUE(std::isfinite(buffer.getSample(0, i)));
            ++files;
        }
    }
    EXPECT_GE(files, 3);
    EXPECT_EQ(p.modelStatus().lastError, "");
}

TEST_F(PluginProcessor, aNeuralAmpModelerFileRoundTripsThroughTheSession)
{
    const juce::File nam(juce::String(PROJECT_SOURCE_DIR) + "/../shared/models-ext/nam/lstm.nam");
    if (!nam.existsAsFile())
        GTEST_SKIP() << "the shared model files are not beside the repository";
    juce::MemoryBlock saved;
    {
        TorchAmpProcessor p;
        p.loadModelFile(nam);
        ASSERT_TRUE(p.waitForModelLoads());
        ASSERT_EQ(p.modelStatus().lastError, "");
        p.getStateInformation(saved);
    }
    TorchAmpProcessor q;
    q.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
    ASSERT_TRUE(q.waitForModelLoads());
    EXPECT_EQ(q.modelStatus().lastError, "");
    EXPECT_NE(q.modelStatus().info->sourceFormat.find("Neural Amp Modeler"), std::string::npos)
        << q.modelStatus().info->sourceFormat;
}

TEST_F(PluginProcessor, anImpulseResponseAndEveryParameterSurviveAStateRoundTrip)
{
    // The response is loaded from a file that is deleted before the session is reopened: the
    // session's own copy of its bytes plays.
    const auto file = writeTestImpulseResponse("torchamp-state-cabinet", 2, 44100, 11);
    TorchAmpProcessor p;
    setLayout(p, 2);
    p.loadImpulseResponseFile(file);
    ASSERT_TRUE(p.waitForModelLoads());
    ASSERT_EQ(p.cabinetStatus().lastError, "");
    ASSERT_EQ(p.cabinetStatus().source, CabinetSource::file);
    for (const auto& info : parameterCatalogue())
        if (info.id != ParameterId::bypass && info.id != ParameterId::irOn)
            setValue(p, info.id,
                     info.kind == ParameterKind::toggle
                         ? 1.0f - info.defaultValue
                         : info.minimum + 0.3f * (info.maximum - info.minimum));
    juce::MemoryBlock saved;
    p.getStateInformation(saved);
    file.deleteFile();

    TorchAmpProcessor q;
    setLayout(q, 2);
    q.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
    ASSERT_TRUE(q.waitForModelLoads());
    const auto cabinet = q.cabinetStatus();
    EXPECT_EQ(cabinet.lastError, "");
    EXPECT_EQ(cabinet.source, CabinetSource::file);
    EXPECT_EQ(cabinet.path, file.getFullPathName().toStdString());
    EXPECT_EQ(cabinet.sha256.size(), 64u);
    EXPECT_EQ(cabinet.sha256, p.cabinetStatus().sha256);
    ASSERT_TRUE(q.cabinetInfo().has_value());
    EXPECT_EQ(q.cabinetInfo()->name, p.cabinetInfo()->name);
    for (const auto& info : parameterCatalogue())
        EXPECT_NEAR(q.parameterValue(info.id), p.parameterValue(info.id),
                    1e-4f * (info.maximum - info.minimum))
            << info.key;

    // Both play the same: the restored response is the loaded one, sample for sample.
    p.prepareToPlay(48000.0, 256);
    q.prepareToPlay(48000.0, 256);
    const auto signal = test::makeTestSignal(48000);
    const auto fromP = play(p, signal, 256);
    const auto fromQ = play(q, signal, 256);
    EXPECT_LE(test::maxAbsDifference(fromP, fromQ), 1e-7);

    // And the response is what they play: without it the output differs.
    setValue(q, ParameterId::irOn, 0.0f);
    q.prepareToPlay(48000.0, 256);
    EXPECT_GT(test::maxAbsDifference(play(q, signal, 256), fromP), 1e-3);
}

TEST_F(PluginProcessor, restoringTheSessionOfTheResponseThatPlaysLeavesItPlaying)
{
    // Hosts restore a session into an instance that already plays it; the convolution goes on
    // as if nothing happened, sample for sample.
    const auto file = writeTestImpulseResponse("torchamp-restore-same", 2, 48000, 41);
    TorchAmpProcessor p, q;
    for (auto* x : {&p, &q})
    {
        setLayout(*x, 2);
        x->loadImpulseResponseFile(file);
        ASSERT_TRUE(x->waitForModelLoads());
        x->prepareToPlay(48000.0, 256);
    }
    const auto signal = test::makeTestSignal(24000);
    EXPECT_EQ(play(p, signal, 256), play(q, signal, 256));
    juce::MemoryBlock saved;
    q.getStateInformation(saved);
    q.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
    ASSERT_TRUE(q.waitForModelLoads());
    EXPECT_EQ(q.cabinetStatus().lastError, "");
    EXPECT_LE(test::maxAbsDifference(play(p, signal, 256), play(q, signal, 256)), 0.0);
    file.deleteFile();
}

/** Restores the stored session `name` of the state corpus (Tests/fuzz/corpus/state) into `p`. */
void restoreStoredSession(TorchAmpProcessor& p, const char* name)
{
    juce::MemoryBlock data;
    ASSERT_TRUE(juce::File(juce::String(TORCHAMP_FUZZ_DIR) + "/corpus/state/" + name).loadFileAsData(data));
    p.setStateInformation(data.getData(), static_cast<int>(data.getSize()));
    ASSERT_TRUE(p.waitForModelLoads());
}

TEST_F(PluginProcessor, aVersionOneSessionLoadsWithTheNewParametersAtTheirDefaults)
{
    TorchAmpProcessor p;
    ASSERT_NO_FATAL_FAILURE(restoreStoredSession(p, "version1-session.bin"));
    EXPECT_EQ(p.modelStatus().lastError, "");
    EXPECT_FALSE(p.modelStatus().isDefault);
    EXPECT_EQ(p.parameterValue(ParameterId::inputGain), 3.5f);
    EXPECT_EQ(p.parameterValue(ParameterId::outputGain), -6.0f);
    EXPECT_EQ(p.parameterValue(ParameterId::mix), 75.0f);
    EXPECT_EQ(p.parameterValue(ParameterId::normalise), 1.0f);
    EXPECT_NEAR(p.parameterValue(ParameterId::knob1), 0.8f, 1e-6f);
    for (const auto& info : parameterCatalogue())
        if (info.version > 1)
            EXPECT_EQ(p.parameterValue(info.id), info.defaultValue) << info.key;
    // TorchAmp 0.1 had no cabinet: the session sounds as it did.
    EXPECT_EQ(p.cabinetStatus().source, CabinetSource::none);
    EXPECT_FALSE(p.cabinetInfo().has_value());
}

TEST_F(PluginProcessor, aVersionTwoSessionRestoresItsImpulseResponseAndTheChainsParameters)
{
    // A stored session of this version: its format must keep loading in later versions.
    TorchAmpProcessor p;
    ASSERT_NO_FATAL_FAILURE(restoreStoredSession(p, "version2-cabinet.bin"));
    const auto cabinet = p.cabinetStatus();
    EXPECT_EQ(cabinet.lastError, "");
    EXPECT_EQ(cabinet.source, CabinetSource::file);
    EXPECT_EQ(cabinet.name, "small-cabinet.wav");
    ASSERT_TRUE(p.cabinetInfo().has_value());
    EXPECT_EQ(p.cabinetInfo()->numFrames, 128u);
    EXPECT_TRUE(p.modelStatus().isDefault);
    EXPECT_EQ(p.parameterValue(ParameterId::gateOn), 1.0f);
    EXPECT_EQ(p.parameterValue(ParameterId::gateRelease), 80.0f);
    EXPECT_EQ(p.parameterValue(ParameterId::middle), -1.5f);
    EXPECT_EQ(p.parameterValue(ParameterId::interfaceLevel), 9.0f);
    EXPECT_EQ(p.parameterValue(ParameterId::calibrateInput), 1.0f);
}

TEST_F(PluginProcessor, swapsImpulseResponsesWhileProcessingWithoutHeapCalls)
{
    const std::array<juce::File, 3> files{writeTestImpulseResponse("torchamp-swap-a", 1, 48000, 21),
                                          writeTestImpulseResponse("torchamp-swap-b", 2, 44100, 22),
                                          writeTestImpulseResponse("torchamp-swap-c", 2, 96000, 23)};
    TorchAmpProcessor p;
    setLayout(p, 2);
    setValue(p, ParameterId::gateOn, 1.0f);
    p.prepareToPlay(48000.0, 128);
    std::atomic<bool> done{false};
    std::thread loader(
        [&]
        {
            for (int i = 0; i < 12; ++i)
            {
                if (i % 4 == 3)
                    p.setCabinetSource(i % 8 == 3 ? CabinetSource::builtIn : CabinetSource::none);
                else
                    p.loadImpulseResponseFile(files[static_cast<size_t>(i % 4)]);
                p.waitForModelLoads();
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            done = true;
        });
    juce::AudioBuffer<float> buffer(2, 128);
    juce::MidiBuffer midi;
    long heapCalls = 0;
    int blocks = 0;
    double phase = 0.0;
    while (!done || blocks < 100)
    {
        for (int i = 0; i < 128; ++i, phase += 2.0 * juce::MathConstants<double>::pi * 220.0 / 48000.0)
            for (int ch = 0; ch < 2; ++ch)
                buffer.setSample(ch, i, 0.3f * static_cast<float>(std::sin(phase)));
        {
            test::AllocationCounter counter;
            p.processBlock(buffer, midi);
            heapCalls += counter.count();
        }
        for (int ch = 0; ch < 2; ++ch)
            for (int i = 0; i < 128; ++i)
                ASSERT_TRUE(std::isfinite(buffer.getSample(ch, i)));
        ++blocks;
    }
    loader.join();
    EXPECT_EQ(heapCalls, 0);
    EXPECT_EQ(p.cabinetStatus().lastError, "");
    for (const auto& file : files)
        file.deleteFile();
}

TEST_F(PluginProcessor, aSavedPresetRestoresEveryParameterTheModelAndTheImpulseResponse)
{
    const auto folder = juce::File::getSpecialLocation(juce::File::tempDirectory)
                            .getChildFile("torchamp-preset-" + juce::String(::getpid()));
    folder.createDirectory();
    const auto model = folder.getChildFile("amp.pt");
    ASSERT_TRUE(juce::File(test::modelPath("lstm1x32_knob.pt")).copyFileTo(model));
    const auto cabinet = writeTestImpulseResponse("torchamp-preset-cabinet", 2, 44100, 31);
    const auto presetFile = folder.getChildFile("Crunch.json");

    TorchAmpProcessor p;
    p.loadModelFile(model);
    p.loadImpulseResponseFile(cabinet);
    ASSERT_TRUE(p.waitForModelLoads());
    for (const auto& info : parameterCatalogue())
        if (info.id != ParameterId::bypass)
            setValue(p, info.id,
                     info.kind == ParameterKind::toggle
                         ? 1.0f
                         : info.minimum + 0.7f * (info.maximum - info.minimum));
    for (bool embed : {false, true})
    {
        p.savePresetFile(presetFile, embed);
        ASSERT_TRUE(p.waitForModelLoads());
        EXPECT_EQ(p.presetMessage(), "Saved preset Crunch.json");

        // What the render tool reads: the same file, every parameter, the model and the response.
        auto written = readPreset(presetFile.getFullPathName().toStdString());
        ASSERT_TRUE(written) << written.error();
        EXPECT_EQ(written->parameters.size(), static_cast<size_t>(parameterCount));
        ASSERT_TRUE(written->model && written->impulseResponse);
        EXPECT_EQ(written->model->bytes.has_value(), embed);
        EXPECT_EQ(written->impulseResponse->sha256, p.cabinetStatus().sha256);

        TorchAmpProcessor q;
        if (embed)
            q.openFile(presetFile); // as a drop: a .json file that says it is a preset
        else
            q.loadPresetFile(presetFile);
        ASSERT_TRUE(q.waitForModelLoads());
        EXPECT_EQ(q.presetMessage(), "Loaded preset Crunch.json");
        EXPECT_EQ(q.modelStatus().sha256, p.modelStatus().sha256);
        EXPECT_EQ(q.modelStatus().info->name, "lstm1x32_knob");
        EXPECT_EQ(q.cabinetStatus().source, CabinetSource::file);
        EXPECT_EQ(q.cabinetStatus().sha256, p.cabinetStatus().sha256);
        for (const auto& info : parameterCatalogue())
            EXPECT_NEAR(q.parameterValue(info.id), p.parameterValue(info.id),
                        1e-4f * (info.maximum - info.minimum))
                << info.key;
    }

    // A preset that cannot be read leaves everything as it is and says why.
    TorchAmpProcessor r;
    const auto damaged = folder.getChildFile("damaged.json");
    ASSERT_TRUE(damaged.replaceWithText(
        "{\"format\": \"torchamp-preset\", \"version\": 1, \"parameters\": {\"bass\": 99}}"));
    r.loadPresetFile(damaged);
    ASSERT_TRUE(r.waitForModelLoads());
    EXPECT_EQ(r.presetMessage().rfind("damaged.json: ", 0), 0u) << r.presetMessage();
    EXPECT_EQ(r.parameterValue(ParameterId::bass), parameterInfo(ParameterId::bass).defaultValue);
    EXPECT_TRUE(r.modelStatus().isDefault);
    folder.deleteRecursively();
    cabinet.deleteFile();
}

} // namespace
} // namespace torchamp
