// The portable kernel (traits in LstmKernelsGeneric.h). Compiled with the project's baseline
// flags, so it runs on every CPU.

#include "LstmKernelsGeneric.h"

namespace torchamp::kernels
{

const KernelSet* genericKernels() noexcept
{
    static constexpr KernelSet set { Isa::generic, Generic::cellWidth, &LstmKernel<Generic>::process,
                                     &LstmKernel<Generic>::activations };
    return &set;
}

} // namespace torchamp::kernels
