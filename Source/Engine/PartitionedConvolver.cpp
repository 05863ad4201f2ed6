#include "PartitionedConvolver.h"

#include "VectorMath.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

namespace
{
int nearestPowerOfTwo(double x) noexcept
{
    int p = 1;
    while (p < (1 << 30) && p * 2 <= x)
        p *= 2;
    // p <= x < 2p: the nearer of the two in log terms.
    return x * x >= 2.0 * p * p ? 2 * p : p;
}
} // namespace

int ConvolutionKernel::lowCpuPartition(double hostRate) noexcept
{
    const double tenMs = std::isfinite(hostRate) && hostRate > 0.0 ? 0.010 * hostRate : minPartition;
    return std::max(minPartition, nearestPowerOfTwo(tenMs));
}

int ConvolutionKernel::zeroLatencyPartition(int numTaps) noexcept
{
    return std::clamp(nearestPowerOfTwo(2.0 * std::sqrt(static_cast<double>(std::max(1, numTaps)))),
                      minPartition, maxPartition);
}

ConvolutionKernel::ConvolutionKernel(const std::vector<float>& impulse, ConvolutionLatency mode, int lowCpu)
    : latencyMode(mode), taps(static_cast<int>(impulse.size()))
{
    partitionSize =
        mode == ConvolutionLatency::zero ? zeroLatencyPartition(taps) : std::max(minPartition, lowCpu);
    const int p = partitionSize;
    const int direct = mode == ConvolutionLatency::zero ? p : 0;
    if (direct > 0)
    {
        headReversed.assign(static_cast<size_t>(p), 0.0f);
        for (int j = 0; j < std::min(p, taps); ++j)
            headReversed[static_cast<size_t>(p - 1 - j)] = impulse[static_cast<size_t>(j)];
    }
    spectra = std::max(0, (taps - direct + p - 1) / p);
    const auto bins = static_cast<size_t>(p + 1);
    spectraRe.assign(static_cast<size_t>(spectra) * bins, 0.0f);
    spectraIm.assign(static_cast<size_t>(spectra) * bins, 0.0f);
    RealFft fft(2 * p);
    std::vector<float> padded(static_cast<size_t>(2 * p));
    const float scale = 1.0f / static_cast<float>(2 * p);
    for (int s = 0; s < spectra; ++s)
    {
        std::fill(padded.begin(), padded.end(), 0.0f);
        const int first = direct + s * p;
        for (int j = 0; j < p && first + j < taps; ++j)
            padded[static_cast<size_t>(j)] = impulse[static_cast<size_t>(first + j)] * scale;
        fft.forward(padded.data(), spectraRe.data() + static_cast<size_t>(s) * bins,
                    spectraIm.data() + static_cast<size_t>(s) * bins);
    }
}

PartitionedConvolver::PartitionedConvolver(const ConvolutionKernel& kernel)
    : k(kernel), fft(2 * kernel.partition())
{
    const auto p = static_cast<size_t>(k.partition());
    window.assign(2 * p, 0.0f);
    history.assign(2 * static_cast<size_t>(k.numSpectra()) * (p + 1), 0.0f);
    accumulatorRe.assign(p + 1, 0.0f);
    accumulatorIm.assign(p + 1, 0.0f);
    inverseOut.assign(2 * p, 0.0f);
    partitionOut.assign(p, 0.0f);
    reset();
}

void PartitionedConvolver::reset() noexcept
{
    std::fill(window.data(), window.data() + window.size(), 0.0f);
    std::fill(history.data(), history.data() + history.size(), 0.0f);
    std::fill(partitionOut.data(), partitionOut.data() + partitionOut.size(), 0.0f);
    position = 0;
    newest = 0;
}

void PartitionedConvolver::process(const float* in, float* out, int n) noexcept
{
    const int p = k.partition();
    const bool direct = k.mode() == ConvolutionLatency::zero;
    float* current = window.data() + p;
    while (n > 0)
    {
        const int count = std::min(n, p - position);
        // The input is stored before any output is written: `out` may be `in`.
        std::copy(in, in + count, current + position);
        for (int i = 0; i < count; ++i)
        {
            const int at = position + i;
            float y = partitionOut[static_cast<size_t>(at)];
            if (direct) // x[t - p + 1] .. x[t] against the first p taps
                y += VectorMath::dot(k.headReversed.data(), window.data() + 1 + at, p);
            out[i] = y;
        }
        position += count;
        in += count;
        out += count;
        n -= count;
        if (position == p)
        {
            completeBlock();
            position = 0;
        }
    }
}

void PartitionedConvolver::completeBlock() noexcept
{
    const int p = k.partition();
    const int spectra = k.numSpectra();
    if (spectra > 0)
    {
        const auto bins = static_cast<size_t>(p + 1);
        const auto plane = static_cast<size_t>(spectra) * bins; // real parts, then imaginary parts
        newest = newest == 0 ? spectra - 1 : newest - 1;
        float* newRe = history.data() + static_cast<size_t>(newest) * bins;
        fft.forward(window.data(), newRe, newRe + plane);

        // The newest input block meets the first partition, the one before the second, and so on.
        std::fill(accumulatorRe.data(), accumulatorRe.data() + bins, 0.0f);
        std::fill(accumulatorIm.data(), accumulatorIm.data() + bins, 0.0f);
        for (int s = 0; s < spectra; ++s)
        {
            const auto slot = static_cast<size_t>((newest + s) % spectra) * bins;
            const auto part = static_cast<size_t>(s) * bins;
            VectorMath::multiplyAccumulate(accumulatorRe.data(), accumulatorIm.data(), history.data() + slot,
                                           history.data() + plane + slot, k.spectraRe.data() + part,
                                           k.spectraIm.data() + part, p + 1);
        }
        fft.inverse(accumulatorRe.data(), accumulatorIm.data(), inverseOut.data());
        // Overlap-save: the second half is the linear convolution's output for the next block.
        std::copy(inverseOut.data() + p, inverseOut.data() + 2 * p, partitionOut.data());
    }
    std::copy(window.data() + p, window.data() + 2 * p, window.data());
}

} // namespace torchamp
