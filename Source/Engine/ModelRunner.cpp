#include "ModelRunner.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

namespace
{
// Host-rate samples kept in each channel's output FIFO from the start: the resamplers produce
// one sample more or less than a block now and then, and the FIFO absorbs that.
constexpr int fifoPrefill = 2;
} // namespace

ModelRunner::ModelRunner(const ModelSpec& spec, const HostConfig& config)
    : modelSpec(spec), hostConfig(config), network(spec)
{
    hostConfig.maxBlockSize = std::max(1, hostConfig.maxBlockSize);
    hostConfig.numChannels = std::max(1, hostConfig.numChannels);
    network.prepare(hostConfig.numChannels);

    const auto hostRate = static_cast<int>(std::lround(hostConfig.sampleRate));
    resampling = hostRate != spec.sampleRate;
    channels.resize(static_cast<size_t>(hostConfig.numChannels));
    int modelBlock = hostConfig.maxBlockSize;
    if (resampling)
    {
        for (auto& ch : channels)
        {
            ch.toModel.prepare(hostRate, spec.sampleRate, hostConfig.maxBlockSize, hostRate);
            modelBlock = ch.toModel.maxOutputFor(hostConfig.maxBlockSize);
            ch.toHost.prepare(spec.sampleRate, hostRate, modelBlock, hostRate);
            ch.fifo.assign(static_cast<size_t>(ch.toHost.maxOutputFor(modelBlock) + hostConfig.maxBlockSize
                                               + fifoPrefill),
                           0.0f);
        }
        const auto& ch = channels.front();
        latency = static_cast<int>(std::lround((ch.toModel.delaySeconds() + ch.toHost.delaySeconds()) * hostRate))
                  + fifoPrefill;
        hostOut.assign(static_cast<size_t>(channels.front().toHost.maxOutputFor(modelBlock)), 0.0f);
    }
    modelIn.assign(static_cast<size_t>(modelBlock), 0.0f);
    modelOut.assign(static_cast<size_t>(modelBlock), 0.0f);
    reset();
}

int ModelRunner::warmUpSamples() const noexcept
{
    return static_cast<int>(std::lround(warmUpSeconds * hostConfig.sampleRate));
}

void ModelRunner::warmUp()
{
    std::vector<float> silence(static_cast<size_t>(hostConfig.maxBlockSize), 0.0f);
    std::vector<const float*> in(static_cast<size_t>(hostConfig.numChannels), silence.data());
    std::vector<std::vector<float>> outData(static_cast<size_t>(hostConfig.numChannels), silence);
    std::vector<float*> out;
    for (auto& o : outData)
        out.push_back(o.data());
    for (int done = 0, total = warmUpSamples(); done < total;)
    {
        const int n = std::min(hostConfig.maxBlockSize, total - done);
        process(in.data(), out.data(), hostConfig.numChannels, n);
        done += n;
    }
}

void ModelRunner::reset() noexcept
{
    network.reset();
    for (auto& ch : channels)
    {
        ch.toModel.reset();
        ch.toHost.reset();
        std::fill(ch.fifo.begin(), ch.fifo.end(), 0.0f);
        ch.fifoFill = resampling ? fifoPrefill : 0;
    }
}

void ModelRunner::process(const float* const* in, float* const* out, int numChannels, int n) noexcept
{
    numChannels = std::min(numChannels, hostConfig.numChannels);
    n = std::min(n, hostConfig.maxBlockSize);
    if (!resampling)
    {
        network.process(in, out, numChannels, n);
        return;
    }

    for (int c = 0; c < numChannels; ++c)
    {
        auto& ch = channels[static_cast<size_t>(c)];
        const int m = ch.toModel.process(in[c], n, modelIn.data());
        network.processChannel(c, modelIn.data(), modelOut.data(), m);
        const int k = ch.toHost.process(modelOut.data(), m, hostOut.data());
        const int room = static_cast<int>(ch.fifo.size()) - ch.fifoFill;
        const int accepted = std::min(k, room);
        std::copy(hostOut.data(), hostOut.data() + accepted, ch.fifo.data() + ch.fifoFill);
        ch.fifoFill += accepted;

        // Read n samples; should the FIFO ever run short, the missing tail is silence.
        const int available = std::min(n, ch.fifoFill);
        std::copy(ch.fifo.data(), ch.fifo.data() + available, out[c]);
        std::fill(out[c] + available, out[c] + n, 0.0f);
        std::copy(ch.fifo.data() + available, ch.fifo.data() + ch.fifoFill, ch.fifo.data());
        ch.fifoFill -= available;
    }
}

} // namespace torchamp
