// The portable layer kernels (traits in LstmKernelsGeneric.h). Compiled with the project's
// baseline flags, so they run on every CPU.

#include "LayerKernelImpl.h"
#include "LstmKernelsGeneric.h"

namespace torchamp::kernels
{
namespace
{

struct LayerGeneric : Generic
{
    // 16 SSE2 registers: 12 accumulators, the broadcast inputs and a weight.
    static constexpr int cellAccumulators = 12;

    static TORCHAMP_KERNEL_INLINE C csub(C a, C b) noexcept { return a - b; }
    static TORCHAMP_KERNEL_INLINE C cdiv(C a, C b) noexcept { return a / b; }
    static TORCHAMP_KERNEL_INLINE C cmax(C a, C b) noexcept { return a > b ? a : b; }
    /** a < b ? ifLess : otherwise, per value. */
    static TORCHAMP_KERNEL_INLINE C selectLess(C a, C b, C ifLess, C otherwise) noexcept
    {
        return a < b ? ifLess : otherwise;
    }
    /** Every value set to value j of v. */
    static TORCHAMP_KERNEL_INLINE C lane(C v, int j) noexcept { return C{} + v[j]; }
};

} // namespace

const LayerKernelSet* layerGenericKernels() noexcept
{
    using K = LayerKernel<LayerGeneric>;
    static constexpr LayerKernelSet set{Isa::generic, LayerGeneric::cellWidth, &K::linear, &K::elementwise,
                                        &K::recurrent};
    return &set;
}

} // namespace torchamp::kernels
