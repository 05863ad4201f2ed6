// RTNeural's JSON as exported from Keras (RTNeural's model_utils) and played by AIDA-X:
// {"in_shape": [null, null, inputs], "layers": [{"type", "activation", "shape", "weights"}, ...]}.
// Keras stores kernels transposed relative to PyTorch ([inputs, gates * H] against PyTorch's
// [gates * H, inputs]). LSTM: gate order i, f, c, o (PyTorch's i, f, g, o), one bias. GRU
// (reset_after=True, Keras' default): gate order z, r, h against PyTorch's r, z, n, and a bias of
// two rows, input and recurrent, with the same meaning as PyTorch's b_ih and b_hh. AIDA-X adds
// "in_skip" (0/1: the input is added to the output), "in_gain" and "out_gain" (dB), and metadata
// ("samplerate" as a string, "author", "based", "style", "license", "esr") either in "metadata"
// or at the top level.

#include "JsonReading.h"

#include <cmath>
#include <sstream>

namespace torchamp::import
{

namespace
{

Activation activationNamed(const std::string& name, const std::string& where)
{
    if (name.empty() || name == "linear")
        return Activation::identity;
    if (name == "tanh")
        return Activation::tanh;
    if (name == "relu")
        return Activation::relu;
    if (name == "sigmoid")
        return Activation::sigmoid;
    fail(where + " has activation \"" + name +
         "\": not supported yet (TorchAmp reads tanh, relu, sigmoid and linear)");
}

/** Keras kernel [inputs][gates * H] to PyTorch rows [gates * H][inputs], gate blocks reordered:
    PyTorch gate q comes from Keras gate order[q]. */
std::vector<float> transposeGates(const Tensor& kernel, int hidden, const std::vector<int>& order)
{
    const int inputs = kernel.shape[0];
    const int gates = static_cast<int>(order.size());
    std::vector<float> out(static_cast<size_t>(gates * hidden * inputs));
    for (int q = 0; q < gates; ++q)
        for (int u = 0; u < hidden; ++u)
            for (int j = 0; j < inputs; ++j)
                out[static_cast<size_t>((q * hidden + u) * inputs + j)] = kernel.values[static_cast<size_t>(
                    j * gates * hidden + order[static_cast<size_t>(q)] * hidden + u)];
    return out;
}

std::vector<float> reorderGates(const float* bias, int hidden, const std::vector<int>& order)
{
    std::vector<float> out;
    for (int k : order)
        out.insert(out.end(), bias + k * hidden, bias + (k + 1) * hidden);
    return out;
}

RecurrentLayerSpec readRecurrent(const Json& layer, bool gru, int inputs, const std::string& where)
{
    const auto activation = optionalString(layer, "activation");
    if (!activation.empty() && activation != "tanh")
        fail(where + " has activation \"" + activation +
             "\": TorchAmp plays recurrent layers with tanh only");
    const auto& weights = member(layer, "weights", where);
    if (!weights.is_array() || weights.size() != 3)
        fail(where + " should have 3 weight arrays (kernel, recurrent kernel, bias)");
    const int gates = gru ? 3 : 4;
    const auto kernel = tensor(weights[0], where + " kernel");
    if (kernel.shape.size() != 2 || kernel.shape[0] != inputs || kernel.shape[1] % gates != 0 ||
        kernel.shape[1] == 0)
        fail(where + " kernel has shape " + shapeText(kernel.shape) + ", expected [" +
             std::to_string(inputs) + ", " + std::to_string(gates) + " * units]");
    const int hidden = kernel.shape[1] / gates;
    if (hidden > ModelLimits::maxHiddenSize)
        fail(where + " has " + std::to_string(hidden) + " units; TorchAmp plays at most " +
             std::to_string(ModelLimits::maxHiddenSize));
    const auto recurrentKernel =
        tensorOfShape(weights[1], where + " recurrent kernel", {hidden, gates * hidden});

    RecurrentLayerSpec spec;
    spec.type = gru ? CellType::gru : CellType::lstm;
    spec.inputSize = inputs;
    spec.hiddenSize = hidden;
    const std::vector<int> order = gru ? std::vector<int>{1, 0, 2} : std::vector<int>{0, 1, 2, 3};
    spec.weightIh = transposeGates(kernel, hidden, order);
    spec.weightHh = transposeGates(recurrentKernel, hidden, order);
    const auto bias = tensor(weights[2], where + " bias");
    if (gru)
    {
        if (bias.shape != std::vector<int>{2, 3 * hidden})
            fail(where + " bias has shape " + shapeText(bias.shape) + ", expected [2, " +
                 std::to_string(3 * hidden) +
                 "] (a Keras GRU with reset_after=True; reset_after=False is not supported)");
        spec.biasIh = reorderGates(bias.values.data(), hidden, order);
        spec.biasHh = reorderGates(bias.values.data() + 3 * hidden, hidden, order);
    }
    else
    {
        if (bias.shape != std::vector<int>{4 * hidden})
            fail(where + " bias has shape " + shapeText(bias.shape) + ", expected [" +
                 std::to_string(4 * hidden) + "]");
        spec.biasIh = bias.values;
        spec.biasHh.assign(bias.values.size(), 0.0f);
    }
    return spec;
}

DenseLayerSpec readDense(const Json& layer, int inputs, const std::string& where)
{
    const auto& weights = member(layer, "weights", where);
    if (!weights.is_array() || weights.size() != 2)
        fail(where + " should have 2 weight arrays (kernel, bias)");
    const auto kernel = tensor(weights[0], where + " kernel");
    if (kernel.shape.size() != 2 || kernel.shape[0] != inputs || kernel.shape[1] < 1)
        fail(where + " kernel has shape " + shapeText(kernel.shape) + ", expected [" +
             std::to_string(inputs) + ", outputs]");
    DenseLayerSpec dense;
    dense.inputSize = inputs;
    dense.outputSize = kernel.shape[1];
    dense.bias = tensorOfShape(weights[1], where + " bias", {dense.outputSize}).values;
    dense.weight.resize(kernel.values.size());
    for (int o = 0; o < dense.outputSize; ++o)
        for (int j = 0; j < inputs; ++j)
            dense.weight[static_cast<size_t>(o * inputs + j)] =
                kernel.values[static_cast<size_t>(j * dense.outputSize + o)];
    dense.activation = activationNamed(optionalString(layer, "activation"), where);
    return dense;
}

float gainFromDb(const Json& root, const char* key)
{
    if (!root.contains(key) || root[key].is_null())
        return 1.0f;
    const double db = number(root[key], std::string("\"") + key + "\"");
    if (db < -90.0 || db > 60.0)
        fail(std::string("\"") + key + "\" should be a gain in dB within -90..60");
    return static_cast<float>(std::pow(10.0, db / 20.0));
}

} // namespace

ModelSpec readRtNeural(const Json& root, const std::string& stem)
{
    ModelSpec spec;
    spec.name = stem;
    spec.sourceFormat = "RTNeural JSON";

    const auto& inShape = member(root, "in_shape", "the file");
    if (!inShape.is_array() || inShape.empty())
        fail("\"in_shape\" should be an array like [null, null, 1]");
    const int inputs =
        integer(inShape.back(), "the last \"in_shape\" entry (inputs)", 1, 1 + ModelLimits::maxKnobs);
    for (int k = 1; k < inputs; ++k)
    {
        spec.knobNames.push_back("Param " + std::to_string(k));
        spec.knobDefaults.push_back(0.5f);
    }

    const auto& layers = member(root, "layers", "the file");
    if (!layers.is_array() || layers.empty())
        fail("\"layers\" should be a non-empty array");
    int width = inputs;
    for (size_t i = 0; i < layers.size(); ++i)
    {
        const auto& layer = layers[i];
        const std::string where = "layer " + std::to_string(i);
        const auto& typeValue = member(layer, "type", where);
        const auto type = typeValue.is_string() ? typeValue.get<std::string>() : std::string();
        if (type == "lstm" || type == "gru")
        {
            if (!spec.denseLayers.empty())
                fail(where + " (" + type +
                     ") follows a dense layer: TorchAmp plays recurrent layers first, then dense layers");
            spec.layers.push_back(readRecurrent(layer, type == "gru", width, where));
            width = spec.layers.back().hiddenSize;
        }
        else if (type == "dense" || type == "time-distributed-dense")
        {
            spec.denseLayers.push_back(readDense(layer, width, where));
            width = spec.denseLayers.back().outputSize;
        }
        else if (type == "activation")
        {
            const auto name = optionalString(layer, "activation");
            if (spec.denseLayers.empty() || spec.denseLayers.back().activation != Activation::identity)
                fail(where + " is an activation layer that does not follow a dense layer: not supported yet");
            spec.denseLayers.back().activation = activationNamed(name, where);
        }
        else
            fail(where + " has type \"" + type +
                 "\": not supported yet (TorchAmp reads lstm, gru, dense and activation layers)");
    }
    if (spec.layers.empty())
        fail("the model has no lstm or gru layer");
    if (width != 1)
        fail("the model ends in " + std::to_string(width) +
             " outputs; TorchAmp plays models with one audio output");

    // The last dense layer with a single linear output is the head; anything else ends in an
    // identity head on its one output.
    if (!spec.denseLayers.empty() && spec.denseLayers.back().activation == Activation::identity)
    {
        spec.headWeight = spec.denseLayers.back().weight;
        spec.headBias = spec.denseLayers.back().bias[0];
        spec.denseLayers.pop_back();
    }
    else
    {
        spec.headWeight = {1.0f};
        spec.headBias = 0.0f;
    }

    if (root.contains("in_skip") && !root["in_skip"].is_null())
        spec.skip = integer(root["in_skip"], "\"in_skip\"", 0, 1) == 1;
    spec.inputGain = gainFromDb(root, "in_gain");
    spec.outputGain = gainFromDb(root, "out_gain");

    // AIDA-X metadata: in "metadata", or (older files) at the top level.
    const Json& meta = root.contains("metadata") && root["metadata"].is_object() ? root["metadata"] : root;
    const Json* rate = nullptr;
    for (const char* key : {"samplerate", "sample_rate"})
        if (meta.contains(key) && !meta[key].is_null())
            rate = &meta[key];
    if (rate != nullptr)
        spec.sampleRate =
            integer(*rate, "\"samplerate\"", ModelLimits::minSampleRate, ModelLimits::maxSampleRate);
    else
        spec.warnings.push_back("no \"samplerate\": assuming 48000 Hz");
    if (const auto name = optionalString(meta, "name"); !name.empty())
        spec.name = name;
    spec.author = optionalString(meta, "author");
    spec.gear = optionalString(meta, "based");
    std::ostringstream d;
    auto add = [&](const std::string& part)
    {
        if (!part.empty())
            d << (d.tellp() > 0 ? "; " : "") << part;
    };
    add(spec.gear);
    if (const auto style = optionalString(meta, "style"); !style.empty())
        add("style: " + style);
    if (const auto licence = optionalString(meta, "license"); !licence.empty())
        add("licence: " + licence);
    if (const float esr = optionalNumber(meta, "esr"); std::isfinite(esr))
    {
        std::ostringstream e;
        e << "ESR " << esr;
        add(e.str());
    }
    spec.description = d.str();
    if (root.contains("metadata") || root.contains("in_skip") || root.contains("input_batch") ||
        root.contains("samplerate"))
        spec.sourceFormat = "AIDA-X (RTNeural JSON)";
    return spec;
}

} // namespace torchamp::import
