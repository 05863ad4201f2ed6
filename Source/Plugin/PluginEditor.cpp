#include "PluginEditor.h"

#include <cmath>

namespace torchamp
{

namespace
{
const juce::Colour background { 0xff1d2026 };
const juce::Colour panel { 0xff272b33 };
const juce::Colour accent { 0xffe8a33d };
const juce::Colour textColour { 0xffe6e6e6 };
const juce::Colour dimText { 0xff9aa0aa };
const juce::Colour errorColour { 0xffff6b6b };

juce::String formatRate(double hz)
{
    return juce::String(hz / 1000.0, std::fmod(hz, 1000.0) == 0.0 ? 0 : 1) + " kHz";
}
} // namespace

TorchAmpEditor::TorchAmpEditor(TorchAmpProcessor& p) : AudioProcessorEditor(&p), processor(p)
{
    title.setText("TORCHAMP", juce::dontSendNotification);
    title.setFont(juce::Font(15.0f, juce::Font::bold));
    title.setColour(juce::Label::textColourId, accent);
    modelName.setFont(juce::Font(24.0f, juce::Font::bold));
    modelName.setColour(juce::Label::textColourId, textColour);
    for (auto* l : { &description, &architecture, &cpu })
    {
        l->setFont(juce::Font(14.0f));
        l->setColour(juce::Label::textColourId, dimText);
    }
    status.setFont(juce::Font(14.0f));
    status.setJustificationType(juce::Justification::topLeft);
    cpu.setJustificationType(juce::Justification::centredRight);
    for (auto* l : { &title, &modelName, &description, &architecture, &status, &cpu })
        addAndMakeVisible(*l);

    loadButton.onClick = [this] {
        chooser = std::make_unique<juce::FileChooser>("Load a model (TorchScript, NAM, AIDA-X, RTNeural, GuitarML)",
                                                      juce::File(), "*.pt;*.pth;*.ts;*.nam;*.json");
        chooser->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectFiles,
                             [this](const juce::FileChooser& fc) {
                                 if (fc.getResult() != juce::File())
                                     processor.loadModelFile(fc.getResult());
                             });
    };
    addAndMakeVisible(loadButton);

    // A/B: the native engine against LibTorch's own forward() on its worker thread.
    engineBox.addItem("Engine: auto", 1);
    engineBox.addItem("Engine: native", 2);
    engineBox.addItem("Engine: LibTorch", 3);
    engineBox.setSelectedId(1, juce::dontSendNotification);
    engineBox.onChange = [this] {
        const int id = engineBox.getSelectedId();
        processor.setEngineChoice(id == 2 ? EngineChoice::native : id == 3 ? EngineChoice::libtorch : EngineChoice::automatic);
    };
    addAndMakeVisible(engineBox);

    safeModeButton.setTooltip("Loading TorchScript runs code from the file inside LibTorch. In safe mode, files "
                              "whose code uses operators beyond LSTM, Linear and simple arithmetic are refused.");
    safeModeButton.setToggleState(processor.isSafeMode(), juce::dontSendNotification);
    safeModeButton.onClick = [this] { processor.setSafeMode(safeModeButton.getToggleState()); };
    safeModeButton.setColour(juce::ToggleButton::textColourId, dimText);
    addAndMakeVisible(safeModeButton);

    normaliseButton.setTooltip("Plays models that state their loudness (Neural Amp Modeler files) at a common "
                               "loudness of -18 dB.");
    normaliseButton.setColour(juce::ToggleButton::textColourId, dimText);
    normaliseAttachment = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(
        processor.parameters(), TorchAmpProcessor::hostId(ParameterId::normalise).getParamID(), normaliseButton);
    addAndMakeVisible(normaliseButton);

    setUpKnob(input, TorchAmpProcessor::hostId(ParameterId::inputGain).getParamID(), "Input");
    setUpKnob(output, TorchAmpProcessor::hostId(ParameterId::outputGain).getParamID(), "Output");
    setUpKnob(mix, TorchAmpProcessor::hostId(ParameterId::mix).getParamID(), "Mix");
    for (int k = 0; k < TorchAmpProcessor::knobPoolSize; ++k)
        setUpKnob(modelKnobs[static_cast<size_t>(k)], TorchAmpProcessor::hostId(knobParameter(k)).getParamID(), {});

    setResizable(true, true);
    setResizeLimits(860, 380, 1600, 1000);
    setSize(960, 470);
    refreshModelInfo();
    startTimerHz(30);
}

TorchAmpEditor::~TorchAmpEditor()
{
    stopTimer();
}

