#include "WaveNetBench.h"

#include "ModelLoader.h"
#include "ToolSupport.h"
#include "WaveNet.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>

namespace torchamp::bench
{

namespace
{

using Clock = std::chrono::steady_clock;

struct Model
{
    std::string name;
    ModelSpec spec;
};

/** The trainer's configuration of `size` with random weights scaled by 1 / sqrt(fan-in), so the
    activations sit where trained models have them rather than at saturation. */
ModelSpec randomWaveNet(WaveNetSize size)
{
    auto net = WaveNetSpec::ofSize(size);
    std::mt19937 rng(42);
    auto fill = [&](std::vector<float>& w, int fanIn)
    {
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        const float scale = 1.0f / std::sqrt(static_cast<float>(fanIn));
        for (float& x : w)
            x = u(rng) * scale;
    };
    for (auto& a : net.arrays)
    {
        fill(a.rechannelWeight, a.inputSize);
        for (auto& l : a.layers)
        {
            fill(l.convWeight, a.channels * l.kernelSize);
            fill(l.convBias, a.channels);
            fill(l.mixinWeight, 1);
            fill(l.outputWeight, a.channels);
            fill(l.outputBias, a.channels);
        }
        fill(a.headWeight, a.channels);
        fill(a.headBias, a.channels);
    }
    ModelSpec spec;
    spec.name = WaveNetSpec::sizeName(size);
    spec.wavenet = std::make_shared<const WaveNetSpec>(std::move(net));
    return spec;
}

/** Multiply-adds per sample the engine cannot avoid (the last layer's 1x1 leads nowhere). */
long long multiplyAdds(const WaveNetSpec& net)
{
    long long n = 0;
    for (size_t a = 0; a < net.arrays.size(); ++a)
    {
        const auto& array = net.arrays[a];
        const long long c = array.channels;
        n += c * array.inputSize + array.headSize * c;
        for (size_t l = 0; l < array.layers.size(); ++l)
        {
            const auto& layer = array.layers[l];
            const long long z = layer.convChannels(array.channels);
            const bool leadsNowhere = a + 1 == net.arrays.size() && l + 1 == array.layers.size();
            n += z * c * layer.kernelSize + z + (leadsNowhere ? 0 : c * c);
        }
    }
    return n;
}

WaveNetRecord timeEngine(const Model& model, kernels::Isa isa, const std::string& engineName, int block,
                         int channels, bool quick)
{
    WaveNet net(model.spec, isa);
    net.prepare(channels, block);
    std::vector<std::vector<float>> in, out;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (int c = 0; c < channels; ++c)
    {
        std::vector<float> x(static_cast<size_t>(block));
        for (size_t i = 0; i < x.size(); ++i)
            x[i] = 0.4f * std::sin(0.031f * static_cast<float>(i)) + 0.1f * u(rng);
        in.push_back(std::move(x));
        out.emplace_back(static_cast<size_t>(block));
    }
    std::vector<const float*> inPtr;
    std::vector<float*> outPtr;
    for (int c = 0; c < channels; ++c)
    {
        inPtr.push_back(in[static_cast<size_t>(c)].data());
        outPtr.push_back(out[static_cast<size_t>(c)].data());
    }
    auto run = [&] { net.process(inPtr.data(), outPtr.data(), channels, block); };

    // A receptive field first, so every history is in use as it is while playing.
    for (int done = 0; done < net.warmUpSamples() + 4096; done += block)
        run();
    const double seconds = quick ? 0.05 : 0.25;
    const size_t minBlocks = quick ? 30 : 200;
    std::vector<double> ns;
    const auto start = Clock::now();
    while (ns.size() < minBlocks || std::chrono::duration<double>(Clock::now() - start).count() < seconds)
    {
        const auto t0 = Clock::now();
        run();
        ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    WaveNetRecord r;
    r.model = model.name;
    r.engine = engineName;
    r.weights = model.spec.wavenet->numWeights();
    r.multiplyAdds = multiplyAdds(*model.spec.wavenet);
    r.block = block;
    r.channels = channels;
    r.p50Ns = tools::percentile(ns, 0.5);
    r.p99Ns = tools::percentile(ns, 0.99);
    r.maxNs = tools::percentile(ns, 1.0);
    return r;
}

std::vector<Model> modelsToTime(const WaveNetBenchOptions& options)
{
    std::vector<Model> models;
    for (auto size : {WaveNetSize::standard, WaveNetSize::lite, WaveNetSize::feather, WaveNetSize::nano})
        models.push_back({WaveNetSpec::sizeName(size), randomWaveNet(size)});
    for (const auto& file : options.files)
    {
        auto loaded = loadModelFile(file);
        if (!loaded)
            std::cerr << loaded.error() << "\n";
        else if (!loaded->spec.wavenet)
            std::cerr << file << ": not a WaveNet\n";
        else
            models.push_back({file.substr(file.find_last_of('/') + 1), loaded->spec});
    }
    return models;
}

void printRecord(const WaveNetRecord& r, const MachinePeak& peak)
{
    const double floor =
        peak.bestLanes() > 0 && peak.ghz > 0 ? r.multiplyAdds / peak.bestLanes() / peak.ghz : 0.0;
    std::printf("%-24s %-8s %8lld %7lld %5d %3d %10.1f %10.1f %9.2f %9.2f %9.2f %8.1f\n", r.model.c_str(),
                r.engine.c_str(), r.weights, r.multiplyAdds, r.block, r.channels, r.nsPerSample(),
                (r.block / 48000.0 * 1e9) / r.p50Ns, r.p50Ns / 1e3, r.p99Ns / 1e3, r.maxNs / 1e3, floor);
}

const WaveNetRecord* find(const std::vector<WaveNetRecord>& records, const std::string& model, int block,
                          int channels)
{
    for (const auto& r : records)
        if (r.model == model && r.engine == "native" && r.block == block && r.channels == channels)
            return &r;
    return nullptr;
}

void printRatios(const std::vector<Model>& models, const std::vector<WaveNetRecord>& records)
{
    std::printf("\n%-24s %22s %22s %22s\n", "model", "stereo/mono at 64", "stereo/mono at 2048",
                "16 / 64 (ns/sample)");
    for (const auto& m : models)
    {
        const auto *mono64 = find(records, m.name, 64, 1), *stereo64 = find(records, m.name, 64, 2);
        const auto *mono2048 = find(records, m.name, 2048, 1), *stereo2048 = find(records, m.name, 2048, 2);
        const auto* mono16 = find(records, m.name, 16, 1);
        if (mono64 && stereo64 && mono2048 && stereo2048 && mono16)
            std::printf("%-24s %22.2f %22.2f %22.2f\n", m.name.c_str(), stereo64->p50Ns / mono64->p50Ns,
                        stereo2048->p50Ns / mono2048->p50Ns, mono16->nsPerSample() / mono64->nsPerSample());
    }
}

} // namespace

std::vector<WaveNetRecord> runWaveNetBench(const MachinePeak& peak, const WaveNetBenchOptions& options)
{
    const auto models = modelsToTime(options);
    std::printf("\nWaveNet engine (Neural Amp Modeler trainer sizes with random weights, 48 kHz); floor: the "
                "multiply-adds at %.1f per cycle and %.2f GHz\n",
                peak.bestLanes(), peak.ghz);
    std::printf("%-24s %-8s %8s %7s %5s %3s %10s %10s %9s %9s %9s %8s\n", "model", "engine", "weights",
                "MACs", "block", "ch", "ns/sample", "x realtime", "p50 us", "p99 us", "max us", "floor ns");
    std::vector<WaveNetRecord> records;
    std::vector<std::pair<std::string, kernels::Isa>> isas;
    for (auto isa : {kernels::Isa::avx512, kernels::Isa::avx2, kernels::Isa::generic})
        if (kernels::findWaveNetKernels(isa) != nullptr)
            isas.emplace_back(kernels::isaName(isa), isa);
    for (const auto& model : models)
    {
        for (int block : {16, 64, 128, 2048})
            for (int channels : {1, 2})
            {
                records.push_back(
                    timeEngine(model, kernels::bestIsa(), "native", block, channels, options.quick));
                printRecord(records.back(), peak);
            }
        for (const auto& [name, isa] : isas)
        {
            records.push_back(timeEngine(model, isa, name, 64, 1, options.quick));
            printRecord(records.back(), peak);
        }
        std::fflush(stdout);
    }
    printRatios(models, records);
    return records;
}

void writeWaveNetJson(std::ostream& out, const std::vector<WaveNetRecord>& records)
{
    out << "[\n";
    for (size_t i = 0; i < records.size(); ++i)
    {
        const auto& r = records[i];
        out << "    {\"model\": \"" << r.model << "\", \"engine\": \"" << r.engine
            << "\", \"weights\": " << r.weights << ", \"multiply_adds\": " << r.multiplyAdds
            << ", \"block\": " << r.block << ", \"channels\": " << r.channels
            << ", \"ns_per_sample\": " << r.nsPerSample() << ", \"block_ns\": {\"p50\": " << r.p50Ns
            << ", \"p99\": " << r.p99Ns << ", \"max\": " << r.maxNs << "}}"
            << (i + 1 < records.size() ? "," : "") << "\n";
    }
    out << "  ]";
}

} // namespace torchamp::bench
