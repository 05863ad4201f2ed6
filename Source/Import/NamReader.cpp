// Neural Amp Modeler .nam files: JSON with "version", "architecture", "config", "weights" (one flat
// array), "sample_rate" and "metadata". For the LSTM architecture the flat array holds, per layer,
// the PyTorch LSTM's [W_ih | W_hh] as one row-major [4H, inputs + H] matrix, the summed bias
// (b_ih + b_hh) [4H], the learned initial hidden state [H] and cell state [H]; then the head's
// weight [H] and bias. Gate order i, f, g, o (PyTorch's). The layout is proven numerically by
// Tests/import/reference.py against the file's own weights.

#include "JsonReading.h"

#include <sstream>

namespace torchamp::import
{

namespace
{

std::string describeNamMetadata(const Json& meta, ModelSpec& spec)
{
    spec.name = optionalString(meta, "name").empty() ? spec.name : optionalString(meta, "name");
    spec.author = optionalString(meta, "modeled_by");
    std::string gear = optionalString(meta, "gear_make");
    if (const auto model = optionalString(meta, "gear_model"); !model.empty())
        gear += (gear.empty() ? "" : " ") + model;
    if (const auto type = optionalString(meta, "gear_type"); !type.empty())
        gear += (gear.empty() ? "" : ", ") + type;
    spec.gear = gear;
    spec.loudnessDb = optionalNumber(meta, "loudness");
    spec.inputLevelDbu = optionalNumber(meta, "input_level_dbu");
    spec.outputLevelDbu = optionalNumber(meta, "output_level_dbu");

    std::ostringstream d;
    auto add = [&](const std::string& part)
    {
        if (!part.empty())
            d << (d.tellp() > 0 ? "; " : "") << part;
    };
    add(spec.gear);
    if (const auto tone = optionalString(meta, "tone_type"); !tone.empty())
        add("tone: " + tone);
    return d.str();
}

} // namespace

ModelSpec readNam(const Json& root, const std::string& stem)
{
    ModelSpec spec;
    spec.name = stem;
    const auto& architecture = member(root, "architecture", "the file");
    if (!architecture.is_string())
        fail("\"architecture\" should be a string");
    const auto arch = architecture.get<std::string>();
    if (arch != "LSTM")
        fail("not supported yet: architecture " + arch +
             " (TorchAmp plays Neural Amp Modeler files whose architecture is LSTM)");
    const std::string version = optionalString(root, "version");
    spec.sourceFormat = "Neural Amp Modeler .nam" + (version.empty() ? std::string() : " " + version);

    const auto& config = member(root, "config", "the file");
    const int layers =
        integer(member(config, "num_layers", "\"config\""), "config num_layers", 1, ModelLimits::maxLayers);
    const int inputs = integer(member(config, "input_size", "\"config\""), "config input_size", 1, 1);
    const int hidden = integer(member(config, "hidden_size", "\"config\""), "config hidden_size", 1,
                               ModelLimits::maxHiddenSize);

    const auto weights = tensor(member(root, "weights", "the file"), "\"weights\"");
    if (weights.shape.size() != 1)
        fail("\"weights\" should be one flat array of numbers");
    const size_t H = static_cast<size_t>(hidden);
    size_t expected = H + 1;
    for (int l = 0; l < layers; ++l)
        expected += 4 * H * (static_cast<size_t>(l == 0 ? inputs : hidden) + H) + 4 * H + 2 * H;
    if (weights.values.size() != expected)
    {
        std::ostringstream s;
        s << "\"weights\" has " << weights.values.size() << " numbers; an LSTM of " << layers << " layer"
          << (layers == 1 ? "" : "s") << " of " << hidden << " units with " << inputs << " input needs "
          << expected;
        fail(s.str());
    }

    auto it = weights.values.begin();
    for (int l = 0; l < layers; ++l)
    {
        RecurrentLayerSpec layer;
        layer.type = CellType::lstm;
        layer.inputSize = l == 0 ? inputs : hidden;
        layer.hiddenSize = hidden;
        const size_t in = static_cast<size_t>(layer.inputSize);
        for (size_t r = 0; r < 4 * H; ++r)
        {
            layer.weightIh.insert(layer.weightIh.end(), it, it + static_cast<long>(in));
            it += static_cast<long>(in);
            layer.weightHh.insert(layer.weightHh.end(), it, it + static_cast<long>(H));
            it += static_cast<long>(H);
        }
        layer.biasIh.assign(it, it + static_cast<long>(4 * H));
        it += static_cast<long>(4 * H);
        layer.biasHh.assign(4 * H, 0.0f);
        layer.initialHidden.assign(it, it + static_cast<long>(H));
        it += static_cast<long>(H);
        layer.initialCell.assign(it, it + static_cast<long>(H));
        it += static_cast<long>(H);
        spec.layers.push_back(std::move(layer));
    }
    spec.headWeight.assign(it, it + static_cast<long>(H));
    it += static_cast<long>(H);
    spec.headBias = *it;

    if (root.contains("sample_rate") && !root["sample_rate"].is_null())
        spec.sampleRate = integer(root["sample_rate"], "\"sample_rate\"", ModelLimits::minSampleRate,
                                  ModelLimits::maxSampleRate);
    else
        spec.warnings.push_back("no \"sample_rate\": assuming 48000 Hz, as Neural Amp Modeler does");

    if (root.contains("metadata") && root["metadata"].is_object())
        spec.description = describeNamMetadata(root["metadata"], spec);
    return spec;
}

} // namespace torchamp::import
