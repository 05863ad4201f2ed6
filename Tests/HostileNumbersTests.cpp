// Numbers from outside that nobody tested: host rates, block sizes and channel counts at and beyond
// HostLimits, resampling ratios without a small common factor, knob values that are not numbers.
// The chain must never crash, allocate on the audio thread or stall; at an unsupported rate it
// leaves the audio untouched and says why, and it plays again once the host returns to a rate it
// supports.

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>

namespace torchamp
{
namespace
{

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::unique_ptr<ModelRunner> warmRunner(const ModelSpec& spec, const EffectChain& chain)
{
    auto r = std::make_unique<ModelRunner>(spec, chain.config());
    r->warmUp();
    return r;
}

/** Processes `x` on every channel in blocks of `block`, in place; returns channel 0. */
std::vector<float> play(EffectChain& chain, const std::vector<float>& x, int channels, int block)
{
    std::vector<std::vector<float>> audio(static_cast<size_t>(channels), x);
    std::vector<float*> pointers;
    for (auto& a : audio)
        pointers.push_back(a.data());
    for (size_t s = 0; s < x.size(); s += static_cast<size_t>(block))
    {
        std::vector<float*> at;
        for (auto* p : pointers)
            at.push_back(p + s);
        chain.process(at.data(), channels,
                      static_cast<int>(std::min<size_t>(static_cast<size_t>(block), x.size() - s)));
    }
    return audio.front();
}

class UnsupportedHostRate : public ::testing::TestWithParam<double>
{
};

TEST_P(UnsupportedHostRate, passesAudioThroughUntouchedSaysWhyAndPlaysAgainAtASupportedRate)
{
    EffectChain chain;
    chain.prepare({48000.0, 256, 2});
    ASSERT_TRUE(chain.publish(warmRunner(test::identitySpec(), chain)));
    chain.setInputGainDb(-6.0f);

    const auto problem = chain.prepare({GetParam(), 256, 2});
    EXPECT_NE(problem.find("outside the 8 kHz..768 kHz"), std::string::npos) << problem;
    EXPECT_NE(problem.find("passes through unprocessed"), std::string::npos) << problem;
    EXPECT_EQ(chain.problem(), problem);
    EXPECT_EQ(chain.latencySamples(), 0);

    auto x = test::makeTestSignal(2048, 5);
    x[100] = NAN; // untouched means untouched
    const auto out = play(chain, x, 2, 256);
    for (size_t i = 0; i < x.size(); ++i)
        ASSERT_TRUE(out[i] == x[i] || (std::isnan(out[i]) && std::isnan(x[i]))) << i;

    // A model loaded meanwhile is built for the configuration in force, and kept.
    EXPECT_TRUE(chain.publish(std::make_unique<ModelRunner>(test::identitySpec(), chain.config())));
    EXPECT_EQ(chain.prepare({48000.0, 256, 2}), "");
    EXPECT_EQ(chain.problem(), "");
    const auto played = play(chain, test::makeTestSignal(48000, 6), 2, 256);
    const auto reference = test::makeTestSignal(48000, 6);
    EXPECT_NEAR(played.back(), reference.back() * std::pow(10.0f, -6.0f / 20.0f), 1e-5f)
        << "the model plays again";
}

INSTANTIATE_TEST_SUITE_P(HostRates, UnsupportedHostRate,
                         ::testing::Values(0.0, -48000.0, nan, inf, -inf, 1.0, 7999.9, 768000.5, 4.0e9,
                                           1e300));

TEST(HostileNumbers, sampleRatesAtTheEdgesOfTheRangePlay)
{
    for (double rate : {HostLimits::minSampleRate, HostLimits::maxSampleRate, 11025.0, 705600.0})
    {
        EffectChain chain;
        EXPECT_EQ(chain.prepare({rate, 128, 1}), "") << rate;
        ASSERT_TRUE(chain.publish(warmRunner(test::identitySpec(), chain))) << rate;
        const auto x = test::makeBandLimitedSignal(static_cast<size_t>(rate / 4), rate, 3000.0);
        const auto out = play(chain, x, 1, 128);
        const int latency = chain.latencySamples();
        EXPECT_LT(test::maxDelayedDifference(x, out, latency, static_cast<size_t>(rate / 40)), 2e-4) << rate;
    }
}

TEST(HostileNumbers, blockSizesAndChannelCountsAreBroughtWithinLimits)
{
    struct Case
    {
        int block, channels;
        int preparedBlock, preparedChannels;
    };
    for (const auto& c :
         {Case{0, 2, HostLimits::defaultBlockSize, 2}, Case{-5, 0, HostLimits::defaultBlockSize, 1},
          Case{1, -3, 1, 1}, Case{INT_MAX, 1000, HostLimits::maxBlockSize, HostLimits::maxChannels},
          Case{1 << 20, 64, HostLimits::maxBlockSize, 64}})
    {
        EffectChain chain;
        EXPECT_EQ(chain.prepare({48000.0, c.block, c.channels}), "");
        EXPECT_EQ(chain.config().maxBlockSize, c.preparedBlock) << c.block;
        EXPECT_EQ(chain.config().numChannels, c.preparedChannels) << c.channels;
        ASSERT_TRUE(chain.publish(warmRunner(test::identitySpec(), chain)));
        // Blocks larger than prepared, of 0 and of negative length, on more channels than prepared.
        const auto x = test::makeTestSignal(20000, 7);
        const auto out = play(chain, x, std::min(c.preparedChannels + 2, HostLimits::maxChannels), 20000);
        EXPECT_LT(test::maxAbsDifference(out, x), 1e-6) << "identity at 48 kHz: the input comes out";
        float* none[1] = {nullptr};
        chain.process(none, 1, 0);
        chain.process(none, 1, -10);
        chain.process(nullptr, 2, 64);
    }
}

TEST(HostileNumbers, knobValuesThatAreNotNumbersLeaveTheKnobWhereItWas)
{
    auto spec = test::identitySpec();
    spec.knobNames = {"drive"};
    spec.knobDefaults = {0.5f};
    spec.layers[0].inputSize = 2;
    spec.layers[0].weightIh.assign(static_cast<size_t>(4 * 4 * 2), 0.0f);
    // The knob column drives one cell, whose output the head adds: the output follows the knob.
    for (int row = 0; row < 16; ++row)
        spec.layers[0].weightIh[static_cast<size_t>(row * 2 + 1)] = row >= 8 && row < 12 ? 3.0f : 0.0f;
    spec.layers[0].biasIh.assign(16, 0.0f);
    for (int row = 0; row < 16;
         ++row) // input and output gates open, forget gate shut: h = tanh(tanh(3 knob))
        spec.layers[0].biasIh[static_cast<size_t>(row)] = row >= 4 && row < 8    ? -10.0f
                                                          : row >= 8 && row < 12 ? 0.0f
                                                                                 : 10.0f;
    spec.headWeight = {1.0f, 0.0f, 0.0f, 0.0f};

    auto outputAt = [&](std::initializer_list<float> settings)
    {
        EffectChain chain;
        chain.prepare({48000.0, 64, 1});
        chain.publish(warmRunner(spec, chain));
        for (float v : settings)
            chain.setKnob(0, v);
        return play(chain, std::vector<float>(4096, 0.0f), 1, 64).back();
    };
    const float atQuarter = outputAt({0.25f});
    EXPECT_NE(atQuarter, outputAt({0.75f})) << "the knob changes the output";
    EXPECT_EQ(outputAt({0.25f, NAN}), atQuarter);
    EXPECT_EQ(outputAt({0.25f, INFINITY}), atQuarter);
    EXPECT_EQ(outputAt({0.25f, -INFINITY}), atQuarter);
    EXPECT_EQ(outputAt({7.0f}), outputAt({1.0f})) << "beyond the range: the nearest end";
    EXPECT_EQ(outputAt({-2.0f}), outputAt({0.0f}));
}

TEST(HostileNumbers, aModelRateWithNoSmallRatioToTheHostPassesThroughAndSaysWhy)
{
    EffectChain chain;
    chain.prepare({48000.0, 128, 1});
    const auto runner = std::make_unique<ModelRunner>(test::identitySpec(44101), chain.config());
    EXPECT_NE(runner->problem().find("no small common ratio"), std::string::npos) << runner->problem();
    EXPECT_FALSE(runner->isResampling());
    EXPECT_EQ(runner->latencySamples(), 0);
    EXPECT_NE(Resampler::describeUnsupported(48000, 44101, 48000), "");
    EXPECT_EQ(Resampler::describeUnsupported(11025, 768000, 768000), "") << "the usual rates all resample";
    EXPECT_THROW(Resampler().prepare(48000, 44101, 64, 48000), std::invalid_argument);
    EXPECT_THROW(Resampler().prepare(0, 48000, 64, 48000), std::invalid_argument);
    EXPECT_EQ(Resampler::maxOutputFor(0, 48000, 64), 0);

    ASSERT_TRUE(chain.publish(std::make_unique<ModelRunner>(test::identitySpec(44101), chain.config())));
    EXPECT_NE(chain.problem().find("44101"), std::string::npos) << chain.problem();
    const auto x = test::makeTestSignal(1024, 8);
    EXPECT_LT(test::maxAbsDifference(play(chain, x, 1, 128), x), 1e-6);
}

TEST(HostileNumbers, theDryPathLinesUpAtTheMostDistantRates)
{
    // The longest latency the chain can meet: a model at the lowest model rate, the host at the highest.
    EffectChain chain;
    chain.prepare({HostLimits::maxSampleRate, 512, 1});
    ASSERT_TRUE(chain.publish(warmRunner(test::identitySpec(ModelLimits::minSampleRate), chain)));
    chain.setMix(0.5f);
    std::vector<float> x(static_cast<size_t>(HostLimits::maxSampleRate / 8));
    for (size_t i = 0; i < x.size(); ++i) // well inside the 8 kHz model's pass band
        x[i] = static_cast<float>(0.3 * std::sin(0.0008 * static_cast<double>(i)) +
                                  0.2 * std::sin(0.02 * static_cast<double>(i)));
    const auto out = play(chain, x, 1, 512);
    const int latency = chain.latencySamples();
    EXPECT_GT(latency, 0);
    // Half dry, half wet: both delayed alike, so the sum is the input, delayed.
    EXPECT_LT(test::maxDelayedDifference(x, out, latency, static_cast<size_t>(latency) + 4096), 2e-4)
        << latency;
}

TEST(HostileNumbers, processingAtHostileSettingsMakesNoHeapCalls)
{
    for (double rate : {1.0, nan, 44100.0})
    {
        EffectChain chain;
        chain.prepare({rate, 0, 3});
        chain.publish(std::make_unique<ModelRunner>(test::identitySpec(), chain.config()));
        auto x = test::makeTestSignal(HostLimits::maxBlockSize * 3, 9);
        std::vector<std::vector<float>> audio(3, x);
        float* pointers[3] = {audio[0].data(), audio[1].data(), audio[2].data()};
        test::AllocationCounter counter;
        chain.process(pointers, 3, static_cast<int>(x.size()));
        chain.setKnob(0, NAN);
        chain.process(pointers, 3, 17);
        EXPECT_EQ(counter.count(), 0L) << rate;
    }
}

} // namespace
} // namespace torchamp
