#pragma once

// The WaveNet kernels, written once as a template on an instruction-set traits struct and compiled
// once per instruction set by WaveNetKernels{Generic,Avx2,Avx512}.cpp with that file's own flags.
// Included by those sources only. As in LstmKernelImpl.h, every traits struct lives in an
// anonymous namespace and nothing here calls a non-template inline function of another header, so
// no instantiation can be merged across instruction sets by the linker.
//
// Traits: V (Isa::width floats) for the matrix products, with load, store, broadcast, fma, add,
// zero; C (Isa::cellWidth floats) for the activations, with cload, cstore, cset, cadd, csub, cmul,
// cfma, cmax, cmin, cdiv, cabs, copySign, selectLess, exp2, reciprocal, hsum; rowBlock,
// maxColumnVectors, accumulators.
//
// The activations must be accurate and unbiased, not just close: a WaveNet sums the activations
// of every layer and channel through its residual path, so a systematic error of 1e-7 in tanh
// shows up 100 times larger at the output of a standard model. Hence tanh by an odd polynomial
// near 0 (relative accuracy) and the reciprocal refined to full precision.

#include "LstmKernelImpl.h"
#include "WaveNetKernels.h"

namespace torchamp::kernels
{

template <class Isa>
struct WaveNetKernel
{
    using V = typename Isa::V;
    using C = typename Isa::C;
    static constexpr int width = Isa::width;
    static constexpr int cellWidth = Isa::cellWidth;
    static constexpr int rowBlock = Isa::rowBlock;
    static constexpr int subBlock = Isa::subBlock;

    /** Column vectors per tile for r rows: as many as the accumulator registers allow. */
    static constexpr int columnVectorsFor(int r)
    {
        const int fit = Isa::accumulators / r;
        return fit < 1 ? 1 : fit > Isa::maxColumnVectors ? Isa::maxColumnVectors : fit;
    }

    // ---------------------------------------------------------------- matrix products

