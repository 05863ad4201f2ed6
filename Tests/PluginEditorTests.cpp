// Opens the real editor (run under Xvfb by ctest), loads models into it and saves screenshots
// into the build folder: editor-screenshot.png (a model with knobs, resampling at 96 kHz, the
// built-in cabinet, a library) and editor-screenshot-error.png (after a failed load).

#include "PluginEditor.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <unistd.h>

namespace torchamp
{
namespace
{

class PluginEditor : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        // The library remembers its folder in the user's settings: here, in a folder of the test's own.
        const auto config = juce::File::getSpecialLocation(juce::File::tempDirectory)
                                .getChildFile("torchamp-editor-config-" + juce::String(::getpid()));
        config.deleteRecursively();
        ::setenv("XDG_CONFIG_HOME", config.getFullPathName().toRawUTF8(), 1);
        juceInit = std::make_unique<juce::ScopedJuceInitialiser_GUI>();
    }
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

/** A library folder of a few models, the built-in cabinet's file and nothing else. */
juce::File makeLibraryFolder()
{
    const auto folder = juce::File::getSpecialLocation(juce::File::tempDirectory)
                            .getChildFile("torchamp-editor-library-" + juce::String(::getpid()));
    folder.deleteRecursively();
    folder.getChildFile("cabinets").createDirectory();
    for (const char* model : {"lstm2x24_knobs_skip.pt", "lstm1x40.pt", "lstm2x16.pt", "wavenet_small.nam"})
        EXPECT_TRUE(juce::File(test::modelPath(model)).copyFileTo(folder.getChildFile(model)));
    EXPECT_TRUE(juce::File(juce::String(PROJECT_SOURCE_DIR) + "/Resources/DefaultCabinet.wav")
                    .copyFileTo(folder.getChildFile("cabinets/Celestion 4x12.wav")));
    Preset crunch;
    crunch.name = "Crunch";
    crunch.model = PresetAsset{"lstm2x24_knobs_skip.pt", {}, std::nullopt, false};
    crunch.impulseResponse = PresetAsset{{}, {}, std::nullopt, true};
    crunch.parameters = {{ParameterId::gateOn, 1.0f}, {ParameterId::bass, 3.0f}, {ParameterId::knob1, 0.7f}};
    EXPECT_EQ(writePreset(folder.getChildFile("Crunch.json").getFullPathName().toStdString(), crunch), "");
    return folder;
}

TEST_F(PluginEditor, showsTheModelItsKnobsResamplingAndLevels)
{
    TorchAmpProcessor p;
    p.loadModelFile(juce::File(test::modelPath("lstm2x24_knobs_skip.pt")));
    ASSERT_TRUE(p.waitForModelLoads());
    p.parameters().getParameter("gateOn")->setValueNotifyingHost(1.0f);
    p.prepareToPlay(96000.0, 512);
    play(p, 50);
    const auto folder = makeLibraryFolder();
    p.library().setFolder(folder);
    ASSERT_TRUE(p.library().waitForScan(30000));

    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    ASSERT_NE(editor, nullptr);
    editor->setSize(1200, 640);
    editor->libraryBrowser().refresh();
    const auto image = snapshot(*editor, "editor-screenshot.png");
    EXPECT_EQ(editor->pedalTitles(),
              juce::StringArray({"Input", "Gate", "Model", "Tone", "Cabinet", "Mix", "Output"}));
    EXPECT_TRUE(editor->cabinetText().startsWith("Built-in: DefaultCabinet.wav")) << editor->cabinetText();
    EXPECT_EQ(editor->libraryBrowser().shownNames(),
              juce::StringArray({"Celestion 4x12.wav", "Crunch.json", "lstm1x40.pt", "lstm2x16.pt",
                                 "lstm2x24_knobs_skip.pt", "wavenet_small.nam"}));
    folder.deleteRecursively();
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
    struct Expected
    {
        std::string path, architecture;
    };
    std::vector<Expected> models{
        {test::modelPath("keras_conv_gru.json"),
         "Dense 8 (tanh) + Conv1d 8 (kernel 3, dilation 2, 2 groups) (tanh) + BatchNorm + PReLU + GRU 1x12, "
         "48 kHz, native engine, from RTNeural JSON"}};
    // The peer projects' files live beside the repository (../shared), which a bare clone lacks.
    const std::string standard = std::string(TORCHAMP_MODELS_EXT) + "/nam-wavenet/wavenet_a1_standard.nam";
    if (juce::File(standard).existsAsFile())
        models.push_back(
            {standard, "WaveNet A1 standard, 13,802 weights, 48 kHz, native engine, from Neural Amp Modeler"});
    else
        std::cout << "not found, not checked: " << standard << "\n";
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

TEST_F(PluginEditor, theLibrarySearchesByNameAndStepsThroughItsModels)
{
    TorchAmpProcessor p;
    const auto folder = makeLibraryFolder();
    p.library().setFolder(folder);
    ASSERT_TRUE(p.library().waitForScan(30000));
    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    auto& browser = editor->libraryBrowser();
    browser.refresh();
    const auto snapshot = p.library().snapshot();
    for (const auto& e : snapshot->entries)
        EXPECT_TRUE(e.read && e.error.empty()) << e.name << ": " << e.error;
    const auto wavenet = std::find_if(snapshot->entries.begin(), snapshot->entries.end(),
                                      [](const LibraryEntry& e) { return e.name == "wavenet_small.nam"; });
    ASSERT_NE(wavenet, snapshot->entries.end());
    EXPECT_TRUE(LibraryBrowser::describeEntry(*wavenet).contains("WaveNet"))
        << LibraryBrowser::describeEntry(*wavenet);
    const auto crunch = std::find_if(snapshot->entries.begin(), snapshot->entries.end(),
                                     [](const LibraryEntry& e) { return e.name == "Crunch.json"; });
    ASSERT_NE(crunch, snapshot->entries.end());
    EXPECT_EQ(crunch->kind, LibraryEntryKind::preset);

    // A preset opened from the library sets its model (by a path relative to the preset) and parameters.
    p.openFile(juce::File(crunch->path));
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.presetMessage(), "Loaded preset Crunch.json");
    EXPECT_EQ(p.modelStatus().info->name, "lstm2x24_knobs_skip");
    EXPECT_EQ(p.parameters().getRawParameterValue("bass")->load(), 3.0f);

    browser.setSearch("LSTM 2x");
    EXPECT_EQ(browser.shownNames(), juce::StringArray({"lstm2x16.pt", "lstm2x24_knobs_skip.pt"}));
    browser.stepModel(1); // the default model is not among them: the first one
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().path, folder.getChildFile("lstm2x16.pt").getFullPathName().toStdString());
    browser.stepModel(1);
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().path,
              folder.getChildFile("lstm2x24_knobs_skip.pt").getFullPathName().toStdString());
    browser.stepModel(1); // wraps around
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().path, folder.getChildFile("lstm2x16.pt").getFullPathName().toStdString());
    browser.stepModel(-1);
    ASSERT_TRUE(p.waitForModelLoads());
    EXPECT_EQ(p.modelStatus().path,
              folder.getChildFile("lstm2x24_knobs_skip.pt").getFullPathName().toStdString());

    // Opening an impulse response from the library loads it into the cabinet.
    p.openFile(folder.getChildFile("cabinets/Celestion 4x12.wav"));
    ASSERT_TRUE(p.waitForModelLoads());
    editor->timerCallback_forTests();
    EXPECT_TRUE(editor->cabinetText().startsWith("Celestion 4x12.wav")) << editor->cabinetText();
    folder.deleteRecursively();
}

