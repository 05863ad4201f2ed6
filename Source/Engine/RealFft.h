#pragma once

#include "AlignedFloats.h"
#include "RealtimeSafety.h"

#include <vector>

namespace torchamp
{

/** The discrete Fourier transform of real float signals whose length is a power of two: a complex
    radix-2 transform of half the length with precomputed twiddles, and the split that turns it
    into the real signal's spectrum. Spectra are held as separate real and imaginary arrays of
    size() / 2 + 1 bins (DC to Nyquist).

    Threads: construct off the audio thread; forward() and inverse() are real-time safe, and use
    scratch space of the object (one object per thread). */
class RealFft
{
public:
    /// Plans transforms of `size` samples: a power of two, at least 4 (std::invalid_argument otherwise).
    explicit RealFft(int size);

    int size() const noexcept { return n; }
    int numBins() const noexcept { return n / 2 + 1; }

    /// X[k] = sum_t x[t] e^(-2 pi i k t / size()) for k = 0..size()/2, from size() samples of `in`.
    void forward(const float* in, float* re, float* im) noexcept TORCHAMP_NONBLOCKING;

    /// The inverse transform, not divided by size(): from numBins() bins (the spectrum of a real
    /// signal) to size() samples of size() times that signal.
    void inverse(const float* re, const float* im, float* out) noexcept TORCHAMP_NONBLOCKING;

private:
    /// In place on zr, zi (bit-reversed input order), forward sign.
    void complexTransform() noexcept TORCHAMP_NONBLOCKING;

    int n = 0, m = 0;                        // real length, complex length (n / 2)
    std::vector<int> bitReversed;            // [m]
    std::vector<float> twiddleRe, twiddleIm; // per stage of half-size h: h values at offset h - 1
    std::vector<float> splitRe, splitIm;     // e^(-2 pi i k / n), k = 0..m
    AlignedFloats zr, zi;                    // the complex signal being transformed
};

} // namespace torchamp
