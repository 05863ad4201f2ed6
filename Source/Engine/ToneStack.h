#pragma once

#include "Biquad.h"
#include "ModelRunner.h"
#include "RealtimeSafety.h"
#include "SmoothedValue.h"

#include <array>
#include <vector>

namespace torchamp
{

/** Bass, middle, treble and presence after the model, each from -12 dB to +12 dB, flat at 0 dB:

    | band     | shape      | frequency | Q     |
    |----------|------------|-----------|-------|
    | bass     | low shelf  | 150 Hz    | 0.707 |
    | middle   | peaking    | 425 Hz    | 0.7   |
    | treble   | high shelf | 1.8 kHz   | 0.707 |
    | presence | high shelf | 4.5 kHz   | 0.707 |

    Bass, middle and treble sit where Neural Amp Modeler's tone stack puts them; presence lifts
    the top an amp's presence control works on, above the treble shelf. Gains glide linearly in
    dB over smoothingSeconds and the coefficients follow every updateInterval samples, so
    automation never steps. While every band is at 0 dB (or the stack is off, which glides every
    band to 0 dB) the audio passes through untouched, bit for bit.

    Threads: prepare() off the audio thread; the rest on the audio thread. */
class ToneStack
{
public:
    enum Band
    {
        bass,
        middle,
        treble,
        presence,
        numBands,
    };

    struct BandDesign
    {
        BiquadShape shape;
        double frequency;
        double q;
    };
    static constexpr std::array<BandDesign, numBands> designs{{
        {BiquadShape::lowShelf, 150.0, 0.707},
        {BiquadShape::peaking, 425.0, 0.7},
        {BiquadShape::highShelf, 1800.0, 0.707},
        {BiquadShape::highShelf, 4500.0, 0.707},
    }};
    static constexpr float maxGainDb = 12.0f;
    static constexpr int updateInterval = 16;

    void prepare(const HostConfig& config, double sampleRate, double smoothingSeconds);
    /// Clears the filters' state. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Makes channel `to`'s filter state a copy of channel `from`'s (channels outside the prepared
    /// count are ignored). Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING;

    void setEnabled(bool enabled) noexcept TORCHAMP_NONBLOCKING;
    /// Clamped to +-maxGainDb; a value that is not a number leaves the band as it was.
    void setGainDb(Band band, float db) noexcept TORCHAMP_NONBLOCKING;

    void process(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;

private:
    bool isFlat() const noexcept;
    void updateTargets() noexcept TORCHAMP_NONBLOCKING;
    void redesign(int band) noexcept TORCHAMP_NONBLOCKING;
    void followInput(float* const* io, int numChannels, int n) noexcept TORCHAMP_NONBLOCKING;
    void filter(float* const* io, int numChannels, int start, int count) noexcept TORCHAMP_NONBLOCKING;

    double rate = 48000.0;
    bool enabled = true;
    std::array<float, numBands> userDb{};
    std::array<SmoothedValue, numBands> gainDb{};
    std::array<Biquad, numBands> filters{};
    std::vector<std::array<Biquad::State, numBands>> states; // per channel
};

} // namespace torchamp
