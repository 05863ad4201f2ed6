#pragma once

#include "ImpulseResponse.h"
#include "ModelRunner.h"
#include "PartitionedConvolver.h"
#include "RealtimeSafety.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace torchamp
{

/** What the editor shows of a playing impulse response. */
struct CabinetInfo
{
    std::string name;
    int sampleRate = 0; ///< the file's
    int numChannels = 0;
    std::size_t numFrames = 0; ///< in the file
    int tapsAtHostRate = 0;    ///< convolved per channel, after trimming and resampling
    int latencySamples = 0;
    ConvolutionLatency latencyMode = ConvolutionLatency::zero;
};

/** An impulse response ready to play at a host's settings: its taps prepared for the host rate
    (ImpulseResponse::preparedFor()) and one convolver per host channel. An empty response (no
    channels) passes the audio through.

    Threads: built off the audio thread; reset() and process() are real-time safe. */
class CabinetResponse
{
public:
    /// Prepares `ir` (already validated) for `config` and `latency`. Throws std::invalid_argument
    /// with a message for the user when it cannot be resampled to the host's rate. At a host rate
    /// outside HostLimits it passes the audio through. Not real-time safe.
    CabinetResponse(ImpulseResponse ir, const HostConfig& config, ConvolutionLatency latency);

    /// The same response for other settings. Not real-time safe.
    std::unique_ptr<CabinetResponse> rebuildFor(const HostConfig& config, ConvolutionLatency latency) const;

    const ImpulseResponse& source() const noexcept { return response; }
    const HostConfig& config() const noexcept { return hostConfig; }
    ConvolutionLatency latencyMode() const noexcept { return mode; }
    bool isEmpty() const noexcept { return convolvers.empty(); }

    /// Delay of the output in host samples: 0, or the low-CPU mode's partition.
    int latencySamples() const noexcept { return latency; }
    /// Taps convolved per channel at the host's rate.
    int tapsAtHostRate() const noexcept { return kernels.empty() ? 0 : kernels.front()->numTaps(); }

    CabinetInfo info() const;

    /// Clears every channel's history. Audio thread.
    void reset() noexcept TORCHAMP_NONBLOCKING;

    /// Convolves n samples (n <= config().maxBlockSize) of numChannels channels from `in` into
    /// `out` (which may be `in`). Audio thread.
    void process(const float* const* in, float* const* out, int numChannels,
                 int n) noexcept TORCHAMP_NONBLOCKING;

private:
    ImpulseResponse response;
    HostConfig hostConfig;
    ConvolutionLatency mode;
    int latency = 0;
    std::vector<std::unique_ptr<ConvolutionKernel>> kernels;       // one per response channel
    std::vector<std::unique_ptr<PartitionedConvolver>> convolvers; // one per host channel
};

} // namespace torchamp
