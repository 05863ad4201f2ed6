#pragma once

#include "RealtimeSafety.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

// Branch-free float exp, sigmoid and tanh that compilers vectorise (no library calls inside a
// loop). Accuracy, measured in Tests/FastMathTests.cpp against double precision: exp within
// 2 ulp over the clamped range; sigmoid and tanh within 2e-7 absolute, which keeps the engine
// within 1e-5 of LibTorch.

namespace torchamp::fastmath
{

/** e^x for x clamped to [-87, 88]: range reduction by ln 2, degree-6 polynomial, exponent by bits. */
inline float exp(float x) noexcept TORCHAMP_NONBLOCKING
{
    x = std::min(std::max(x, -87.0f), 88.0f);
    // Adding 1.5 * 2^23 rounds x / ln2 to the nearest integer n (in the default rounding mode) and
    // leaves n in the low mantissa bits: no float-to-int conversion, nothing that stops vectorising.
    constexpr float roundingBias = 12582912.0f;
    const float shifted = x * 1.44269504088896341f + roundingBias;
    const float n = shifted - roundingBias;
    // r = x - n ln2 in [-ln2/2, ln2/2], with ln 2 split in two for precision.
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    // Cephes expf polynomial on the reduced range.
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t shiftedBits;
    std::memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    const int32_t exponentBits = (shiftedBits - 0x4B400000 + 127) << 23;
    float scale;
    std::memcpy(&scale, &exponentBits, sizeof scale);
    return p * scale;
}

inline float sigmoid(float x) noexcept TORCHAMP_NONBLOCKING
{
    return 1.0f / (1.0f + exp(-x));
}

inline float tanh(float x) noexcept TORCHAMP_NONBLOCKING
{
    // 1 - 2 / (e^2x + 1); for |x| > 9 the result is +-1 within float precision anyway.
    x = std::min(std::max(x, -9.0f), 9.0f);
    return 1.0f - 2.0f / (exp(2.0f * x) + 1.0f);
}

} // namespace torchamp::fastmath
