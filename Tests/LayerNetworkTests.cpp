// The layer engine (LayerNetwork): every layer kind in orders RTNeural's Keras export produces,
// on every instruction set this CPU runs, against the double-precision equations of
// SequenceReference.h; streaming (block sizes, channels) and the real-time rules.

#include "AllocationCounter.h"
#include "LayerNetwork.h"
#include "SequenceReference.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace torchamp
{
namespace
{

std::vector<float> play(LayerNetwork& net, const std::vector<float>& x, int block)
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

std::vector<kernels::Isa> availableIsas()
{
    std::vector<kernels::Isa> isas;
    for (auto isa : {kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512})
        if (kernels::findLayerKernels(isa) != nullptr)
            isas.push_back(isa);
    return isas;
}

struct Case
{
    const char* name;
    ModelSpec spec;
};

/** Sequences that start with a dense layer, mix convolutions (dilated, grouped) with recurrent
    layers, normalise and activate in every way the RTNeural loader reads. */
std::vector<Case> cases()
{
    std::mt19937 rng(2024);
    using test::activationLayer;
    using test::batchNormLayer;
    using test::convLayer;
    using test::denseLayer;
    using test::preluLayer;
    using test::recurrentLayer;
    std::vector<Case> all;
    all.push_back(
        {"conv.json's shape",
         test::sequenceSpec({denseLayer(1, 8, Activation::tanh, rng),
                             convLayer(8, 4, 3, 1, 1, Activation::tanh, rng), batchNormLayer(4, true, rng),
                             preluLayer(4, rng), convLayer(4, 4, 1, 1, 1, Activation::tanh, rng),
                             convLayer(4, 6, 3, 2, 2, Activation::tanh, rng), batchNormLayer(6, false, rng),
                             preluLayer(6, rng), denseLayer(6, 1, Activation::sigmoid, rng)},
                            0, false)});
    all.push_back(
        {"dense first, then a GRU", test::sequenceSpec({denseLayer(2, 12, Activation::relu, rng),
                                                        recurrentLayer(CellType::gru, 12, 9, rng),
                                                        denseLayer(9, 1, Activation::identity, rng)},
                                                       1, true)});
    all.push_back(
        {"conv into an LSTM, softmax and elu",
         test::sequenceSpec(
             {convLayer(1, 6, 5, 3, 1, Activation::elu, rng), recurrentLayer(CellType::lstm, 6, 11, rng),
              activationLayer(11, Activation::softmax), denseLayer(11, 3, Activation::elu, rng),
              activationLayer(3, Activation::tanh), denseLayer(3, 1, Activation::identity, rng)},
             0, false)});
    all.push_back(
        {"a GRU between convolutions and a long dilation",
         test::sequenceSpec({convLayer(3, 10, 2, 1, 1, Activation::identity, rng),
                             recurrentLayer(CellType::gru, 10, 20, rng), batchNormLayer(20, true, rng),
                             convLayer(20, 20, 4, 37, 4, Activation::sigmoid, rng), preluLayer(20, rng),
                             denseLayer(20, 1, Activation::tanh, rng)},
                            2, false)});
    all.push_back(
        {"a dense model only", test::sequenceSpec({denseLayer(1, 1, Activation::tanh, rng)}, 0, true)});
    return all;
}

TEST(LayerNetwork, everyLayerKindMatchesTheDoublePrecisionEquationsOnEveryInstructionSet)
{
    const auto x = test::makeTestSignal(5000, 12, 1.0f);
    for (const auto& c : cases())
    {
        ASSERT_EQ(c.spec.validate(), "") << c.name;
        const std::vector<float> knobs(static_cast<size_t>(c.spec.numKnobs()), 0.6f);
        const auto expected = test::sequenceReference(c.spec, x, knobs);
        for (auto isa : availableIsas())
        {
            LayerNetwork net(c.spec, isa);
            for (int k = 0; k < c.spec.numKnobs(); ++k)
                net.setKnob(k, 0.6f);
            EXPECT_LT(test::maxAbsDifference(play(net, x, 128), expected), 1e-5)
                << c.name << " " << kernels::isaName(isa);
        }
    }
}

TEST(LayerNetwork, blockSizeDoesNotChangeTheOutput)
{
    const auto x = test::makeTestSignal(3000, 13);
    for (const auto& c : cases())
    {
        LayerNetwork a(c.spec), b(c.spec);
        const auto reference = play(a, x, 64);
        for (int block : {1, 7, 100, 513})
        {
            b.reset();
            EXPECT_EQ(play(b, x, block), reference) << c.name << ", blocks of " << block;
        }
    }
}

TEST(LayerNetwork, stereoEqualsTwoMonoRuns)
{
    const auto left = test::makeTestSignal(2000, 14), right = test::makeTestSignal(2000, 15);
    for (const auto& c : cases())
    {
        LayerNetwork stereo(c.spec), mono(c.spec);
        stereo.prepare(2, 500);
        std::vector<float> l(left.size()), r(right.size());
        for (size_t s = 0; s < left.size(); s += 500)
        {
            const float* in[2] = {left.data() + s, right.data() + s};
            float* out[2] = {l.data() + s, r.data() + s};
            stereo.process(in, out, 2, 500);
        }
        EXPECT_EQ(l, play(mono, left, 500)) << c.name;
        mono.reset();
        EXPECT_EQ(r, play(mono, right, 500)) << c.name;
    }
}

TEST(LayerNetwork, aNonFiniteStateIsResetAndCountedAndTheOutputStaysFinite)
{
    // A dense layer that overflows to infinity on loud input feeds a convolution's history (the
    // loud step is among the last of a chunk, which the history keeps).
    std::mt19937 rng(3);
    auto loud = test::denseLayer(1, 4, Activation::identity, rng);
    loud.weight.assign(4, 3e38f);
    auto spec = test::sequenceSpec({loud, test::convLayer(4, 4, 3, 2, 1, Activation::tanh, rng),
                                    test::recurrentLayer(CellType::gru, 4, 5, rng),
                                    test::denseLayer(5, 1, Activation::identity, rng)},
                                   0, false);
    LayerNetwork net(spec);
    std::vector<float> x(256, 0.0f);
    x[LayerNetwork::chunkSteps - 2] = 10.0f;
    const auto y = play(net, x, 128);
    for (float v : y)
        ASSERT_TRUE(std::isfinite(v));
    EXPECT_GE(net.stateResets(), 1u);
    // The state is reset at the end of the chunk that overflowed: the silence after it plays as
    // silence does from the start.
    LayerNetwork fresh(spec);
    const std::vector<float> silence(128, 0.0f);
    const std::vector<float> afterReset(y.begin() + LayerNetwork::chunkSteps,
                                        y.begin() + LayerNetwork::chunkSteps + 128);
    EXPECT_EQ(afterReset, play(fresh, silence, 128));
}

TEST(LayerNetwork, processAllocatesNothing)
{
    // In the RealtimeSanitizer build the counter is not available and RTSan judges the same calls.
    for (const auto& c : cases())
    {
        LayerNetwork net(c.spec);
        net.prepare(2, 256);
        std::vector<float> a(256, 0.1f), b(256, -0.2f);
        const float* in[2] = {a.data(), b.data()};
        float* out[2] = {a.data(), b.data()};
        test::AllocationCounter counter;
        for (int i = 0; i < 20; ++i)
        {
            net.setKnob(0, 0.01f * float(i));
            net.process(in, out, 2, 256);
            net.processFeatures(a.data(), b.data(), 256 / c.spec.inputSize());
            net.reset();
        }
        if (test::AllocationCounter::available())
            EXPECT_EQ(counter.count(), 0) << c.name;
    }
}

TEST(LayerNetwork, validateNamesTheLayerAndWhatIsWrong)
{
    std::mt19937 rng(4);
    auto conv = test::sequenceSpec({test::convLayer(4, 6, 3, 1, 2, Activation::tanh, rng)}, 3, false);
    conv.sequence.push_back(test::denseLayer(6, 1, Activation::identity, rng));
    ASSERT_EQ(conv.validate(), "");
    auto groups = conv;
    groups.sequence[0].groups = 4;
    EXPECT_EQ(groups.validate(),
              "layer 0 (conv1d) has 4 groups, which do not divide its 4 inputs and 6 outputs");
    auto dilation = conv;
    dilation.sequence[0].dilation = 5000;
    EXPECT_NE(dilation.validate().find("layer 0 (conv1d) has kernel size 3 and dilation 5000"),
              std::string::npos);
    auto norm = test::sequenceSpec({test::batchNormLayer(1, true, rng)}, 0, false);
    ASSERT_EQ(norm.validate(), "");
    norm.sequence[0].variance[0] = -1.0f;
    EXPECT_EQ(norm.validate(), "layer 0 (batchnorm) has a variance plus epsilon that is not positive");
    auto prelu = test::sequenceSpec({test::preluLayer(1, rng)}, 0, false);
    prelu.sequence[0].slopes[0] = NAN;
    EXPECT_NE(prelu.validate().find("layer 0 has non-finite weights"), std::string::npos);
    EXPECT_THROW(LayerNetwork{groups}, std::invalid_argument);
}

TEST(LayerNetwork, architectureNamesEveryLayer)
{
    EXPECT_EQ(
        cases()[0].spec.architecture(),
        "Dense 8 (tanh) + Conv1d 4 (kernel 3) (tanh) + BatchNorm + PReLU + Conv1d 4 (kernel 1) (tanh) + "
        "Conv1d 6 (kernel 3, dilation 2, 2 groups) (tanh) + BatchNorm + PReLU + Dense 1 (sigmoid), 48 kHz");
    EXPECT_EQ(cases()[1].spec.architecture(), "Dense 12 (relu) + GRU 1x9, 1 knob, skip, 48 kHz");
}

} // namespace
} // namespace torchamp
