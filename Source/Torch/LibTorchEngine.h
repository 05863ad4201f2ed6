#pragma once

#include "InferenceEngine.h"
#include "ModelSpec.h"
#include "TorchModule.h"

#include <atomic>
#include <memory>

namespace torchamp
{

/** LibTorch's own forward() as an engine: the brief's literal path, kept off the audio thread.

    forward() allocates on every call (about 22 heap allocations per sample for an LSTM-40) and is
    far slower than the native engine, so it runs on a dedicated inference thread. The audio thread
    writes each block into a lock-free single-producer/single-consumer ring and reads results from
    another. The inference block is the largest block the engine is given; the fixed latency is
    two of them: one block being filled while the worker computes the previous one, so results are
    on time whatever the sizes of the calls (resampling makes them vary by a sample). When a result is late the audio thread
    never waits: it plays the input delayed by that same latency (the dry signal, in time) for the
    missing samples and counts an underrun. The worker keeps the recurrent state, runs forward()
    under torch::InferenceMode on input and state tensors made once (torch::from_blob over
    preallocated buffers), with every channel as one batch, and is warmed up in prepare() with the
    exact shapes it will see, until the profiling executor has settled.

    Serves contract modules (forward(x, h, c)) and audio modules (forward(x) on [batch, channels,
    time], any internals). Threads: construct and prepare() off the audio thread; process(),
    setKnob(), reset() on the audio thread. */
class LibTorchEngine final : public InferenceEngine
{
public:
    /// `spec` describes the module (knobs, sizes; no layers for an audio module).
    LibTorchEngine(std::shared_ptr<const TorchModule> module, const ModelSpec& spec);
    ~LibTorchEngine() override;

    /// Sets the inference block to maxBlockSize (the latency to twice that), allocates the rings and tensors,
    /// warms forward() up and starts the worker. Throws std::runtime_error if forward() fails.
    void prepare(int numChannels, int maxBlockSize) override;

    void reset() noexcept TORCHAMP_NONBLOCKING override;
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING override;
    void process(const float* const* in, float* const* out, int numChannels, int n) noexcept
        TORCHAMP_NONBLOCKING override;

    int latencySamples() const noexcept override;
    std::uint64_t underruns() const noexcept override;
    const char* name() const noexcept override { return "libtorch"; }

    /// Blocks until the worker has computed every whole block written so far. Offline only.
    void waitUntilCaughtUp() const override;

    /// Makes every forward() call sleep this long first, to test late results. Tests only.
    void setArtificialDelayForTests(int microseconds);

private:
    struct Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace torchamp
