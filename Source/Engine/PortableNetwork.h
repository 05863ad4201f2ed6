#pragma once

#include "LstmKernels.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"

#include <vector>

namespace torchamp
{

/** The native engine's general path: LSTM and GRU layers in any mix, dense layers with
    activations, a linear head, in plain C++ loops the compiler vectorises (column sums over
    contiguous gate rows). RecurrentNetwork uses it for the models its gate-interleaved LSTM kernels
    do not cover (any GRU layer, any dense layer); it computes what torch.nn.LSTM / torch.nn.GRU /
    torch.nn.Linear compute, in float32, with the kernels' vectorised sigmoid and tanh (error below
    3e-7, see FastMathTests), which is what keeps a GRU of 40 units several times faster than
    std::exp and std::tanh would.

    The state of one channel is stateSize() floats: per layer h[hidden], then for LSTM c[hidden].

    Threads: construct off the audio thread (it allocates); process() is real-time safe. One
    instance serves one thread at a time (it owns the scratch the step works in). */
class PortableNetwork
{
public:
    /// Copies and re-lays out the weights. `spec` must be valid (spec.validate() empty);
    /// `kernel` supplies the activations.
    PortableNetwork(const ModelSpec& spec, const kernels::KernelSet& kernel);

    /// Floats of recurrent state per channel.
    int stateSize() const noexcept { return stateFloats; }

    /// Writes the state reset() returns to (the model's learned initial state, or zeros) into
    /// `state` (stateSize() floats). Any thread.
    void writeInitialState(float* state) const noexcept TORCHAMP_NONBLOCKING;

    /// numSamples steps of one channel. Step t reads `fedInputs` model inputs from
    /// in[t * inputStride ...] (the audio first) and the remaining inputs (knobs) from `heldInputs`.
    /// Non-finite inputs are treated as 0. Audio thread.
    void process(const float* in, int inputStride, int fedInputs, const float* heldInputs, float* out,
                 float* state, int numSamples) noexcept TORCHAMP_NONBLOCKING;

private:
    /// sigmoids[0..n) and tanhs[0..n) of x[0..n); x has room up to n rounded up to activationWidth.
    void activate(const float* x, int n) noexcept TORCHAMP_NONBLOCKING;

    struct Recurrent
    {
        CellType type = CellType::lstm;
        int inputs = 0;
        int hidden = 0;
        int rows = 0;                     // gates * hidden
        std::vector<float> inputWeights;  // [inputs][rows]: column j is contiguous
        std::vector<float> hiddenWeights; // [hidden][rows]
        std::vector<float> inputBias;     // [rows]; LSTM: b_ih + b_hh
        std::vector<float> hiddenBias;    // [rows]; GRU only
        std::vector<float> initialState;  // h then (LSTM) c
    };
    struct Dense
    {
        int inputs = 0;
        int outputs = 0;
        std::vector<float> weights; // [inputs][outputs]
        std::vector<float> bias;
        Activation activation = Activation::identity;
    };

    std::vector<Recurrent> recurrent;
    std::vector<Dense> dense;
    std::vector<float> headWeight;
    float headBias = 0.0f;
    bool skip = false;
    float inputGain = 1.0f;
    float outputGain = 1.0f;
    int numInputs = 1;
    int stateFloats = 0;

    kernels::ActivationsFn activations = nullptr;
    int activationWidth = 1; // activations() takes multiples of this many values

    // Scratch for one step, sized at construction (padded to activationWidth).
    std::vector<float> inputs, inputGates, hiddenGates, denseA, denseB, preActivation, sigmoids, tanhs;
};

} // namespace torchamp
