#pragma once

#include "ChannelCopy.h"
#include "RealtimeSafety.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace torchamp
{

/** A per-channel delay of up to a fixed number of samples, which may change from block to block
    (the latency of whatever plays beside it).

    Threads: prepare() off the audio thread (it allocates); process() on the audio thread. */
class DelayLine
{
public:
    /// Zeroed rings for `channels` channels, delays up to maxDelay and blocks up to maxBlockSize.
    void prepare(int channels, int maxDelay, int maxBlockSize)
    {
        longest = maxDelay;
        rings.assign(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(maxDelay + maxBlockSize), 0.0f));
        write = 0;
    }

    /// out[c][i] = in[c][i - delay] for n samples (n at most the prepared block size), the delay
    /// brought within [0, maxDelay]. `in` and `out` may be the same buffers.
    void process(const float* const* in, float* const* out, int numChannels, int n,
                 int delay) noexcept TORCHAMP_NONBLOCKING
    {
        const int capacity = static_cast<int>(rings.front().size());
        delay = std::clamp(delay, 0, longest);
        for (int c = 0; c < numChannels; ++c)
        {
            auto& ring = rings[static_cast<size_t>(c)];
            int w = write;
            for (int i = 0; i < n; ++i)
            {
                ring[static_cast<size_t>(w)] = in[c][i];
                int r = w - delay;
                if (r < 0)
                    r += capacity;
                out[c][i] = ring[static_cast<size_t>(r)];
                if (++w == capacity)
                    w = 0;
            }
        }
        write = (write + n) % capacity;
    }

    /// Makes channel `to`'s ring a copy of channel `from`'s (channels outside the prepared count
    /// are ignored). Audio thread.
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING
    {
        if (!isChannelCopy(from, to, static_cast<int>(rings.size())))
            return;
        const auto& source = rings[static_cast<size_t>(from)];
        std::copy(source.begin(), source.end(), rings[static_cast<size_t>(to)].begin());
    }

private:
    std::vector<std::vector<float>> rings; // [channel][maxDelay + block]
    int longest = 0;
    int write = 0;
};

} // namespace torchamp
