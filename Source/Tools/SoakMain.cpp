// torchamp-soak: a long session through the real plugin processor, offline and as fast as the
// machine allows: varied audio with automation, a model swap every minute (from another thread,
// as a user would load files while playing), then the same length of digital silence. Checks
// that every output sample is finite, and measures per-block time, memory and state resets.
//
// usage: torchamp-soak [--minutes M] [--report DIR] [--model FILE]...
// Writes DIR/soak-report.json and DIR/soak-report.md; exits 1 when a check fails.

#include "PluginProcessor.h"
#include "ToolSupport.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace
{

using Clock = std::chrono::steady_clock;
using torchamp::tools::median;
constexpr double rate = 48000.0;
constexpr int block = 256;

long residentKilobytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

/** A minute of varied, guitar-like stereo audio, different each minute. */
void makeMinute(std::vector<float>& left, std::vector<float>& right, unsigned seed)
{
    const size_t n = static_cast<size_t>(60.0 * rate);
    left.assign(n, 0.0f);
    right.assign(n, 0.0f);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const double pi = 3.14159265358979323846;
    for (size_t start = 0; start < n;)
    {
        const size_t length = static_cast<size_t>((0.2 + 1.8 * u(rng)) * rate);
        const int kind = static_cast<int>(u(rng) * 5.0f);
        const float level = std::pow(10.0f, (-30.0f + 30.0f * u(rng)) / 20.0f);
        const double f = 82.4 * std::pow(2.0, std::floor(u(rng) * 24.0) / 12.0);
        for (size_t i = 0; i < length && start + i < n; ++i)
        {
            const double t = static_cast<double>(i) / rate;
            double v = 0.0;
            switch (kind)
            {
                case 0: v = std::exp(-3.0 * t) * (std::sin(2 * pi * f * t) + 0.4 * std::sin(4 * pi * f * t)); break;
                case 1: v = std::exp(-1.5 * t) * (std::sin(2 * pi * f * t) + std::sin(2 * pi * f * 1.26 * t) + std::sin(2 * pi * f * 1.5 * t)) / 3; break;
                case 2: v = 0.5 * (u(rng) * 2.0f - 1.0f); break;
                case 3: v = std::sin(2 * pi * (50.0 + 3000.0 * t) * t); break;
                default: v = 0.0; break; // silence
            }
            left[start + i] = static_cast<float>(level * v);
            right[start + i] = static_cast<float>(level * v * 0.8);
        }
        start += length;
    }
}

} // namespace

