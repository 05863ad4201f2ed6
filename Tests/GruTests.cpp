// The layer engine's recurrent layers (GRU, LSTM in any mix with dense layers) and the model-level
// features the importers need (learned initial state, the model's own input/output gains), against
// references written out from PyTorch's documented equations in double precision
// (SequenceReference.h).

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "LayerNetwork.h"
#include "NativeEngineFactory.h"
#include "SequenceReference.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace torchamp
{
namespace
{

/** Recurrent layers of the given types, `knobs` knob inputs, dense layers (sigmoid, tanh, ...) and
    a linear Dense to the output, as a layer sequence. */
ModelSpec randomSpec(std::vector<CellType> types, int hidden, int knobs, bool skip, std::vector<int> dense,
                     unsigned seed)
{
    std::mt19937 rng(seed);
    std::vector<LayerSpec> layers;
    int width = 1 + knobs;
    for (auto type : types)
    {
        layers.push_back(test::recurrentLayer(type, width, hidden, rng));
        width = hidden;
    }
    for (size_t d = 0; d < dense.size(); ++d)
    {
        layers.push_back(test::denseLayer(width, dense[d], d % 2 == 0 ? Activation::sigmoid : Activation::tanh, rng));
        width = dense[d];
    }
    layers.push_back(test::denseLayer(width, 1, Activation::identity, rng));
    return test::sequenceSpec(std::move(layers), knobs, skip);
}

std::vector<float> reference(const ModelSpec& spec, const std::vector<float>& x, const std::vector<float>& knobs)
{
    return test::sequenceReference(spec, x, knobs);
}

std::vector<float> play(InferenceEngine& net, const std::vector<float>& x, int block = 64)
{
    std::vector<float> y(x.size());
    for (size_t s = 0; s < x.size(); s += static_cast<size_t>(block))
    {
        const float* in[1] = {x.data() + s};
        float* out[1] = {y.data() + s};
        net.process(in, out, 1, static_cast<int>(std::min(x.size() - s, static_cast<size_t>(block))));
    }
    return y;
}

TEST(GruNetwork, matchesTorchGruEquationsForStackedLayersKnobsAndSkip)
{
    const auto x = test::makeTestSignal(6000, 3);
    for (int hidden : {1, 7, 16, 40})
    {
        auto spec = randomSpec({CellType::gru, CellType::gru}, hidden, 2, true, {}, 10u + unsigned(hidden));
        LayerNetwork net(spec);
        net.setKnob(0, 0.2f);
        net.setKnob(1, 0.9f);
        EXPECT_LT(test::maxAbsDifference(play(net, x), reference(spec, x, {0.2f, 0.9f})), 1e-5) << hidden;
    }
}

TEST(GruNetwork, mixesLstmAndGruLayersAndDenseLayers)
{
    const auto x = test::makeTestSignal(4000, 4);
    auto spec = randomSpec({CellType::lstm, CellType::gru, CellType::lstm}, 12, 0, false, {8, 5}, 21);
    LayerNetwork net(spec);
    EXPECT_EQ(spec.architecture(),
              "LSTM 1x12 + GRU 1x12 + LSTM 1x12 + Dense 8 (sigmoid) + Dense 5 (tanh), 48 kHz");
    EXPECT_LT(test::maxAbsDifference(play(net, x), reference(spec, x, {})), 1e-5);
}

TEST(GruNetwork, stereoEqualsTwoMonoRunsAndFeaturesEqualHeldKnobs)
{
    auto spec = randomSpec({CellType::gru}, 9, 1, false, {}, 31);
    const auto left = test::makeTestSignal(2000, 5), right = test::makeTestSignal(2000, 6);
    LayerNetwork stereo(spec), mono(spec);
    stereo.prepare(2, 2000);
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
    LayerNetwork byFeatures(spec);
    std::vector<float> f(left.size());
    byFeatures.processFeatures(features.data(), f.data(), static_cast<int>(left.size()));
    EXPECT_EQ(f, l);
}

TEST(GruNetwork, nonFiniteInputIsSilenceAndStateStaysFinite)
{
    auto spec = randomSpec({CellType::gru}, 8, 0, true, {4}, 41);
    LayerNetwork net(spec), clean(spec);
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
    // In the RealtimeSanitizer build the counter is not available and RTSan judges the same calls.
    auto spec = randomSpec({CellType::gru, CellType::lstm}, 16, 1, true, {8}, 51);
    LayerNetwork net(spec);
    net.prepare(2, 256);
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
    if (test::AllocationCounter::available())
        EXPECT_EQ(counter.count(), 0);
}

TEST(RecurrentNetworkImportFeatures, resetRestoresTheLearnedInitialStateOnEveryEngine)
{
    const auto x = test::makeTestSignal(3000, 8);
    for (auto type : {CellType::lstm, CellType::gru})
    {
        auto spec = randomSpec({type, type}, 6, 0, false, {}, 61);
        std::mt19937 rng(5);
        std::uniform_real_distribution<float> u(-0.8f, 0.8f);
        for (auto& layer : spec.sequence)
        {
            auto& cell = layer.recurrent;
            for (int j = 0; j < cell.hiddenSize; ++j)
                cell.initialHidden.push_back(u(rng));
            if (type == CellType::lstm)
                for (int j = 0; j < cell.hiddenSize; ++j)
                    cell.initialCell.push_back(u(rng));
        }
        ASSERT_EQ(spec.validate(), "");
        const auto expected = reference(spec, x, {});
        // The layer engine, and what the factory picks (the LSTM kernels for an LSTM stack).
        LayerNetwork layered(spec);
        auto picked = makeNativeEngine(spec);
        picked->prepare(1, 64);
        for (InferenceEngine* net : {static_cast<InferenceEngine*>(&layered), picked.get()})
        {
            const auto first = play(*net, x);
            EXPECT_LT(test::maxAbsDifference(first, expected), 1e-5);
            net->reset();
            EXPECT_EQ(play(*net, x), first);
        }

        auto zeroState = spec;
        for (auto& layer : zeroState.sequence)
            layer.recurrent.initialHidden.clear(), layer.recurrent.initialCell.clear();
        EXPECT_GT(std::abs(reference(zeroState, x, {})[0] - expected[0]), 1e-4f);
    }
}

TEST(RecurrentNetworkImportFeatures, modelGainsApplyToTheNetworkAndTheSkipPathOnEveryEngine)
{
    const auto x = test::makeTestSignal(3000, 9);
    for (auto type : {CellType::lstm, CellType::gru})
    {
        auto spec = randomSpec({type}, 10, 1, true, {}, 71);
        spec.inputGain = 0.5f;
        spec.outputGain = 1.4125f;
        LayerNetwork layered(spec);
        auto picked = makeNativeEngine(spec);
        picked->prepare(1, 64);
        for (InferenceEngine* net : {static_cast<InferenceEngine*>(&layered), picked.get()})
        {
            net->setKnob(0, 0.7f);
            EXPECT_LT(test::maxAbsDifference(play(*net, x), reference(spec, x, {0.7f})), 1e-5);
        }
    }
}

TEST(ModelSpecImportFeatures, validateNamesBadInitialStatesAndDenseLayers)
{
    auto spec = randomSpec({CellType::gru}, 4, 0, false, {3}, 81);
    ASSERT_EQ(spec.validate(), "");
    auto cell = spec;
    cell.sequence[0].recurrent.initialCell = {0, 0, 0, 0};
    EXPECT_EQ(cell.validate(), "layer 0 has an initial state of the wrong size");
    auto dense = spec;
    dense.sequence[1].inputSize = 5;
    EXPECT_EQ(dense.validate(), "layer 1 takes 5 inputs, expected 4");
    auto weights = spec;
    weights.sequence[1].weight.pop_back();
    EXPECT_EQ(weights.validate(), "layer 1 (dense) has weights of the wrong size");
    auto outputs = spec;
    outputs.sequence.pop_back();
    EXPECT_EQ(outputs.validate(), "the model ends in 3 outputs; TorchAmp plays models with one audio output");
    auto both = spec;
    both.headWeight.push_back(1.0f);
    EXPECT_EQ(both.validate(), "a layer-sequence model cannot also have contract layers or a head");
    auto gruContract = spec;
    gruContract.sequence.clear();
    gruContract.layers.push_back(spec.sequence[0].recurrent);
    gruContract.headWeight.assign(4, 0.5f);
    EXPECT_NE(gruContract.validate().find("is a GRU"), std::string::npos);
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
