#pragma once

#include "AlignedFloats.h"
#include "LstmKernels.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace torchamp
{

/** The native engine of the recurrent contract (ModelSpec::layers: TorchScript and Neural Amp
    Modeler LSTMs): a stack of LSTM layers and a linear head, computing what torch.nn.LSTM +
    torch.nn.Linear compute, one sample at a time. Layer-sequence models play on LayerNetwork.

    Each channel has its own recurrent state. Knob values are model inputs 1..K; they are held per
    block (set them before process()). Channels are processed in pairs that share every weight
    load (a 2-column matrix product), so stereo costs much less than twice mono.

    The arithmetic runs in kernels compiled for several instruction sets (LstmKernels.h); the
    constructor picks the best one this CPU has, and the weights are packed for it.

    Threads: construct and prepare() off the audio thread (they allocate); everything else is
    real-time safe: no allocation, no lock, no system call. */
class RecurrentNetwork
{
public:
    /// Copies and re-lays out the weights for the best kernel of this CPU. Throws
    /// std::invalid_argument if spec.validate() fails or the spec is not the recurrent contract.
    explicit RecurrentNetwork(const ModelSpec& spec);

    /// The same with a given instruction set (benchmarks, tests), its kernels chosen for the
    /// model's hidden sizes (kernels::findKernelsFor). Throws std::invalid_argument if the spec is
    /// invalid or this CPU (or build) has no kernel for `isa`.
    RecurrentNetwork(const ModelSpec& spec, kernels::Isa isa);

    /// The same with given kernels (tests comparing one instruction set's cell widths).
    RecurrentNetwork(const ModelSpec& spec, const kernels::KernelSet& kernels);

    /// Allocates state for numChannels channels and resets it. Not real-time safe.
    void prepare(int numChannels);

    int numChannels() const noexcept { return channels; }
    int numKnobs() const noexcept { return knobCount; }
    int sampleRate() const noexcept { return rate; }
    /// Model inputs per step: 1 (audio) + numKnobs().
    int numInputs() const noexcept { return 1 + knobCount; }
    /// The instruction set the kernels run on.
    kernels::Isa isa() const noexcept { return kernel->isa; }
    /// Units per block of the kernels' cell update (the padding of each layer's hidden size).
    int cellWidth() const noexcept { return kernel->cellWidth; }

    /// Sets every channel's recurrent state to the model's initial state (zero unless the file
    /// carries a learned one). Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Sets knob `index` (0-based, value in [0, 1], clamped). Audio thread; takes effect at the next process().
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING;
    float getKnob(int index) const noexcept;

    /// Processes numSamples samples of numChannels channels (at most the prepared count; extra
    /// channels are left untouched). in and out may be the same buffers. Non-finite input is
    /// treated as silence; a state that became non-finite is reset (to the initial state) and
    /// counted. Audio thread.
    void process(const float* const* in, float* const* out, int numChannels, int numSamples) noexcept
        TORCHAMP_NONBLOCKING;

    /// Makes channel `to`'s state a copy of channel `from`'s (both below numChannels()). Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING;

    /// Single-channel convenience for process(). Audio thread.
    void processChannel(int channel, const float* in, float* out, int numSamples) noexcept TORCHAMP_NONBLOCKING;

    /// Runs channel 0 on explicit model inputs instead of audio + held knobs: `features` holds
    /// numSteps rows of numInputs() floats (audio first, then the knob inputs, unclamped), as
    /// torch's forward() takes them. For sequence models and benchmarks; the knobs set by
    /// setKnob() are ignored. Audio thread.
    void processFeatures(const float* features, float* out, int numSteps) noexcept TORCHAMP_NONBLOCKING;

    /// How often a non-finite state was detected and reset since construction. Any thread.
    std::uint64_t stateResets() const noexcept { return resets.load(std::memory_order_relaxed); }

private:
    struct Layer
    {
        int hiddenSize = 0;
        int paddedHidden = 0;
        int inputColumns = 0;
        AlignedFloats inputWeights;  // see kernels::LayerView for the packing
        AlignedFloats hiddenWeights;
        AlignedFloats bias;
    };

    void pack(const ModelSpec& spec);
    void updateKnobBias() noexcept TORCHAMP_NONBLOCKING;
    void run(kernels::Block& block, const float* inputBias, int layer0Inputs) noexcept TORCHAMP_NONBLOCKING;
    void runKernel(kernels::Block& block, const float* inputBias, int layer0Inputs) noexcept TORCHAMP_NONBLOCKING;
    bool stateIsFinite(const float* state) const noexcept TORCHAMP_NONBLOCKING;
    float* channelState(int channel) noexcept;

    const kernels::KernelSet* kernel = nullptr;
    std::vector<Layer> layers;
    std::vector<kernels::LayerView> views;
    AlignedFloats headWeight;
    float headBias = 0.0f;
    bool skip = false;
    float skipGain = 1.0f; // the model's input gain times its output gain (both folded into the weights)
    int rate = 48000;

    AlignedFloats initialState;                // one channel's state after reset()
    int knobCount = 0;

    std::vector<float> knobs;  // current knob values
    AlignedFloats knobBias;    // the knobs' contribution to layer 0's gates
    bool knobsChanged = true;

    int channels = 0;
    int stateStride = 0;   // floats of state per channel (see kernels::NetworkView)
    AlignedFloats state;   // [channel][layer]{h[padded hidden], c[padded hidden]}
    AlignedFloats scratch; // gates of two channels

    std::atomic<std::uint64_t> resets { 0 };
};

} // namespace torchamp
