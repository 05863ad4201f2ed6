// The AVX2 + FMA kernel (x86-64-v3). Compiled with -mavx2 -mfma (see CMakeLists.txt); only called
// after cpuid said the CPU has them.

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include "LstmKernelsX86.h"

namespace torchamp::kernels
{
namespace
{

struct Avx2 : YmmCell
{
    using V = __m256;
    static constexpr int width = 8;
    // 16 ymm registers: 12 accumulators, the broadcast inputs (one per channel) and a weight.
    static constexpr int maxAccumulators = 12;

    static TORCHAMP_KERNEL_INLINE V load(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void store(float* p, V v) noexcept { _mm256_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE V broadcast(const float* p) noexcept { return _mm256_broadcast_ss(p); }
    static TORCHAMP_KERNEL_INLINE V fma(V a, V b, V c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    static TORCHAMP_KERNEL_INLINE V add(V a, V b) noexcept { return _mm256_add_ps(a, b); }
};

} // namespace

const KernelSet* avx2Kernels() noexcept
{
    static constexpr KernelSet set { Isa::avx2, Avx2::cellWidth, &LstmKernel<Avx2>::process, &LstmKernel<Avx2>::activations };
    return &set;
}

} // namespace torchamp::kernels

#else

#include "LstmKernels.h"

namespace torchamp::kernels
{
const KernelSet* avx2Kernels() noexcept { return nullptr; }
} // namespace torchamp::kernels

#endif
