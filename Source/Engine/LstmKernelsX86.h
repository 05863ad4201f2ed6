#pragma once

// Cell-update operations of the x86 kernels: 8-wide (ymm) for AVX2 and AVX-512, 16-wide (zmm) for
// AVX-512 with the same arithmetic. Included only by their sources, each compiled with its own -m
// flags; everything is in an anonymous namespace so each source gets its own copy (see
// LstmKernelImpl.h).

#include "LstmKernelImpl.h"

#include <immintrin.h>

namespace torchamp::kernels
{
namespace
{

struct YmmCell
{
    using C = __m256;
    static constexpr int cellWidth = 8;

    static TORCHAMP_KERNEL_INLINE C cload(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void cstore(float* p, C v) noexcept { _mm256_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE C cset(float v) noexcept { return _mm256_set1_ps(v); }
    static TORCHAMP_KERNEL_INLINE C cadd(C a, C b) noexcept { return _mm256_add_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmul(C a, C b) noexcept { return _mm256_mul_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cfma(C a, C b, C c) noexcept { return _mm256_fmadd_ps(a, b, c); }

    static TORCHAMP_KERNEL_INLINE float hsum(C v) noexcept
    {
        const __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        const __m128 d = _mm_add_ps(q, _mm_movehl_ps(q, q));
        return _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)));
    }

    /** 1 / d: 12-bit estimate and one Newton step (relative error about 1.5e-7). */
    static TORCHAMP_KERNEL_INLINE C reciprocal(C d) noexcept
    {
        const C r = _mm256_rcp_ps(d);
        return _mm256_fmadd_ps(_mm256_fnmadd_ps(d, r, cset(1.0f)), r, r);
    }

    /** 2^y for y clamped to +-60: y = n + k/8 + r with |r| <= 1/16; 2^(k/8) from an 8-entry table
        in one register (vpermps indexes it with the low bits of the rounded value for free), 2^r
        by a degree-3 polynomial (relative error 8.4e-8), 2^n added into the exponent bits.
        Four multiply-adds instead of the seven of a table-free polynomial. */
    static TORCHAMP_KERNEL_INLINE C exp2(C y) noexcept
    {
        y = _mm256_min_ps(_mm256_max_ps(y, cset(-KernelConstants::exp2Limit)), cset(KernelConstants::exp2Limit));
        // Adding 1.5 * 2^20 rounds to a multiple of 1/8 (its ulp) and leaves 8 y in the low mantissa bits.
        const C magic = cset(1572864.0f);
        const C t = _mm256_add_ps(y, magic);
        const C r = _mm256_sub_ps(y, _mm256_sub_ps(t, magic));
        C p = cfma(cset(5.549622177e-02f), r, cset(2.402576300e-01f));
        p = cfma(p, r, cset(6.931472143e-01f));
        p = cfma(p, r, cset(1.0f));
        const __m256i bits = _mm256_castps_si256(t);
        const C table = _mm256_setr_ps(1.0f, 1.0905077457f, 1.1892070770f, 1.2968395948f, 1.4142135382f,
                                       1.5422108173f, 1.6817928553f, 1.8340080976f);
        const C m = _mm256_mul_ps(_mm256_permutevar8x32_ps(table, bits), p);
        // Bits 3..11 of t hold n (two's complement); shifted to the exponent field, the rest masked.
        const __m256i n = _mm256_and_si256(_mm256_slli_epi32(bits, 20), _mm256_set1_epi32(static_cast<int>(0xFF800000u)));
        return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(m), n));
    }
};

#if defined(__AVX512F__) && defined(__AVX512VL__)
/** YmmCell with AVX-512VL's more precise reciprocal estimate. */
struct YmmCellAvx512 : YmmCell
{
    /** 1 / d: 14-bit estimate and one Newton step (relative error about 1e-8 before rounding). */
    static TORCHAMP_KERNEL_INLINE C reciprocal(C d) noexcept
    {
        const C r = _mm256_rcp14_ps(d);
        return _mm256_fmadd_ps(_mm256_fnmadd_ps(d, r, cset(1.0f)), r, r);
    }
};

/** YmmCellAvx512 on 16-wide zmm vectors, operation for operation: the same reciprocal, the same
    exp2 (its 8-entry table twice over, since vpermps on zmm reads 4 index bits and the fourth is
    already n's lowest), so every value comes out with the same bits. Only the head's dot product
    sums in another order. */
struct ZmmCellAvx512
{
    using C = __m512;
    static constexpr int cellWidth = 16;

    static TORCHAMP_KERNEL_INLINE C cload(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void cstore(float* p, C v) noexcept { _mm512_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE C cset(float v) noexcept { return _mm512_set1_ps(v); }
    static TORCHAMP_KERNEL_INLINE C cadd(C a, C b) noexcept { return _mm512_add_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmul(C a, C b) noexcept { return _mm512_mul_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cfma(C a, C b, C c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    static TORCHAMP_KERNEL_INLINE float hsum(C v) noexcept { return _mm512_reduce_add_ps(v); }

    /** 1 / d: 14-bit estimate and one Newton step. */
    static TORCHAMP_KERNEL_INLINE C reciprocal(C d) noexcept
    {
        const C r = _mm512_rcp14_ps(d);
        return _mm512_fmadd_ps(_mm512_fnmadd_ps(d, r, cset(1.0f)), r, r);
    }

    static TORCHAMP_KERNEL_INLINE C exp2(C y) noexcept
    {
        y = _mm512_min_ps(_mm512_max_ps(y, cset(-KernelConstants::exp2Limit)), cset(KernelConstants::exp2Limit));
        const C magic = cset(1572864.0f);
        const C t = _mm512_add_ps(y, magic);
        const C r = _mm512_sub_ps(y, _mm512_sub_ps(t, magic));
        C p = cfma(cset(5.549622177e-02f), r, cset(2.402576300e-01f));
        p = cfma(p, r, cset(6.931472143e-01f));
        p = cfma(p, r, cset(1.0f));
        const __m512i bits = _mm512_castps_si512(t);
        const C table = _mm512_setr_ps(1.0f, 1.0905077457f, 1.1892070770f, 1.2968395948f, 1.4142135382f,
                                       1.5422108173f, 1.6817928553f, 1.8340080976f, 1.0f, 1.0905077457f,
                                       1.1892070770f, 1.2968395948f, 1.4142135382f, 1.5422108173f,
                                       1.6817928553f, 1.8340080976f);
        const C m = _mm512_mul_ps(_mm512_permutexvar_ps(bits, table), p);
        const __m512i n = _mm512_and_si512(_mm512_slli_epi32(bits, 20), _mm512_set1_epi32(static_cast<int>(0xFF800000u)));
        return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(m), n));
    }
};
#endif

} // namespace
} // namespace torchamp::kernels
