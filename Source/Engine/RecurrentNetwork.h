#pragma once

#include "ModelSpec.h"
#include "RealtimeSafety.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace torchamp
{

/** The native inference engine: a stack of recurrent layers and a linear head, built from a
    ModelSpec, computing exactly what torch.nn.LSTM + torch.nn.Linear compute, one sample at a time.

    Each channel has its own recurrent state. Knob values are model inputs 1..K; they are held per
    block (set them before process()).

    Threads: construct and prepare() off the audio thread (they allocate); everything else is
    real-time safe: no allocation, no lock, no system call. */
class RecurrentNetwork
{
public:
    /// Copies and re-lays out the weights. Throws std::invalid_argument if spec.validate() fails.
    explicit RecurrentNetwork(const ModelSpec& spec);

    /// Allocates state for numChannels channels and resets it. Not real-time safe.
    void prepare(int numChannels);

    int numChannels() const noexcept { return channels; }
    int numKnobs() const noexcept { return knobCount; }
    int sampleRate() const noexcept { return rate; }

    /// Sets every channel's recurrent state to zero. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Sets knob `index` (0-based, value in [0, 1], clamped). Audio thread; takes effect at the next process().
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING;
    float getKnob(int index) const noexcept;

    /// Processes numSamples samples of numChannels channels (at most the prepared count; extra
    /// channels are left untouched). in and out may be the same buffers. Non-finite input is
    /// treated as silence; a state that became non-finite is reset and counted. Audio thread.
    void process(const float* const* in, float* const* out, int numChannels, int numSamples) noexcept
        TORCHAMP_NONBLOCKING;

    /// Single-channel convenience for process(). Audio thread.
    void processChannel(int channel, const float* in, float* out, int numSamples) noexcept TORCHAMP_NONBLOCKING;

    /// How often a non-finite state was detected and reset since construction. Any thread.
    std::uint64_t stateResets() const noexcept { return resets.load(std::memory_order_relaxed); }

private:
    struct Layer
    {
        int inputColumns = 0; // audio only for layer 0 (knobs are folded into its bias), else inputSize
        int hiddenSize = 0;
        int stride = 0;       // 4 * hidden rounded up to a whole number of tiles
        // [inputColumns + hidden][stride]: column j of PyTorch's [weight_ih | weight_hh], contiguous,
        // so the matrix-vector product is a sum of columns scaled by one input each.
        std::vector<float> weights;
        std::vector<float> bias; // [stride]: bias_ih + bias_hh
    };

    void updateKnobBias() noexcept TORCHAMP_NONBLOCKING;
    float step(float x, float* state) noexcept TORCHAMP_NONBLOCKING;
    bool stateIsFinite(const float* state) const noexcept TORCHAMP_NONBLOCKING;

    std::vector<Layer> layers;
    std::vector<float> headWeight;
    float headBias = 0.0f;
    bool skip = false;
    int rate = 48000;
    int knobCount = 0;

    std::vector<float> knobs;        // current knob values
    std::vector<float> knobWeights;  // [knob][layer 0 stride]: weight_ih columns 1..K
    std::vector<float> layer0Bias;   // layer 0 bias with the knobs' contribution folded in
    bool knobsChanged = true;

    int channels = 0;
    int stateStride = 0;       // floats of state per channel: h and c of every layer
    std::vector<float> state;  // [channel][layer]{h[hidden], c[hidden]}
    std::vector<float> gates;  // scratch, [max stride]
    std::vector<float> inputs; // scratch, [max inputColumns + hidden]: the vector the weights multiply

    std::atomic<std::uint64_t> resets { 0 };
};

} // namespace torchamp