int main(int argc, char** argv)
{
    int minutes = 60;
    std::string reportDir = ".";
    std::vector<std::string> models;
    for (int i = 1; i < argc; ++i)
    {
        const std::string arg = argv[i];
        if (arg == "--minutes" && i + 1 < argc)
            minutes = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--report" && i + 1 < argc)
            reportDir = argv[++i];
        else if (arg == "--model" && i + 1 < argc)
            models.push_back(argv[++i]);
        else
        {
            std::cerr << "usage: torchamp-soak [--minutes M] [--report DIR] [--model FILE]...\n";
            return 2;
        }
    }

    juce::ScopedJuceInitialiser_GUI juce;
    torchamp::TorchAmpProcessor processor;
    processor.prepareToPlay(rate, block);
    juce::AudioBuffer<float> buffer(2, block);
    juce::MidiBuffer midi;
    auto& params = processor.parameters();
    const long rssStart = residentKilobytes();

    struct Minute
    {
        double blockMedianUs, blockP99Us, blockMaxUs;
        long rssKb;
    };
    std::vector<Minute> perMinute;
    long nonFinite = 0;
    int swaps = 0;
    std::thread loader;
    std::vector<float> left, right;
    std::vector<double> times;
    const auto started = Clock::now();

    auto playMinute = [&](bool silent, int minute) {
        if (silent)
        {
            left.assign(static_cast<size_t>(60.0 * rate), 0.0f);
            right = left;
        }
        else
            makeMinute(left, right, 1000u + static_cast<unsigned>(minute));
        times.clear();
        for (size_t s = 0; s + block <= left.size(); s += block)
        {
            if (!silent)
            {
                // Slow automation of every parameter a user would move.
                const float phase = static_cast<float>(s) / static_cast<float>(left.size());
                params.getParameter("inputGain")->setValueNotifyingHost(0.4f + 0.2f * std::sin(6.283f * phase));
                params.getParameter("mix")->setValueNotifyingHost(0.7f + 0.3f * std::cos(6.283f * phase));
                params.getParameter("knob1")->setValueNotifyingHost(phase);
            }
            buffer.copyFrom(0, 0, left.data() + s, block);
            buffer.copyFrom(1, 0, right.data() + s, block);
            const auto t0 = Clock::now();
            processor.processBlock(buffer, midi);
            times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
            for (int ch = 0; ch < 2; ++ch)
                for (int i = 0; i < block; ++i)
                    nonFinite += std::isfinite(buffer.getSample(ch, i)) ? 0 : 1;
        }
        std::vector<double> sorted = times;
        std::sort(sorted.begin(), sorted.end());
        perMinute.push_back({ torchamp::tools::sortedQuantile(sorted, 0.5), torchamp::tools::sortedQuantile(sorted, 0.99),
                              sorted.back(), 0 });
    };

    // The minute's model swap may outlast its audio (the first load brings LibTorch in, slowly
    // on a cold disk): memory is read once it has landed, so a minute's figure never depends on
    // how far a load had got.
    auto settleSwapAndRecordMemory = [&] {
        if (loader.joinable())
            loader.join();
        processor.waitForModelLoads();
        perMinute.back().rssKb = residentKilobytes();
    };

    for (int minute = 0; minute < minutes; ++minute)
    {
        if (!models.empty())
        {
            // A model swap every minute, requested from another thread while the audio plays.
            const auto file = models[static_cast<size_t>(minute) % models.size()];
            loader = std::thread([&processor, file] { processor.loadModelFile(juce::File(file)); });
            ++swaps;
        }
        playMinute(false, minute);
        settleSwapAndRecordMemory();
        std::cerr << "\rsoak: minute " << (minute + 1) << "/" << minutes << " of varied audio" << std::flush;
    }
    const auto status = processor.modelStatus();

    const size_t silenceStart = perMinute.size();
    for (int minute = 0; minute < minutes; ++minute)
    {
        playMinute(true, minute);
        perMinute.back().rssKb = residentKilobytes();
        std::cerr << "\rsoak: minute " << (minute + 1) << "/" << minutes << " of silence       " << std::flush;
    }
    std::cerr << "\n";

    // Denormals: after the silence, the soaked processor against a fresh one playing the same
    // model, block by block in turn, so that machine load affects both alike.
    torchamp::TorchAmpProcessor fresh;
    if (!status.isDefault)
    {
        fresh.loadModelFile(juce::File(status.path));
        fresh.waitForModelLoads();
    }
    fresh.prepareToPlay(rate, block);
    std::vector<double> soakedTimes, freshTimes;
    juce::AudioBuffer<float> silence(2, block);
    for (int b = 0; b < 20000; ++b)
    {
        // Alternate which goes first, so neither always meets the other's cache leftovers.
        const auto order = b % 2 ? std::array<torchamp::TorchAmpProcessor*, 2> { &processor, &fresh }
                                  : std::array<torchamp::TorchAmpProcessor*, 2> { &fresh, &processor };
        for (auto* p : order)
        {
            silence.clear();
            const auto t0 = Clock::now();
            p->processBlock(silence, midi);
            (p == &processor ? soakedTimes : freshTimes)
                .push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
    }
    const double silenceRatio = median(soakedTimes) / std::max(1e-9, median(freshTimes));
    const long rssEnd = residentKilobytes();
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();

    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    const bool finiteOk = nonFinite == 0;
    const bool denormalOk = silenceRatio <= 1.10;
    // Memory after the warm-up minute may grow by what model loads cache, not with time.
    const long growthKb = rssEnd - perMinute.front().rssKb;
    const bool memoryOk = growthKb < 64 * 1024;

    std::ostringstream json;
    json << "{\"minutes_varied\":" << minutes << ",\"minutes_silence\":" << minutes << ",\"model_swaps\":" << swaps
         << ",\"non_finite_samples\":" << nonFinite << ",\"state_resets\":" << processor.stateResets()
         << ",\"block_us_median_first_minute\":" << perMinute.front().blockMedianUs
         << ",\"block_us_median_last_varied_minute\":" << perMinute[silenceStart - 1].blockMedianUs
         << ",\"block_us_median_last_silent_minute\":" << perMinute.back().blockMedianUs
         << ",\"silence_soaked_vs_fresh_ratio\":" << silenceRatio << ",\"rss_kb_start\":" << rssStart
         << ",\"rss_kb_after_first_minute\":" << perMinute.front().rssKb << ",\"rss_kb_end\":" << rssEnd
         << ",\"peak_rss_kb\":" << usage.ru_maxrss << ",\"seconds_wall\":" << wall
         << ",\"final_model\":\"" << status.info->name << "\",\"passed\":"
         << (finiteOk && denormalOk && memoryOk ? "true" : "false") << "}";

    std::ostringstream md;
    md << "# Soak report\n\n"
       << "Command: `torchamp-soak --minutes " << minutes << "` (" << models.size() << " models swapped in turn)\n\n"
       << "| check | result |\n|---|---|\n"
       << "| audio | " << minutes << " min varied (automation, a model swap every minute) + " << minutes
       << " min digital silence, 48 kHz stereo, 256-sample blocks |\n"
       << "| wall time | " << wall << " s |\n"
       << "| non-finite output samples | " << nonFinite << (finiteOk ? " (ok)" : " (FAIL)") << " |\n"
       << "| state resets | " << processor.stateResets() << " |\n"
       << "| model swaps | " << swaps << " (last: " << status.info->name << ") |\n"
       << "| per-block median, first minute | " << perMinute.front().blockMedianUs << " us |\n"
       << "| per-block median, last varied minute | " << perMinute[silenceStart - 1].blockMedianUs << " us |\n"
       << "| per-block median, last silent minute | " << perMinute.back().blockMedianUs << " us |\n"
       << "| after the silence: soaked / fresh processor, interleaved | " << silenceRatio
       << (denormalOk ? " (ok, at most 1.10)" : " (FAIL, more than 1.10)") << " |\n"
       << "| resident memory: start / after minute 1 / end / peak | " << rssStart / 1024 << " / "
       << perMinute.front().rssKb / 1024 << " / " << rssEnd / 1024 << " / " << usage.ru_maxrss / 1024 << " MB"
       << (memoryOk ? " (ok)" : " (FAIL: grew more than 64 MB)") << " |\n";

    juce::File(reportDir).createDirectory();
    std::ofstream(reportDir + "/soak-report.json") << json.str() << "\n";
    std::ofstream(reportDir + "/soak-report.md") << md.str();
    std::cout << json.str() << std::endl;
    return finiteOk && denormalOk && memoryOk ? 0 : 1;
}
