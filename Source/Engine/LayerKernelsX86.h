#pragma once

// The 8-wide (ymm) operations the layer kernels add to the LSTM kernels' cell vector. Included
// only by the AVX2 and AVX-512 layer kernel sources, each compiled with its own -m flags;
// everything is in an anonymous namespace (see LstmKernelImpl.h).

#include "LayerKernelImpl.h"
#include "LstmKernelsX86.h"

namespace torchamp::kernels
{
namespace
{

template <class Cell, int accumulators>
struct LayerYmm : Cell
{
    using C = __m256;
    static constexpr int cellAccumulators = accumulators;

    static TORCHAMP_KERNEL_INLINE C csub(C a, C b) noexcept { return _mm256_sub_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cdiv(C a, C b) noexcept { return _mm256_div_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmax(C a, C b) noexcept { return _mm256_max_ps(a, b); }
    /** a < b ? ifLess : otherwise, per value. */
    static TORCHAMP_KERNEL_INLINE C selectLess(C a, C b, C ifLess, C otherwise) noexcept
    {
        return _mm256_blendv_ps(otherwise, ifLess, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
    }
    /** 2^y as YmmCell::exp2 computes it (the same reduction to n + k/8 + r, table and polynomial),
        with a shorter dependent chain, since a small recurrent layer waits on two of them per
        step: AVX-512DQ's vreduceps gives r in one instruction, and the polynomial is evaluated
        as (1 + c1 r) + r^2 (c2 + c3 r) rather than by Horner's rule. */
    static TORCHAMP_KERNEL_INLINE C exp2(C y) noexcept
    {
        y = _mm256_min_ps(_mm256_max_ps(y, Cell::cset(-KernelConstants::exp2Limit)),
                          Cell::cset(KernelConstants::exp2Limit));
        // Adding 1.5 * 2^20 rounds to a multiple of 1/8 (its ulp) and leaves 8 y in the low mantissa bits.
        const C magic = Cell::cset(1572864.0f);
        const C t = _mm256_add_ps(y, magic);
#if defined(__AVX512DQ__) && defined(__AVX512VL__)
        // y - round(8 y) / 8, rounding to nearest as the addition above does.
        const C r = _mm256_reduce_ps(y, (3 << 4) | _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
        const C r = _mm256_sub_ps(y, _mm256_sub_ps(t, magic));
#endif
        const C high = Cell::cfma(Cell::cset(5.549622177e-02f), r, Cell::cset(2.402576300e-01f));
        const C low = Cell::cfma(Cell::cset(6.931472143e-01f), r, Cell::cset(1.0f));
        const C p = Cell::cfma(high, _mm256_mul_ps(r, r), low);
        const __m256i bits = _mm256_castps_si256(t);
        const C table = _mm256_setr_ps(1.0f, 1.0905077457f, 1.1892070770f, 1.2968395948f, 1.4142135382f,
                                       1.5422108173f, 1.6817928553f, 1.8340080976f);
        const C m = _mm256_mul_ps(_mm256_permutevar8x32_ps(table, bits), p);
        // Bits 3..11 of t hold n (two's complement); shifted to the exponent field, the rest masked.
        const __m256i n =
            _mm256_and_si256(_mm256_slli_epi32(bits, 20), _mm256_set1_epi32(static_cast<int>(0xFF800000u)));
        return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(m), n));
    }

    /** Every value set to value j of v (one permute, no trip through memory). */
    static TORCHAMP_KERNEL_INLINE C lane(C v, int j) noexcept
    {
        return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(j));
    }
};

} // namespace
} // namespace torchamp::kernels
