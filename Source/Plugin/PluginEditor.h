#pragma once

#include "PluginProcessor.h"

#include <juce_audio_processors/juce_audio_processors.h>
#include <juce_gui_basics/juce_gui_basics.h>

namespace torchamp
{

/** The plugin window: what model plays and how (name, description, architecture, engine,
    resampling, latency), the knobs, a level meter and the CPU load; load a model with the button
    or by dropping a .pt file. Message thread. */
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
    juce::StringArray visibleModelKnobNames() const;
    void timerCallback_forTests() { timerCallback(); }

private:
    struct LabelledKnob
    {
        juce::Slider slider { juce::Slider::RotaryHorizontalVerticalDrag, juce::Slider::TextBoxBelow };
        juce::Label label;
        std::unique_ptr<juce::AudioProcessorValueTreeState::SliderAttachment> attachment;
    };

    void timerCallback() override;
    void refreshModelInfo();
    void setUpKnob(LabelledKnob& knob, const juce::String& paramId, const juce::String& name);

    TorchAmpProcessor& processor;
    juce::Label title, modelName, description, architecture, status, cpu;
    juce::TextButton loadButton { "Load model..." };
    juce::ComboBox engineBox;
    juce::ToggleButton safeModeButton { "Safe mode" };
    juce::ToggleButton normaliseButton { "Normalise" };
    std::unique_ptr<juce::AudioProcessorValueTreeState::ButtonAttachment> normaliseAttachment;
    std::unique_ptr<juce::FileChooser> chooser;
    LabelledKnob input, output, mix;
    std::array<LabelledKnob, TorchAmpProcessor::knobPoolSize> modelKnobs;
    float meterLevel = 0.0f;
    bool dragHover = false;
    int shownGeneration = -1;
    std::string shownProblem; // the processor's playbackProblem() as last shown
    juce::Rectangle<int> meterArea;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TorchAmpEditor)
};

} // namespace torchamp
