// Neural Amp Modeler .nam files: JSON with "version", "architecture", "config", "weights" (one flat
// array), "sample_rate" and "metadata".
//
// LSTM: per layer, the PyTorch LSTM's [W_ih | W_hh] as one row-major [4H, inputs + H] matrix, the
// summed bias (b_ih + b_hh) [4H], the learned initial hidden state [H] and cell state [H]; then the
// head's weight [H] and bias. Gate order i, f, g, o (PyTorch's).
//
// WaveNet (A1): per layer array, the rechannel weight [channels, input_size] (no bias); per layer
// the dilated convolution's weight [conv channels, channels, kernel size] (torch.nn.Conv1d's
// layout; conv channels = 2 x channels when gated) and bias, the input mixin [conv channels,
// condition size] (no bias), the 1x1's weight [channels, channels] and bias; then the head's
// weight [head size, channels] and, with head_bias, its bias. The last number is the head scale.
//
// Both layouts are proven numerically: the LSTM's by Tests/import/reference.py, the WaveNet's
// against NeuralAmpModelerCore's own outputs (Tests/WaveNetTests.cpp).

#include "JsonReading.h"

#include <memory>
#include <sstream>

namespace torchamp::import
{

namespace
{

const char* const playableArchitectures = "TorchAmp plays Neural Amp Modeler LSTM and WaveNet (A1) models";

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

/** Hands out the flat weight list in order. */
class WeightReader
{
public:
    explicit WeightReader(const std::vector<float>& weights) : all(weights) {}

