// torchamp-instance-bench: what a new plugin instance costs a host, and how soon a loaded model plays.
//
//   torchamp-instance-bench [--instances N] [--model FILE]... [--json FILE]
//
// Instances: N processors made one after another and kept alive, as a session with N instances:
// each construction, prepareToPlay(48 kHz, 512) and first stereo block is timed, and the resident
// memory (VmRSS) it adds is read. Models: for each --model, the time from asking the processor to
// load the file until it plays (status shows it, and the next block plays it). Prints a table and
// one JSON file.

#include "PluginProcessor.h"
#include "ToolSupport.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace
{

using Clock = std::chrono::steady_clock;
using torchamp::tools::median;
using torchamp::tools::readProcLine;

double megabytesResident()
{
    return std::atof(readProcLine("/proc/self/status", "VmRSS:").c_str()) / 1024.0; // "12345 kB"
}

double millisecondsSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void playOneBlock(torchamp::TorchAmpProcessor& p)
{
    juce::AudioBuffer<float> buffer(2, 512);
    buffer.clear();
    juce::MidiBuffer midi;
    p.processBlock(buffer, midi);
}

struct InstanceFigures
{
    std::vector<double> milliseconds, megabytes;
};

InstanceFigures makeInstances(int count, std::vector<std::unique_ptr<torchamp::TorchAmpProcessor>>& session)
{
    InstanceFigures f;
    for (int i = 0; i < count; ++i)
    {
        const double before = megabytesResident();
        const auto start = Clock::now();
        auto p = std::make_unique<torchamp::TorchAmpProcessor>();
        p->prepareToPlay(48000.0, 512);
        playOneBlock(*p);
        f.milliseconds.push_back(millisecondsSince(start));
        f.megabytes.push_back(megabytesResident() - before);
        session.push_back(std::move(p));
    }
    return f;
}

struct LoadFigures
{
    double toPlay = -1.0; ///< ms from loadModelFile() until the model plays; negative when it does not load
    double toCompared = -1.0; ///< ms until its comparison with LibTorch is done, when there is one
    std::string engine;
};

/** Waits until the processor's status satisfies `done`; false after a minute or on an error. */
template <typename Done>
bool waitFor(torchamp::TorchAmpProcessor& p, Clock::time_point start, Done done)
{
    for (;;)
    {
        const auto status = p.modelStatus();
        if (done(status))
            return true;
        if (!status.lastError.empty() || millisecondsSince(start) > 60000.0)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

LoadFigures loadToPlay(torchamp::TorchAmpProcessor& p, const std::string& file)
{
    LoadFigures f;
    const int before = p.modelStatus().generation;
    const auto start = Clock::now();
    p.loadModelFile(juce::File(file));
    if (!waitFor(p, start,
                 [&](const torchamp::ModelStatus& s)
                 { return s.generation != before && !s.loading && s.lastError.empty() && !s.isDefault; }))
    {
        std::cerr << file << ": " << p.modelStatus().lastError << "\n";
        return f;
    }
    playOneBlock(p); // the audio thread picks the published model up here
    f.toPlay = millisecondsSince(start);
    if (p.modelStatus().checkingAgainstLibTorch &&
        waitFor(p, start, [](const torchamp::ModelStatus& s) { return !s.checkingAgainstLibTorch; }))
        f.toCompared = millisecondsSince(start);
    f.engine = torchamp::engineKindName(p.modelStatus().engine);
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    int instances = 10;
    std::vector<std::string> models;
    std::string jsonPath = "torchamp-instance-bench.json";
    for (int i = 1; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--instances" && i + 1 < argc)
            instances = std::max(1, std::atoi(argv[++i]));
        else if (a == "--model" && i + 1 < argc)
            models.emplace_back(argv[++i]);
        else if (a == "--json" && i + 1 < argc)
            jsonPath = argv[++i];
        else
        {
            std::cerr << "usage: torchamp-instance-bench [--instances N] [--model FILE]... [--json FILE]\n";
            return 2;
        }
    }
    juce::ScopedJuceInitialiser_GUI juce;
    const double startResident = megabytesResident();
    std::vector<std::unique_ptr<torchamp::TorchAmpProcessor>> session;
    const auto f = makeInstances(instances, session);

    std::printf(
        "%d instances (construct + prepareToPlay 48 kHz/512 + first block), resident before: %.1f MB\n",
        instances, startResident);
    std::printf("  first: %.2f ms, %.1f MB; median: %.2f ms, %.2f MB; all: %.1f MB\n", f.milliseconds.front(),
                f.megabytes.front(), median(f.milliseconds), median(f.megabytes),
                megabytesResident() - startResident);
    std::ofstream json(jsonPath);
    json << "{\"load\": \"" << readProcLine("/proc/loadavg") << "\", \"instances\": " << instances
         << ", \"first_ms\": " << f.milliseconds.front() << ", \"first_mb\": " << f.megabytes.front()
         << ", \"median_ms\": " << median(f.milliseconds) << ", \"median_mb\": " << median(f.megabytes)
         << ", \"all_mb\": " << megabytesResident() - startResident << ", \"models\": [";
    for (size_t m = 0; m < models.size(); ++m)
    {
        const auto l = loadToPlay(*session.front(), models[m]);
        std::printf("  %s: plays %.1f ms after the load was asked for (%s engine)", models[m].c_str(),
                    l.toPlay, l.engine.c_str());
        if (l.toCompared >= 0.0)
            std::printf(", compared with LibTorch %.1f ms after", l.toCompared);
        std::printf("\n");
        json << (m ? ", " : "") << "{\"model\": \"" << models[m] << "\", \"load_to_play_ms\": " << l.toPlay
             << ", \"load_to_compared_ms\": " << l.toCompared << ", \"engine\": \"" << l.engine << "\"}";
    }
    json << "]}\n";
    std::cerr << "JSON: " << jsonPath << "\n";
    return 0;
}
