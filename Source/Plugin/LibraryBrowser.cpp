#include "LibraryBrowser.h"

#include "EditorColours.h"

namespace torchamp
{

namespace
{

juce::String kindName(LibraryEntryKind kind)
{
    switch (kind)
    {
        case LibraryEntryKind::impulseResponse:
            return "impulse response";
        case LibraryEntryKind::preset:
            return "preset";
        case LibraryEntryKind::model:
            break;
    }
    return "model";
}

} // namespace

LibraryBrowser::LibraryBrowser(ModelLibrary& l, Actions a) : library(l), actions(std::move(a))
{
    folderButton.onClick = [this] { chooseFolder(); };
    previousButton.onClick = [this] { stepModel(-1); };
    nextButton.onClick = [this] { stepModel(1); };
    previousButton.setTooltip("The previous model of the library (among those the search shows)");
    nextButton.setTooltip("The next model of the library (among those the search shows)");
    search.setTextToShowWhenEmpty("Search by name", editorColours::dimText);
    search.onTextChange = [this] { setSearch(search.getText()); };
    folderLabel.setColour(juce::Label::textColourId, editorColours::dimText);
    folderLabel.setFont(juce::Font(13.0f));
    list.setRowHeight(20);
    list.setColour(juce::ListBox::backgroundColourId, editorColours::panel);
    for (auto* c : std::initializer_list<juce::Component*>{&folderButton, &previousButton, &nextButton,
                                                           &search, &folderLabel, &list})
        addAndMakeVisible(*c);
    refresh();
    startTimerHz(4);
}

LibraryBrowser::~LibraryBrowser()
{
    stopTimer();
}

void LibraryBrowser::refresh()
{
    shown = library.snapshot();
    rows = ModelLibrary::filter(shown->entries, search.getText().toStdString(), std::nullopt);
    juce::String about;
    if (shown->folder.empty())
        about = "Choose a folder of models, impulse responses and presets";
    else if (!shown->problem.empty())
        about = shown->problem;
    else
    {
        about << shown->folder << "  -  " << static_cast<int>(shown->entries.size()) << " files";
        if (shown->scanning)
            about << ", reading " << static_cast<int>(shown->entriesRead) << "...";
        if (shown->truncated)
            about << " (the first " << static_cast<int>(ModelLibrary::maxEntries) << ")";
    }
    folderLabel.setText(about, juce::dontSendNotification);
    list.updateContent();
    list.repaint();
}

void LibraryBrowser::timerCallback()
{
    if (library.snapshot()->generation != shown->generation)
        refresh();
}

void LibraryBrowser::setSearch(const juce::String& text)
{
    if (search.getText() != text)
        search.setText(text, juce::dontSendNotification);
    refresh();
}

void LibraryBrowser::stepModel(int step)
{
    const auto models =
        ModelLibrary::filter(shown->entries, search.getText().toStdString(), LibraryEntryKind::model);
    const auto playing = actions.playingModelPath ? actions.playingModelPath() : std::string();
    if (const auto next = ModelLibrary::neighbour(shown->entries, models, playing, step))
    {
        const auto row = std::find(rows.begin(), rows.end(), *next);
        if (row != rows.end())
            list.selectRow(static_cast<int>(row - rows.begin()));
        actions.open(shown->entries[*next]);
    }
}

juce::StringArray LibraryBrowser::shownNames() const
{
    juce::StringArray names;
    for (auto i : rows)
        names.add(shown->entries[i].name);
    return names;
}

juce::String LibraryBrowser::describeEntry(const LibraryEntry& e)
{
    const auto kilobytes = static_cast<double>(e.sizeBytes) / 1024.0;
    const auto size = kilobytes < 10.0     ? juce::String(kilobytes, 1) + " KB"
                      : kilobytes < 1024.0 ? juce::String(juce::roundToInt(kilobytes)) + " KB"
                                           : juce::String(kilobytes / 1024.0, 1) + " MB";
    juce::String what = !e.read            ? juce::String("...")
                        : !e.error.empty() ? "cannot play: " + juce::String(e.error)
                                           : juce::String(e.description);
    return juce::String(e.name) + "  -  " + kindName(e.kind) + "  -  " + what + "  -  " + size;
}

void LibraryBrowser::resized()
{
    auto area = getLocalBounds();
    auto top = area.removeFromTop(24);
    folderButton.setBounds(top.removeFromLeft(130));
    top.removeFromLeft(6);
    previousButton.setBounds(top.removeFromLeft(28));
    nextButton.setBounds(top.removeFromLeft(28));
    top.removeFromLeft(6);
    search.setBounds(top.removeFromLeft(220));
    top.removeFromLeft(8);
    folderLabel.setBounds(top);
    area.removeFromTop(4);
    list.setBounds(area);
}

int LibraryBrowser::getNumRows()
{
    return static_cast<int>(rows.size());
}

void LibraryBrowser::paintListBoxItem(int row, juce::Graphics& g, int width, int height, bool selected)
{
    if (row < 0 || row >= getNumRows())
        return;
    const auto& e = shown->entries[rows[static_cast<size_t>(row)]];
    if (selected)
        g.fillAll(editorColours::accent.withAlpha(0.25f));
    g.setColour(e.error.empty() ? editorColours::text : editorColours::error);
    g.setFont(juce::Font(13.0f));
    g.drawText(describeEntry(e), 6, 0, width - 12, height, juce::Justification::centredLeft, true);
}

void LibraryBrowser::listBoxItemDoubleClicked(int row, const juce::MouseEvent&)
{
    openRow(row);
}

void LibraryBrowser::returnKeyPressed(int row)
{
    openRow(row);
}

void LibraryBrowser::openRow(int row)
{
    if (row >= 0 && row < getNumRows())
        actions.open(shown->entries[rows[static_cast<size_t>(row)]]);
}

void LibraryBrowser::chooseFolder()
{
    chooser = std::make_unique<juce::FileChooser>("Choose the library's folder", library.folder());
    chooser->launchAsync(juce::FileBrowserComponent::openMode |
                             juce::FileBrowserComponent::canSelectDirectories,
                         [this](const juce::FileChooser& fc)
                         {
                             if (fc.getResult() != juce::File())
                                 library.setFolder(fc.getResult());
                             refresh();
                         });
}

} // namespace torchamp