    std::vector<float> take(size_t n)
    {
        std::vector<float> v(all.begin() + static_cast<long>(next),
                             all.begin() + static_cast<long>(next + n));
        next += n;
        return v;
    }

private:
    const std::vector<float>& all;
    size_t next = 0;
};

// ------------------------------------------------------------------------------------------ LSTM

void readNamLstm(const Json& config, const std::vector<float>& weights, ModelSpec& spec)
{
    const int layers =
        integer(member(config, "num_layers", "\"config\""), "config num_layers", 1, ModelLimits::maxLayers);
    const int inputs = integer(member(config, "input_size", "\"config\""), "config input_size", 1, 1);
    const int hidden = integer(member(config, "hidden_size", "\"config\""), "config hidden_size", 1,
                               ModelLimits::maxHiddenSize);
    const size_t H = static_cast<size_t>(hidden);
    size_t expected = H + 1;
    for (int l = 0; l < layers; ++l)
        expected += 4 * H * (static_cast<size_t>(l == 0 ? inputs : hidden) + H) + 4 * H + 2 * H;
    if (weights.size() != expected)
    {
        std::ostringstream s;
        s << "\"weights\" has " << weights.size() << " numbers; an LSTM of " << layers << " layer"
          << (layers == 1 ? "" : "s") << " of " << hidden << " units with " << inputs << " input needs "
          << expected;
        fail(s.str());
    }

    WeightReader w(weights);
    for (int l = 0; l < layers; ++l)
    {
        RecurrentLayerSpec layer;
        layer.type = CellType::lstm;
        layer.inputSize = l == 0 ? inputs : hidden;
        layer.hiddenSize = hidden;
        for (size_t r = 0; r < 4 * H; ++r)
        {
            const auto ih = w.take(static_cast<size_t>(layer.inputSize));
            layer.weightIh.insert(layer.weightIh.end(), ih.begin(), ih.end());
            const auto hh = w.take(H);
            layer.weightHh.insert(layer.weightHh.end(), hh.begin(), hh.end());
        }
        layer.biasIh = w.take(4 * H);
        layer.biasHh.assign(4 * H, 0.0f);
        layer.initialHidden = w.take(H);
        layer.initialCell = w.take(H);
        spec.layers.push_back(std::move(layer));
    }
    spec.headWeight = w.take(H);
    spec.headBias = w.take(1).front();
}

// --------------------------------------------------------------------------------------- WaveNet

/** A layer array's configuration before its weights are read. */
struct ArrayShape
{
    WaveNetLayerArraySpec sizes; // inputSize, channels, headSize and the layers' configuration
    bool headBias = false;
};

bool boolean(const Json& value, const std::string& what)
{
    if (!value.is_boolean())
        fail(what + " should be true or false");
    return value.get<bool>();
}

[[noreturn]] void refuseNewerFeature(const std::string& where, const std::string& feature)
{
    fail(where + " uses " + feature +
         ", a WaveNet feature newer than A1 that TorchAmp does not play yet (it plays A1 WaveNets: "
         "the trainer's standard, lite, feather and nano sizes and others made of the same layers)");
}

WaveNetActivationSpec readActivation(const Json& value, const std::string& what)
{
    WaveNetActivationSpec a;
    const Json& type = value.is_object() ? member(value, "type", what) : value;
    if (!type.is_string())
        fail(what + " should be an activation name or an object with a \"type\"");
    if (!waveNetActivationFromName(type.get<std::string>(), a.type))
        fail(what + " is \"" + type.get<std::string>() +
             "\", an activation TorchAmp does not know (it plays Tanh, Hardtanh, Fasttanh, ReLU, LeakyReLU, "
             "PReLU, Sigmoid, SiLU, Hardswish, LeakyHardtanh and Softsign)");
    if (!value.is_object())
        return a;
    auto parameter = [&](const char* key, float& into)
    {
        if (value.contains(key))
            into = static_cast<float>(number(value[key], what + " " + key));
    };
    parameter("negative_slope", a.negativeSlope);
    parameter("min_val", a.minValue);
    parameter("max_val", a.maxValue);
    parameter("min_slope", a.minSlope);
    parameter("max_slope", a.maxSlope);
    if (value.contains("negative_slopes"))
        a.channelSlopes = tensor(value["negative_slopes"], what + " negative_slopes").values;
    if (value.contains("alpha") && number(value["alpha"], what + " alpha") != 1.0)
        refuseNewerFeature(what, "a Softsign with an \"alpha\"");
    return a;
}

/** A value given once for the whole array or as an array of one per layer. */
const Json& perLayer(const Json& value, size_t layer, size_t layers, const std::string& what)
{
    if (!value.is_array())
        return value;
    if (value.size() != layers)
        fail(what + " lists " + std::to_string(value.size()) + " values for " + std::to_string(layers) +
             " layers");
    return value[layer];
}

/** "gated" (A1) or "gating_mode" ("none" / "gated", once or per layer), with the gates' activation. */
void readGating(const Json& array, const std::string& where, std::vector<WaveNetLayerSpec>& layers)
{
    for (size_t l = 0; l < layers.size(); ++l)
    {
        auto& layer = layers[l];
        if (array.contains("gating_mode"))
        {
            const Json& mode = perLayer(array["gating_mode"], l, layers.size(), where + " gating_mode");
            const std::string text = mode.is_string() ? mode.get<std::string>() : std::string();
            if (text == "blended")
                refuseNewerFeature(where, "the gating mode \"blended\"");
            if (text != "none" && text != "gated")
                fail(where + " gating_mode should be \"none\" or \"gated\"");
            layer.gated = text == "gated";
        }
        else if (array.contains("gated"))
            layer.gated = boolean(array["gated"], where + " gated");
        if (layer.gated && array.contains("secondary_activation"))
            layer.gateActivation = readActivation(
                perLayer(array["secondary_activation"], l, layers.size(), where + " secondary_activation"),
                where + " secondary_activation");
    }
}

/** Keys of newer WaveNets: accepted where they hold what A1 does, refused otherwise. */
void refuseNewerFeatures(const Json& array, const std::string& where, int channels)
{
    auto holds = [&](const char* key, auto&& isDefault)
    {
        if (array.contains(key) && !array[key].is_null() && !isDefault(array[key]))
            refuseNewerFeature(where, std::string("\"") + key + "\"");
    };
    auto isOne = [](const Json& v) { return v.is_number() && v.get<double>() == 1.0; };
    auto isOff = [](const Json& v)
    {
        return (v.is_boolean() && !v.get<bool>()) ||
               (v.is_object() && v.contains("active") && v["active"] == false);
    };
    holds("bottleneck", [&](const Json& v) { return v.is_number() && v.get<double>() == channels; });
    holds("groups_input", isOne);
    holds("groups_input_mixin", isOne);
    holds("layer1x1",
          [&](const Json& v)
          {
              return v.is_object() && v.value("active", true) == true &&
                     (!v.contains("groups") || isOne(v["groups"]));
          });
    holds("head1x1", isOff);
    for (const char* film : {"conv_pre_film", "conv_post_film", "input_mixin_pre_film",
                             "input_mixin_post_film", "activation_pre_film", "activation_post_film",
                             "layer1x1_post_film", "head1x1_post_film", "1x1_post_film"})
        holds(film, isOff);
    holds("slimmable", [](const Json&) { return false; });
}

/** Layer array `index` of "layers": its sizes and layer configuration. */
ArrayShape readArrayShape(const Json& array, size_t index, int expectedInput)
{
    const std::string where = "WaveNet layer array " + std::to_string(index);
    ArrayShape shape;
    auto& s = shape.sizes;
    const int maxC = ModelLimits::maxWaveNetChannels;
    s.inputSize =
        integer(member(array, "input_size", where), where + " input_size", expectedInput, expectedInput);
    if (integer(member(array, "condition_size", where), where + " condition_size", 1, maxC) != 1)
        refuseNewerFeature(where, "a condition of more than the audio input");
    s.channels = integer(member(array, "channels", where), where + " channels", 1, maxC);
    if (array.contains("head") && !array["head"].is_null())
    {
        const Json& head = array["head"];
        s.headSize =
            integer(member(head, "out_channels", where + " head"), where + " head out_channels", 1, maxC);
        if (integer(member(head, "kernel_size", where + " head"), where + " head kernel_size", 1, 1 << 16) !=
            1)
            refuseNewerFeature(where, "a head convolution wider than 1");
        shape.headBias = boolean(member(head, "bias", where + " head"), where + " head bias");
    }
    else
    {
        s.headSize = integer(member(array, "head_size", where), where + " head_size", 1, maxC);
        shape.headBias = boolean(member(array, "head_bias", where), where + " head_bias");
    }
    refuseNewerFeatures(array, where, s.channels);

    const Json& dilations = member(array, "dilations", where);
    if (!dilations.is_array() || dilations.empty() ||
        dilations.size() > static_cast<size_t>(ModelLimits::maxWaveNetLayers))
        fail(where + " dilations should be a list of 1.." + std::to_string(ModelLimits::maxWaveNetLayers) +
             " numbers");
    const bool perLayerKernels = array.contains("kernel_sizes");
    const Json& kernels = perLayerKernels ? array["kernel_sizes"] : member(array, "kernel_size", where);
    const Json& activations = member(array, "activation", where);
    for (size_t l = 0; l < dilations.size(); ++l)
    {
        WaveNetLayerSpec layer;
        layer.dilation = integer(dilations[l], where + " dilation", 1, ModelLimits::maxWaveNetReceptiveField);
        layer.kernelSize = integer(perLayer(kernels, l, dilations.size(), where + " kernel sizes"),
                                   where + " kernel size", 1, ModelLimits::maxWaveNetKernelSize);
        const bool activationList = activations.is_array();
        layer.activation = readActivation(
            activationList ? perLayer(activations, l, dilations.size(), where + " activation") : activations,
            where + " activation");
        s.layers.push_back(std::move(layer));
    }
    readGating(array, where, s.layers);
    return shape;
}

/** The top level of a WaveNet "config": only what A1 has. */
void refuseNewerTopLevel(const Json& config)
{
    if (config.contains("head") && !config["head"].is_null())
        refuseNewerFeature("the WaveNet", "a post-stack \"head\"");
    if (config.contains("condition_dsp") && !config["condition_dsp"].is_null())
        refuseNewerFeature("the WaveNet", "a \"condition_dsp\"");
    if (config.contains("in_channels") && integer(config["in_channels"], "config in_channels", 1, 64) != 1)
        refuseNewerFeature("the WaveNet", "more than one input channel");
}

long long expectedWeights(const std::vector<ArrayShape>& shapes)
{
    long long n = 1; // the head scale
    for (const auto& shape : shapes)
    {
        const long long c = shape.sizes.channels, h = shape.sizes.headSize;
        n += c * shape.sizes.inputSize + h * c + (shape.headBias ? h : 0);
        for (const auto& l : shape.sizes.layers)
        {
            const long long z = l.convChannels(shape.sizes.channels);
            n += z * c * l.kernelSize + z + z + c * c + c;
        }
    }
    return n;
}

std::string describeWaveNet(const std::vector<ArrayShape>& shapes)
{
    std::ostringstream s;
    s << "a WaveNet of " << shapes.size() << " layer array" << (shapes.size() == 1 ? "" : "s") << " (";
    for (size_t a = 0; a < shapes.size(); ++a)
        s << (a ? ", " : "") << shapes[a].sizes.layers.size() << " layers of " << shapes[a].sizes.channels
          << " channels";
    s << ")";
    return s.str();
}

/** The shapes filled with the file's weights, in the file's order. */
WaveNetSpec fillWaveNet(std::vector<ArrayShape> shapes, const std::vector<float>& weights)
{
    WeightReader w(weights);
    WaveNetSpec net;
    for (auto& shape : shapes)
    {
        auto& a = shape.sizes;
        const auto c = static_cast<size_t>(a.channels);
        a.rechannelWeight = w.take(c * static_cast<size_t>(a.inputSize));
        for (auto& l : a.layers)
        {
            const auto z = static_cast<size_t>(l.convChannels(a.channels));
            l.convWeight = w.take(z * c * static_cast<size_t>(l.kernelSize));
            l.convBias = w.take(z);
            l.mixinWeight = w.take(z);
            l.outputWeight = w.take(c * c);
            l.outputBias = w.take(c);
        }
        a.headWeight = w.take(static_cast<size_t>(a.headSize) * c);
        if (shape.headBias)
            a.headBias = w.take(static_cast<size_t>(a.headSize));
        net.arrays.push_back(std::move(a));
    }
    net.headScale = w.take(1).front();
    return net;
}

void readNamWaveNet(const Json& config, const std::vector<float>& weights, ModelSpec& spec)
{
    refuseNewerTopLevel(config);
    const Json& layers = member(config, "layers", "\"config\"");
    if (!layers.is_array() || layers.empty() ||
        layers.size() > static_cast<size_t>(ModelLimits::maxWaveNetLayerArrays))
        fail("\"config\" layers should list 1.." + std::to_string(ModelLimits::maxWaveNetLayerArrays) +
             " layer arrays");
    number(member(config, "head_scale", "\"config\""), "config head_scale");

    std::vector<ArrayShape> shapes;
    for (size_t a = 0; a < layers.size(); ++a)
        shapes.push_back(readArrayShape(layers[a], a, a == 0 ? 1 : shapes.back().sizes.channels));
    const long long expected = expectedWeights(shapes);
    if (static_cast<long long>(weights.size()) != expected)
    {
        std::ostringstream s;
        s << "\"weights\" has " << weights.size() << " numbers; " << describeWaveNet(shapes) << " needs "
          << expected;
        fail(s.str());
    }
    spec.wavenet = std::make_shared<const WaveNetSpec>(fillWaveNet(std::move(shapes), weights));
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
    if (arch != "LSTM" && arch != "WaveNet")
        fail("not supported yet: architecture " + arch + " (" + playableArchitectures + ")");
    const std::string version = optionalString(root, "version");
    spec.sourceFormat = "Neural Amp Modeler .nam" + (version.empty() ? std::string() : " " + version);

    const auto& config = member(root, "config", "the file");
    const auto weights = tensor(member(root, "weights", "the file"), "\"weights\"");
    if (weights.shape.size() != 1)
        fail("\"weights\" should be one flat array of numbers");
    if (arch == "LSTM")
        readNamLstm(config, weights.values, spec);
    else
        readNamWaveNet(config, weights.values, spec);

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
