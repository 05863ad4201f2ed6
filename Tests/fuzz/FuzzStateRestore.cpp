// libFuzzer target: any bytes as a saved session, restored into the real processor, which then
// plays a block. It must never crash, hang or leak, and must keep playing finite audio.

#include "PluginProcessor.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace
{
struct Host
{
    juce::ScopedJuceInitialiser_GUI juce;
    torchamp::TorchAmpProcessor processor;
    Host() { processor.prepareToPlay(48000.0, 256); }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static Host host;
    auto& p = host.processor;
    p.setStateInformation(data, static_cast<int>(size));
    p.waitForModelLoads();
    juce::AudioBuffer<float> buffer(2, 256);
    buffer.clear();
    buffer.setSample(0, 0, 0.5f);
    juce::MidiBuffer midi;
    p.processBlock(buffer, midi);
    for (int ch = 0; ch < 2; ++ch)
        for (int i = 0; i < 256; ++i)
            if (!std::isfinite(buffer.getSample(ch, i)))
                __builtin_trap();
    return 0;
}
