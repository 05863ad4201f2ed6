#include "PedalPanel.h"

#include "EditorColours.h"

namespace torchamp
{

namespace
{
constexpr int titleHeight = 26;
constexpr int knobLabelHeight = 18;
} // namespace

PedalPanel::PedalPanel(juce::AudioProcessorValueTreeState& s, const juce::String& name,
                       std::optional<ParameterId> onSwitch)
    : state(s), title(name)
{
    setName(name);
    if (onSwitch)
    {
        onButton.setTooltip("Turns " + name.toLowerCase() + " on and off");
        onButton.setColour(juce::ToggleButton::tickColourId, editorColours::accent);
        onAttachment = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(
            state, parameterInfo(*onSwitch).key, onButton);
        addAndMakeVisible(onButton);
    }
}

PedalPanel::Knob& PedalPanel::addKnob(ParameterId id, const juce::String& name)
{
    auto knob = std::make_unique<Knob>();
    knob->slider.setColour(juce::Slider::rotarySliderFillColourId, editorColours::accent);
    knob->slider.setColour(juce::Slider::textBoxOutlineColourId, juce::Colours::transparentBlack);
    knob->slider.setTextBoxStyle(juce::Slider::TextBoxBelow, false, 72, 16);
    knob->label.setText(name.isEmpty() ? juce::String(parameterInfo(id).name) : name,
                        juce::dontSendNotification);
    knob->label.setJustificationType(juce::Justification::centred);
    knob->label.setColour(juce::Label::textColourId, editorColours::text);
    knob->label.setFont(juce::Font(13.0f));
    knob->attachment = std::make_unique<juce::AudioProcessorValueTreeState::SliderAttachment>(
        state, parameterInfo(id).key, knob->slider);
    addAndMakeVisible(knob->slider);
    addAndMakeVisible(knob->label);
    knobs.push_back(std::move(knob));
    return *knobs.back();
}

void PedalPanel::addFooter(juce::Component& component, int height)
{
    footer.emplace_back(&component, height);
    addAndMakeVisible(component);
}

juce::StringArray PedalPanel::visibleKnobNames() const
{
    juce::StringArray names;
    for (const auto& k : knobs)
        if (k->slider.isVisible())
            names.add(k->label.getText());
    return names;
}

int PedalPanel::knobColumns() const
{
    const auto visible = visibleKnobNames().size();
    return visible <= 2 ? std::max(1, visible) : (visible + 1) / 2;
}

void PedalPanel::paint(juce::Graphics& g)
{
    const auto bounds = getLocalBounds().toFloat().reduced(1.0f);
    const bool on = onAttachment == nullptr || onButton.getToggleState();
    g.setColour(editorColours::panel);
    g.fillRoundedRectangle(bounds, 8.0f);
    g.setColour(on ? editorColours::accent.withAlpha(0.8f) : editorColours::dimText.withAlpha(0.4f));
    g.drawRoundedRectangle(bounds, 8.0f, 1.5f);
    g.setColour(on ? editorColours::accent : editorColours::dimText);
    g.setFont(juce::Font(14.0f, juce::Font::bold));
    g.drawText(title.toUpperCase(), getLocalBounds().removeFromTop(titleHeight).reduced(10, 0),
               juce::Justification::centredLeft);
}

void PedalPanel::resized()
{
    auto area = getLocalBounds().reduced(6);
    auto header = area.removeFromTop(titleHeight - 6);
    onButton.setBounds(header.removeFromRight(28));
    for (auto it = footer.rbegin(); it != footer.rend(); ++it)
        it->first->setBounds(area.removeFromBottom(it->second));

    std::vector<Knob*> visible;
    for (auto& k : knobs)
        if (k->slider.isVisible())
            visible.push_back(k.get());
    if (visible.empty())
        return;
    const int columns = knobColumns();
    const int rows = (static_cast<int>(visible.size()) + columns - 1) / columns;
    const int width = area.getWidth() / columns, height = std::min(area.getHeight() / rows, 120);
    for (size_t i = 0; i < visible.size(); ++i)
    {
        const int row = static_cast<int>(i) / columns, column = static_cast<int>(i) % columns;
        auto cell =
            juce::Rectangle<int>(area.getX() + column * width, area.getY() + row * height, width, height)
                .reduced(2);
        visible[i]->label.setBounds(cell.removeFromTop(knobLabelHeight));
        visible[i]->slider.setBounds(cell);
    }
}

} // namespace torchamp
