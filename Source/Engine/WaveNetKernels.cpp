#include "WaveNetKernels.h"

namespace torchamp::kernels
{

// Defined in WaveNetKernels{Generic,Avx2,Avx512}.cpp; nullptr when not compiled for this target.
const WaveNetKernelSet* waveNetGenericKernels() noexcept;
const WaveNetKernelSet* waveNetAvx2Kernels() noexcept;
const WaveNetKernelSet* waveNetAvx512Kernels() noexcept;

const WaveNetKernelSet* findWaveNetKernels(Isa isa) noexcept
{
    // The LSTM kernels of an instruction set exist exactly when this CPU runs it and the build has it.
    if (findKernels(isa) == nullptr)
        return nullptr;
    switch (isa)
    {
        case Isa::avx512:
            return waveNetAvx512Kernels();
        case Isa::avx2:
            return waveNetAvx2Kernels();
        case Isa::generic:
            return waveNetGenericKernels();
    }
    return nullptr;
}

} // namespace torchamp::kernels