    /** Rows [row, row + R) and column vectors [column, column + N width) of a MatrixProduct: R x N
        accumulators stay in registers while every input is added in, each weight loaded once
        for the N vectors and each input vector once for the R rows. The weights of input p are
        at w + p * stride (stride: the rows of the packed tile w lies in). */
    template <int R, int N>
    static inline void tile(const MatrixProduct& m, int row, int column, const float* w,
                            int stride) noexcept TORCHAMP_NONBLOCKING
    {
        V acc[R][N];
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r)
        {
            const V b = m.bias != nullptr ? Isa::broadcast(m.bias + row + r) : Isa::zero();
#pragma GCC unroll 4
            for (int n = 0; n < N; ++n)
                acc[r][n] = b;
        }
        for (int g = 0; g < m.numGroups; ++g)
        {
            const InputRows& group = m.groups[g];
            const float* x = group.first + column;
            for (int i = 0; i < group.count; ++i, x += group.stride, w += stride)
            {
                V xv[N];
#pragma GCC unroll 4
                for (int n = 0; n < N; ++n)
                    xv[n] = Isa::load(x + n * width);
#pragma GCC unroll 16
                for (int r = 0; r < R; ++r)
                {
                    const V wr = Isa::broadcast(w + r);
#pragma GCC unroll 4
                    for (int n = 0; n < N; ++n)
                        acc[r][n] = Isa::fma(wr, xv[n], acc[r][n]);
                }
            }
        }
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r)
        {
            float* out = m.out + (row + r) * m.outStride + column;
            const float* residual =
                m.residual != nullptr ? m.residual + (row + r) * m.residualStride + column : nullptr;
#pragma GCC unroll 4
            for (int n = 0; n < N; ++n)
                Isa::store(out + n * width, residual != nullptr
                                                ? Isa::add(acc[r][n], Isa::load(residual + n * width))
                                                : acc[r][n]);
        }
    }

    /** tile<R, n> for a run-time n in 1..N. */
    template <int R, int N>
    static inline void tileOfWidth(const MatrixProduct& m, int n, int row, int column, const float* w,
                                   int stride) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (N > 0)
        {
            if (n == N)
                tile<R, N>(m, row, column, w, stride);
            else
                tileOfWidth<R, N - 1>(m, n, row, column, w, stride);
        }
    }

    /** R rows over every column vector, in as few equal column tiles as fit. */
    template <int R>
    static inline void rowTile(const MatrixProduct& m, int row, int vectors, const float* w,
                               int stride) noexcept TORCHAMP_NONBLOCKING
    {
        constexpr int maxN = columnVectorsFor(R);
        const int tiles = (vectors + maxN - 1) / maxN;
        const int base = vectors / tiles, wider = vectors % tiles;
        for (int t = 0, v = 0; t < tiles; ++t)
        {
            const int n = base + (t < wider ? 1 : 0);
            tileOfWidth<R, maxN>(m, n, row, v * width, w, stride);
            v += n;
        }
    }

    /** tile<R, 1> or rowTile<R> for a run-time R in 1..Max. */
    template <int Max, bool OneVector>
    static inline void rowsOfSize(const MatrixProduct& m, int rows, int row, int vectors, const float* w,
                                  int stride) noexcept TORCHAMP_NONBLOCKING
    {
        if constexpr (Max > 0)
        {
            if (rows != Max)
                rowsOfSize<Max - 1, OneVector>(m, rows, row, vectors, w, stride);
            else if constexpr (OneVector)
                tile<Max, 1>(m, row, 0, w, stride);
            else
                rowTile<Max>(m, row, vectors, w, stride);
        }
    }

    /** Packed tiles of rowBlock rows. A block of one vector per row computes a whole packed tile at
        once (one input load feeds rowBlock multiply-adds); wider blocks split it into tiles of
        subBlock rows and several column vectors, so each weight load feeds several too. */
    static void multiply(const MatrixProduct& m, int columns) noexcept TORCHAMP_NONBLOCKING
    {
        const int vectors = (columns + width - 1) / width;
        for (int row = 0; row < m.rows; row += rowBlock)
        {
            const int rows = m.rows - row < rowBlock ? m.rows - row : rowBlock;
            const float* w = m.weights + static_cast<long>(row) * m.inputs;
            if (vectors == 1)
            {
                rowsOfSize<rowBlock, true>(m, rows, row, 1, w, rows);
                continue;
            }
            for (int sub = 0; sub < rows; sub += subBlock)
            {
                const int subRows = rows - sub < subBlock ? rows - sub : subBlock;
                rowsOfSize<subBlock, false>(m, subRows, row + sub, vectors, w + sub, rows);
            }
        }
    }

    // ---------------------------------------------------------------- activations

    /** 1 / (1 + 2^y): sigmoid of a pre-scaled argument. */
    static TORCHAMP_KERNEL_INLINE C sigmoidOfExp2(C y) noexcept TORCHAMP_NONBLOCKING
    {
        return Isa::reciprocal(Isa::cadd(Isa::exp2(y), Isa::cset(1.0f)));
    }

    static TORCHAMP_KERNEL_INLINE C sigmoid(C x) noexcept TORCHAMP_NONBLOCKING
    {
        return sigmoidOfExp2(Isa::cmul(x, Isa::cset(-KernelConstants::log2e)));
    }

    /** tanh: x + x^3 q(x^2) for |x| < 0.55 (a least-squares fit, relative error 3e-9), else
        sign(x) (1 - 2 / (1 + e^2|x|)), whose cancellation is mild there; |x| beyond 9 is 9
        (tanh(9) rounds to 1). */
    static TORCHAMP_KERNEL_INLINE C tanh(C x) noexcept TORCHAMP_NONBLOCKING
    {
        const C t = Isa::cmin(Isa::cabs(x), Isa::cset(9.0f));
        const C e = Isa::exp2(Isa::cmul(t, Isa::cset(2.0f * KernelConstants::log2e)));
        const C r = Isa::reciprocal(Isa::cadd(e, Isa::cset(1.0f)));
        const C far = Isa::copySign(Isa::cfma(r, Isa::cset(-2.0f), Isa::cset(1.0f)), x);
        const C s = Isa::cmul(x, x);
        C q = Isa::cfma(Isa::cset(-6.3576524314e-03f), s, Isa::cset(2.1128585398e-02f));
        q = Isa::cfma(q, s, Isa::cset(-5.3865541431e-02f));
        q = Isa::cfma(q, s, Isa::cset(1.3332705475e-01f));
        q = Isa::cfma(q, s, Isa::cset(-3.3333320823e-01f));
        const C near = Isa::cfma(Isa::cmul(x, s), q, x);
        return Isa::selectLess(t, Isa::cset(0.55f), near, far);
    }

    /** Neural Amp Modeler's fast tanh, operation by operation as NAM evaluates it (true division). */
    static TORCHAMP_KERNEL_INLINE C fastTanh(C x) noexcept TORCHAMP_NONBLOCKING
    {
        const C ax = Isa::cabs(x);
        const C x2 = Isa::cmul(x, x);
        const C c1 = Isa::cset(2.45550750702956f);
        const C inner = Isa::cmul(
            Isa::cadd(Isa::cset(0.893229853513558f), Isa::cmul(Isa::cset(0.821226666969744f), ax)), x2);
        const C numerator = Isa::cmul(x, Isa::cadd(Isa::cadd(c1, Isa::cmul(c1, ax)), inner));
        const C c4 = Isa::cset(2.44506634652299f);
        const C folded = Isa::cabs(Isa::cadd(x, Isa::cmul(Isa::cmul(Isa::cset(0.814642734961073f), x), ax)));
        return Isa::cdiv(numerator, Isa::cadd(c4, Isa::cmul(Isa::cadd(c4, x2), folded)));
    }

    /** max(x, 0) + slope min(x, 0): x for x > 0, slope x below, without a select. */
    static TORCHAMP_KERNEL_INLINE C leaky(C x, C slope) noexcept TORCHAMP_NONBLOCKING
    {
        const C zero = Isa::cset(0.0f);
        return Isa::cfma(slope, Isa::cmin(x, zero), Isa::cmax(x, zero));
    }

    /** x inside [lo, hi]; lo + minSlope (x - lo) below, hi + maxSlope (x - hi) above. */
    static TORCHAMP_KERNEL_INLINE C leakyHardTanh(C x, C lo, C hi, C minSlope,
                                                  C maxSlope) noexcept TORCHAMP_NONBLOCKING
    {
        const C zero = Isa::cset(0.0f);
        const C clamped = Isa::cmin(Isa::cmax(x, lo), hi);
        const C below = Isa::cmul(Isa::cmin(Isa::csub(x, lo), zero), minSlope);
        const C above = Isa::cmul(Isa::cmax(Isa::csub(x, hi), zero), maxSlope);
        return Isa::cadd(Isa::cadd(clamped, below), above);
    }

    static TORCHAMP_KERNEL_INLINE C hardSwish(C x) noexcept TORCHAMP_NONBLOCKING
    {
        const C t = Isa::cmin(Isa::cmax(Isa::cadd(x, Isa::cset(3.0f)), Isa::cset(0.0f)), Isa::cset(6.0f));
        return Isa::cmul(Isa::cmul(x, t), Isa::cset(1.0f / 6.0f));
    }

    /** Calls op(f) with f the activation `p` (for row `row`: PReLU slopes are per row), so each
        activation's loop is compiled on its own, with no branch per value. */
    template <class Op>
    static TORCHAMP_KERNEL_INLINE void withActivation(const ActivationParams& p, int row,
                                                      Op&& op) noexcept TORCHAMP_NONBLOCKING
    {
        switch (p.type)
        {
            case WaveNetActivation::tanh:
                op([](C x) { return tanh(x); });
                break;
            case WaveNetActivation::hardTanh:
                op([](C x) { return Isa::cmin(Isa::cmax(x, Isa::cset(-1.0f)), Isa::cset(1.0f)); });
                break;
            case WaveNetActivation::fastTanh:
                op([](C x) { return fastTanh(x); });
                break;
            case WaveNetActivation::relu:
                op([](C x) { return Isa::cmax(x, Isa::cset(0.0f)); });
                break;
            case WaveNetActivation::leakyRelu:
            case WaveNetActivation::prelu:
            {
                const C slope = Isa::cset(p.rowSlopes != nullptr ? p.rowSlopes[row] : p.negativeSlope);
                op([slope](C x) { return leaky(x, slope); });
                break;
            }
            case WaveNetActivation::sigmoid:
                op([](C x) { return sigmoid(x); });
                break;
            case WaveNetActivation::silu:
                op([](C x) { return Isa::cmul(x, sigmoid(x)); });
                break;
            case WaveNetActivation::hardSwish:
                op([](C x) { return hardSwish(x); });
                break;
            case WaveNetActivation::leakyHardTanh:
            {
                const C lo = Isa::cset(p.minValue), hi = Isa::cset(p.maxValue);
                const C minSlope = Isa::cset(p.minSlope), maxSlope = Isa::cset(p.maxSlope);
                op([=](C x) { return leakyHardTanh(x, lo, hi, minSlope, maxSlope); });
                break;
            }
            case WaveNetActivation::softsign:
                op([](C x) { return Isa::cdiv(x, Isa::cadd(Isa::cset(1.0f), Isa::cabs(x))); });
                break;
        }
    }

    /** a = f(z) (times g when gated), written over z and added to head; n a multiple of cellWidth. */
    template <bool Gated, class F>
    static TORCHAMP_KERNEL_INLINE void activateRow(F f, float* z, const float* g, float* head,
                                                   int n) noexcept TORCHAMP_NONBLOCKING
    {
        for (int j = 0; j < n; j += cellWidth)
        {
            C a = f(Isa::cload(z + j));
            if constexpr (Gated)
                a = Isa::cmul(a, Isa::cload(g + j));
            Isa::cstore(z + j, a);
            Isa::cstore(head + j, Isa::cadd(Isa::cload(head + j), a));
        }
    }

    /** Calls op(f, row) for rows [0, rows) with f the activation `p` for that row: one dispatch
        for all rows (their loops then run back to back, with nothing between them for the
        out-of-order core to wait on), one per row only for PReLU's per-channel slopes. */
    template <class Op>
    static TORCHAMP_KERNEL_INLINE void forRows(const ActivationParams& p, int rows,
                                               Op&& op) noexcept TORCHAMP_NONBLOCKING
    {
        if (p.rowSlopes != nullptr)
        {
            for (int r = 0; r < rows; ++r)
                withActivation(p, r, [&](auto f) { op(f, r); });
        }
        else
            withActivation(p, 0,
                           [&](auto f)
                           {
                               for (int r = 0; r < rows; ++r)
                                   op(f, r);
                           });
    }

    static void activate(const ActivationPass& a, int columns) noexcept TORCHAMP_NONBLOCKING
    {
        const int n = (columns + width - 1) / width * width;
        // Rows stored back to back, with one activation for all of them, are one long row.
        const bool perRow =
            a.activation.rowSlopes != nullptr || (a.gate != nullptr && a.gate->rowSlopes != nullptr);
        const bool flat = a.stride == n && !perRow;
        const int rows = flat ? 1 : a.channels;
        const int length = flat ? a.channels * n : n;
        const long stride = a.stride;
        float* const gates = a.z + a.channels * stride;
        if (a.gate != nullptr)
            forRows(*a.gate, rows,
                    [&](auto f, int r)
                    {
                        float* g = gates + r * stride;
                        for (int j = 0; j < length; j += cellWidth)
                            Isa::cstore(g + j, f(Isa::cload(g + j)));
                    });
        if (a.gate != nullptr)
            forRows(
                a.activation, rows,
                [&](auto f, int r)
                { activateRow<true>(f, a.z + r * stride, gates + r * stride, a.head + r * stride, length); });
        else
            forRows(a.activation, rows,
                    [&](auto f, int r)
                    { activateRow<false>(f, a.z + r * stride, nullptr, a.head + r * stride, length); });
    }

    static bool allFinite(const float* rows, long stride, int rowCount,
                          int columns) noexcept TORCHAMP_NONBLOCKING
    {
        // x * 0 is 0 exactly when x is finite: one multiply-add per value, no branch.
        const C zero = Isa::cset(0.0f);
        C acc = zero;
        float tail = 0.0f;
        const int whole = columns / cellWidth * cellWidth;
        for (int r = 0; r < rowCount; ++r)
        {
            const float* x = rows + r * stride;
            for (int j = 0; j < whole; j += cellWidth)
                acc = Isa::cfma(Isa::cload(x + j), zero, acc);
            for (int j = whole; j < columns; ++j)
                tail += x[j] * 0.0f;
        }
        return Isa::hsum(acc) + tail == 0.0f;
    }

    static void apply(const ActivationParams& p, const float* x, float* y,
                      int n) noexcept TORCHAMP_NONBLOCKING
    {
        withActivation(p, 0,
                       [&](auto f)
                       {
                           for (int j = 0; j + cellWidth <= n; j += cellWidth)
                               Isa::cstore(y + j, f(Isa::cload(x + j)));
                       });
    }
};

} // namespace torchamp::kernels
