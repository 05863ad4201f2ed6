#include "ModelLoadWorker.h"

#include <juce_cryptography/juce_cryptography.h>

namespace torchamp
{

std::string sha256Hex(const std::vector<char>& bytes)
{
    return juce::SHA256(bytes.data(), bytes.size()).toHexString().toStdString();
}

ModelLoadWorker::ModelLoadWorker(EffectChain& c) : chain(c)
{
    thread = std::thread([this] { run(); });
}

ModelLoadWorker::~ModelLoadWorker()
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
        queue.clear();
    }
    wake.notify_all();
    thread.join();
}

void ModelLoadWorker::request(Request r)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        queue.clear(); // only the newest request matters
        queue.push_back(std::move(r));
        current.loading = true;
        ++current.generation;
    }
    wake.notify_all();
}

void ModelLoadWorker::reportFailure(const std::string& why)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        current.lastError = why;
        ++current.generation;
    }
    if (onLoadFinished)
        onLoadFinished();
}

bool ModelLoadWorker::waitUntilIdle(int timeoutMs)
{
    std::unique_lock<std::mutex> lock(mutex);
    return idle.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this] { return queue.empty() && !busy; });
}

ModelStatus ModelLoadWorker::status() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return current;
}

void ModelLoadWorker::run()
{
    for (;;)
    {
        Request r;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [this] { return stopping || !queue.empty(); });
            if (stopping)
                return;
            r = std::move(queue.front());
            queue.pop_front();
            busy = true;
        }
        load(std::move(r));
        {
            std::lock_guard<std::mutex> lock(mutex);
            current.loading = !queue.empty();
            ++current.generation;
        }
        // Before anyone waiting for idle wakes, so they see the load's whole effect.
        if (onLoadFinished)
            onLoadFinished();
        {
            std::lock_guard<std::mutex> lock(mutex);
            busy = false;
        }
        idle.notify_all();
    }
}

void ModelLoadWorker::load(Request r)
{
    chain.collectGarbage();
    auto fail = [this](const std::string& why) {
        std::lock_guard<std::mutex> lock(mutex);
        current.lastError = why;
    };

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

    LoadOptions options;
    options.engine = r.engine;
    options.strict = r.safeMode;
    auto loaded = loadModel(r.bytes, r.displayName, options);
    if (!loaded)
        return fail(loaded.error());

    // The host may re-prepare while we build: build for the configuration in force and retry
    // if it changed before publication.
    for (int attempt = 0; attempt < 8; ++attempt)
    {
        std::unique_ptr<ModelRunner> runner;
        try
        {
            runner = std::make_unique<ModelRunner>(loaded->spec, chain.config(), loaded->engineFactory());
            runner->warmUp();
        }
        catch (const std::exception& e)
        {
            return fail(r.displayName + ": " + e.what());
        }
        if (chain.publish(std::move(runner)))
        {
            std::lock_guard<std::mutex> lock(mutex);
            current.spec = loaded->spec;
            current.bytes = std::make_shared<const std::vector<char>>(std::move(r.bytes));
            current.path = r.path;
            current.sha256 = hash;
            current.isDefault = r.isDefault;
            current.parityMaxAbsError = loaded->parityMaxAbsError;
            current.engine = loaded->engine;
            current.engineReason = loaded->engineReason;
            current.engineChoice = r.engine;
            current.lastError.clear();
            return;
        }
    }
    fail(r.displayName + ": the host kept changing its audio settings while the model was loading; load it again");
}

} // namespace torchamp
