// torchamp-render: renders a WAV file through a TorchAmp model, offline, the way the plugin plays it.
// Prints progress on stderr and exactly one JSON line of figures on stdout.

#include "AudioFile.h"
#include "EffectChain.h"
#include "EmbeddedResources.h"
#include "FileBytes.h"
#include "ImpulseResponseFile.h"
#include "ModelLoader.h"
#include "Preset.h"
#include "ToolSupport.h"
#include "WavFile.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace
{

using namespace torchamp;
using tools::percentile;

enum ExitCode
{
    exitOk = 0,
    exitUsage = 2,
    exitModel = 3,
    exitAudio = 4,
    exitImpulseResponse = 5,
    exitPreset = 6,
};

const char* usageText =
    "usage: torchamp-render [--model M.pt] --in IN.wav --out OUT.wav [--ir IR.wav|default] [--preset "
    "P.json]\n"
    "                       [--param ID=VALUE]... [--knob NAME=VALUE]... [--block N] [--cabinet-latency "
    "zero|low-cpu]\n"
    "                       [--engine auto|native|libtorch] [--warm-up] [--normalise] [--strict] [--stereo]\n"
    "  --model   model file: TorchScript (.pt), Neural Amp Modeler (.nam: LSTM, WaveNet), RTNeural/AIDA-X, GuitarML\n"
    "            or PyTorch state_dict JSON (default: the preset's, else the embedded default model)\n"
    "  --in      input audio: WAV (PCM 8/16/24/32-bit or float), AIFF or FLAC; each channel is processed\n"
    "            with its own state\n"
    "  --out     output WAV, 32-bit float, same rate and channels as the input (see --stereo)\n"
    "  --ir      cabinet impulse response (WAV, AIFF or FLAC, mono or stereo, any rate: resampled to the\n"
    "            input's rate as the plugin resamples it to the host's), or 'default' for the built-in one\n"
    "  --preset  a TorchAmp preset (.json): its model, impulse response and parameters; --model, --ir,\n"
    "            --param and --knob given as well take precedence\n"
    "  --param   set any parameter by its ID, in its own units (repeatable; --param list shows them all)\n"
    "  --knob    set a model knob by the model's name for it, value in [0, 1] (repeatable; default: the\n"
    "            model's knob defaults)\n"
    "  --block   block size in samples, 1..8192 (default 128)\n"
    "  --cabinet-latency  zero (default) or low-cpu: the convolution's partition of latency for less CPU\n"
    "  --engine  native (the real-time engine), libtorch (LibTorch forward() per block on a worker thread,\n"
    "            its latency removed from the output), or auto (default: native when it matches LibTorch,\n"
    "            LibTorch otherwise, e.g. for a module whose forward(x) maps audio to audio)\n"
    "  --strict  safe mode, as in the plugin: refuse TorchScript whose code uses operators beyond LSTM,\n"
    "            Linear and simple arithmetic (loading TorchScript runs code from the file)\n"
    "  --warm-up start from the model's idle state, as the plugin does after its warm-up (and a host after\n"
    "            a pre-roll of silence); default: zero state, like LibTorch's forward() on the whole file\n"
    "  --normalise play a model that states its loudness (NAM) at -18 dB, as Neural Amp Modeler does\n"
    "            (the same as --param normalise=1)\n"
    "  --stereo  play a mono input out in stereo, as the plugin's mono-in, stereo-out layout does: the model\n"
    "            once, then both channels of a stereo impulse response\n"
    "exit codes: 0 ok, 2 usage, 3 model error, 4 audio file error, 5 impulse response error, 6 preset "
    "error\n";

struct Options
{
    std::string model;
    std::string in;
    std::string out;
    std::string impulseResponse;
    std::string preset;
    std::vector<std::pair<std::string, std::string>> knobs;
    std::vector<std::pair<ParameterId, float>> parameters;
    std::optional<ConvolutionLatency> cabinetLatency;
    int block = 128;
    std::string engine = "auto";
    bool warmUp = false;
    bool normalise = false;
    bool strict = false;
    bool stereo = false;
};

[[noreturn]] void fail(int code, const std::string& message)
{
    std::cerr << "torchamp-render: " << message << "\n";
    std::exit(code);
}

std::string parameterList()
{
    std::ostringstream list;
    for (const auto& p : parameterCatalogue())
        list << "  " << p.key << ": " << p.name << ", " << p.rangeText() << " (default " << p.defaultValue
             << ")\n";
    return list.str();
}

std::pair<std::string, std::string> keyAndValue(const std::string& flag, const std::string& text)
{
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        fail(exitUsage, flag + " takes NAME=VALUE, got '" + text + "'");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

std::pair<ParameterId, float> parameterArgument(const std::string& text)
{
    if (text == "list")
    {
        std::cout << "parameters (--param ID=VALUE):\n" << parameterList();
        std::exit(exitOk);
    }
    const auto [key, value] = keyAndValue("--param", text);
    const auto id = findParameter(key);
    if (!id)
        fail(exitUsage, "there is no parameter '" + key + "'; the parameters are:\n" + parameterList());
    const auto& info = parameterInfo(*id);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(v >= info.minimum && v <= info.maximum))
        fail(exitUsage,
             "parameter '" + key + "' takes a value in " + info.rangeText() + ", got '" + value + "'");
    return {*id, static_cast<float>(v)};
}

int blockArgument(const std::string& v)
{
    char* end = nullptr;
    const long b = std::strtol(v.c_str(), &end, 10);
    if (*end != '\0' || b < 1 || b > 8192)
        fail(exitUsage, "--block takes a whole number from 1 to 8192, got '" + v + "'");
    return static_cast<int>(b);
}

Options parseArguments(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h")
        {
            std::cout << usageText;
            std::exit(exitOk);
        }
        auto value = [&]() -> std::string
        {
            if (i + 1 >= argc)
                fail(exitUsage, arg + " needs a value\n" + usageText);
            return argv[++i];
        };
        if (arg == "--model")
            o.model = value();
        else if (arg == "--in")
            o.in = value();
        else if (arg == "--out")
            o.out = value();
        else if (arg == "--ir")
            o.impulseResponse = value();
        else if (arg == "--preset")
            o.preset = value();
        else if (arg == "--param")
            o.parameters.push_back(parameterArgument(value()));
        else if (arg == "--knob")
            o.knobs.push_back(keyAndValue("--knob", value()));
        else if (arg == "--block")
            o.block = blockArgument(value());
        else if (arg == "--cabinet-latency")
        {
            const auto mode = value();
            if (mode != "zero" && mode != "low-cpu")
                fail(exitUsage, "--cabinet-latency takes zero or low-cpu, got '" + mode + "'");
            o.cabinetLatency = mode == "zero" ? ConvolutionLatency::zero : ConvolutionLatency::lowCpu;
        }
        else if (arg == "--strict")
            o.strict = true;
        else if (arg == "--warm-up")
            o.warmUp = true;
        else if (arg == "--stereo")
            o.stereo = true;
        else if (arg == "--normalise")
            o.normalise = true;
        else if (arg == "--engine")
        {
            o.engine = value();
            if (o.engine != "auto" && o.engine != "native" && o.engine != "libtorch")
                fail(exitUsage, "--engine takes auto, native or libtorch, got '" + o.engine + "'");
        }
        else
            fail(exitUsage, "unknown argument '" + arg + "'\n" + usageText);
    }
    if (o.in.empty() || o.out.empty())
        fail(exitUsage, std::string("--in and --out are required\n") + usageText);
    return o;
}

