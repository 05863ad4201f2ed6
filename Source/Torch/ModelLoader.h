#pragma once

#include "ModelRunner.h"
#include "ModelSpec.h"
#include "Result.h"

#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

class TorchModule;

/** Which engine plays a model. */
enum class EngineChoice
{
    automatic, ///< native when it matches LibTorch, else LibTorch
    native,    ///< the native engine, or an error
    libtorch,  ///< LibTorch's forward() on a worker thread
};

struct LoadOptions
{
    /// Run the same probe through LibTorch and the native engine and compare them.
    bool parityCheck = true;
    /// Largest acceptable absolute difference between the two on the probe.
    double parityTolerance = 1e-4;
    EngineChoice engine = EngineChoice::automatic;
    /// Safe mode: refuse TorchScript whose code uses operators outside TorchModule::safeOperators().
    bool strict = false;
};

/** A model ready to play: its spec (from which the native engine is built) and what the loader
    measured about it. */
struct LoadedModel
{
    ModelSpec spec;
    /// The LibTorch module the spec came from, for the LibTorch engine and reference renders; null
    /// for models imported from other formats.
    std::shared_ptr<TorchModule> module;
    /// Max absolute difference between native engine and LibTorch on the probe; negative if not run.
    double parityMaxAbsError = -1.0;
    /// "native" or "libtorch", and why, in words for the user.
    std::string engine = "native";
    std::string engineReason;

    /// What ModelRunner needs to build this model's engine.
    ModelRunner::EngineFactory engineFactory() const;
};

/** Reads a whole file into memory. Off the audio thread. */
Result<std::vector<char>> readFileBytes(const std::string& path);

/** Loads a model from its bytes. TorchScript: LibTorch load, contract check, weight extraction,
    native engine build and parity check. A JSON file (Neural Amp Modeler .nam, RTNeural/AIDA-X,
    GuitarML or a PyTorch state_dict; see ModelImport.h) is imported for the native engine, with no
    LibTorch module (`module` stays null, parityMaxAbsError -1). `displayName` (the file name)
    starts every message. Off the audio thread: takes milliseconds to seconds. */
Result<LoadedModel> loadModel(const std::vector<char>& bytes, const std::string& displayName,
                              const LoadOptions& options = {});

/** loadModel() on a file's contents. */
Result<LoadedModel> loadModelFile(const std::string& path, const LoadOptions& options = {});

/** The deterministic signal the parity check plays (plucks, a sweep, noise bursts, silence, loud
    passages), `numSamples` long at `sampleRate`. */
std::vector<float> makeProbeSignal(int numSamples, int sampleRate);

/** Renders `audio` through LibTorch's forward() in blocks (one channel, fresh state). */
Result<std::vector<float>> renderLibTorch(const std::shared_ptr<const TorchModule>& module,
                                          const std::vector<float>& audio, const std::vector<float>& knobs,
                                          int blockSize);

/** Renders `audio` through the native engine built from `spec` (one channel, fresh state: zero,
    or the learned initial state of a recurrent model). */
std::vector<float> renderNative(const ModelSpec& spec, const std::vector<float>& audio,
                                const std::vector<float>& knobs, int blockSize);

} // namespace torchamp
