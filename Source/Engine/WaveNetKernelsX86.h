#pragma once

// The 8-wide (ymm) activation operations of the AVX2 and AVX-512 WaveNet kernels: the LSTM
// kernels' cell vector (exp2, reciprocal) plus what the WaveNet activations need. Included only by
// their sources, each compiled with its own -m flags; everything is in an anonymous namespace.

#include "LstmKernelsX86.h"
#include "WaveNetKernelImpl.h"

namespace torchamp::kernels
{
namespace
{

template <class Cell>
struct WaveNetYmm : Cell
{
    using C = __m256;
    static TORCHAMP_KERNEL_INLINE C csub(C a, C b) noexcept { return _mm256_sub_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmax(C a, C b) noexcept { return _mm256_max_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cmin(C a, C b) noexcept { return _mm256_min_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cdiv(C a, C b) noexcept { return _mm256_div_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE C cabs(C a) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    /** |magnitude| with the sign of `sign`. */
    static TORCHAMP_KERNEL_INLINE C copySign(C magnitude, C sign) noexcept
    {
        const C bit = _mm256_set1_ps(-0.0f);
        return _mm256_or_ps(_mm256_andnot_ps(bit, magnitude), _mm256_and_ps(bit, sign));
    }
    /** a < b ? ifLess : otherwise, per value. */
    static TORCHAMP_KERNEL_INLINE C selectLess(C a, C b, C ifLess, C otherwise) noexcept
    {
        return _mm256_blendv_ps(otherwise, ifLess, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
    }
};

} // namespace
} // namespace torchamp::kernels
