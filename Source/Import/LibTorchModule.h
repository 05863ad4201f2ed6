#pragma once

#include "LibTorchBackend.h"

#include <string>

namespace torchamp
{

/** Finds and loads TorchAmpLibTorch.so the first time it is asked for, and keeps it loaded for the
    life of the process. Looked for, in order: the path in the environment variable
    TORCHAMP_LIBTORCH_MODULE; beside the binary this code is part of (the plugin's bundle, the
    Standalone app, build/bin for the tools); then the system's library path.

    Threads: any thread but the audio thread (the first call does file I/O and may take a second). */
class LibTorchModule
{
public:
    /// The backend, or null when LibTorch cannot be loaded on this machine.
    static const LibTorchBackend* backend();

    /// Why backend() is null, in words a user can act on (what needs LibTorch, how to install it);
    /// empty when it is available.
    static std::string unavailableReason();

    /// "this model needs LibTorch: ..." for a file that only LibTorch can play, naming `why` it does.
    static std::string describeNeed(const std::string& displayName, const std::string& why);

    /// The file name of the module.
    static constexpr const char* fileName = "TorchAmpLibTorch.so";
};

} // namespace torchamp
