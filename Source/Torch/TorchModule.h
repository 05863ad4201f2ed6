#pragma once

#include "ModelSpec.h"
#include "Result.h"

#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** A TorchScript module loaded by LibTorch, behind a small interface with no LibTorch types, so
    that only this library's sources include LibTorch's heavy headers.

    Threads: any thread but the audio thread (LibTorch allocates, locks and may take milliseconds).
    One TorchModule is not meant to be used from two threads at once. */
class TorchModule
{
public:
    /// How forward() is called.
    enum class Signature
    {
        contract,   ///< forward(x, h, c) -> (y, h, c): the TorchAmp model contract
        audioOnly,  ///< forward(x) -> y: audio in, audio out, any internals
        unsupported ///< anything else
    };

    ~TorchModule();

    /// Loads a TorchScript file's bytes. `displayName` (usually the file name) starts every error.
    /// With `strict`, a module whose code uses operators outside safeOperators() is refused.
    static Result<std::unique_ptr<TorchModule>> load(const std::vector<char>& bytes, const std::string& displayName,
                                                     bool strict = false);

    /// The operators strict mode allows: what LSTM, Linear, a skip connection and simple audio
    /// arithmetic compile to. Loading TorchScript runs the file's code inside LibTorch; strict
    /// mode bounds what that code may do.
    static const std::vector<std::string>& safeOperators();

    /// Every operator the module's code uses (all methods of all submodules, and the functions they
    /// call) that is not in safeOperators(), sorted.
    std::vector<std::string> operatorsOutsideSafeList() const;

    Signature signature() const noexcept { return sig; }

    /// Reads the contract's LSTM, Linear head and metadata into a spec by ContractRules, the same
    /// rules and messages as the native reader's. Metadata that is missing gets its documented
    /// default and a warning in spec.warnings; wrong types are errors. `skipKnown` tells whether
    /// the file said whether it has a skip connection.
    Result<ModelSpec> extractSpec(bool& skipKnown) const;

    /// For a module whose forward(x) maps audio to audio: its name, sample rate (attribute
    /// `sample_rate`, default 48000 with a warning) and description; no layers.
    Result<ModelSpec> extractAudioModuleSpec() const;

    /// "LibTorch 1.13.0"
    static std::string libTorchVersion();

private:
    friend class TorchStream;
    friend class LibTorchEngine;
    struct Impl;
    explicit TorchModule(std::unique_ptr<Impl>);

    std::unique_ptr<Impl> impl;
    Signature sig = Signature::unsupported;
};

/** Streams audio through a contract module's forward(), block by block, carrying h and c across
    blocks like the native engine does. One channel. Off the audio thread (LibTorch allocates). */
class TorchStream
{
public:
    /// Starts from zero state. `module` must have had extractSpec() succeed.
    explicit TorchStream(std::shared_ptr<const TorchModule> module);
    ~TorchStream();

    /// Runs forward() on n samples with the knobs held at `knobs`. Empty string, or what failed.
    std::string process(const float* in, float* out, int n, const std::vector<float>& knobs);

    /// Back to zero state.
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace torchamp
