#pragma once

#include "FileBytes.h"
#include "LibTorchBackend.h"
#include "ModelRunner.h"
#include "ModelSpec.h"
#include "Result.h"

#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** Which engine the user asks for. */
enum class EngineChoice
{
    automatic, ///< native when it can play the model (and matches LibTorch where that is checked), else LibTorch
    native,    ///< the native engine, or an error
    libtorch,  ///< LibTorch's forward() on a worker thread (TorchScript files only)
};

/** Which engine plays a model. */
enum class EngineKind
{
    native,
    libtorch,
};

/** "auto", "native", "libtorch": the words of the render tool, the tools' JSON and saved sessions. */
const char* engineChoiceName(EngineChoice choice) noexcept;
/** The choice named `name` (engineChoiceName()'s words); automatic for anything else. */
EngineChoice engineChoiceFromName(const std::string& name) noexcept;
/** "native" or "libtorch". */
const char* engineKindName(EngineKind kind) noexcept;

struct LoadOptions
{
    /// Run the same probe through LibTorch and the native engine and compare them (where LibTorch
    /// is available; it is not loaded for models that do not need it otherwise).
    bool parityCheck = true;
    /// Largest acceptable absolute difference between the two on the probe.
    double parityTolerance = 1e-4;
    EngineChoice engine = EngineChoice::automatic;
    /// Safe mode: refuse TorchScript whose code LibTorch would run and that uses operators outside
    /// the safe list.
    bool strict = false;
};

/** A model ready to play: its spec (from which the native engine is built) and what the loader
    measured about it. */
struct LoadedModel
{
    ModelSpec spec;
    /// The LibTorch module, when LibTorch loaded the file (for its engine and reference renders).
    std::shared_ptr<LibTorchModel> module;
    /// Max absolute difference between native engine and LibTorch on the probe; negative if not run.
    double parityMaxAbsError = -1.0;
    EngineKind engine = EngineKind::native;
    /// Why that engine plays it, in words for the user.
    std::string engineReason;
    /// Whether the file said if it has a skip connection (a contract file without the attribute:
    /// the comparison with LibTorch tries both).
    bool skipKnown = true;
    /// A contract TorchScript model on the native engine that has not been compared with LibTorch
    /// yet (loaded with parityCheck off): compareWithLibTorch() can still do it.
    bool comparable = false;

    /// What ModelRunner needs to build this model's engine.
    ModelRunner::EngineFactory engineFactory() const;
};

/** Loads a model from its bytes. TorchScript: the contract check, weight extraction, native engine
    build and (optionally) the parity check against LibTorch; a module the native engine cannot play
    goes to LibTorch (TorchAmpLibTorch.so, loaded on demand). A JSON file (Neural Amp Modeler .nam,
    RTNeural/AIDA-X, GuitarML or a PyTorch state_dict; see ModelImport.h) is imported for the native
    engine. `displayName` (the file name) starts every message. Off the audio thread: takes
    milliseconds to seconds. */
Result<LoadedModel> loadModel(const std::vector<char>& bytes, const std::string& displayName,
                              const LoadOptions& options = {});

/** The parity check of a model loaded with parityCheck off (LoadedModel::comparable): compares the
    native engine with LibTorch on the probe and returns the model to play from then on, with the
    measured error (native) or on LibTorch with the reason. Without LibTorch on this machine the
    model is returned as it is, its reason saying it was not compared and why. Off the audio thread:
    loading LibTorch takes most of a second. */
Result<LoadedModel> compareWithLibTorch(LoadedModel loaded, const std::vector<char>& bytes,
                                        const std::string& displayName, const LoadOptions& options);

/** loadModel() on a file's contents, read with readFileBytes() up to FileLimits::maxModelBytes. */
Result<LoadedModel> loadModelFile(const std::string& path, const LoadOptions& options = {});

/** The deterministic signal the parity check plays (plucks, a sweep, noise bursts, silence, loud
    passages), `numSamples` long at `sampleRate`. */
std::vector<float> makeProbeSignal(int numSamples, int sampleRate);

/** Renders `audio` through the native engine built from `spec` (one channel, fresh state: zero,
    or the learned initial state of a recurrent model). */
std::vector<float> renderNative(const ModelSpec& spec, const std::vector<float>& audio,
                                const std::vector<float>& knobs, int blockSize);

} // namespace torchamp
