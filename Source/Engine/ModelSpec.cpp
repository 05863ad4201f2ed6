#include "ModelSpec.h"

#include <cmath>
#include <sstream>

namespace torchamp
{

namespace
{
bool allFinite(const std::vector<float>& v)
{
    for (float x : v)
        if (!std::isfinite(x))
            return false;
    return true;
}

/** 13802 as "13,802" (n >= 0). */
std::string withThousands(long long n)
{
    std::string digits = std::to_string(n);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<size_t>(at), ",");
    return digits;
}

std::string rateText(int sampleRate)
{
    std::ostringstream s;
    if (sampleRate % 1000 == 0)
        s << sampleRate / 1000;
    else
        s << sampleRate / 1000.0;
    s << " kHz";
    return s.str();
}

/** What a WaveNet spec must have besides its WaveNet: nothing of the recurrent description. */
std::string validateWaveNetModel(const ModelSpec& spec)
{
    if (!spec.layers.empty() || !spec.denseLayers.empty() || !spec.headWeight.empty())
        return "a WaveNet model cannot also have recurrent, dense or head layers";
    if (spec.numKnobs() != 0 || !spec.knobDefaults.empty())
        return "a WaveNet model takes no knobs";
    if (spec.skip)
        return "a WaveNet model has no skip connection";
    return spec.wavenet->validate();
}
} // namespace

std::string ModelSpec::architecture() const
{
    std::ostringstream s;
    if (wavenet)
    {
        const auto size = wavenet->size();
        s << "WaveNet A1" << (size == WaveNetSize::custom ? "" : " ") << WaveNetSpec::sizeName(size) << ", "
          << withThousands(wavenet->numWeights()) << " weights, " << rateText(sampleRate);
        return s.str();
    }
    if (layers.empty())
        s << "TorchScript audio module";
    // Runs of equal layers: "LSTM 2x40", "LSTM 1x8 + GRU 3x8", then "+ Dense 8 (sigmoid)".
    for (size_t l = 0; l < layers.size();)
    {
        size_t end = l + 1;
        while (end < layers.size() && layers[end].type == layers[l].type && layers[end].hiddenSize == layers[l].hiddenSize)
            ++end;
        s << (l == 0 ? "" : " + ") << (layers[l].type == CellType::gru ? "GRU " : "LSTM ") << end - l << "x"
          << layers[l].hiddenSize;
        l = end;
    }
    for (const auto& d : denseLayers)
    {
        s << " + Dense " << d.outputSize;
        switch (d.activation)
        {
            case Activation::tanh: s << " (tanh)"; break;
            case Activation::relu: s << " (relu)"; break;
            case Activation::sigmoid: s << " (sigmoid)"; break;
            case Activation::identity: break;
        }
    }
    if (numKnobs() > 0)
        s << ", " << numKnobs() << (numKnobs() == 1 ? " knob" : " knobs");
    if (skip)
        s << ", skip";
    s << ", " << rateText(sampleRate);
    return s.str();
}

std::shared_ptr<const ModelInfo> ModelSpec::shareInfo() const
{
    auto info = std::make_shared<ModelInfo>(*this);
    info->summary = architecture();
    return info;
}

