#pragma once

// The LSTM kernel, written once as a template on an instruction-set "traits" struct and compiled
// once per instruction set by LstmKernels{Generic,Avx2,Avx512}.cpp with that file's own compiler
// flags. Included by those sources only.
//
// Every traits struct lives in an anonymous namespace of its source file, so each instantiation
// below has internal linkage: the linker can never merge the AVX-512 copy of a function into the
// portable path (the classic ODR trap of per-file ISA flags). For the same reason nothing here
// calls a non-template inline function of another header (std::min and friends included).

#include "LstmKernels.h"

// A call inside the step would clobber every vector register (all are caller-saved), spilling the
// accumulators that are meant to live across it; the helpers below are forced inline.
#define TORCHAMP_KERNEL_INLINE inline __attribute__((always_inline))

namespace torchamp::kernels
{

template <class Isa>
struct LstmKernel
{
    using V = typename Isa::V; // mat-vec vector: Isa::width floats
    using C = typename Isa::C; // cell-update vector: Isa::cellWidth floats, one gate of one unit block
    static constexpr int width = Isa::width;
    static constexpr int cellWidth = Isa::cellWidth;
    static constexpr int maxInputs = 16;

    /** 1 / (1 + 2^y): sigmoid of a pre-scaled argument. Reciprocal, not division. */
    static TORCHAMP_KERNEL_INLINE C sigmoidOfExp2(C y) noexcept TORCHAMP_NONBLOCKING
    {
        return Isa::reciprocal(Isa::cadd(Isa::exp2(y), Isa::cset(1.0f)));
    }

    /** acc[c][k] += column j (rows k * width..) * u[c][j], for every column: each weight vector is
        loaded once and used by every channel, so stereo costs one load per two FMAs. */
    template <int T, int NC>
    static TORCHAMP_KERNEL_INLINE void addColumns(V (&acc)[NC][T], const float* w, int columns, const float* const (&u)[NC],
                                  int rows) noexcept TORCHAMP_NONBLOCKING
    {
        for (int j = 0; j < columns; ++j, w += rows)
        {
            V x[NC];
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
                x[c] = Isa::broadcast(u[c] + j);
#pragma GCC unroll 32
            for (int k = 0; k < T; ++k)
            {
                const V wk = Isa::load(w + k * width);
#pragma GCC unroll 2
                for (int c = 0; c < NC; ++c)
                    acc[c][k] = Isa::fma(wk, x[c], acc[c][k]);
            }
        }
    }

    /** The operands of one layer's gate sum for NC channels:
        gates = bias + extra + W_in u_in + W_h u_h. */
    template <int NC>
    struct GateSum
    {
        int rows;
        const float* bias;
        const float* extra; ///< shared by the channels; may be null
        const float* wIn;
        int nIn;
        const float* uIn[NC];
        const float* wH;
        int nH;
        const float* uH[NC];
        float* out[NC];
    };

    /** Rows [r, r + T * width) of a GateSum: T accumulators per channel stay in registers while
        every column is added in. The order of the sum is fixed (bias, extra, input columns,
        hidden columns), whatever the tiling or the channel count, so mono and stereo agree to the bit. */
    template <int T, int NC>
    static inline void tile(int r, const GateSum<NC>& s) noexcept TORCHAMP_NONBLOCKING
    {
        V acc[NC][T];
#pragma GCC unroll 32
        for (int k = 0; k < T; ++k)
        {
            V b = Isa::load(s.bias + r + k * width);
            if (s.extra != nullptr)
                b = Isa::add(b, Isa::load(s.extra + r + k * width));
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
                acc[c][k] = b;
        }
        addColumns<T, NC>(acc, s.wIn + r, s.nIn, s.uIn, s.rows);
        addColumns<T, NC>(acc, s.wH + r, s.nH, s.uH, s.rows);
        float* const (&out)[NC] = s.out;
#pragma GCC unroll 2
        for (int c = 0; c < NC; ++c)
#pragma GCC unroll 32
            for (int k = 0; k < T; ++k)
                Isa::store(out[c] + r + k * width, acc[c][k]);
    }

    /** tile<n> for a run-time n in 1..T (the compiler needs the accumulator count at compile time). */
    template <int NC, int T>
    static inline void tileOfSize(int n, int r, const GateSum<NC>& s) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (T > 0)
        {
            if (n == T)
                tile<T, NC>(r, s);
            else
                tileOfSize<NC, T - 1>(n, r, s);
        }
    }

