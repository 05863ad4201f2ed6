#pragma once

// The boundary between TorchAmp and LibTorch. LibTorch is hundreds of MB of shared libraries that
// a plugin cannot expect on a user's machine, so nothing of TorchAmp links it: Source/Torch builds
// TorchAmpLibTorch.so, which implements these interfaces and is loaded with dlopen() the first time
// a model needs it (LibTorchModule.h). Both sides are built together from these headers.

#include "InferenceEngine.h"
#include "ModelSpec.h"
#include "Result.h"

#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** A TorchScript module held by LibTorch. Threads: any thread but the audio thread; one module is
    not used from two threads at once (the LibTorch engine takes its own reference). */
class LibTorchModel
{
public:
    /// How the module's forward() is called.
    enum class Signature
    {
        contract,   ///< forward(x, h, c) -> (y, h, c): the TorchAmp model contract
        audioOnly,  ///< forward(x) -> y: audio in, audio out, any internals
        unsupported ///< anything else
    };

    virtual ~LibTorchModel() = default;

    virtual Signature signature() const = 0;

    /// The contract's LSTM, head and metadata as LibTorch reads them, for a module with the contract
    /// signature. `skipKnown` tells whether the file has a `skip` attribute.
    virtual Result<ModelSpec> contractSpec(bool& skipKnown) const = 0;

    /// For an audio module (forward(x)): name, sample rate and description; no layers.
    virtual Result<ModelSpec> audioModuleSpec() const = 0;

    /// forward() over `audio` (one channel, zero start state) in blocks of `blockSize`, the knobs
    /// held at `knobs`: the numerical reference the native engine is compared with.
    virtual Result<std::vector<float>> render(const std::vector<float>& audio,
                                              const std::vector<float>& knobs, int blockSize) const = 0;

    /// The LibTorch engine: forward() on a worker thread behind lock-free rings (its latency is two
    /// inference blocks). `spec` gives the knobs and their defaults.
    virtual std::unique_ptr<InferenceEngine> makeEngine(const ModelSpec& spec) const = 0;
};

/** What TorchAmpLibTorch.so offers. Any thread but the audio thread. */
class LibTorchBackend
{
public:
    virtual ~LibTorchBackend() = default;

    /// "LibTorch 1.13.1"
    virtual std::string version() const = 0;

    /// Loads a TorchScript file's bytes (running its code inside LibTorch). `displayName` starts every
    /// message. With `strict` (safe mode) a module whose code uses operators outside a small
    /// allow-list is refused. Files are checked by ArchiveCheck before LibTorch reads them.
    virtual Result<std::shared_ptr<LibTorchModel>>
    load(const std::vector<char>& bytes, const std::string& displayName, bool strict) const = 0;
};

/// Bumped whenever the interfaces above change, so a module from another build is refused, not called.
constexpr int libTorchInterfaceVersion = 1;

} // namespace torchamp

/// The one symbol TorchAmpLibTorch.so exports: its backend for `interfaceVersion`, or null when it was
/// built for another version of the interfaces.
extern "C" const torchamp::LibTorchBackend* torchampLibTorchBackend(int interfaceVersion);
