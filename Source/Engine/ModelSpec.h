#pragma once

#include "Limits.h"
#include "WaveNetSpec.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** The recurrent cell types the native engine knows. */
enum class CellType
{
    lstm, ///< torch.nn.LSTM
    gru,  ///< torch.nn.GRU
};

/** One recurrent layer's weights, in PyTorch's layout and gate order (LSTM: i, f, g, o;
    GRU: r, z, n, with b_hn inside the r * (W_hn h + b_hn) term, as torch.nn.GRU computes). */
struct RecurrentLayerSpec
{
    CellType type = CellType::lstm;
    int inputSize = 0;
    int hiddenSize = 0;
    std::vector<float> weightIh; ///< [gates * hidden, input], row-major
    std::vector<float> weightHh; ///< [gates * hidden, hidden], row-major
    std::vector<float> biasIh;   ///< [gates * hidden]
    std::vector<float> biasHh;   ///< [gates * hidden]
    /// The state reset() returns to (Neural Amp Modeler files learn it); empty means zeros.
    std::vector<float> initialHidden; ///< [hidden] or empty
    std::vector<float> initialCell;   ///< [hidden] or empty; LSTM only

    int numGates() const noexcept { return type == CellType::gru ? 3 : 4; }
};

/** Element-wise function of a layer's outputs (RTNeural's activation names in brackets). */
enum class Activation
{
    identity, ///< "linear" or none
    tanh,
    relu,
    sigmoid,
    softmax, ///< over the layer's outputs at each step
    elu,     ///< x for x > 0, else exp(x) - 1 (alpha 1, Keras' default)
};

/** The layer types of a layer-sequence model. */
enum class LayerKind
{
    dense,      ///< y = activation(W x + b), one step at a time
    activation, ///< y = activation(x)
    conv1d,     ///< causal (streaming) 1-D convolution over time, with dilation and groups, then activation
    batchNorm,  ///< y = (x - mean) / sqrt(variance + epsilon) * gamma + beta, per channel (inference form)
    prelu,      ///< y = x for x >= 0, else slope * x, per channel
    gru,        ///< torch.nn.GRU, one layer
    lstm,       ///< torch.nn.LSTM, one layer
};

/** One layer of a layer-sequence model (RTNeural/Keras JSON, PyTorch state_dicts): plain data, in
    PyTorch's layouts. Only the members of its kind are used; the others stay empty. */
struct LayerSpec
{
    LayerKind kind = LayerKind::dense;
    int inputSize = 0;
    int outputSize = 0;
    /// dense and conv1d: applied to their outputs; activation: the function itself.
    Activation activation = Activation::identity;

    /// dense: [output][input], row-major (torch.nn.Linear); conv1d: [output][input / groups][kernelSize]
    /// (torch.nn.Conv1d), where tap k multiplies the input (kernelSize - 1 - k) * dilation steps back.
    std::vector<float> weight;
    std::vector<float> bias; ///< dense, conv1d: [output]
    int kernelSize = 1;      ///< conv1d
    int dilation = 1;        ///< conv1d
    int groups = 1;          ///< conv1d: input and output channels split into this many independent groups

    /// batchNorm: [size] each; gamma and beta empty mean 1 and 0 (a layer without scale or centre).
    std::vector<float> mean, variance, gamma, beta;
    float epsilon = 1e-3f;

    std::vector<float> slopes; ///< prelu: [size]

    RecurrentLayerSpec recurrent; ///< gru, lstm (its inputSize and hiddenSize equal this layer's sizes)

    /// Input steps the layer looks back beyond the current one (conv1d: (kernelSize - 1) * dilation).
    int lookback() const noexcept { return kind == LayerKind::conv1d ? (kernelSize - 1) * dilation : 0; }
};

/** What the user sees of a model, without its weights: what the status, the editor and the tools
    show, shared as an immutable std::shared_ptr<const ModelInfo> (ModelSpec::shareInfo()). */
struct ModelInfo
{
    std::string name;
    std::string description;
    std::string author;
    std::string sourceFormat = "TorchScript";

    int sampleRate = 48000;
    bool skip = false; ///< output += audio input

    std::vector<std::string> knobNames;
    std::vector<float> knobDefaults; ///< one per knob, in [0, 1]

    /// Level calibration metadata, NaN when the file does not say (Neural Amp Modeler: "loudness"
    /// is the model's output loudness in dB for NAM's standard input; the levels are the dBu of
    /// digital full scale at the capture's input and output).
    float loudnessDb = std::numeric_limits<float>::quiet_NaN();
    float inputLevelDbu = std::numeric_limits<float>::quiet_NaN();
    float outputLevelDbu = std::numeric_limits<float>::quiet_NaN();
    /// What was captured ("Darkglass Electronics Microtubes 900 v2, amp"), empty when unknown.
    std::string gear;

    /// Things the user should know about the file (missing metadata, defaults used, ...).
    std::vector<std::string> warnings;

    /// "LSTM 1x40, 48 kHz" style summary of the architecture (ModelSpec::architecture()), filled
    /// by ModelSpec::shareInfo().
    std::string summary;

    int numKnobs() const noexcept { return static_cast<int>(knobNames.size()); }
};

/** What a model is: its information and its architecture, sizes and weights. Plain data, no
    LibTorch types, so every importer (TorchScript, JSON, NAM) produces one and the engine builds
    from one. */
struct ModelSpec : ModelInfo
{
    /// The recurrent contract (TorchScript, Neural Amp Modeler LSTM): a stack of LSTM layers and a
    /// Linear(hiddenSize(), 1) head. Empty for the other kinds of model.
    std::vector<RecurrentLayerSpec> layers;
    std::vector<float> headWeight; ///< the head's weight, [hiddenSize()]
    float headBias = 0.0f;
    /// A layer-sequence model (RTNeural/Keras JSON, PyTorch state_dicts): layers of any kind in any
    /// order, from 1 + numKnobs() inputs to 1 output. Then layers and the head are empty.
    std::vector<LayerSpec> sequence;
    /// A convolutional model (Neural Amp Modeler WaveNet): then layers, the head and the sequence
    /// are empty. Null for the other kinds of model.
    std::shared_ptr<const WaveNetSpec> wavenet;

    /// Linear gains of the model itself (AIDA-X's in_gain / out_gain): the network sees
    /// inputGain * audio, and its output (skip included) is multiplied by outputGain.
    float inputGain = 1.0f;
    float outputGain = 1.0f;

    int inputSize() const noexcept { return 1 + numKnobs(); }
    int hiddenSize() const noexcept { return layers.empty() ? 0 : layers.back().hiddenSize; }

    /// "LSTM 1x40, 48 kHz" (or "WaveNet A1 standard, 13,802 weights, 48 kHz") style summary for
    /// the editor and the render tool.
    std::string architecture() const;

    /// Empty when the spec is self-consistent and within ModelLimits, else what is wrong.
    std::string validate() const;

    /// The model's information (summary filled in), without the weights, to share. Off the audio thread.
    std::shared_ptr<const ModelInfo> shareInfo() const;
};

} // namespace torchamp
