// torchamp-render: renders a WAV file through a TorchAmp model, offline, the way the plugin plays it.
// Prints progress on stderr and exactly one JSON line of figures on stdout.

#include "EffectChain.h"
#include "EmbeddedResources.h"
#include "ModelLoader.h"
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
};

const char* usageText =
    "usage: torchamp-render [--model M.pt] --in IN.wav --out OUT.wav [--knob NAME=VALUE]... [--block N]\n"
    "                       [--engine auto|native|libtorch] [--warm-up] [--normalise]\n"
    "  --model   model file: TorchScript (.pt), Neural Amp Modeler (.nam: LSTM, WaveNet), RTNeural/AIDA-X, GuitarML\n"
    "            or PyTorch state_dict JSON (default: the embedded default model)\n"
    "  --in      input WAV (PCM 8/16/24/32-bit or float); each channel is processed with its own state\n"
    "  --out     output WAV, 32-bit float, same rate and channels as the input\n"
    "  --knob    set a model knob, value in [0, 1] (repeatable; default: the model's knob defaults)\n"
    "  --block   block size in samples, 1..8192 (default 128)\n"
    "  --engine  native (the real-time engine), libtorch (LibTorch forward() per block on a worker thread,\n"
    "            its latency removed from the output), or auto (default: native when it matches LibTorch,\n"
    "            LibTorch otherwise, e.g. for a module whose forward(x) maps audio to audio)\n"
    "  --strict  safe mode, as in the plugin: refuse TorchScript whose code uses operators beyond LSTM,\n"
    "            Linear and simple arithmetic (loading TorchScript runs code from the file)\n"
    "  --warm-up start from the model's idle state, as the plugin does after its warm-up (and a host after\n"
    "            a pre-roll of silence); default: zero state, like LibTorch's forward() on the whole file\n"
    "  --normalise play a model that states its loudness (NAM) at -18 dB, as Neural Amp Modeler does\n"
    "exit codes: 0 ok, 2 usage, 3 model error, 4 audio file error\n";

struct Options
{
    std::string model;
    std::string in;
    std::string out;
    std::vector<std::pair<std::string, std::string>> knobs;
    int block = 128;
    std::string engine = "auto";
    bool warmUp = false;
    bool normalise = false;
    bool strict = false;
};

[[noreturn]] void fail(int code, const std::string& message)
{
    std::cerr << "torchamp-render: " << message << "\n";
    std::exit(code);
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
        auto value = [&]() -> std::string {
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
        else if (arg == "--knob")
        {
            const auto kv = value();
            const auto eq = kv.find('=');
            if (eq == std::string::npos || eq == 0)
                fail(exitUsage, "--knob takes NAME=VALUE, got '" + kv + "'");
            o.knobs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        }
        else if (arg == "--block")
        {
            const auto v = value();
            char* end = nullptr;
            const long b = std::strtol(v.c_str(), &end, 10);
            if (*end != '\0' || b < 1 || b > 8192)
                fail(exitUsage, "--block takes a whole number from 1 to 8192, got '" + v + "'");
            o.block = static_cast<int>(b);
        }
        else if (arg == "--strict")
            o.strict = true;
        else if (arg == "--warm-up")
            o.warmUp = true;
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
    explicit Progress(size_t total) : total(std::max<size_t>(1, total)), enabled(isatty(STDERR_FILENO) != 0) {}

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
        std::fprintf(stderr, "\r[%.*s%.*s] %3d%%", filled, "########################################", width - filled,
                     "                                        ", percent);
        if (percent == 100)
            std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    size_t total;
    bool enabled;
    int last = -1;
};

} // namespace

