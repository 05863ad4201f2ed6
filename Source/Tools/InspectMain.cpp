// torchamp-inspect: what TorchAmp makes of a model file, as one JSON line on stdout: the loader's
// verdict (the same code the plugin and torchamp-render run), so that Python tools (Models/torchamp)
// ask it instead of judging files themselves.
//
//   torchamp-inspect [--no-parity] [--strict] [--engine auto|native|libtorch] FILE
//   torchamp-inspect --limits
//
// Exit codes: 0 the file plays, 2 usage, 3 the file is refused (the JSON says why).

#include "LibTorchModule.h"
#include "Limits.h"
#include "ModelLoader.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>

namespace
{

using namespace torchamp;
using Json = nlohmann::ordered_json;

enum ExitCode
{
    exitOk = 0,
    exitUsage = 2,
    exitRefused = 3,
};

const char* usageText =
    "usage: torchamp-inspect [--no-parity] [--strict] [--engine auto|native|libtorch] FILE\n"
    "       torchamp-inspect --limits\n"
    "Prints one JSON line: what TorchAmp makes of FILE (format, architecture, knobs, sample rate,\n"
    "metadata, warnings, which engine plays it and why), or why it refuses the file.\n"
    "  --no-parity  do not compare the native engine with LibTorch\n"
    "  --strict     safe mode, as in the plugin\n"
    "  --limits     the limits TorchAmp checks files and hosts against\n"
    "exit codes: 0 plays, 2 usage, 3 refused\n";

Json limits()
{
    return Json{{"model",
                 {{"max_layers", ModelLimits::maxLayers},
                  {"max_sequence_layers", ModelLimits::maxSequenceLayers},
                  {"max_hidden_size", ModelLimits::maxHiddenSize},
                  {"max_knobs", ModelLimits::maxKnobs},
                  {"max_knob_name_length", ModelLimits::maxKnobNameLength},
                  {"min_sample_rate", ModelLimits::minSampleRate},
                  {"max_sample_rate", ModelLimits::maxSampleRate}}},
                {"host",
                 {{"min_sample_rate", HostLimits::minSampleRate},
                  {"max_sample_rate", HostLimits::maxSampleRate},
                  {"max_block_size", HostLimits::maxBlockSize},
                  {"max_channels", HostLimits::maxChannels}}},
                {"file",
                 {{"max_model_bytes", FileLimits::maxModelBytes},
                  {"max_audio_file_bytes", FileLimits::maxAudioFileBytes}}}};
}

/** A float as the shortest decimal that reads back as the same float (0.3f is 0.3, not 0.30000001). */
Json decimal(float v)
{
    if (!std::isfinite(v))
        return Json(nullptr);
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, v).ptr;
    return Json(std::strtod(std::string(text, end).c_str(), nullptr));
}

const char* kindName(LayerKind kind)
{
    switch (kind)
    {
        case LayerKind::dense: return "dense";
        case LayerKind::activation: return "activation";
        case LayerKind::conv1d: return "conv1d";
        case LayerKind::batchNorm: return "batchnorm";
        case LayerKind::prelu: return "prelu";
        case LayerKind::gru: return "gru";
        case LayerKind::lstm: return "lstm";
    }
    return "?";
}

Json layersOf(const ModelSpec& spec)
{
    Json layers = Json::array();
    for (const auto& l : spec.layers)
        layers.push_back({{"type", l.type == CellType::gru ? "gru" : "lstm"},
                          {"inputs", l.inputSize},
                          {"hidden", l.hiddenSize}});
    for (const auto& l : spec.sequence)
    {
        Json layer{{"type", kindName(l.kind)}, {"inputs", l.inputSize}, {"outputs", l.outputSize}};
        if (l.kind == LayerKind::gru || l.kind == LayerKind::lstm)
            layer["hidden"] = l.outputSize; // as the contract's recurrent layers say it
        layers.push_back(std::move(layer));
    }
    return layers;
}

std::size_t recurrentWeights(const RecurrentLayerSpec& l)
{
    return l.weightIh.size() + l.weightHh.size() + l.biasIh.size() + l.biasHh.size();
}

std::size_t parameterCount(const ModelSpec& spec)
{
    std::size_t n = spec.layers.empty() ? 0 : spec.headWeight.size() + 1;
    for (const auto& l : spec.layers)
        n += recurrentWeights(l);
    for (const auto& l : spec.sequence)
        n += recurrentWeights(l.recurrent) + l.weight.size() + l.bias.size() + l.gamma.size() + l.beta.size()
             + l.mean.size() + l.variance.size() + l.slopes.size();
    return n;
}

Json describe(const std::string& file, const LoadedModel& model)
{
    const auto& spec = model.spec;
    Json knobs = Json::array();
    for (int k = 0; k < spec.numKnobs(); ++k)
        knobs.push_back({{"name", spec.knobNames[static_cast<size_t>(k)]},
                         {"default", decimal(spec.knobDefaults[static_cast<size_t>(k)])}});
    return Json{{"file", file},
                {"ok", true},
                {"format", spec.sourceFormat},
                {"architecture", spec.architecture()},
                {"layers", layersOf(spec)},
                {"parameters", parameterCount(spec)},
                {"inputs", spec.inputSize()},
                {"knobs", knobs},
                {"sample_rate", spec.sampleRate},
                {"skip", spec.skip},
                {"metadata",
                 {{"name", spec.name},
                  {"description", spec.description},
                  {"author", spec.author},
                  {"gear", spec.gear},
                  {"loudness_db", decimal(spec.loudnessDb)},
                  {"input_level_dbu", decimal(spec.inputLevelDbu)},
                  {"output_level_dbu", decimal(spec.outputLevelDbu)}}},
                {"warnings", spec.warnings},
                {"engine", engineKindName(model.engine)},
                {"engine_reason", model.engineReason},
                {"parity_max_abs_error",
                 model.parityMaxAbsError >= 0.0 ? Json(model.parityMaxAbsError) : Json(nullptr)},
                {"libtorch", LibTorchModule::backend() != nullptr ? Json(LibTorchModule::backend()->version())
                                                                  : Json(nullptr)}};
}

} // namespace

int main(int argc, char** argv)
{
    LoadOptions options;
    std::string file;
    for (int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h")
        {
            std::cout << usageText;
            return exitOk;
        }
        if (arg == "--limits")
        {
            std::cout << limits().dump() << std::endl;
            return exitOk;
        }
        if (arg == "--no-parity")
            options.parityCheck = false;
        else if (arg == "--strict")
            options.strict = true;
        else if (arg == "--engine" && i + 1 < argc)
        {
            const std::string name = argv[++i];
            options.engine = engineChoiceFromName(name);
            if (name != engineChoiceName(options.engine))
            {
                std::cerr << "torchamp-inspect: --engine takes auto, native or libtorch, got '" << name
                          << "'\n";
                return exitUsage;
            }
        }
        else if (!arg.empty() && arg[0] != '-' && file.empty())
            file = arg;
        else
        {
            std::cerr << "torchamp-inspect: unknown argument '" << arg << "'\n" << usageText;
            return exitUsage;
        }
    }
    if (file.empty())
    {
        std::cerr << usageText;
        return exitUsage;
    }
    const auto loaded = loadModelFile(file, options);
    if (!loaded)
    {
        std::cout << Json{{"file", file}, {"ok", false}, {"error", loaded.error()}}.dump() << std::endl;
        return exitRefused;
    }
    std::cout << describe(file, *loaded).dump() << std::endl;
    return exitOk;
}
