#include "Limits.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace torchamp
{

std::string HostLimits::describeUnsupportedSampleRate(double rate, const std::string& who)
{
    if (supportsSampleRate(rate))
        return {};
    std::ostringstream s;
    s << std::setprecision(12) << who << "'s sample rate, " << rate << (std::isfinite(rate) ? " Hz" : "")
      << ", is outside the " << minSampleRate / 1000.0 << " kHz.." << maxSampleRate / 1000.0
      << " kHz TorchAmp supports";
    return s.str();
}

int HostLimits::preparedBlockSize(int announced) noexcept
{
    return announced < 1 ? defaultBlockSize : std::min(announced, maxBlockSize);
}

int HostLimits::preparedChannels(int announced) noexcept
{
    return std::clamp(announced, 1, maxChannels);
}

} // namespace torchamp
