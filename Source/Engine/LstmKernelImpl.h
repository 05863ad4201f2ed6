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

namespace torchamp::kernels
{

/** Coefficients shared by every instruction set, so all paths compute the same function. */
struct KernelConstants
{
    static constexpr float log2e = 1.44269504088896341f;
    /// |exp2 argument| bound: 2^60 keeps 1 + 2^y finite and its reciprocal normal, and
    /// sigmoid(+-60 / log2 e) is 0 or 1 within 1e-18.
    static constexpr float exp2Limit = 60.0f;
};

template <class Isa>
struct LstmKernel
{
    using V = typename Isa::V; // mat-vec vector: Isa::width floats
    using C = typename Isa::C; // cell-update vector: Isa::cellWidth floats, one gate of one unit block
    static constexpr int width = Isa::width;
    static constexpr int cellWidth = Isa::cellWidth;
    static constexpr int maxInputs = 16;

    /** 1 / (1 + 2^y): sigmoid of a pre-scaled argument. Reciprocal, not division. */
    static inline C sigmoidOfExp2(C y) noexcept TORCHAMP_NONBLOCKING
    {
        return Isa::reciprocal(Isa::cadd(Isa::exp2(y), Isa::cset(1.0f)));
    }

    /** acc[c][k] += column j (rows k * width..) * u[c][j], for every column: each weight vector is
        loaded once and used by every channel, so stereo costs one load per two FMAs. */
    template <int T, int NC>
    static inline void addColumns(V (&acc)[NC][T], const float* w, int columns, const float* const (&u)[NC],
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

    /** Gates of rows [r, r + T * width): T accumulators per channel stay in registers while every
        input and hidden column is added in. */
    template <int T, int NC>
    static inline void tile(int r, int rows, const float* bias, const float* wIn, int nIn, const float* const (&uIn)[NC],
                            const float* wH, int nH, const float* const (&uH)[NC], float* const (&gates)[NC]) noexcept
        TORCHAMP_NONBLOCKING
    {
        V acc[NC][T];
#pragma GCC unroll 32
        for (int k = 0; k < T; ++k)
        {
            const V b = Isa::load(bias + r + k * width);
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
                acc[c][k] = b;
        }
        addColumns<T, NC>(acc, wIn + r, nIn, uIn, rows);
        addColumns<T, NC>(acc, wH + r, nH, uH, rows);
#pragma GCC unroll 2
        for (int c = 0; c < NC; ++c)
#pragma GCC unroll 32
            for (int k = 0; k < T; ++k)
                Isa::store(gates[c] + r + k * width, acc[c][k]);
    }

    /** tile<n> for a run-time n in 1..T (the compiler needs the accumulator count at compile time). */
    template <int NC, int T>
    static inline void tileOfSize(int n, int r, int rows, const float* bias, const float* wIn, int nIn,
                                  const float* const (&uIn)[NC], const float* wH, int nH, const float* const (&uH)[NC],
                                  float* const (&gates)[NC]) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (T > 0)
        {
            if (n == T)
                tile<T, NC>(r, rows, bias, wIn, nIn, uIn, wH, nH, uH, gates);
            else
                tileOfSize<NC, T - 1>(n, r, rows, bias, wIn, nIn, uIn, wH, nH, uH, gates);
        }
    }

    /** gates = bias + W_in u_in + W_h u_h for NC channels, in as few equal register tiles as fit. */
    template <int NC>
    static inline void gates(int rows, const float* bias, const float* wIn, int nIn, const float* const (&uIn)[NC],
                             const float* wH, int nH, const float* const (&uH)[NC], float* const (&out)[NC]) noexcept
        TORCHAMP_NONBLOCKING
    {
        constexpr int maxTile = Isa::maxAccumulators / NC;
        const int vectors = rows / width;
        const int tiles = (vectors + maxTile - 1) / maxTile;
        const int base = vectors / tiles, extra = vectors % tiles;
        int r = 0;
        for (int t = 0; t < tiles; ++t)
        {
            const int n = base + (t < extra ? 1 : 0);
            tileOfSize<NC, maxTile>(n, r, rows, bias, wIn, nIn, uIn, wH, nH, uH, out);
            r += n * width;
        }
    }

