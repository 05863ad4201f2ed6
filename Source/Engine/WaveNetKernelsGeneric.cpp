// The portable WaveNet kernel on the 4-wide vectors of LstmKernelsGeneric.h. Compiled with the
// project's baseline flags, so it runs on every CPU.

#include "LstmKernelsGeneric.h"
#include "WaveNetKernelImpl.h"

namespace torchamp::kernels
{
namespace
{

struct WaveNetGeneric : Generic
{
    // 16 SSE2 registers: up to 12 accumulators (8 rows x 1 column vector, or 4 rows x 3), the
    // inputs and a weight.
    static constexpr int rowBlock = 8;
    static constexpr int subBlock = 4;
    static constexpr int maxColumnVectors = 3;
    static constexpr int accumulators = 12;

    static TORCHAMP_KERNEL_INLINE V zero() noexcept { return V{}; }
    static TORCHAMP_KERNEL_INLINE C csub(C a, C b) noexcept { return a - b; }
    static TORCHAMP_KERNEL_INLINE C cmax(C a, C b) noexcept { return a > b ? a : b; }
    static TORCHAMP_KERNEL_INLINE C cmin(C a, C b) noexcept { return a < b ? a : b; }
    static TORCHAMP_KERNEL_INLINE C cdiv(C a, C b) noexcept { return a / b; }
    static TORCHAMP_KERNEL_INLINE C cabs(C a) noexcept { return copySign(a, cset(0.0f)); }
    /** |magnitude| with the sign of `sign`. */
    static TORCHAMP_KERNEL_INLINE C copySign(C magnitude, C sign) noexcept
    {
        Int4 m, s;
        __builtin_memcpy(&m, &magnitude, sizeof m);
        __builtin_memcpy(&s, &sign, sizeof s);
        m = (m & 0x7FFFFFFF) | (s & static_cast<std::int32_t>(0x80000000u));
        C result;
        __builtin_memcpy(&result, &m, sizeof result);
        return result;
    }
    /** a < b ? ifLess : otherwise, per value. */
    static TORCHAMP_KERNEL_INLINE C selectLess(C a, C b, C ifLess, C otherwise) noexcept
    {
        return a < b ? ifLess : otherwise;
    }
};

using Kernel = WaveNetKernel<WaveNetGeneric>;

} // namespace

const WaveNetKernelSet* waveNetGenericKernels() noexcept
{
    static constexpr WaveNetKernelSet set{Isa::generic,      Kernel::width,     Kernel::rowBlock,
                                          &Kernel::multiply, &Kernel::activate, &Kernel::allFinite,
                                          &Kernel::apply};
    return &set;
}

} // namespace torchamp::kernels
