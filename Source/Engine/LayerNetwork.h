#pragma once

#include "AlignedFloats.h"
#include "InferenceEngine.h"
#include "LayerKernels.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace torchamp
{

/** The native engine of a layer-sequence model (ModelSpec::sequence): dense, activation, conv1d,
    batchnorm, prelu, GRU and LSTM layers in any order, computing what Keras / PyTorch compute for
    them, in float32 with the kernels' exp2-based activations.

    The engine runs a chunk of steps through one layer after the other: a dense or conv1d layer
    is one matrix product over the chunk (a conv1d keeps the last inputs it looks back at as state),
    a recurrent layer's input projections are computed for the whole chunk first, then its
    recurrence step by step with the weights in registers. Channels are processed in pairs whose
    recurrences share every weight load. Knobs are model inputs 1..K, held per block. The model's
    own gains and skip apply as AIDA-X defines them: the network sees inputGain * audio, and
    (network + skip * that input) * outputGain is the output.

    Threads: construct and prepare() off the audio thread (they allocate); everything else is
    real-time safe: no allocation, no lock, no system call. */
class LayerNetwork final : public InferenceEngine
{
public:
    /// Packs the weights for the best kernels of this CPU. Throws std::invalid_argument if
    /// spec.validate() fails or the spec is not a layer sequence.
    explicit LayerNetwork(const ModelSpec& spec);

    /// The same on a given instruction set (benchmarks, tests). Throws std::invalid_argument if
    /// this CPU (or build) has no kernel for `isa`.
    LayerNetwork(const ModelSpec& spec, kernels::Isa isa);

    /// Allocates state for numChannels channels and resets it. Not real-time safe.
    void prepare(int numChannels, int maxBlockSize) override;

    /// Every channel back to the model's initial state. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING override;
    /// Knob `index` (0-based) to `value`, clamped to [0, 1]; held from the next process(). Audio thread.
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING override;
    float getKnob(int index) const noexcept;

    bool canCopyChannelState() const noexcept override { return true; }
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING override;

    /// numSamples samples of numChannels channels (at most the prepared count; extra channels are
    /// left untouched); in and out may be the same buffers. Non-finite input is silence, and so is
    /// a non-finite output; a state that became non-finite is reset and counted. Audio thread.
    void process(const float* const* in, float* const* out, int numChannels,
                 int numSamples) noexcept TORCHAMP_NONBLOCKING override;

    /// Runs channel 0 on explicit model inputs: `features` holds numSteps rows of numInputs()
    /// floats (audio first, then the knob inputs, unclamped), as torch's forward() takes them; the
    /// knobs set by setKnob() are ignored. Audio thread.
    void processFeatures(const float* features, float* out, int numSteps) noexcept TORCHAMP_NONBLOCKING;

    std::uint64_t stateResets() const noexcept override { return resets.load(std::memory_order_relaxed); }
    const char* name() const noexcept override { return "native"; }

    int numChannels() const noexcept { return channels; }
    /// Model inputs per step: 1 (audio) + knobs.
    int numInputs() const noexcept { return inputs; }
    int sampleRate() const noexcept { return rate; }
    /// The instruction set the kernels run on.
    kernels::Isa isa() const noexcept { return kernel->isa; }

    /// Steps processed per pass through the layers.
    static constexpr int chunkSteps = 64;

private:
    struct Layer
    {
        LayerKind kind = LayerKind::dense;
        int inStride = 0;  // floats per step of the layer's input signal
        int outStride = 0; // of its output (the same as inStride for the in-place layers)
        int lookback = 0;  // conv1d: input steps kept as state
        int stateOffset = 0;
        int stateFloats = 0;
        kernels::LinearView linear; // dense, conv1d, a recurrent layer's input projection
        kernels::ElementwiseView elementwise;
        bool hasElementwise = false; // dense and conv1d: an activation after the linear map
        kernels::RecurrentView recurrent;
        AlignedFloats weights, bias, hiddenWeights, hiddenBias, scale, shift;
    };

    /** Where one channel's signals live while a chunk passes through the layers. */
    struct Slot
    {
        float* signal[2]; // ping-pong, each with maxLookback steps of room before step 0
        float* gates;
        float* state;
        float* audio; // the network's input (scaled audio) for the skip path
    };

    void pack(const ModelSpec& spec);
    void packLinear(Layer& layer, const LayerSpec& src, int inStride);
    void packRecurrent(Layer& layer, const LayerSpec& src);
    void packElementwise(Layer& layer, const LayerSpec& src);
    void runChunk(Slot* slots, int numSlots, float* const* out, int n) noexcept TORCHAMP_NONBLOCKING;
    void runLayer(const Layer& layer, Slot* slots, int numSlots, int& current,
                  int n) noexcept TORCHAMP_NONBLOCKING;
    void fillInputs(Slot& slot, const float* in, int inStride, int fed, int n) noexcept TORCHAMP_NONBLOCKING;
    void checkState(Slot& slot) noexcept TORCHAMP_NONBLOCKING;
    Slot slot(int index, int channel) noexcept;

    const kernels::LayerKernelSet* kernel = nullptr;
    std::vector<Layer> layers;
    int rate = 48000;
    int inputs = 1;
    int inputStride = 0; // floats per step of the network's input signal
    int maxStride = 0;   // of any signal
    int maxGateRows = 0; // of any recurrent layer's input projections
    int maxLookback = 0;
    bool skip = false;
    float inputGain = 1.0f;
    float outputGain = 1.0f;

    std::vector<float> knobs;
    AlignedFloats initialState; // one channel's state after reset()
    int stateFloats = 0;

    int channels = 0;
    AlignedFloats state;   // [channel][stateFloats]
    AlignedFloats scratch; // two slots: signals, gates and the network input of a chunk

    std::atomic<std::uint64_t> resets{0};
};

} // namespace torchamp
