#include "ModelLoader.h"

#include "LibTorchModule.h"
#include "ModelImport.h"
#include "NativeEngineFactory.h"
#include "TorchScriptMessages.h"
#include "TorchScriptReader.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace torchamp
{

namespace
{

constexpr int probeLength = 4096;
constexpr int probeBlock = 512;

double maxAbsDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = 0.0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    {
        const double d = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
        if (!(d <= worst)) // also catches NaN
            worst = std::isfinite(d) ? d : HUGE_VAL;
    }
    return worst;
}

/** Knob settings the probe is played at: the defaults, and every knob at 0 and at 1. */
std::vector<std::vector<float>> probeKnobSettings(const ModelSpec& spec)
{
    std::vector<std::vector<float>> settings { spec.knobDefaults };
    if (spec.numKnobs() > 0)
    {
        settings.emplace_back(static_cast<size_t>(spec.numKnobs()), 0.0f);
        settings.emplace_back(static_cast<size_t>(spec.numKnobs()), 1.0f);
    }
    return settings;
}

/** Worst native-vs-LibTorch difference over the probe at every knob setting; error text on failure. */
Result<double> measureParity(const LibTorchModel& module, const ModelSpec& spec, const std::vector<float>& probe)
{
    double worst = 0.0;
    for (const auto& knobs : probeKnobSettings(spec))
    {
        auto reference = module.render(probe, knobs, probeBlock);
        if (!reference)
            return Result<double>::failure(reference.error());
        worst = std::max(worst, maxAbsDifference(renderNative(spec, probe, knobs, probeBlock), *reference));
    }
    return Result<double>::success(worst);
}

/** A model file of another project (JSON): read into a spec for the native engine. There is no
    LibTorch module to compare with, so instead of the parity check the probe must play finite. */
Result<LoadedModel> loadImportedModel(const std::vector<char>& bytes, const std::string& displayName,
                                      const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    auto spec = importJsonModel(bytes, displayName);
    if (!spec)
        return R::failure(spec.error());
    LoadedModel loaded;
    loaded.spec = std::move(*spec);
    try
    {
        const auto probe = makeProbeSignal(probeLength, loaded.spec.sampleRate);
        for (float y : renderNative(loaded.spec, probe, loaded.spec.knobDefaults, probeBlock))
            if (!std::isfinite(y))
                return R::failure(displayName + ": the model's output is not finite (NaN or Inf) on a test signal");
    }
    catch (const std::exception& e)
    {
        return R::failure(displayName + ": " + e.what());
    }
    loaded.engine = EngineKind::native;
    loaded.engineReason = "imported from " + loaded.spec.sourceFormat + "; the native engine plays it";
    if (options.engine == EngineChoice::libtorch)
        loaded.engineReason += " (LibTorch plays TorchScript files only)";
    return R::success(std::move(loaded));
}

/** A module whose forward(x) maps audio to audio: only LibTorch plays it. */
Result<LoadedModel> loadAudioModule(std::shared_ptr<LibTorchModel> module, const std::string& displayName,
                                    const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    if (options.engine == EngineChoice::native)
        return R::failure(displayName + ": forward(x) is an audio module, not the LSTM contract forward(x, h, c): "
                                        "the native engine cannot play it; the LibTorch engine can");
    auto spec = module->audioModuleSpec();
    if (!spec)
        return R::failure(spec.error());
    LoadedModel loaded;
    loaded.spec = std::move(*spec);
    loaded.module = std::move(module);
    loaded.engine = EngineKind::libtorch;
    loaded.engineReason = "forward(x) is an audio module, not the LSTM contract: LibTorch plays it";
    return R::success(std::move(loaded));
}

/** Compares the native engine with LibTorch on the probe and picks the engine from the result: the
    native one when they agree, LibTorch (or, when the user asked for native, an error) when not. A
    file that does not say whether it has a skip connection is tried both ways. */
Result<LoadedModel> applyParityCheck(LoadedModel loaded, const std::string& displayName, const LoadOptions& options)
{
    const bool skipKnown = loaded.skipKnown;
    loaded.skipKnown = true;
    loaded.comparable = false;
    using R = Result<LoadedModel>;
    const auto probe = makeProbeSignal(probeLength, loaded.spec.sampleRate);
    auto parity = measureParity(*loaded.module, loaded.spec, probe);
    if (!parity)
        return R::failure(parity.error());
    if (*parity > options.parityTolerance && !skipKnown)
    {
        auto withSkip = loaded.spec;
        withSkip.skip = true;
        auto parityWithSkip = measureParity(*loaded.module, withSkip, probe);
        if (parityWithSkip && *parityWithSkip <= options.parityTolerance)
        {
            loaded.spec.skip = true;
            parity = std::move(parityWithSkip);
        }
    }
    if (!skipKnown)
        loaded.spec.warnings.push_back(TorchScriptMessages::noSkipAttribute(loaded.spec.skip));

    loaded.parityMaxAbsError = *parity;
    std::ostringstream why;
    if (*parity > options.parityTolerance)
    {
        why << "the native engine differs from LibTorch's forward() by " << *parity << " (more than "
            << options.parityTolerance << "): forward() computes something beyond LSTM + Linear head";
        if (options.engine == EngineChoice::native)
            return R::failure(displayName + ": " + why.str());
        loaded.engine = EngineKind::libtorch;
        loaded.engineReason = why.str() + "; LibTorch plays it";
        return R::success(std::move(loaded));
    }
    why << "the native engine matches LibTorch's forward() within " << *parity;
    loaded.engineReason = why.str();
    return R::success(std::move(loaded));
}

/** LibTorch's module of a TorchScript file, loaded on demand; an error naming `why` the file
    needs it when LibTorch is not available. */
Result<std::shared_ptr<LibTorchModel>> loadLibTorchModule(const std::vector<char>& bytes, const std::string& displayName,
                                                          const std::string& why, const LoadOptions& options)
{
    const auto* backend = LibTorchModule::backend();
    if (backend == nullptr)
        return Result<std::shared_ptr<LibTorchModel>>::failure(LibTorchModule::describeNeed(displayName, why));
    return backend->load(bytes, displayName, options.strict);
}

/** A contract model the native reader read: it plays natively, compared with LibTorch now, later
    (LoadedModel::comparable) or not at all where LibTorch is missing. */
Result<LoadedModel> loadNativeContract(TorchScriptModel native, const std::vector<char>& bytes,
                                       const std::string& displayName, const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    LoadedModel loaded;
    loaded.spec = std::move(native.spec);
    if (options.engine == EngineChoice::libtorch)
    {
        auto module = loadLibTorchModule(bytes, displayName, "the LibTorch engine was chosen", options);
        if (!module)
            return R::failure(module.error());
        loaded.module = std::move(*module);
        loaded.engine = EngineKind::libtorch;
        loaded.engineReason = "LibTorch engine chosen";
        return R::success(std::move(loaded));
    }
    loaded.comparable = true;
    loaded.engineReason = "read without LibTorch; the native engine plays it (not compared with LibTorch yet)";
    if (!options.parityCheck)
        return R::success(std::move(loaded));
    return compareWithLibTorch(std::move(loaded), bytes, displayName, options);
}

/** A TorchScript file the native reader could not prove to be a contract model: LibTorch reads
    it, as the contract (played natively when the native engine matches it) or as an audio module. */
Result<LoadedModel> loadThroughLibTorch(const std::vector<char>& bytes, const std::string& displayName,
                                        const std::string& why, const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    auto module = loadLibTorchModule(bytes, displayName, why, options);
    if (!module)
        return R::failure(module.error());
    if ((*module)->signature() == LibTorchModel::Signature::audioOnly)
        return loadAudioModule(std::move(*module), displayName, options);

    bool skipKnown = false;
    auto spec = (*module)->contractSpec(skipKnown);
    if (!spec)
        return R::failure(spec.error());
    LoadedModel loaded;
    loaded.spec = std::move(*spec);
    loaded.module = std::move(*module);
    loaded.skipKnown = skipKnown;
    if (options.engine == EngineChoice::libtorch)
    {
        loaded.engine = EngineKind::libtorch;
        loaded.engineReason = "LibTorch engine chosen";
        return R::success(std::move(loaded));
    }
    // Only the comparison can show that the native engine computes what this forward() does.
    return applyParityCheck(std::move(loaded), displayName, options);
}

/** A TorchScript file: read natively when it is provably a contract model, else through LibTorch. */
Result<LoadedModel> loadTorchScript(const std::vector<char>& bytes, const std::string& displayName,
                                    const LoadOptions& options)
{
    auto native = readTorchScript(bytes, displayName);
    if (!native)
        return Result<LoadedModel>::failure(native.error());
    if (native->verdict == TorchScriptModel::Verdict::contract)
        return loadNativeContract(std::move(*native), bytes, displayName, options);
    return loadThroughLibTorch(bytes, displayName, native->reason, options);
}

} // namespace