std::string jsonString(const std::string& s)
{
    std::ostringstream o;
    o << '"';
    for (unsigned char c : s)
    {
        if (c == '"' || c == '\\')
            o << '\\' << c;
        else if (c < 0x20)
        {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            o << buf;
        }
        else
            o << c;
    }
    o << '"';
    return o.str();
}

/** A progress bar on a terminal; silence when stderr is a file or a pipe. */
class Progress
{
public:
    explicit Progress(size_t total) : total(std::max<size_t>(1, total)), enabled(isatty(STDERR_FILENO) != 0)
    {
    }

    void update(size_t done)
    {
        if (!enabled)
            return;
        const int percent = static_cast<int>(100 * done / total);
        if (percent == last)
            return;
        last = percent;
        const int width = 40;
        const int filled = percent * width / 100;
        std::fprintf(stderr, "\r[%.*s%.*s] %3d%%", filled, "########################################",
                     width - filled, "                                        ", percent);
        if (percent == 100)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    size_t total;
    bool enabled;
    int last = -1;
};

/** The preset named by --preset, or an empty one. */
Preset loadPreset(const Options& options)
{
    if (options.preset.empty())
        return {};
    auto preset = readPreset(options.preset);
    if (!preset)
        fail(exitPreset, preset.error());
    for (const auto& w : preset->warnings)
        std::cerr << "torchamp-render: warning: " << fileNameOf(options.preset) << ": " << w << "\n";
    return std::move(*preset);
}

/** The model: --model, else the preset's, else the embedded default. Its name goes to `name`. */
LoadedModel loadChosenModel(const Options& options, const Preset& preset, std::string& name)
{
    LoadOptions loadOptions;
    loadOptions.strict = options.strict;
    loadOptions.engine = engineChoiceFromName(options.engine);
    Result<LoadedModel> loaded = Result<LoadedModel>::failure({});
    if (!options.model.empty())
    {
        name = options.model;
        loaded = loadModelFile(options.model, loadOptions);
    }
    else if (preset.model && !preset.model->builtIn)
    {
        name =
            preset.model->path.empty() ? preset.name + " (embedded model)" : fileNameOf(preset.model->path);
        auto bytes = presetAssetBytes(*preset.model, options.preset, FileLimits::maxModelBytes);
        if (!bytes)
            fail(exitPreset, bytes.error());
        loaded = loadModel(*bytes, name, loadOptions);
    }
    else
    {
        name = resources::defaultModelName;
        loaded = loadModel(resources::defaultModelBytes(), resources::defaultModelName, loadOptions);
    }
    if (!loaded)
        fail(exitModel, loaded.error());
    for (const auto& w : loaded->spec.warnings)
        std::cerr << "torchamp-render: warning: " << name << ": " << w << "\n";
    return std::move(*loaded);
}

/** Every parameter: defaults, the model's knob defaults, the preset, then the command line. */
ParameterValues chooseParameters(const Options& options, const Preset& preset, const ModelSpec& spec)
{
    ParameterValues values;
    for (int k = 0; k < spec.numKnobs(); ++k)
        values.set(knobParameter(k), spec.knobDefaults[static_cast<size_t>(k)]);
    for (const auto& [id, value] : preset.parameters)
        values.set(id, value);
    for (const auto& [id, value] : options.parameters)
        values.set(id, value);
    if (options.normalise)
        values.set(ParameterId::normalise, 1.0f);
    for (const auto& [name, text] : options.knobs)
    {
        const auto it = std::find(spec.knobNames.begin(), spec.knobNames.end(), name);
        if (it == spec.knobNames.end())
        {
            std::string known;
            for (const auto& k : spec.knobNames)
                known += (known.empty() ? "" : ", ") + k;
            fail(exitUsage, "the model has no knob '" + name +
                                "' (its knobs: " + (known.empty() ? "none" : known) + ")");
        }
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
            fail(exitUsage, "knob '" + name + "' takes a value from 0 to 1, got '" + text + "'");
        values.set(knobParameter(static_cast<int>(it - spec.knobNames.begin())), static_cast<float>(v));
    }
    return values;
}

/** The impulse response: --ir, else the preset's; std::nullopt for none. */
std::optional<ImpulseResponse> loadChosenImpulseResponse(const Options& options, const Preset& preset)
{
    auto decodeDefault = []
    { return decodeImpulseResponse(resources::defaultCabinetBytes(), resources::defaultCabinetName); };
    Result<ImpulseResponse> ir = Result<ImpulseResponse>::failure({});
    if (options.impulseResponse == "default")
        ir = decodeDefault();
    else if (!options.impulseResponse.empty())
        ir = readImpulseResponseFile(options.impulseResponse);
    else if (preset.impulseResponse && preset.impulseResponse->builtIn)
        ir = decodeDefault();
    else if (preset.impulseResponse)
    {
        auto bytes =
            presetAssetBytes(*preset.impulseResponse, options.preset, FileLimits::maxImpulseResponseBytes);
        if (!bytes)
            fail(exitPreset, bytes.error());
        const auto& path = preset.impulseResponse->path;
        ir = decodeImpulseResponse(*bytes, path.empty() ? preset.name + " (embedded impulse response)"
                                                        : fileNameOf(path));
    }
    else
        return std::nullopt;
    if (!ir)
        fail(exitImpulseResponse, ir.error());
    return std::move(*ir);
}

AudioData readInput(const Options& options)
{
    auto audio = readAudioFile(options.in);
    if (!audio)
        fail(exitAudio, audio.error());
    if (audio->numFrames() == 0)
        fail(exitAudio, options.in + ": the file has no audio frames");
    if (auto problem =
            HostLimits::describeUnsupportedSampleRate(static_cast<double>(audio->sampleRate), options.in);
        !problem.empty())
        fail(exitAudio, problem + "; convert it first (for example: sox IN.wav -r 48000 OUT.wav)");
    return std::move(*audio);
}

struct Timing
{
    double wall = 0.0;
    std::vector<double> blockMicros;
    int warmUpSamples = 0;
};

/** The channels the output has: the input's, or two for a mono input with --stereo. */
int outputChannels(const Options& options, const AudioData& audio)
{
    return options.stereo ? std::max(2, audio.numChannels()) : audio.numChannels();
}

/** Plays `audio` through the chain in blocks, out on `channels` channels (the input's, or more
    for a mono input played out in stereo); the latency is removed, so the output lines up with
    the input: the file is rendered with `latency` extra samples of silence at the end, and the
    first `latency` output samples dropped. */
AudioData render(EffectChain& chain, const AudioData& audio, int channels, int block, Timing& timing)
{
    const int inputs = audio.numChannels();
    const size_t frames = audio.numFrames();
    const int latency = chain.latencySamples();
    const size_t total = frames + static_cast<size_t>(latency);
    std::vector<std::vector<float>> work(static_cast<size_t>(channels), std::vector<float>(total, 0.0f));
    for (int ch = 0; ch < inputs; ++ch)
        std::copy(audio.channels[static_cast<size_t>(ch)].begin(),
                  audio.channels[static_cast<size_t>(ch)].end(), work[static_cast<size_t>(ch)].begin());

    std::vector<float*> io(static_cast<size_t>(channels));
    timing.blockMicros.reserve(total / static_cast<size_t>(block) + 1);
    Progress progress(total);
    for (size_t start = 0; start < total; start += static_cast<size_t>(block))
    {
        const int n = static_cast<int>(std::min(total - start, static_cast<size_t>(block)));
        for (int ch = 0; ch < channels; ++ch)
            io[static_cast<size_t>(ch)] = work[static_cast<size_t>(ch)].data() + start;
        // Offline, the LibTorch worker is given the time it needs: nothing is late, and the time
        // spent waiting counts, so the figures show its real speed.
        const auto t0 = std::chrono::steady_clock::now();
        chain.waitForEngine();
        chain.process(io.data(), inputs, channels, n);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        timing.wall += seconds;
        timing.blockMicros.push_back(seconds * 1e6);
        progress.update(start + static_cast<size_t>(n));
    }
    AudioData output;
    output.sampleRate = audio.sampleRate;
    for (auto& w : work)
        output.channels.emplace_back(w.begin() + latency, w.end());
    return output;
}

std::string impulseResponseJson(const std::optional<CabinetInfo>& info)
{
    if (!info)
        return "null";
    std::ostringstream j;
    j << "{\"name\":" << jsonString(info->name) << ",\"sample_rate\":" << info->sampleRate
      << ",\"channels\":" << info->numChannels << ",\"frames\":" << info->numFrames
      << ",\"taps\":" << info->tapsAtHostRate << ",\"latency_samples\":" << info->latencySamples
      << ",\"cabinet_latency\":"
      << (info->latencyMode == ConvolutionLatency::zero ? "\"zero\"" : "\"low-cpu\"") << "}";
    return j.str();
}

std::string parametersJson(const ParameterValues& values)
{
    std::ostringstream j;
    j << "{";
    for (const auto& p : parameterCatalogue())
        j << (p.id == ParameterId::inputGain ? "" : ",") << jsonString(p.key) << ":" << values[p.id];
    j << "}";
    return j.str();
}

/** The JSON line of figures torchamp-render prints. */
std::string figuresJson(const Options& options, const LoadedModel& loaded, const std::string& modelName,
                        const Preset& preset, const AudioData& audio, const ParameterValues& parameters,
                        const EffectChain& chain, const Timing& timing)
{
    const ModelSpec& spec = loaded.spec;
    const int channels = audio.numChannels();
    const double secondsAudio =
        static_cast<double>(audio.numFrames()) / static_cast<double>(audio.sampleRate);
    const double wall = timing.wall;
    const auto& blockMicros = timing.blockMicros;
    std::ostringstream json;
    json.precision(6);
    json << "{\"engine\":" << jsonString(engineKindName(loaded.engine)) << ",\"model\":" << jsonString(modelName)
         << ",\"model_name\":" << jsonString(spec.name)
         << ",\"architecture\":" << jsonString(spec.architecture()) << ",\"sample_rate\":" << audio.sampleRate
         << ",\"model_sample_rate\":" << spec.sampleRate << ",\"channels\":" << channels
         << ",\"output_channels\":" << outputChannels(options, audio)
         << ",\"channels_linked\":" << (chain.channelsLinked() ? "true" : "false")
         << ",\"samples\":" << audio.numFrames() << ",\"block\":" << options.block
         << ",\"seconds_audio\":" << secondsAudio << ",\"seconds_wall\":" << wall
         << ",\"realtime_factor\":" << (wall > 0 ? secondsAudio / wall : 0.0)
         << ",\"block_us_p50\":" << percentile(blockMicros, 0.50)
         << ",\"block_us_p99\":" << percentile(blockMicros, 0.99)
         << ",\"block_us_max\":" << percentile(blockMicros, 1.0)
         << ",\"latency_samples\":" << chain.latencySamples()
         << ",\"latency_compensated\":true,\"warm_up_samples\":" << timing.warmUpSamples
         << ",\"resampling\":" << (audio.sampleRate != spec.sampleRate ? "true" : "false")
         << ",\"parity_max_abs_error\":" << loaded.parityMaxAbsError
         << ",\"state_resets\":" << chain.stateResets() << ",\"underruns\":" << chain.underruns()
         << ",\"engine_reason\":" << jsonString(loaded.engineReason)
         << ",\"source_format\":" << jsonString(spec.sourceFormat) << ",\"normalise_gain_db\":"
         << (parameters[ParameterId::normalise] >= 0.5f && std::isfinite(spec.loudnessDb)
                 ? EffectChain::normaliseTargetDb - spec.loudnessDb
                 : 0.0f)
         << ",\"knobs\":{";
    for (int k = 0; k < spec.numKnobs(); ++k)
        json << (k ? "," : "") << jsonString(spec.knobNames[static_cast<size_t>(k)]) << ":"
             << parameters[knobParameter(k)];
    json << "},\"impulse_response\":" << impulseResponseJson(chain.currentImpulseResponse())
         << ",\"preset\":" << (options.preset.empty() ? "null" : jsonString(preset.name))
         << ",\"parameters\":" << parametersJson(parameters) << ",\"output\":" << jsonString(options.out)
         << "}";
    return json.str();
}

} // namespace

