#include "DryPath.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

void DryPath::prepare(const HostConfig& config)
{
    const auto channels = static_cast<size_t>(config.numChannels);
    const auto block = static_cast<size_t>(config.maxBlockSize);
    line.assign(channels, std::vector<float>(static_cast<size_t>(maxDelay) + block, 0.0f));
    write = 0;
    delayed.assign(channels, std::vector<float>(block, 0.0f));
    dryPointers.clear();
    for (auto& d : delayed)
        dryPointers.push_back(d.data());
}

void DryPath::capture(float* const* io, int numChannels, int n, int delay) noexcept
{
    const int capacity = static_cast<int>(line.front().size());
    delay = std::clamp(delay, 0, maxDelay);
    for (int c = 0; c < numChannels; ++c)
    {
        float* x = io[c];
        auto& ring = line[static_cast<size_t>(c)];
        float* out = delayed[static_cast<size_t>(c)].data();
        int w = write;
        for (int i = 0; i < n; ++i)
        {
            // Non-finite input is silence from here on: it must reach neither the model nor the mix.
            const float v = std::isfinite(x[i]) ? x[i] : 0.0f;
            x[i] = v;
            ring[static_cast<size_t>(w)] = v;
            int r = w - delay;
            if (r < 0)
                r += capacity;
            out[i] = ring[static_cast<size_t>(r)];
            if (++w == capacity)
                w = 0;
        }
    }
    write = (write + n) % capacity;
}

} // namespace torchamp