void TorchAmpEditor::setUpKnob(LabelledKnob& knob, const juce::String& paramId, const juce::String& name)
{
    knob.slider.setColour(juce::Slider::rotarySliderFillColourId, accent);
    knob.slider.setColour(juce::Slider::textBoxOutlineColourId, juce::Colours::transparentBlack);
    knob.slider.setTextBoxStyle(juce::Slider::TextBoxBelow, false, 70, 18);
    knob.label.setText(name, juce::dontSendNotification);
    knob.label.setJustificationType(juce::Justification::centred);
    knob.label.setColour(juce::Label::textColourId, textColour);
    knob.attachment =
        std::make_unique<juce::AudioProcessorValueTreeState::SliderAttachment>(processor.parameters(), paramId, knob.slider);
    addAndMakeVisible(knob.slider);
    addAndMakeVisible(knob.label);
}

void TorchAmpEditor::refreshModelInfo()
{
    const auto s = processor.modelStatus();
    shownGeneration = s.generation;
    static const ModelInfo none;
    const auto& spec = s.info != nullptr ? *s.info : none;
    modelName.setText(spec.name.empty() ? "(no model)" : juce::String(spec.name), juce::dontSendNotification);
    juce::String about = spec.description;
    if (!spec.author.empty())
        about << (about.isEmpty() ? "" : "  -  ") << "by " << spec.author;
    if (std::isfinite(spec.loudnessDb))
        about << (about.isEmpty() ? "" : "  -  ") << "loudness " << juce::String(spec.loudnessDb, 1) << " dB";
    description.setText(about, juce::dontSendNotification);

    juce::String arch = spec.summary + ", " + (s.engine == EngineKind::libtorch ? "LibTorch" : "native") + " engine";
    if (spec.sourceFormat.rfind("TorchScript", 0) != 0) // imported from another project's format
        arch << ", from " << juce::String(spec.sourceFormat);
    if (s.engine == EngineKind::native && s.parityMaxAbsError >= 0.0)
        arch << ", matches LibTorch within " << juce::String(s.parityMaxAbsError, 7);
    else if (s.checkingAgainstLibTorch)
        arch << ", comparing with LibTorch...";
    else if (s.engine == EngineKind::libtorch || s.engineReason.find("not compared") != std::string::npos)
        arch << " (" << juce::String(s.engineReason) << ")";
    architecture.setText(arch, juce::dontSendNotification);
    engineBox.setSelectedId(s.engineChoice == EngineChoice::native ? 2 : s.engineChoice == EngineChoice::libtorch ? 3 : 1,
                            juce::dontSendNotification);

    const double hostRate = processor.hostSampleRate();
    shownProblem = processor.playbackProblem();
    juce::String line;
    if (s.loading)
        line = "Loading model...";
    else if (!s.lastError.empty())
        line = "Could not load: " + juce::String(s.lastError) + "\nStill playing " + spec.name + ".";
    else if (!shownProblem.empty())
        line = "Not playing: " + juce::String(shownProblem) + ".";
    else if (processor.isResampling())
        line = "Resampling " + formatRate(hostRate) + " -> " + formatRate(spec.sampleRate) + " (model rate), latency "
               + juce::String(processor.getLatencySamples()) + " samples";
    else
        line = "Playing at the model's own rate, " + formatRate(spec.sampleRate) + ", no added latency";
    if (!s.isDefault && s.path.size() > 0 && s.lastError.empty() && !s.loading)
        line << "\n" << juce::String(s.path);
    status.setText(line, juce::dontSendNotification);
    status.setColour(juce::Label::textColourId, s.lastError.empty() && shownProblem.empty() ? dimText : errorColour);

    for (int k = 0; k < TorchAmpProcessor::knobPoolSize; ++k)
    {
        auto& knob = modelKnobs[static_cast<size_t>(k)];
        const bool used = k < spec.numKnobs();
        knob.slider.setVisible(used);
        knob.label.setVisible(used);
        if (used)
            knob.label.setText(spec.knobNames[static_cast<size_t>(k)], juce::dontSendNotification);
    }
    resized();
}

