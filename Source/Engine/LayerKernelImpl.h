#pragma once

// The layer-sequence kernels, written once as a template on an instruction-set "traits" struct
// (the LSTM kernels' cell vector C, plus cmax, csub and selectLess) and compiled once per
// instruction set by LayerKernels{Generic,Avx2,Avx512}.cpp. Included by those sources only; the
// traits live in their anonymous namespaces, so no instantiation can be merged across instruction
// sets (see LstmKernelImpl.h).

#include "LayerKernels.h"
#include "LstmKernelImpl.h"

namespace torchamp::kernels
{

template <class Isa>
struct LayerKernel
{
    using C = typename Isa::C;
    static constexpr int w = Isa::cellWidth;
    static constexpr int maxAccumulators = Isa::cellAccumulators;
    static constexpr int maxRows = 4 * ModelLimits::maxHiddenSize; // an LSTM's gates, padded hidden <= max

    static TORCHAMP_KERNEL_INLINE C sigmoidOfExp2(C y) noexcept TORCHAMP_NONBLOCKING
    {
        return Isa::reciprocal(Isa::cadd(Isa::exp2(y), Isa::cset(1.0f)));
    }
    static TORCHAMP_KERNEL_INLINE C sigmoid(C x) noexcept TORCHAMP_NONBLOCKING
    {
        return sigmoidOfExp2(Isa::cmul(x, Isa::cset(-KernelConstants::log2e)));
    }
    static TORCHAMP_KERNEL_INLINE C tanh(C x) noexcept TORCHAMP_NONBLOCKING
    {
        const C s = sigmoidOfExp2(Isa::cmul(x, Isa::cset(-2.0f * KernelConstants::log2e)));
        return Isa::cfma(s, Isa::cset(2.0f), Isa::cset(-1.0f));
    }
    static TORCHAMP_KERNEL_INLINE C exp(C x) noexcept TORCHAMP_NONBLOCKING
    {
        return Isa::exp2(Isa::cmul(x, Isa::cset(KernelConstants::log2e)));
    }

    // ---- Linear maps (dense, conv1d, input projections) ----

    /** Rows [r, r + T * w) of S consecutive steps: T accumulators per step stay in registers while
        every tap and column is added in, each weight load feeding S steps. The order of the sum is
        fixed (bias, taps, columns), so the result does not depend on how steps are grouped. */
    template <int T, int S>
    static inline void linearTile(const LinearView& v, int r, const float* in, int inStride, float* out,
                                  int outStride) noexcept TORCHAMP_NONBLOCKING
    {
        C acc[S][T];
#pragma GCC unroll 32
        for (int k = 0; k < T; ++k)
        {
            const C b = Isa::cload(v.bias + r + k * w);
#pragma GCC unroll 2
            for (int s = 0; s < S; ++s)
                acc[s][k] = b;
        }
        const long tapFloats = static_cast<long>(v.inputs) * v.paddedOutputs;
        for (int tap = 0; tap < v.taps; ++tap)
        {
            const float* wt = v.weights + tap * tapFloats + r;
            const float* x[S];
            for (int s = 0; s < S; ++s)
                x[s] = in + static_cast<long>(s - tap * v.dilation) * inStride;
            for (int j = 0; j < v.inputs; ++j, wt += v.paddedOutputs)
            {
                C xb[S];
#pragma GCC unroll 2
                for (int s = 0; s < S; ++s)
                    xb[s] = Isa::cset(x[s][j]);
#pragma GCC unroll 32
                for (int k = 0; k < T; ++k)
                {
                    const C wk = Isa::cload(wt + k * w);
#pragma GCC unroll 2
                    for (int s = 0; s < S; ++s)
                        acc[s][k] = Isa::cfma(wk, xb[s], acc[s][k]);
                }
            }
        }
#pragma GCC unroll 2
        for (int s = 0; s < S; ++s)
#pragma GCC unroll 32
            for (int k = 0; k < T; ++k)
                Isa::cstore(out + static_cast<long>(s) * outStride + r + k * w, acc[s][k]);
    }

    template <int S, int T>
    static inline void linearTileOfSize(int n, const LinearView& v, int r, const float* in, int inStride,
                                        float* out, int outStride) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (T > 0)
        {
            if (n == T)
                linearTile<T, S>(v, r, in, inStride, out, outStride);
            else
                linearTileOfSize<S, T - 1>(n, v, r, in, inStride, out, outStride);
        }
    }

