#pragma once

#include "Limits.h"

#include <cstddef>
#include <string>
#include <vector>

namespace torchamp
{

/** A cabinet impulse response as a file holds it: mono or stereo (left convolves channel 0, right
    channel 1; a mono response convolves every channel), at the file's own rate. preparedFor()
    makes the taps that are convolved at a host's rate.

    Plain data; any thread but the audio thread. */
struct ImpulseResponse
{
    /// The level Neural Amp Modeler's plugin plays impulse responses at: taps times
    /// 10^(levelDb / 20) * referenceRate / hostRate. The second factor keeps a cabinet's level
    /// when its response is resampled (a response at twice the rate has twice the taps).
    static constexpr float levelDb = -18.0f;
    static constexpr double referenceRate = 48000.0;
    /// Samples before the first one within this many dB of the response's peak (on any
    /// channel) are leading silence, and are removed.
    static constexpr float leadingSilenceDb = -60.0f;

    std::string name; ///< shown to users: the file name, or the built-in response's name
    int sampleRate = 48000;
    std::vector<std::vector<float>> channels; ///< 1 or 2, of equal length

    int numChannels() const noexcept { return static_cast<int>(channels.size()); }
    std::size_t numFrames() const noexcept { return channels.empty() ? 0 : channels.front().size(); }

    /// Empty when the response can be played, else what is wrong with it ("the impulse response has
    /// 3 channels; ...").
    /// Checks ImpulseResponseLimits and HostLimits' rates, equal channel lengths, finite samples
    /// and that it is not silent.
    std::string validate() const;

    /// How many leading samples are silence (see leadingSilenceDb).
    std::size_t leadingSilence() const;

    /// The taps convolved at `hostRate`, one vector per channel: leading silence removed,
    /// resampled with the band-limited Resampler when the rates differ (its delay removed, as
    /// long as ceil(frames * hostRate / sampleRate), like scipy.signal.resample_poly), and
    /// scaled by the level law above. Throws std::invalid_argument when the rates cannot be
    /// converted (Resampler::describeUnsupported()). Not real-time safe.
    std::vector<std::vector<float>> preparedFor(double hostRate) const;
};

} // namespace torchamp
