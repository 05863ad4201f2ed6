#pragma once

#include "ModelLibrary.h"

#include <juce_gui_basics/juce_gui_basics.h>

#include <functional>
#include <memory>

namespace torchamp
{

/** The editor's view of the ModelLibrary: the folder, a search by name, previous/next model and
    a list of the entries with each one's kind, architecture (or what the file holds) and size.
    A double click (or Return) opens an entry; previous/next open the model before or after the
    playing one among those the search shows. Message thread. */
class LibraryBrowser : public juce::Component, private juce::ListBoxModel, private juce::Timer
{
public:
    /// What the browser asks of the plugin: open an entry, and which model plays now.
    struct Actions
    {
        std::function<void(const LibraryEntry&)> open;
        std::function<std::string()> playingModelPath;
    };

    LibraryBrowser(ModelLibrary& library, Actions actions);
    ~LibraryBrowser() override;

    /// The search text: entries whose name holds every word of it, case-insensitively.
    void setSearch(const juce::String& text);
    /// Opens the model `step` places from the playing one (1 next, -1 previous) among those shown.
    void stepModel(int step);
    /// The names of the entries shown, in order (for tests).
    juce::StringArray shownNames() const;
    /// One line of the list: "name  ·  kind  ·  what it is  ·  size".
    static juce::String describeEntry(const LibraryEntry& entry);
    /// Reads the library's newest state now rather than at the next tick (for tests).
    void refresh();

    void resized() override;

private:
    int getNumRows() override;
    void paintListBoxItem(int row, juce::Graphics&, int width, int height, bool selected) override;
    void listBoxItemDoubleClicked(int row, const juce::MouseEvent&) override;
    void returnKeyPressed(int row) override;
    void timerCallback() override;
    void chooseFolder();
    void openRow(int row);

    ModelLibrary& library;
    Actions actions;
    std::shared_ptr<const LibrarySnapshot> shown;
    std::vector<std::size_t> rows;
    juce::TextButton folderButton{"Library folder..."}, previousButton{"<"}, nextButton{">"};
    juce::TextEditor search;
    juce::Label folderLabel;
    juce::ListBox list{"Library", this};
    std::unique_ptr<juce::FileChooser> chooser;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(LibraryBrowser)
};

} // namespace torchamp
