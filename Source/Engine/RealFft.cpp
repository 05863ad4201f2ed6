#include "RealFft.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace torchamp
{

namespace
{
constexpr double pi = 3.14159265358979323846;
}

RealFft::RealFft(int size) : n(size), m(size / 2)
{
    if (size < 4 || (size & (size - 1)) != 0)
        throw std::invalid_argument("RealFft: the size must be a power of two of at least 4, not " +
                                    std::to_string(size));
    int bits = 0;
    while ((1 << bits) < m)
        ++bits;
    bitReversed.resize(static_cast<size_t>(m));
    for (int i = 0; i < m; ++i)
    {
        int r = 0;
        for (int b = 0; b < bits; ++b)
            r |= ((i >> b) & 1) << (bits - 1 - b);
        bitReversed[static_cast<size_t>(i)] = r;
    }
    // Twiddles are computed in double and rounded once, so their error does not grow with the size.
    twiddleRe.assign(static_cast<size_t>(m > 1 ? m - 1 : 1), 1.0f);
    twiddleIm.assign(twiddleRe.size(), 0.0f);
    for (int h = 1; h < m; h *= 2)
        for (int j = 0; j < h; ++j)
        {
            const double angle = -pi * j / h;
            twiddleRe[static_cast<size_t>(h - 1 + j)] = static_cast<float>(std::cos(angle));
            twiddleIm[static_cast<size_t>(h - 1 + j)] = static_cast<float>(std::sin(angle));
        }
    splitRe.resize(static_cast<size_t>(m + 1));
    splitIm.resize(static_cast<size_t>(m + 1));
    for (int k = 0; k <= m; ++k)
    {
        const double angle = -2.0 * pi * k / n;
        splitRe[static_cast<size_t>(k)] = static_cast<float>(std::cos(angle));
        splitIm[static_cast<size_t>(k)] = static_cast<float>(std::sin(angle));
    }
    zr.assign(static_cast<size_t>(m), 0.0f);
    zi.assign(static_cast<size_t>(m), 0.0f);
}

void RealFft::complexTransform() noexcept
{
    float* re = zr.data();
    float* im = zi.data();
    // The first stage's twiddle is 1: sums and differences only.
    for (int g = 0; g < m; g += 2)
    {
        const float ar = re[g], ai = im[g], br = re[g + 1], bi = im[g + 1];
        re[g] = ar + br;
        im[g] = ai + bi;
        re[g + 1] = ar - br;
        im[g + 1] = ai - bi;
    }
    for (int h = 2; h < m; h *= 2)
    {
        const float* wr = twiddleRe.data() + (h - 1);
        const float* wi = twiddleIm.data() + (h - 1);
        for (int g = 0; g < m; g += 2 * h)
        {
            float* ar = re + g;
            float* ai = im + g;
            float* br = re + g + h;
            float* bi = im + g + h;
            for (int j = 0; j < h; ++j)
            {
                const float tr = wr[j] * br[j] - wi[j] * bi[j];
                const float ti = wr[j] * bi[j] + wi[j] * br[j];
                br[j] = ar[j] - tr;
                bi[j] = ai[j] - ti;
                ar[j] += tr;
                ai[j] += ti;
            }
        }
    }
}

void RealFft::forward(const float* in, float* re, float* im) noexcept
{
    // z[t] = x[2t] + i x[2t + 1]; its transform Z holds the even and odd samples' spectra.
    for (int t = 0; t < m; ++t)
    {
        const auto r = static_cast<size_t>(bitReversed[static_cast<size_t>(t)]);
        zr[r] = in[2 * t];
        zi[r] = in[2 * t + 1];
    }
    complexTransform();
    re[0] = zr[0] + zi[0];
    im[0] = 0.0f;
    re[m] = zr[0] - zi[0];
    im[m] = 0.0f;
    for (int k = 1; k < m; ++k)
    {
        // E = (Z[k] + conj(Z[m-k])) / 2, O = (Z[k] - conj(Z[m-k])) / 2i, X[k] = E + W^k O.
        const float a = zr[static_cast<size_t>(k)], b = zi[static_cast<size_t>(k)];
        const float c = zr[static_cast<size_t>(m - k)], d = zi[static_cast<size_t>(m - k)];
        const float er = 0.5f * (a + c), ei = 0.5f * (b - d);
        const float orr = 0.5f * (b + d), oi = 0.5f * (c - a);
        const float wr = splitRe[static_cast<size_t>(k)], wi = splitIm[static_cast<size_t>(k)];
        re[k] = er + wr * orr - wi * oi;
        im[k] = ei + wr * oi + wi * orr;
    }
}

void RealFft::inverse(const float* re, const float* im, float* out) noexcept
{
    // Z[k] = E + i O with E = X[k] + conj(X[m-k]), O = conj(W^k) (X[k] - conj(X[m-k])): twice
    // the even and odd samples' spectra. The inverse complex transform is the forward one on
    // swapped real and imaginary parts, so zr and zi trade places here and below.
    for (int k = 0; k < m; ++k)
    {
        const float a = re[k], b = im[k];
        const float c = re[m - k], d = im[m - k];
        const float er = a + c, ei = b - d;
        const float dr = a - c, di = b + d;
        const float wr = splitRe[static_cast<size_t>(k)], wi = -splitIm[static_cast<size_t>(k)];
        const float orr = wr * dr - wi * di, oi = wr * di + wi * dr;
        const auto r = static_cast<size_t>(bitReversed[static_cast<size_t>(k)]);
        zi[r] = er - oi;  // real part of E + i O
        zr[r] = ei + orr; // imaginary part
    }
    complexTransform();
    for (int t = 0; t < m; ++t)
    {
        out[2 * t] = zi[static_cast<size_t>(t)];
        out[2 * t + 1] = zr[static_cast<size_t>(t)];
    }
}

} // namespace torchamp
