#include "LayerBench.h"

#include "LayerNetwork.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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

std::vector<float> randomValues(size_t n, int fanIn, std::mt19937& rng)
{
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const float scale = 1.0f / std::sqrt(static_cast<float>(fanIn));
    std::vector<float> v(n);
    for (float& x : v)
        x = u(rng) * scale;
    return v;
}

LayerSpec dense(int inputs, int outputs, Activation activation, std::mt19937& rng)
{
    LayerSpec l;
    l.kind = LayerKind::dense;
    l.inputSize = inputs;
    l.outputSize = outputs;
    l.activation = activation;
    l.weight = randomValues(static_cast<size_t>(inputs * outputs), inputs, rng);
    l.bias = randomValues(static_cast<size_t>(outputs), inputs, rng);
    return l;
}

LayerSpec gru(int inputs, int hidden, std::mt19937& rng)
{
    LayerSpec l;
    l.kind = LayerKind::gru;
    l.inputSize = inputs;
    l.outputSize = hidden;
    auto& r = l.recurrent;
    r.type = CellType::gru;
    r.inputSize = inputs;
    r.hiddenSize = hidden;
    const auto rows = static_cast<size_t>(3 * hidden);
    r.weightIh = randomValues(rows * static_cast<size_t>(inputs), inputs, rng);
    r.weightHh = randomValues(rows * static_cast<size_t>(hidden), hidden, rng);
    r.biasIh = randomValues(rows, hidden, rng);
    r.biasHh = randomValues(rows, hidden, rng);
    return l;
}

LayerSpec conv(int inputs, int outputs, int kernelSize, int dilation, std::mt19937& rng)
{
    LayerSpec l;
    l.kind = LayerKind::conv1d;
    l.inputSize = inputs;
    l.outputSize = outputs;
    l.kernelSize = kernelSize;
    l.dilation = dilation;
    l.activation = Activation::tanh;
    l.weight = randomValues(static_cast<size_t>(outputs * inputs * kernelSize), inputs * kernelSize, rng);
    l.bias = randomValues(static_cast<size_t>(outputs), inputs * kernelSize, rng);
    return l;
}

std::vector<Model> models()
{
    std::mt19937 rng(7);
    std::vector<Model> all;
    for (int hidden : {8, 12, 16, 40})
    {
        Model m{"GRU 1x" + std::to_string(hidden), {}};
        m.spec.sequence = {gru(1, hidden, rng), dense(hidden, 1, Activation::identity, rng)};
        all.push_back(std::move(m));
    }
    Model mixed{"Dense 8 + Conv1d 8 + GRU 1x12", {}};
    mixed.spec.sequence = {dense(1, 8, Activation::tanh, rng), conv(8, 8, 3, 2, rng), gru(8, 12, rng),
                           dense(12, 1, Activation::identity, rng)};
    all.push_back(std::move(mixed));
    return all;
}

std::vector<float> signal(size_t n, unsigned seed)
{
    std::vector<float> x(n);
    unsigned state = seed;
    for (size_t i = 0; i < n; ++i)
    {
        state = state * 1664525u + 1013904223u;
        x[i] = 0.5f * std::sin(static_cast<float>(i) * 0.031f) +
               0.2f * (static_cast<float>(state >> 8) / 16777216.0f - 0.5f);
    }
    return x;
}

LayerRecord timeModel(const Model& m, kernels::Isa isa, const char* engine, int block, int channels,
                      bool quick)
{
    LayerNetwork net(m.spec, isa);
    net.prepare(channels, block);
    std::vector<std::vector<float>> in, out;
    std::vector<const float*> inPtr;
    std::vector<float*> outPtr;
    for (int c = 0; c < channels; ++c)
    {
        in.push_back(signal(static_cast<size_t>(block), 7u + static_cast<unsigned>(c)));
        out.emplace_back(static_cast<size_t>(block));
    }
    for (int c = 0; c < channels; ++c)
    {
        inPtr.push_back(in[static_cast<size_t>(c)].data());
        outPtr.push_back(out[static_cast<size_t>(c)].data());
    }
    auto run = [&] { net.process(inPtr.data(), outPtr.data(), channels, block); };
    for (int i = 0; i < std::max(5, 2048 / block); ++i)
        run();
    const double seconds = quick ? 0.04 : 0.25;
    const size_t minBlocks = quick ? 30 : 200;
    std::vector<double> t;
    const auto start = Clock::now();
    while (t.size() < minBlocks || std::chrono::duration<double>(Clock::now() - start).count() < seconds)
    {
        const auto t0 = Clock::now();
        run();
        t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    LayerRecord r;
    r.model = m.name;
    r.engine = engine;
    r.block = block;
    r.channels = channels;
    r.p50Ns = t[t.size() / 2];
    r.p99Ns = t[t.size() * 99 / 100];
    r.maxNs = t.back();
    return r;
}

} // namespace

std::vector<LayerRecord> runLayerBench(bool quick)
{
    std::vector<std::pair<const char*, kernels::Isa>> engines;
    for (auto isa : {kernels::Isa::avx512, kernels::Isa::avx2, kernels::Isa::generic})
        if (kernels::findLayerKernels(isa) != nullptr)
            engines.emplace_back(kernels::isaName(isa), isa);
    std::vector<LayerRecord> records;
    std::printf(
        "\nLayer engine (RTNeural / Keras sequences, random weights), ns per sample\n%-30s %-8s %5s %3s %11s "
        "%10s %10s\n",
        "model", "engine", "block", "ch", "ns/sample", "p99 us", "max us");
    auto print = [&](const LayerRecord& r)
    {
        std::printf("%-30s %-8s %5d %3d %11.1f %10.2f %10.2f\n", r.model.c_str(), r.engine.c_str(), r.block,
                    r.channels, r.nsPerSample(), r.p99Ns / 1e3, r.maxNs / 1e3);
        std::fflush(stdout);
        records.push_back(r);
    };
    for (const auto& m : models())
    {
        for (const auto& [name, isa] : engines)
            print(timeModel(m, isa, name, 128, 1, quick));
        for (int block : quick ? std::vector<int>{128} : std::vector<int>{16, 128, 2048})
            for (int channels : {1, 2})
                print(timeModel(m, kernels::bestIsa(), "native", block, channels, quick));
    }
    return records;
}

void writeLayerJson(std::ostream& out, const std::vector<LayerRecord>& records)
{
    out << "[";
    for (size_t i = 0; i < records.size(); ++i)
    {
        const auto& r = records[i];
        out << (i ? ",\n    " : "\n    ") << "{\"model\": \"" << r.model << "\", \"engine\": \"" << r.engine
            << "\", \"block\": " << r.block << ", \"channels\": " << r.channels
            << ", \"ns_per_sample\": " << r.nsPerSample() << ", \"block_ns\": {\"p50\": " << r.p50Ns
            << ", \"p99\": " << r.p99Ns << ", \"max\": " << r.maxNs << "}}";
    }
    out << "\n  ]";
}

} // namespace torchamp::bench
