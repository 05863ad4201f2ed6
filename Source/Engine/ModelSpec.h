#pragma once

#include <string>
#include <vector>

namespace torchamp
{

/** The recurrent cell types the native engine knows. */
enum class CellType
{
    lstm,
};

/** One recurrent layer's weights, in PyTorch's layout and gate order (LSTM: i, f, g, o). */
struct RecurrentLayerSpec
{
    CellType type = CellType::lstm;
    int inputSize = 0;
    int hiddenSize = 0;
    std::vector<float> weightIh; ///< [gates * hidden, input], row-major
    std::vector<float> weightHh; ///< [gates * hidden, hidden], row-major
    std::vector<float> biasIh;   ///< [gates * hidden]
    std::vector<float> biasHh;   ///< [gates * hidden]

    int numGates() const noexcept { return 4; }
};

/** Hard limits of the native engine, checked before anything is allocated for a model. */
struct ModelLimits
{
    static constexpr int maxLayers = 4;
    static constexpr int maxHiddenSize = 128;
    static constexpr int maxKnobs = 8;
    static constexpr int maxKnobNameLength = 64;
    static constexpr int minSampleRate = 8000;
    static constexpr int maxSampleRate = 384000;
};

/** What a model is: architecture, sizes, weights and metadata. Plain data, no LibTorch types,
    so every importer (TorchScript, JSON, NAM) produces one and the engine builds from one. */
struct ModelSpec
{
    std::string name;
    std::string description;
    std::string author;
    std::string sourceFormat = "TorchScript";

    int sampleRate = 48000;
    bool skip = false; ///< output += audio input

    std::vector<std::string> knobNames;
    std::vector<float> knobDefaults; ///< one per knob, in [0, 1]

    std::vector<RecurrentLayerSpec> layers;
    std::vector<float> headWeight; ///< Linear(hidden, 1) weight, [hidden]
    float headBias = 0.0f;

    /// Things the user should know about the file (missing metadata, defaults used, ...).
    std::vector<std::string> warnings;

    int numKnobs() const noexcept { return static_cast<int>(knobNames.size()); }
    int inputSize() const noexcept { return 1 + numKnobs(); }
    int hiddenSize() const noexcept { return layers.empty() ? 0 : layers.back().hiddenSize; }

    /// "LSTM 1x40, 48 kHz" style summary for the editor and the render tool.
    std::string architecture() const;

    /// Empty when the spec is self-consistent and within ModelLimits, else what is wrong.
    std::string validate() const;
};

} // namespace torchamp
