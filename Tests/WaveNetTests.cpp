// The WaveNet engine (Neural Amp Modeler .nam WaveNets): against NeuralAmpModelerCore's own
// outputs, against a double-precision implementation of the WaveNet equations written here, its
// activations against double precision, its real-time guarantees, and the reader's judgement of
// good, newer and broken files.

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "ModelImport.h"
#include "ModelLoader.h"
#include "ModelRunner.h"
#include "RenderToolRunner.h"
#include "TestSupport.h"
#include "WavFile.h"
#include "WaveNet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------- helpers

std::vector<kernels::Isa> availableIsas()
{
    std::vector<kernels::Isa> isas;
    for (auto isa : {kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512})
        if (kernels::findWaveNetKernels(isa) != nullptr)
            isas.push_back(isa);
    return isas;
}

/** Plays `x` through `engine` in blocks of `block` samples, one channel. */
std::vector<float> play(InferenceEngine& engine, const std::vector<float>& x, int block)
{
    std::vector<float> y(x.size());
    for (size_t start = 0; start < x.size(); start += static_cast<size_t>(block))
    {
        const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(block), x.size() - start));
        const float* in = x.data() + start;
        float* out = y.data() + start;
        engine.process(&in, &out, 1, n);
    }
    return y;
}

std::vector<float> withSilenceBefore(const std::vector<float>& x, size_t silence)
{
    std::vector<float> padded(silence, 0.0f);
    padded.insert(padded.end(), x.begin(), x.end());
    return padded;
}

std::vector<float> dropFront(const std::vector<float>& y, size_t n)
{
    return std::vector<float>(y.begin() + static_cast<std::ptrdiff_t>(n), y.end());
}

ModelSpec specOf(WaveNetSpec net, int sampleRate = 48000)
{
    ModelSpec spec;
    spec.name = "wavenet";
    spec.sampleRate = sampleRate;
    spec.wavenet = std::make_shared<const WaveNetSpec>(std::move(net));
    return spec;
}

// ------------------------------------------------------ a double-precision WaveNet, from the equations

double activate(const WaveNetActivationSpec& a, double x, int channel)
{
    switch (a.type)
    {
        case WaveNetActivation::tanh:
            return std::tanh(x);
        case WaveNetActivation::hardTanh:
            return std::min(1.0, std::max(-1.0, x));
        case WaveNetActivation::fastTanh:
        {
            const double ax = std::abs(x), x2 = x * x;
            return x *
                   (2.45550750702956 + 2.45550750702956 * ax +
                    (0.893229853513558 + 0.821226666969744 * ax) * x2) /
                   (2.44506634652299 + (2.44506634652299 + x2) * std::abs(x + 0.814642734961073 * x * ax));
        }
        case WaveNetActivation::relu:
            return x > 0 ? x : 0.0;
        case WaveNetActivation::leakyRelu:
            return x > 0 ? x : a.negativeSlope * x;
        case WaveNetActivation::prelu:
            return x > 0 ? x
                         : (a.channelSlopes.empty() ? a.negativeSlope
                                                    : a.channelSlopes[static_cast<size_t>(channel)]) *
                               x;
        case WaveNetActivation::sigmoid:
            return 1.0 / (1.0 + std::exp(-x));
        case WaveNetActivation::silu:
            return x / (1.0 + std::exp(-x));
        case WaveNetActivation::hardSwish:
            return x * std::min(6.0, std::max(0.0, x + 3.0)) / 6.0;
        case WaveNetActivation::leakyHardTanh:
            return x < a.minValue   ? (x - a.minValue) * a.minSlope + a.minValue
                   : x > a.maxValue ? (x - a.maxValue) * a.maxSlope + a.maxValue
                                    : x;
        case WaveNetActivation::softsign:
            return x / (1.0 + std::abs(x));
    }
    return NAN;
}

