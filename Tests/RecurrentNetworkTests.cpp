#include "RecurrentNetwork.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace torchamp
{
namespace
{

ModelSpec randomSpec(int hidden, int layers, int knobs, bool skip, unsigned seed, float scale = 1.0f)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    ModelSpec spec;
    spec.name = "random";
    spec.skip = skip;
    for (int k = 0; k < knobs; ++k)
    {
        spec.knobNames.push_back("knob" + std::to_string(k));
        spec.knobDefaults.push_back(0.5f);
    }
    int inputs = 1 + knobs;
    for (int l = 0; l < layers; ++l)
    {
        RecurrentLayerSpec layer;
        layer.inputSize = inputs;
        layer.hiddenSize = hidden;
        const auto rows = static_cast<size_t>(4 * hidden);
        for (size_t i = 0; i < rows * static_cast<size_t>(inputs); ++i)
            layer.weightIh.push_back(u(rng));
        for (size_t i = 0; i < rows * static_cast<size_t>(hidden); ++i)
            layer.weightHh.push_back(u(rng) / std::sqrt(float(hidden)));
        for (size_t i = 0; i < rows; ++i)
        {
            layer.biasIh.push_back(u(rng) * 0.5f);
            layer.biasHh.push_back(u(rng) * 0.5f);
        }
        spec.layers.push_back(layer);
        inputs = hidden;
    }
    for (int j = 0; j < hidden; ++j)
        spec.headWeight.push_back(u(rng));
    spec.headBias = 0.1f;
    return spec;
}

/** torch.nn.LSTM + Linear written out in double precision, straight from PyTorch's documented
    equations, as an independent reference for the engine. */
std::vector<float> referenceLstm(const ModelSpec& spec, const std::vector<float>& x, const std::vector<float>& knobs)
{
    auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    std::vector<std::vector<double>> h, c;
    for (const auto& l : spec.layers)
    {
        h.emplace_back(static_cast<size_t>(l.hiddenSize), 0.0);
        c.emplace_back(static_cast<size_t>(l.hiddenSize), 0.0);
    }
    std::vector<float> y(x.size());
    for (size_t t = 0; t < x.size(); ++t)
    {
        std::vector<double> in { x[t] };
        in.insert(in.end(), knobs.begin(), knobs.end());
        for (size_t li = 0; li < spec.layers.size(); ++li)
        {
            const auto& l = spec.layers[li];
            const auto H = static_cast<size_t>(l.hiddenSize), I = static_cast<size_t>(l.inputSize);
            std::vector<double> g(4 * H);
            for (size_t r = 0; r < 4 * H; ++r)
            {
                double a = double(l.biasIh[r]) + l.biasHh[r];
                for (size_t j = 0; j < I; ++j)
                    a += double(l.weightIh[r * I + j]) * in[j];
                for (size_t j = 0; j < H; ++j)
                    a += double(l.weightHh[r * H + j]) * h[li][j];
                g[r] = a;
            }
            for (size_t j = 0; j < H; ++j)
            {
                c[li][j] = sig(g[H + j]) * c[li][j] + sig(g[j]) * std::tanh(g[2 * H + j]);
                h[li][j] = sig(g[3 * H + j]) * std::tanh(c[li][j]);
            }
            in = h[li];
        }
        double out = spec.headBias;
        for (size_t j = 0; j < in.size(); ++j)
            out += double(spec.headWeight[j]) * in[j];
        y[t] = static_cast<float>(spec.skip ? out + x[t] : out);
    }
    return y;
}

std::vector<float> runEngine(RecurrentNetwork& net, const std::vector<float>& x, int block)
{
    std::vector<float> y(x.size());
    for (size_t s = 0; s < x.size(); s += static_cast<size_t>(block))
    {
        const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(block), x.size() - s));
        net.processChannel(0, x.data() + s, y.data() + s, n);
    }
    return y;
}

struct Shape
{
    int hidden, layers, knobs;
    bool skip;
};

class RecurrentNetworkShapes : public ::testing::TestWithParam<Shape>
{
};

