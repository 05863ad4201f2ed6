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
    /** Every value set to value j of v (one permute, no trip through memory). */
    static TORCHAMP_KERNEL_INLINE C lane(C v, int j) noexcept
    {
        return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(j));
    }
};

} // namespace
} // namespace torchamp::kernels
