#include "LayerKernels.h"

namespace torchamp::kernels
{

// Defined in LayerKernels{Generic,Avx2,Avx512}.cpp; nullptr when not compiled for this target.
const LayerKernelSet* layerGenericKernels() noexcept;
const LayerKernelSet* layerAvx2Kernels() noexcept;
const LayerKernelSet* layerAvx512Kernels() noexcept;

const LayerKernelSet* findLayerKernels(Isa isa) noexcept
{
    // The LSTM kernels of an instruction set exist exactly when this CPU runs it and the build has it.
    if (findKernels(isa) == nullptr)
        return nullptr;
    switch (isa)
    {
        case Isa::avx512:
            return layerAvx512Kernels();
        case Isa::avx2:
            return layerAvx2Kernels();
        case Isa::generic:
            return layerGenericKernels();
    }
    return nullptr;
}

} // namespace torchamp::kernels