int main(int argc, char** argv)
{
    const auto options = parseArguments(argc, argv);
    // The audio first: a file that cannot be rendered is refused before any model is loaded.
    const auto audio = readInput(options);
    const auto preset = loadPreset(options);
    std::string modelName;
    const auto loaded = loadChosenModel(options, preset, modelName);
    const ModelSpec& spec = loaded.spec;
    const auto parameters = chooseParameters(options, preset, spec);
    const auto impulseResponse = loadChosenImpulseResponse(options, preset);
    std::cerr << "torchamp-render: " << modelName << ": " << spec.architecture() << ", "
              << engineKindName(loaded.engine) << " engine (" << loaded.engineReason << ")\n";
    const int channels = outputChannels(options, audio);

    // Either engine plays through the plugin's own signal path (EffectChain). The parameters are
    // in place before prepare(), so they start settled rather than gliding from the defaults.
    EffectChain chain;
    chain.setParameters(parameters);
    chain.setCabinetLatency(options.cabinetLatency.value_or(preset.cabinetLatency));
    chain.prepare({static_cast<double>(audio.sampleRate), options.block, channels});
    Timing timing;
    try
    {
        auto runner = std::make_unique<ModelRunner>(spec, chain.config(), loaded.engineFactory());
        if (!runner->problem().empty())
            fail(exitModel, modelName + ": " + runner->problem());
        if (options.warmUp)
        {
            runner->warmUp();
            runner->waitForEngine();
            timing.warmUpSamples = runner->warmUpSamples();
        }
        chain.publish(std::move(runner));
    }
    catch (const std::exception& e)
    {
        fail(exitModel, modelName + ": " + e.what());
    }
    if (impulseResponse)
        if (auto problem = chain.loadImpulseResponse(*impulseResponse); !problem.empty())
            fail(exitImpulseResponse, problem);

    const auto output = render(chain, audio, channels, options.block, timing);
    if (auto error = writeWavFloat(options.out, output); !error.empty())
        fail(exitAudio, error);

    std::cout << figuresJson(options, loaded, modelName, preset, audio, parameters, chain, timing)
              << std::endl;
    return exitOk;
}
