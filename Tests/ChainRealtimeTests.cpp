// The whole chain on the audio thread: every host rate, block size and channel count of the
// real-time matrix, with an impulse response loaded, the gate and the tone stack on, every
// parameter automated, and the model and the impulse response swapped from another thread while
// it plays. The ordinary build counts heap calls (there must be none); the RealtimeSanitizer build
// runs the same test and halts on any allocation, lock or system call inside process().

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <tuple>

namespace torchamp
{
namespace
{

ImpulseResponse cabinet(unsigned seed, int channels)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    ImpulseResponse ir;
    ir.name = "cabinet-" + std::to_string(seed) + ".wav";
    ir.sampleRate = 48000;
    ir.channels.assign(static_cast<size_t>(channels), std::vector<float>(4800));
    for (auto& ch : ir.channels)
        for (size_t i = 0; i < ch.size(); ++i)
            ch[i] = d(rng) * static_cast<float>(std::exp(-6.0 * static_cast<double>(i) / 4800.0));
    return ir;
}

/** A small LSTM with weights that do something, so the engine does real work. */
ModelSpec busyModel(unsigned seed)
{
    auto spec = test::identitySpec(48000, 8);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-0.3f, 0.3f);
    for (auto* v :
         {&spec.layers[0].weightIh, &spec.layers[0].weightHh, &spec.layers[0].biasIh, &spec.headWeight})
        for (auto& w : *v)
            w = d(rng);
    spec.inputLevelDbu = 9.0f;
    return spec;
}

/** Every parameter somewhere in its range, moving with the block index. */
void automate(EffectChain& chain, int block)
{
    for (const auto& p : parameterCatalogue())
    {
        if (p.id == ParameterId::bypass)
            continue; // bypassed, most stages would rest
        const float phase = static_cast<float>((block * 7 + static_cast<int>(p.id) * 13) % 100) / 100.0f;
        float value = p.minimum + phase * (p.maximum - p.minimum);
        if (p.id == ParameterId::gateOn || p.id == ParameterId::toneOn || p.id == ParameterId::irOn)
            value = block % 50 < 45 ? 1.0f : 0.0f; // on most of the time, switched off now and then
        chain.setParameter(p.id, value);
    }
}

using Case = std::tuple<double, int, int>; // rate, block, channels

class ChainRealtime : public ::testing::TestWithParam<Case>
{
};

TEST_P(ChainRealtime, processMakesNoHeapCallsWhileModelsAndResponsesAreSwapped)
{
    const auto [rate, block, channels] = GetParam();
    EffectChain chain;
    chain.prepare({rate, block, channels});
    const ModelSpec models[] = {busyModel(1), busyModel(2)};
    const ImpulseResponse responses[] = {cabinet(3, 2), cabinet(4, 1)};
    ASSERT_TRUE(chain.publish(std::make_unique<ModelRunner>(models[0], chain.config())));
    ASSERT_EQ(chain.loadImpulseResponse(responses[0]), "");

    std::atomic<bool> done{false};
    std::atomic<int> swaps{0};
    std::thread loader(
        [&]
        {
            for (int i = 1; i <= 4 && !done; ++i)
            {
                auto r = std::make_unique<ModelRunner>(models[i % 2], chain.config());
                r->warmUp();
                chain.publish(std::move(r));
                chain.loadImpulseResponse(responses[i % 2]);
                if (i == 3)
                    chain.unloadImpulseResponse();
                chain.collectGarbage();
                ++swaps;
                std::this_thread::sleep_for(std::chrono::milliseconds(15));
            }
        });

    const auto input = test::makeTestSignal(static_cast<size_t>(block), 12);
    std::vector<std::vector<float>> audio(static_cast<size_t>(channels), input);
    std::vector<float*> io;
    for (auto& a : audio)
        io.push_back(a.data());
    long heapCalls = 0;
    bool finite = true;
    const int minimumBlocks = std::max(20, static_cast<int>(0.25 * rate) / block);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int b = 0; b < minimumBlocks || (swaps < 4 && std::chrono::steady_clock::now() < deadline); ++b)
    {
        for (auto& a : audio)
            std::copy(input.begin(), input.end(), a.begin());
        test::AllocationCounter counter;
        automate(chain, b);
        chain.process(io.data(), channels, block);
        heapCalls += counter.count();
        for (const auto& a : audio)
            for (float v : a)
                finite = finite && std::isfinite(v);
    }
    done = true;
    loader.join();
    chain.collectGarbage();
    EXPECT_EQ(swaps.load(), 4);
    EXPECT_EQ(heapCalls, 0);
    EXPECT_TRUE(finite);
}

std::string caseName(const ::testing::TestParamInfo<Case>& info)
{
    return std::to_string(static_cast<int>(std::get<0>(info.param))) + "Hz_" +
           std::to_string(std::get<1>(info.param)) + "_" + std::to_string(std::get<2>(info.param)) + "ch";
}

INSTANTIATE_TEST_SUITE_P(Matrix, ChainRealtime,
                         ::testing::Combine(::testing::Values(44100.0, 48000.0, 96000.0),
                                            ::testing::Values(1, 16, 64, 128, 333, 512, 2048, 8192),
                                            ::testing::Values(1, 2)),
                         caseName);

} // namespace
} // namespace torchamp
