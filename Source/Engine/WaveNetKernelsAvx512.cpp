// The AVX-512 WaveNet kernel (x86-64-v4). Compiled with -mavx512f -mavx512vl ... (see
// CMakeLists.txt); only called after cpuid said the CPU and OS support them.

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)

#include "WaveNetKernelsX86.h"

namespace torchamp::kernels
{
namespace
{

struct WaveNetAvx512 : WaveNetYmm<YmmCellAvx512>
{
    // Matrix products on 16-wide zmm vectors, 32 registers: 24 accumulators (8 rows x 3 column
    // vectors), the inputs and a weight. The activations stay 8 wide, as in the LSTM kernel.
    using V = __m512;
    static constexpr int width = 16;
    static constexpr int rowBlock = 8;
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
