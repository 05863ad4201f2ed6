#pragma once

// The portable vector traits: 4-wide GCC/clang vector extensions, which become SSE2 on any x86-64
// and NEON on arm64. Included only by the portable kernel sources, compiled with the project's
// baseline flags; everything is in an anonymous namespace so each source gets its own copy
// (see LstmKernelImpl.h).

#include "LstmKernelImpl.h"

#include <cstdint>

namespace torchamp::kernels
{
namespace
{

typedef float Float4 __attribute__((vector_size(16)));
typedef std::int32_t Int4 __attribute__((vector_size(16)));

struct Generic
{
    using V = Float4;
    using C = Float4;
    static constexpr int width = 4;
    static constexpr int cellWidth = 4;
    // 16 SSE2 registers (NEON has 32): 12 accumulators, the broadcast inputs and a weight.
    static constexpr int maxAccumulators = 12;

    static TORCHAMP_KERNEL_INLINE V load(const float* p) noexcept
    {
        V v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    static TORCHAMP_KERNEL_INLINE void store(float* p, V v) noexcept { __builtin_memcpy(p, &v, sizeof v); }
    static TORCHAMP_KERNEL_INLINE V broadcast(const float* p) noexcept { return V{} + *p; }
    // Separate multiply and add: the baseline x86-64 has no FMA, and ISO C++ mode does not contract.
    static TORCHAMP_KERNEL_INLINE V fma(V a, V b, V c) noexcept { return a * b + c; }
    static TORCHAMP_KERNEL_INLINE V add(V a, V b) noexcept { return a + b; }

    static TORCHAMP_KERNEL_INLINE C cload(const float* p) noexcept { return load(p); }
    static TORCHAMP_KERNEL_INLINE void cstore(float* p, C v) noexcept { store(p, v); }
    static TORCHAMP_KERNEL_INLINE C cset(float v) noexcept { return C{} + v; }
    static TORCHAMP_KERNEL_INLINE C cadd(C a, C b) noexcept { return a + b; }
    static TORCHAMP_KERNEL_INLINE C cmul(C a, C b) noexcept { return a * b; }
    static TORCHAMP_KERNEL_INLINE C cfma(C a, C b, C c) noexcept { return a * b + c; }
    static TORCHAMP_KERNEL_INLINE float hsum(C v) noexcept { return (v[0] + v[2]) + (v[1] + v[3]); }
    static TORCHAMP_KERNEL_INLINE C reciprocal(C d) noexcept { return 1.0f / d; }

    /** 2^y for y clamped to +-60: y = n + r, |r| <= 1/2, 2^r by a degree-6 polynomial (relative
        error 1e-7), 2^n added into the exponent bits. */
    static TORCHAMP_KERNEL_INLINE C exp2(C y) noexcept
    {
        const C limit = cset(KernelConstants::exp2Limit);
        y = y < -limit ? -limit : y;
        y = y > limit ? limit : y;
        const C magic = cset(12582912.0f); // 1.5 * 2^23: adding it rounds to an integer
        const C t = y + magic;
        const C r = y - (t - magic);
        C p = cset(1.535336201e-04f);
        p = p * r + 1.339887465e-03f;
        p = p * r + 9.618437359e-03f;
        p = p * r + 5.550332471e-02f;
        p = p * r + 2.402264791e-01f;
        p = p * r + 6.931472029e-01f;
        p = p * r + 1.0f;
        Int4 tBits, pBits;
        __builtin_memcpy(&tBits, &t, sizeof t);
        __builtin_memcpy(&pBits, &p, sizeof p);
        pBits += (tBits - 0x4B400000) << 23;
        C result;
        __builtin_memcpy(&result, &pBits, sizeof result);
        return result;
    }
};

} // namespace
} // namespace torchamp::kernels
