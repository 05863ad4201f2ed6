#pragma once

#include "RealtimeSafety.h"

namespace torchamp
{

/** A parameter value that glides linearly to each new target over a fixed number of samples, so
    automation never steps. Every stage of the chain smooths its parameters with it.

    Threads: setLength() off the audio thread (or in prepare); the rest on the audio thread. */
class SmoothedValue
{
public:
    SmoothedValue() noexcept = default;
    explicit SmoothedValue(float initial) noexcept : current(initial), target(initial) {}

    /// The glide's length in samples (at least 1); the value jumps to its target.
    void setLength(int samples) noexcept
    {
        length = samples < 1 ? 1 : samples;
        snap();
    }

    /// Starts a glide from where the value is now to `t`, unless `t` is already the target.
    void setTarget(float t) noexcept TORCHAMP_NONBLOCKING
    {
        if (t == target)
            return;
        target = t;
        remaining = length;
        step = (target - current) / static_cast<float>(length);
    }

    /// Ends the glide: the value is its target from now on.
    void snap() noexcept TORCHAMP_NONBLOCKING
    {
        current = target;
        remaining = 0;
    }

    /// The value for the next sample.
    float next() noexcept TORCHAMP_NONBLOCKING
    {
        if (remaining > 0)
        {
            --remaining;
            current = remaining == 0 ? target : current + step;
        }
        return current;
    }

    /// Advances the glide by n samples at once (for stages that skip work while a value is settled).
    void skip(int n) noexcept TORCHAMP_NONBLOCKING
    {
        if (n >= remaining)
            snap();
        else
        {
            remaining -= n;
            current += step * static_cast<float>(n);
        }
    }

    bool isGliding() const noexcept { return remaining > 0; }
    float value() const noexcept { return current; }
    float targetValue() const noexcept { return target; }

private:
    float current = 0.0f, target = 0.0f, step = 0.0f;
    int remaining = 0, length = 1;
};

} // namespace torchamp
