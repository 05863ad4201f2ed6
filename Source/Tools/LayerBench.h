#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace torchamp::bench
{

/** One timed configuration of the layer engine (LayerNetwork). */
struct LayerRecord
{
    std::string model;  ///< "GRU 1x8", "Dense 8 + GRU 1x12"...
    std::string engine; ///< the instruction set, or "native" as dispatched
    int block = 0, channels = 0;
    double p50Ns = 0, p99Ns = 0, maxNs = 0; ///< per block
    double nsPerSample() const { return p50Ns / block; }
};

/** Times the layer engine on GRU models as RTNeural's Keras export writes them (GRU 1xH + Dense 1,
    random weights) and on a Keras-style sequence with a dense layer first and a dilated
    convolution: 128-sample blocks mono and stereo as dispatched, every instruction set at mono
    (all block sizes of `blocks`). Prints a table to stdout; returns the records. */
std::vector<LayerRecord> runLayerBench(bool quick);

/** The records as a JSON array. */
void writeLayerJson(std::ostream& out, const std::vector<LayerRecord>& records);

} // namespace torchamp::bench
