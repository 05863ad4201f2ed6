#include "EffectChain.h"
#include "LibTorchEngine.h"
#include "ModelLoader.h"
#include "TorchModule.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace torchamp
{
namespace
{

LoadedModel load(const char* file, EngineChoice engine)
{
    LoadOptions options;
    options.engine = engine;
    auto loaded = loadModelFile(test::modelPath(file), options);
    EXPECT_TRUE(loaded) << loaded.error();
    return *loaded;
}

/** LibTorch's own module for `file`, as the LibTorch engine takes it (the loader hands the plugin
    an interface to it inside TorchAmpLibTorch.so instead). */
std::shared_ptr<const TorchModule> torchModule(const char* file)
{
    auto bytes = readFileBytes(test::modelPath(file), FileLimits::maxModelBytes);
    EXPECT_TRUE(bytes);
    auto module = TorchModule::load(*bytes, file);
    EXPECT_TRUE(module) << module.error();
    bool skipKnown = false;
    EXPECT_TRUE((*module)->extractSpec(skipKnown));
    return std::shared_ptr<const TorchModule>(std::move(*module));
}

/** Renders x (mono) through a ModelRunner offline, waiting for the engine before every block as
    torchamp-render does, and removes the latency. */
std::vector<float> renderOffline(const LoadedModel& model, const std::vector<float>& x, double rate, int block)
{
    ModelRunner runner(model.spec, { rate, block, 1 }, model.engineFactory());
    const int latency = runner.latencySamples();
    std::vector<float> padded(x);
    padded.resize(x.size() + static_cast<size_t>(latency), 0.0f);
    std::vector<float> out(padded.size());
    for (size_t s = 0; s < padded.size(); s += static_cast<size_t>(block))
    {
        const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(block), padded.size() - s));
        const float* in[] = { padded.data() + s };
        float* o[] = { out.data() + s };
        runner.waitForEngine();
        runner.process(in, o, 1, n);
    }
    return std::vector<float>(out.begin() + latency, out.end());
}

class LibTorchMatchesNative : public ::testing::TestWithParam<std::tuple<const char*, double>>
{
};

