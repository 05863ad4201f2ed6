// torchamp-bench: speed of every engine the plugin can run, in the build that ships.
//
//   torchamp-bench [--quick] [--json FILE] [--no-libtorch] [--no-python]
//                  [--wavenet-only | --no-wavenet] [--wavenet FILE.nam]...
//
// Engines: the native engine on each instruction-set path this CPU has (avx512, avx2, generic),
// the native engine as dispatched at run time ("native"), and LibTorch's TorchScript forward()
// per block. Models: contract LSTMs with random weights, written as TorchScript by Debian's
// Python and loaded through the plugin's own loader (which also checks native/LibTorch parity).
// Per configuration: warm-up, then blocks timed one by one; medians and tail percentiles.
// The "seed" benchmark replays the product's origin: one call on batch 1, 10 time steps,
// 8 features, LSTM hidden 64, in PyTorch eager (Python), LibTorch (C++) and the native engine.
// "Reading the default model": the native TorchScript reader against LibTorch's load and
// extractSpec, on the embedded default model (what happens when a plugin instance is created).
// Then the WaveNet engine on Neural Amp Modeler's sizes (WaveNetBench.cpp).
//
// The machine is shared: compare figures from one run, read medians, and see "load" in the JSON.

#include "MachinePeak.h"
#include "EmbeddedResources.h"
#include "ModelLoader.h"
#include "LayerBench.h"
#include "RecurrentNetwork.h"
#include "ToolSupport.h"
#include "TorchModule.h"
#include "TorchScriptReader.h"
#include "WaveNetBench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace torchamp;

