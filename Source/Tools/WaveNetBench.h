#pragma once

#include "MachinePeak.h"

#include <ostream>
#include <string>
#include <vector>

namespace torchamp::bench
{

/** One timed configuration of the WaveNet engine. */
struct WaveNetRecord
{
    std::string model;  ///< "standard", "lite", "feather", "nano" or a file name
    std::string engine; ///< the instruction set, or "native" as dispatched
    long long weights = 0;
    long long multiplyAdds = 0; ///< per sample
    int block = 0, channels = 0;
    double p50Ns = 0, p99Ns = 0, maxNs = 0; ///< per block
    double nsPerSample() const { return p50Ns / block; }
};

struct WaveNetBenchOptions
{
    bool quick = false;
    std::vector<std::string> files; ///< .nam WaveNets to time besides the trainer's sizes
};

/** Times the WaveNet engine on the Neural Amp Modeler trainer's sizes (random weights) and on
    `files`: blocks of 16, 64, 128 and 2048 samples, mono and stereo, as dispatched, and every
    instruction set at 64-sample mono blocks. Prints a table and the floor (the multiply-adds at
    the FMA rate of `peak`) to stdout; returns the records. */
std::vector<WaveNetRecord> runWaveNetBench(const MachinePeak& peak, const WaveNetBenchOptions& options);

/** The records as a JSON array. */
void writeWaveNetJson(std::ostream& out, const std::vector<WaveNetRecord>& records);

} // namespace torchamp::bench
