// torchamp-plugin-bench: what the whole plugin costs on top of its engine.
//
//   torchamp-plugin-bench --model LSTM40_48K.pt --model-2x LSTM40_96K.pt [--seconds S] [--json FILE]
//
// Times, block by block and interleaved (so machine load hits every candidate alike):
//   engine      the native engine alone, stereo, 128-sample blocks at 48 kHz (the bare cost);
//   plugin      TorchAmpProcessor::processBlock at 48 kHz, stereo, 128 samples, the same model:
//               input/output gain, dry/wet mix with the delayed dry path, parameter smoothing
//               (the input gain moves every block), metering; no resampling; tone stack and
//               cabinet off;
//   plugin+rig  the same with the tone stack and the built-in cabinet on, as a new instance plays;
//   engine 2x   the native engine alone on 256 stereo samples of a model at 96 kHz (what a host
//               block of 128 at 48 kHz costs such a model before any resampling);
//   plugin 2x   the same processor at 48 kHz with that 96 kHz model: the engine runs twice per
//               host sample, behind 2x band-limited resampling up and down.
// Prints medians per host sample and the ratios to the bare engine; writes JSON.

#include "ModelLoader.h"
#include "PluginProcessor.h"
#include "RecurrentNetwork.h"
#include "ToolSupport.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace
{

using Clock = std::chrono::steady_clock;
using torchamp::tools::median;
using torchamp::tools::percentile;
using torchamp::tools::readProcLine;
constexpr double hostRate = 48000.0;
constexpr int block = 128;

/** A processor at 48 kHz, stereo, playing `model`: gains, smoothing, mix and the delayed dry
    path in use, with or without the rig around the model (the tone stack and the built-in
    cabinet, on in a new instance). */
struct Plugin
{
    bool rig = false;

    torchamp::TorchAmpProcessor processor;
    juce::AudioBuffer<float> buffer { 2, block };
    juce::MidiBuffer midi;
    int calls = 0;

    bool load(const std::string& model)
    {
        processor.loadModelFile(juce::File(model));
        processor.waitForModelLoads();
        const auto status = processor.modelStatus();
        if (!status.lastError.empty() || status.isDefault)
        {
            std::cerr << model << ": " << (status.lastError.empty() ? "did not load" : status.lastError) << "\n";
            return false;
        }
        processor.prepareToPlay(hostRate, block);
        auto& params = processor.parameters();
        params.getParameter("mix")->setValueNotifyingHost(0.7f);
        params.getParameter("outputGain")->setValueNotifyingHost(0.45f);
        params.getParameter("toneOn")->setValueNotifyingHost(rig ? 1.0f : 0.0f);
        params.getParameter("irOn")->setValueNotifyingHost(rig ? 1.0f : 0.0f);
        return true;
    }

    void run(const std::vector<float>& left, const std::vector<float>& right)
    {
        // The input gain moves every block, so its smoother is always ramping.
        processor.parameters().getParameter("inputGain")->setValueNotifyingHost(0.4f + 0.2f * std::sin(0.01f * static_cast<float>(calls++)));
        buffer.copyFrom(0, 0, left.data(), block);
        buffer.copyFrom(1, 0, right.data(), block);
        processor.processBlock(buffer, midi);
    }
};

} // namespace

