#pragma once

#include "RealtimeSafety.h"

namespace torchamp::kernels
{

/** The instruction sets the engine has a compiled kernel for. One binary carries all of them and
    picks the best one the CPU supports at run time (see LstmKernels.cpp); nothing is built with
    -march=native. */
enum class Isa
{
    generic, ///< portable 4-wide vectors: SSE2 on x86-64, NEON on arm64
    avx2,    ///< AVX2 + FMA (x86-64-v3)
    avx512,  ///< AVX-512 F/VL/DQ/BW (x86-64-v4)
};

/** Constants shared by the packing and every kernel, so all paths compute the same function. */
struct KernelConstants
{
    static constexpr float log2e = 1.44269504088896341f;
    /// |exp2 argument| bound: 2^60 keeps 1 + 2^y finite and its reciprocal normal, and
    /// sigmoid(+-60 / log2 e) is 0 or 1 within 1e-18.
    static constexpr float exp2Limit = 60.0f;
};

/** "avx512", "avx2", "generic". */
const char* isaName(Isa isa) noexcept;

/** One recurrent layer packed for a kernel: weights column by column (the mat-vec is a sum of
    columns, each scaled by one input), rows gate-interleaved in blocks of cellWidth units:
    [i f g o] of units 0..w-1, then [i f g o] of units w..2w-1, ... so the cell update reads its
    four gates as contiguous vectors. Rows are pre-scaled so the accumulated value is directly the
    argument of exp2 in sigmoid(x) = 1 / (1 + 2^(-x log2 e)); tanh uses 2 sigmoid(2x) - 1. */
struct LayerView
{
    int inputColumns = 0; ///< columns of inputWeights (layer 0: 1 + knobs; else the padded hidden below)
    int paddedHidden = 0; ///< hidden size rounded up to cellWidth; padded units stay exactly 0
    const float* inputWeights = nullptr;  ///< [inputColumns][4 * paddedHidden]
    const float* hiddenWeights = nullptr; ///< [paddedHidden][4 * paddedHidden]
    const float* bias = nullptr;          ///< [4 * paddedHidden]
};

/** A whole network as a kernel sees it: plain pointers into RecurrentNetwork's storage. */
struct NetworkView
{
    const LayerView* layers = nullptr;
    int numLayers = 0;
    /// Added to layer 0's gates every step (the knobs' columns times their held values), or null.
    const float* inputBias = nullptr;
    int layer0Inputs = 1; ///< input columns of layer 0 fed per step (1: audio only)
    const float* headWeight = nullptr; ///< [padded hidden of the last layer]
    float headBias = 0.0f;
    bool skip = false;
    float skipGain = 1.0f; ///< the skip path adds skipGain * audio input
    int stateStride = 0; ///< floats per channel: h[paddedHidden] and c[paddedHidden] per layer
};

/** One call: numSamples steps of one or two channels (two share every weight load). */
struct Block
{
    int numChannels = 1;
    const float* in[2] {};
    int inputStride = 1; ///< floats between steps in `in` (layer0Inputs when feeding features)
    float* out[2] {};
    float* state[2] {};
    int numSamples = 0;
    float* scratch = nullptr; ///< 2 * the largest 4 * paddedHidden floats
};

using ProcessFn = void (*)(const NetworkView&, const Block&) noexcept TORCHAMP_NONBLOCKING;
using ActivationsFn = void (*)(const float* x, float* sigmoid, float* tanh, int n) noexcept TORCHAMP_NONBLOCKING;

struct KernelSet
{
    Isa isa;
    int cellWidth; ///< hidden units per gate-interleaved block (the packing depends on it)
    ProcessFn process;
    /// The kernel's own sigmoid and tanh over n (a multiple of cellWidth) values, for the tests
    /// that measure their error.
    ActivationsFn activations;
};

/** n rounded up to a whole number of `multiple`s: how the kernels pad a size to whole vectors or
    unit blocks (a layer's hidden size to its cell width, a row to the vector width). */
constexpr int roundUp(int n, int multiple) noexcept
{
    return (n + multiple - 1) / multiple * multiple;
}

/** The kernels for `isa`, or nullptr when they are not compiled in or this CPU lacks the
    instructions. Any thread. */
const KernelSet* findKernels(Isa isa) noexcept;

/** The kernels for `isa` whose cell update is `cellWidth` units wide (AVX-512 has 8 and 16; the
    others one width each), or nullptr. Any thread. */
const KernelSet* findKernels(Isa isa, int cellWidth) noexcept;

/** The kernels RecurrentNetwork plays layers of these hidden sizes with on `isa`: the widest cell
    update that pads no layer beyond what the narrowest one pads (hidden 12, 16, 32, 48, 64 take
    AVX-512's 16-wide cells; 8, 20, 24, 40 its 8-wide ones, whose padding is less), so the mat-vec
    does no more work and the cell update fewer instructions. nullptr as findKernels(isa). */
const KernelSet* findKernelsFor(Isa isa, const int* hiddenSizes, int count) noexcept;

/** The fastest instruction set this CPU runs (cpuid, once). Any thread. */
Isa bestIsa() noexcept;

} // namespace torchamp::kernels