    /** S steps, in as few equal register tiles as fit. */
    template <int S>
    static inline void linearSteps(const LinearView& v, const float* in, int inStride, float* out,
                                   int outStride) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int maxTile = maxAccumulators / S;
        const int vectors = v.paddedOutputs / w;
        const int tiles = (vectors + maxTile - 1) / maxTile;
        const int base = vectors / tiles, extra = vectors % tiles;
        int r = 0;
        for (int t = 0; t < tiles; ++t)
        {
            const int n = base + (t < extra ? 1 : 0);
            linearTileOfSize<S, maxTile>(n, v, r, in, inStride, out, outStride);
            r += n * w;
        }
    }

    static void linear(const LinearView& v, const float* in, int inStride, float* out, int outStride,
                       int numSteps) noexcept TORCHAMP_NONBLOCKING
    {
        int t = 0;
        for (; t + 2 <= numSteps; t += 2)
            linearSteps<2>(v, in + static_cast<long>(t) * inStride, inStride,
                           out + static_cast<long>(t) * outStride, outStride);
        if (t < numSteps)
            linearSteps<1>(v, in + static_cast<long>(t) * inStride, inStride,
                           out + static_cast<long>(t) * outStride, outStride);
    }

    // ---- Element-wise layers ----

    static TORCHAMP_KERNEL_INLINE C activate(Activation a, C x) noexcept TORCHAMP_NONBLOCKING
    {
        switch (a)
        {
            case Activation::tanh:
                return tanh(x);
            case Activation::sigmoid:
                return sigmoid(x);
            case Activation::relu:
                return Isa::cmax(x, Isa::cset(0.0f));
            case Activation::elu:
                return Isa::selectLess(Isa::cset(0.0f), x, x, Isa::csub(exp(x), Isa::cset(1.0f)));
            case Activation::softmax:
            case Activation::identity:
                break;
        }
        return x;
    }

    /** Softmax over the first `width` values of one step: exp(x - max) / sum. */
    static TORCHAMP_KERNEL_INLINE void softmax(float* x, int width,
                                               int paddedWidth) noexcept TORCHAMP_NONBLOCKING
    {
        float largest = x[0];
        for (int c = 1; c < width; ++c)
            largest = x[c] > largest ? x[c] : largest;
        const C shift = Isa::cset(largest);
        for (int c = 0; c < paddedWidth; c += w)
            Isa::cstore(x + c, exp(Isa::csub(Isa::cload(x + c), shift)));
        float sum = 0.0f;
        for (int c = 0; c < width; ++c)
            sum += x[c];
        const C scale = Isa::cset(1.0f / sum);
        for (int c = 0; c < paddedWidth; c += w)
            Isa::cstore(x + c, Isa::cmul(Isa::cload(x + c), scale));
    }

    static void elementwise(const ElementwiseView& v, float* data, int stride,
                            int numSteps) noexcept TORCHAMP_NONBLOCKING
    {
        const int padded = (v.width + w - 1) / w * w;
        for (int t = 0; t < numSteps; ++t)
        {
            float* x = data + static_cast<long>(t) * stride;
            if (v.op == ElementwiseView::Op::activation && v.activation == Activation::softmax)
            {
                softmax(x, v.width, padded);
                continue;
            }
            for (int c = 0; c < padded; c += w)
            {
                const C value = Isa::cload(x + c);
                C result;
                switch (v.op)
                {
                    case ElementwiseView::Op::affine:
                        result = Isa::cfma(value, Isa::cload(v.scale + c), Isa::cload(v.shift + c));
                        break;
                    case ElementwiseView::Op::prelu:
                        result = Isa::selectLess(value, Isa::cset(0.0f),
                                                 Isa::cmul(value, Isa::cload(v.scale + c)), value);
                        break;
                    case ElementwiseView::Op::activation:
                    default:
                        result = activate(v.activation, value);
                        break;
                }
                Isa::cstore(x + c, result);
            }
        }
    }

    // ---- Recurrent layers ----

    /** Rows [r, r + T * w) of the hidden gate sums of NC channels: bias + W_h h. Two partial sums
        per row vector (even and odd columns) halve the dependent chain of multiply-adds when the
        tile is small; the split depends on T only, so mono and stereo agree to the bit. */
    template <int T, int NC>
    static inline void hiddenTile(int r, int rows, int hp, const float* wH, const float* bias,
                                  const float* const (&h)[NC],
                                  float* const (&out)[NC]) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int P = 4 * T <= maxAccumulators ? 2 : 1;
        C acc[NC][P][T];
