#include "LstmKernels.h"

namespace torchamp::kernels
{

// Defined in LstmKernels{Generic,Avx2,Avx512}.cpp; nullptr when not compiled for this target.
const KernelSet* genericKernels() noexcept;
const KernelSet* avx2Kernels() noexcept;
const KernelSet* avx512Kernels() noexcept;
const KernelSet* avx512WideCellKernels() noexcept;

namespace
{

bool cpuHas(Isa isa) noexcept
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    switch (isa)
    {
        case Isa::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
                   && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
                   && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::generic:
            return true;
    }
    return false;
#else
    return isa == Isa::generic;
#endif
}

} // namespace

const char* isaName(Isa isa) noexcept
{
    switch (isa)
    {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        case Isa::generic: return "generic";
    }
    return "?";
}

const KernelSet* findKernels(Isa isa) noexcept
{
    if (!cpuHas(isa))
        return nullptr;
    switch (isa)
    {
        case Isa::avx512: return avx512Kernels();
        case Isa::avx2: return avx2Kernels();
        case Isa::generic: return genericKernels();
    }
    return nullptr;
}

const KernelSet* findKernels(Isa isa, int cellWidth) noexcept
{
    const KernelSet* set = findKernels(isa);
    if (set != nullptr && set->cellWidth == cellWidth)
        return set;
    if (isa == Isa::avx512 && set != nullptr)
    {
        const KernelSet* wide = avx512WideCellKernels();
        if (wide != nullptr && wide->cellWidth == cellWidth)
            return wide;
    }
    return nullptr;
}

const KernelSet* findKernelsFor(Isa isa, const int* hiddenSizes, int count) noexcept
{
    const KernelSet* narrow = findKernels(isa);
    const KernelSet* wide = narrow != nullptr ? findKernels(isa, 2 * narrow->cellWidth) : nullptr;
    if (wide == nullptr)
        return narrow;
    for (int l = 0; l < count; ++l)
        if (roundUp(hiddenSizes[l], wide->cellWidth) != roundUp(hiddenSizes[l], narrow->cellWidth))
            return narrow;
    return wide;
}

Isa bestIsa() noexcept
{
    static const Isa best = findKernels(Isa::avx512) != nullptr ? Isa::avx512
                            : findKernels(Isa::avx2) != nullptr ? Isa::avx2
                                                                : Isa::generic;
    return best;
}

} // namespace torchamp::kernels