TEST_P(RecurrentNetworkShapes, matchesDoublePrecisionLstmEquations)
{
    const auto s = GetParam();
    const auto spec = randomSpec(s.hidden, s.layers, s.knobs, s.skip, 42u + static_cast<unsigned>(s.hidden));
    std::vector<float> knobs(static_cast<size_t>(s.knobs));
    for (size_t k = 0; k < knobs.size(); ++k)
        knobs[k] = 0.2f + 0.3f * static_cast<float>(k);
    RecurrentNetwork net(spec);
    for (size_t k = 0; k < knobs.size(); ++k)
        net.setKnob(static_cast<int>(k), knobs[k]);
    const auto x = test::makeTestSignal(6000);
    EXPECT_LE(test::maxAbsDifference(runEngine(net, x, 64), referenceLstm(spec, x, knobs)), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RecurrentNetworkShapes,
                         ::testing::Values(Shape { 1, 1, 0, false }, Shape { 3, 1, 0, true }, Shape { 8, 1, 0, false },
                                           Shape { 13, 2, 1, false }, Shape { 20, 1, 2, true },
                                           Shape { 40, 1, 0, false }, Shape { 64, 2, 0, true },
                                           Shape { 24, 4, 3, false }, Shape { 128, 1, 0, false }));

TEST(RecurrentNetwork, blockSizeDoesNotChangeTheOutput)
{
    const auto spec = randomSpec(16, 2, 1, false, 5);
    const auto x = test::makeTestSignal(5000);
    RecurrentNetwork a(spec), b(spec);
    EXPECT_EQ(test::maxAbsDifference(runEngine(a, x, 1), runEngine(b, x, 4096)), 0.0);
}

TEST(RecurrentNetwork, channelsKeepTheirOwnState)
{
    const auto spec = randomSpec(16, 1, 0, false, 6);
    auto left = test::makeTestSignal(3000, 1);
    auto right = test::makeTestSignal(3000, 2, 0.3f);
    RecurrentNetwork stereo(spec), mono(spec);
    stereo.prepare(2);
    std::vector<float> outL(left.size()), outR(right.size());
    const float* in[] = { left.data(), right.data() };
    float* out[] = { outL.data(), outR.data() };
    stereo.process(in, out, 2, static_cast<int>(left.size()));
    EXPECT_EQ(test::maxAbsDifference(outL, runEngine(mono, left, 256)), 0.0);
    mono.reset();
    EXPECT_EQ(test::maxAbsDifference(outR, runEngine(mono, right, 256)), 0.0);
}

TEST(RecurrentNetwork, resetRestoresTheInitialState)
{
    const auto spec = randomSpec(12, 2, 0, false, 7);
    const auto x = test::makeTestSignal(2000);
    RecurrentNetwork net(spec);
    const auto first = runEngine(net, x, 100);
    net.reset();
    EXPECT_EQ(test::maxAbsDifference(first, runEngine(net, x, 100)), 0.0);
}

TEST(RecurrentNetwork, knobsChangeTheSoundAndAreClamped)
{
    const auto spec = randomSpec(12, 1, 1, false, 8, 2.0f);
    const auto x = test::makeTestSignal(2000);
    RecurrentNetwork low(spec), high(spec), clamped(spec);
    low.setKnob(0, 0.0f);
    high.setKnob(0, 1.0f);
    clamped.setKnob(0, 7.0f);
    EXPECT_FLOAT_EQ(clamped.getKnob(0), 1.0f);
    const auto yHigh = runEngine(high, x, 64);
    EXPECT_GT(test::maxAbsDifference(runEngine(low, x, 64), yHigh), 1e-3);
    EXPECT_EQ(test::maxAbsDifference(runEngine(clamped, x, 64), yHigh), 0.0);
}

TEST(RecurrentNetwork, nonFiniteInputNeverReachesTheOutputOrState)
{
    const auto spec = randomSpec(16, 2, 0, true, 9);
    RecurrentNetwork net(spec);
    std::vector<float> x = test::makeTestSignal(512);
    x[10] = NAN;
    x[11] = INFINITY;
    x[12] = -INFINITY;
    x[13] = 1e-40f; // denormal
    std::vector<float> y(x.size());
    net.processChannel(0, x.data(), y.data(), static_cast<int>(x.size()));
    for (float v : y)
        ASSERT_TRUE(std::isfinite(v));
    // Later blocks are clean too: nothing non-finite stuck in the state.
    const auto again = runEngine(net, test::makeTestSignal(512), 512);
    for (float v : again)
        ASSERT_TRUE(std::isfinite(v));
}

TEST(RecurrentNetwork, refusesAnInvalidSpec)
{
    auto spec = randomSpec(8, 1, 0, false, 10);
    spec.layers[0].weightHh[3] = NAN;
    EXPECT_THROW(RecurrentNetwork { spec }, std::invalid_argument);
    spec = randomSpec(8, 1, 0, false, 10);
    spec.headWeight.pop_back();
    EXPECT_THROW(RecurrentNetwork { spec }, std::invalid_argument);
}

TEST(RecurrentNetwork, everyInstructionSetMatchesTheReference)
{
    const auto spec = randomSpec(40, 2, 2, true, 21);
    const std::vector<float> knobs { 0.3f, 0.8f };
    const auto x = test::makeTestSignal(4000);
    const auto reference = referenceLstm(spec, x, knobs);
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512 })
    {
        if (kernels::findKernels(isa) == nullptr)
            continue;
        RecurrentNetwork net(spec, isa);
        EXPECT_EQ(net.isa(), isa);
        net.setKnob(0, knobs[0]);
        net.setKnob(1, knobs[1]);
        EXPECT_LE(test::maxAbsDifference(runEngine(net, x, 128), reference), 1e-5) << kernels::isaName(isa);
    }
}