/** Neural Amp Modeler's fast tanh exactly as NeuralAmpModelerCore evaluates it, in float. */
float namFastTanh(float x)
{
    const float ax = std::fabs(x);
    const float x2 = x * x;
    return (x * (2.45550750702956f + 2.45550750702956f * ax +
                 (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
           (2.44506634652299f + (2.44506634652299f + x2) * std::fabs(x + 0.814642734961073f * x * ax));
}

using Rows = std::vector<std::vector<double>>; // [channel][time]

/** rows = W (out x in, row-major) applied to `in` at every time, plus an optional bias. */
Rows matrixTimes(const std::vector<float>& w, const std::vector<float>& bias, const Rows& in, int out)
{
    const size_t inputs = in.size(), time = in.front().size();
    Rows y(static_cast<size_t>(out), std::vector<double>(time, 0.0));
    for (size_t o = 0; o < y.size(); ++o)
        for (size_t t = 0; t < time; ++t)
        {
            double sum = bias.empty() ? 0.0 : bias[o];
            for (size_t i = 0; i < inputs; ++i)
                sum += static_cast<double>(w[o * inputs + i]) * in[i][t];
            y[o][t] = sum;
        }
    return y;
}

/** One layer: the residual output; adds the activation to `head`. Zero before time 0. */
Rows referenceLayer(const WaveNetLayerSpec& l, const Rows& x, const std::vector<double>& audio, Rows& head)
{
    const size_t c = x.size(), time = audio.size(), k = static_cast<size_t>(l.kernelSize);
    const size_t z = static_cast<size_t>(l.convChannels(static_cast<int>(c)));
    Rows pre(z, std::vector<double>(time));
    for (size_t o = 0; o < z; ++o)
        for (size_t t = 0; t < time; ++t)
        {
            double sum = l.convBias[o] + static_cast<double>(l.mixinWeight[o]) * audio[t];
            for (size_t i = 0; i < c; ++i)
                for (size_t tap = 0; tap < k; ++tap)
                {
                    const long back = static_cast<long>((k - 1 - tap) * static_cast<size_t>(l.dilation));
                    const long at = static_cast<long>(t) - back;
                    if (at >= 0)
                        sum += static_cast<double>(l.convWeight[(o * c + i) * k + tap]) *
                               x[i][static_cast<size_t>(at)];
                }
            pre[o][t] = sum;
        }
    Rows a(c, std::vector<double>(time));
    for (size_t r = 0; r < c; ++r)
        for (size_t t = 0; t < time; ++t)
        {
            double v = activate(l.activation, pre[r][t], static_cast<int>(r));
            if (l.gated)
                v *= activate(l.gateActivation, pre[r + c][t], static_cast<int>(r));
            a[r][t] = v;
            head[r][t] += v;
        }
    Rows next = matrixTimes(l.outputWeight, l.outputBias, a, static_cast<int>(c));
    for (size_t r = 0; r < c; ++r)
        for (size_t t = 0; t < time; ++t)
            next[r][t] += x[r][t];
    return next;
}

/** The whole WaveNet from zero state, in double precision. */
std::vector<double> referenceWaveNet(const WaveNetSpec& net, const std::vector<float>& input)
{
    const std::vector<double> audio(input.begin(), input.end());
    Rows layerInput{audio};
    Rows head;
    for (const auto& array : net.arrays)
    {
        Rows x = matrixTimes(array.rechannelWeight, {}, layerInput, array.channels);
        Rows sum = head.empty()
                       ? Rows(static_cast<size_t>(array.channels), std::vector<double>(audio.size(), 0.0))
                       : head;
        for (const auto& layer : array.layers)
            x = referenceLayer(layer, x, audio, sum);
        head = matrixTimes(array.headWeight, array.headBias, sum, array.headSize);
        layerInput = x;
    }
    std::vector<double> y(audio.size());
    for (size_t t = 0; t < y.size(); ++t)
        y[t] = net.headScale * head[0][t];
    return y;
}

double maxAbsDifference(const std::vector<float>& a, const std::vector<double>& b)
{
    double worst = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    return worst;
}

// -------------------------------------------------------------------------- hand-built WaveNets

WaveNetActivationSpec activationOf(WaveNetActivation type)
{
    WaveNetActivationSpec a;
    a.type = type;
    return a;
}

/** A layer array of random weights (scaled by 1 / sqrt(fan-in), as a trained net's). */
WaveNetLayerArraySpec randomArray(std::mt19937& rng, int inputSize, int channels, int headSize, bool headBias,
                                  const std::vector<int>& dilations, const std::vector<int>& kernelSizes,
                                  const std::vector<WaveNetActivationSpec>& activations, bool gated)
{
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto random = [&](size_t n, int fanIn)
    {
        std::vector<float> v(n);
        for (float& x : v)
            x = u(rng) / std::sqrt(static_cast<float>(fanIn));
        return v;
    };
    const auto c = static_cast<size_t>(channels);
    WaveNetLayerArraySpec a;
    a.inputSize = inputSize;
    a.channels = channels;
    a.headSize = headSize;
    a.rechannelWeight = random(c * static_cast<size_t>(inputSize), inputSize);
    for (size_t l = 0; l < dilations.size(); ++l)
    {
        WaveNetLayerSpec layer;
        layer.dilation = dilations[l];
        layer.kernelSize = kernelSizes[l % kernelSizes.size()];
        layer.activation = activations[l % activations.size()];
        layer.gated = gated;
        const auto z = static_cast<size_t>(layer.convChannels(channels));
        layer.convWeight = random(z * c * static_cast<size_t>(layer.kernelSize), channels * layer.kernelSize);
        layer.convBias = random(z, channels);
        layer.mixinWeight = random(z, 1);
        layer.outputWeight = random(c * c, channels);
        layer.outputBias = random(c, channels);
        a.layers.push_back(layer);
    }
    a.headWeight = random(static_cast<size_t>(headSize) * c, channels);
    if (headBias)
        a.headBias = random(static_cast<size_t>(headSize), channels);
    return a;
}

struct TinyNet
{
    const char* name;
    WaveNetSpec net;
};

std::vector<TinyNet> tinyNets()
{
    std::mt19937 rng(5);
    const auto tanh = activationOf(WaveNetActivation::tanh);
    std::vector<TinyNet> nets;
    {
        WaveNetSpec n;
        n.headScale = 0.5f;
        n.arrays.push_back(randomArray(rng, 1, 3, 1, true, {1, 2, 4}, {3}, {tanh}, false));
        nets.push_back({"oneArrayHeadBias", n});
    }
    {
        WaveNetSpec n;
        n.headScale = 0.3f;
        n.arrays.push_back(randomArray(rng, 1, 4, 1, false, {1, 3, 9}, {3}, {tanh}, true));
        nets.push_back({"gatedNoHeadBias", n});
    }
    {
        WaveNetSpec n;
        n.headScale = 0.7f;
        n.arrays.push_back(randomArray(rng, 1, 5, 3, false, {1, 2, 4, 8}, {3}, {tanh}, false));
        n.arrays.push_back(randomArray(rng, 5, 3, 1, true, {16, 1, 32}, {3, 2}, {tanh}, true));
        nets.push_back({"twoArraysSecondGated", n});
    }
    {
        // Every activation once, PReLU with a slope per channel, LeakyHardtanh with its own bounds.
        auto prelu = activationOf(WaveNetActivation::prelu);
        prelu.channelSlopes = {0.1f, -0.2f, 0.3f, 0.05f};
        auto leaky = activationOf(WaveNetActivation::leakyRelu);
        leaky.negativeSlope = 0.2f;
        auto leakyHard = activationOf(WaveNetActivation::leakyHardTanh);
        leakyHard.minValue = -0.5f;
        leakyHard.maxValue = 0.8f;
        leakyHard.minSlope = 0.1f;
        leakyHard.maxSlope = 0.05f;
        const std::vector<WaveNetActivationSpec> all{activationOf(WaveNetActivation::hardTanh),
                                                     activationOf(WaveNetActivation::fastTanh),
                                                     activationOf(WaveNetActivation::relu),
                                                     leaky,
                                                     prelu,
                                                     activationOf(WaveNetActivation::sigmoid),
                                                     activationOf(WaveNetActivation::silu),
                                                     activationOf(WaveNetActivation::hardSwish),
                                                     leakyHard,
                                                     activationOf(WaveNetActivation::softsign)};
        WaveNetSpec n;
        n.headScale = 0.4f;
        n.arrays.push_back(
            randomArray(rng, 1, 4, 2, true, {1, 2, 4, 8, 16, 1, 2, 4, 8, 16}, {3, 2, 4}, all, false));
        n.arrays.push_back(randomArray(rng, 4, 2, 1, false, {3, 5}, {3}, {tanh}, false));
        nets.push_back({"everyActivation", n});
    }
    return nets;
}

// ------------------------------------------------------------------ NeuralAmpModelerCore references

#ifdef TORCHAMP_MODELS_EXT
std::string external(const std::string& file)
{
    return std::string(TORCHAMP_MODELS_EXT) + "/nam-wavenet/" + file;
}

std::vector<float> readMono(const std::string& path)
{
    auto audio = readWav(path);
    EXPECT_TRUE(audio) << audio.error();
    return audio ? audio->channels.front() : std::vector<float>();
}

class CoreReference : public ::testing::TestWithParam<const char*>
{
protected:
    void SetUp() override
    {
        auto loaded = loadModelFile(external(std::string(GetParam()) + ".nam"));
        ASSERT_TRUE(loaded) << loaded.error();
        spec = loaded->spec;
        input = readMono(external("input_di.wav"));
        fromZero = readMono(external("ref/noprewarm/" + std::string(GetParam()) + ".wav"));
        prewarmed = readMono(external("ref/" + std::string(GetParam()) + ".wav"));
    }

    ModelSpec spec;
    std::vector<float> input, fromZero, prewarmed;
};

/** NeuralAmpModelerCore's output from every buffer zero, on every instruction set. */
TEST_P(CoreReference, engineMatchesFromZeroStateWithin1e4)
{
    for (auto isa : availableIsas())
    {
        WaveNet net(spec, isa);
        net.prepare(1, 64);
        const double error = test::maxAbsDifference(play(net, input, 64), fromZero);
        EXPECT_LE(error, 1e-4) << kernels::isaName(isa);
        std::cout << "[ measured ] " << GetParam() << " from zero state, " << kernels::isaName(isa)
                  << ": max abs error " << error << "\n";
    }
}

/** NeuralAmpModelerCore after its prewarm: the input preceded by endless silence, which a
    receptive field of silence reaches exactly. */
TEST_P(CoreReference, engineMatchesAfterPrewarmWithin1e4)
{
    WaveNet net(spec);
    net.prepare(1, 64);
    const auto warm = static_cast<size_t>(net.warmUpSamples());
    EXPECT_EQ(warm, static_cast<size_t>(spec.wavenet->receptiveField()));
    const auto y = dropFront(play(net, withSilenceBefore(input, warm), 64), warm);
    const double error = test::maxAbsDifference(y, prewarmed);
    EXPECT_LE(error, 1e-4);
    std::cout << "[ measured ] " << GetParam() << " after prewarm: max abs error " << error << "\n";
}

/** torchamp-render end to end: the zero state by default, the prewarmed state with --warm-up. */
TEST_P(CoreReference, renderToolMatchesBothReferences)
{
    const auto dir = fs::temp_directory_path() / ("torchamp-wavenet-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string model = external(std::string(GetParam()) + ".nam");
    for (const auto& [flags, reference] :
         {std::pair<std::string, const std::vector<float>*>{"--block 64", &fromZero},
          {"--block 333 --warm-up", &prewarmed}})
    {
        const auto out = (dir / "out.wav").string();
        const auto run = test::render("--model " + model + " --in " + external("input_di.wav") + " --out " +
                                      out + " " + flags);
        ASSERT_EQ(run.exitCode, 0) << run.err;
        EXPECT_NE(run.out.find("\"architecture\":\"" + spec.architecture() + "\""), std::string::npos)
            << run.out;
        const double error = test::maxAbsDifference(readMono(out), *reference);
        EXPECT_LE(error, 1e-4) << flags;
        std::cout << "[ measured ] torchamp-render " << flags << " " << GetParam() << ": max abs error "
                  << error << "\n";
    }
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(NeuralAmpModelerFiles, CoreReference,
                         ::testing::Values("wavenet", "wavenet_a1_standard", "jcm"));

TEST(WaveNetImport, metadataAndSizesOfTheCoreFiles)
{
    auto test = loadModelFile(external("wavenet.nam"));
    ASSERT_TRUE(test) << test.error();
    EXPECT_EQ(test->spec.name, "Test Model");
    EXPECT_EQ(test->spec.author, "Steve");
    EXPECT_EQ(test->spec.gear, "Darkglass Electronics Microtubes 900 v2, amp");
    EXPECT_NEAR(test->spec.loudnessDb, -20.0207, 1e-3);
    EXPECT_NEAR(test->spec.inputLevelDbu, 18.3, 1e-5);
    EXPECT_NEAR(test->spec.outputLevelDbu, 12.3, 1e-5);
    EXPECT_EQ(test->spec.sampleRate, 48000);
    EXPECT_EQ(test->spec.sourceFormat, "Neural Amp Modeler .nam 0.5.4");
    EXPECT_EQ(test->spec.architecture(), "WaveNet A1, 131 weights, 48 kHz");
    EXPECT_TRUE(test->spec.warnings.empty());

    auto jcm = loadModelFile(external("jcm.nam"));
    ASSERT_TRUE(jcm) << jcm.error();
    EXPECT_EQ(jcm->spec.name, "jcm");
    EXPECT_NEAR(jcm->spec.loudnessDb, -8.5013, 1e-3);
    EXPECT_EQ(jcm->spec.sampleRate, 48000); // the file has no sample_rate: NAM's 48 kHz
    ASSERT_EQ(jcm->spec.warnings.size(), 1u);
    EXPECT_EQ(jcm->spec.architecture(), "WaveNet A1 standard, 13,802 weights, 48 kHz");
    EXPECT_EQ(jcm->spec.wavenet->receptiveField(), 4093);
    EXPECT_EQ(jcm->spec.wavenet->headScale, 0.02f);
}
#endif

// --------------------------------------------------------------------- against double precision

TEST(WaveNetEngine, handBuiltNetsMatchDoublePrecisionOnEveryInstructionSet)
{
    const auto x = test::makeTestSignal(6000, 3, 0.8f);
    for (const auto& [name, net] : tinyNets())
    {
        const auto spec = specOf(net);
        ASSERT_EQ(spec.validate(), "") << name;
        const auto reference = referenceWaveNet(net, x);
        for (auto isa : availableIsas())
        {
            WaveNet engine(spec, isa);
            engine.prepare(1, 100);
            EXPECT_LE(maxAbsDifference(play(engine, x, 100), reference), 2e-6)
                << name << " " << kernels::isaName(isa);
        }
    }
}

TEST(WaveNetEngine, everyActivationMatchesDoublePrecisionOnEveryInstructionSet)
{
    std::vector<float> x;
    for (double v = -30.0; v <= 30.0; v += 0.0005)
        x.push_back(static_cast<float>(v));
    for (float v :
         {0.0f, -0.0f, 1e-6f, -1e-6f, 1e-30f, 0.55f, -0.55f, 0.5499999f, 8.99f, 9.01f, 100.0f, -100.0f})
        x.push_back(v);
    while (x.size() % 16 != 0)
        x.push_back(0.25f);

    struct Case
    {
        WaveNetActivation type;
        double absolute, relative; // |error| <= absolute + relative |reference|
    };
    // tanh needs not just closeness but accuracy near 0 (a WaveNet adds up its errors), so its
    // bound scales with the value; sigmoid's relative error grows where exp's argument is large
    // (float's rounding of it), its absolute error stays tiny; the piecewise-linear ones are exact,
    // and Fasttanh is NeuralAmpModelerCore's float arithmetic, operation by operation.
    const Case cases[] = {
        {WaveNetActivation::tanh, 1e-9, 2.4e-7},     {WaveNetActivation::sigmoid, 2e-8, 2.4e-7},
        {WaveNetActivation::silu, 5e-8, 2.4e-7},     {WaveNetActivation::fastTanh, 0.0, 0.0},
        {WaveNetActivation::hardTanh, 0.0, 0.0},     {WaveNetActivation::relu, 0.0, 0.0},
        {WaveNetActivation::leakyRelu, 0.0, 6e-8},   {WaveNetActivation::prelu, 0.0, 6e-8},
        {WaveNetActivation::hardSwish, 0.0, 2.4e-7}, {WaveNetActivation::leakyHardTanh, 0.0, 1.2e-7},
        {WaveNetActivation::softsign, 0.0, 1.2e-7},
    };
    for (auto isa : availableIsas())
        for (const auto& c : cases)
        {
            auto spec = activationOf(c.type);
            spec.negativeSlope = 0.03f;
            kernels::ActivationParams params;
            params.type = c.type;
            params.negativeSlope = spec.negativeSlope;
            std::vector<float> y(x.size());
            kernels::findWaveNetKernels(isa)->apply(params, x.data(), y.data(), static_cast<int>(x.size()));
            double worst = 0.0;
            for (size_t i = 0; i < x.size(); ++i)
            {
                const double reference =
                    c.type == WaveNetActivation::fastTanh ? namFastTanh(x[i]) : activate(spec, x[i], 0);
                const double error = std::abs(y[i] - reference);
                worst = std::max(worst, error);
                ASSERT_LE(error, c.absolute + c.relative * std::abs(reference))
                    << waveNetActivationName(c.type) << " " << kernels::isaName(isa) << " x=" << x[i]
                    << " got " << y[i] << " expected " << reference;
            }
            std::cout << "[ measured ] " << waveNetActivationName(c.type) << " " << kernels::isaName(isa)
                      << ": max abs error " << worst << "\n";
        }
}

TEST(WaveNetEngine, fastTanhIsNeuralAmpModelersFormulaNotTanh)
{
    // The model that names Fasttanh was trained with it: it must not become a better tanh.
    const std::vector<float> x{-3.0f, -1.0f, -0.3f, 0.2f, 0.7f, 1.5f,  2.5f,  4.0f,
                               6.0f,  10.0f, 0.0f,  0.1f, 5.0f, -5.0f, 0.45f, -0.45f};
    kernels::ActivationParams params;
    params.type = WaveNetActivation::fastTanh;
    for (auto isa : availableIsas())
    {
        std::vector<float> y(x.size());
        kernels::findWaveNetKernels(isa)->apply(params, x.data(), y.data(), static_cast<int>(x.size()));
        EXPECT_GT(std::abs(y[1] - std::tanh(-1.0)), 1e-4) << kernels::isaName(isa);
        for (size_t i = 0; i < x.size(); ++i)
        {
            EXPECT_EQ(y[i], namFastTanh(x[i])) << x[i];
            // The formula itself, evaluated in double: float's rounding of it aside, the same function.
            EXPECT_NEAR(y[i], activate(activationOf(WaveNetActivation::fastTanh), x[i], 0), 2e-6) << x[i];
        }
    }
}

// -------------------------------------------------------------------------- blocks and channels

ModelSpec twoArraySpec()
{
    return specOf(tinyNets()[2].net);
}

TEST(WaveNetEngine, everyBlockSizeGivesTheSameOutput)
{
    const auto spec = twoArraySpec();
    const auto x = test::makeTestSignal(9000, 4);
    WaveNet reference(spec);
    reference.prepare(1, 64);
    const auto y64 = play(reference, x, 64);
    for (int block : {1, 7, 333, 2048})
    {
        WaveNet net(spec);
        net.prepare(1, block);
        EXPECT_LE(test::maxAbsDifference(play(net, x, block), y64), 1e-6) << block;
    }
}

TEST(WaveNetEngine, stereoIsTwoMonoStreamsBitForBit)
{
    const auto spec = twoArraySpec();
    const auto left = test::makeTestSignal(5000, 1), right = test::makeTestSignal(5000, 2, 0.3f);
    for (auto isa : availableIsas())
    {
        WaveNet stereo(spec, isa), mono(spec, isa);
        stereo.prepare(2, 128);
        mono.prepare(1, 128);
        std::vector<float> outL(left.size()), outR(right.size());
        for (size_t start = 0; start < left.size(); start += 128)
        {
            const int n = static_cast<int>(std::min<size_t>(128, left.size() - start));
            const float* in[] = {left.data() + start, right.data() + start};
            float* out[] = {outL.data() + start, outR.data() + start};
            stereo.process(in, out, 2, n);
        }
        const auto monoL = play(mono, left, 128);
        mono.reset();
        const auto monoR = play(mono, right, 128);
        EXPECT_EQ(std::memcmp(outL.data(), monoL.data(), outL.size() * sizeof(float)), 0)
            << kernels::isaName(isa);
        EXPECT_EQ(std::memcmp(outR.data(), monoR.data(), outR.size() * sizeof(float)), 0)
            << kernels::isaName(isa);
    }
}

TEST(WaveNetEngine, resetReturnsToTheZeroState)
{
    const auto spec = twoArraySpec();
    const auto x = test::makeTestSignal(3000, 6);
    WaveNet net(spec), fresh(spec);
    net.prepare(1, 64);
    fresh.prepare(1, 64);
    play(net, test::makeTestSignal(5000, 9), 64);
    net.reset();
    EXPECT_EQ(test::maxAbsDifference(play(net, x, 64), play(fresh, x, 64)), 0.0);
}

TEST(WaveNetEngine, nonFiniteInputPlaysAsSilence)
{
    const auto spec = twoArraySpec();
    auto x = test::makeTestSignal(4000, 7);
    auto clean = x;
    for (size_t i : {10u, 500u, 501u, 2999u})
    {
        x[i] = i % 2 ? NAN : (i == 500 ? INFINITY : -INFINITY);
        clean[i] = 0.0f;
    }
    WaveNet net(spec), reference(spec);
    net.prepare(1, 64);
    reference.prepare(1, 64);
    EXPECT_EQ(test::maxAbsDifference(play(net, x, 64), play(reference, clean, 64)), 0.0);
    EXPECT_EQ(net.stateResets(), 0u);
}

TEST(WaveNetEngine, aStateThatOverflowsIsResetAndCounted)
{
    // ReLU passes anything: input near float's limit overflows the residual path to Inf.
    WaveNetSpec n;
    std::mt19937 rng(3);
    n.arrays.push_back(
        randomArray(rng, 1, 3, 1, true, {1, 2}, {3}, {activationOf(WaveNetActivation::relu)}, false));
    for (auto& l : n.arrays[0].layers)
        for (float& w : l.outputWeight)
            w = std::abs(w) * 1000.0f;
    const auto spec = specOf(n);
    WaveNet net(spec), fresh(spec);
    net.prepare(1, 64);
    fresh.prepare(1, 64);
    const std::vector<float> huge(64, 3e38f);
    const auto y = play(net, huge, 64);
    for (float v : y)
        ASSERT_TRUE(std::isfinite(v));
    EXPECT_GE(net.stateResets(), 1u);
    const auto x = test::makeTestSignal(2000, 8);
    EXPECT_EQ(test::maxAbsDifference(play(net, x, 64), play(fresh, x, 64)), 0.0); // back at the zero state
}

TEST(WaveNetEngine, processMakesNoHeapCallsAfterPrepare)
{
    auto spec = specOf(WaveNetSpec::ofSize(WaveNetSize::standard));
    const auto signal = test::makeTestSignal(8192);
    std::vector<float> left(8192), right(8192);
    for (auto isa : availableIsas())
    {
        WaveNet net(spec, isa);
        net.prepare(2, 8192);
        test::AllocationCounter counter;
        for (int block : {1, 16, 64, 128, 333, 2048, 8192})
            for (int channels : {1, 2})
            {
                const float* in[] = {signal.data(), signal.data()};
                float* out[] = {left.data(), right.data()};
                net.process(in, out, channels, block);
            }
        net.reset();
        EXPECT_EQ(counter.count(), 0) << kernels::isaName(isa);
    }
}

// ------------------------------------------------------------------------ the signal path

/** A WaveNet whose receptive field (6,001 samples) is longer than ModelRunner's 0.1 s. */
ModelSpec longMemorySpec()
{
    std::mt19937 rng(4);
    WaveNetSpec n;
    n.headScale = 0.5f;
    n.arrays.push_back(
        randomArray(rng, 1, 2, 1, true, {1, 3000}, {3, 2}, {activationOf(WaveNetActivation::tanh)}, false));
    return specOf(n);
}

TEST(WaveNetSignalPath, warmUpCoversTheReceptiveFieldWhenItIsLongerThanTheDefault)
{
    const auto spec = longMemorySpec();
    ASSERT_EQ(spec.validate(), "");
    ASSERT_EQ(spec.wavenet->receptiveField(), 1 + 2 * 1 + 3000);
    const auto x = test::makeTestSignal(64 * 63, 2);
    WaveNet engine(spec);
    engine.prepare(1, 64);
    const auto field = static_cast<size_t>(engine.warmUpSamples());
    const auto prewarmed = dropFront(play(engine, withSilenceBefore(x, field), 64), field);

    ModelRunner runner(spec, {48000.0, 64, 1});
    EXPECT_GE(runner.warmUpSamples(), static_cast<int>(field));
    runner.warmUp();
    std::vector<float> y(x.size());
    for (size_t start = 0; start < x.size(); start += 64)
    {
        const float* in = x.data() + start;
        float* out = y.data() + start;
        runner.process(&in, &out, 1, 64);
    }
    EXPECT_LE(test::maxAbsDifference(y, prewarmed), 1e-6);

    ModelRunner resampled(spec, {96000.0, 64, 1});
    EXPECT_GE(resampled.warmUpSamples(), 2 * static_cast<int>(field));
    EXPECT_EQ(resampled.latencySamples(),
              ModelRunner(test::identitySpec(), {96000.0, 64, 1}).latencySamples());
}

TEST(WaveNetSignalPath, aWaveNetAddsNoLatency)
{
    ModelRunner runner(twoArraySpec(), {48000.0, 128, 2});
    EXPECT_EQ(runner.latencySamples(), 0);
    EXPECT_FALSE(runner.isResampling());
}

class WaveNetRealtime : public ::testing::TestWithParam<std::tuple<double, int, int>>
{
};

/** The chain at every rate, block size and channel count, with hot swaps between a WaveNet and an
    LSTM while playing and a reset: finite output, no heap calls (RealtimeSanitizer is the judge
    in its build). */
TEST_P(WaveNetRealtime, hotSwapsAndResetsWithoutHeapCalls)
{
    const auto [rate, block, channels] = GetParam();
    auto wavenet = loadModelFile(test::modelPath("wavenet_small.nam"));
    ASSERT_TRUE(wavenet) << wavenet.error();
    const ModelSpec lstm = test::identitySpec(48000, 8);
    EffectChain chain;
    const HostConfig config{rate, block, channels};
    chain.prepare(config);
    auto first = std::make_unique<ModelRunner>(wavenet->spec, config);
    first->warmUp();
    ASSERT_TRUE(chain.publish(std::move(first)));
    std::vector<std::unique_ptr<ModelRunner>> next;
    next.push_back(std::make_unique<ModelRunner>(lstm, config));
    next.push_back(std::make_unique<ModelRunner>(wavenet->spec, config));
    ModelRunner resettable(wavenet->spec, config);

    const auto signal = test::makeTestSignal(static_cast<size_t>(block) * 12, 5);
    std::vector<std::vector<float>> buffers(static_cast<size_t>(channels),
                                            std::vector<float>(static_cast<size_t>(block)));
    std::vector<float*> io;
    for (auto& b : buffers)
        io.push_back(b.data());
    long heapCalls = 0;
    for (int b = 0; b < 12; ++b)
    {
        if (b == 4 || b == 8)
            ASSERT_TRUE(chain.publish(std::move(next[static_cast<size_t>(b / 4 - 1)])));
        for (auto& buffer : buffers)
            std::copy(signal.begin() + b * block, signal.begin() + (b + 1) * block, buffer.begin());
        {
            test::AllocationCounter counter;
            chain.process(io.data(), channels, block);
            resettable.process(io.data(), io.data(), channels, block);
            if (b == 6)
                resettable.reset();
            heapCalls += counter.count();
        }
        for (const auto& buffer : buffers)
            for (float v : buffer)
                ASSERT_TRUE(std::isfinite(v));
        chain.collectGarbage();
    }
    EXPECT_EQ(heapCalls, 0);
}

INSTANTIATE_TEST_SUITE_P(RatesBlocksChannels, WaveNetRealtime,
                         ::testing::Combine(::testing::Values(44100.0, 48000.0, 96000.0),
                                            ::testing::Values(1, 16, 64, 128, 333, 2048, 8192),
                                            ::testing::Values(1, 2)),
                         [](const auto& info)
                         {
                             return std::to_string(static_cast<int>(std::get<0>(info.param))) + "Hz_" +
                                    std::to_string(std::get<1>(info.param)) + "_" +
                                    std::to_string(std::get<2>(info.param)) + "ch";
                         });

// --------------------------------------------------------------------------------- the reader

TEST(WaveNetSpec, summariesNameTheTrainersSizes)
{
    const std::pair<WaveNetSize, const char*> sizes[] = {
        {WaveNetSize::standard, "WaveNet A1 standard, 13,802 weights, 48 kHz"},
        {WaveNetSize::lite, "WaveNet A1 lite, 6,554 weights, 48 kHz"},
        {WaveNetSize::feather, "WaveNet A1 feather, 3,026 weights, 48 kHz"},
        {WaveNetSize::nano, "WaveNet A1 nano, 842 weights, 48 kHz"},
    };
    for (const auto& [size, summary] : sizes)
    {
        const auto spec = specOf(WaveNetSpec::ofSize(size));
        EXPECT_EQ(spec.validate(), "");
        EXPECT_EQ(spec.architecture(), summary);
    }
    EXPECT_EQ(specOf(tinyNets()[0].net, 44100).architecture(), "WaveNet A1, 143 weights, 44.1 kHz");
}

/** A .nam WaveNet as text: the layer arrays' JSON, `weights` numbers. */
std::string waveNetText(const std::string& arrays, long weights, const std::string& architecture = "WaveNet",
                        const std::string& top = "\"head\": null, \"head_scale\": 0.02")
{
    std::ostringstream s;
    s << R"({"version": "0.5.4", "architecture": ")" << architecture << R"(", "config": {"layers": [)"
      << arrays << "], " << top << R"(}, "weights": [)";
    for (long i = 0; i < weights; ++i)
        s << (i ? ", " : "") << 0.01 * static_cast<double>(i % 7);
    s << "]}";
    return s.str();
}

/** One layer array's JSON: two layers of two channels, with `changes` (an empty value removes the key). */
std::string arrayJson(const std::vector<std::pair<std::string, std::string>>& changes = {})
{
    std::vector<std::pair<std::string, std::string>> keys{
        {"input_size", "1"},        {"condition_size", "1"}, {"head_size", "1"},
        {"channels", "2"},          {"kernel_size", "3"},    {"dilations", "[1, 2]"},
        {"activation", "\"Tanh\""}, {"gated", "false"},      {"head_bias", "true"},
    };
    for (const auto& change : changes)
    {
        auto it =
            std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == change.first; });
        if (it == keys.end())
            keys.push_back(change);
        else if (change.second.empty())
            keys.erase(it);
        else
            it->second = change.second;
    }
    std::string json = "{";
    for (const auto& [key, value] : keys)
        json += (json.size() > 1 ? ", \"" : "\"") + key + "\": " + value;
    return json + "}";
}

// rechannel 2 + 2 x (conv 12 + bias 2 + mixin 2 + 1x1 4 + bias 2) + head 2 + bias 1 + scale 1
constexpr long smallArrayWeights = 2 + 2 * 22 + 2 + 1 + 1;

Result<LoadedModel> loadText(const std::string& text, const std::string& name)
{
    return loadModel(std::vector<char>(text.begin(), text.end()), name);
}

void expectRefusals(const std::vector<std::pair<std::string, std::string>>& cases, const std::string& name)
{
    for (const auto& [text, message] : cases)
    {
        auto loaded = loadText(text, name);
        ASSERT_FALSE(loaded) << message;
        EXPECT_EQ(loaded.error().rfind(message, 0), 0u) << loaded.error() << "\n  expected: " << message;
    }
}

TEST(WaveNetImport, aSmallWaveNetLoadsAndPlaysWhatItSays)
{
    auto loaded = loadText(waveNetText(arrayJson(), smallArrayWeights), "small.nam");
    ASSERT_TRUE(loaded) << loaded.error();
    const auto& net = *loaded->spec.wavenet;
    EXPECT_EQ(net.arrays.size(), 1u);
    EXPECT_EQ(net.arrays[0].layers[1].dilation, 2);
    EXPECT_EQ(net.arrays[0].headBias.size(), 1u);
    EXPECT_FLOAT_EQ(net.headScale, 0.01f * ((smallArrayWeights - 1) % 7)); // the last weight, as NAM reads it
    EXPECT_EQ(loaded->engine, EngineKind::native);
}

TEST(WaveNetImport, newerSpellingsOfTheSameA1LayersAreRead)
{
    const std::string variants[] = {
        arrayJson({{"bottleneck", "2"},
                   {"groups_input", "1"},
                   {"layer1x1", R"({"active": true, "groups": 1})"},
                   {"head1x1", R"({"active": false, "out_channels": 2, "groups": 1})"},
                   {"conv_pre_film", "false"}}),
        arrayJson({{"kernel_size", ""},
                   {"kernel_sizes", "[3, 3]"},
                   {"activation", R"(["Tanh", {"type": "Tanh"}])"},
                   {"gated", ""},
                   {"gating_mode", "\"none\""},
                   {"head_size", ""},
                   {"head_bias", ""},
                   {"head", R"({"out_channels": 1, "kernel_size": 1, "bias": true})"}}),
    };
    for (const auto& array : variants)
    {
        auto loaded = loadText(waveNetText(array, smallArrayWeights), "variant.nam");
        EXPECT_TRUE(loaded) << loaded.error();
    }
}

TEST(WaveNetImport, newerArchitecturesAndFeaturesAreRefusedByName)
{
    const auto small = arrayJson();
    expectRefusals(
        {
            {waveNetText(small, smallArrayWeights, "SlimmableContainer"),
             "x.nam: not supported yet: architecture SlimmableContainer (TorchAmp plays Neural Amp Modeler "
             "LSTM and "
             "WaveNet (A1) models)"},
            {waveNetText(small, smallArrayWeights, "ConvNet"),
             "x.nam: not supported yet: architecture ConvNet ("},
            {waveNetText(arrayJson({{"bottleneck", "4"}}), smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses \"bottleneck\", a WaveNet feature newer than A1"},
            {waveNetText(arrayJson({{"head1x1", R"({"active": true, "out_channels": 2, "groups": 1})"}}),
                         smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses \"head1x1\""},
            {waveNetText(arrayJson({{"activation_post_film", R"({"active": true})"}}), smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses \"activation_post_film\""},
            {waveNetText(arrayJson({{"gating_mode", "\"blended\""}}), smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses the gating mode \"blended\""},
            {waveNetText(arrayJson({{"slimmable", R"({"method": "slice_channels_uniform"})"}}),
                         smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses \"slimmable\""},
            {waveNetText(arrayJson({{"condition_size", "2"}}), smallArrayWeights),
             "x.nam: WaveNet layer array 0 uses a condition of more than the audio input"},
            {waveNetText(small, smallArrayWeights, "WaveNet",
                         R"("head": {"channels": 4}, "head_scale": 0.02)"),
             "x.nam: the WaveNet uses a post-stack \"head\""},
            {waveNetText(small, smallArrayWeights, "WaveNet",
                         R"("condition_dsp": {"architecture": "Linear"}, "head_scale": 1)"),
             "x.nam: the WaveNet uses a \"condition_dsp\""},
        },
        "x.nam");
}

TEST(WaveNetImport, brokenFilesAreRefusedWithTheFileNameFirst)
{
    const auto small = arrayJson();
    std::string thousand;
    for (int i = 0; i < 1000; ++i)
        thousand += (i ? ", " : "") + small;
    expectRefusals(
        {
            {waveNetText(small, smallArrayWeights - 1), "b.nam: \"weights\" has 49 numbers; a WaveNet of 1 "
                                                        "layer array (2 layers of 2 channels) needs 50"},
            {waveNetText(small, smallArrayWeights + 5), "b.nam: \"weights\" has 55 numbers;"},
            {waveNetText(arrayJson({{"channels", ""}}), 10),
             "b.nam: WaveNet layer array 0 has no \"channels\""},
            {waveNetText(arrayJson({{"dilations", ""}}), 10),
             "b.nam: WaveNet layer array 0 has no \"dilations\""},
            {waveNetText(arrayJson({{"activation", ""}}), 10),
             "b.nam: WaveNet layer array 0 has no \"activation\""},
            {waveNetText(arrayJson({{"head_bias", ""}}), 10),
             "b.nam: WaveNet layer array 0 has no \"head_bias\""},
            {R"({"architecture": "WaveNet", "config": {"head_scale": 0.02}, "weights": [1]})",
             "b.nam: \"config\" has no \"layers\""},
            {waveNetText(small, smallArrayWeights, "WaveNet", R"("head": null)"),
             "b.nam: \"config\" has no \"head_scale\""},
            {waveNetText(thousand, 1), "b.nam: \"config\" layers should list 1..8 layer arrays"},
            {waveNetText(arrayJson({{"channels", "100000"}}), 10),
             "b.nam: WaveNet layer array 0 channels should be a whole number in 1..64, found 100000"},
            {waveNetText(arrayJson({{"dilations", "[1, 1000000000]"}}), 50),
             "b.nam: WaveNet layer array 0 dilation should be a whole number in 1..65536"},
            {waveNetText(arrayJson({{"kernel_size", "1000"}}), 50),
             "b.nam: WaveNet layer array 0 kernel size should be a whole number in 1..16"},
            {waveNetText(arrayJson({{"kernel_size", "16"}, {"dilations", "[8000, 8000]"}}), 2 + 2 * 74 + 4),
             "b.nam: the WaveNet's receptive field is 240001 samples; TorchAmp plays at most 65536"},
            {waveNetText(arrayJson({{"activation", "\"Gelu\""}}), 50),
             "b.nam: WaveNet layer array 0 activation is \"Gelu\", an activation TorchAmp does not know"},
            {waveNetText(arrayJson({{"head_size", "3"}}), 2 + 44 + 6 + 3 + 1),
             "b.nam: the WaveNet's last head has 3 outputs; expected 1 (mono)"},
            {waveNetText(arrayJson({{"gated", "\"yes\""}}), 50),
             "b.nam: WaveNet layer array 0 gated should be true or false"},
            {waveNetText(arrayJson({{"input_size", "2"}}), 50),
             "b.nam: WaveNet layer array 0 input_size should be a whole number in 1..1, found 2"},
        },
        "b.nam");
}

} // namespace
} // namespace torchamp