#pragma GCC unroll 32
        for (int k = 0; k < T; ++k)
        {
            const C b = Isa::cload(bias + r + k * w);
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
            {
                acc[c][0][k] = b;
                if constexpr (P == 2)
                    acc[c][1][k] = Isa::cset(0.0f);
            }
        }
        const float* column = wH + r;
        for (int j = 0; j < hp; j += P)
        {
#pragma GCC unroll 2
            for (int p = 0; p < P; ++p, column += rows)
            {
                C x[NC];
#pragma GCC unroll 2
                for (int c = 0; c < NC; ++c)
                    x[c] = Isa::cset(h[c][j + p]);
#pragma GCC unroll 32
                for (int k = 0; k < T; ++k)
                {
                    const C wk = Isa::cload(column + k * w);
#pragma GCC unroll 2
                    for (int c = 0; c < NC; ++c)
                        acc[c][p][k] = Isa::cfma(wk, x[c], acc[c][p][k]);
                }
            }
        }
#pragma GCC unroll 2
        for (int c = 0; c < NC; ++c)
#pragma GCC unroll 32
            for (int k = 0; k < T; ++k)
            {
                C sum = acc[c][0][k];
                if constexpr (P == 2)
                    sum = Isa::cadd(sum, acc[c][1][k]);
                Isa::cstore(out[c] + r + k * w, sum);
            }
    }

    template <int NC, int T>
    static inline void hiddenTileOfSize(int n, int r, int rows, int hp, const float* wH, const float* bias,
                                        const float* const (&h)[NC],
                                        float* const (&out)[NC]) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (T > 0)
        {
            if (n == T)
                hiddenTile<T, NC>(r, rows, hp, wH, bias, h, out);
            else
                hiddenTileOfSize<NC, T - 1>(n, r, rows, hp, wH, bias, h, out);
        }
    }

    template <int NC>
    static inline void hiddenSum(const RecurrentView& v, int rows, const float* const (&h)[NC],
                                 float* const (&out)[NC]) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int maxTile = maxAccumulators / NC;
        const int vectors = rows / w;
        const int tiles = (vectors + maxTile - 1) / maxTile;
        const int base = vectors / tiles, extra = vectors % tiles;
        int r = 0;
        for (int t = 0; t < tiles; ++t)
        {
            const int n = base + (t < extra ? 1 : 0);
            hiddenTileOfSize<NC, maxTile>(n, r, rows, v.paddedHidden, v.hiddenWeights, v.hiddenBias, h, out);
            r += n * w;
        }
    }

    /** GRU cell of one channel: gi are the step's input projections, gh the hidden sums, both
        pre-scaled; h is updated in place. h' = n + z (h - n). */
    static TORCHAMP_KERNEL_INLINE void gruCell(const float* gi, const float* gh, float* h,
                                               int hp) noexcept TORCHAMP_NONBLOCKING
    {
        const C two = Isa::cset(2.0f), minusOne = Isa::cset(-1.0f);
        for (int u = 0; u < hp; u += w, gi += 3 * w, gh += 3 * w)
        {
            const C r = sigmoidOfExp2(Isa::cadd(Isa::cload(gi), Isa::cload(gh)));
            const C z = sigmoidOfExp2(Isa::cadd(Isa::cload(gi + w), Isa::cload(gh + w)));
            const C n = Isa::cfma(sigmoidOfExp2(Isa::cfma(r, Isa::cload(gh + 2 * w), Isa::cload(gi + 2 * w))),
                                  two, minusOne);
            const C old = Isa::cload(h + u);
            Isa::cstore(h + u, Isa::cfma(z, Isa::csub(old, n), n));
        }
    }

    /** LSTM cell of one channel (the LSTM kernel's cell, with the input projections added here). */
    static TORCHAMP_KERNEL_INLINE void lstmCell(const float* gi, const float* gh, float* h, float* c,
                                                int hp) noexcept TORCHAMP_NONBLOCKING
    {
        const C two = Isa::cset(2.0f), minusOne = Isa::cset(-1.0f);
        const C tanhScale = Isa::cset(-2.0f * KernelConstants::log2e);
        for (int u = 0; u < hp; u += w, gi += 4 * w, gh += 4 * w)
        {
            const C i = sigmoidOfExp2(Isa::cadd(Isa::cload(gi), Isa::cload(gh)));
            const C f = sigmoidOfExp2(Isa::cadd(Isa::cload(gi + w), Isa::cload(gh + w)));
            const C g = Isa::cfma(sigmoidOfExp2(Isa::cadd(Isa::cload(gi + 2 * w), Isa::cload(gh + 2 * w))),
                                  two, minusOne);
            const C o = sigmoidOfExp2(Isa::cadd(Isa::cload(gi + 3 * w), Isa::cload(gh + 3 * w)));
            const C cNew = Isa::cfma(f, Isa::cload(c + u), Isa::cmul(i, g));
            const C tanhC = Isa::cfma(sigmoidOfExp2(Isa::cmul(cNew, tanhScale)), two, minusOne);
            Isa::cstore(c + u, cNew);
            Isa::cstore(h + u, Isa::cmul(o, tanhC));
        }
    }

    template <int NC>
    static void runRecurrent(const RecurrentView& v, const RecurrentBlock& b) noexcept TORCHAMP_NONBLOCKING
    {
        const int hp = v.paddedHidden;
        const bool gru = v.type == CellType::gru;
        const int rows = (gru ? 3 : 4) * hp;
        alignas(64) float sums[NC][maxRows];
        const float* h[NC];
        float* out[NC];
        for (int c = 0; c < NC; ++c)
        {
            h[c] = b.state[c];
            out[c] = sums[c];
        }
        for (int t = 0; t < b.numSteps; ++t)
        {
            hiddenSum<NC>(v, rows, h, out);
            for (int c = 0; c < NC; ++c)
            {
                const float* gi = b.gates[c] + static_cast<long>(t) * rows;
                float* state = b.state[c];
                if (gru)
                    gruCell(gi, sums[c], state, hp);
                else
                    lstmCell(gi, sums[c], state, state + hp, hp);
                float* y = b.out[c] + static_cast<long>(t) * b.outStride;
                for (int u = 0; u < hp; u += w)
                    Isa::cstore(y + u, Isa::cload(state + u));
            }
        }
    }

    /** The hidden sums of one step of a GRU of V vectors of units, for NC channels whose h
        stay in registers: r and z start from the step's input projections (both biases folded
        in), n from b_hn (it is multiplied by r). Each sum is split over P partial sums of every
        P-th column, which shortens the dependent chain of multiply-adds; P depends on V and the
        register count only, so mono and stereo agree to the bit. */
    /** The hidden columns' products into the r and n accumulators, or into z's. */
    template <int NC, int V, int P, bool zGate>
    static TORCHAMP_KERNEL_INLINE void addGruColumns(const float* wH, int hidden, const C (&h)[NC][V],
                                                     C (&acc)[NC][V][3][P]) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int rows = 3 * V * w;
