#pragma once

#include "JobThread.h"

#include <juce_data_structures/juce_data_structures.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace torchamp
{

/** What a file of the library is. */
enum class LibraryEntryKind
{
    model, ///< TorchScript (.pt, .pth, .ts), Neural Amp Modeler (.nam), RTNeural/AIDA-X/GuitarML (.json)
    impulseResponse, ///< a cabinet impulse response (.wav, .aif, .aiff, .flac)
    preset,          ///< a TorchAmp preset (.json with "format": "torchamp-preset")
};

/** One file of the library and what reading it found. */
struct LibraryEntry
{
    std::string path; ///< absolute
    std::string name; ///< the file name
    LibraryEntryKind kind = LibraryEntryKind::model;
    std::uint64_t sizeBytes = 0;
    /// What it is: "WaveNet A1 standard, 13,802 weights, 48 kHz"; "stereo, 44.1 kHz, 4,096
    /// samples (93 ms)"; a preset's model and cabinet. Empty until read or when unreadable.
    std::string description;
    std::string format; ///< "Neural Amp Modeler .nam 0.5.2", "TorchScript", "WAV"... empty until read
    std::string error;  ///< why the file cannot be played; empty when it can
    bool read = false;  ///< description, format and error are known
};

/** The library as last published by its scan: immutable, shared with the editor. */
struct LibrarySnapshot
{
    std::string folder;
    std::vector<LibraryEntry> entries; ///< sorted by name, case-insensitively
    bool scanning = false;
    std::size_t entriesRead = 0; ///< how many of entries are read
    std::string problem;         ///< why the folder cannot be scanned; empty when it can
    /// True when the folder held more matching files than maxEntries (the rest are left out).
    bool truncated = false;
    int generation = 0;
};

/** A folder of models, impulse responses and presets, chosen by the user and remembered in the
    plugin's own settings file (never in sessions). The folder and its sub-folders are listed,
    then every file is read to say what it is (models by the native readers, without LibTorch and
    without building an engine; impulse responses decoded), on a thread of its own: entries
    appear at once and their descriptions follow, so a large folder never holds up the editor.

    Threads: the constructor, setFolder(), rescan() and folder() on the message thread;
    snapshot() from any thread but the audio thread; describe() anywhere but the audio thread. */
class ModelLibrary
{
public:
    static constexpr std::size_t maxEntries = 20000;
    static constexpr int maxDepth = 8;

    /// `settingsFile`: where the library's folder is remembered (defaultSettingsFile() in the
    /// plugin). Starts scanning the remembered folder, if any.
    explicit ModelLibrary(const juce::File& settingsFile);
    ~ModelLibrary();

    /// The plugin's settings file: TorchAmp/TorchAmp.settings in the user's configuration folder
    /// ($XDG_CONFIG_HOME or ~/.config on Linux).
    static juce::File defaultSettingsFile();

    /// Remembers `folder` in the settings file and scans it.
    void setFolder(const juce::File& folder);
    juce::File folder() const;
    /// Scans the folder again (files added or removed); a scan in progress is abandoned.
    void rescan();

    /// The newest published state of the scan. Never null.
    std::shared_ptr<const LibrarySnapshot> snapshot() const;

    /// Blocks until the scan is over, or the timeout passes; true when it is. For tests.
    bool waitForScan(int timeoutMs) { return scanner.waitUntilIdle(timeoutMs); }

    /// The kind of file `path` names by its extension, or std::nullopt for files the library skips.
    static std::optional<LibraryEntryKind> kindOf(const std::string& path);
    /// Reads the file of `entry` (path, kind, size set) and fills in what it is. Off the audio thread.
    static LibraryEntry describe(LibraryEntry entry);

    /// Indexes of `entries` whose kind is `kind` (all kinds when std::nullopt) and whose name
    /// contains every word of `query`, case-insensitively.
    static std::vector<std::size_t> filter(const std::vector<LibraryEntry>& entries, const std::string& query,
                                           std::optional<LibraryEntryKind> kind);
    /// The entry `step` places (1 next, -1 previous) from the one at `currentPath` among `indexes`
    /// of `entries`, wrapping around; the first (or last) when `currentPath` is not among them.
    static std::optional<std::size_t> neighbour(const std::vector<LibraryEntry>& entries,
                                                const std::vector<std::size_t>& indexes,
                                                const std::string& currentPath, int step);

private:
    void scan(const std::string& folder, int generation);
    void publish(LibrarySnapshot next);
    bool abandoned(int generation) const { return scanGeneration.load() != generation; }

    juce::PropertiesFile settings;
    mutable std::mutex mutex;
    std::shared_ptr<const LibrarySnapshot> published;
    std::atomic<int> scanGeneration{0};
    JobThread scanner; // last: stopped before the rest goes
};

} // namespace torchamp
