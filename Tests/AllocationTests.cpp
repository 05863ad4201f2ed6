#include "AllocationCounter.h"
#include "ModelLoader.h"
#include "NativeEngineFactory.h"
#include "RealtimeSafety.h"
#include "RecurrentNetwork.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

namespace torchamp::test
{

/** Keeps the compiler from eliding an allocation whose result is otherwise unused. */
void escape(void* p)
{
    asm volatile("" : : "g"(p) : "memory");
}

TEST(AllocationCounter, seesMallocAndNew)
{
    if (!AllocationCounter::available())
        GTEST_SKIP() << "sanitizer build: the sanitizer's own malloc replaces the counter";
    AllocationCounter counter;
    auto* p = new int(3);
    escape(p);
    delete p;
    void* q = std::malloc(10);
    escape(q);
    std::free(q);
    EXPECT_EQ(counter.count(), 4);
}

#if TORCHAMP_RTSAN
[[gnu::noinline]] void allocateInARealtimeContext() noexcept TORCHAMP_NONBLOCKING
{
    auto* p = new int(1); // the violation RTSan must catch
    escape(p);
    delete p;
}

TEST(RealtimeSanitizer, haltsOnAnAllocationInANonblockingFunction)
{
    // Proves the sanitizer is live in this build, so a green run of the other tests means something.
    EXPECT_DEATH(allocateInARealtimeContext(), "RealtimeSanitizer");
}
#endif

class EngineAllocations : public ::testing::TestWithParam<const char*>
{
};

TEST_P(EngineAllocations, processMakesNoHeapCallsAfterPrepare)
{
    auto loaded = loadModelFile(modelPath(GetParam()));
    ASSERT_TRUE(loaded) << loaded.error();
    RecurrentNetwork net(loaded->spec);
    net.prepare(2);
    const auto signal = makeTestSignal(8192);
    std::vector<float> left(8192), right(8192);

    AllocationCounter counter;
    for (int block : {1, 16, 64, 128, 333, 512, 2048, 8192})
        for (int repeat = 0; repeat < 4; ++repeat)
        {
            const float* in[] = {signal.data(), signal.data()};
            float* out[] = {left.data(), right.data()};
            for (int k = 0; k < net.numKnobs(); ++k)
                net.setKnob(k, 0.1f * static_cast<float>(repeat));
            net.process(in, out, 2, block);
        }
    net.reset();
    EXPECT_EQ(counter.count(), 0);
}

INSTANTIATE_TEST_SUITE_P(ContractModels, EngineAllocations,
                         ::testing::Values("lstm1x8.pt", "lstm2x24_knobs_skip.pt", "lstm1x64.pt",
                                           "lstm3x20_44k.pt"));

class LayerSequenceAllocations : public ::testing::TestWithParam<const char*>
{
};

/** The layer engine (a Keras sequence: dense first, a dilated grouped convolution, batchnorm,
    PReLU, a GRU) as the loader builds it: no heap call in process, setKnob or reset after prepare,
    at any block size, mono or stereo. In the RealtimeSanitizer build RTSan judges the same calls. */
TEST_P(LayerSequenceAllocations, processMakesNoHeapCallsAfterPrepare)
{
    auto loaded = loadModelFile(modelPath(GetParam()));
    ASSERT_TRUE(loaded) << loaded.error();
    ASSERT_FALSE(loaded->spec.sequence.empty());
    auto engine = makeNativeEngine(loaded->spec);
    engine->prepare(2, 8192);
    const auto signal = makeTestSignal(8192);
    std::vector<float> left(8192), right(8192);

    AllocationCounter counter;
    for (int block : {1, 16, 64, 128, 333, 512, 2048, 8192})
        for (int channels : {1, 2})
        {
            const float* in[] = {signal.data(), signal.data()};
            float* out[] = {left.data(), right.data()};
            engine->setKnob(0, 0.1f * static_cast<float>(block % 7));
            engine->process(in, out, channels, block);
        }
    engine->reset();
    if (AllocationCounter::available())
        EXPECT_EQ(counter.count(), 0);
    for (float y : left)
        ASSERT_TRUE(std::isfinite(y));
}

INSTANTIATE_TEST_SUITE_P(LayerSequenceModels, LayerSequenceAllocations,
                         ::testing::Values("keras_conv_gru.json"));

} // namespace torchamp::test
