#pragma once

#include "RealtimeSafety.h"
#include "RecurrentNetwork.h"

#include <cstdint>

namespace torchamp
{

/** What plays a model at the model's own sample rate, for ModelRunner: the native engine, or
    LibTorch on a worker thread (Source/Torch/LibTorchEngine.h).

    Threads: construct and prepare() off the audio thread; the rest is real-time safe. */
class InferenceEngine
{
public:
    virtual ~InferenceEngine() = default;

    /// Allocates for numChannels channels and blocks of up to maxBlockSize samples. Not real-time safe.
    virtual void prepare(int numChannels, int maxBlockSize) = 0;

    /// Back to the initial state. Audio thread.
    virtual void reset() noexcept TORCHAMP_NONBLOCKING = 0;
    virtual void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING = 0;
    virtual void process(const float* const* in, float* const* out, int numChannels, int n) noexcept
        TORCHAMP_NONBLOCKING = 0;

    /// Whether copyChannelState() works: false where the state lives out of the audio thread's
    /// reach (LibTorch's worker). Any thread.
    virtual bool canCopyChannelState() const noexcept { return false; }
    /// Makes channel `to`'s state a copy of channel `from`'s (both below the prepared count): `to`
    /// goes on as if it had heard what `from` heard. Nothing when canCopyChannelState() is false.
    /// Audio thread.
    virtual void copyChannelState(int /*from*/, int /*to*/) noexcept TORCHAMP_NONBLOCKING {}

    /// Delay of the output in model-rate samples.
    virtual int latencySamples() const noexcept { return 0; }
    /// Model-rate samples of silence that bring the engine from any state to its idle state (a
    /// convolutional model's receptive field); 0 when a short warm-up does. Any thread.
    virtual int warmUpSamples() const noexcept { return 0; }
    /// Non-finite states detected and reset. Any thread.
    virtual std::uint64_t stateResets() const noexcept { return 0; }
    /// Blocks whose result was not ready in time (the dry signal played instead). Any thread.
    virtual std::uint64_t underruns() const noexcept { return 0; }
    /// "native" or "libtorch".
    virtual const char* name() const noexcept = 0;

    /// Offline rendering only, never on the audio thread: blocks until every result the next
    /// process() call reads is ready, so nothing is late.
    virtual void waitUntilCaughtUp() const {}
};

/** Output = input: what a ModelRunner plays when it cannot play its model at the host's settings
    (ModelRunner::problem() says why). */
class PassThroughEngine final : public InferenceEngine
{
public:
    void prepare(int, int) override {}
    void reset() noexcept TORCHAMP_NONBLOCKING override {}
    void setKnob(int, float) noexcept TORCHAMP_NONBLOCKING override {}
    void process(const float* const* in, float* const* out, int numChannels, int n) noexcept
        TORCHAMP_NONBLOCKING override
    {
        for (int c = 0; c < numChannels; ++c)
            if (in[c] != out[c])
                for (int i = 0; i < n; ++i)
                    out[c][i] = in[c][i];
    }
    bool canCopyChannelState() const noexcept override { return true; } // no state
    const char* name() const noexcept override { return "pass-through"; }
};

/** The native engine (RecurrentNetwork) as an InferenceEngine. */
class NativeEngine final : public InferenceEngine
{
public:
    explicit NativeEngine(const ModelSpec& spec) : network(spec) {}

    void prepare(int numChannels, int) override { network.prepare(numChannels); }
    void reset() noexcept TORCHAMP_NONBLOCKING override { network.reset(); }
    void setKnob(int index, float value) noexcept TORCHAMP_NONBLOCKING override { network.setKnob(index, value); }
    void process(const float* const* in, float* const* out, int numChannels, int n) noexcept
        TORCHAMP_NONBLOCKING override
    {
        network.process(in, out, numChannels, n);
    }
    bool canCopyChannelState() const noexcept override { return true; }
    void copyChannelState(int from, int to) noexcept TORCHAMP_NONBLOCKING override
    {
        network.copyChannelState(from, to);
    }
    std::uint64_t stateResets() const noexcept override { return network.stateResets(); }
    const char* name() const noexcept override { return "native"; }

private:
    RecurrentNetwork network;
};

} // namespace torchamp
