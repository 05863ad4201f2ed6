// RTNeural's JSON as exported from Keras (RTNeural's model_utils) and played by AIDA-X:
// {"in_shape": [null, null, inputs], "layers": [{"type", "activation", "shape", "weights"}, ...]},
// a sequence of layers in any order, as RTNeural's model_loader reads them: dense and
// time-distributed-dense (kernel [inputs, outputs], bias), activation, conv1d (kernel
// [kernel_size, inputs / groups, outputs], bias; "kernel_size", "dilation", "groups"; played
// causally, streaming, as Keras' padding="causal" computes it), batchnorm (gamma, beta, moving mean,
// moving variance, or only the last two; "epsilon"), prelu (alpha [1, channels] or [1, 1]: shared
// over time), gru and lstm. A layer's "activation" follows it.
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
    if (name == "softmax")
        return Activation::softmax;
    if (name == "elu")
        return Activation::elu;
    fail(where + " has activation \"" + name +
         "\": not supported (TorchAmp reads tanh, relu, sigmoid, softmax, elu and linear)");
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

const Json& weightArrays(const Json& layer, const std::string& where, size_t least, size_t most,
                         const char* what)
{
    const auto& weights = member(layer, "weights", where);
    if (!weights.is_array() || weights.size() < least || weights.size() > most)
        fail(where + " should have " + what);
    return weights;
}

LayerSpec readDense(const Json& layer, int inputs, const std::string& where)
{
    const auto& weights = weightArrays(layer, where, 1, 2, "1 or 2 weight arrays (kernel, bias)");
    const auto kernel = tensor(weights[0], where + " kernel");
    if (kernel.shape.size() != 2 || kernel.shape[0] != inputs || kernel.shape[1] < 1)
        fail(where + " kernel has shape " + shapeText(kernel.shape) + ", expected [" +
             std::to_string(inputs) + ", outputs]");
    LayerSpec dense;
    dense.kind = LayerKind::dense;
    dense.inputSize = inputs;
    dense.outputSize = kernel.shape[1];
    dense.bias = weights.size() == 2 ? tensorOfShape(weights[1], where + " bias", {dense.outputSize}).values
                                     : std::vector<float>(static_cast<size_t>(dense.outputSize), 0.0f);
    dense.weight.resize(kernel.values.size());
    for (int o = 0; o < dense.outputSize; ++o)
        for (int j = 0; j < inputs; ++j)
            dense.weight[static_cast<size_t>(o * inputs + j)] =
                kernel.values[static_cast<size_t>(j * dense.outputSize + o)];
    dense.activation = activationNamed(optionalString(layer, "activation"), where);
    return dense;
}

/** The last entry of an array-or-number field ("kernel_size": [3]), as RTNeural reads it. */
int lastInteger(const Json& layer, const char* key, const std::string& where, int lo, int hi)
{
    const auto& value = member(layer, key, where);
    const auto& last = value.is_array() && !value.empty() ? value.back() : value;
    return integer(last, where + " \"" + key + "\"", lo, hi);
}

LayerSpec readConv1d(const Json& layer, int inputs, const std::string& where)
{
    LayerSpec conv;
    conv.kind = LayerKind::conv1d;
    conv.inputSize = inputs;
    conv.kernelSize = lastInteger(layer, "kernel_size", where, 1, ModelLimits::maxConvKernelSize);
    conv.dilation = lastInteger(layer, "dilation", where, 1, ModelLimits::maxConvLookback);
    conv.groups = layer.contains("groups") ? integer(layer["groups"], where + " \"groups\"", 1, inputs) : 1;
    if (inputs % conv.groups != 0)
        fail(where + " has " + std::to_string(conv.groups) + " groups, which do not divide its " +
             std::to_string(inputs) + " inputs");
    const auto& weights = weightArrays(layer, where, 2, 2, "2 weight arrays (kernel, bias)");
    const int inPerGroup = inputs / conv.groups;
    const auto kernel = tensor(weights[0], where + " kernel");
    if (kernel.shape.size() != 3 || kernel.shape[0] != conv.kernelSize || kernel.shape[1] != inPerGroup ||
        kernel.shape[2] < 1 || kernel.shape[2] % conv.groups != 0)
        fail(where + " kernel has shape " + shapeText(kernel.shape) + ", expected [" +
             std::to_string(conv.kernelSize) + ", " + std::to_string(inPerGroup) + ", outputs] (outputs a multiple of " +
             std::to_string(conv.groups) + " groups)");
    const int out = kernel.shape[2], taps = conv.kernelSize;
    conv.outputSize = out;
    conv.bias = tensorOfShape(weights[1], where + " bias", {out}).values;
    // Keras [tap][input][output] to PyTorch [output][input][tap]; both read tap k at
    // (kernel_size - 1 - k) * dilation steps back.
    conv.weight.resize(kernel.values.size());
    for (int k = 0; k < taps; ++k)
        for (int j = 0; j < inPerGroup; ++j)
            for (int o = 0; o < out; ++o)
                conv.weight[static_cast<size_t>((o * inPerGroup + j) * taps + k)] =
                    kernel.values[static_cast<size_t>((k * inPerGroup + j) * out + o)];
    conv.activation = activationNamed(optionalString(layer, "activation"), where);
    return conv;
}

