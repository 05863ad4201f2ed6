// The AVX2 + FMA layer kernels (x86-64-v3). Compiled with -mavx2 -mfma (see CMakeLists.txt); only
// called after cpuid said the CPU has them.

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)

#include "LayerKernelsX86.h"

namespace torchamp::kernels
{
namespace
{
// 16 ymm registers: 12 accumulators, the broadcast inputs (one per channel) and a weight.
using LayerAvx2 = LayerYmm<YmmCell, 12>;
} // namespace

const LayerKernelSet* layerAvx2Kernels() noexcept
{
    using K = LayerKernel<LayerAvx2>;
    static constexpr LayerKernelSet set{Isa::avx2, LayerAvx2::cellWidth, &K::linear, &K::elementwise,
                                        &K::recurrent};
    return &set;
}

} // namespace torchamp::kernels

#else

#include "LayerKernels.h"

namespace torchamp::kernels
{
const LayerKernelSet* layerAvx2Kernels() noexcept
{
    return nullptr;
}
} // namespace torchamp::kernels

#endif
