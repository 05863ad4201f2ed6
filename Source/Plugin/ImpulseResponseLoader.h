#pragma once

#include "EffectChain.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace torchamp
{

/** Where the cabinet's impulse response comes from. */
enum class CabinetSource
{
    none,    ///< no impulse response: the cabinet passes the audio through
    builtIn, ///< the embedded default cabinet (Resources/DefaultCabinet.wav)
    file,    ///< a WAV, AIFF or FLAC file the user loaded
};

/** "none", "builtin", "file": the words of saved sessions. */
const char* cabinetSourceName(CabinetSource source) noexcept;
/** The source named `name` (cabinetSourceName()'s words); none for anything else. */
CabinetSource cabinetSourceFromName(const std::string& name) noexcept;

/** What the user sees of the cabinet's impulse response, and what a session stores. Cheap to
    copy: the file's bytes are shared and immutable. */
struct CabinetStatus
{
    CabinetSource source = CabinetSource::none;
    std::string name;   ///< the file's name, or the built-in response's
    std::string path;   ///< where the file was loaded from (file only)
    std::string sha256; ///< of bytes (file only)
    /// The file's bytes, stored in the session (file only).
    std::shared_ptr<const std::vector<char>> bytes;
    std::string lastError; ///< why the last load failed; empty after a success
    int generation = 0;    ///< incremented whenever any of the above changes
};

/** Loads cabinet impulse responses into an EffectChain: reads the file (size-checked), decodes it
    (WAV, AIFF, FLAC), checks it, prepares it for the host's rate and hands it to the audio thread,
    which crossfades to it. A failed load leaves the playing response alone and records why.

    Threads: load() off the audio thread and off the message thread (reading and resampling take
    a moment): the plugin runs it on its JobThread, and once while it is constructed. status() and
    reportFailure() from any thread but the audio thread. */
class ImpulseResponseLoader
{
public:
    struct Request
    {
        CabinetSource source = CabinetSource::none;
        std::string path;        ///< file: where it is (or was, for bytes from a session)
        std::vector<char> bytes; ///< file: its contents, unless readFromPath
        /// file: read `path` on the calling thread (readFileBytes(), size-checked) instead of `bytes`.
        bool readFromPath = false;
        std::string displayName;    ///< file: starts error messages; the file name when empty
        std::string expectedSha256; ///< from a saved session or preset; empty to skip the check
    };

    explicit ImpulseResponseLoader(EffectChain& chain);

    /// Loads the response `r` asks for and publishes it; returns false (status().lastError says
    /// why) when it cannot, and the playing response stays.
    bool load(Request r);

    /// Records a failure that happened before a load could start (a damaged session).
    void reportFailure(const std::string& why);

    CabinetStatus status() const;

private:
    std::string publishFile(Request& r, const std::string& name);
    bool fail(const std::string& why);

    EffectChain& chain;
    mutable std::mutex mutex;
    CabinetStatus current;
};

} // namespace torchamp
