#pragma once

namespace torchamp
{

/// Whether copyChannelState(from, to) on something with `channels` channels has anything to do:
/// two different channels, both within the count. The one rule every stage's and engine's
/// copyChannelState() follows.
constexpr bool isChannelCopy(int from, int to, int channels) noexcept
{
    return from != to && from >= 0 && to >= 0 && from < channels && to < channels;
}

} // namespace torchamp
