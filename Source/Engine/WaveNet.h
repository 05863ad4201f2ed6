#pragma once

#include "AlignedFloats.h"
#include "InferenceEngine.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"
#include "WaveNetKernels.h"

#include <atomic>
#include <cstdint>
#include <vector>

namespace torchamp
{

/** The native engine for Neural Amp Modeler WaveNets (ModelSpec::wavenet), computing what
    NeuralAmpModelerCore computes.

    There is no recurrence, so a block is computed layer by layer as matrix products over time:
    each layer's dilated convolution reads its past from a history buffer per layer (its input
    over the last (kernel size - 1) x dilation samples and the block), then the activation, the
    head sums and the 1x1 convolution onto the next layer's history run over the whole block.
    Blocks longer than an internal chunk are computed chunk by chunk, so the cost per sample is
    the same for any block size, and every block size gives the same bits.

    Each channel has its own histories; channels are computed one after the other with the same
    code, so every channel of a stereo stream is bit for bit what a mono stream gives. The kernels
    are compiled for several instruction sets (WaveNetKernels.h); the constructor picks the best
    one this CPU has.

    Threads: construct and prepare() off the audio thread (they allocate); everything else is
    real-time safe. */
class WaveNet final : public InferenceEngine
{
public:
    /// Packs the weights for the best kernel of this CPU. Throws std::invalid_argument if
    /// spec.validate() fails or the spec has no WaveNet.
    explicit WaveNet(const ModelSpec& spec);

    /// The same with a given instruction set (benchmarks, tests). Throws std::invalid_argument if
    /// the spec is invalid or this CPU (or build) has no kernel for `isa`.
    WaveNet(const ModelSpec& spec, kernels::Isa isa);

    /// Allocates the histories of numChannels channels and zeroes them; any block size plays
    /// (long blocks are computed in chunks). Not real-time safe.
    void prepare(int numChannels, int maxBlockSize) override;

    /// Every history back to zero: the state before the first sample, as NeuralAmpModelerCore
    /// without its prewarm. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING override;

    bool canCopyChannelState() const noexcept override { return true; }
    /// Copies the histories and where each layer writes next. Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING override;

    /// A WaveNet file has no knobs. Audio thread.
    void setKnob(int, float) noexcept TORCHAMP_NONBLOCKING override {}

    /// Processes n samples of numChannels channels (at most the prepared count; extra channels
    /// are left untouched). in and out may be the same buffers. Non-finite input is treated as
    /// silence; a channel whose state became non-finite is reset and counted. Audio thread.
    void process(const float* const* in, float* const* out, int numChannels,
                 int n) noexcept TORCHAMP_NONBLOCKING override;

    /// The receptive field: that many samples of silence bring any state to the model's idle state.
    int warmUpSamples() const noexcept override { return receptive; }

    std::uint64_t stateResets() const noexcept override { return resets.load(std::memory_order_relaxed); }
    const char* name() const noexcept override { return "native"; }

    kernels::Isa isa() const noexcept { return kernel->isa; }
    int numChannels() const noexcept { return channels; }
    int sampleRate() const noexcept { return rate; }

    /// Samples the engine computes per pass; longer blocks are split.
    static constexpr int chunkSamples = 128;

private:
    struct Layer
    {
        int index = 0; // among all layers: its entry in ChannelState::positions
        int dilation = 1;
        int kernelSize = 1;
        int lookback = 0;
        int convRows = 0;
        AlignedFloats convWeights; // [kernel tap][channel] then the condition, packed for the kernel
        AlignedFloats convBias;
        AlignedFloats outputWeights; // the 1x1 convolution, packed
        AlignedFloats outputBias;
        std::vector<float> activationSlopes, gateSlopes; // PReLU per channel
        kernels::ActivationParams activation, gate;
        bool gated = false;
        long historyOffset = 0; // of this layer's input history in a channel's state
        long rowStride = 0;     // floats per history row
        int rowLength = 0;      // lookback + room for new samples
    };

    struct LayerArray
    {
        int inputSize = 0;
        int channels = 0;
        int headSize = 0;
        AlignedFloats rechannelWeights; // packed
        AlignedFloats headWeights;      // packed; the last array's carry the head scale and output gain
        AlignedFloats headBias;         // empty when the head has no bias
        std::vector<Layer> layers;
    };

    /// A channel's histories and where each layer writes next.
    struct ChannelState
    {
        float* history;
        int* positions;
    };

    void pack(const WaveNetSpec& spec, float outputGain);
    AlignedFloats packRows(const std::vector<float>& w, int rows, int inputs) const;
    void layOutHistories();
    void processChunk(ChannelState s, const float* in, float* out, int n) noexcept TORCHAMP_NONBLOCKING;
    void runArray(const LayerArray& array, ChannelState s, const float* input, float* head, float* headOut,
                  bool last, int n) noexcept TORCHAMP_NONBLOCKING;
    void runLayer(const LayerArray& array, const Layer& layer, ChannelState s, float* next, long nextStride,
                  float* head, int n) noexcept TORCHAMP_NONBLOCKING;
    void rewindIfFull(ChannelState s, int n) noexcept TORCHAMP_NONBLOCKING;
    bool stateIsFinite(ChannelState s, int n) const noexcept TORCHAMP_NONBLOCKING;
    void resetChannel(ChannelState s) noexcept TORCHAMP_NONBLOCKING;
    ChannelState channelState(int channel) noexcept;

    const kernels::WaveNetKernelSet* kernel = nullptr;
    std::vector<LayerArray> arrays;
    int rate = 48000;
    float inputGain = 1.0f;
    int receptive = 1;
    int maxRows = 1;   // the most rows any block buffer holds
    int maxGroups = 1; // the most input groups any matrix product has

    int numLayers = 0;
    int channels = 0;
    long stateSize = 0;         // floats of history per channel
    AlignedFloats state;        // [channel][layer][row][rowStride]
    std::vector<int> positions; // [channel][layer]: where the next sample goes in the layer's history rows
    long blockStride = 0;       // floats per row of the block buffers in the current chunk
    AlignedFloats audio, conv, headA, headB, arrayOut, finalOut; // block buffers
    std::vector<kernels::InputRows> groups;

    std::atomic<std::uint64_t> resets{0};
};

} // namespace torchamp
