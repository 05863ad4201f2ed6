#pragma once

#include "RealtimeSafety.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

/** Gains in dB as the chain accepts them: from -96 dB (near silence) to +48 dB. */
struct Decibels
{
    static constexpr float minimum = -96.0f;
    static constexpr float maximum = 48.0f;

    /// The linear gain of `db`, clamped to [minimum, maximum]; a value that is not a number is 0 dB.
    static float toGain(float db) noexcept TORCHAMP_NONBLOCKING
    {
        return std::isfinite(db) ? std::pow(10.0f, std::clamp(db, minimum, maximum) / 20.0f) : 1.0f;
    }
};

} // namespace torchamp
