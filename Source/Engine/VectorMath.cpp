#include "VectorMath.h"

#include <cstring>

namespace torchamp
{

// GCC compiles these for AVX-512, AVX2 and the baseline and picks one by the CPU's features when
// the library loads (an ifunc, resolved once: nothing is decided per call). Clones named by
// architecture ("arch=haswell") would test the CPU model and miss every AMD CPU. Other compilers
// get the baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TORCHAMP_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TORCHAMP_VECTOR_CLONES
#endif

TORCHAMP_VECTOR_CLONES float VectorMath::dot(const float* a, const float* b, int n) noexcept
{
    typedef float V16 __attribute__((vector_size(64)));
    typedef float V8 __attribute__((vector_size(32)));
    V16 s0{}, s1{};
    int j = 0;
    for (; j + 32 <= n; j += 32)
    {
        V16 a0, a1, b0, b1;
        std::memcpy(&a0, a + j, sizeof a0);
        std::memcpy(&a1, a + j + 16, sizeof a1);
        std::memcpy(&b0, b + j, sizeof b0);
        std::memcpy(&b1, b + j + 16, sizeof b1);
        s0 += a0 * b0;
        s1 += a1 * b1;
    }
    if (j + 16 <= n)
    {
        V16 a0, b0;
        std::memcpy(&a0, a + j, sizeof a0);
        std::memcpy(&b0, b + j, sizeof b0);
        s0 += a0 * b0;
        j += 16;
    }
    s0 += s1;
    V8 lo, hi;
    std::memcpy(&lo, &s0, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&s0) + sizeof lo, sizeof hi);
    lo += hi;
    float acc = ((lo[0] + lo[4]) + (lo[1] + lo[5])) + ((lo[2] + lo[6]) + (lo[3] + lo[7]));
    for (; j < n; ++j)
        acc += a[j] * b[j];
    return acc;
}

TORCHAMP_VECTOR_CLONES void VectorMath::multiplyAccumulate(float* accRe, float* accIm, const float* xRe,
                                                           const float* xIm, const float* yRe,
                                                           const float* yIm, int n) noexcept
{
    for (int k = 0; k < n; ++k)
    {
        accRe[k] += xRe[k] * yRe[k] - xIm[k] * yIm[k];
        accIm[k] += xRe[k] * yIm[k] + xIm[k] * yRe[k];
    }
}

} // namespace torchamp
