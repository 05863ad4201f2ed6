// The AVX-512 layer kernels (x86-64-v4). Compiled with -mavx512f -mavx512vl ... (see
// CMakeLists.txt); only called after cpuid said the CPU and OS support them.

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)

#include "LayerKernelsX86.h"

namespace torchamp::kernels
{
namespace
{
// The layers' gate blocks are 8 units wide (a GRU's 3 gates of 8 units do not fill zmm vectors),
// so these kernels stay on ymm vectors, with AVX-512VL's 32 registers (24 accumulators) and its
// more precise reciprocal.
using LayerAvx512 = LayerYmm<YmmCellAvx512, 24>;
} // namespace

const LayerKernelSet* layerAvx512Kernels() noexcept
{
    using K = LayerKernel<LayerAvx512>;
    static constexpr LayerKernelSet set{Isa::avx512, LayerAvx512::cellWidth, &K::linear, &K::elementwise,
                                        &K::recurrent};
    return &set;
}

} // namespace torchamp::kernels

#else

#include "LayerKernels.h"

namespace torchamp::kernels
{
const LayerKernelSet* layerAvx512Kernels() noexcept
{
    return nullptr;
}
} // namespace torchamp::kernels

#endif
