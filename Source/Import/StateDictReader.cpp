// PyTorch state_dicts saved as JSON. Two flavours:
// - GuitarML / Automated-GuitarAmpModelling ("SimpleRNN"): {"model_data": {"model", "unit_type",
//   "input_size", "hidden_size", "num_layers", "output_size", "skip", "bias_fl"}, "state_dict":
//   {"rec.weight_ih_l0": ..., "lin.weight": ..., "lin.bias": ...}}; forward is
//   lin(rec(x)) + x[..., :skip].
// - a bare state_dict (RTNeural's torch helpers): recurrent modules ("<name>.weight_ih_l<k>", ...)
//   in key order, then one Linear ("<name>.weight", "<name>.bias") to one output.
// Weights are in PyTorch's own layout and gate order; the cell type follows from the shapes
// (4 * H rows: LSTM, 3 * H rows: GRU).

#include "JsonReading.h"

#include <map>
#include <sstream>

namespace torchamp::import
{

namespace
{

struct Module
{
    std::string name;
    std::map<std::string, const Json*> params; // "weight_ih_l0" -> value
};

/** Groups "<module>.<parameter>" keys by module, in the order modules first appear. */
std::vector<Module> modulesOf(const Json& dict)
{
    std::vector<Module> modules;
    for (auto it = dict.begin(); it != dict.end(); ++it)
    {
        const auto& key = it.key();
        const auto dot = key.rfind('.');
        const std::string module = dot == std::string::npos ? std::string() : key.substr(0, dot);
        const std::string param = dot == std::string::npos ? key : key.substr(dot + 1);
        if (modules.empty() || modules.back().name != module)
        {
            for (const auto& m : modules)
                if (m.name == module)
                    fail("the state_dict's entries of \"" + module + "\" are not together");
            modules.push_back({module, {}});
        }
        modules.back().params[param] = &it.value();
    }
    return modules;
}

bool isRecurrent(const Module& m)
{
    return m.params.count("weight_ih_l0") != 0;
}

void readRecurrentModule(const Module& m, ModelSpec& spec, int& width)
{
    const std::string where = "\"" + m.name + "\"";
    for (const auto& [param, value] : m.params)
        if (param.find("_reverse") != std::string::npos || param.rfind("weight_hr", 0) == 0)
            fail(where + " is bidirectional or projected (" + param + "): not supported");
    for (int l = 0;; ++l)
    {
        const auto suffix = "_l" + std::to_string(l);
        const auto ih = m.params.find("weight_ih" + suffix);
        if (ih == m.params.end())
        {
            if (l == 0)
                fail(where + " has no weight_ih_l0");
            break;
        }
        const auto hh = m.params.find("weight_hh" + suffix);
        if (hh == m.params.end())
            fail(where + " has weight_ih" + suffix + " but no weight_hh" + suffix);
        const auto layerWhere = where + " layer " + std::to_string(l);
        const auto wHh = tensor(*hh->second, m.name + ".weight_hh" + suffix);
        if (wHh.shape.size() != 2 || wHh.shape[1] < 1 || wHh.shape[0] % wHh.shape[1] != 0)
            fail(m.name + ".weight_hh" + suffix + " has shape " + shapeText(wHh.shape) +
                 ", expected [gates * H, H]");
        const int hidden = wHh.shape[1];
        const int gates = wHh.shape[0] / hidden;
        if (gates != 3 && gates != 4)
            fail(layerWhere + " has " + std::to_string(gates) +
                 " gates: TorchAmp reads LSTM (4) and GRU (3) layers");
        if (hidden > ModelLimits::maxHiddenSize)
            fail(layerWhere + " has " + std::to_string(hidden) + " units; TorchAmp plays at most " +
                 std::to_string(ModelLimits::maxHiddenSize));
        RecurrentLayerSpec layer;
        layer.type = gates == 3 ? CellType::gru : CellType::lstm;
        layer.inputSize = width;
        layer.hiddenSize = hidden;
        layer.weightHh = wHh.values;
        layer.weightIh =
            tensorOfShape(*ih->second, m.name + ".weight_ih" + suffix, {gates * hidden, width}).values;
        for (auto [name, field] : {std::pair{"bias_ih", &layer.biasIh}, std::pair{"bias_hh", &layer.biasHh}})
        {
            const auto b = m.params.find(name + suffix);
            *field = b == m.params.end()
                         ? std::vector<float>(static_cast<size_t>(gates * hidden), 0.0f)
                         : tensorOfShape(*b->second, m.name + "." + name + suffix, {gates * hidden}).values;
        }
        LayerSpec step;
        step.kind = layer.type == CellType::gru ? LayerKind::gru : LayerKind::lstm;
        step.inputSize = width;
        step.outputSize = hidden;
        step.recurrent = std::move(layer);
        spec.sequence.push_back(std::move(step));
        width = hidden;
    }
}

ModelSpec readDict(const Json& dict, int inputs, const std::string& stem)
{
    if (!dict.is_object() || dict.empty())
        fail("the state_dict should be a non-empty JSON object");
    ModelSpec spec;
    spec.name = stem;
    for (int k = 1; k < inputs; ++k)
    {
        spec.knobNames.push_back("Param " + std::to_string(k));
        spec.knobDefaults.push_back(0.5f);
    }
    int width = inputs;
    const auto modules = modulesOf(dict);
    size_t i = 0;
    for (; i < modules.size() && isRecurrent(modules[i]); ++i)
        readRecurrentModule(modules[i], spec, width);
    if (spec.sequence.empty())
        fail("the state_dict has no LSTM or GRU (no \"...weight_ih_l0\" entry before the others)");
    if (i + 1 != modules.size())
        fail("after the recurrent layers the state_dict should hold exactly one Linear layer to 1 output; "
             "found " +
             std::to_string(modules.size() - i) + " more modules");
    const auto& head = modules[i];
    const auto weight = head.params.find("weight");
    if (weight == head.params.end() || head.params.size() > 2)
        fail("\"" + head.name + "\" should be a Linear layer (weight and bias)");
    LayerSpec linear;
    linear.kind = LayerKind::dense;
    linear.inputSize = width;
    linear.outputSize = 1;
    linear.weight = tensorOfShape(*weight->second, head.name + ".weight", {1, width}).values;
    if (const auto bias = head.params.find("bias"); bias != head.params.end())
        linear.bias = tensorOfShape(*bias->second, head.name + ".bias", {1}).values;
    else if (head.params.size() == 2)
        fail("\"" + head.name + "\" should be a Linear layer (weight and bias)");
    else
        linear.bias = {0.0f};
    spec.sequence.push_back(std::move(linear));
    return spec;
}

} // namespace

ModelSpec readStateDict(const Json& root, const std::string& stem)
{
    if (!root.contains("model_data") && !root.contains("state_dict"))
    {
        auto spec = readDict(root, 1, stem);
        spec.sourceFormat = "PyTorch state_dict JSON";
        spec.warnings.push_back("no sample rate in the file: assuming 48000 Hz");
        spec.warnings.push_back(
            "no skip information in the file: assuming the output does not add the input");
        return spec;
    }

    const auto& data = member(root, "model_data", "the file");
    const auto model = optionalString(data, "model");
    if (!model.empty() && model != "SimpleRNN")
        fail("not supported yet: model " + model + " (TorchAmp reads GuitarML SimpleRNN models)");
    const int inputs = integer(member(data, "input_size", "\"model_data\""), "model_data input_size", 1,
                               1 + ModelLimits::maxKnobs);
    if (data.contains("output_size"))
        integer(data["output_size"], "model_data output_size", 1, 1);
    auto spec = readDict(member(root, "state_dict", "the file"), inputs, stem);
    spec.sourceFormat = "GuitarML JSON";

    const auto unit = optionalString(data, "unit_type");
    const auto& first = spec.sequence.front().recurrent;
    const auto found = first.type == CellType::gru ? "GRU" : "LSTM";
    if (!unit.empty() && unit != found)
        fail("model_data says unit_type " + unit + " but the weights are a " + found + "'s");
    if (data.contains("hidden_size") &&
        integer(data["hidden_size"], "model_data hidden_size", 1, 1 << 20) != first.hiddenSize)
        fail("model_data hidden_size differs from the weights' (" + std::to_string(first.hiddenSize) + ")");
    const auto recurrentLayers = static_cast<int>(spec.sequence.size()) - 1; // the rest is the Linear
    if (data.contains("num_layers") &&
        integer(data["num_layers"], "model_data num_layers", 1, 1 << 20) != recurrentLayers)
        fail("model_data num_layers differs from the weights' (" + std::to_string(recurrentLayers) + ")");
    if (data.contains("skip"))
    {
        // SimpleRNN adds the first `skip` input channels to its one output: only the audio (1) can be.
        spec.skip = integer(data["skip"], "model_data skip", 0, 1) == 1;
    }
    else
        spec.warnings.push_back("no \"skip\" in model_data: assuming 0");

    // GuitarML's data sets (and so its models) are 44.1 kHz unless the file says otherwise.
    const Json* rate = nullptr;
    for (const auto* holder : {&data, &root})
        for (const char* key : {"samplerate", "sample_rate"})
            if (holder->contains(key) && !(*holder)[key].is_null())
                rate = &(*holder)[key];
    if (rate != nullptr)
        spec.sampleRate =
            integer(*rate, "the sample rate", ModelLimits::minSampleRate, ModelLimits::maxSampleRate);
    else
    {
        spec.sampleRate = 44100;
        spec.warnings.push_back(
            "no sample rate in the file: assuming 44100 Hz, as GuitarML's models are trained");
    }
    return spec;
}

} // namespace torchamp::import
