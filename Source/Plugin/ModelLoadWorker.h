#pragma once

#include "EffectChain.h"
#include "JobThread.h"
#include "ModelLoader.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace torchamp
{

/** What the user sees of the model: the playing one, and the last load's outcome. Cheap to copy:
    the model's information and bytes are shared and immutable. */
struct ModelStatus
{
    /// Of the model playing (or about to, once published). Never null once the processor is built.
    std::shared_ptr<const ModelInfo> info;
    /// The file's bytes, stored in the plugin state.
    std::shared_ptr<const std::vector<char>> bytes;
    std::string path;             ///< where it was loaded from; empty for the embedded default
    std::string sha256;           ///< of bytes
    bool isDefault = true;        ///< the embedded default model
    double parityMaxAbsError = -1.0;
    EngineKind engine = EngineKind::native;
    std::string engineReason;     ///< why that engine plays it
    EngineChoice engineChoice = EngineChoice::automatic; ///< what the user asked for
    std::string lastError;        ///< why the last load failed; empty after a success
    bool loading = false;
    /// The model plays natively and its comparison with LibTorch is still running.
    bool checkingAgainstLibTorch = false;
    int generation = 0;           ///< incremented whenever any of the above changes
};

/** Loads models on its own thread: reading the file, the contract check, the engine build for the
    chain's current configuration, warm-up, then wait-free publication to the audio thread. A
    TorchScript model read natively plays at once; its comparison with LibTorch (where LibTorch is
    installed) runs after, and a model that fails it switches to the LibTorch engine with the reason.
    A failed load leaves the playing model alone and records why.

    Threads: request(), status() and loadNow() from any non-audio thread; the worker owns the rest. */
class ModelLoadWorker
{
public:
    explicit ModelLoadWorker(EffectChain& chain);

    struct Request
    {
        std::vector<char> bytes;
        std::string displayName; ///< file name, starts error messages
        std::string path;
        bool isDefault = false;
        std::string expectedSha256; ///< from a saved state; empty to skip the check
        EngineChoice engine = EngineChoice::automatic;
        bool safeMode = true; ///< refuse TorchScript using operators outside the safe list
        /// Read `path` on the worker's thread (readFileBytes(), size-checked) instead of taking `bytes`.
        bool readFromPath = false;
        /// Compare a natively read TorchScript model with LibTorch after it plays (not for the
        /// embedded default, which the tests compare).
        bool checkAgainstLibTorch = true;
    };

    /// Queues a load; a newer request replaces one that has not started yet.
    void request(Request r);

    /// Loads on the calling thread, now (the embedded default model while the processor is built).
    /// Returns false, with status().lastError saying why, when it fails.
    bool loadNow(Request r);

    /// Records a failure that happened before a load could start (a damaged session).
    void reportFailure(const std::string& why);

    /// Blocks until no load is queued or running, or the timeout passes. Returns true when idle.
    bool waitUntilIdle(int timeoutMs);

    ModelStatus status() const;

    /// Called on the worker thread after every finished load (success or failure) and after a
    /// finished comparison with LibTorch.
    std::function<void()> onLoadFinished;

private:
    void loadPending();
    void load(Request r);
    bool publish(const LoadedModel& loaded, const std::string& displayName);
    void compareWithLibTorch(LoadedModel loaded, const Request& r);
    void fail(const std::string& why);

    EffectChain& chain;
    mutable std::mutex mutex;
    std::optional<Request> pending; ///< the newest request, not started yet
    ModelStatus current;
    JobThread thread; ///< last: destroyed (its running load finished) before what the load uses
};

/** Lower-case hex SHA-256 of the bytes. */
std::string sha256Hex(const std::vector<char>& bytes);

} // namespace torchamp
