// Opens the real editor (run under Xvfb by ctest), loads models into it and saves screenshots
// into the build folder: editor-screenshot.png (a model with knobs, resampling at 96 kHz) and
// editor-screenshot-error.png (after a failed load).

#include "PluginEditor.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <set>

namespace torchamp
{
namespace
{

class PluginEditor : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { juceInit = std::make_unique<juce::ScopedJuceInitialiser_GUI>(); }
    static void TearDownTestSuite() { juceInit.reset(); }
    static std::unique_ptr<juce::ScopedJuceInitialiser_GUI> juceInit;
};

std::unique_ptr<juce::ScopedJuceInitialiser_GUI> PluginEditor::juceInit;

void play(TorchAmpProcessor& p, int blocks)
{
    juce::AudioBuffer<float> buffer(2, 512);
    juce::MidiBuffer midi;
    const auto signal = test::makeTestSignal(512, 3, 0.8f);
    for (int b = 0; b < blocks; ++b)
    {
        buffer.copyFrom(0, 0, signal.data(), 512);
        buffer.copyFrom(1, 0, signal.data(), 512);
        p.processBlock(buffer, midi);
    }
}

/** Lets the editor's timer see the processor's state, then writes its picture. */
juce::Image snapshot(TorchAmpEditor& editor, const char* file)
{
    for (int i = 0; i < 3; ++i)
    {
        editor.timerCallback_forTests();
    }
    auto image = editor.createComponentSnapshot(editor.getLocalBounds());
    juce::File out(juce::String(TORCHAMP_BUILD_DIR) + "/" + file);
    out.deleteFile();
    juce::FileOutputStream stream(out);
    juce::PNGImageFormat().writeImageToStream(image, stream);
    return image;
}

bool hasContent(const juce::Image& image)
{
    // More than the background: count distinct colours over a coarse grid.
    std::set<juce::uint32> colours;
    for (int y = 0; y < image.getHeight(); y += 4)
        for (int x = 0; x < image.getWidth(); x += 4)
            colours.insert(image.getPixelAt(x, y).getARGB());
    return colours.size() > 20;
}

TEST_F(PluginEditor, showsTheModelItsKnobsResamplingAndLevels)
{
    TorchAmpProcessor p;
    p.loadModelFile(juce::File(test::modelPath("lstm2x24_knobs_skip.pt")));
    ASSERT_TRUE(p.waitForModelLoads());
    p.prepareToPlay(96000.0, 512);
    play(p, 50);

    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    ASSERT_NE(editor, nullptr);
    editor->setSize(960, 470);
    const auto image = snapshot(*editor, "editor-screenshot.png");
    EXPECT_TRUE(hasContent(image));
    EXPECT_TRUE(editor->statusText().startsWith("Resampling 96 kHz -> 48 kHz")) << editor->statusText();
    EXPECT_EQ(editor->visibleModelKnobNames(), juce::StringArray({"drive", "tone"}));
    EXPECT_TRUE(editor->architectureText().startsWith("LSTM 2x24, 2 knobs, skip, 48 kHz, native engine"))
        << editor->architectureText();
}

TEST_F(PluginEditor, showsTheArchitectureOfAWaveNetAndOfALayerSequence)
{
    TorchAmpProcessor p;
    p.prepareToPlay(48000.0, 256);
    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    editor->setSize(960, 470);
    const struct
    {
        std::string path, architecture;
    } models[] = {
        {std::string(TORCHAMP_MODELS_EXT) + "/nam-wavenet/wavenet_a1_standard.nam",
         "WaveNet A1 standard, 13,802 weights, 48 kHz, native engine, from Neural Amp Modeler"},
        {test::modelPath("keras_conv_gru.json"),
         "Dense 8 (tanh) + Conv1d 8 (kernel 3, dilation 2, 2 groups) (tanh) + BatchNorm + PReLU + GRU 1x12, "
         "48 kHz, native engine, from RTNeural JSON"},
    };
    for (const auto& m : models)
    {
        p.loadModelFile(juce::File(m.path));
        ASSERT_TRUE(p.waitForModelLoads());
        play(p, 2);
        snapshot(*editor, "editor-screenshot-architecture.png");
        EXPECT_TRUE(editor->architectureText().startsWith(m.architecture)) << editor->architectureText();
    }
}

TEST_F(PluginEditor, showsWhyALoadFailedAndKeepsTheModel)
{
    TorchAmpProcessor p;
    p.prepareToPlay(48000.0, 256);
    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    p.loadModelFile(juce::File(test::modelPath("nan_weights.pt")));
    ASSERT_TRUE(p.waitForModelLoads());
    editor->setSize(700, 400);
    snapshot(*editor, "editor-screenshot-error.png");
    EXPECT_TRUE(editor->statusText().contains("nan_weights.pt: layer 0 has non-finite weights"))
        << editor->statusText();
    EXPECT_TRUE(editor->statusText().contains("Still playing")) << editor->statusText();
}

TEST_F(PluginEditor, saysWhyTheAudioPassesThroughAtAnUnsupportedHostRate)
{
    TorchAmpProcessor p;
    p.prepareToPlay(1.0, 256);
    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    editor->setSize(700, 400);
    snapshot(*editor, "editor-screenshot-unsupported-rate.png");
    EXPECT_TRUE(editor->statusText().startsWith(
        "Not playing: the host's sample rate, 1 Hz, is outside the 8 kHz..768 kHz"))
        << editor->statusText();
    p.prepareToPlay(48000.0, 256);
    editor->timerCallback_forTests();
    EXPECT_TRUE(editor->statusText().startsWith("Playing at the model's own rate")) << editor->statusText();
}

TEST_F(PluginEditor, opensAndClosesRepeatedlyDuringPlayback)
{
    TorchAmpProcessor p;
    p.prepareToPlay(48000.0, 256);
    for (int i = 0; i < 100; ++i)
    {
        std::unique_ptr<juce::AudioProcessorEditor> editor(p.createEditor());
        editor->setSize(600 + i, 380);
        play(p, 1);
    }
    SUCCEED();
}

} // namespace
} // namespace torchamp
