#include "DryPath.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

void DryPath::prepare(const HostConfig& config)
{
    line.prepare(config.numChannels, maxDelay, config.maxBlockSize);
    delayed.resize(config.numChannels, config.maxBlockSize);
}

void DryPath::capture(float* const* io, int numChannels, int n, int delay) noexcept
{
    // Non-finite input is silence from here on: it must reach neither the model nor the mix.
    for (int c = 0; c < numChannels; ++c)
        for (int i = 0; i < n; ++i)
            io[c][i] = std::isfinite(io[c][i]) ? io[c][i] : 0.0f;
    line.process(io, delayed.pointers(), numChannels, n, delay);
}

} // namespace torchamp