std::vector<float> makeProbeSignal(int numSamples, int sampleRate)
{
    std::vector<float> x(static_cast<size_t>(std::max(0, numSamples)), 0.0f);
    std::mt19937 rng(1234);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    const double sr = sampleRate;
    const size_t n = x.size();
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; ++i)
    {
        const double t = static_cast<double>(i) / sr;
        const double phase = static_cast<double>(i) / static_cast<double>(std::max<size_t>(1, n));
        double v = 0.0;
        if (phase < 0.3) // a plucked-string-like decaying harmonic tone
            v = 0.8 * std::exp(-t * 12.0) * (std::sin(2 * pi * 110 * t) + 0.5 * std::sin(2 * pi * 220 * t));
        else if (phase < 0.55) // an exponential sweep
            v = 0.5 * std::sin(2 * pi * 80.0 * std::pow(60.0, (phase - 0.3) / 0.25) * t);
        else if (phase < 0.7) // a noise burst
            v = 0.3 * noise(rng);
        else if (phase < 0.8) // silence, so the state decays
            v = 0.0;
        else // a loud passage near full scale
            v = 0.95 * std::sin(2 * pi * 330 * t) * (phase < 0.9 ? 1.0 : -1.0);
        x[i] = static_cast<float>(v);
    }
    return x;
}

