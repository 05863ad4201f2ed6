// The AVX-512 WaveNet kernel (x86-64-v4), matrix products and activations on zmm vectors. Compiled
// with -mavx512f -mavx512vl ... (see CMakeLists.txt); only called after cpuid said the CPU and OS
// support them.

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)

// GCC 12's AVX-512 intrinsics start from a self-initialised "undefined" vector that its own
// -Wuninitialized then reports wherever they are inlined; no value here is read uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "LstmKernelsX86.h"
#include "WaveNetKernelImpl.h"

#include <immintrin.h>

namespace torchamp::kernels
{
namespace
{

/** 16-wide activation operations: a WaveNet's activations are as many values per sample as its
    channels, so they are computed on the widest vectors. The LSTM kernel's zmm operations, with
    more of them and a finer exp2. */
struct ZmmCell : ZmmCellAvx512
{
    static TORCHAMP_KERNEL_INLINE C csub(C a, C b) noexcept { return _mm512_sub_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmax(C a, C b) noexcept { return _mm512_max_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmin(C a, C b) noexcept { return _mm512_min_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cdiv(C a, C b) noexcept { return _mm512_div_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cabs(C a) noexcept { return _mm512_abs_ps(a); }

    /** |magnitude| with the sign of `sign`: one bitwise select (sign bit ? sign : magnitude). */
    static TORCHAMP_KERNEL_INLINE C copySign(C magnitude, C sign) noexcept
    {
        const __m512i bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
        return _mm512_castsi512_ps(
            _mm512_ternarylogic_epi32(bit, _mm512_castps_si512(sign), _mm512_castps_si512(magnitude), 0xCA));
    }

    /** a < b ? ifLess : otherwise, per value. */
    static TORCHAMP_KERNEL_INLINE C selectLess(C a, C b, C ifLess, C otherwise) noexcept
    {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), otherwise, ifLess);
    }

    /** 2^y for y clamped to +-60: y = n + k/16 + r with |r| <= 1/32; 2^(k/16) from a 16-entry
        table in one register (vpermps indexes it with the low bits of the rounded value), 2^r by
        its cubic Taylor polynomial (relative error 1e-8), 2^n added into the exponent bits. */
    static TORCHAMP_KERNEL_INLINE C exp2(C y) noexcept
    {
        y = _mm512_min_ps(_mm512_max_ps(y, cset(-KernelConstants::exp2Limit)),
                          cset(KernelConstants::exp2Limit));
        // Adding 1.5 * 2^19 rounds to a multiple of 1/16 (its ulp) and leaves 16 y in the low mantissa bits.
        const C magic = cset(786432.0f);
        const C t = _mm512_add_ps(y, magic);
        const C r = _mm512_sub_ps(y, _mm512_sub_ps(t, magic));
        C p = cfma(cset(5.550410866e-02f), r, cset(2.402265070e-01f));
        p = cfma(p, r, cset(6.931471806e-01f));
        p = cfma(p, r, cset(1.0f));
        const __m512i bits = _mm512_castps_si512(t);
        const C table =
            _mm512_setr_ps(1.0f, 1.0442737824f, 1.0905077327f, 1.1387886347f, 1.1892071150f, 1.2418578120f,
                           1.2968395547f, 1.3542555469f, 1.4142135624f, 1.4768261459f, 1.5422108254f,
                           1.6104903319f, 1.6817928305f, 1.7562521603f, 1.8340080864f, 1.9152065613f);
        const C m = _mm512_mul_ps(_mm512_permutexvar_ps(bits, table), p);
        // Bits 4..12 of t hold n (two's complement); shifted to the exponent field, the rest masked.
        const __m512i n =
            _mm512_and_si512(_mm512_slli_epi32(bits, 19), _mm512_set1_epi32(static_cast<int>(0xFF800000u)));
        return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(m), n));
    }
};

struct WaveNetAvx512 : ZmmCell
{
    // Matrix products on 16-wide zmm vectors, 32 registers: up to 24 accumulators (16 rows x 1
    // column vector, or 8 rows x 3), the inputs and a weight.
    using V = __m512;
    static constexpr int width = 16;
    static constexpr int rowBlock = 16;
    static constexpr int subBlock = 8;
    static constexpr int maxColumnVectors = 3;
    static constexpr int accumulators = 24;

    static TORCHAMP_KERNEL_INLINE V load(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void store(float* p, V v) noexcept { _mm512_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE V broadcast(const float* p) noexcept { return _mm512_set1_ps(*p); }
    static TORCHAMP_KERNEL_INLINE V fma(V a, V b, V c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    static TORCHAMP_KERNEL_INLINE V add(V a, V b) noexcept { return _mm512_add_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE V zero() noexcept { return _mm512_setzero_ps(); }
};

using Kernel = WaveNetKernel<WaveNetAvx512>;

} // namespace

const WaveNetKernelSet* waveNetAvx512Kernels() noexcept
{
    static constexpr WaveNetKernelSet set{Isa::avx512,       Kernel::width,     Kernel::rowBlock,
                                          &Kernel::multiply, &Kernel::activate, &Kernel::allFinite,
                                          &Kernel::apply};
    return &set;
}

} // namespace torchamp::kernels

#else

#include "WaveNetKernels.h"

namespace torchamp::kernels
{
const WaveNetKernelSet* waveNetAvx512Kernels() noexcept
{
    return nullptr;
}
} // namespace torchamp::kernels

#endif