void TorchAmpEditor::timerCallback()
{
    if (processor.modelStatus().generation != shownGeneration)
        refreshModelInfo();
    else if (processor.isResampling() != status.getText().startsWith("Resampling")
             || processor.playbackProblem() != shownProblem)
        refreshModelInfo();
    juce::String load = "CPU " + juce::String(100.0f * processor.cpuLoad(), 1) + "% of the block time";
    if (processor.modelStatus().engine == EngineKind::libtorch)
        load << ", " << juce::String(static_cast<juce::int64>(processor.underruns())) << " late blocks";
    if (const auto resets = processor.stateResets(); resets > 0)
        load << ", " << juce::String(static_cast<juce::int64>(resets)) << " state resets";
    cpu.setText(load, juce::dontSendNotification);
    const float level = processor.outputPeak();
    if (std::abs(level - meterLevel) > 1e-4f)
    {
        meterLevel = level;
        repaint(meterArea);
    }
}

void TorchAmpEditor::paint(juce::Graphics& g)
{
    g.fillAll(background);
    auto area = getLocalBounds().reduced(12);
    g.setColour(panel);
    g.fillRoundedRectangle(area.toFloat(), 8.0f);
    if (dragHover)
    {
        g.setColour(accent);
        g.drawRoundedRectangle(area.toFloat().reduced(2.0f), 8.0f, 3.0f);
    }

    // Output level meter, dBFS from -60 to +6.
    g.setColour(juce::Colours::black.withAlpha(0.4f));
    g.fillRect(meterArea);
    const float db = juce::Decibels::gainToDecibels(meterLevel, -60.0f);
    const float fraction = juce::jlimit(0.0f, 1.0f, (db + 60.0f) / 66.0f);
    auto bar = meterArea.toFloat();
    bar = bar.removeFromBottom(bar.getHeight() * fraction);
    g.setColour(db > 0.0f ? errorColour : juce::Colour(0xff5cc97b));
    g.fillRect(bar);
    g.setColour(dimText);
    g.setFont(11.0f);
    g.drawText(juce::String(db, 1) + " dB", meterArea.withY(meterArea.getBottom() + 2).withHeight(14).expanded(14, 0),
               juce::Justification::centred);
}

void TorchAmpEditor::resized()
{
    auto area = getLocalBounds().reduced(24);
    auto header = area.removeFromTop(22);
    loadButton.setBounds(header.removeFromRight(130));
    header.removeFromRight(8);
    engineBox.setBounds(header.removeFromRight(150));
    header.removeFromRight(8);
    safeModeButton.setBounds(header.removeFromRight(100));
    normaliseButton.setBounds(header.removeFromRight(100));
    cpu.setBounds(header.removeFromRight(240));
    title.setBounds(header);
    modelName.setBounds(area.removeFromTop(32));
    description.setBounds(area.removeFromTop(20));
    architecture.setBounds(area.removeFromTop(20));
    status.setBounds(area.removeFromTop(40));
    area.removeFromTop(8);

    meterArea = area.removeFromRight(18).withTrimmedBottom(18);
    area.removeFromRight(12);

    int visibleModelKnobs = 0;
    for (auto& k : modelKnobs)
        visibleModelKnobs += k.slider.isVisible() ? 1 : 0;
    const int columns = 3 + visibleModelKnobs;
    const int rows = columns > 6 ? 2 : 1;
    const int perRow = (columns + rows - 1) / rows;
    const int width = area.getWidth() / perRow;
    const int height = area.getHeight() / rows;

    std::vector<LabelledKnob*> order { &input };
    for (auto& k : modelKnobs)
        if (k.slider.isVisible())
            order.push_back(&k);
    order.push_back(&mix);
    order.push_back(&output);
    for (size_t i = 0; i < order.size(); ++i)
    {
        const int row = static_cast<int>(i) / perRow, column = static_cast<int>(i) % perRow;
        auto cell = juce::Rectangle<int>(area.getX() + column * width, area.getY() + row * height, width, height).reduced(6);
        order[i]->label.setBounds(cell.removeFromTop(20));
        order[i]->slider.setBounds(cell);
    }
}

juce::StringArray TorchAmpEditor::visibleModelKnobNames() const
{
    juce::StringArray names;
    for (const auto& k : modelKnobs)
        if (k.slider.isVisible())
            names.add(k.label.getText());
    return names;
}

bool TorchAmpEditor::isInterestedInFileDrag(const juce::StringArray& files)
{
    return files.size() == 1;
}

void TorchAmpEditor::fileDragEnter(const juce::StringArray&, int, int)
{
    dragHover = true;
    repaint();
}

void TorchAmpEditor::fileDragExit(const juce::StringArray&)
{
    dragHover = false;
    repaint();
}

void TorchAmpEditor::filesDropped(const juce::StringArray& files, int, int)
{
    dragHover = false;
    repaint();
    if (files.size() == 1)
        processor.loadModelFile(juce::File(files[0]));
}

} // namespace torchamp
