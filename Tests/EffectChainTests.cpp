#include "AllocationCounter.h"
#include "EffectChain.h"
#include "RecurrentNetwork.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace torchamp
{
namespace
{

std::vector<std::vector<float>> processAll(EffectChain& chain, std::vector<std::vector<float>> audio,
                                           std::initializer_list<int> blockPattern)
{
    const size_t n = audio.front().size();
    std::vector<float*> ptrs(audio.size());
    std::vector<int> blocks(blockPattern);
    size_t b = 0;
    for (size_t s = 0; s < n;)
    {
        const int block = static_cast<int>(std::min<size_t>(static_cast<size_t>(blocks[b++ % blocks.size()]), n - s));
        for (size_t c = 0; c < audio.size(); ++c)
            ptrs[c] = audio[c].data() + s;
        chain.process(ptrs.data(), static_cast<int>(audio.size()), block);
        s += static_cast<size_t>(block);
    }
    return audio;
}

std::unique_ptr<ModelRunner> runner(const ModelSpec& spec, const EffectChain& chain)
{
    auto r = std::make_unique<ModelRunner>(spec, chain.config());
    r->warmUp();
    return r;
}

class ChainAtHostRate : public ::testing::TestWithParam<double>
{
};

TEST_P(ChainAtHostRate, identityModelComesOutAsTheInputDelayedByTheReportedLatency)
{
    const double rate = GetParam();
    EffectChain chain;
    chain.prepare({ rate, 512, 2 });
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    const auto x = test::makeBandLimitedSignal(static_cast<size_t>(rate / 2), rate, 15000.0);
    const auto out = processAll(chain, { x, x }, { 512, 1, 77, 300, 512, 13 });
    const int latency = chain.latencySamples();
    if (rate == 48000.0)
        EXPECT_EQ(latency, 0);
    else
        EXPECT_GT(latency, 0);
    EXPECT_EQ(chain.isResampling(), rate != 48000.0);
    for (const auto& ch : out)
        EXPECT_LT(test::maxDelayedDifference(x, ch, latency, static_cast<size_t>(rate / 20)), 2e-4) << rate;
}

INSTANTIATE_TEST_SUITE_P(Rates, ChainAtHostRate,
                         ::testing::Values(44100.0, 48000.0, 88200.0, 96000.0, 176400.0, 192000.0));

TEST(EffectChain, dryPathLinesUpWithTheWetPath)
{
    EffectChain chain;
    chain.prepare({ 96000.0, 256, 1 });
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    const auto x = test::makeBandLimitedSignal(48000, 96000.0);
    chain.setMix(0.5f);
    const auto half = processAll(chain, { x }, { 256 });
    // Identity model: half dry plus half wet is the input, delayed, only if both are aligned.
    EXPECT_LT(test::maxDelayedDifference(x, half[0], chain.latencySamples(), 9600), 2e-4);
}

TEST(EffectChain, gainsAreAppliedAfterSmoothing)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 128, 1 });
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    chain.setOutputGainDb(20.0f * std::log10(2.0f));
    chain.setInputGainDb(20.0f * std::log10(0.5f));
    std::vector<float> x(48000, 0.25f);
    const auto y = processAll(chain, { x }, { 128 });
    EXPECT_NEAR(y[0].back(), 0.25f, 1e-5); // x 0.5 x 2
    EXPECT_NE(y[0][1], y[0][2000]);        // ramped, not jumped
}

TEST(EffectChain, bypassPassesTheInputDelayedByTheLatency)
{
    EffectChain chain;
    chain.prepare({ 96000.0, 128, 1 });
    ModelSpec loud = test::identitySpec(48000);
    loud.headBias = 0.3f; // a model that clearly differs from its input
    ASSERT_TRUE(chain.publish(runner(loud, chain)));
    chain.setBypassed(true);
    const auto x = test::makeBandLimitedSignal(48000, 96000.0);
    const auto y = processAll(chain, { x }, { 128 });
    EXPECT_LT(test::maxDelayedDifference(x, y[0], chain.latencySamples(), 9600), 1e-6);
}

TEST(EffectChain, nonFiniteInputNeverReachesTheOutput)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 64, 2 });
    ModelSpec spec = test::identitySpec(48000);
    ASSERT_TRUE(chain.publish(runner(spec, chain)));
    chain.setMix(0.5f);
    std::vector<float> x = test::makeTestSignal(4096);
    for (size_t i = 100; i < 4096; i += 97)
        x[i] = (i % 2) ? NAN : INFINITY;
    const auto y = processAll(chain, { x, x }, { 64 });
    for (const auto& ch : y)
        for (float v : ch)
            ASSERT_TRUE(std::isfinite(v));
}

TEST(EffectChain, aModelForAnotherConfigurationIsRefused)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 64, 2 });
    auto stale = std::make_unique<ModelRunner>(test::identitySpec(), HostConfig { 44100.0, 64, 2 });
    EXPECT_FALSE(chain.publish(std::move(stale)));
}

TEST(EffectChain, prepareRebuildsTheActiveModelForTheNewRate)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 64, 2 });
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    EXPECT_EQ(chain.latencySamples(), 0);
    chain.prepare({ 96000.0, 333, 1 });
    EXPECT_GT(chain.latencySamples(), 0);
    ASSERT_TRUE(chain.currentSpec());
    EXPECT_EQ(chain.currentSpec()->name, "identity");
    const auto x = test::makeBandLimitedSignal(48000, 96000.0);
    const auto y = processAll(chain, { x }, { 333 });
    EXPECT_LT(test::maxDelayedDifference(x, y[0], chain.latencySamples(), 9600), 2e-4);
}

TEST(EffectChain, hotSwapsWhileProcessingWithoutHeapCallsOrClicks)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 128, 2 });
    ModelSpec a = test::identitySpec(48000), b = test::identitySpec(48000, 12);
    b.headBias = 0.05f; // a small, constant offset: the swap must glide to it, not jump
    ASSERT_TRUE(chain.publish(runner(a, chain)));
    {
        // The first model plays before any swap begins, so the first sample is no jump either.
        std::vector<float> l(128, 0.0f), r(128, 0.0f);
        float* first[] = { l.data(), r.data() };
        chain.process(first, 2, 128);
    }

    std::atomic<bool> done { false };
    std::atomic<int> published { 0 };
    std::thread loader([&] {
        while (!done)
        {
            chain.publish(runner(published % 2 ? a : b, chain));
            chain.collectGarbage();
            ++published;
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
        }
    });

    const std::vector<float> silence(128, 0.0f);
    std::vector<float> left(128), right(128);
    float* io[] = { left.data(), right.data() };
    long heapCalls = 0;
    float previous = 0.0f, largestStep = 0.0f;
    // Play until the loader has swapped the model many times, however busy this machine is.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int block = 0; block < 3000 || (published < 30 && std::chrono::steady_clock::now() < deadline); ++block)
    {
        std::copy(silence.begin(), silence.end(), left.begin());
        std::copy(silence.begin(), silence.end(), right.begin());
        {
            test::AllocationCounter counter;
            chain.process(io, 2, 128);
            heapCalls += counter.count();
        }
        for (float v : left)
        {
            largestStep = std::max(largestStep, std::abs(v - previous));
            previous = v;
        }
    }
    done = true;
    loader.join();
    chain.collectGarbage();
    EXPECT_GT(published.load(), 20);
    EXPECT_EQ(heapCalls, 0);
    // 0.05 spread over a 10 ms crossfade (480 samples): about 1e-4 per sample, never a jump.
    EXPECT_LT(largestStep, 0.05f / 100.0f);
}

} // namespace
} // namespace torchamp
