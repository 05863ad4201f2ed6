#include "ModelLoader.h"

#include "LibTorchEngine.h"

#include "ModelImport.h"
#include "NativeEngineFactory.h"
#include "TorchModule.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
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
Result<double> measureParity(const std::shared_ptr<const TorchModule>& module, const ModelSpec& spec, const std::vector<float>& probe)
{
    double worst = 0.0;
    for (const auto& knobs : probeKnobSettings(spec))
    {
        auto reference = renderLibTorch(module, probe, knobs, probeBlock);
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
    loaded.engine = "native";
    loaded.engineReason = "imported from " + loaded.spec.sourceFormat + "; the native engine plays it";
    if (options.engine == EngineChoice::libtorch)
        loaded.engineReason += " (LibTorch plays TorchScript files only)";
    return R::success(std::move(loaded));
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

Result<std::vector<float>> renderLibTorch(const std::shared_ptr<const TorchModule>& module,
                                          const std::vector<float>& audio, const std::vector<float>& knobs,
                                          int blockSize)
{
    TorchStream stream(module);
    std::vector<float> out(audio.size());
    for (size_t start = 0; start < audio.size(); start += static_cast<size_t>(blockSize))
    {
        const auto n = static_cast<int>(std::min(audio.size() - start, static_cast<size_t>(blockSize)));
        if (auto error = stream.process(audio.data() + start, out.data() + start, n, knobs); !error.empty())
            return Result<std::vector<float>>::failure(error);
    }
    return Result<std::vector<float>>::success(std::move(out));
}

Result<std::vector<char>> readFileBytes(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return Result<std::vector<char>>::failure(path + ": cannot open the file (does it exist, can it be read?)");
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad())
        return Result<std::vector<char>>::failure(path + ": reading the file failed");
    return Result<std::vector<char>>::success(std::move(bytes));
}

Result<LoadedModel> loadModelFile(const std::string& path, const LoadOptions& options)
{
    auto bytes = readFileBytes(path);
    if (!bytes)
        return Result<LoadedModel>::failure(bytes.error());
    auto name = path;
    if (auto slash = name.find_last_of("/\\"); slash != std::string::npos)
        name = name.substr(slash + 1);
    return loadModel(*bytes, name, options);
}

ModelRunner::EngineFactory LoadedModel::engineFactory() const
{
    if (engine != "libtorch")
        return {};
    return [module = std::shared_ptr<const TorchModule>(module), spec = spec] {
        return std::make_unique<LibTorchEngine>(module, spec);
    };
}

Result<LoadedModel> loadModel(const std::vector<char>& bytes, const std::string& displayName,
                              const LoadOptions& options)
{
    using R = Result<LoadedModel>;
    if (looksLikeJsonModel(bytes))
        return loadImportedModel(bytes, displayName, options);
    auto module = TorchModule::load(bytes, displayName, options.strict);
    if (!module)
        return R::failure(module.error());

    LoadedModel loaded;
    if ((*module)->signature() == TorchModule::Signature::audioOnly)
    {
        if (options.engine == EngineChoice::native)
            return R::failure(displayName + ": forward(x) is an audio module, not the LSTM contract forward(x, h, c): "
                                            "the native engine cannot play it; the LibTorch engine can");
        auto spec = (*module)->extractAudioModuleSpec();
        if (!spec)
            return R::failure(spec.error());
        loaded.spec = std::move(*spec);
        loaded.module = std::shared_ptr<TorchModule>(std::move(*module));
        loaded.engine = "libtorch";
        loaded.engineReason = "forward(x) is an audio module, not the LSTM contract: LibTorch plays it";
        return R::success(std::move(loaded));
    }

    bool skipKnown = false;
    auto spec = (*module)->extractSpec(skipKnown);
    if (!spec)
        return R::failure(spec.error());
    loaded.spec = std::move(*spec);
    loaded.module = std::shared_ptr<TorchModule>(std::move(*module));

    std::ostringstream why;
    if (options.parityCheck)
    {
        const auto probe = makeProbeSignal(probeLength, loaded.spec.sampleRate);
        auto parity = measureParity(loaded.module, loaded.spec, probe);
        if (!parity)
            return R::failure(parity.error());

        // A file without a 'skip' attribute may still add its input to the output: its forward()
        // tells, so try the other way before calling the model unplayable.
        if (*parity > options.parityTolerance && !skipKnown)
        {
            auto withSkip = loaded.spec;
            withSkip.skip = true;
            auto parityWithSkip = measureParity(loaded.module, withSkip, probe);
            if (parityWithSkip && *parityWithSkip <= options.parityTolerance)
            {
                loaded.spec.skip = true;
                parity = std::move(parityWithSkip);
            }
        }
        if (!skipKnown)
            loaded.spec.warnings.push_back(std::string("no 'skip' attribute: forward() behaves as skip=")
                                           + (loaded.spec.skip ? "True" : "False"));

        loaded.parityMaxAbsError = *parity;
        if (*parity > options.parityTolerance)
        {
            why << displayName << ": the native engine differs from LibTorch's forward() by " << *parity
                << " (more than " << options.parityTolerance
                << "): forward() computes something beyond LSTM + Linear head";
            if (options.engine == EngineChoice::native)
                return R::failure(why.str());
            loaded.engine = "libtorch";
            loaded.engineReason = why.str().substr(displayName.size() + 2) + "; LibTorch plays it";
            return R::success(std::move(loaded));
        }
        why << "the native engine matches LibTorch's forward() within " << *parity;
    }
    else
    {
        if (!skipKnown)
            loaded.spec.warnings.push_back("no 'skip' attribute: using skip=False");
        why << "the native engine plays it (not compared with LibTorch)";
    }

    if (options.engine == EngineChoice::libtorch)
    {
        loaded.engine = "libtorch";
        loaded.engineReason = "LibTorch engine chosen";
    }
    else
        loaded.engineReason = why.str();
    return R::success(std::move(loaded));
}

} // namespace torchamp