TEST(RecurrentNetwork, channelPairsGiveTheBitsOfSingleChannels)
{
    // Channels run two at a time sharing weight loads; an odd one runs alone. All must agree.
    const auto spec = randomSpec(20, 2, 1, true, 22);
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512 })
    {
        if (kernels::findKernels(isa) == nullptr)
            continue;
        std::vector<std::vector<float>> in, out(3, std::vector<float>(1500));
        for (unsigned c = 0; c < 3; ++c)
            in.push_back(test::makeTestSignal(1500, c + 1, 0.3f + 0.3f * static_cast<float>(c)));
        RecurrentNetwork multi(spec, isa);
        multi.prepare(3);
        const float* inPtr[] = { in[0].data(), in[1].data(), in[2].data() };
        float* outPtr[] = { out[0].data(), out[1].data(), out[2].data() };
        multi.process(inPtr, outPtr, 3, 1500);
        for (size_t c = 0; c < 3; ++c)
        {
            RecurrentNetwork mono(spec, isa);
            EXPECT_EQ(test::maxAbsDifference(out[c], runEngine(mono, in[c], 100)), 0.0) << kernels::isaName(isa);
        }
    }
}

TEST(RecurrentNetwork, hiddenSizesThatPadNoFurtherTakeTheWideCells)
{
    // AVX-512 has an 8-wide and a 16-wide cell update; the wide one plays a model only where it
    // adds no padding: the mat-vec does the same work, the cell update half the instructions.
    const auto* narrow = kernels::findKernels(kernels::Isa::avx512);
    if (narrow == nullptr || kernels::findKernels(kernels::Isa::avx512, 16) == nullptr)
        GTEST_SKIP() << "no AVX-512 on this CPU";
    const std::vector<std::pair<std::vector<int>, int>> cases {
        { { 12 }, 16 }, { { 16 }, 16 }, { { 32 }, 16 }, { { 48 }, 16 }, { { 64 }, 16 }, { { 16, 32 }, 16 },
        { { 8 }, 8 }, { { 20 }, 8 }, { { 24 }, 8 }, { { 40 }, 8 }, { { 16, 40 }, 8 }, { { 3 }, 8 },
    };
    for (const auto& [hidden, width] : cases)
    {
        const auto* set = kernels::findKernelsFor(kernels::Isa::avx512, hidden.data(), static_cast<int>(hidden.size()));
        ASSERT_NE(set, nullptr);
        EXPECT_EQ(set->cellWidth, width) << "hidden " << hidden.front() << " x" << hidden.size();
        auto spec = randomSpec(hidden.front(), 1, 0, false, 31);
        if (hidden.size() == 2)
        {
            const auto second = randomSpec(hidden.back(), 1, 0, false, 32);
            auto layer = second.layers.front();
            layer.inputSize = hidden.front();
            layer.weightIh.resize(static_cast<size_t>(4 * hidden.back() * hidden.front()), 0.01f);
            spec.layers.push_back(layer);
            spec.headWeight = second.headWeight;
        }
        EXPECT_EQ(RecurrentNetwork(spec, kernels::Isa::avx512).cellWidth(), width);
    }
    // The other instruction sets have one width each.
    const int sixteen = 16;
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2 })
        if (const auto* set = kernels::findKernels(isa))
            EXPECT_EQ(kernels::findKernelsFor(isa, &sixteen, 1), set) << kernels::isaName(isa);
}

