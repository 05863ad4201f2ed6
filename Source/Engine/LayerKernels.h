#pragma once

#include "LstmKernels.h"
#include "ModelSpec.h"
#include "RealtimeSafety.h"

namespace torchamp::kernels
{

/** The layer-sequence engine's kernels (LayerNetwork): one function per layer type over a chunk of
    steps, compiled for each instruction set like the LSTM kernels (LayerKernels.cpp picks one at
    run time). Signals are time-major: step t of a signal of `stride` floats per step starts at
    data + t * stride; strides and widths are multiples of the kernel's vector width, and the lanes
    beyond a layer's real width are never read as inputs. */

/** A linear map over time: out[t] = bias + sum over taps k of W_k in[t - k * dilation]. A dense
    layer is one tap; a causal conv1d has kernelSize taps (tap 0 is the current step, groups are
    zero blocks of W_k). */
struct LinearView
{
    int inputs = 0;        ///< columns of each W_k read (the layer's real input width)
    int paddedOutputs = 0; ///< rows of each W_k: the outputs rounded up to the vector width
    int taps = 1;
    int dilation = 1;
    const float* weights = nullptr; ///< [taps][inputs][paddedOutputs]: column j of W_k is contiguous
    const float* bias = nullptr;    ///< [paddedOutputs], 0 beyond the real outputs
};

/** An element-wise step over the first `width` values of each step (and the lanes after them, up
    to the padded width, which nobody reads). */
struct ElementwiseView
{
    enum class Op
    {
        activation, ///< `activation` of each value (softmax: over the `width` values of a step)
        affine,     ///< x * scale[c] + shift[c] (batch normalisation, folded at load)
        prelu,      ///< x >= 0 ? x : scale[c] * x
    };
    Op op = Op::activation;
    Activation activation = Activation::identity;
    int width = 0;
    const float* scale = nullptr; ///< [padded width]
    const float* shift = nullptr; ///< [padded width]
};

/** One recurrent layer's recurrence, its gate rows interleaved in blocks of the cell width
    ([r z n] per block for a GRU, [i f g o] for an LSTM) and pre-scaled like the LSTM kernel's
    (LayerView): the input projection (a LinearView with the same packing) is computed for the
    whole chunk beforehand; this adds the hidden columns step by step. */
struct RecurrentView
{
    CellType type = CellType::gru;
    int hidden = 0; ///< units; the columns of the padded units beyond it are zero
    int paddedHidden = 0;
    const float* hiddenWeights = nullptr; ///< [paddedHidden][gates * paddedHidden]
    const float* hiddenBias =
        nullptr; ///< [gates * paddedHidden]: GRU's scaled b_hh (inside r * (...)); LSTM: zeros
};

/** numSteps steps of up to two channels sharing every weight load. Channel c reads its input
    projections from gates[c] (gates * paddedHidden floats per step), writes h of each step to
    out[c] (outStride floats per step) and keeps its state in state[c] (h, then c for an LSTM). */
struct RecurrentBlock
{
    int numChannels = 1;
    const float* gates[2]{};
    float* out[2]{};
    int outStride = 0;
    float* state[2]{};
    int numSteps = 0;
};

using LinearFn = void (*)(const LinearView&, const float* in, int inStride, float* out, int outStride,
                          int numSteps) noexcept TORCHAMP_NONBLOCKING;
using ElementwiseFn = void (*)(const ElementwiseView&, float* data, int stride,
                               int numSteps) noexcept TORCHAMP_NONBLOCKING;
using RecurrentFn = void (*)(const RecurrentView&, const RecurrentBlock&) noexcept TORCHAMP_NONBLOCKING;

struct LayerKernelSet
{
    Isa isa;
    int width; ///< floats per vector: strides, padded widths and gate blocks are multiples of it
    LinearFn linear;
    ElementwiseFn elementwise;
    RecurrentFn recurrent;
};

/** The layer kernels for `isa`, or nullptr when they are not compiled in or this CPU lacks the
    instructions. Any thread. */
const LayerKernelSet* findLayerKernels(Isa isa) noexcept;

} // namespace torchamp::kernels
