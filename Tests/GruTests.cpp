// The native engine's portable path (GRU layers, dense layers) and the model-level features the
// importers need (learned initial state, the model's own input/output gains), against references
// written out from PyTorch's documented equations in double precision.

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "RecurrentNetwork.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace torchamp
{
namespace
{

RecurrentLayerSpec randomLayer(CellType type, int inputs, int hidden, std::mt19937& rng)
{
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    RecurrentLayerSpec layer;
    layer.type = type;
    layer.inputSize = inputs;
    layer.hiddenSize = hidden;
    const auto rows = static_cast<size_t>(layer.numGates() * hidden);
    for (size_t i = 0; i < rows * static_cast<size_t>(inputs); ++i)
        layer.weightIh.push_back(u(rng));
    for (size_t i = 0; i < rows * static_cast<size_t>(hidden); ++i)
        layer.weightHh.push_back(u(rng) / std::sqrt(float(hidden)));
    for (size_t i = 0; i < rows; ++i)
    {
        layer.biasIh.push_back(0.5f * u(rng));
        layer.biasHh.push_back(0.5f * u(rng));
    }
    return layer;
}

/** A stack of the given cell types, `knobs` knob inputs, optional dense layers. */
ModelSpec randomSpec(std::vector<CellType> types, int hidden, int knobs, bool skip, std::vector<int> dense,
                     unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    ModelSpec spec;
    spec.skip = skip;
    for (int k = 0; k < knobs; ++k)
    {
        spec.knobNames.push_back("k" + std::to_string(k));
        spec.knobDefaults.push_back(0.3f);
    }
    int width = 1 + knobs;
    for (auto type : types)
    {
        spec.layers.push_back(randomLayer(type, width, hidden, rng));
        width = hidden;
    }
    for (size_t d = 0; d < dense.size(); ++d)
    {
        DenseLayerSpec layer;
        layer.inputSize = width;
        layer.outputSize = dense[d];
        layer.activation = d % 2 == 0 ? Activation::sigmoid : Activation::tanh;
        for (int i = 0; i < width * dense[d]; ++i)
            layer.weight.push_back(u(rng));
        for (int i = 0; i < dense[d]; ++i)
            layer.bias.push_back(0.2f * u(rng));
        spec.denseLayers.push_back(layer);
        width = dense[d];
    }
    for (int j = 0; j < width; ++j)
        spec.headWeight.push_back(u(rng));
    spec.headBias = 0.05f;
    return spec;
}

/** torch.nn.GRU / LSTM + Linear (and dense layers) from PyTorch's documented equations, in double. */
std::vector<float> reference(const ModelSpec& spec, const std::vector<float>& x,
                             const std::vector<float>& knobs)
{
    auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    std::vector<std::vector<double>> h, c;
    for (const auto& l : spec.layers)
    {
        const auto H = static_cast<size_t>(l.hiddenSize);
        h.emplace_back(H, 0.0);
        c.emplace_back(H, 0.0);
        for (size_t j = 0; j < l.initialHidden.size(); ++j)
            h.back()[j] = l.initialHidden[j];
        for (size_t j = 0; j < l.initialCell.size(); ++j)
            c.back()[j] = l.initialCell[j];
    }
    std::vector<float> y(x.size());
    for (size_t t = 0; t < x.size(); ++t)
    {
        const double audio = double(x[t]) * spec.inputGain;
        std::vector<double> in{audio};
        in.insert(in.end(), knobs.begin(), knobs.end());
        for (size_t li = 0; li < spec.layers.size(); ++li)
        {
            const auto& l = spec.layers[li];
            const auto H = static_cast<size_t>(l.hiddenSize), I = static_cast<size_t>(l.inputSize);
            const size_t rows = static_cast<size_t>(l.numGates()) * H;
            std::vector<double> gi(rows), gh(rows);
            for (size_t r = 0; r < rows; ++r)
            {
                gi[r] = l.biasIh[r];
                gh[r] = l.biasHh[r];
                for (size_t j = 0; j < I; ++j)
                    gi[r] += double(l.weightIh[r * I + j]) * in[j];
                for (size_t j = 0; j < H; ++j)
                    gh[r] += double(l.weightHh[r * H + j]) * h[li][j];
            }
            for (size_t u = 0; u < H; ++u)
            {
                if (l.type == CellType::gru)
                {
                    const double r = sig(gi[u] + gh[u]);
                    const double z = sig(gi[H + u] + gh[H + u]);
                    const double n = std::tanh(gi[2 * H + u] + r * gh[2 * H + u]);
                    h[li][u] = (1.0 - z) * n + z * h[li][u];
                }
                else
                {
                    auto g = [&](size_t q) { return gi[q * H + u] + gh[q * H + u]; };
                    c[li][u] = sig(g(1)) * c[li][u] + sig(g(0)) * std::tanh(g(2));
                    h[li][u] = sig(g(3)) * std::tanh(c[li][u]);
                }
            }
            in = h[li];
        }
        for (const auto& d : spec.denseLayers)
        {
            std::vector<double> out(static_cast<size_t>(d.outputSize));
            for (size_t o = 0; o < out.size(); ++o)
            {
                double a = d.bias[o];
                for (size_t j = 0; j < in.size(); ++j)
                    a += double(d.weight[o * in.size() + j]) * in[j];
                out[o] = d.activation == Activation::sigmoid ? sig(a)
                         : d.activation == Activation::tanh  ? std::tanh(a)
                                                             : a;
            }
            in = out;
        }
        double out = spec.headBias;
        for (size_t j = 0; j < in.size(); ++j)
            out += double(spec.headWeight[j]) * in[j];
        if (spec.skip)
            out += audio;
        y[t] = static_cast<float>(out * spec.outputGain);
    }
    return y;
}

std::vector<float> play(RecurrentNetwork& net, const std::vector<float>& x, int block = 64)
{
    std::vector<float> y(x.size());
    for (size_t s = 0; s < x.size(); s += static_cast<size_t>(block))
        net.processChannel(0, x.data() + s, y.data() + s,
                           static_cast<int>(std::min(x.size() - s, static_cast<size_t>(block))));
    return y;
}

TEST(GruNetwork, matchesTorchGruEquationsForStackedLayersKnobsAndSkip)
{
    const auto x = test::makeTestSignal(6000, 3);
    for (int hidden : {1, 7, 16, 40})
    {
        auto spec = randomSpec({CellType::gru, CellType::gru}, hidden, 2, true, {}, 10u + unsigned(hidden));
        RecurrentNetwork net(spec);
        EXPECT_TRUE(net.usesPortablePath());
        net.setKnob(0, 0.2f);
        net.setKnob(1, 0.9f);
        EXPECT_LT(test::maxAbsDifference(play(net, x), reference(spec, x, {0.2f, 0.9f})), 1e-5) << hidden;
    }
}

TEST(GruNetwork, mixesLstmAndGruLayersAndDenseLayers)
{
    const auto x = test::makeTestSignal(4000, 4);
    auto spec = randomSpec({CellType::lstm, CellType::gru, CellType::lstm}, 12, 0, false, {8, 5}, 21);
    RecurrentNetwork net(spec);
    EXPECT_EQ(spec.architecture(),
              "LSTM 1x12 + GRU 1x12 + LSTM 1x12 + Dense 8 (sigmoid) + Dense 5 (tanh), 48 kHz");
    EXPECT_LT(test::maxAbsDifference(play(net, x), reference(spec, x, {})), 1e-5);
}

TEST(GruNetwork, stereoEqualsTwoMonoRunsAndFeaturesEqualHeldKnobs)
{
    auto spec = randomSpec({CellType::gru}, 9, 1, false, {}, 31);
    const auto left = test::makeTestSignal(2000, 5), right = test::makeTestSignal(2000, 6);
    RecurrentNetwork stereo(spec), mono(spec);
    stereo.prepare(2);
    std::vector<float> l(left.size()), r(right.size());
    const float* in[2] = {left.data(), right.data()};
    float* out[2] = {l.data(), r.data()};
    stereo.process(in, out, 2, static_cast<int>(left.size()));
    EXPECT_EQ(l, play(mono, left, 2000));
    mono.reset();
    EXPECT_EQ(r, play(mono, right, 2000));

    std::vector<float> features;
    for (float v : left)
        features.insert(features.end(), {v, 0.3f});
    RecurrentNetwork byFeatures(spec);
    std::vector<float> f(left.size());
    byFeatures.processFeatures(features.data(), f.data(), static_cast<int>(left.size()));
    EXPECT_EQ(f, l);
}

TEST(GruNetwork, nonFiniteInputIsSilenceAndStateStaysFinite)
{
    auto spec = randomSpec({CellType::gru}, 8, 0, true, {4}, 41);
    RecurrentNetwork net(spec), clean(spec);
    std::vector<float> x = test::makeTestSignal(512, 7), silenced = x;
    for (size_t i : {10u, 100u, 300u})
    {
        x[i] = i == 100 ? INFINITY : NAN;
        silenced[i] = 0.0f;
    }
    const auto y = play(net, x);
    EXPECT_EQ(y, play(clean, silenced));
    EXPECT_EQ(net.stateResets(), 0u);
}

TEST(GruNetwork, processAllocatesNothing)
{
    if (!test::AllocationCounter::available())
        GTEST_SKIP() << "RealtimeSanitizer judges allocations in this build";
    auto spec = randomSpec({CellType::gru, CellType::lstm}, 16, 1, true, {8}, 51);
    RecurrentNetwork net(spec);
    net.prepare(2);
    std::vector<float> a(256, 0.1f), b(256, -0.2f);
    const float* in[2] = {a.data(), b.data()};
    float* out[2] = {a.data(), b.data()};
    test::AllocationCounter counter;
    for (int i = 0; i < 50; ++i)
    {
        net.setKnob(0, 0.01f * float(i));
        net.process(in, out, 2, 256);
        net.reset();
    }
    EXPECT_EQ(counter.count(), 0);
}

TEST(RecurrentNetworkImportFeatures, resetRestoresTheLearnedInitialStateOnBothPaths)
{
    const auto x = test::makeTestSignal(3000, 8);
    for (auto type : {CellType::lstm, CellType::gru})
    {
        auto spec = randomSpec({type, type}, 6, 0, false, {}, 61);
        std::mt19937 rng(5);
        std::uniform_real_distribution<float> u(-0.8f, 0.8f);
        for (auto& layer : spec.layers)
        {
            for (int j = 0; j < layer.hiddenSize; ++j)
                layer.initialHidden.push_back(u(rng));
            if (type == CellType::lstm)
                for (int j = 0; j < layer.hiddenSize; ++j)
                    layer.initialCell.push_back(u(rng));
        }
        ASSERT_EQ(spec.validate(), "");
        RecurrentNetwork net(spec);
        EXPECT_EQ(net.usesPortablePath(), type == CellType::gru);
        const auto expected = reference(spec, x, {});
        const auto first = play(net, x);
        EXPECT_LT(test::maxAbsDifference(first, expected), 1e-5);
        net.reset();
        EXPECT_EQ(play(net, x), first);

        auto zeroState = spec;
        for (auto& layer : zeroState.layers)
            layer.initialHidden.clear(), layer.initialCell.clear();
        EXPECT_GT(std::abs(reference(zeroState, x, {})[0] - expected[0]), 1e-4f);
    }
}

TEST(RecurrentNetworkImportFeatures, modelGainsApplyToTheNetworkAndTheSkipPathOnBothPaths)
{
    const auto x = test::makeTestSignal(3000, 9);
    for (auto type : {CellType::lstm, CellType::gru})
    {
        auto spec = randomSpec({type}, 10, 1, true, {}, 71);
        spec.inputGain = 0.5f;
        spec.outputGain = 1.4125f;
        RecurrentNetwork net(spec);
        net.setKnob(0, 0.7f);
        EXPECT_LT(test::maxAbsDifference(play(net, x), reference(spec, x, {0.7f})), 1e-5);
    }
}

TEST(ModelSpecImportFeatures, validateNamesBadInitialStatesAndDenseLayers)
{
    auto spec = randomSpec({CellType::gru}, 4, 0, false, {3}, 81);
    ASSERT_EQ(spec.validate(), "");
    auto cell = spec;
    cell.layers[0].initialCell = {0, 0, 0, 0};
    EXPECT_NE(cell.validate().find("initial state"), std::string::npos);
    auto dense = spec;
    dense.denseLayers[0].inputSize = 5;
    EXPECT_NE(dense.validate().find("dense layer 0"), std::string::npos);
    auto head = spec;
    head.headWeight.push_back(1.0f);
    EXPECT_NE(head.validate().find("output head"), std::string::npos);
}

TEST(EffectChainNormalise, levelsAModelWithLoudnessToTheTargetAndLeavesOthers)
{
    auto spec = randomSpec({CellType::lstm}, 4, 0, false, {}, 91);
    HostConfig config{48000.0, 256, 1};
    auto renderWith = [&](float loudness, bool normalise)
    {
        auto s = spec;
        s.loudnessDb = loudness;
        EffectChain chain;
        chain.prepare(config);
        chain.publish(std::make_unique<ModelRunner>(s, config));
        chain.setNormaliseOutput(normalise);
        auto x = test::makeTestSignal(48000, 2);
        for (size_t i = 0; i < x.size(); i += 256)
        {
            float* io[1] = {x.data() + i};
            chain.process(io, 1, static_cast<int>(std::min<size_t>(256, x.size() - i)));
        }
        return x;
    };
    const auto plain = renderWith(-30.0f, false);
    const auto normalised = renderWith(-30.0f, true);
    const auto unknown = renderWith(NAN, true);
    EXPECT_EQ(unknown, plain);
    // -18 - (-30) = +12 dB once the 20 ms smoothing is over.
    for (size_t i = 2000; i < plain.size(); i += 997)
        EXPECT_NEAR(normalised[i], plain[i] * std::pow(10.0f, 12.0f / 20.0f), 1e-4f) << i;
}

} // namespace
} // namespace torchamp
