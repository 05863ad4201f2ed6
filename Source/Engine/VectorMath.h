#pragma once

#include "RealtimeSafety.h"

namespace torchamp
{

/** The inner loops the resampler and the convolver spend their time in, each compiled for
    AVX-512, AVX2 and the baseline and chosen by the CPU when the library loads. Audio thread. */
struct VectorMath
{
    /// sum over j < n of a[j] * b[j], summed in 16-float vectors and then pairwise (a short
    /// dependency chain: one call often makes one output sample).
    static float dot(const float* a, const float* b, int n) noexcept TORCHAMP_NONBLOCKING;

    /// acc += x * y for n complex values held as separate real and imaginary arrays.
    static void multiplyAccumulate(float* accRe, float* accIm, const float* xRe, const float* xIm,
                                   const float* yRe, const float* yIm, int n) noexcept TORCHAMP_NONBLOCKING;
};

} // namespace torchamp