namespace
{

using Clock = std::chrono::steady_clock;
constexpr double benchRate = 48000.0;

double nanosSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// Writes the models and runs the Python side of the seed benchmark. Prints one JSON line.
const char* pythonScript = R"PY(
import json, os, sys, time
from typing import List, Tuple
import torch
from torch import Tensor, nn
torch.set_num_threads(1)

class ContractLstm(nn.Module):
    sample_rate: int
    skip: bool
    knobs: List[str]
    knob_defaults: List[float]
    name: str
    description: str
    def __init__(self, inputs, hidden, layers):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.sample_rate = 48000
        self.skip = True
        self.knobs = ["feature%d" % k for k in range(1, inputs)]
        self.knob_defaults = [0.5] * (inputs - 1)
        self.name = "bench"
        self.description = "torchamp-bench model"
    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        return self.head(y) + x[:, :, 0:1], h, c

out, hiddens, layers, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.manual_seed(1)
for L in map(int, layers.split(",")):
    for H in map(int, hiddens.split(",")):
        torch.jit.script(ContractLstm(1, H, L).eval()).save(os.path.join(out, "lstm%dx%d.pt" % (L, H)))
seed = ContractLstm(8, 64, 1).eval()
torch.jit.script(seed).save(os.path.join(out, "seed.pt"))
x = torch.rand(1, 10, 8)
h = torch.zeros(1, 1, 64)
c = torch.zeros(1, 1, 64)
times = []
with torch.no_grad():
    for i in range(200):
        seed(x, h, c)
    for i in range(calls):
        t0 = time.perf_counter_ns()
        seed(x, h, c)
        times.append(time.perf_counter_ns() - t0)
times.sort()
print(json.dumps({"median_us": times[len(times) // 2] / 1e3, "p99_us": times[int(len(times) * 0.99)] / 1e3,
                  "calls": calls, "torch": torch.__version__}))
)PY";

struct Stats
{
    double p50 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;
};

Stats summarise(std::vector<double> t)
{
    Stats s;
    if (t.empty())
        return s;
    std::sort(t.begin(), t.end());
    s.p50 = tools::sortedQuantile(t, 0.5);
    s.p99 = tools::sortedQuantile(t, 0.99);
    s.p999 = tools::sortedQuantile(t, 0.999);
    s.max = t.back();
    double sum = 0;
    for (double v : t)
        sum += v;
    s.mean = sum / static_cast<double>(t.size());
    return s;
}

struct Record
{
    std::string engine;
    int layers, hidden, block, channels;
    Stats blockNs;
    double firstBlockNs;
    size_t blocks;
    double nsPerSample() const { return blockNs.p50 / block; }
    double realtimeFactor() const { return (block / benchRate * 1e9) / blockNs.p50; }
};

struct Budget
{
    double seconds;
    size_t minBlocks;
};

/** Times `run` block by block after `warmUp` blocks, until the budget is spent. */
template <class Run>
std::pair<Stats, size_t> timeBlocks(Run&& run, int block, const Budget& budget)
{
    const size_t maxBlocks = std::max<size_t>(budget.minBlocks, static_cast<size_t>(2e6 / block));
    std::vector<double> t;
    t.reserve(maxBlocks);
    const auto start = Clock::now();
    for (int i = 0; i < 5; ++i)
        run();
    while (t.size() < maxBlocks && (t.size() < budget.minBlocks || nanosSince(start) < budget.seconds * 1e9))
    {
        const auto t0 = Clock::now();
        run();
        t.push_back(nanosSince(t0));
    }
    return { summarise(std::move(t)), t.size() };
}

std::vector<float> signal(size_t n, unsigned seed)
{
    std::vector<float> x(n);
    unsigned state = seed;
    for (size_t i = 0; i < n; ++i)
    {
        state = state * 1664525u + 1013904223u;
        x[i] = 0.5f * std::sin(static_cast<float>(i) * 0.031f) + 0.2f * (static_cast<float>(state >> 8) / 16777216.0f - 0.5f);
    }
    return x;
}

/** One row kind of the native engine: an instruction set with the kernels it picks for the
    model, or with a given cell width (cellWidth > 0) to compare against. */
struct NativeChoice
{
    std::string name;
    kernels::Isa isa;
    int cellWidth = 0;
};

RecurrentNetwork makeNetwork(const ModelSpec& spec, const NativeChoice& choice)
{
    if (choice.cellWidth == 0)
        return RecurrentNetwork(spec, choice.isa);
    return RecurrentNetwork(spec, *kernels::findKernels(choice.isa, choice.cellWidth));
}

Record benchNative(const ModelSpec& spec, const NativeChoice& choice, int block, int channels, const Budget& budget)
{
    const std::string& name = choice.name;
    RecurrentNetwork net = makeNetwork(spec, choice);
    net.prepare(channels);
    std::vector<std::vector<float>> in, out;
    for (int c = 0; c < channels; ++c)
    {
        in.push_back(signal(static_cast<size_t>(block), 7u + static_cast<unsigned>(c)));
        out.emplace_back(static_cast<size_t>(block));
    }
    std::vector<const float*> inPtr;
    std::vector<float*> outPtr;
    for (int c = 0; c < channels; ++c)
    {
        inPtr.push_back(in[static_cast<size_t>(c)].data());
        outPtr.push_back(out[static_cast<size_t>(c)].data());
    }
    // What ModelRunner::warmUp does in prepareToPlay: run, then reset; the first block after it
    // should cost what every other block costs.
    for (int i = 0; i < std::max(1, 2048 / block); ++i)
        net.process(inPtr.data(), outPtr.data(), channels, block);
    net.reset();
    const auto t0 = Clock::now();
    net.process(inPtr.data(), outPtr.data(), channels, block);
    const double first = nanosSince(t0);

    auto [stats, n] = timeBlocks([&] { net.process(inPtr.data(), outPtr.data(), channels, block); }, block, budget);
    return { name, static_cast<int>(spec.layers.size()), spec.hiddenSize(), block, channels, stats, first, n };
}

/** A model as the plugin loads it (spec, parity with LibTorch) and LibTorch's own module of the same
    file, whose forward() the LibTorch rows time. */
struct BenchModel
{
    LoadedModel loaded;
    std::shared_ptr<const TorchModule> torch;
};

Result<BenchModel> loadBenchModel(const std::string& file)
{
    using R = Result<BenchModel>;
    auto loaded = loadModelFile(file);
    if (!loaded)
        return R::failure(loaded.error());
    auto bytes = readFileBytes(file, FileLimits::maxModelBytes);
    if (!bytes)
        return R::failure(bytes.error());
    auto module = TorchModule::load(*bytes, fileNameOf(file));
    if (!module)
        return R::failure(module.error());
    bool skipKnown = false;
    if (auto spec = (*module)->extractSpec(skipKnown); !spec)
        return R::failure(spec.error());
    return R::success({ std::move(*loaded), std::shared_ptr<const TorchModule>(std::move(*module)) });
}

Record benchLibTorch(const BenchModel& bench, int block, int channels, const Budget& budget)
{
    const auto& model = bench.loaded;
    std::vector<std::unique_ptr<TorchStream>> streams;
    std::vector<std::vector<float>> in, out;
    for (int c = 0; c < channels; ++c)
    {
        streams.push_back(std::make_unique<TorchStream>(bench.torch));
        in.push_back(signal(static_cast<size_t>(block), 7u + static_cast<unsigned>(c)));
        out.emplace_back(static_cast<size_t>(block));
    }
    const std::vector<float> knobs;
    auto run = [&] {
        for (int c = 0; c < channels; ++c)
            streams[static_cast<size_t>(c)]->process(in[static_cast<size_t>(c)].data(), out[static_cast<size_t>(c)].data(),
                                                     block, knobs);
    };
    for (int i = 0; i < 3; ++i)
        run();
    for (auto& s : streams)
        s->reset();
    const auto t0 = Clock::now();
    run();
    const double first = nanosSince(t0);
    auto [stats, n] = timeBlocks(run, block, budget);
    return { "libtorch", static_cast<int>(model.spec.layers.size()), model.spec.hiddenSize(), block, channels, stats,
             first, n };
}

std::string join(const std::vector<int>& v)
{
    std::string s;
    for (int x : v)
        s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

std::string runPython(const std::string& dir, const std::vector<int>& hiddens, const std::vector<int>& layers, int calls)
{
    const std::string script = dir + "/bench.py";
    std::ofstream(script) << pythonScript;
    const std::string cmd = std::string(TORCHAMP_PYTHON) + " " + script + " " + dir + " " + join(hiddens) + " "
                            + join(layers) + " " + std::to_string(calls);
    std::string output;
    if (FILE* p = popen(cmd.c_str(), "r"))
    {
        char buf[4096];
        while (fgets(buf, sizeof buf, p) != nullptr)
            output += buf;
        if (pclose(p) != 0)
            return "";
    }
    return output.empty() ? "" : output.substr(0, output.find_last_not_of('\n') + 1);
}

struct SeedResult
{
    std::string engine;
    Stats us;
    double maxAbsDiff = -1;
};

/** Reading the embedded default model: the native reader and, with `libtorch`, LibTorch's load
    and extractSpec; microseconds per read. */
std::vector<SeedResult> benchModelReading(bool libtorch, size_t reads)
{
    const auto bytes = resources::defaultModelBytes();
    std::vector<SeedResult> out;
    auto [nativeStats, n1] = timeBlocks([&] { (void) readTorchScript(bytes, resources::defaultModelName); }, 1,
                                        Budget { 0.0, reads });
    out.push_back({ "native reader", nativeStats, -1 });
    if (libtorch)
    {
        auto [torchStats, n2] = timeBlocks(
            [&] {
                bool skipKnown = false;
                if (auto m = TorchModule::load(bytes, resources::defaultModelName))
                    (void) (*m)->extractSpec(skipKnown);
            },
            1, Budget { 0.0, reads / 10 });
        out.push_back({ "LibTorch load + extractSpec", torchStats, -1 });
    }
    for (auto& r : out)
        for (double* v : { &r.us.p50, &r.us.p99, &r.us.p999, &r.us.max, &r.us.mean })
            *v /= 1e3;
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    bool quick = false, libtorch = true, python = true, lstm = true, wavenet = true, layersOnly = false;
    bench::WaveNetBenchOptions wavenetOptions;
    std::string jsonPath = "torchamp-bench.json";
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--quick")
            quick = true;
        else if (a == "--json" && i + 1 < argc)
            jsonPath = argv[++i];
        else if (a == "--no-libtorch")
            libtorch = false;
        else if (a == "--no-python")
            python = false;
        else if (a == "--wavenet-only")
            lstm = false;
        else if (a == "--no-wavenet")
            wavenet = false;
        else if (a == "--layers-only")
            layersOnly = true;
        else if (a == "--wavenet" && i + 1 < argc)
            wavenetOptions.files.push_back(argv[++i]);
        else
        {
            std::cerr << "usage: torchamp-bench [--quick] [--json FILE] [--no-libtorch] [--no-python]\n"
                         "                      [--wavenet-only | --no-wavenet | --layers-only] [--wavenet FILE.nam]...\n";
            return a == "--help" ? 0 : 2;
        }
    }
    wavenetOptions.quick = quick;
    if (layersOnly)
    {
        const std::string loadBefore = tools::readProcLine("/proc/loadavg");
        const auto records = bench::runLayerBench(quick);
        const std::string loadAfter = tools::readProcLine("/proc/loadavg");
        std::printf("\nCPU: %s; dispatched kernel: %s; load average before/after: %s / %s\n",
                    tools::readProcLine("/proc/cpuinfo", "model name").c_str(), kernels::isaName(kernels::bestIsa()),
                    loadBefore.substr(0, 14).c_str(), loadAfter.substr(0, 14).c_str());
        std::ofstream json(jsonPath);
        json << "{\n  \"machine\": {\"load_before\": \"" << loadBefore << "\", \"load_after\": \"" << loadAfter
             << "\"},\n  \"layers\": ";
        bench::writeLayerJson(json, records);
        json << "\n}\n";
        std::cerr << "JSON: " << jsonPath << "\n";
        return 0;
    }
    if (!lstm)
    {
        const std::string loadBefore = tools::readProcLine("/proc/loadavg");
        const auto peak = bench::measureMachinePeak();
        const auto records = bench::runWaveNetBench(peak, wavenetOptions);
        const std::string loadAfter = tools::readProcLine("/proc/loadavg");
        std::printf("\nCPU: %s; dispatched kernel: %s; load average before/after: %s / %s\n",
                    tools::readProcLine("/proc/cpuinfo", "model name").c_str(), kernels::isaName(kernels::bestIsa()),
                    loadBefore.substr(0, 14).c_str(), loadAfter.substr(0, 14).c_str());
        std::ofstream json(jsonPath);
        json << "{\n  \"machine\": {\"load_before\": \"" << loadBefore << "\", \"load_after\": \"" << loadAfter
             << "\", \"busy_ghz\": " << peak.ghz << ", \"fma_lanes_per_cycle\": " << peak.bestLanes()
             << "},\n  \"wavenet\": ";
        bench::writeWaveNetJson(json, records);
        json << "\n}\n";
        std::cerr << "JSON: " << jsonPath << "\n";
        return 0;
    }

    const std::vector<int> hiddens { 8, 16, 20, 32, 40, 64, 96, 128 };
    const std::vector<int> layerCounts = quick ? std::vector<int> { 1 } : std::vector<int> { 1, 2 };
    const std::vector<int> blocks = quick ? std::vector<int> { 128 } : std::vector<int> { 1, 32, 128, 512, 2048 };
    const Budget budget = quick ? Budget { 0.04, 30 } : Budget { 0.25, 200 };
    const Budget libtorchBudget = quick ? Budget { 0.1, 10 } : Budget { 0.3, 20 };
    const int seedCalls = quick ? 2000 : 20000;

    const std::string loadBefore = tools::readProcLine("/proc/loadavg");
    char dirTemplate[] = "/tmp/torchamp-bench-XXXXXX";
    const std::string dir = mkdtemp(dirTemplate) != nullptr ? dirTemplate : "/tmp";
    std::cerr << "Writing models with " << TORCHAMP_PYTHON << " (and timing PyTorch eager)...\n";
    const std::string pythonSeed = python || libtorch ? runPython(dir, hiddens, layerCounts, seedCalls) : "";
    if ((python || libtorch) && pythonSeed.empty())
    {
        std::cerr << "Python with torch failed; run with --no-libtorch --no-python for the native engine alone\n";
        return 1;
    }

    // Each instruction set as it plays a model; where it has two cell widths, also its narrow one
    // on every model ("avx512/8": what hidden 12, 16, 32, 48 and 64 played with before the wide one).
    std::vector<NativeChoice> native;
    for (auto isa : { kernels::Isa::avx512, kernels::Isa::avx2, kernels::Isa::generic })
        if (const auto* set = kernels::findKernels(isa))
        {
            native.push_back({ kernels::isaName(isa), isa });
            if (kernels::findKernels(isa, 2 * set->cellWidth) != nullptr)
                native.push_back({ std::string(kernels::isaName(isa)) + "/" + std::to_string(set->cellWidth), isa,
                                   set->cellWidth });
        }
    native.push_back({ "native", kernels::bestIsa() });

    std::vector<Record> records;
    std::vector<std::pair<std::string, double>> parity;
    std::printf("%-9s %2s %4s %5s %3s %11s %9s %10s %10s %10s %10s %10s\n", "engine", "L", "H", "block", "ch",
                "ns/sample", "x realtime", "p50 us", "p99 us", "p99.9 us", "max us", "first us");
    for (int layers : layerCounts)
        for (int hidden : hiddens)
        {
            const std::string file = dir + "/lstm" + std::to_string(layers) + "x" + std::to_string(hidden) + ".pt";
            std::optional<BenchModel> model;
            if (libtorch)
            {
                auto loaded = loadBenchModel(file);
                if (!loaded)
                {
                    std::cerr << loaded.error() << "\n";
                    return 1;
                }
                parity.emplace_back(file.substr(dir.size() + 1), loaded->loaded.parityMaxAbsError);
                model = std::move(*loaded);
            }
            ModelSpec spec;
            if (model)
                spec = model->loaded.spec;
            else
            {
                // Without LibTorch: a random spec of the same shape.
                unsigned s = 12345u;
                auto rnd = [&] { s = s * 1664525u + 1013904223u; return (static_cast<float>(s >> 8) / 16777216.0f - 0.5f) * 0.5f; };
                int in = 1;
                for (int l = 0; l < layers; ++l)
                {
                    RecurrentLayerSpec ls;
                    ls.inputSize = in;
                    ls.hiddenSize = hidden;
                    for (int i = 0; i < 4 * hidden * in; ++i) ls.weightIh.push_back(rnd());
                    for (int i = 0; i < 4 * hidden * hidden; ++i) ls.weightHh.push_back(rnd());
                    for (int i = 0; i < 4 * hidden; ++i) { ls.biasIh.push_back(rnd()); ls.biasHh.push_back(rnd()); }
                    spec.layers.push_back(ls);
                    in = hidden;
                }
                for (int j = 0; j < hidden; ++j) spec.headWeight.push_back(rnd());
            }
            for (int block : blocks)
                for (int channels : { 1, 2 })
                {
                    std::vector<Record> here;
                    for (const auto& choice : native)
                        here.push_back(benchNative(spec, choice, block, channels, budget));
                    if (model && (!quick || channels == 1))
                        here.push_back(benchLibTorch(*model, block, channels, libtorchBudget));
                    for (const auto& r : here)
                    {
                        std::printf("%-9s %2d %4d %5d %3d %11.1f %9.1f %10.2f %10.2f %10.2f %10.2f %10.2f\n", r.engine.c_str(),
                                    r.layers, r.hidden, r.block, r.channels, r.nsPerSample(), r.realtimeFactor(),
                                    r.blockNs.p50 / 1e3, r.blockNs.p99 / 1e3, r.blockNs.p999 / 1e3, r.blockNs.max / 1e3,
                                    r.firstBlockNs / 1e3);
                        records.push_back(r);
                    }
                    std::fflush(stdout);
                }
        }

    // The seed benchmark: one call = fresh state, 10 steps of 8 features, LSTM 64.
    std::vector<SeedResult> seed;
    if (libtorch)
    {
        auto loaded = loadBenchModel(dir + "/seed.pt");
        if (!loaded)
        {
            std::cerr << loaded.error() << "\n";
            return 1;
        }
        // The knob features are held over the 10 steps (TorchStream's interface); the native
        // engine gets the same rows, and the outputs are compared.
        const std::vector<float> audio = signal(10, 3);
        const std::vector<float> knobs { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f };
        std::vector<float> features;
        for (float a : audio)
        {
            features.push_back(a);
            features.insert(features.end(), knobs.begin(), knobs.end());
        }
        std::vector<float> yTorch(10), yNative(10);
        TorchStream stream(loaded->torch);
        auto [torchStats, n1] = timeBlocks([&] { stream.reset(); stream.process(audio.data(), yTorch.data(), 10, knobs); },
                                           10, Budget { 1e9, static_cast<size_t>(seedCalls) });
        RecurrentNetwork net(loaded->loaded.spec);
        auto [nativeStats, n2] = timeBlocks([&] { net.reset(); net.processFeatures(features.data(), yNative.data(), 10); },
                                            10, Budget { 1e9, static_cast<size_t>(seedCalls) });
        double diff = 0;
        for (size_t i = 0; i < 10; ++i)
            diff = std::max(diff, std::abs(double(yTorch[i]) - double(yNative[i])));
        auto us = [](Stats s) { for (double* v : { &s.p50, &s.p99, &s.p999, &s.max, &s.mean }) *v /= 1e3; return s; };
        seed.push_back({ "libtorch", us(torchStats), -1 });
        seed.push_back({ std::string("native (") + kernels::isaName(net.isa()) + ")", us(nativeStats), diff });
    }

    std::printf("\nSeed benchmark: batch 1, 10 time steps, 8 features, LSTM hidden 64, per call (fresh state)\n");
    std::printf("%-26s %12s %12s\n", "engine", "median us", "p99 us");
    if (!pythonSeed.empty())
    {
        auto field = [&](const std::string& key) {
            const auto at = pythonSeed.find("\"" + key + "\": ");
            return at == std::string::npos ? -1.0 : std::atof(pythonSeed.c_str() + at + key.size() + 4);
        };
        std::printf("%-26s %12.2f %12.2f\n", "pytorch eager (python)", field("median_us"), field("p99_us"));
    }
    for (const auto& s : seed)
        std::printf("%-26s %12.2f %12.2f\n", s.engine.c_str(), s.us.p50, s.us.p99);
    if (seed.size() == 2)
        std::printf("native vs libtorch output: max |difference| %.2g\n", seed[1].maxAbsDiff);

    const auto reading = benchModelReading(libtorch, quick ? 200 : 2000);
    std::printf("\nReading the default model (%s), per read\n%-28s %12s %12s\n", resources::defaultModelName, "reader",
                "median us", "p99 us");
    for (const auto& r : reading)
        std::printf("%-28s %12.1f %12.1f\n", r.engine.c_str(), r.us.p50, r.us.p99);

    // The floor: the mat-vec's multiply-adds at the best rate this CPU sustains, measured.
    const auto peak = bench::measureMachinePeak();
    std::printf("\nMachine: %.2f GHz busy clock; fp32 multiply-adds per cycle: %.1f with 512-bit FMA, %.1f with "
                "256-bit\n", peak.ghz, peak.fmaLanesAvx512, peak.fmaLanesAvx2);
    std::printf("%-6s %22s %24s %10s\n", "hidden", "mat-vec floor ns/sample", "native mono ns/sample", "x floor");
    for (int hidden : hiddens)
        for (const auto& r : records)
            if (r.engine == "native" && r.layers == 1 && r.hidden == hidden && r.channels == 1 && r.block == 128)
                std::printf("%-6d %22.1f %24.1f %10.2f\n", hidden, peak.matVecFloorNs(hidden), r.nsPerSample(),
                            r.nsPerSample() / peak.matVecFloorNs(hidden));
    const auto wavenetRecords = wavenet ? bench::runWaveNetBench(peak, wavenetOptions) : std::vector<bench::WaveNetRecord> {};
    const auto layerRecords = bench::runLayerBench(quick);

    const std::string loadAfter = tools::readProcLine("/proc/loadavg");
    std::printf("\nCPU: %s; dispatched kernel: %s; load average before/after: %s / %s\n",
                tools::readProcLine("/proc/cpuinfo", "model name").c_str(), kernels::isaName(kernels::bestIsa()),
                loadBefore.substr(0, 14).c_str(), loadAfter.substr(0, 14).c_str());

    std::ofstream json(jsonPath);
    json << "{\n  \"machine\": {\"cpu\": \"" << tools::readProcLine("/proc/cpuinfo", "model name") << "\", \"cores\": "
         << sysconf(_SC_NPROCESSORS_ONLN) << ", \"dispatched\": \"" << kernels::isaName(kernels::bestIsa())
         << "\", \"load_before\": \"" << loadBefore << "\", \"load_after\": \"" << loadAfter << "\", \"libtorch\": \""
         << TorchModule::libTorchVersion() << "\", \"busy_ghz\": " << peak.ghz << ", \"fma_lanes_per_cycle_avx512\": "
         << peak.fmaLanesAvx512 << ", \"fma_lanes_per_cycle_avx2\": " << peak.fmaLanesAvx2
         << "},\n  \"mode\": \"" << (quick ? "quick" : "full")
         << "\",\n  \"sample_rate\": " << benchRate << ",\n  \"results\": [\n";
    for (size_t i = 0; i < records.size(); ++i)
    {
        const auto& r = records[i];
        json << "    {\"engine\": \"" << r.engine << "\", \"layers\": " << r.layers << ", \"hidden\": " << r.hidden
             << ", \"block\": " << r.block << ", \"channels\": " << r.channels << ", \"ns_per_sample\": " << r.nsPerSample()
             << ", \"realtime_factor\": " << r.realtimeFactor() << ", \"block_ns\": {\"p50\": " << r.blockNs.p50
             << ", \"p99\": " << r.blockNs.p99 << ", \"p99_9\": " << r.blockNs.p999 << ", \"max\": " << r.blockNs.max
             << ", \"mean\": " << r.blockNs.mean << "}, \"first_block_ns\": " << r.firstBlockNs << ", \"blocks\": " << r.blocks
             << "}" << (i + 1 < records.size() ? "," : "") << "\n";
    }
    json << "  ],\n  \"parity_max_abs_error\": {";
    for (size_t i = 0; i < parity.size(); ++i)
        json << (i ? ", " : "") << "\"" << parity[i].first << "\": " << parity[i].second;
    json << "},\n  \"seed\": {\"shape\": \"batch 1, 10 steps, 8 features, LSTM 64\", \"pytorch_eager\": "
         << (pythonSeed.empty() ? "null" : pythonSeed);
    for (const auto& s : seed)
        json << ", \"" << (s.engine == "libtorch" ? "libtorch" : "native") << "\": {\"median_us\": " << s.us.p50
             << ", \"p99_us\": " << s.us.p99 << ", \"max_abs_diff_vs_libtorch\": " << s.maxAbsDiff << "}";
    json << "},\n  \"default_model_read\": {";
    for (size_t i = 0; i < reading.size(); ++i)
        json << (i ? ", " : "") << "\"" << (i == 0 ? "native" : "libtorch") << "\": {\"median_us\": " << reading[i].us.p50
             << ", \"p99_us\": " << reading[i].us.p99 << "}";
    json << "},\n  \"wavenet\": ";
    bench::writeWaveNetJson(json, wavenetRecords);
    json << ",\n  \"layers\": ";
    bench::writeLayerJson(json, layerRecords);
    json << "\n}\n";
    std::cerr << "JSON: " << jsonPath << "\n";
    return 0;
}
