#include "AllocationCounter.h"
#include "ModelLoader.h"
#include "PluginProcessor.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

namespace torchamp
{
namespace
{

class PluginProcessor : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { juceInit = std::make_unique<juce::ScopedJuceInitialiser_GUI>(); }
    static void TearDownTestSuite() { juceInit.reset(); }

    static void setLayout(TorchAmpProcessor& p, int channels)
    {
        const auto set = channels == 1 ? juce::AudioChannelSet::mono() : juce::AudioChannelSet::stereo();
        juce::AudioProcessor::BusesLayout layout;
        layout.inputBuses.add(set);
        layout.outputBuses.add(set);
        ASSERT_TRUE(p.setBusesLayout(layout));
    }

    static std::unique_ptr<juce::ScopedJuceInitialiser_GUI> juceInit;
};

std::unique_ptr<juce::ScopedJuceInitialiser_GUI> PluginProcessor::juceInit;

TEST_F(PluginProcessor, defaultModelIsActiveFromConstruction)
{
    TorchAmpProcessor p;
    EXPECT_FALSE(p.modelSpec().layers.empty());
    EXPECT_FALSE(p.modelSpec().name.empty());
}

TEST_F(PluginProcessor, rejectsLayoutsOtherThanMonoAndStereo)
{
    TorchAmpProcessor p;
    juce::AudioProcessor::BusesLayout layout;
    layout.inputBuses.add(juce::AudioChannelSet::create5point1());
    layout.outputBuses.add(juce::AudioChannelSet::create5point1());
    EXPECT_FALSE(p.checkBusesLayoutSupported(layout));
    layout.inputBuses.getReference(0) = juce::AudioChannelSet::mono();
    layout.outputBuses.getReference(0) = juce::AudioChannelSet::stereo();
    EXPECT_FALSE(p.checkBusesLayoutSupported(layout));
}

TEST_F(PluginProcessor, atUnityGainAndFullMixItPlaysExactlyTheEngine)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    p.prepareToPlay(48000.0, 256);
    const auto left = test::makeTestSignal(48000, 1);
    const auto right = test::makeTestSignal(48000, 2, 0.5f);
    juce::AudioBuffer<float> buffer(2, 256);
    juce::MidiBuffer midi;
    std::vector<float> outL, outR;
    for (size_t start = 0; start + 256 <= left.size(); start += 256)
    {
        buffer.copyFrom(0, 0, left.data() + start, 256);
        buffer.copyFrom(1, 0, right.data() + start, 256);
        p.processBlock(buffer, midi);
        outL.insert(outL.end(), buffer.getReadPointer(0), buffer.getReadPointer(0) + 256);
        outR.insert(outR.end(), buffer.getReadPointer(1), buffer.getReadPointer(1) + 256);
    }
    const auto& spec = p.modelSpec();
    auto trimmed = [&](const std::vector<float>& x) { return std::vector<float>(x.begin(), x.begin() + outL.size()); };
    EXPECT_LE(test::maxAbsDifference(outL, renderNative(spec, trimmed(left), spec.knobDefaults, 256)), 1e-6);
    EXPECT_LE(test::maxAbsDifference(outR, renderNative(spec, trimmed(right), spec.knobDefaults, 256)), 1e-6);
}

class ProcessorMatrix : public PluginProcessor,
                        public ::testing::WithParamInterface<std::tuple<double, int, int>>
{
};

TEST_P(ProcessorMatrix, finiteOutputAndNoHeapCallsInProcessBlock)
{
    const auto [rate, block, channels] = GetParam();
    TorchAmpProcessor p;
    setLayout(p, channels);
    p.prepareToPlay(rate, block);
    const auto signal = test::makeTestSignal(static_cast<size_t>(block) * 8);
    juce::AudioBuffer<float> buffer(channels, block);
    juce::MidiBuffer midi;
    auto* gain = p.parameters().getParameter(TorchAmpProcessor::ParameterIds::inputGain.getParamID());
    auto* mix = p.parameters().getParameter(TorchAmpProcessor::ParameterIds::mix.getParamID());

    long heapCalls = 0;
    for (int b = 0; b < 8; ++b)
    {
        for (int ch = 0; ch < channels; ++ch)
            buffer.copyFrom(ch, 0, signal.data() + b * block, block);
        gain->setValueNotifyingHost(static_cast<float>(b) / 8.0f); // automation while playing
        mix->setValueNotifyingHost(1.0f - static_cast<float>(b) / 16.0f);
        {
            test::AllocationCounter counter;
            p.processBlock(buffer, midi);
            heapCalls += counter.count();
        }
        for (int ch = 0; ch < channels; ++ch)
            for (int i = 0; i < block; ++i)
                ASSERT_TRUE(std::isfinite(buffer.getSample(ch, i)));
    }
    EXPECT_EQ(heapCalls, 0);
}

INSTANTIATE_TEST_SUITE_P(RatesBlocksChannels, ProcessorMatrix,
                         ::testing::Combine(::testing::Values(44100.0, 48000.0, 96000.0),
                                            ::testing::Values(1, 16, 64, 128, 333, 512, 2048, 8192),
                                            ::testing::Values(1, 2)));

TEST_F(PluginProcessor, blockLargerThanAnnouncedIsProcessedInChunks)
{
    TorchAmpProcessor p;
    setLayout(p, 2);
    p.prepareToPlay(48000.0, 64);
    juce::AudioBuffer<float> buffer(2, 1000);
    const auto signal = test::makeTestSignal(1000);
    buffer.copyFrom(0, 0, signal.data(), 1000);
    buffer.copyFrom(1, 0, signal.data(), 1000);
    juce::MidiBuffer midi;
    test::AllocationCounter counter;
    p.processBlock(buffer, midi);
    EXPECT_EQ(counter.count(), 0);
    const auto& spec = p.modelSpec();
    std::vector<float> out(buffer.getReadPointer(0), buffer.getReadPointer(0) + 1000);
    EXPECT_LE(test::maxAbsDifference(out, renderNative(spec, signal, spec.knobDefaults, 64)), 1e-6);
}

TEST_F(PluginProcessor, parametersSurviveAStateRoundTrip)
{
    juce::MemoryBlock saved;
    {
        TorchAmpProcessor p;
        p.parameters().getParameter("outputGain")->setValueNotifyingHost(0.25f);
        p.parameters().getParameter("knob1")->setValueNotifyingHost(0.75f);
        p.getStateInformation(saved);
    }
    TorchAmpProcessor q;
    q.setStateInformation(saved.getData(), static_cast<int>(saved.getSize()));
    EXPECT_NEAR(q.parameters().getParameter("outputGain")->getValue(), 0.25f, 1e-6);
    EXPECT_NEAR(q.parameters().getParameter("knob1")->getValue(), 0.75f, 1e-6);
}

TEST_F(PluginProcessor, garbageStateKeepsTheDefaults)
{
    TorchAmpProcessor p;
    const auto before = p.parameters().getParameter("outputGain")->getValue();
    const char junk[] = "definitely not a TorchAmp state";
    p.setStateInformation(junk, sizeof junk);
    p.setStateInformation(nullptr, 0);
    EXPECT_EQ(p.parameters().getParameter("outputGain")->getValue(), before);
}

} // namespace
} // namespace torchamp
