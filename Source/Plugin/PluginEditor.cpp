#include "PluginEditor.h"

#include "EditorColours.h"

#include <cmath>

namespace torchamp
{

namespace
{

juce::String formatRate(double hz)
{
    return juce::String(hz / 1000.0, std::fmod(hz, 1000.0) == 0.0 ? 0 : 1) + " kHz";
}

juce::String signedDb(float db)
{
    return (db >= 0.0f ? "+" : "") + juce::String(db, 1) + " dB";
}

} // namespace

TorchAmpEditor::TorchAmpEditor(TorchAmpProcessor& p)
    : AudioProcessorEditor(&p), processor(p), inputPedal(p.parameters(), "Input", std::nullopt),
      gatePedal(p.parameters(), "Gate", ParameterId::gateOn),
      modelPedal(p.parameters(), "Model", std::nullopt),
      tonePedal(p.parameters(), "Tone", ParameterId::toneOn),
      cabinetPedal(p.parameters(), "Cabinet", ParameterId::irOn),
      mixPedal(p.parameters(), "Mix", std::nullopt), outputPedal(p.parameters(), "Output", std::nullopt),
      browser(p.library(),
              LibraryBrowser::Actions{
                  [this](const LibraryEntry& e) { processor.openFile(juce::File(e.path)); },
                  [this] { return processor.modelStatus().path; },
              })
{
    setUpHeader();
    setUpPedals();
    addAndMakeVisible(browser);

    setResizable(true, true);
    setResizeLimits(1000, 560, 1800, 1200);
    setSize(1200, 640);
    refreshModelInfo();
    refreshCabinet();
    refreshCalibration();
    startTimerHz(30);
}

TorchAmpEditor::~TorchAmpEditor()
{
    stopTimer();
}

void TorchAmpEditor::setUpHeader()
{
    title.setText("TORCHAMP", juce::dontSendNotification);
    title.setFont(juce::Font(15.0f, juce::Font::bold));
    title.setColour(juce::Label::textColourId, editorColours::accent);
    modelName.setFont(juce::Font(22.0f, juce::Font::bold));
    modelName.setColour(juce::Label::textColourId, editorColours::text);
    for (auto* l : {&description, &architecture, &cpu, &presetLabel})
    {
        l->setFont(juce::Font(13.0f));
        l->setColour(juce::Label::textColourId, editorColours::dimText);
    }
    status.setFont(juce::Font(13.0f));
    status.setJustificationType(juce::Justification::topLeft);
    cpu.setJustificationType(juce::Justification::centredRight);
    presetLabel.setJustificationType(juce::Justification::centredRight);
    for (auto* l : {&title, &modelName, &description, &architecture, &status, &cpu, &presetLabel})
        addAndMakeVisible(*l);

    loadPresetButton.onClick = [this]
    {
        chooseFile("Load a TorchAmp preset", "*.json", false,
                   [this](const juce::File& f) { processor.loadPresetFile(f); });
    };
    savePresetButton.onClick = [this]
    {
        chooseFile("Save the model, impulse response and every setting as a preset", "*.json", true,
                   [this](const juce::File& f)
                   { processor.savePresetFile(f.withFileExtension("json"), false); });
    };
    addAndMakeVisible(loadPresetButton);
    addAndMakeVisible(savePresetButton);

    // A/B: the native engine against LibTorch's own forward() on its worker thread.
    engineBox.addItem("Engine: auto", 1);
    engineBox.addItem("Engine: native", 2);
    engineBox.addItem("Engine: LibTorch", 3);
    engineBox.setSelectedId(1, juce::dontSendNotification);
    engineBox.onChange = [this]
    {
        const int id = engineBox.getSelectedId();
        processor.setEngineChoice(id == 2   ? EngineChoice::native
                                  : id == 3 ? EngineChoice::libtorch
                                            : EngineChoice::automatic);
    };
    addAndMakeVisible(engineBox);

    safeModeButton.setTooltip(
        "Loading TorchScript runs code from the file inside LibTorch. In safe mode, files "
        "whose code uses operators beyond LSTM, Linear and simple arithmetic are refused.");
    safeModeButton.setToggleState(processor.isSafeMode(), juce::dontSendNotification);
    safeModeButton.onClick = [this] { processor.setSafeMode(safeModeButton.getToggleState()); };
    safeModeButton.setColour(juce::ToggleButton::textColourId, editorColours::dimText);
    addAndMakeVisible(safeModeButton);
}

void TorchAmpEditor::setUpPedals()
{
    auto& state = processor.parameters();
    inputPedal.addKnob(ParameterId::inputGain, "Gain");
    inputPedal.addKnob(ParameterId::interfaceLevel, "Interface");
    calibrateButton.setTooltip("Sets the input gain so the model sees the level it was trained at: your "
                               "interface's input level (dBu at 0 dBFS) against the model's own");
    calibrateAttachment = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(
        state, parameterInfo(ParameterId::calibrateInput).key, calibrateButton);
    inputPedal.addFooter(calibrateButton, 22);
    inputPedal.addFooter(calibrationLabel, 34);

    gatePedal.addKnob(ParameterId::gateThreshold, "Threshold");
    gatePedal.addKnob(ParameterId::gateAttack, "Attack");
    gatePedal.addKnob(ParameterId::gateRelease, "Release");
    gatePedal.addKnob(ParameterId::gateHysteresis, "Hysteresis");
    gatePedal.addFooter(gateLabel, 18);

    for (int k = 0; k < TorchAmpProcessor::knobPoolSize; ++k)
        modelKnobs[static_cast<size_t>(k)] = &modelPedal.addKnob(knobParameter(k));
    loadModelButton.onClick = [this]
    {
        chooseFile("Load a model (TorchScript, NAM, AIDA-X, RTNeural, GuitarML)",
                   "*.pt;*.pth;*.ts;*.nam;*.json", false,
                   [this](const juce::File& f) { processor.loadModelFile(f); });
    };
    modelPedal.addFooter(loadModelButton, 24);

    for (auto id : {ParameterId::bass, ParameterId::middle, ParameterId::treble, ParameterId::presence})
        tonePedal.addKnob(id);
    setUpCabinetControls();
    mixPedal.addKnob(ParameterId::mix, "Wet");
    outputPedal.addKnob(ParameterId::outputGain, "Gain");
    normaliseButton.setTooltip(
        "Plays models that state their loudness (Neural Amp Modeler files) at a common "
        "loudness of -18 dB.");
    normaliseAttachment = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(
        state, parameterInfo(ParameterId::normalise).key, normaliseButton);
    outputPedal.addFooter(normaliseButton, 22);

    for (auto* l : {&calibrationLabel, &gateLabel, &cabinetName})
    {
        l->setFont(juce::Font(12.0f));
        l->setColour(juce::Label::textColourId, editorColours::dimText);
        l->setJustificationType(juce::Justification::topLeft);
    }
    for (auto* pedal : pedals())
        addAndMakeVisible(*pedal);
}

void TorchAmpEditor::setUpCabinetControls()
{
    loadCabinetButton.setTooltip("Load a cabinet impulse response (WAV, AIFF or FLAC, any rate)");
    loadCabinetButton.onClick = [this]
    {
        chooseFile("Load a cabinet impulse response", "*.wav;*.aif;*.aiff;*.flac", false,
                   [this](const juce::File& f) { processor.loadImpulseResponseFile(f); });
    };
    builtInCabinetButton.setTooltip("The built-in cabinet");
    builtInCabinetButton.onClick = [this] { processor.setCabinetSource(CabinetSource::builtIn); };
    latencyBox.addItem("No latency", 1);
    latencyBox.addItem("Low CPU", 2);
    latencyBox.setTooltip("Low CPU convolves in larger blocks, which adds latency");
    latencyBox.onChange = [this]
    {
        processor.setCabinetLatency(latencyBox.getSelectedId() == 2 ? ConvolutionLatency::lowCpu
                                                                    : ConvolutionLatency::zero);
    };
    cabinetPedal.addFooter(cabinetName, 50);
    cabinetPedal.addFooter(loadCabinetButton, 24);
    cabinetPedal.addFooter(builtInCabinetButton, 24);
    cabinetPedal.addFooter(latencyBox, 24);
}

std::vector<PedalPanel*> TorchAmpEditor::pedals()
{
    return {&inputPedal, &gatePedal, &modelPedal, &tonePedal, &cabinetPedal, &mixPedal, &outputPedal};
}

juce::StringArray TorchAmpEditor::pedalTitles()
{
    auto chain = pedals();
    std::stable_sort(chain.begin(), chain.end(), [](auto* a, auto* b) { return a->getX() < b->getX(); });
    juce::StringArray titles;
    for (auto* pedal : chain)
        titles.add(pedal->getName());
    return titles;
}

void TorchAmpEditor::chooseFile(const juce::String& prompt, const juce::String& patterns, bool save,
                                std::function<void(const juce::File&)> then)
{
    chooser = std::make_unique<juce::FileChooser>(prompt, juce::File(), patterns);
    const int flags =
        (save ? juce::FileBrowserComponent::saveMode | juce::FileBrowserComponent::warnAboutOverwriting
              : juce::FileBrowserComponent::openMode) |
        juce::FileBrowserComponent::canSelectFiles;
    chooser->launchAsync(flags,
                         [then](const juce::FileChooser& fc)
                         {
                             if (fc.getResult() != juce::File())
                                 then(fc.getResult());
                         });
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

    juce::String arch =
        spec.summary + ", " + (s.engine == EngineKind::libtorch ? "LibTorch" : "native") + " engine";
    if (spec.sourceFormat.rfind("TorchScript", 0) != 0) // imported from another project's format
        arch << ", from " << juce::String(spec.sourceFormat);
    if (s.engine == EngineKind::native && s.parityMaxAbsError >= 0.0)
        arch << ", matches LibTorch within " << juce::String(s.parityMaxAbsError, 7);
    else if (s.checkingAgainstLibTorch)
        arch << ", comparing with LibTorch...";
    else if (s.engine == EngineKind::libtorch || s.engineReason.find("not compared") != std::string::npos)
        arch << " (" << juce::String(s.engineReason) << ")";
    architecture.setText(arch, juce::dontSendNotification);
    engineBox.setSelectedId(s.engineChoice == EngineChoice::native     ? 2
                            : s.engineChoice == EngineChoice::libtorch ? 3
                                                                       : 1,
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
        line = "Resampling " + formatRate(hostRate) + " -> " + formatRate(spec.sampleRate) +
               " (model rate), latency " + juce::String(processor.getLatencySamples()) + " samples";
    else
        line = "Playing at the model's own rate, " + formatRate(spec.sampleRate) + ", latency " +
               juce::String(processor.getLatencySamples()) + " samples";
    if (!s.isDefault && s.path.size() > 0 && s.lastError.empty() && !s.loading)
        line << "\n" << juce::String(s.path);
    status.setText(line, juce::dontSendNotification);
    status.setColour(juce::Label::textColourId, s.lastError.empty() && shownProblem.empty()
                                                    ? editorColours::dimText
                                                    : editorColours::error);

    for (int k = 0; k < TorchAmpProcessor::knobPoolSize; ++k)
    {
        auto& knob = *modelKnobs[static_cast<size_t>(k)];
        const bool used = k < spec.numKnobs();
        knob.slider.setVisible(used);
        knob.label.setVisible(used);
        if (used)
            knob.label.setText(spec.knobNames[static_cast<size_t>(k)], juce::dontSendNotification);
    }
    refreshCalibration();
    resized();
}

void TorchAmpEditor::refreshCabinet()
{
    const auto s = processor.cabinetStatus();
    shownCabinetGeneration = s.generation;
    juce::String text;
    if (s.source == CabinetSource::none)
        text = "No impulse response";
    else if (const auto info = processor.cabinetInfo())
        text << juce::String(s.source == CabinetSource::builtIn ? "Built-in: " : "") << info->name << "\n"
             << (info->numChannels == 1 ? "mono, " : "stereo, ") << formatRate(info->sampleRate) << ", "
             << static_cast<int>(info->numFrames) << " samples";
    else
        text = juce::String(s.name);
    if (!s.lastError.empty())
        text << "\n" << juce::String(s.lastError);
    cabinetName.setText(text, juce::dontSendNotification);
    cabinetName.setColour(juce::Label::textColourId,
                          s.lastError.empty() ? editorColours::dimText : editorColours::error);
    latencyBox.setSelectedId(processor.cabinetLatency() == ConvolutionLatency::lowCpu ? 2 : 1,
                             juce::dontSendNotification);
}

void TorchAmpEditor::refreshCalibration()
{
    const auto info = processor.modelStatus().info;
    const bool stated = info != nullptr && std::isfinite(info->inputLevelDbu);
    juce::String text;
    if (!stated)
        text = "The model states no\ninput level";
    else
        text << "Model trained at " << juce::String(info->inputLevelDbu, 1) << " dBu\n"
             << (processor.parameterValue(ParameterId::calibrateInput) >= 0.5f
                     ? "Calibration " + signedDb(processor.calibrationGainDb())
                     : juce::String("Calibration off"));
    if (calibrationLabel.getText() != text)
        calibrationLabel.setText(text, juce::dontSendNotification);
}

void TorchAmpEditor::timerCallback()
{
    if (processor.modelStatus().generation != shownGeneration)
        refreshModelInfo();
    else if (processor.isResampling() != status.getText().startsWith("Resampling") ||
             processor.playbackProblem() != shownProblem)
        refreshModelInfo();
    if (processor.cabinetStatus().generation != shownCabinetGeneration)
        refreshCabinet();
    refreshCalibration();
    presetLabel.setText(processor.presetMessage(), juce::dontSendNotification);
    const float reduction = processor.gateReductionDb();
    gateLabel.setText(reduction < -0.05f ? "Closing " + signedDb(reduction) : juce::String("Open"),
                      juce::dontSendNotification);

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
        repaint(meterArea.expanded(16));
    }
}

void TorchAmpEditor::paint(juce::Graphics& g)
{
    g.fillAll(editorColours::background);
    if (dragHover)
    {
        g.setColour(editorColours::accent);
        g.drawRoundedRectangle(getLocalBounds().toFloat().reduced(4.0f), 8.0f, 3.0f);
    }

    // The signal's path from pedal to pedal.
    g.setColour(editorColours::dimText);
    const auto chain = pedals();
    for (size_t i = 0; i + 1 < chain.size(); ++i)
    {
        const auto from = chain[i]->getBounds(), to = chain[i + 1]->getBounds();
        const auto y = static_cast<float>(from.getCentreY());
        g.drawArrow(
            juce::Line<float>(static_cast<float>(from.getRight()), y, static_cast<float>(to.getX()), y), 1.5f,
            6.0f, 6.0f);
    }

    // Output level meter, dBFS from -60 to +6.
    g.setColour(juce::Colours::black.withAlpha(0.4f));
    g.fillRect(meterArea);
    const float db = juce::Decibels::gainToDecibels(meterLevel, -60.0f);
    const float fraction = juce::jlimit(0.0f, 1.0f, (db + 60.0f) / 66.0f);
    auto bar = meterArea.toFloat();
    bar = bar.removeFromBottom(bar.getHeight() * fraction);
    g.setColour(db > 0.0f ? editorColours::error : editorColours::meter);
    g.fillRect(bar);
    g.setColour(editorColours::dimText);
    g.setFont(11.0f);
    g.drawText(juce::String(db, 1) + " dB",
               meterArea.withY(meterArea.getBottom() + 2).withHeight(14).expanded(14, 0),
               juce::Justification::centred);
}

void TorchAmpEditor::resized()
{
    auto area = getLocalBounds().reduced(16);
    auto header = area.removeFromTop(24);
    title.setBounds(header.removeFromLeft(100));
    savePresetButton.setBounds(header.removeFromRight(110));
    header.removeFromRight(6);
    loadPresetButton.setBounds(header.removeFromRight(110));
    header.removeFromRight(6);
    engineBox.setBounds(header.removeFromRight(150));
    header.removeFromRight(6);
    safeModeButton.setBounds(header.removeFromRight(100));
    cpu.setBounds(header);
    auto nameRow = area.removeFromTop(30);
    presetLabel.setBounds(nameRow.removeFromRight(nameRow.getWidth() / 2));
    modelName.setBounds(nameRow);
    description.setBounds(area.removeFromTop(18));
    architecture.setBounds(area.removeFromTop(18));
    status.setBounds(area.removeFromTop(34));
    area.removeFromTop(6);

    browser.setBounds(area.removeFromBottom(juce::jmax(110, area.getHeight() / 3)));
    area.removeFromBottom(10);
    meterArea = area.removeFromRight(16).withTrimmedBottom(18).withTrimmedTop(26);
    area.removeFromRight(10);

    // Each pedal as wide as its knobs (in tenths of a column: the cabinet's controls take two
    // columns, a single knob a little more than one so its title fits), arrows between.
    constexpr int gap = 14;
    const auto chain = pedals();
    std::vector<int> columns;
    for (auto* pedal : chain)
        columns.push_back(pedal == &cabinetPedal      ? 20
                          : pedal->knobColumns() == 1 ? 13
                                                      : 10 * pedal->knobColumns());
    int total = 0;
    for (int c : columns)
        total += c;
    const int available = area.getWidth() - gap * static_cast<int>(chain.size() - 1);
    for (size_t i = 0; i < chain.size(); ++i)
    {
        const int width = i + 1 == chain.size() ? area.getWidth() : available * columns[i] / total;
        chain[i]->setBounds(area.removeFromLeft(width));
        area.removeFromLeft(gap);
    }
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
        processor.openFile(juce::File(files[0]));
}

} // namespace torchamp
