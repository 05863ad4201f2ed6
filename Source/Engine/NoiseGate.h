#pragma once

#include "ModelRunner.h"
#include "RealtimeSafety.h"

#include <vector>

namespace torchamp
{

/** A noise gate in the manner of Neural Amp Modeler's: its gain is computed from the chain's input
    (listen(), before the model) and applied to the model's output (apply()), so the hiss the model
    adds is gated too. The gain is delayed by the model's latency on the way, so it meets the
    output of the audio it was computed from.

    The level is the input's power smoothed with a 10 ms half-life (the louder channel's, so
    every channel gets the same gain). While the gate is open it holds for 10 ms once the level
    falls below threshold - hysteresis, then moves: towards a gain reduction of
    ratio * (level - threshold)^2 dB below the threshold (ratio 0.1, NAM's quadratic curve), by
    at most the range from full reduction to none per attack time when opening, and per release
    time when closing. Full reduction is the curve's value at -120 dB. Threshold, attack,
    release and hysteresis take effect at once; the gain itself only ever moves at those rates.

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class NoiseGate
{
public:
    static constexpr double levelHalfLifeSeconds = 0.010;
    static constexpr double holdSeconds = 0.010;
    static constexpr double ratio = 0.1;
    static constexpr double floorDb = -120.0;
    /// Longest model latency the gain can be delayed by.
    static constexpr int maxDelay = 16384;

    void prepare(const HostConfig& config, double sampleRate);
    /// Open, with the level at the floor.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Off, the gate opens at the attack rate and then leaves the audio untouched.
    void setEnabled(bool enabled) noexcept TORCHAMP_NONBLOCKING;
    void setThresholdDb(float db) noexcept TORCHAMP_NONBLOCKING;
    void setAttackMs(float ms) noexcept TORCHAMP_NONBLOCKING;
    void setReleaseMs(float ms) noexcept TORCHAMP_NONBLOCKING;
    void setHysteresisDb(float db) noexcept TORCHAMP_NONBLOCKING;

    /// Makes channel `to`'s level a copy of channel `from`'s (channels outside the prepared count
    /// are ignored). Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING;

    /// Computes the gain for n samples of the input (n <= the prepared block size).
    void listen(const float* const* in, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;
    /// Multiplies n samples of the model's output by the gain listen() computed `delay` samples
    /// earlier (the model's latency).
    void apply(float* const* io, int numChannels, int n, int delay) noexcept TORCHAMP_NONBLOCKING;

    /// The gain reduction of the last sample listen() saw, in dB (0 when open). Audio thread.
    float gainReductionDb() const noexcept { return static_cast<float>(reductionDb); }

private:
    enum class State
    {
        holding, // open
        moving,
    };

    double targetReduction(double levelDb) const noexcept TORCHAMP_NONBLOCKING;
    double maxReduction() const noexcept TORCHAMP_NONBLOCKING { return targetReduction(floorDb); }
    float nextGain(double levelPower) noexcept TORCHAMP_NONBLOCKING;
    void updateClosingLevel() noexcept TORCHAMP_NONBLOCKING;

    double rate = 48000.0;
    double alpha = 0.0; // level smoothing per sample
    bool enabled = false;
    double thresholdDb = -80.0, hysteresisDb = 0.0, attackSeconds = 0.005, releaseSeconds = 0.050;
    double closeBelowPower = 1e-8; // the power of thresholdDb - hysteresisDb
    State state = State::holding;
    double reductionDb = 0.0;
    double timeHeld = 0.0;
    std::vector<double> power; // per channel
    std::vector<float> gains;  // ring of computed gains
    int write = 0;
};

} // namespace torchamp
