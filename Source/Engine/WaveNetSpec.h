#pragma once

#include <string>
#include <vector>

namespace torchamp
{

/** The element-wise functions a Neural Amp Modeler WaveNet layer applies, as its files name them. */
enum class WaveNetActivation
{
    tanh,     ///< "Tanh"
    hardTanh, ///< "Hardtanh": x clamped to [-1, 1]
    fastTanh, ///< "Fasttanh": NAM's rational approximation of tanh; a model that names it was trained with it
    relu,     ///< "ReLU"
    leakyRelu,     ///< "LeakyReLU": x > 0 ? x : negativeSlope x
    prelu,         ///< "PReLU": a leaky ReLU with one slope per channel (or one for all)
    sigmoid,       ///< "Sigmoid"
    silu,          ///< "SiLU" (Swish): x sigmoid(x)
    hardSwish,     ///< "Hardswish": x clamp(x + 3, 0, 6) / 6
    leakyHardTanh, ///< "LeakyHardtanh": x inside [minValue, maxValue], slopes minSlope / maxSlope outside
    softsign,      ///< "Softsign": x / (1 + |x|)
};

/** The name a .nam file uses for `a` ("Tanh", "LeakyReLU", ...). */
const char* waveNetActivationName(WaveNetActivation a) noexcept;

/** The activation a .nam file names `name` (both of NAM's casings of LeakyHardtanh); false when unknown. */
bool waveNetActivationFromName(const std::string& name, WaveNetActivation& a) noexcept;

/** An activation and its parameters (the defaults are Neural Amp Modeler's). */
struct WaveNetActivationSpec
{
    WaveNetActivation type = WaveNetActivation::tanh;
    float negativeSlope = 0.01f;      ///< leakyRelu, and prelu when channelSlopes is empty
    std::vector<float> channelSlopes; ///< prelu: one negative slope per channel, or empty
    float minValue = -1.0f;           ///< leakyHardTanh
    float maxValue = 1.0f;
    float minSlope = 0.01f;
    float maxSlope = 0.01f;
};

/** The gate of a gated layer unless the file names another. */
inline WaveNetActivationSpec sigmoidActivation()
{
    WaveNetActivationSpec s;
    s.type = WaveNetActivation::sigmoid;
    return s;
}

/** One layer of a layer array: a dilated causal convolution of the layer's input plus the
    condition (the audio input) mixed in, an activation (gated: tanh-like rows times gate rows),
    added to the array's head, and a 1x1 convolution added to the input for the next layer.
    Weights in PyTorch's layouts, as the .nam file lists them. */
struct WaveNetLayerSpec
{
    int kernelSize = 3;
    int dilation = 1;
    WaveNetActivationSpec activation;
    /// When set, the convolution has 2 x channels outputs: activation(top) * gateActivation(bottom).
    bool gated = false;
    WaveNetActivationSpec gateActivation = sigmoidActivation();

    /// [convChannels][channels][kernelSize] (torch.nn.Conv1d's weight); tap k reads the input
    /// (kernelSize - 1 - k) * dilation samples back.
    std::vector<float> convWeight;
    std::vector<float> convBias;     ///< [convChannels]
    std::vector<float> mixinWeight;  ///< [convChannels]: the condition into the convolution's output, no bias
    std::vector<float> outputWeight; ///< [channels][channels]: the 1x1 convolution onto the residual path
    std::vector<float> outputBias;   ///< [channels]

    /// Outputs of the dilated convolution: 2 x channels when gated.
    int convChannels(int channels) const noexcept { return gated ? 2 * channels : channels; }
    /// How many samples back the convolution reads.
    int lookback() const noexcept { return (kernelSize - 1) * dilation; }
};

/** A stack of layers of equal width. Its input is rechannelled (no bias) to `channels`; the
    activations of its layers are summed (starting from the previous array's head output, or
    zero) and mapped to `headSize` rows by the head (a 1x1 convolution, bias optional). */
struct WaveNetLayerArraySpec
{
    int inputSize = 1; ///< 1 (the audio) for the first array, else the previous array's channels
    int channels = 0;
    int headSize = 0;
    std::vector<float> rechannelWeight; ///< [channels][inputSize]
    std::vector<WaveNetLayerSpec> layers;
    std::vector<float> headWeight; ///< [headSize][channels]
    std::vector<float> headBias;   ///< [headSize], or empty when the head has no bias
};

/** The sizes Neural Amp Modeler's trainer names (its standard WaveNet and the smaller ones). */
enum class WaveNetSize
{
    custom, ///< none of the trainer's sizes
    standard,
    lite,
    feather,
    nano,
};

/** A Neural Amp Modeler "A1" WaveNet: layer arrays, each feeding the next, the last one's head
    (one row) times headScale is the output. Condition size 1: the condition is the audio input.
    Plain data; ModelSpec::wavenet points to one. */
struct WaveNetSpec
{
    std::vector<WaveNetLayerArraySpec> arrays;
    float headScale = 1.0f;

    /// The trainer's configuration of `size` with every weight zero (sizes right), for benchmarks
    /// and to recognise a file's size. `size` must not be custom.
    static WaveNetSpec ofSize(WaveNetSize size);

    /// Which of the trainer's sizes this configuration is (weights aside), or custom.
    WaveNetSize size() const;

    /// "standard", "lite", "feather", "nano" or "" for custom.
    static const char* sizeName(WaveNetSize size) noexcept;

    /// Numbers in the file's weight list for this configuration (the head scale included).
    long long numWeights() const noexcept;

    /// Samples of input an output sample depends on: 1 + every layer's lookback.
    long long receptiveField() const noexcept;

    /// Empty when the configuration and weights are consistent and within ModelLimits, else what is wrong.
    std::string validate() const;
};

} // namespace torchamp
