#pragma once

#include <cstddef>
#include <vector>

namespace torchamp
{

/** One block of floats per channel, sized in prepare() (it allocates: never on the audio thread),
    with the array of channel pointers that engines take. */
class ChannelBlocks
{
public:
    /** Zeroed blocks of `blockSize` floats for `channels` channels. Not on the audio thread. */
    void resize(int channels, int blockSize)
    {
        blocks.assign(static_cast<size_t>(channels),
                      std::vector<float>(static_cast<size_t>(blockSize), 0.0f));
        pointerArray.clear();
        for (auto& block : blocks)
            pointerArray.push_back(block.data());
    }

    float* channel(int c) noexcept { return pointerArray[static_cast<size_t>(c)]; }
    const float* channel(int c) const noexcept { return pointerArray[static_cast<size_t>(c)]; }
    float* const* pointers() noexcept { return pointerArray.data(); }
    const float* const* pointers() const noexcept { return pointerArray.data(); }

private:
    std::vector<std::vector<float>> blocks;
    std::vector<float*> pointerArray;
};

} // namespace torchamp
