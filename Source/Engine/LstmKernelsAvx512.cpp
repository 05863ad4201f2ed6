// The AVX-512 kernel (x86-64-v4). Compiled with -mavx512f -mavx512vl ... (see CMakeLists.txt);
// only called after cpuid said the CPU and OS support them.

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)

// GCC 12's AVX-512 intrinsics start from a self-initialised "undefined" vector that its own
// -Wuninitialized then reports wherever they are inlined; no value here is read uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "LstmKernelsX86.h"

namespace torchamp::kernels
{
namespace
{

/** The mat-vec on 16-wide zmm vectors: 32 registers hold the whole 4H gate vector of an LSTM-64
    (16 accumulators) or of a stereo LSTM-40 (2 x 10). */
struct ZmmMatVec
{
    using V = __m512;
    static constexpr int width = 16;
    static constexpr int maxAccumulators = 24;

    static TORCHAMP_KERNEL_INLINE V load(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static TORCHAMP_KERNEL_INLINE void store(float* p, V v) noexcept { _mm512_storeu_ps(p, v); }
    static TORCHAMP_KERNEL_INLINE V broadcast(const float* p) noexcept { return _mm512_set1_ps(*p); }
    static TORCHAMP_KERNEL_INLINE V fma(V a, V b, V c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    static TORCHAMP_KERNEL_INLINE V add(V a, V b) noexcept { return _mm512_add_ps(a, b); }
};

/** The cell update 8 wide: units interleaved in blocks of 8, so hidden 20 or 40 carries no
    padding to 16. */
struct Avx512 : ZmmMatVec, YmmCellAvx512
{
};

/** The cell update 16 wide: half the instructions of Avx512's where the hidden size rounds up to
    the same padded size either way (12, 16, 32, 48, 64, ...; see findKernelsFor). */
struct Avx512WideCells : ZmmMatVec, ZmmCellAvx512
{
};

} // namespace

const KernelSet* avx512Kernels() noexcept
{
    static constexpr KernelSet set { Isa::avx512, Avx512::cellWidth, &LstmKernel<Avx512>::process,
                                 &LstmKernel<Avx512>::activations };
    return &set;
}

const KernelSet* avx512WideCellKernels() noexcept
{
    static constexpr KernelSet set { Isa::avx512, Avx512WideCells::cellWidth, &LstmKernel<Avx512WideCells>::process,
                                     &LstmKernel<Avx512WideCells>::activations };
    return &set;
}

} // namespace torchamp::kernels

#else

#include "LstmKernels.h"

namespace torchamp::kernels
{
const KernelSet* avx512Kernels() noexcept { return nullptr; }
const KernelSet* avx512WideCellKernels() noexcept { return nullptr; }
} // namespace torchamp::kernels

#endif
