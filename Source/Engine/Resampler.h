#pragma once

#include "RealtimeSafety.h"

#include <string>
#include <vector>

namespace torchamp
{

/** A streaming, band-limited rational-ratio resampler (polyphase Kaiser-windowed sinc), one channel.

    Output sample k is sum over n of x[n] * h[k M - n L], where L/M = outRate/inRate in lowest
    terms and h is a low-pass prototype at L * inRate with its cut-off below the lower Nyquist
    frequency, about 100 dB of stop-band attenuation and a pass band flat to 0.91 of the lower
    Nyquist frequency (20 kHz at 44.1 kHz). The prototype's delay is a whole number of
    `delayUnitRate` samples, so that two resamplers in series (host rate to model rate and back)
    delay the signal by an exact number of host samples.

    Threads: prepare() allocates; process() and reset() are real-time safe. */
class Resampler
{
public:
    /// Largest polyphase filter (all phases, in taps) prepare() designs: every pair of the usual
    /// rates from 8 kHz to 768 kHz needs far less; pairs without a small common ratio (44,101 Hz
    /// against 48 kHz) would need tens of millions.
    static constexpr long long maxFilterTaps = 1LL << 22;

    /// Empty when prepare() can convert between these rates, else why not. Any thread.
    static std::string describeUnsupported(int inRate, int outRate, int delayUnitRate);

    /// Designs the filter and allocates for input blocks up to maxInputBlock. `delayUnitRate` is the
    /// rate in which the filter delay must be whole (usually the host rate). Throws
    /// std::invalid_argument where describeUnsupported() says why. Not real-time safe.
    void prepare(int inRate, int outRate, int maxInputBlock, int delayUnitRate);

    /// Clears the history. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;
    /// Takes the history and phase of `other`, prepared for the same rates and block size (another
    /// channel's resampler): it goes on as `other` would. Audio thread.
    void copyStateFrom(const Resampler& other) noexcept TORCHAMP_NONBLOCKING;

    /// Most output samples process() can produce for numInput input samples.
    int maxOutputFor(int numInput) const noexcept { return maxOutputFor(down, up, numInput); }

    /// Most output samples a resampler from inRate to outRate produces for numInput input samples
    /// (needs no filter: for sizing buffers before one is designed).
    static int maxOutputFor(int inRate, int outRate, int numInput) noexcept;

    /// Consumes numInput samples and writes every output sample that has become computable
    /// (at most maxOutputFor(numInput)); returns how many. Audio thread.
    int process(const float* in, int numInput, float* out) noexcept TORCHAMP_NONBLOCKING;

    /// The filter's delay in seconds.
    double delaySeconds() const noexcept { return delay; }

    bool isIdentity() const noexcept { return up == 1 && down == 1; }

private:
    void designPhases(int inRate, int outRate, long halfLength, double protoRate);
    int processBlock(const float* in, int numInput, float* out) noexcept TORCHAMP_NONBLOCKING;

    int up = 1, down = 1;   // L, M
    int tapsPerPhase = 1;   // T
    std::vector<float> phases;  // [L][T], each phase's taps reversed to run forward over the history
    std::vector<float> history; // [T - 1 + maxInputBlock]: the last T-1 inputs, then the new block
    int phase = 0;              // (k M) mod L of the next output
    int nextInput = 0;          // index, relative to the new block, of the newest input it needs
    double delay = 0.0;
};

} // namespace torchamp
