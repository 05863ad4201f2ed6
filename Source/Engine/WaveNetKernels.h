#pragma once

#include "LstmKernels.h"
#include "RealtimeSafety.h"
#include "WaveNetSpec.h"

namespace torchamp::kernels
{

// A WaveNet block is a set of rows, each holding `columns` consecutive samples of one signal. The
// kernels compute whole vectors: the columns up to the next multiple of WaveNetKernelSet::width
// are computed too (their values are never used), so every row needs room for them.

/** Rows of a matrix product's input, evenly spaced in memory: row i at first + i * stride. */
struct InputRows
{
    const float* first = nullptr;
    long stride = 0;
    int count = 0;
};

/** out = W x (+ bias) (+ residual) over a block: one 1x1 or dilated convolution. The inputs are
    groups of rows (a history buffer at one delay per kernel tap, the audio, a block buffer),
    taken in order. The sum's order is fixed (bias, then the inputs in order, then the
    residual), whatever the tiling, so every block size gives the same bits. */
struct MatrixProduct
{
    int rows = 0;
    int inputs = 0; ///< the groups' rows together
    /// W packed by WaveNetKernelSet::rowBlock rows: tile t holds rows [t R, min(rows, (t + 1) R))
    /// as [input][row in tile]; it starts at t R inputs floats.
    const float* weights = nullptr;
    const float* bias = nullptr; ///< [rows], or null
    const InputRows* groups = nullptr;
    int numGroups = 0;
    const float* residual = nullptr; ///< row r at residual + r * residualStride, or null
    long residualStride = 0;
    float* out = nullptr; ///< row r at out + r * outStride
    long outStride = 0;
};

/** An activation with its parameters, as the kernels take it. */
struct ActivationParams
{
    WaveNetActivation type = WaveNetActivation::tanh;
    float negativeSlope = 0.01f;
    const float* rowSlopes = nullptr; ///< PReLU: one negative slope per row, or null for negativeSlope
    float minValue = -1.0f, maxValue = 1.0f, minSlope = 0.01f, maxSlope = 0.01f;
};

/** A layer's activation over a block, in place: rows [0, channels) of z become
    activation(z) (times gate(z[channels + r]) when `gate` is set) and are added to `head`. */
struct ActivationPass
{
    int channels = 0;
    float* z = nullptr; ///< row r at z + r * stride; 2 x channels rows when gated
    long stride = 0;
    ActivationParams activation;
    const ActivationParams* gate = nullptr;
    float* head = nullptr; ///< row r at head + r * stride
};

using MatrixProductFn = void (*)(const MatrixProduct&, int columns) noexcept TORCHAMP_NONBLOCKING;
using ActivationPassFn = void (*)(const ActivationPass&, int columns) noexcept TORCHAMP_NONBLOCKING;
using AllFiniteFn = bool (*)(const float* rows, long stride, int rowCount,
                             int columns) noexcept TORCHAMP_NONBLOCKING;
using ApplyActivationFn = void (*)(const ActivationParams&, const float* x, float* y,
                                   int n) noexcept TORCHAMP_NONBLOCKING;

struct WaveNetKernelSet
{
    Isa isa;
    int width;    ///< samples per vector: blocks are computed in multiples of it
    int rowBlock; ///< rows per packed weight tile (see MatrixProduct::weights)
    MatrixProductFn multiply;
    ActivationPassFn activate;
    /// True when the first `columns` samples of every row are finite.
    AllFiniteFn allFinite;
    /// The kernel's own activation over n values (a multiple of width), for the tests that measure it.
    ApplyActivationFn apply;
};

/** The WaveNet kernels for `isa`, or nullptr when they are not compiled in or this CPU lacks the
    instructions. Any thread. */
const WaveNetKernelSet* findWaveNetKernels(Isa isa) noexcept;

} // namespace torchamp::kernels
