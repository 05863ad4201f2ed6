#include "LibTorchModule.h"

#include "BinaryFolder.h"

#include <cstdlib>
#include <vector>

#include <dlfcn.h>

namespace torchamp
{

namespace
{

struct Loaded
{
    const LibTorchBackend* backend = nullptr;
    std::string whyNot;
};

/** The last dlerror(), shortened to the part a user can act on. */
std::string lastError()
{
    const char* e = ::dlerror();
    return e != nullptr ? e : "unknown error";
}

Loaded load()
{
    std::vector<std::string> candidates;
    if (const char* explicitPath = std::getenv("TORCHAMP_LIBTORCH_MODULE");
        explicitPath != nullptr && *explicitPath)
        candidates.emplace_back(explicitPath);
    else
    {
        if (const auto folder = folderOfThisBinary(); !folder.empty())
            candidates.push_back(folder + LibTorchModule::fileName);
        candidates.emplace_back(LibTorchModule::fileName);
    }

    std::string errors;
    for (const auto& candidate : candidates)
    {
        // Never closed: LibTorch registers operators and threads that must outlive every model.
        void* handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr)
        {
            errors += (errors.empty() ? "" : "; ") + lastError();
            continue;
        }
        using Entry = const LibTorchBackend* (*)(int);
        const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "torchampLibTorchBackend"));
        if (entry == nullptr)
            return {nullptr, candidate + " is not TorchAmp's LibTorch module"};
        if (const auto* backend = entry(libTorchInterfaceVersion))
            return {backend, {}};
        return {nullptr, candidate + " belongs to another TorchAmp version; reinstall TorchAmp"};
    }
    return {nullptr,
            "LibTorch is not available (" + errors +
                "). Install LibTorch 1.13 (Debian or Ubuntu: sudo apt install libtorch1.13) and keep " +
                LibTorchModule::fileName + " beside the plugin"};
}

const Loaded& loaded()
{
    static const Loaded instance = load();
    return instance;
}

} // namespace

const LibTorchBackend* LibTorchModule::backend()
{
    return loaded().backend;
}

std::string LibTorchModule::unavailableReason()
{
    return loaded().whyNot;
}

std::string LibTorchModule::describeNeed(const std::string& displayName, const std::string& why)
{
    return displayName + ": " + why + ", so it needs LibTorch to play, and " + unavailableReason();
}

} // namespace torchamp