std::vector<float> renderNative(const ModelSpec& spec, const std::vector<float>& audio,
                                const std::vector<float>& knobs, int blockSize)
{
    auto engine = makeNativeEngine(spec);
    engine->prepare(1, blockSize);
    for (size_t k = 0; k < knobs.size(); ++k)
        engine->setKnob(static_cast<int>(k), knobs[k]);
    std::vector<float> out(audio.size());
    for (size_t start = 0; start < audio.size(); start += static_cast<size_t>(blockSize))
    {
        const auto n = static_cast<int>(std::min(audio.size() - start, static_cast<size_t>(blockSize)));
        const float* in = audio.data() + start;
        float* y = out.data() + start;
        engine->process(&in, &y, 1, n);
    }
    return out;
}

Result<LoadedModel> loadModelFile(const std::string& path, const LoadOptions& options)
{
    auto bytes = readFileBytes(path, FileLimits::maxModelBytes);
    if (!bytes)
        return Result<LoadedModel>::failure(bytes.error());
    return loadModel(*bytes, fileNameOf(path), options);
}

ModelRunner::EngineFactory LoadedModel::engineFactory() const
{
    if (engine != EngineKind::libtorch)
        return {};
    return [module = std::shared_ptr<const LibTorchModel>(module), spec = spec] { return module->makeEngine(spec); };
}

const char* engineChoiceName(EngineChoice choice) noexcept
{
    switch (choice)
    {
        case EngineChoice::native: return "native";
        case EngineChoice::libtorch: return "libtorch";
        case EngineChoice::automatic: break;
    }
    return "auto";
}

EngineChoice engineChoiceFromName(const std::string& name) noexcept
{
    for (auto choice : { EngineChoice::native, EngineChoice::libtorch })
        if (name == engineChoiceName(choice))
            return choice;
    return EngineChoice::automatic;
}

const char* engineKindName(EngineKind kind) noexcept
{
    return kind == EngineKind::libtorch ? "libtorch" : "native";
}

Result<LoadedModel> compareWithLibTorch(LoadedModel loaded, const std::vector<char>& bytes,
                                        const std::string& displayName, const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    if (!loaded.comparable)
        return R::success(std::move(loaded));
    if (loaded.module == nullptr)
    {
        const auto* backend = LibTorchModule::backend();
        if (backend == nullptr)
        {
            loaded.comparable = false;
            if (!loaded.skipKnown)
                loaded.spec.warnings.push_back(TorchScriptMessages::noSkipAttribute(loaded.spec.skip));
            loaded.engineReason = "the native engine plays it (not compared with LibTorch: "
                                  + LibTorchModule::unavailableReason() + ")";
            return R::success(std::move(loaded));
        }
        auto module = backend->load(bytes, displayName, options.strict);
        if (!module)
            return R::failure(module.error());
        loaded.module = std::move(*module);
    }
    return applyParityCheck(std::move(loaded), displayName, options);
}

Result<LoadedModel> loadModel(const std::vector<char>& bytes, const std::string& displayName,
                              const LoadOptions& options)
{
    if (looksLikeJsonModel(bytes))
        return loadImportedModel(bytes, displayName, options);
    return loadTorchScript(bytes, displayName, options);
}

} // namespace torchamp
