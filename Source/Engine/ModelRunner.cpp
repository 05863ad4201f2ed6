#include "ModelRunner.h"

#include "ChannelCopy.h"
#include "NativeEngineFactory.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace torchamp
{

namespace
{
// Host-rate samples kept in each channel's output FIFO from the start: the resamplers produce
// one sample more or less than a block now and then, and the FIFO absorbs that.
constexpr int fifoPrefill = 2;
} // namespace

int ModelRunner::alignedModelBlock(int modelBlock, int modelRate, double hostRate)
{
    const auto host = static_cast<long>(std::lround(hostRate));
    const long unit = modelRate / std::gcd(static_cast<long>(modelRate), host);
    return static_cast<int>((modelBlock + unit - 1) / unit * unit);
}

int ModelRunner::maxModelBlock(const ModelSpec& spec, const HostConfig& config)
{
    const auto prepared = config.prepared();
    if (!prepared.problem().empty())
        return prepared.maxBlockSize;
    const auto hostRate = static_cast<int>(std::lround(prepared.sampleRate));
    return hostRate == spec.sampleRate ? prepared.maxBlockSize
                                       : Resampler::maxOutputFor(hostRate, spec.sampleRate, prepared.maxBlockSize);
}

std::string ModelRunner::describeUnplayable(const ModelSpec& spec, const HostConfig& config)
{
    if (auto problem = config.problem(); !problem.empty())
        return problem;
    const auto hostRate = static_cast<int>(std::lround(config.sampleRate));
    if (hostRate == spec.sampleRate)
        return {};
    auto problem = Resampler::describeUnsupported(hostRate, spec.sampleRate, hostRate);
    if (problem.empty())
        problem = Resampler::describeUnsupported(spec.sampleRate, hostRate, hostRate);
    return problem.empty() ? problem : "the model runs at " + std::to_string(spec.sampleRate) + " Hz and the audio at "
                                           + std::to_string(hostRate) + " Hz: " + problem;
}

ModelRunner::ModelRunner(const ModelSpec& spec, const HostConfig& config, EngineFactory makeEngine)
    : modelSpec(spec), hostConfig(config.prepared()), engineFactory(std::move(makeEngine)),
      unplayable(describeUnplayable(spec, hostConfig))
{
    engine = !unplayable.empty() ? std::make_unique<PassThroughEngine>()
             : engineFactory     ? engineFactory()
                                 : makeNativeEngine(spec);
    channels.resize(static_cast<size_t>(hostConfig.numChannels));
    const int modelBlock = maxModelBlock(spec, hostConfig);
    const auto hostRate = unplayable.empty() ? static_cast<int>(std::lround(hostConfig.sampleRate)) : spec.sampleRate;
    resampling = hostRate != spec.sampleRate;
    if (resampling)
        prepareResamplers(hostRate, modelBlock);
    engine->prepare(hostConfig.numChannels,
                    resampling ? alignedModelBlock(modelBlock, spec.sampleRate, hostConfig.sampleRate) : modelBlock);
    // The engine's own delay, in host samples (whole, when the engine uses alignedModelBlock()).
    latency += static_cast<int>(std::lround(static_cast<double>(engine->latencySamples()) * hostRate / spec.sampleRate));
    modelIn.resize(hostConfig.numChannels, modelBlock);
    modelOut.resize(hostConfig.numChannels, modelBlock);
    reset();
}

void ModelRunner::prepareResamplers(int hostRate, int modelBlock)
{
    // Every channel gets the same filters: designed once, copied.
    auto& first = channels.front();
    first.toModel.prepare(hostRate, modelSpec.sampleRate, hostConfig.maxBlockSize, hostRate);
    first.toHost.prepare(modelSpec.sampleRate, hostRate, modelBlock, hostRate);
    first.fifo.assign(static_cast<size_t>(first.toHost.maxOutputFor(modelBlock) + hostConfig.maxBlockSize + fifoPrefill),
                      0.0f);
    std::fill(channels.begin() + 1, channels.end(), first);
    latency = static_cast<int>(std::lround((first.toModel.delaySeconds() + first.toHost.delaySeconds()) * hostRate))
              + fifoPrefill;
    hostOut.assign(static_cast<size_t>(first.toHost.maxOutputFor(modelBlock)), 0.0f);
}

std::unique_ptr<ModelRunner> ModelRunner::rebuildFor(const HostConfig& config) const
{
    return std::make_unique<ModelRunner>(modelSpec, config, engineFactory);
}

int ModelRunner::warmUpSamples() const noexcept
{
    if (!unplayable.empty())
        return 0;
    const auto seconds = std::lround(warmUpSeconds * hostConfig.sampleRate);
    // The engine's own need, in host samples, rounded up (plus one for the resampler's rounding).
    const double engineNeed = static_cast<double>(engine->warmUpSamples()) * hostConfig.sampleRate / modelSpec.sampleRate;
    const auto needed = static_cast<long>(std::ceil(engineNeed)) + (resampling ? 1 : 0);
    return static_cast<int>(std::max(seconds, needed));
}

void ModelRunner::warmUp()
{
    if (!unplayable.empty())
        return;
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
    engine->reset();
    for (auto& ch : channels)
    {
        ch.toModel.reset();
        ch.toHost.reset();
        std::fill(ch.fifo.begin(), ch.fifo.end(), 0.0f);
        ch.fifoFill = resampling ? fifoPrefill : 0;
    }
}

void ModelRunner::copyChannelState(int from, int to) noexcept
{
    if (!isChannelCopy(from, to, static_cast<int>(channels.size())))
        return;
    engine->copyChannelState(from, to);
    const auto& source = channels[static_cast<size_t>(from)];
    auto& target = channels[static_cast<size_t>(to)];
    target.toModel.copyStateFrom(source.toModel);
    target.toHost.copyStateFrom(source.toHost);
    std::copy(source.fifo.begin(), source.fifo.end(), target.fifo.begin());
    target.fifoFill = source.fifoFill;
}

void ModelRunner::process(const float* const* in, float* const* out, int numChannels, int n) noexcept
{
    numChannels = std::min(numChannels, hostConfig.numChannels);
    n = std::min(n, hostConfig.maxBlockSize);
    if (!resampling)
    {
        engine->process(in, out, numChannels, n);
        return;
    }

    // Every channel's resamplers run in step, so they all yield the same number of samples.
    int m = 0;
    for (int c = 0; c < numChannels; ++c)
        m = channels[static_cast<size_t>(c)].toModel.process(in[c], n, modelIn.channel(c));
    engine->process(modelIn.pointers(), modelOut.pointers(), numChannels, m);

    for (int c = 0; c < numChannels; ++c)
    {
        auto& ch = channels[static_cast<size_t>(c)];
        const int k = ch.toHost.process(modelOut.channel(c), m, hostOut.data());
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
