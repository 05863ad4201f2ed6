#include "ModelLoadWorker.h"

#include "Sha256.h"

namespace torchamp
{

std::string sha256Hex(const std::vector<char>& bytes)
{
    return sha256Hex(bytes.data(), bytes.size());
}

ModelLoadWorker::ModelLoadWorker(EffectChain& c) : chain(c) {}

void ModelLoadWorker::request(Request r)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        pending = std::move(r); // only the newest request matters
        current.loading = true;
        ++current.generation;
    }
    thread.post([this] { loadPending(); });
}

bool ModelLoadWorker::loadNow(Request r)
{
    r.checkAgainstLibTorch = false;
    load(std::move(r));
    std::lock_guard<std::mutex> lock(mutex);
    ++current.generation;
    return current.lastError.empty();
}

void ModelLoadWorker::reportFailure(const std::string& why)
{
    fail(why);
    if (onLoadFinished)
        onLoadFinished();
}

void ModelLoadWorker::fail(const std::string& why)
{
    std::lock_guard<std::mutex> lock(mutex);
    current.lastError = why;
    ++current.generation;
}

bool ModelLoadWorker::waitUntilIdle(int timeoutMs)
{
    return thread.waitUntilIdle(timeoutMs);
}

ModelStatus ModelLoadWorker::status() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return current;
}

void ModelLoadWorker::loadPending()
{
    Request r;
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!pending)
            return; // an earlier job took it
        r = std::move(*pending);
        pending.reset();
    }
    load(std::move(r));
    {
        std::lock_guard<std::mutex> lock(mutex);
        current.loading = pending.has_value();
        ++current.generation;
    }
    // Inside the job, so anyone waiting for idle wakes after it and sees the load's whole effect.
    if (onLoadFinished)
        onLoadFinished();
}

void ModelLoadWorker::load(Request r)
{
    chain.collectGarbage();
    if (r.readFromPath)
    {
        auto bytes = readFileBytes(r.path, FileLimits::maxModelBytes);
        if (!bytes)
            return fail(bytes.error());
        r.bytes = std::move(*bytes);
    }
    const auto hash = sha256Hex(r.bytes);
    if (!r.expectedSha256.empty() && r.expectedSha256 != hash)
        return fail(r.displayName + ": the model stored in this session is damaged (its SHA-256 does not match)");

    // The comparison with LibTorch waits until the model plays.
    LoadOptions options;
    options.engine = r.engine;
    options.strict = r.safeMode;
    options.parityCheck = false;
    auto loaded = loadModel(r.bytes, r.displayName, options);
    if (!loaded)
        return fail(loaded.error());
    if (!publish(*loaded, r.displayName))
        return;
    {
        std::lock_guard<std::mutex> lock(mutex);
        current.info = loaded->spec.shareInfo();
        current.bytes = std::make_shared<const std::vector<char>>(std::move(r.bytes));
        current.path = r.path;
        current.sha256 = hash;
        current.isDefault = r.isDefault;
        current.parityMaxAbsError = loaded->parityMaxAbsError;
        current.engine = loaded->engine;
        current.engineReason = loaded->engineReason;
        current.engineChoice = r.engine;
        current.lastError.clear();
        current.checkingAgainstLibTorch = r.checkAgainstLibTorch && loaded->comparable;
        current.loading = pending.has_value(); // it plays; the comparison with LibTorch is not a load
        ++current.generation;
    }
    if (r.checkAgainstLibTorch && loaded->comparable)
    {
        if (onLoadFinished)
            onLoadFinished(); // the model plays: the host and editor hear of it before the comparison
        compareWithLibTorch(std::move(*loaded), r);
    }
}

bool ModelLoadWorker::publish(const LoadedModel& loaded, const std::string& displayName)
{
    // The host may re-prepare while we build: build for the configuration in force and retry
    // if it changed before publication.
    for (int attempt = 0; attempt < 8; ++attempt)
    {
        std::unique_ptr<ModelRunner> runner;
        try
        {
            runner = std::make_unique<ModelRunner>(loaded.spec, chain.config(), loaded.engineFactory());
            runner->warmUp();
        }
        catch (const std::exception& e)
        {
            fail(displayName + ": " + e.what());
            return false;
        }
        if (chain.publish(std::move(runner)))
            return true;
    }
    fail(displayName + ": the host kept changing its audio settings while the model was loading; load it again");
    return false;
}

void ModelLoadWorker::compareWithLibTorch(LoadedModel loaded, const Request& r)
{
    {
        // A newer model is waiting: it plays next, and this one's comparison no longer matters.
        std::lock_guard<std::mutex> lock(mutex);
        if (pending)
        {
            current.checkingAgainstLibTorch = false;
            current.engineReason = "the native engine plays it (not compared with LibTorch: another model was loaded)";
            return;
        }
    }
    LoadOptions options;
    options.engine = r.engine;
    options.strict = r.safeMode;
    const auto bytes = status().bytes;
    auto compared = torchamp::compareWithLibTorch(std::move(loaded), *bytes, r.displayName, options);
    if (compared && compared->engine == EngineKind::libtorch && !publish(*compared, r.displayName))
        return;
    std::lock_guard<std::mutex> lock(mutex);
    current.checkingAgainstLibTorch = false;
    if (!compared)
    {
        // LibTorch could not run the file the native reader accepted: the native engine keeps playing.
        current.engineReason += " (the comparison with LibTorch failed: " + compared.error() + ")";
        return;
    }
    current.info = compared->spec.shareInfo();
    current.parityMaxAbsError = compared->parityMaxAbsError;
    current.engine = compared->engine;
    current.engineReason = compared->engineReason;
}

} // namespace torchamp
