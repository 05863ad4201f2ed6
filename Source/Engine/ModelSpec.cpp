#include "ModelSpec.h"
#include "FiniteValues.h"

#include <cmath>
#include <sstream>

namespace torchamp
{

namespace
{
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

const char* activationName(Activation a)
{
    switch (a)
    {
        case Activation::tanh: return "tanh";
        case Activation::relu: return "relu";
        case Activation::sigmoid: return "sigmoid";
        case Activation::softmax: return "softmax";
        case Activation::elu: return "elu";
        case Activation::identity: break;
    }
    return "linear";
}

std::string activationSuffix(Activation a)
{
    return a == Activation::identity ? std::string() : std::string(" (") + activationName(a) + ")";
}

/** Runs of equal recurrent layers: "LSTM 2x40", "LSTM 1x8 + GRU 3x8". */
std::string recurrentRuns(const std::vector<RecurrentLayerSpec>& layers)
{
    std::ostringstream s;
    for (size_t l = 0; l < layers.size();)
    {
        size_t end = l + 1;
        while (end < layers.size() && layers[end].type == layers[l].type && layers[end].hiddenSize == layers[l].hiddenSize)
            ++end;
        s << (l == 0 ? "" : " + ") << (layers[l].type == CellType::gru ? "GRU " : "LSTM ") << end - l << "x"
          << layers[l].hiddenSize;
        l = end;
    }
    return s.str();
}

/** "GRU 1x8 + Dense 8 (sigmoid)": a final linear Dense 1 is the head and goes unsaid, as in the
    recurrent contract's "LSTM 1x40". */
std::string sequenceSummary(const std::vector<LayerSpec>& sequence)
{
    std::ostringstream s;
    size_t end = sequence.size();
    if (end > 1 && sequence.back().kind == LayerKind::dense && sequence.back().outputSize == 1
        && sequence.back().activation == Activation::identity)
        --end;
    for (size_t i = 0; i < end;)
    {
        const auto& l = sequence[i];
        s << (i == 0 ? "" : " + ");
        if (l.kind == LayerKind::gru || l.kind == LayerKind::lstm)
        {
            size_t runEnd = i + 1;
            while (runEnd < end && sequence[runEnd].kind == l.kind && sequence[runEnd].outputSize == l.outputSize)
                ++runEnd;
            s << (l.kind == LayerKind::gru ? "GRU " : "LSTM ") << runEnd - i << "x" << l.outputSize;
            i = runEnd;
            continue;
        }
        switch (l.kind)
        {
            case LayerKind::dense: s << "Dense " << l.outputSize << activationSuffix(l.activation); break;
            case LayerKind::conv1d:
                s << "Conv1d " << l.outputSize << " (kernel " << l.kernelSize;
                if (l.dilation != 1)
                    s << ", dilation " << l.dilation;
                if (l.groups != 1)
                    s << ", " << l.groups << " groups";
                s << ")" << activationSuffix(l.activation);
                break;
            case LayerKind::activation:
                s << "Activation (" << activationName(l.activation) << ")";
                break;
            case LayerKind::batchNorm: s << "BatchNorm"; break;
            case LayerKind::prelu: s << "PReLU"; break;
            case LayerKind::gru:
            case LayerKind::lstm: break;
        }
        ++i;
    }
    return s.str();
}

std::string validateKnobs(const ModelSpec& spec)
{
    std::ostringstream e;
    if (spec.numKnobs() > ModelLimits::maxKnobs)
    {
        e << "the model has " << spec.numKnobs() << " knobs; TorchAmp supports at most " << ModelLimits::maxKnobs;
        return e.str();
    }
    if (spec.knobDefaults.size() != spec.knobNames.size())
        return "the number of knob defaults differs from the number of knobs";
    for (const auto& n : spec.knobNames)
        if (n.empty() || static_cast<int>(n.size()) > ModelLimits::maxKnobNameLength)
        {
            e << "knob names must be 1.." << ModelLimits::maxKnobNameLength << " characters long";
            return e.str();
        }
    for (float d : spec.knobDefaults)
        if (!(d >= 0.0f && d <= 1.0f))
            return "knob defaults must be in [0, 1]";
    return {};
}

/** One recurrent layer taking `expectedInput` inputs; `where` names it ("layer 2"). */
std::string validateRecurrent(const RecurrentLayerSpec& layer, int expectedInput, const std::string& where)
{
    std::ostringstream e;
    if (layer.hiddenSize < 1 || layer.hiddenSize > ModelLimits::maxHiddenSize)
    {
        e << where << " has hidden size " << layer.hiddenSize << "; TorchAmp plays 1.." << ModelLimits::maxHiddenSize;
        return e.str();
    }
    if (layer.inputSize != expectedInput)
    {
        e << where << " takes " << layer.inputSize << " inputs, expected " << expectedInput;
        return e.str();
    }
    if (layer.type != CellType::lstm && layer.type != CellType::gru)
        return where + " has an unknown cell type";
    const size_t rows = static_cast<size_t>(layer.numGates() * layer.hiddenSize);
    if (layer.weightIh.size() != rows * static_cast<size_t>(layer.inputSize)
        || layer.weightHh.size() != rows * static_cast<size_t>(layer.hiddenSize) || layer.biasIh.size() != rows
        || layer.biasHh.size() != rows)
        return where + " has weights of the wrong size";
    if (!allFinite(layer.weightIh) || !allFinite(layer.weightHh) || !allFinite(layer.biasIh) || !allFinite(layer.biasHh))
        return where + " has non-finite weights (NaN or Inf); the model was saved from a diverged training";
    const auto hidden = static_cast<size_t>(layer.hiddenSize);
    if ((!layer.initialHidden.empty() && layer.initialHidden.size() != hidden)
        || (!layer.initialCell.empty() && layer.initialCell.size() != hidden)
        || (layer.type == CellType::gru && !layer.initialCell.empty()))
        return where + " has an initial state of the wrong size";
    if (!allFinite(layer.initialHidden) || !allFinite(layer.initialCell))
        return where + " has a non-finite initial state (NaN or Inf)";
    return {};
}

/** The recurrent contract: 1..maxLayers LSTM layers and a Linear(hidden, 1) head. */
std::string validateContract(const ModelSpec& spec)
{
    std::ostringstream e;
    if (spec.layers.empty())
        return "the model has no recurrent layer";
    if (static_cast<int>(spec.layers.size()) > ModelLimits::maxLayers)
    {
        e << "the model has " << spec.layers.size() << " layers; TorchAmp plays at most " << ModelLimits::maxLayers;
        return e.str();
    }
    int expectedInput = spec.inputSize();
    for (size_t l = 0; l < spec.layers.size(); ++l)
    {
        const auto where = "layer " + std::to_string(l);
        if (spec.layers[l].type != CellType::lstm)
            return where + " is a GRU: the recurrent contract has LSTM layers (a GRU plays in a layer sequence)";
        if (auto problem = validateRecurrent(spec.layers[l], expectedInput, where); !problem.empty())
        {
            if (l == 0 && spec.layers[l].inputSize != expectedInput)
                problem += " (1 audio + " + std::to_string(spec.numKnobs()) + " knobs)";
            return problem;
        }
        expectedInput = spec.layers[l].hiddenSize;
    }
    if (static_cast<int>(spec.headWeight.size()) != spec.hiddenSize())
    {
        e << "the output head takes " << spec.headWeight.size() << " inputs but the layer before it has "
          << spec.hiddenSize() << " units";
        return e.str();
    }
    if (!allFinite(spec.headWeight) || !std::isfinite(spec.headBias))
        return "the output head has non-finite weights (NaN or Inf)";
    return {};
}

bool sizeIs(const std::vector<float>& v, int n)
{
    return static_cast<int>(v.size()) == n;
}

/** The members of a non-recurrent layer of a sequence: sizes, ranges, finite values. */
std::string validateLayerWeights(const LayerSpec& l, const std::string& where)
{
    std::ostringstream e;
    const int in = l.inputSize, out = l.outputSize;
    switch (l.kind)
    {
        case LayerKind::dense:
            if (!sizeIs(l.weight, in * out) || !sizeIs(l.bias, out))
                return where + " (dense) has weights of the wrong size";
            break;
        case LayerKind::conv1d:
            if (l.kernelSize < 1 || l.kernelSize > ModelLimits::maxConvKernelSize || l.dilation < 1
                || l.lookback() > ModelLimits::maxConvLookback)
            {
                e << where << " (conv1d) has kernel size " << l.kernelSize << " and dilation " << l.dilation
                  << "; TorchAmp plays kernels of 1.." << ModelLimits::maxConvKernelSize << " looking back at most "
                  << ModelLimits::maxConvLookback << " steps";
                return e.str();
            }
            if (l.groups < 1 || in % l.groups != 0 || out % l.groups != 0)
                return where + " (conv1d) has " + std::to_string(l.groups) + " groups, which do not divide its "
                       + std::to_string(in) + " inputs and " + std::to_string(out) + " outputs";
            if (!sizeIs(l.weight, out * (in / l.groups) * l.kernelSize) || !sizeIs(l.bias, out))
                return where + " (conv1d) has weights of the wrong size";
            break;
        case LayerKind::batchNorm:
            if (in != out || !sizeIs(l.mean, out) || !sizeIs(l.variance, out)
                || (!l.gamma.empty() && !sizeIs(l.gamma, out)) || (!l.beta.empty() && !sizeIs(l.beta, out)))
                return where + " (batchnorm) has weights of the wrong size";
            if (!(l.epsilon >= 0.0f) || !std::isfinite(l.epsilon))
                return where + " (batchnorm) has a negative or non-finite epsilon";
            for (size_t c = 0; c < l.variance.size(); ++c)
                if (!(l.variance[c] + l.epsilon > 0.0f))
                    return where + " (batchnorm) has a variance plus epsilon that is not positive";
            break;
        case LayerKind::prelu:
            if (in != out || !sizeIs(l.slopes, out))
                return where + " (prelu) has slopes of the wrong size";
            break;
        case LayerKind::activation:
            if (in != out)
                return where + " (activation) changes the number of values";
            break;
        case LayerKind::gru:
        case LayerKind::lstm: break;
    }
    for (const auto* v : {&l.weight, &l.bias, &l.mean, &l.variance, &l.gamma, &l.beta, &l.slopes})
        if (!allFinite(*v))
            return where + " has non-finite weights (NaN or Inf); the model was saved from a diverged training";
    return {};
}

/** A layer sequence: every layer's sizes chain from `inputs` to 1 output, within ModelLimits. */
std::string validateSequence(const std::vector<LayerSpec>& sequence, int inputs)
{
    std::ostringstream e;
    if (static_cast<int>(sequence.size()) > ModelLimits::maxSequenceLayers)
    {
        e << "the model has " << sequence.size() << " layers; TorchAmp plays at most " << ModelLimits::maxSequenceLayers;
        return e.str();
    }
    int width = inputs;
    int recurrentLayers = 0;
    for (size_t i = 0; i < sequence.size(); ++i)
    {
        const auto& l = sequence[i];
        const auto where = "layer " + std::to_string(i);
        if (l.inputSize != width)
        {
            e << where << " takes " << l.inputSize << " inputs, expected " << width;
            if (i == 0)
                e << " (1 audio + " << inputs - 1 << " knobs)";
            return e.str();
        }
        if (l.outputSize < 1 || l.outputSize > ModelLimits::maxHiddenSize)
        {
            e << where << " has " << l.outputSize << " outputs; TorchAmp plays 1.." << ModelLimits::maxHiddenSize;
            return e.str();
        }
        if (l.kind == LayerKind::gru || l.kind == LayerKind::lstm)
        {
            if (++recurrentLayers > ModelLimits::maxLayers)
            {
                e << "the model has more than " << ModelLimits::maxLayers << " recurrent layers";
                return e.str();
            }
            const auto& r = l.recurrent;
            if ((r.type == CellType::gru) != (l.kind == LayerKind::gru) || r.hiddenSize != l.outputSize)
                return where + " has a recurrent cell that differs from the layer's kind or size";
            if (auto problem = validateRecurrent(r, width, where); !problem.empty())
                return problem;
        }
        else if (auto problem = validateLayerWeights(l, where); !problem.empty())
            return problem;
        width = l.outputSize;
    }
    if (width != 1)
    {
        e << "the model ends in " << width << " outputs; TorchAmp plays models with one audio output";
        return e.str();
    }
    return {};
}

/** What a WaveNet spec must have besides its WaveNet: nothing of the recurrent description. */
std::string validateWaveNetModel(const ModelSpec& spec)
{
    if (!spec.layers.empty() || !spec.sequence.empty() || !spec.headWeight.empty())
        return "a WaveNet model cannot also have recurrent, sequence or head layers";
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
    if (!sequence.empty())
        s << sequenceSummary(sequence);
    else if (layers.empty())
        s << "TorchScript audio module";
    else
        s << recurrentRuns(layers);
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
    if (auto problem = validateKnobs(*this); !problem.empty())
        return problem;
    if (!sequence.empty())
    {
        if (!layers.empty() || !headWeight.empty())
            return "a layer-sequence model cannot also have contract layers or a head";
        return validateSequence(sequence, inputSize());
    }
    return validateContract(*this);
}

} // namespace torchamp
