#pragma once

#include "RealtimeSafety.h"

namespace torchamp
{

/** The filter shapes of the tone stack, from the Audio EQ Cookbook (R. Bristow-Johnson). */
enum class BiquadShape
{
    lowShelf,
    peaking,
    highShelf,
};

/** A second-order section in direct form I, in double precision (low shelves at high rates put
    poles within about 1e-5 of the unit circle). At 0 dB gain every shape is exactly flat: its
    numerator equals its denominator.

    Threads: design() anywhere; process() on the audio thread. */
class Biquad
{
public:
    struct State
    {
        double x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0;
    };

    /// The cookbook filter of `shape` at `frequency` Hz (kept below 0.45 of the rate), `q` and
    /// `gainDb`, for `sampleRate`. Audio thread safe (no allocation).
    static Biquad design(BiquadShape shape, double sampleRate, double frequency, double q,
                         double gainDb) noexcept TORCHAMP_NONBLOCKING;

    double process(double x, State& s) const noexcept TORCHAMP_NONBLOCKING
    {
        const double y = b0 * x + b1 * s.x1 + b2 * s.x2 - a1 * s.y1 - a2 * s.y2;
        s.x2 = s.x1;
        s.x1 = x;
        s.y2 = s.y1;
        s.y1 = y;
        return y;
    }

private:
    double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0; // normalised by a0
};

} // namespace torchamp