std::string ModelSpec::validate() const
{
    std::ostringstream e;
    if (sampleRate < ModelLimits::minSampleRate || sampleRate > ModelLimits::maxSampleRate)
    {
        e << "sample rate " << sampleRate << " Hz is outside " << ModelLimits::minSampleRate << ".."
          << ModelLimits::maxSampleRate << " Hz";
        return e.str();
    }
    if (!std::isfinite(inputGain) || !std::isfinite(outputGain))
        return "the model's input or output gain is not finite";
    if (wavenet)
        return validateWaveNetModel(*this);
    if (layers.empty())
        return "the model has no recurrent layer";
    if (static_cast<int>(layers.size()) > ModelLimits::maxLayers)
    {
        e << "the model has " << layers.size() << " layers; TorchAmp plays at most " << ModelLimits::maxLayers;
        return e.str();
    }
    if (numKnobs() > ModelLimits::maxKnobs)
    {
        e << "the model has " << numKnobs() << " knobs; TorchAmp supports at most " << ModelLimits::maxKnobs;
        return e.str();
    }
    if (knobDefaults.size() != knobNames.size())
        return "the number of knob defaults differs from the number of knobs";
    for (const auto& n : knobNames)
        if (n.empty() || static_cast<int>(n.size()) > ModelLimits::maxKnobNameLength)
        {
            e << "knob names must be 1.." << ModelLimits::maxKnobNameLength << " characters long";
            return e.str();
        }
    for (float d : knobDefaults)
        if (!(d >= 0.0f && d <= 1.0f))
            return "knob defaults must be in [0, 1]";

    int expectedInput = inputSize();
    for (size_t l = 0; l < layers.size(); ++l)
    {
        const auto& layer = layers[l];
        if (layer.hiddenSize < 1 || layer.hiddenSize > ModelLimits::maxHiddenSize)
        {
            e << "layer " << l << " has hidden size " << layer.hiddenSize << "; TorchAmp plays 1.."
              << ModelLimits::maxHiddenSize;
            return e.str();
        }
        if (layer.inputSize != expectedInput)
        {
            e << "layer " << l << " takes " << layer.inputSize << " inputs, expected " << expectedInput;
            if (l == 0)
                e << " (1 audio + " << numKnobs() << " knobs)";
            return e.str();
        }
        if (layer.type != CellType::lstm && layer.type != CellType::gru)
        {
            e << "layer " << l << " has an unknown cell type";
            return e.str();
        }
        const size_t rows = static_cast<size_t>(layer.numGates() * layer.hiddenSize);
        if (layer.weightIh.size() != rows * static_cast<size_t>(layer.inputSize)
            || layer.weightHh.size() != rows * static_cast<size_t>(layer.hiddenSize) || layer.biasIh.size() != rows
            || layer.biasHh.size() != rows)
        {
            e << "layer " << l << " has weights of the wrong size";
            return e.str();
        }
        if (!allFinite(layer.weightIh) || !allFinite(layer.weightHh) || !allFinite(layer.biasIh)
            || !allFinite(layer.biasHh))
        {
            e << "layer " << l << " has non-finite weights (NaN or Inf); the model was saved from a diverged training";
            return e.str();
        }
        const auto hidden = static_cast<size_t>(layer.hiddenSize);
        if ((!layer.initialHidden.empty() && layer.initialHidden.size() != hidden)
            || (!layer.initialCell.empty() && layer.initialCell.size() != hidden)
            || (layer.type == CellType::gru && !layer.initialCell.empty()))
        {
            e << "layer " << l << " has an initial state of the wrong size";
            return e.str();
        }
        if (!allFinite(layer.initialHidden) || !allFinite(layer.initialCell))
        {
            e << "layer " << l << " has a non-finite initial state (NaN or Inf)";
            return e.str();
        }
        expectedInput = layer.hiddenSize;
    }
    if (static_cast<int>(denseLayers.size()) > ModelLimits::maxDenseLayers)
    {
        e << "the model has " << denseLayers.size() << " dense layers; TorchAmp plays at most "
          << ModelLimits::maxDenseLayers;
        return e.str();
    }
    for (size_t d = 0; d < denseLayers.size(); ++d)
    {
        const auto& dense = denseLayers[d];
        if (dense.inputSize != expectedInput || dense.outputSize < 1 || dense.outputSize > ModelLimits::maxHiddenSize)
        {
            e << "dense layer " << d << " maps " << dense.inputSize << " to " << dense.outputSize << " values; expected "
              << expectedInput << " inputs and 1.." << ModelLimits::maxHiddenSize << " outputs";
            return e.str();
        }
        if (dense.weight.size() != static_cast<size_t>(dense.inputSize) * static_cast<size_t>(dense.outputSize)
            || dense.bias.size() != static_cast<size_t>(dense.outputSize))
        {
            e << "dense layer " << d << " has weights of the wrong size";
            return e.str();
        }
        if (!allFinite(dense.weight) || !allFinite(dense.bias))
        {
            e << "dense layer " << d << " has non-finite weights (NaN or Inf)";
            return e.str();
        }
        expectedInput = dense.outputSize;
    }
    if (static_cast<int>(headWeight.size()) != headInputs())
    {
        e << "the output head takes " << headWeight.size() << " inputs but the layer before it has " << headInputs()
          << " units";
        return e.str();
    }
    if (!allFinite(headWeight) || !std::isfinite(headBias))
        return "the output head has non-finite weights (NaN or Inf)";
    return {};
}

} // namespace torchamp
