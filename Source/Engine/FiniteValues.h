#pragma once

#include <cmath>
#include <vector>

namespace torchamp
{

/** True when every value is a finite number: what a model's weights must be before an engine
    is built from them. Any thread. */
inline bool allFinite(const std::vector<float>& values)
{
    for (float x : values)
        if (!std::isfinite(x))
            return false;
    return true;
}

} // namespace torchamp
