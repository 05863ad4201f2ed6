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

/** Element-wise function after a dense layer. */
enum class Activation
{
    identity,
    tanh,
    relu,
    sigmoid,
};

/** A fully connected layer between the recurrent stack and the head (Keras/RTNeural models have them). */
struct DenseLayerSpec
{
    int inputSize = 0;
    int outputSize = 0;
    std::vector<float> weight; ///< [output, input], row-major (torch.nn.Linear's layout)
    std::vector<float> bias;   ///< [output]
    Activation activation = Activation::identity;
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
    std::vector<RecurrentLayerSpec> layers;
    /// A convolutional model (Neural Amp Modeler WaveNet) instead of recurrent layers: then
    /// layers, denseLayers and the head are empty. Null for recurrent models.
    std::shared_ptr<const WaveNetSpec> wavenet;
    /// Applied in order to the last recurrent layer's output, before the head; usually empty.
    std::vector<DenseLayerSpec> denseLayers;
    std::vector<float> headWeight; ///< Linear(headInputs(), 1) weight, [headInputs()]
    float headBias = 0.0f;

    /// Linear gains of the model itself (AIDA-X's in_gain / out_gain): the network sees
    /// inputGain * audio, and its output (skip included) is multiplied by outputGain.
    float inputGain = 1.0f;
    float outputGain = 1.0f;

    int inputSize() const noexcept { return 1 + numKnobs(); }
    int hiddenSize() const noexcept { return layers.empty() ? 0 : layers.back().hiddenSize; }
    /// Inputs of the head: the last dense layer's outputs, else the last recurrent layer's.
    int headInputs() const noexcept { return denseLayers.empty() ? hiddenSize() : denseLayers.back().outputSize; }

    /// "LSTM 1x40, 48 kHz" (or "WaveNet A1 standard, 13,802 weights, 48 kHz") style summary for
    /// the editor and the render tool.
    std::string architecture() const;

    /// Empty when the spec is self-consistent and within ModelLimits, else what is wrong.
    std::string validate() const;

    /// The model's information (summary filled in), without the weights, to share. Off the audio thread.
    std::shared_ptr<const ModelInfo> shareInfo() const;
};

} // namespace torchamp
