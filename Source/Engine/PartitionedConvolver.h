#pragma once

#include "AlignedFloats.h"
#include "RealFft.h"
#include "RealtimeSafety.h"

#include <memory>
#include <vector>

namespace torchamp
{

/** How a convolution trades latency for CPU. */
enum class ConvolutionLatency
{
    /// No latency at any block size: the impulse response's first partition is a direct-form FIR
    /// computed sample by sample, the rest uniform partitions in the frequency domain.
    zero,
    /// One partition of latency (ConvolutionKernel::lowCpuPartition()), no direct-form part and
    /// larger partitions: a fraction of the CPU for long impulse responses.
    lowCpu,
};

/** One channel of an impulse response prepared for uniformly partitioned convolution: the
    partitions' spectra (and in ConvolutionLatency::zero the direct-form head). Immutable once
    built, so one kernel serves every channel that convolves with it.

    The partition size P is a power of two. In zero-latency mode the first P taps are convolved
    directly (P multiply-adds per sample) and taps P.. by P-sized partitions whose products with
    the input's spectra are summed when each block of P input samples completes: input block m
    meets partitions 1.. in time for output block m + 1, so nothing waits. P is chosen near
    2 sqrt(taps), which balances the direct part (2P flops per sample) against the partitions'
    spectral products (about 8 taps / P flops per sample). In low-CPU mode every partition,
    the first included, is summed when a block completes, and the result plays one block later.

    Threads: built off the audio thread. */
class ConvolutionKernel
{
public:
    /// Smallest and largest partitions of the zero-latency mode.
    static constexpr int minPartition = 64;
    static constexpr int maxPartition = 2048;

    /// The partition the low-CPU mode uses at `hostRate`: the power of two nearest 10 ms (512 at
    /// 44.1 and 48 kHz, 1024 at 96 kHz), at least minPartition. Its latency in samples.
    static int lowCpuPartition(double hostRate) noexcept;

    /// The partition the zero-latency mode uses for `numTaps` taps.
    static int zeroLatencyPartition(int numTaps) noexcept;

    /// Prepares `taps` (at least one) for convolution in `mode`; `partition` is used in low-CPU
    /// mode (lowCpuPartition()). Not real-time safe.
    ConvolutionKernel(const std::vector<float>& taps, ConvolutionLatency mode, int partition);

    ConvolutionLatency mode() const noexcept { return latencyMode; }
    int partition() const noexcept { return partitionSize; }
    int numTaps() const noexcept { return taps; }
    /// Partitions convolved in the frequency domain.
    int numSpectra() const noexcept { return spectra; }
    int latencySamples() const noexcept
    {
        return latencyMode == ConvolutionLatency::zero ? 0 : partitionSize;
    }

private:
    friend class PartitionedConvolver;

    ConvolutionLatency latencyMode;
    int partitionSize = minPartition;
    int taps = 0;
    int spectra = 0;
    AlignedFloats headReversed;         // zero-latency mode: the first P taps, last first
    AlignedFloats spectraRe, spectraIm; // [spectra][P + 1], scaled by 1 / 2P for the inverse transform
};

/** Convolves one channel with a ConvolutionKernel, block by block, at any block size (the
    kernel's latency in low-CPU mode, none otherwise). Output sample y[t] = sum_j h[j] x[t - j].

    Threads: built off the audio thread; reset() and process() are real-time safe. */
class PartitionedConvolver
{
public:
    /// Allocates the state for convolving with `kernel`, which must outlive the convolver.
    explicit PartitionedConvolver(const ConvolutionKernel& kernel);

    /// Clears the input history: the output is as if only silence had come in. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Convolves n samples of `in` into `out` (which may be `in`). Audio thread.
    void process(const float* in, float* out, int n) noexcept TORCHAMP_NONBLOCKING;

    const ConvolutionKernel& kernel() const noexcept { return k; }

private:
    void completeBlock() noexcept TORCHAMP_NONBLOCKING;

    const ConvolutionKernel& k;
    RealFft fft;
    int position = 0;      // samples of the current block received
    AlignedFloats window;  // [2P]: the previous block, then the current one
    AlignedFloats history; // [spectra][P + 1] x 2: the last input blocks' spectra, newest at `newest`
    int newest = 0;
    AlignedFloats accumulatorRe, accumulatorIm; // [P + 1]
    AlignedFloats inverseOut;                   // [2P]
    AlignedFloats partitionOut;                 // [P]: what the partitions contribute to the current block
};

} // namespace torchamp
