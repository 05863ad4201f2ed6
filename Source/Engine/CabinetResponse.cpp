#include "CabinetResponse.h"

#include <algorithm>

namespace torchamp
{

CabinetResponse::CabinetResponse(ImpulseResponse ir, const HostConfig& config, ConvolutionLatency latencyMode)
    : response(std::move(ir)), hostConfig(config.prepared()), mode(latencyMode)
{
    if (response.channels.empty() || !hostConfig.problem().empty())
        return;
    const int partition = ConvolutionKernel::lowCpuPartition(hostConfig.sampleRate);
    for (const auto& taps : response.preparedFor(hostConfig.sampleRate))
        kernels.push_back(std::make_unique<ConvolutionKernel>(taps, mode, partition));
    latency = kernels.front()->latencySamples();
    // A stereo response on more channels than two: left on the even ones, right on the odd.
    for (int c = 0; c < hostConfig.numChannels; ++c)
        convolvers.push_back(
            std::make_unique<PartitionedConvolver>(*kernels[static_cast<size_t>(c) % kernels.size()]));
}

std::unique_ptr<CabinetResponse> CabinetResponse::rebuildFor(const HostConfig& config,
                                                             ConvolutionLatency latencyMode) const
{
    return std::make_unique<CabinetResponse>(response, config, latencyMode);
}

CabinetInfo CabinetResponse::info() const
{
    CabinetInfo i;
    i.name = response.name;
    i.sampleRate = response.sampleRate;
    i.numChannels = response.numChannels();
    i.numFrames = response.numFrames();
    i.tapsAtHostRate = tapsAtHostRate();
    i.latencySamples = latency;
    i.latencyMode = mode;
    return i;
}

void CabinetResponse::reset() noexcept
{
    for (auto& c : convolvers)
        c->reset();
}

void CabinetResponse::process(const float* const* in, float* const* out, int numChannels, int n) noexcept
{
    numChannels = std::min(numChannels, hostConfig.numChannels);
    for (int c = 0; c < numChannels; ++c)
    {
        if (convolvers.empty())
            std::copy(in[c], in[c] + n, out[c]);
        else
            convolvers[static_cast<size_t>(c)]->process(in[c], out[c], n);
    }
}

} // namespace torchamp
