#pragma once

#include "Parameters.h"

#include <juce_audio_processors/juce_audio_processors.h>
#include <juce_gui_basics/juce_gui_basics.h>

#include <memory>
#include <optional>
#include <vector>

namespace torchamp
{

/** One stage of the chain as a pedal on the editor's pedalboard: a title, an optional on/off
    switch, knobs attached to host parameters (laid out in up to two rows) and lines of text or
    controls under them. Message thread. */
class PedalPanel : public juce::Component
{
public:
    /// A knob and its name, attached to one host parameter.
    struct Knob
    {
        juce::Slider slider{juce::Slider::RotaryHorizontalVerticalDrag, juce::Slider::TextBoxBelow};
        juce::Label label;
        std::unique_ptr<juce::AudioProcessorValueTreeState::SliderAttachment> attachment;
    };

    /// `onSwitch`: the toggle parameter that turns the stage on and off, if it has one.
    PedalPanel(juce::AudioProcessorValueTreeState& state, const juce::String& title,
               std::optional<ParameterId> onSwitch);

    /// Adds a knob for `id` named `name` (the catalogue's name when empty); returns it so the
    /// caller may rename or hide it.
    Knob& addKnob(ParameterId id, const juce::String& name = {});
    /// Places `component` (owned by the caller) under the knobs, `height` pixels tall.
    void addFooter(juce::Component& component, int height);

    /// The names of the knobs that are visible, in order.
    juce::StringArray visibleKnobNames() const;
    /// How many knob columns the visible knobs take: what the pedal's width follows.
    int knobColumns() const;

    void paint(juce::Graphics&) override;
    void resized() override;

private:
    juce::AudioProcessorValueTreeState& state;
    juce::String title;
    juce::ToggleButton onButton;
    std::unique_ptr<juce::AudioProcessorValueTreeState::ButtonAttachment> onAttachment;
    std::vector<std::unique_ptr<Knob>> knobs;
    std::vector<std::pair<juce::Component*, int>> footer;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(PedalPanel)
};

} // namespace torchamp