#pragma GCC unroll 32
        for (int j = 0; j < V * w; ++j)
        {
            if (j == hidden) // the padded units' columns are zero
                break;
            C x[NC];
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
                x[c] = Isa::lane(h[c][j / w], j % w);
            const float* column = wH + j * rows;
#pragma GCC unroll 4
            for (int u = 0; u < V; ++u)
#pragma GCC unroll 3
                for (int q = 0; q < 3; ++q)
                {
                    if ((q == 1) != zGate)
                        continue;
                    const C wk = Isa::cload(column + (3 * u + q) * w);
#pragma GCC unroll 2
                    for (int c = 0; c < NC; ++c)
                        acc[c][u][q][j % P] = Isa::cfma(wk, x[c], acc[c][u][q][j % P]);
                }
        }
    }

    template <int NC, int V, int P>
    static TORCHAMP_KERNEL_INLINE void smallGruSums(const float* wH, int hidden, const C (&nBias)[V],
                                                    const float* const (&gi)[NC], const C (&h)[NC][V],
                                                    C (&sum)[NC][V][3]) noexcept TORCHAMP_NONBLOCKING
    {
        C acc[NC][V][3][P];
#pragma GCC unroll 2
        for (int c = 0; c < NC; ++c)
#pragma GCC unroll 4
            for (int u = 0; u < V; ++u)
            {
                acc[c][u][0][0] = Isa::cload(gi[c] + 3 * u * w);
                acc[c][u][1][0] = Isa::cload(gi[c] + (3 * u + 1) * w);
                acc[c][u][2][0] = nBias[u];
#pragma GCC unroll 4
                for (int p = 1; p < P; ++p)
                    for (int q = 0; q < 3; ++q)
                        acc[c][u][q][p] = Isa::cset(0.0f);
            }
        // r and n first: r's sigmoid, then n, wait on them, while z's multiply-adds fill the
        // units in the meantime.
        addGruColumns<NC, V, P, false>(wH, hidden, h, acc);
        addGruColumns<NC, V, P, true>(wH, hidden, h, acc);
#pragma GCC unroll 2
        for (int c = 0; c < NC; ++c)
#pragma GCC unroll 4
            for (int u = 0; u < V; ++u)
#pragma GCC unroll 3
                for (int q = 0; q < 3; ++q)
                {
                    C s = acc[c][u][q][0];
                    if constexpr (P == 4)
                        s = Isa::cadd(Isa::cadd(s, acc[c][u][q][1]),
                                      Isa::cadd(acc[c][u][q][2], acc[c][u][q][3]));
                    else if constexpr (P == 2)
                        s = Isa::cadd(s, acc[c][u][q][1]);
                    sum[c][u][q] = s;
                }
    }

    /** A GRU of at most V vectors of units over the chunk, h kept in registers from step to step
        (the general path stores h and the hidden sums and reads them back each step, which lies on
        the recurrence's critical path). The same equations as hiddenSum + gruCell. */
    template <int NC, int V>
    static void runSmallGru(const RecurrentView& v, const RecurrentBlock& b) noexcept TORCHAMP_NONBLOCKING
    {
        // As many partial sums as one channel's accumulators fit in registers (a stereo pair may
        // spill some: mono is what must be fast).
        constexpr int perColumnSet = 3 * V;
        constexpr int P = maxAccumulators / perColumnSet >= 4   ? 4
                          : maxAccumulators / perColumnSet >= 2 ? 2
                                                                : 1;
        constexpr int rows = 3 * V * w;
        const C one = Isa::cset(1.0f);
        C h[NC][V], nBias[V];
        for (int u = 0; u < V; ++u)
            nBias[u] = Isa::cload(v.hiddenBias + (3 * u + 2) * w);
        for (int c = 0; c < NC; ++c)
            for (int u = 0; u < V; ++u)
                h[c][u] = Isa::cload(b.state[c] + u * w);
        for (int t = 0; t < b.numSteps; ++t)
        {
            const float* gi[NC];
            for (int c = 0; c < NC; ++c)
                gi[c] = b.gates[c] + static_cast<long>(t) * rows;
            C sum[NC][V][3];
            smallGruSums<NC, V, P>(v.hiddenWeights, v.hidden, nBias, gi, h, sum);
#pragma GCC unroll 2
            for (int c = 0; c < NC; ++c)
            {
                float* y = b.out[c] + static_cast<long>(t) * b.outStride;
#pragma GCC unroll 4
                for (int u = 0; u < V; ++u)
                {
                    // r -> n -> h is the recurrence's critical path: r * s is s / (1 + 2^y) and
                    // tanh is (1 - 2^y) / (1 + 2^y), each one division instead of a reciprocal
                    // estimate, its Newton step and a multiply.
                    const C z = sigmoidOfExp2(sum[c][u][1]);
                    const C nInput = Isa::cload(gi[c] + (3 * u + 2) * w);
                    const C rTimesS = Isa::cdiv(sum[c][u][2], Isa::cadd(Isa::exp2(sum[c][u][0]), one));
                    const C e = Isa::exp2(Isa::cadd(nInput, rTimesS));
                    const C n = Isa::cdiv(Isa::csub(one, e), Isa::cadd(one, e));
                    h[c][u] = Isa::cfma(z, Isa::csub(h[c][u], n), n);
                    Isa::cstore(y + u * w, h[c][u]);
                }
            }
        }
        for (int c = 0; c < NC; ++c)
            for (int u = 0; u < V; ++u)
                Isa::cstore(b.state[c] + u * w, h[c][u]);
    }

    template <int NC>
    static void runRecurrentOf(const RecurrentView& v, const RecurrentBlock& b) noexcept TORCHAMP_NONBLOCKING
    {
        if (v.type == CellType::gru && v.paddedHidden == w)
            runSmallGru<NC, 1>(v, b);
        else if (v.type == CellType::gru && v.paddedHidden == 2 * w)
            runSmallGru<NC, 2>(v, b);
        else
            runRecurrent<NC>(v, b);
    }

    static void recurrent(const RecurrentView& v, const RecurrentBlock& b) noexcept TORCHAMP_NONBLOCKING
    {
        if (b.numChannels == 2)
            runRecurrentOf<2>(v, b);
        else
            runRecurrentOf<1>(v, b);
    }
};

} // namespace torchamp::kernels