LayerSpec readBatchNorm(const Json& layer, int width, const std::string& where)
{
    LayerSpec norm;
    norm.kind = LayerKind::batchNorm;
    norm.inputSize = norm.outputSize = width;
    const auto& weights = member(layer, "weights", where);
    if (!weights.is_array() || (weights.size() != 4 && weights.size() != 2))
        fail(where + " should have 4 weight arrays (gamma, beta, moving mean, moving variance) or 2 (moving mean, "
                     "moving variance)");
    std::vector<std::vector<float>> arrays;
    for (size_t i = 0; i < weights.size(); ++i)
        arrays.push_back(tensorOfShape(weights[i], where + " weights[" + std::to_string(i) + "]", {width}).values);
    if (arrays.size() == 4)
    {
        norm.gamma = arrays[0];
        norm.beta = arrays[1];
    }
    norm.mean = arrays[arrays.size() - 2];
    norm.variance = arrays.back();
    const double epsilon = number(member(layer, "epsilon", where), where + " \"epsilon\"");
    if (epsilon < 0.0 || epsilon > 1e6)
        fail(where + " \"epsilon\" should be a small non-negative number");
    norm.epsilon = static_cast<float>(epsilon);
    for (size_t c = 0; c < norm.variance.size(); ++c)
        if (!(norm.variance[c] + norm.epsilon > 0.0f))
            fail(where + " has a moving variance plus epsilon that is not positive (channel " + std::to_string(c) + ")");
    return norm;
}

LayerSpec readPrelu(const Json& layer, int width, const std::string& where)
{
    const auto& weights = weightArrays(layer, where, 1, 1, "1 weight array (alpha)");
    const auto alpha = tensor(weights[0], where + " alpha");
    // One alpha per channel (shared_axes=[1]) or one for all (shared_axes=[1, 2]); an alpha per
    // step is no streaming layer.
    size_t leading = 1;
    for (size_t d = 0; d + 1 < alpha.shape.size(); ++d)
        leading *= static_cast<size_t>(alpha.shape[d]);
    const int channels = alpha.shape.empty() ? 0 : alpha.shape.back();
    if (leading != 1 || (channels != width && channels != 1))
        fail(where + " alpha has shape " + shapeText(alpha.shape) + ", expected [1, " + std::to_string(width) +
             "] or [1, 1] (an alpha shared over time)");
    LayerSpec prelu;
    prelu.kind = LayerKind::prelu;
    prelu.inputSize = prelu.outputSize = width;
    prelu.slopes = channels == width ? alpha.values : std::vector<float>(static_cast<size_t>(width), alpha.values[0]);
    return prelu;
}

LayerSpec recurrentLayer(RecurrentLayerSpec cell)
{
    LayerSpec layer;
    layer.kind = cell.type == CellType::gru ? LayerKind::gru : LayerKind::lstm;
    layer.inputSize = cell.inputSize;
    layer.outputSize = cell.hiddenSize;
    layer.recurrent = std::move(cell);
    return layer;
}

/** One entry of "layers", taking `width` inputs. */
LayerSpec readLayer(const Json& layer, int width, const std::string& where)
{
    const auto& typeValue = member(layer, "type", where);
    const auto type = typeValue.is_string() ? typeValue.get<std::string>() : std::string();
    if (type == "lstm" || type == "gru")
        return recurrentLayer(readRecurrent(layer, type == "gru", width, where));
    if (type == "dense" || type == "time-distributed-dense")
        return readDense(layer, width, where);
    if (type == "conv1d")
        return readConv1d(layer, width, where);
    if (type == "batchnorm")
        return readBatchNorm(layer, width, where);
    if (type == "prelu")
        return readPrelu(layer, width, where);
    if (type == "activation")
    {
        LayerSpec activation;
        activation.kind = LayerKind::activation;
        activation.inputSize = activation.outputSize = width;
        activation.activation = activationNamed(optionalString(layer, "activation"), where);
        return activation;
    }
    fail(where + " has type \"" + type +
         "\": not supported (TorchAmp plays dense, time-distributed-dense, activation, conv1d, batchnorm, prelu, gru "
         "and lstm layers)");
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
    if (static_cast<int>(layers.size()) > ModelLimits::maxSequenceLayers)
        fail("the model has " + std::to_string(layers.size()) + " layers; TorchAmp plays at most " +
             std::to_string(ModelLimits::maxSequenceLayers));
    int width = inputs;
    int recurrentLayers = 0;
    for (size_t i = 0; i < layers.size(); ++i)
    {
        const std::string where = "layer " + std::to_string(i);
        auto layer = readLayer(layers[i], width, where);
        if (layer.outputSize > ModelLimits::maxHiddenSize)
            fail(where + " has " + std::to_string(layer.outputSize) + " outputs; TorchAmp plays at most " +
                 std::to_string(ModelLimits::maxHiddenSize));
        if ((layer.kind == LayerKind::gru || layer.kind == LayerKind::lstm) && ++recurrentLayers > ModelLimits::maxLayers)
            fail("the model has more than " + std::to_string(ModelLimits::maxLayers) +
                 " recurrent layers; TorchAmp plays at most " + std::to_string(ModelLimits::maxLayers));
        width = layer.outputSize;
        spec.sequence.push_back(std::move(layer));
    }
    if (width != 1)
        fail("the model ends in " + std::to_string(width) +
             " outputs; TorchAmp plays models with one audio output");

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
