#pragma once

#include "LibraryBrowser.h"
#include "PedalPanel.h"
#include "PluginProcessor.h"

#include <juce_audio_processors/juce_audio_processors.h>
#include <juce_gui_basics/juce_gui_basics.h>

namespace torchamp
{

/** The plugin window. On top, the model that plays and how (name, description, architecture,
    engine, resampling, latency), the CPU load and user presets; in the middle the chain as a
    guitarist reads a pedalboard, left to right: input (gain and calibration), noise gate, model
    (its knobs), tone stack, cabinet impulse response, mix, output and its level meter; below, the
    model library. A model, impulse response or preset is loaded with its button, from the
    library, or by dropping its file on the window. Message thread. */
class TorchAmpEditor : public juce::AudioProcessorEditor,
                       public juce::FileDragAndDropTarget,
                       private juce::Timer
{
public:
    explicit TorchAmpEditor(TorchAmpProcessor&);
    ~TorchAmpEditor() override;

    void paint(juce::Graphics&) override;
    void resized() override;

    bool isInterestedInFileDrag(const juce::StringArray& files) override;
    void filesDropped(const juce::StringArray& files, int x, int y) override;
    void fileDragEnter(const juce::StringArray&, int, int) override;
    void fileDragExit(const juce::StringArray&) override;

    /// What the editor shows, for tests.
    juce::String statusText() const { return status.getText(); }
    juce::String architectureText() const { return architecture.getText(); }
    juce::String cabinetText() const { return cabinetName.getText(); }
    juce::String calibrationText() const { return calibrationLabel.getText(); }
    juce::String presetText() const { return presetLabel.getText(); }
    juce::StringArray visibleModelKnobNames() const { return modelPedal.visibleKnobNames(); }
    /// The pedals' titles as they stand on the window, from left to right.
    juce::StringArray pedalTitles();
    LibraryBrowser& libraryBrowser() { return browser; }
    void timerCallback_forTests() { timerCallback(); }

private:
    void timerCallback() override;
    void setUpHeader();
    void setUpPedals();
    void setUpCabinetControls();
    void refreshModelInfo();
    void refreshCabinet();
    void refreshCalibration();
    void chooseFile(const juce::String& title, const juce::String& patterns, bool save,
                    std::function<void(const juce::File&)> then);
    std::vector<PedalPanel*> pedals();

    TorchAmpProcessor& processor;
    juce::Label title, modelName, description, architecture, status, cpu, presetLabel;
    juce::TextButton loadPresetButton{"Load preset..."}, savePresetButton{"Save preset..."};
    juce::ComboBox engineBox;
    juce::ToggleButton safeModeButton{"Safe mode"};
    std::unique_ptr<juce::FileChooser> chooser;

    PedalPanel inputPedal, gatePedal, modelPedal, tonePedal, cabinetPedal, mixPedal, outputPedal;
    juce::ToggleButton calibrateButton{"Calibrate"}, normaliseButton{"Normalise"};
    std::unique_ptr<juce::AudioProcessorValueTreeState::ButtonAttachment> calibrateAttachment,
        normaliseAttachment;
    juce::Label calibrationLabel, gateLabel, cabinetName;
    juce::TextButton loadModelButton{"Load model..."}, loadCabinetButton{"Load IR..."},
        builtInCabinetButton{"Built-in"};
    juce::ComboBox latencyBox;
    std::array<PedalPanel::Knob*, TorchAmpProcessor::knobPoolSize> modelKnobs{};

    LibraryBrowser browser;
    float meterLevel = 0.0f;
    bool dragHover = false;
    int shownGeneration = -1, shownCabinetGeneration = -1;
    std::string shownProblem; // the processor's playbackProblem() as last shown
    juce::Rectangle<int> meterArea;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TorchAmpEditor)
};

} // namespace torchamp
