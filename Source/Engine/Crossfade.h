#pragma once

#include <algorithm>

namespace torchamp
{

/** The linear crossfade of a swap (a model, a cabinet): into = a * into + (1 - a) * from on every
    channel, a rising from position / length to 1 over the block. Returns the position after the
    block. Audio thread. */
inline int crossfadeLinear(float* const* into, const float* const* from, int numChannels, int n, int position,
                           int length) noexcept
{
    const float step = 1.0f / static_cast<float>(length);
    for (int c = 0; c < numChannels; ++c)
    {
        float* w = into[c];
        const float* old = from[c];
        int p = position;
        for (int i = 0; i < n; ++i, ++p)
        {
            const float a = p < length ? static_cast<float>(p) * step : 1.0f;
            w[i] = a * w[i] + (1.0f - a) * old[i];
        }
    }
    return std::min(length, position + n);
}

} // namespace torchamp
