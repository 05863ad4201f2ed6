#pragma once

#include "RealtimeSafety.h"
#include "SmoothedValue.h"

#include <limits>

namespace torchamp
{

/** The first stage: the user's input gain plus, when input calibration is on, the gain that makes
    the model see the level it was trained at (Neural Amp Modeler's "calibrate input").

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class InputGain
{
public:
    /// The gain calibration adds, in dB: the interface's level (dBu at 0 dBFS) minus the model's
    /// input level (dBu at 0 dBFS in its training data), as NAM's plugin computes it, when
    /// calibration is enabled and the model states its level; 0 otherwise. Any thread.
    static float calibrationDb(bool enabled, float interfaceLevelDbu, float modelInputLevelDbu) noexcept;

    /// Sets the smoothing for `sampleRate` and jumps to the current settings.
    void prepare(double sampleRate, double smoothingSeconds);

    void setGainDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setCalibration(bool enabled, float interfaceLevelDbu) noexcept TORCHAMP_NONBLOCKING;
    /// The playing model's input level (ModelSpec::inputLevelDbu; NaN when it does not say).
    void setModelInputLevel(float dbu) noexcept TORCHAMP_NONBLOCKING;
    /// Ends any glide: the gain is its target from the next sample on.
    void settle() noexcept TORCHAMP_NONBLOCKING { gain.snap(); }

    /// Multiplies every channel by the smoothed gain.
    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

private:
    void updateTarget() noexcept TORCHAMP_NONBLOCKING;

    SmoothedValue gain{1.0f};
    float gainDb = 0.0f;
    bool calibrate = false;
    float interfaceDbu = 0.0f;
    float modelDbu = std::numeric_limits<float>::quiet_NaN();
};

} // namespace torchamp