TEST(RecurrentNetwork, bothCellWidthsPlayTheSameModel)
{
    // Gates and cells come out with the same bits; only the head's dot product sums in another
    // order. Mono and channel pairs, knobs, skip, two layers.
    const auto* narrow = kernels::findKernels(kernels::Isa::avx512);
    const auto* wide = kernels::findKernels(kernels::Isa::avx512, 16);
    if (narrow == nullptr || wide == nullptr)
        GTEST_SKIP() << "no AVX-512 on this CPU";
    const std::vector<float> knobs { 0.3f };
    for (int hidden : { 12, 16, 32, 64 })
        for (int layers : { 1, 2 })
        {
            const auto spec = randomSpec(hidden, layers, 1, true, 40 + static_cast<unsigned>(hidden));
            const auto x = test::makeTestSignal(3000);
            RecurrentNetwork a(spec, *narrow), b(spec, *wide);
            a.setKnob(0, knobs[0]);
            b.setKnob(0, knobs[0]);
            const auto ya = runEngine(a, x, 97), yb = runEngine(b, x, 128);
            EXPECT_LE(test::maxAbsDifference(ya, yb), 1e-6) << hidden << "x" << layers;
            EXPECT_LE(test::maxAbsDifference(yb, referenceLstm(spec, x, knobs)), 1e-5) << hidden << "x" << layers;

            // Two channels at once (sharing weight loads) give each channel's mono bits.
            RecurrentNetwork pair(spec, *wide);
            pair.setKnob(0, knobs[0]);
            pair.prepare(2);
            const auto x2 = test::makeTestSignal(3000, 2, 0.6f);
            std::vector<float> o1(x.size()), o2(x.size());
            const float* in[] = { x.data(), x2.data() };
            float* out[] = { o1.data(), o2.data() };
            pair.process(in, out, 2, static_cast<int>(x.size()));
            RecurrentNetwork mono(spec, *wide);
            mono.setKnob(0, knobs[0]);
            EXPECT_EQ(test::maxAbsDifference(o2, runEngine(mono, x2, 3000)), 0.0) << hidden << "x" << layers;
            EXPECT_EQ(test::maxAbsDifference(o1, yb), 0.0) << hidden << "x" << layers;
        }
}

TEST(RecurrentNetwork, processFeaturesFeedsEveryInputPerStep)
{
    // Held knob values given as features per step match setKnob() up to summation order.
    const auto spec = randomSpec(24, 1, 2, false, 23);
    const auto x = test::makeTestSignal(1000);
    std::vector<float> features;
    for (float v : x)
    {
        features.push_back(v);
        features.push_back(0.25f);
        features.push_back(0.75f);
    }
    RecurrentNetwork byFeatures(spec), byKnobs(spec);
    byKnobs.setKnob(0, 0.25f);
    byKnobs.setKnob(1, 0.75f);
    std::vector<float> y(x.size());
    byFeatures.processFeatures(features.data(), y.data(), static_cast<int>(x.size()));
    EXPECT_LE(test::maxAbsDifference(y, runEngine(byKnobs, x, 1000)), 1e-6);
    EXPECT_LE(test::maxAbsDifference(y, referenceLstm(spec, x, { 0.25f, 0.75f })), 1e-5);
}

TEST(ModelSpec, validateNamesTheProblem)
{
    auto spec = randomSpec(8, 1, 0, false, 11);
    EXPECT_EQ(spec.validate(), "");
    spec.sampleRate = 0;
    EXPECT_NE(spec.validate().find("sample rate 0 Hz"), std::string::npos);
    spec = randomSpec(8, 5, 0, false, 11);
    EXPECT_NE(spec.validate().find("at most 4"), std::string::npos);
    spec = randomSpec(8, 1, 1, false, 11);
    spec.knobNames[0] = std::string(10000, 'x');
    EXPECT_NE(spec.validate().find("knob names"), std::string::npos);
}

TEST(ModelSpec, architectureSummarisesTheModel)
{
    auto spec = randomSpec(40, 1, 1, true, 12);
    EXPECT_EQ(spec.architecture(), "LSTM 1x40, 1 knob, skip, 48 kHz");
    spec.sampleRate = 44100;
    spec.skip = false;
    EXPECT_EQ(spec.architecture(), "LSTM 1x40, 1 knob, 44.1 kHz");
}

} // namespace
} // namespace torchamp
