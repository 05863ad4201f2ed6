#include "WaveNetSpec.h"

#include "FiniteValues.h"
#include "ModelSpec.h"

#include <cmath>
#include <sstream>

namespace torchamp
{

namespace
{

struct ActivationName
{
    WaveNetActivation activation;
    const char* name;
};

// NAM spells LeakyHardtanh both ways; the first spelling of each is the one written back.
constexpr ActivationName activationNames[] = {
    {WaveNetActivation::tanh, "Tanh"},
    {WaveNetActivation::hardTanh, "Hardtanh"},
    {WaveNetActivation::fastTanh, "Fasttanh"},
    {WaveNetActivation::relu, "ReLU"},
    {WaveNetActivation::leakyRelu, "LeakyReLU"},
    {WaveNetActivation::prelu, "PReLU"},
    {WaveNetActivation::sigmoid, "Sigmoid"},
    {WaveNetActivation::silu, "SiLU"},
    {WaveNetActivation::hardSwish, "Hardswish"},
    {WaveNetActivation::leakyHardTanh, "LeakyHardtanh"},
    {WaveNetActivation::leakyHardTanh, "LeakyHardTanh"},
    {WaveNetActivation::softsign, "Softsign"},
};

/** The trainer's two-array configuration: array 0 from the audio, array 1 from array 0. */
struct TwoArraySize
{
    int channels0, head0, channels1;
    std::vector<int> dilations0, dilations1;
};

TwoArraySize sizeOf(WaveNetSize size)
{
    const std::vector<int> tenDoubling{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    const std::vector<int> sevenDoubling{1, 2, 4, 8, 16, 32, 64};
    const std::vector<int> thirteen{128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    switch (size)
    {
        case WaveNetSize::standard:
            return {16, 8, 8, tenDoubling, tenDoubling};
        case WaveNetSize::lite:
            return {12, 6, 6, sevenDoubling, thirteen};
        case WaveNetSize::feather:
            return {8, 4, 4, sevenDoubling, thirteen};
        case WaveNetSize::nano:
            return {4, 2, 2, sevenDoubling, thirteen};
        case WaveNetSize::custom:
            break;
    }
    return {};
}

WaveNetLayerArraySpec zeroArray(int inputSize, int channels, int headSize, bool headBias,
                                const std::vector<int>& dilations)
{
    const auto c = static_cast<size_t>(channels);
    WaveNetLayerArraySpec a;
    a.inputSize = inputSize;
    a.channels = channels;
    a.headSize = headSize;
    a.rechannelWeight.assign(c * static_cast<size_t>(inputSize), 0.0f);
    for (int d : dilations)
    {
        WaveNetLayerSpec l;
        l.kernelSize = 3;
        l.dilation = d;
        l.convWeight.assign(c * c * 3, 0.0f);
        l.convBias.assign(c, 0.0f);
        l.mixinWeight.assign(c, 0.0f);
        l.outputWeight.assign(c * c, 0.0f);
        l.outputBias.assign(c, 0.0f);
        a.layers.push_back(std::move(l));
    }
    a.headWeight.assign(static_cast<size_t>(headSize) * c, 0.0f);
    if (headBias)
        a.headBias.assign(static_cast<size_t>(headSize), 0.0f);
    return a;
}

bool sameStructure(const WaveNetLayerArraySpec& a, const WaveNetLayerArraySpec& b)
{
    if (a.inputSize != b.inputSize || a.channels != b.channels || a.headSize != b.headSize ||
        a.headBias.empty() != b.headBias.empty() || a.layers.size() != b.layers.size())
        return false;
    for (size_t l = 0; l < a.layers.size(); ++l)
    {
        const auto &x = a.layers[l], &y = b.layers[l];
        if (x.kernelSize != y.kernelSize || x.dilation != y.dilation || x.gated != y.gated ||
            x.activation.type != y.activation.type)
            return false;
    }
    return true;
}

std::string validateActivation(const WaveNetActivationSpec& a, int channels)
{
    if (!std::isfinite(a.negativeSlope) || !std::isfinite(a.minValue) || !std::isfinite(a.maxValue) ||
        !std::isfinite(a.minSlope) || !std::isfinite(a.maxSlope) || !allFinite(a.channelSlopes))
        return "non-finite activation parameters";
    if (a.type == WaveNetActivation::leakyHardTanh && !(a.minValue <= a.maxValue))
        return "a LeakyHardtanh whose min_val is above its max_val";
    if (!a.channelSlopes.empty() &&
        (a.type != WaveNetActivation::prelu || static_cast<int>(a.channelSlopes.size()) != channels))
    {
        std::ostringstream e;
        e << a.channelSlopes.size() << " PReLU slopes for " << channels << " channels";
        return e.str();
    }
    return {};
}

std::string validateLayer(const WaveNetLayerSpec& layer, int channels)
{
    std::ostringstream e;
    if (layer.kernelSize < 1 || layer.kernelSize > ModelLimits::maxWaveNetKernelSize)
    {
        e << "kernel size " << layer.kernelSize << "; TorchAmp plays 1.."
          << ModelLimits::maxWaveNetKernelSize;
        return e.str();
    }
    if (layer.dilation < 1 || layer.dilation > ModelLimits::maxWaveNetReceptiveField)
    {
        e << "dilation " << layer.dilation << "; TorchAmp plays 1.." << ModelLimits::maxWaveNetReceptiveField;
        return e.str();
    }
    if (auto problem = validateActivation(layer.activation, channels); !problem.empty())
        return problem;
    if (layer.gated)
        if (auto problem = validateActivation(layer.gateActivation, channels); !problem.empty())
            return "gate: " + problem;
    const auto c = static_cast<size_t>(channels);
    const auto z = static_cast<size_t>(layer.convChannels(channels));
    if (layer.convWeight.size() != z * c * static_cast<size_t>(layer.kernelSize) ||
        layer.convBias.size() != z || layer.mixinWeight.size() != z || layer.outputWeight.size() != c * c ||
        layer.outputBias.size() != c)
        return "weights of the wrong size";
    if (!allFinite(layer.convWeight) || !allFinite(layer.convBias) || !allFinite(layer.mixinWeight) ||
        !allFinite(layer.outputWeight) || !allFinite(layer.outputBias))
        return "non-finite weights (NaN or Inf); the model was saved from a diverged training";
    return {};
}

std::string validateArray(const WaveNetLayerArraySpec& a, int expectedInput)
{
    std::ostringstream e;
    if (a.channels < 1 || a.channels > ModelLimits::maxWaveNetChannels || a.headSize < 1 ||
        a.headSize > ModelLimits::maxWaveNetChannels)
    {
        e << a.channels << " channels and head size " << a.headSize << "; TorchAmp plays 1.."
          << ModelLimits::maxWaveNetChannels << " of each";
        return e.str();
    }
    if (a.inputSize != expectedInput)
    {
        e << "input size " << a.inputSize << ", expected " << expectedInput;
        return e.str();
    }
    if (a.layers.empty())
        return "no layers";
    const auto c = static_cast<size_t>(a.channels);
    const auto h = static_cast<size_t>(a.headSize);
    if (a.rechannelWeight.size() != c * static_cast<size_t>(a.inputSize) || a.headWeight.size() != h * c ||
        (!a.headBias.empty() && a.headBias.size() != h))
        return "weights of the wrong size";
    if (!allFinite(a.rechannelWeight) || !allFinite(a.headWeight) || !allFinite(a.headBias))
        return "non-finite weights (NaN or Inf); the model was saved from a diverged training";
    for (size_t l = 0; l < a.layers.size(); ++l)
        if (auto problem = validateLayer(a.layers[l], a.channels); !problem.empty())
        {
            e << "layer " << l << ": " << problem;
            return e.str();
        }
    return {};
}

} // namespace

const char* waveNetActivationName(WaveNetActivation a) noexcept
{
    for (const auto& n : activationNames)
        if (n.activation == a)
            return n.name;
    return "?";
}

bool waveNetActivationFromName(const std::string& name, WaveNetActivation& a) noexcept
{
    for (const auto& n : activationNames)
        if (name == n.name)
        {
            a = n.activation;
            return true;
        }
    return false;
}

WaveNetSpec WaveNetSpec::ofSize(WaveNetSize size)
{
    const auto s = sizeOf(size);
    WaveNetSpec spec;
    spec.headScale = 0.02f;
    spec.arrays.push_back(zeroArray(1, s.channels0, s.head0, false, s.dilations0));
    spec.arrays.push_back(zeroArray(s.channels0, s.channels1, 1, true, s.dilations1));
    return spec;
}

WaveNetSize WaveNetSpec::size() const
{
    for (auto candidate : {WaveNetSize::standard, WaveNetSize::lite, WaveNetSize::feather, WaveNetSize::nano})
    {
        const auto preset = ofSize(candidate);
        bool same = preset.arrays.size() == arrays.size();
        for (size_t a = 0; same && a < arrays.size(); ++a)
            same = sameStructure(arrays[a], preset.arrays[a]);
        if (same)
            return candidate;
    }
    return WaveNetSize::custom;
}

const char* WaveNetSpec::sizeName(WaveNetSize size) noexcept
{
    switch (size)
    {
        case WaveNetSize::standard:
            return "standard";
        case WaveNetSize::lite:
            return "lite";
        case WaveNetSize::feather:
            return "feather";
        case WaveNetSize::nano:
            return "nano";
        case WaveNetSize::custom:
            break;
    }
    return "";
}

long long WaveNetSpec::numWeights() const noexcept
{
    long long n = 1; // the head scale
    for (const auto& a : arrays)
    {
        n += static_cast<long long>(a.rechannelWeight.size() + a.headWeight.size() + a.headBias.size());
        for (const auto& l : a.layers)
            n += static_cast<long long>(l.convWeight.size() + l.convBias.size() + l.mixinWeight.size() +
                                        l.outputWeight.size() + l.outputBias.size());
    }
    return n;
}

long long WaveNetSpec::receptiveField() const noexcept
{
    long long samples = 1;
    for (const auto& a : arrays)
        for (const auto& l : a.layers)
            samples += static_cast<long long>(l.kernelSize - 1) * l.dilation;
    return samples;
}

std::string WaveNetSpec::validate() const
{
    std::ostringstream e;
    if (arrays.empty())
        return "the WaveNet has no layer arrays";
    size_t layers = 0;
    for (const auto& a : arrays)
        layers += a.layers.size();
    if (static_cast<int>(arrays.size()) > ModelLimits::maxWaveNetLayerArrays ||
        layers > static_cast<size_t>(ModelLimits::maxWaveNetLayers))
    {
        e << "the WaveNet has " << arrays.size() << " layer arrays of " << layers
          << " layers in all; TorchAmp plays at most " << ModelLimits::maxWaveNetLayerArrays << " arrays and "
          << ModelLimits::maxWaveNetLayers << " layers";
        return e.str();
    }
    for (size_t i = 0; i < arrays.size(); ++i)
    {
        const int expectedInput = i == 0 ? 1 : arrays[i - 1].channels;
        if (auto problem = validateArray(arrays[i], expectedInput); !problem.empty())
        {
            e << "WaveNet layer array " << i << ": " << problem;
            return e.str();
        }
        if (i > 0 && arrays[i].channels != arrays[i - 1].headSize)
        {
            e << "WaveNet layer array " << i << " has " << arrays[i].channels
              << " channels but the head of the array before it has " << arrays[i - 1].headSize;
            return e.str();
        }
    }
    if (arrays.back().headSize != 1)
        return "the WaveNet's last head has " + std::to_string(arrays.back().headSize) +
               " outputs; expected 1 (mono)";
    if (receptiveField() > ModelLimits::maxWaveNetReceptiveField)
    {
        e << "the WaveNet's receptive field is " << receptiveField() << " samples; TorchAmp plays at most "
          << ModelLimits::maxWaveNetReceptiveField;
        return e.str();
    }
    if (!std::isfinite(headScale))
        return "the WaveNet's head scale is not finite";
    return {};
}

} // namespace torchamp