int main(int argc, char** argv)
{
    std::string model, model2x, jsonPath = "torchamp-plugin-bench.json";
    double seconds = 10.0;
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--model" && i + 1 < argc)
            model = argv[++i];
        else if (a == "--model-2x" && i + 1 < argc)
            model2x = argv[++i];
        else if (a == "--seconds" && i + 1 < argc)
            seconds = std::max(0.1, std::atof(argv[++i]));
        else if (a == "--json" && i + 1 < argc)
            jsonPath = argv[++i];
        else
        {
            std::cerr << "usage: torchamp-plugin-bench --model LSTM.pt --model-2x LSTM_96K.pt [--seconds S] [--json FILE]\n";
            return a == "--help" ? 0 : 2;
        }
    }
    if (model.empty() || model2x.empty())
    {
        std::cerr << "torchamp-plugin-bench: --model and --model-2x are required\n";
        return 2;
    }

    juce::ScopedJuceInitialiser_GUI juce;
    auto loaded = torchamp::loadModelFile(model);
    if (!loaded)
    {
        std::cerr << loaded.error() << "\n";
        return 1;
    }
    auto loaded2x = torchamp::loadModelFile(model2x);
    if (!loaded2x || loaded2x->spec.sampleRate != 2 * static_cast<int>(hostRate))
    {
        std::cerr << model2x << ": " << (loaded2x ? "expected a model at 96 kHz" : loaded2x.error()) << "\n";
        return 1;
    }

    torchamp::RecurrentNetwork engine(loaded->spec);
    engine.prepare(2);
    Plugin plugin, pluginWithRig, plugin2x;
    pluginWithRig.rig = true;
    if (!plugin.load(model) || !pluginWithRig.load(model) || !plugin2x.load(model2x))
        return 1;

    std::vector<float> left(block), right(block), outL(block), outR(block);
    for (int i = 0; i < block; ++i)
    {
        left[static_cast<size_t>(i)] = 0.4f * std::sin(0.05f * static_cast<float>(i)) + 0.05f * std::sin(1.3f * static_cast<float>(i));
        right[static_cast<size_t>(i)] = 0.8f * left[static_cast<size_t>(i)];
    }
    const float* in[2] { left.data(), right.data() };
    float* out[2] { outL.data(), outR.data() };
    // The 96 kHz model's engine alone on the 256 samples a 128-sample host block becomes.
    torchamp::RecurrentNetwork engine2x(loaded2x->spec);
    engine2x.prepare(2);
    std::vector<float> left2x(2 * block), right2x(2 * block), out2xL(2 * block), out2xR(2 * block);
    for (int i = 0; i < 2 * block; ++i)
        left2x[static_cast<size_t>(i)] = right2x[static_cast<size_t>(i)] = left[static_cast<size_t>(i / 2)];
    const float* in2x[2] { left2x.data(), right2x.data() };
    float* out2x[2] { out2xL.data(), out2xR.data() };

    struct Candidate
    {
        const char* name;
        std::function<void()> run;
        std::vector<double> ns;
    };
    std::vector<Candidate> candidates {
        { "engine", [&] { engine.process(in, out, 2, block); }, {} },
        { "plugin", [&] { plugin.run(left, right); }, {} },
        { "plugin+rig", [&] { pluginWithRig.run(left, right); }, {} },
        { "engine 2x", [&] { engine2x.process(in2x, out2x, 2, 2 * block); }, {} },
        { "plugin 2x", [&] { plugin2x.run(left, right); }, {} },
    };
    const auto blocks = static_cast<size_t>(seconds * hostRate / block);
    for (auto& c : candidates)
    {
        c.ns.reserve(blocks);
        for (int i = 0; i < 200; ++i)
            c.run();
    }
    const std::string loadBefore = readProcLine("/proc/loadavg");
    std::cerr << "timing " << blocks << " blocks of each...\n";
    for (size_t b = 0; b < blocks; ++b)
        for (auto& c : candidates)
        {
            const auto t0 = Clock::now();
            c.run();
            c.ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        }
    const std::string loadAfter = readProcLine("/proc/loadavg");

    const double engineMedian = median(candidates[0].ns);
    std::printf("%-10s %14s %12s %12s %16s\n", "what", "ns/host sample", "p50 us", "p99 us", "x bare engine");
    std::ofstream json(jsonPath);
    json << "{\n  \"machine\": {\"cpu\": \"" << readProcLine("/proc/cpuinfo", "model name") << "\", \"load_before\": \""
         << loadBefore << "\", \"load_after\": \"" << loadAfter << "\", \"dispatched\": \""
         << torchamp::kernels::isaName(engine.isa()) << "\"},\n  \"host_rate\": " << hostRate << ", \"block\": " << block
         << ", \"channels\": 2, \"architecture\": \"" << loaded->spec.architecture() << "\",\n  \"results\": [\n";
    for (size_t i = 0; i < candidates.size(); ++i)
    {
        const auto& c = candidates[i];
        const double p50 = median(c.ns), p99 = percentile(c.ns, 0.99);
        std::printf("%-10s %14.1f %12.2f %12.2f %16.3f\n", c.name, p50 / block, p50 / 1e3, p99 / 1e3, p50 / engineMedian);
        json << "    {\"what\": \"" << c.name << "\", \"ns_per_host_sample\": " << p50 / block << ", \"block_p50_ns\": " << p50
             << ", \"block_p99_ns\": " << p99 << ", \"ratio_to_engine\": " << p50 / engineMedian << "}"
             << (i + 1 < candidates.size() ? "," : "") << "\n";
    }
    json << "  ]\n}\n";
    std::printf("\n%s stereo at 48 kHz, %d-sample blocks; goals: plugin <= 1.15x, plugin 2x <= 2.3x the bare engine\n"
                "(plugin: the model with gains, smoothing, mix and dry path; plugin+rig: with the tone stack and the\n"
                "built-in cabinet too, as a new instance plays).\n"
                "CPU: %s; load average before/after: %s / %s\n",
                loaded->spec.architecture().c_str(), block, readProcLine("/proc/cpuinfo", "model name").c_str(),
                loadBefore.substr(0, 14).c_str(), loadAfter.substr(0, 14).c_str());
    std::cerr << "JSON: " << jsonPath << "\n";
    return 0;
}