int main(int argc, char** argv)
{
    const auto options = parseArguments(argc, argv);

    // The model: a file, or the embedded default.
    const std::string modelName = options.model.empty() ? resources::defaultModelName : options.model;
    LoadOptions loadOptions;
    loadOptions.strict = options.strict;
    loadOptions.engine = options.engine == "native"     ? EngineChoice::native
                         : options.engine == "libtorch" ? EngineChoice::libtorch
                                                        : EngineChoice::automatic;
    Result<LoadedModel> loaded = options.model.empty()
                                     ? loadModel(resources::defaultModelBytes(), resources::defaultModelName, loadOptions)
                                     : loadModelFile(options.model, loadOptions);
    if (!loaded)
        fail(exitModel, loaded.error());
    const ModelSpec& spec = loaded->spec;
    for (const auto& w : spec.warnings)
        std::cerr << "torchamp-render: warning: " << modelName << ": " << w << "\n";

    std::vector<float> knobs = spec.knobDefaults;
    for (const auto& [name, text] : options.knobs)
    {
        const auto it = std::find(spec.knobNames.begin(), spec.knobNames.end(), name);
        if (it == spec.knobNames.end())
        {
            std::string known;
            for (const auto& k : spec.knobNames)
                known += (known.empty() ? "" : ", ") + k;
            fail(exitUsage, "the model has no knob '" + name + "' (its knobs: " + (known.empty() ? "none" : known) + ")");
        }
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
            fail(exitUsage, "knob '" + name + "' takes a value from 0 to 1, got '" + text + "'");
        knobs[static_cast<size_t>(it - spec.knobNames.begin())] = static_cast<float>(v);
    }

    const std::string engine = loaded->engine;
    std::cerr << "torchamp-render: " << modelName << ": " << spec.architecture() << ", " << engine << " engine ("
              << loaded->engineReason << ")\n";

    auto audio = readWav(options.in);
    if (!audio)
        fail(exitAudio, audio.error());
    if (audio->numFrames() == 0)
        fail(exitAudio, options.in + ": the file has no audio frames");
    const bool rateDiffers = audio->sampleRate != spec.sampleRate;

    const int channels = audio->numChannels();
    const size_t frames = audio->numFrames();
    AudioData output;
    output.sampleRate = audio->sampleRate;
    output.channels.assign(static_cast<size_t>(channels), std::vector<float>(frames));

    // Either engine plays through the plugin's own signal path (EffectChain), with the plugin's
    // defaults: 0 dB gains, 100 % wet, resampling to the model's rate when needed.
    EffectChain chain;
    chain.prepare({ static_cast<double>(audio->sampleRate), options.block, channels });
    int warmUpSamples = 0;
    try
    {
        auto runner = std::make_unique<ModelRunner>(spec, chain.config(), loaded->engineFactory());
        if (options.warmUp)
        {
            runner->warmUp();
            runner->waitForEngine();
            warmUpSamples = runner->warmUpSamples();
        }
        chain.publish(std::move(runner));
    }
    catch (const std::exception& e)
    {
        fail(exitModel, modelName + ": " + e.what());
    }
    for (size_t k = 0; k < knobs.size(); ++k)
        chain.setKnob(static_cast<int>(k), knobs[k]);
    chain.setNormaliseOutput(options.normalise);

    // The file is rendered with `latency` extra samples of silence at the end, and the first
    // `latency` output samples dropped, so the output lines up with the input.
    const int latency = chain.latencySamples();
    const size_t total = frames + static_cast<size_t>(latency);
    std::vector<std::vector<float>> work(static_cast<size_t>(channels), std::vector<float>(total, 0.0f));
    for (int ch = 0; ch < channels; ++ch)
        std::copy(audio->channels[static_cast<size_t>(ch)].begin(), audio->channels[static_cast<size_t>(ch)].end(),
                  work[static_cast<size_t>(ch)].begin());

    std::vector<float*> io(static_cast<size_t>(channels));
    std::vector<double> blockMicros;
    blockMicros.reserve(total / static_cast<size_t>(options.block) + 1);
    Progress progress(total);
    double wall = 0.0;

    for (size_t start = 0; start < total; start += static_cast<size_t>(options.block))
    {
        const int n = static_cast<int>(std::min(total - start, static_cast<size_t>(options.block)));
        for (int ch = 0; ch < channels; ++ch)
            io[static_cast<size_t>(ch)] = work[static_cast<size_t>(ch)].data() + start;
        // Offline, the LibTorch worker is given the time it needs: nothing is late, and the time
        // spent waiting counts, so the figures show its real speed.
        const auto t0 = std::chrono::steady_clock::now();
        chain.waitForEngine();
        chain.process(io.data(), channels, n);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        wall += seconds;
        blockMicros.push_back(seconds * 1e6);
        progress.update(start + static_cast<size_t>(n));
    }
    for (int ch = 0; ch < channels; ++ch)
        std::copy(work[static_cast<size_t>(ch)].begin() + latency, work[static_cast<size_t>(ch)].end(),
                  output.channels[static_cast<size_t>(ch)].begin());

    if (auto error = writeWavFloat(options.out, output); !error.empty())
        fail(exitAudio, error);

    const double secondsAudio = static_cast<double>(frames) / audio->sampleRate;
    std::ostringstream json;
    json.precision(6);
    json << "{\"engine\":" << jsonString(engine) << ",\"model\":" << jsonString(modelName)
         << ",\"model_name\":" << jsonString(spec.name) << ",\"architecture\":" << jsonString(spec.architecture())
         << ",\"sample_rate\":" << audio->sampleRate << ",\"model_sample_rate\":" << spec.sampleRate
         << ",\"channels\":" << channels << ",\"samples\":" << frames << ",\"block\":" << options.block
         << ",\"seconds_audio\":" << secondsAudio << ",\"seconds_wall\":" << wall
         << ",\"realtime_factor\":" << (wall > 0 ? secondsAudio / wall : 0.0)
         << ",\"block_us_p50\":" << percentile(blockMicros, 0.50) << ",\"block_us_p99\":" << percentile(blockMicros, 0.99)
         << ",\"block_us_max\":" << percentile(blockMicros, 1.0) << ",\"latency_samples\":" << latency
         << ",\"latency_compensated\":true,\"warm_up_samples\":" << warmUpSamples
         << ",\"resampling\":" << (rateDiffers ? "true" : "false")
         << ",\"parity_max_abs_error\":" << loaded->parityMaxAbsError
         << ",\"state_resets\":" << chain.stateResets() << ",\"underruns\":" << chain.underruns()
         << ",\"engine_reason\":" << jsonString(loaded->engineReason)
         << ",\"source_format\":" << jsonString(spec.sourceFormat)
         << ",\"normalise_gain_db\":"
         << (options.normalise && std::isfinite(spec.loudnessDb) ? EffectChain::normaliseTargetDb - spec.loudnessDb : 0.0f)
         << ",\"knobs\":{";
    for (size_t k = 0; k < knobs.size(); ++k)
        json << (k ? "," : "") << jsonString(spec.knobNames[k]) << ":" << knobs[k];
    json << "},\"output\":" << jsonString(options.out) << "}";
    std::cout << json.str() << std::endl;
    return exitOk;
}