TEST_F(PluginEditor, showsTheCalibrationGainForAModelThatStatesItsInputLevel)
{
    const juce::File nam(juce::String(PROJECT_SOURCE_DIR) + "/../shared/models-ext/nam/lstm.nam");
    if (!nam.existsAsFile())
        GTEST_SKIP() << "the shared model files are not beside the repository";
    TorchAmpProcessor p;
    std::unique_ptr<TorchAmpEditor> editor(dynamic_cast<TorchAmpEditor*>(p.createEditor()));
    editor->timerCallback_forTests();
    EXPECT_TRUE(editor->calibrationText().startsWith("The model states no")) << editor->calibrationText();
    p.loadModelFile(nam);
    ASSERT_TRUE(p.waitForModelLoads());
    auto set = [&](const char* id, float value)
    {
        auto* parameter = p.parameters().getParameter(id);
        parameter->setValueNotifyingHost(parameter->convertTo0to1(value));
    };
    set("calibrateInput", 1.0f);
    set("interfaceLevel", 12.0f);
    editor->timerCallback_forTests();
    // The model was trained at 18.3 dBu at 0 dBFS; an interface at 12 dBu needs 6.3 dB less gain.
    EXPECT_EQ(editor->calibrationText(), "Model trained at 18.3 dBu\nCalibration -6.3 dB");
    EXPECT_NEAR(p.calibrationGainDb(), -6.3f, 1e-4f);
    set("calibrateInput", 0.0f);
    editor->timerCallback_forTests();
    EXPECT_EQ(editor->calibrationText(), "Model trained at 18.3 dBu\nCalibration off");
}

} // namespace
} // namespace torchamp
