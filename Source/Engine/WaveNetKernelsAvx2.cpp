// The AVX2 + FMA WaveNet kernel (x86-64-v3). Compiled with -mavx2 -mfma (see CMakeLists.txt); only
// called after cpuid said the CPU has them.

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include "WaveNetKernelsX86.h"

namespace torchamp::kernels
{
namespace
{

struct WaveNetAvx2 : WaveNetYmm<YmmCell>
{
    using V = __m256;
    static constexpr int width = 8;
    // 16 ymm registers: up to 12 accumulators (8 rows x 1 column vector, or 4 rows x 3), the
    // inputs and a weight.
    static constexpr int rowBlock = 8;
    static constexpr int subBlock = 4;
    static constexpr int maxColumnVectors = 3;
    static constexpr int accumulators = 12;

    static TORCHAMP_KERNEL_INLINE V load(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void store(float* p, V v) noexcept { _mm256_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE V broadcast(const float* p) noexcept { return _mm256_broadcast_ss(p); }
    static TORCHAMP_KERNEL_INLINE V fma(V a, V b, V c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    static TORCHAMP_KERNEL_INLINE V add(V a, V b) noexcept { return _mm256_add_ps(a, b); }
    static TORCHAMP_KERNEL_INLINE V zero() noexcept { return _mm256_setzero_ps(); }

    /** 1 / d: the 12-bit estimate and two Newton steps. One step, as in the LSTM kernel, leaves a
        one-sided error of about 1e-7, which a WaveNet's sums would add up (WaveNetKernelImpl.h). */
    static TORCHAMP_KERNEL_INLINE C reciprocal(C d) noexcept
    {
        C r = _mm256_rcp_ps(d);
        r = _mm256_fmadd_ps(_mm256_fnmadd_ps(d, r, cset(1.0f)), r, r);
        return _mm256_fmadd_ps(_mm256_fnmadd_ps(d, r, cset(1.0f)), r, r);
    }
};

using Kernel = WaveNetKernel<WaveNetAvx2>;

} // namespace

const WaveNetKernelSet* waveNetAvx2Kernels() noexcept
{
    static constexpr WaveNetKernelSet set{Isa::avx2,         Kernel::width,     Kernel::rowBlock,
                                          &Kernel::multiply, &Kernel::activate, &Kernel::allFinite,
                                          &Kernel::apply};
    return &set;
}

} // namespace torchamp::kernels

#else

#include "WaveNetKernels.h"

namespace torchamp::kernels
{
const WaveNetKernelSet* waveNetAvx2Kernels() noexcept
{
    return nullptr;
}
} // namespace torchamp::kernels

#endif