    /** A GateSum for NC channels, in as few equal register tiles as fit. */
    template <int NC>
    static inline void gateSum(const GateSum<NC>& s) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int maxTile = Isa::maxAccumulators / NC;
        const int vectors = s.rows / width;
        const int tiles = (vectors + maxTile - 1) / maxTile;
        const int base = vectors / tiles, extraVectors = vectors % tiles;
        int r = 0;
        for (int t = 0; t < tiles; ++t)
        {
            const int n = base + (t < extraVectors ? 1 : 0);
            tileOfSize<NC, maxTile>(n, r, s);
            r += n * width;
        }
    }

    /** The cell update of a whole layer in passes of independent iterations (every gate's
        sigmoid, then per block c and tanh c), so the out-of-order core overlaps many short
        dependency chains instead of walking one block's long chain at a time. */
    static TORCHAMP_KERNEL_INLINE void cells(float* g, float* h, float* c, int hp) noexcept TORCHAMP_NONBLOCKING
    {
        const int rows = 4 * hp;
        for (int r = 0; r < rows; r += cellWidth)
            Isa::cstore(g + r, sigmoidOfExp2(Isa::cload(g + r)));
        const C two = Isa::cset(2.0f), minusOne = Isa::cset(-1.0f);
        const C tanhScale = Isa::cset(-2.0f * KernelConstants::log2e);
        for (int u = 0; u < hp; u += cellWidth, g += 4 * cellWidth)
        {
            const C gg = Isa::cfma(Isa::cload(g + 2 * cellWidth), two, minusOne);
            const C cNew = Isa::cfma(Isa::cload(g + cellWidth), Isa::cload(c + u), Isa::cmul(Isa::cload(g), gg));
            const C tanhC = Isa::cfma(sigmoidOfExp2(Isa::cmul(cNew, tanhScale)), two, minusOne);
            Isa::cstore(c + u, cNew);
            Isa::cstore(h + u, Isa::cmul(Isa::cload(g + 3 * cellWidth), tanhC));
        }
    }

    static TORCHAMP_KERNEL_INLINE float dot(const float* a, const float* b, int n) noexcept TORCHAMP_NONBLOCKING
    {
        C acc = Isa::cset(0.0f);
        for (int j = 0; j < n; j += cellWidth)
            acc = Isa::cfma(Isa::cload(a + j), Isa::cload(b + j), acc);
        return Isa::hsum(acc);
    }

    /** Per channel and layer the state holds h and c. A step sums each layer's gates (register
        tiles sharing every weight load between the channels) and runs the cell. */
    template <int NC>
    static void run(const NetworkView& net, const Block& b) noexcept TORCHAMP_NONBLOCKING
    {
        const int nIn0 = net.layer0Inputs;
        float inputs[NC][maxInputs];
        for (int t = 0; t < b.numSamples; ++t)
        {
            GateSum<NC> sum;
            float* s[NC];
            for (int c = 0; c < NC; ++c)
            {
                // Non-finite input is silence: v - v is 0 exactly when v is finite. A select, no branch.
                const float* x = b.in[c] + static_cast<long>(t) * b.inputStride;
                for (int j = 0; j < nIn0; ++j)
                    inputs[c][j] = (x[j] - x[j] == 0.0f) ? x[j] : 0.0f;
                sum.uIn[c] = inputs[c];
                s[c] = b.state[c];
            }
            for (int l = 0; l < net.numLayers; ++l)
            {
                const LayerView& layer = net.layers[l];
                const int hp = layer.paddedHidden;
                sum.rows = 4 * hp;
                sum.bias = layer.bias;
                sum.extra = l == 0 ? net.inputBias : nullptr;
                sum.wIn = layer.inputWeights;
                sum.nIn = l == 0 ? nIn0 : layer.inputColumns;
                sum.wH = layer.hiddenWeights;
                sum.nH = hp;
                for (int c = 0; c < NC; ++c)
                {
                    sum.uH[c] = s[c];
                    sum.out[c] = b.scratch + c * sum.rows;
                }
                gateSum<NC>(sum);
                for (int c = 0; c < NC; ++c)
                {
                    cells(sum.out[c], s[c], s[c] + hp, hp);
                    sum.uIn[c] = s[c]; // this layer's new h feeds the next layer
                    s[c] += 2 * hp;
                }
            }
            const int lastHidden = net.layers[net.numLayers - 1].paddedHidden;
            for (int c = 0; c < NC; ++c)
            {
                const float y = dot(net.headWeight, sum.uIn[c], lastHidden) + net.headBias;
                b.out[c][t] = net.skip ? y + net.skipGain * inputs[c][0] : y;
            }
        }
    }

    static void process(const NetworkView& net, const Block& b) noexcept TORCHAMP_NONBLOCKING
    {
        if (b.numChannels == 2)
            run<2>(net, b);
        else
            run<1>(net, b);
    }

    /** The kernel's own sigmoid and tanh of plain arguments, so tests can measure their error. */
    static void activations(const float* x, float* sigmoid, float* tanh, int n) noexcept TORCHAMP_NONBLOCKING
    {
        const C sigmoidScale = Isa::cset(-KernelConstants::log2e);
        const C tanhScale = Isa::cset(-2.0f * KernelConstants::log2e);
        const C two = Isa::cset(2.0f), minusOne = Isa::cset(-1.0f);
        for (int j = 0; j + cellWidth <= n; j += cellWidth)
        {
            const C v = Isa::cload(x + j);
            Isa::cstore(sigmoid + j, sigmoidOfExp2(Isa::cmul(v, sigmoidScale)));
            Isa::cstore(tanh + j, Isa::cfma(sigmoidOfExp2(Isa::cmul(v, tanhScale)), two, minusOne));
        }
    }
};

} // namespace torchamp::kernels