    /** The LSTM cell on one channel's gates: c = f c + i g, h = o tanh(c), a unit block at a time.
        Rows were pre-scaled at packing, so sigmoid(x) = 1 / (1 + 2^row) and, for the g rows,
        tanh(x) = 2 / (1 + 2^row) - 1: one exp2 and one reciprocal per activation. */
    static inline void cell(const float* g, float* h, float* c, int paddedHidden) noexcept TORCHAMP_NONBLOCKING
    {
        const C one = Isa::cset(1.0f), two = Isa::cset(2.0f), minusOne = Isa::cset(-1.0f);
        const C tanhScale = Isa::cset(-2.0f * KernelConstants::log2e);
        for (int u = 0; u < paddedHidden; u += cellWidth, g += 4 * cellWidth)
        {
            const C i = sigmoidOfExp2(Isa::cload(g));
            const C f = sigmoidOfExp2(Isa::cload(g + cellWidth));
            const C gg = Isa::cfma(sigmoidOfExp2(Isa::cload(g + 2 * cellWidth)), two, minusOne);
            const C o = sigmoidOfExp2(Isa::cload(g + 3 * cellWidth));
            const C cNew = Isa::cfma(f, Isa::cload(c + u), Isa::cmul(i, gg));
            const C tanhC = Isa::cfma(sigmoidOfExp2(Isa::cmul(cNew, tanhScale)), two, minusOne);
            Isa::cstore(c + u, cNew);
            Isa::cstore(h + u, Isa::cmul(o, tanhC));
            (void) one;
        }
    }

    static inline float dot(const float* a, const float* b, int n) noexcept TORCHAMP_NONBLOCKING
    {
        C acc = Isa::cset(0.0f);
        for (int j = 0; j < n; j += cellWidth)
            acc = Isa::cfma(Isa::cload(a + j), Isa::cload(b + j), acc);
        return Isa::hsum(acc);
    }

    template <int NC>
    static void run(const NetworkView& net, const Block& b) noexcept TORCHAMP_NONBLOCKING
    {
        const int nIn0 = net.layer0Inputs;
        float inputs[NC][maxInputs];
        for (int t = 0; t < b.numSamples; ++t)
        {
            const float* uIn[NC];
            float* s[NC];
            for (int c = 0; c < NC; ++c)
            {
                // Non-finite input is silence: v - v is 0 exactly when v is finite. A select, no branch.
                const float* x = b.in[c] + static_cast<long>(t) * b.inputStride;
                for (int j = 0; j < nIn0; ++j)
                    inputs[c][j] = (x[j] - x[j] == 0.0f) ? x[j] : 0.0f;
                uIn[c] = inputs[c];
                s[c] = b.state[c];
            }
            for (int l = 0; l < net.numLayers; ++l)
            {
                const LayerView& layer = net.layers[l];
                const int hp = layer.paddedHidden, rows = 4 * hp;
                const float* uH[NC];
                float* g[NC];
                for (int c = 0; c < NC; ++c)
                {
                    uH[c] = s[c];
                    g[c] = b.scratch + c * rows;
                }
                gates<NC>(rows, l == 0 ? net.layer0Bias : layer.bias, layer.inputWeights,
                          l == 0 ? nIn0 : layer.inputColumns, uIn, layer.hiddenWeights, hp, uH, g);
                for (int c = 0; c < NC; ++c)
                {
                    cell(g[c], s[c], s[c] + hp, hp);
                    uIn[c] = s[c]; // this layer's new h feeds the next layer
                    s[c] += 2 * hp;
                }
            }
            const int lastHidden = net.layers[net.numLayers - 1].paddedHidden;
            for (int c = 0; c < NC; ++c)
            {
                const float y = dot(net.headWeight, uIn[c], lastHidden) + net.headBias;
                b.out[c][t] = net.skip ? y + inputs[c][0] : y;
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