TEST_P(LibTorchMatchesNative, onContractModelsWithTheLatencyRemoved)
{
    const auto [file, rate] = GetParam();
    const auto native = load(file, EngineChoice::native);
    const auto libtorch = load(file, EngineChoice::libtorch);
    ASSERT_EQ(libtorch.engine, EngineKind::libtorch);
    const auto x = test::makeTestSignal(static_cast<size_t>(rate), 11);
    EXPECT_LE(test::maxAbsDifference(renderOffline(libtorch, x, rate, 256), renderOffline(native, x, rate, 256)), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, LibTorchMatchesNative,
                         ::testing::Combine(::testing::Values("lstm1x8.pt", "lstm2x24_knobs_skip.pt", "nometa_skip.pt"),
                                            ::testing::Values(48000.0, 96000.0)));

TEST(LibTorchEngine, latencyIsTwoInferenceBlocksInHostSamples)
{
    const auto model = load("lstm1x8.pt", EngineChoice::libtorch);
    ModelRunner atModelRate(model.spec, { 48000.0, 300, 2 }, model.engineFactory());
    EXPECT_EQ(atModelRate.latencySamples(), 600);
    ModelRunner resampled(model.spec, { 44100.0, 256, 2 }, model.engineFactory());
    ModelRunner nativeResampled(model.spec, { 44100.0, 256, 2 });
    // The engine's two blocks, rounded to last a whole number of host samples, on top of resampling.
    const int engineBlock = ModelRunner::alignedModelBlock(ModelRunner::maxModelBlock(model.spec, { 44100.0, 256, 2 }),
                                                           48000, 44100.0);
    EXPECT_EQ(resampled.latencySamples(), nativeResampled.latencySamples() + 2 * engineBlock * 44100 / 48000);
}

TEST(LibTorchEngine, audioModuleRendersWithItsLatencyRemoved)
{
    const auto model = load("waveshaper.pt", EngineChoice::automatic);
    EXPECT_EQ(model.engine, EngineKind::libtorch);
    EXPECT_NE(model.engineReason.find("audio module"), std::string::npos);
    const auto x = test::makeTestSignal(24000, 12);
    const auto y = renderOffline(model, x, 48000.0, 128);
    std::vector<float> expected(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        expected[i] = std::tanh(3.0f * x[i]);
    EXPECT_LE(test::maxAbsDifference(y, expected), 1e-6);
}

TEST(LibTorchEngine, nativeOnlyRefusesAnAudioModule)
{
    LoadOptions options;
    options.engine = EngineChoice::native;
    auto loaded = loadModelFile(test::modelPath("waveshaper.pt"), options);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("the native engine cannot play it"), std::string::npos);
}

TEST(LibTorchEngine, lateResultsPlayTheDelayedInputAndAreCounted)
{
    const auto model = load("lstm1x8.pt", EngineChoice::libtorch);
    LibTorchEngine engine(torchModule("lstm1x8.pt"), model.spec);
    engine.prepare(1, 64);
    engine.setArtificialDelayForTests(200000); // 0.2 s per forward(): far too slow for 64-sample blocks
    const auto x = test::makeTestSignal(64 * 40, 13);
    std::vector<float> y(x.size());
    for (size_t s = 0; s < x.size(); s += 64)
    {
        const float* in[] = { x.data() + s };
        float* out[] = { y.data() + s };
        engine.process(in, out, 1, 64); // never waits: the worker cannot keep up
    }
    EXPECT_GT(engine.underruns(), 30u);
    // Where the result was late, the output is the input delayed by the engine's latency.
    const int latency = engine.latencySamples();
    size_t dry = 0;
    for (size_t i = static_cast<size_t>(latency) + 64 * 4; i < y.size(); ++i)
        dry += y[i] == x[i - static_cast<size_t>(latency)] ? 1 : 0;
    EXPECT_GT(dry, y.size() / 2);
}

TEST(LibTorchEngine, shutsDownCleanlyWithABlockInFlight)
{
    const auto model = load("lstm2x16.pt", EngineChoice::libtorch);
    const auto start = std::chrono::steady_clock::now();
    {
        LibTorchEngine engine(torchModule("lstm2x16.pt"), model.spec);
        engine.prepare(2, 128);
        engine.setArtificialDelayForTests(100000);
        const auto x = test::makeTestSignal(128, 14);
        std::vector<float> y(128);
        const float* in[] = { x.data(), x.data() };
        float* out[] = { y.data(), y.data() };
        engine.process(in, out, 2, 128);
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the worker is inside forward() now
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST(LibTorchEngine, hotSwapsWithTheNativeEngineInTheChain)
{
    EffectChain chain;
    chain.prepare({ 48000.0, 128, 2 });
    const auto native = load("lstm1x32_knob.pt", EngineChoice::native);
    const auto libtorch = load("lstm1x32_knob.pt", EngineChoice::libtorch);
    const auto x = test::makeTestSignal(128, 15);
    std::vector<float> left(128), right(128);
    float* io[] = { left.data(), right.data() };
    for (int swap = 0; swap < 6; ++swap)
    {
        const auto& model = swap % 2 ? native : libtorch;
        ASSERT_TRUE(chain.publish(std::make_unique<ModelRunner>(model.spec, chain.config(), model.engineFactory())));
        for (int b = 0; b < 20; ++b)
        {
            std::copy(x.begin(), x.end(), left.begin());
            std::copy(x.begin(), x.end(), right.begin());
            chain.process(io, 2, 128);
            for (float v : left)
                ASSERT_TRUE(std::isfinite(v));
        }
        chain.collectGarbage();
    }
}

} // namespace
} // namespace torchamp
