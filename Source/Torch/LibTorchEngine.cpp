#include "LibTorchEngine.h"

#include "TorchModuleImpl.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace torchamp
{

/** Samples shared between the audio thread and the worker. Relaxed atomics cost nothing more than
    plain floats on x86 and ARM, and make a worker that falls far behind read stale samples (which it
    then discards) instead of racing with the audio thread. */
class SampleRing
{
public:
    explicit SampleRing(size_t n = 0) : samples(n ? new std::atomic<float>[n] : nullptr), count(n)
    {
        for (size_t i = 0; i < n; ++i)
            samples[i].store(0.0f, std::memory_order_relaxed);
    }
    float load(size_t i) const noexcept { return samples[i].load(std::memory_order_relaxed); }
    void store(size_t i, float v) noexcept { samples[i].store(v, std::memory_order_relaxed); }
    void clear() noexcept
    {
        for (size_t i = 0; i < count; ++i)
            store(i, 0.0f);
    }

private:
    std::unique_ptr<std::atomic<float>[]> samples;
    size_t count;
};

struct LibTorchEngine::Impl
{
    std::shared_ptr<const TorchModule> module;
    ModelSpec spec;
    bool contract = true;
    int channels = 1;
    int block = 1;    // inference block, model-rate samples; the latency is two of them
    int capacity = 1; // ring size per channel

    std::vector<SampleRing> inRing, outRing;         // [channel][capacity], indexed by absolute position
    std::atomic<std::uint64_t> written { 0 };        // input samples the audio thread has written
    std::atomic<std::uint64_t> computed { 0 };       // worker: end of its last finished block
    // Which block each of the ring's block slots holds a finished result for: a block the worker
    // skipped (after falling far behind) is never read as if it had been computed.
    std::vector<std::atomic<std::uint64_t>> slotBlock;
    std::uint64_t workerPosition = 0;                // worker: start of its next block

    std::atomic<float> knobs[ModelLimits::maxKnobs] {};
    std::atomic<bool> resetRequested { false };
    std::atomic<bool> stopping { false };
    std::atomic<std::uint64_t> lateBlocks { 0 };
    std::atomic<int> artificialDelayMicros { 0 };
    std::thread worker;

    // The worker's tensors, made once in prepare(): input over xBuffer, and the recurrent state.
    std::vector<float> xBuffer;
    torch::Tensor x, h, c;

    void runBlock(std::uint64_t start);
    void workerLoop();
    void zeroState();
};

LibTorchEngine::LibTorchEngine(std::shared_ptr<const TorchModule> module, const ModelSpec& spec)
    : impl(std::make_unique<Impl>())
{
    impl->module = std::move(module);
    impl->spec = spec;
    impl->contract = impl->module->signature() == TorchModule::Signature::contract;
    for (int k = 0; k < spec.numKnobs() && k < ModelLimits::maxKnobs; ++k)
        impl->knobs[k] = spec.knobDefaults[static_cast<size_t>(k)];
}

LibTorchEngine::~LibTorchEngine()
{
    impl->stopping = true;
    if (impl->worker.joinable())
        impl->worker.join();
}

void LibTorchEngine::Impl::zeroState()
{
    c10::InferenceMode guard; // the state tensors are inference tensors
    if (contract)
    {
        h.zero_();
        c.zero_();
    }
}

void LibTorchEngine::prepare(int numChannels, int maxBlockSize)
{
    auto& m = *impl;
    m.stopping = true;
    if (m.worker.joinable())
        m.worker.join();
    m.stopping = false;

    m.channels = std::max(1, numChannels);
    m.block = std::max(1, maxBlockSize);
    // Room for the latency, a host block, the block in flight, and a worker that lags behind.
    m.capacity = 8 * m.block;
    m.inRing.clear();
    m.outRing.clear();
    for (int ch = 0; ch < m.channels; ++ch)
    {
        m.inRing.emplace_back(static_cast<size_t>(m.capacity));
        m.outRing.emplace_back(static_cast<size_t>(m.capacity));
    }
    m.slotBlock = std::vector<std::atomic<std::uint64_t>>(static_cast<size_t>(m.capacity / m.block));
    for (auto& slot : m.slotBlock)
        slot = ~std::uint64_t { 0 };
    m.written = 0;
    m.computed = 0;
    m.workerPosition = 0;

    const auto& torchSide = *m.module->impl;
    const int inputs = m.contract ? torchSide.inputs : 1;
    c10::InferenceMode guard;
    if (m.contract)
    {
        m.xBuffer.assign(static_cast<size_t>(m.channels * m.block * inputs), 0.0f);
        m.x = torch::from_blob(m.xBuffer.data(), { m.channels, m.block, inputs });
        m.h = torch::zeros({ torchSide.layers, m.channels, torchSide.hidden });
        m.c = torch::zeros({ torchSide.layers, m.channels, torchSide.hidden });
    }
    else
    {
        m.xBuffer.assign(static_cast<size_t>(m.channels * m.block), 0.0f);
        m.x = torch::from_blob(m.xBuffer.data(), { 1, m.channels, m.block });
    }

    // Warm up with the exact shapes used later: the profiling graph executor optimises the graph
    // during the first calls, which are many times slower than the ones after.
    for (int i = 0; i < 6; ++i)
        m.runBlock(0);
    m.zeroState();
    for (auto& ring : m.outRing)
        ring.clear();

    m.worker = std::thread([this] { impl->workerLoop(); });
}

void LibTorchEngine::Impl::runBlock(std::uint64_t start)
{
    const auto& torchSide = *module->impl;
    const int inputs = contract ? torchSide.inputs : 1;
    for (int ch = 0; ch < channels; ++ch)
    {
        const auto& ring = inRing[static_cast<size_t>(ch)];
        for (int t = 0; t < block; ++t)
        {
            const float v = ring.load(static_cast<size_t>((start + static_cast<std::uint64_t>(t)) % static_cast<std::uint64_t>(capacity)));
            const size_t base = (static_cast<size_t>(ch) * static_cast<size_t>(block) + static_cast<size_t>(t)) * static_cast<size_t>(inputs);
            xBuffer[base] = v;
            for (int k = 1; k < inputs; ++k)
                xBuffer[base + static_cast<size_t>(k)] = knobs[k - 1].load(std::memory_order_relaxed);
        }
    }

    // Had the audio thread already overwritten part of this block (the worker fell far behind),
    // its result would be garbage: leave the block uncomputed, so the dry signal plays for it.
    if (written.load(std::memory_order_acquire) > start + static_cast<std::uint64_t>(capacity))
        return;

    if (const int delay = artificialDelayMicros.load(std::memory_order_relaxed); delay > 0)
        std::this_thread::sleep_for(std::chrono::microseconds(delay));

    c10::InferenceMode guard;
    auto& scripted = const_cast<torch::jit::Module&>(torchSide.module);
    torch::Tensor y;
    if (contract)
    {
        const auto output = unpackContractOutput(scripted.forward({ x, h, c }));
        if (!output)
            throw std::runtime_error(torchSide.displayName + ": forward() did not return (y, h, c)");
        y = output->y;
        h.copy_(output->h);
        c.copy_(output->c);
    }
    else
        y = scripted.forward({ x }).toTensor();

    y = y.to(torch::kFloat32).contiguous();
    if (y.numel() != static_cast<int64_t>(channels) * block)
        throw std::runtime_error(torchSide.displayName + ": forward() returned " + std::to_string(y.numel())
                                 + " samples for " + std::to_string(channels * block));
    const float* yp = y.data_ptr<float>();
    bool finite = true;
    for (int ch = 0; ch < channels; ++ch)
    {
        auto& ring = outRing[static_cast<size_t>(ch)];
        for (int t = 0; t < block; ++t)
        {
            const float v = yp[static_cast<size_t>(ch) * static_cast<size_t>(block) + static_cast<size_t>(t)];
            finite = finite && std::isfinite(v);
            ring.store(static_cast<size_t>((start + static_cast<std::uint64_t>(t)) % static_cast<std::uint64_t>(capacity)),
                       std::isfinite(v) ? v : 0.0f);
        }
    }
    if (!finite)
        zeroState(); // a non-finite state must not stick
    const auto blockIndex = start / static_cast<std::uint64_t>(block);
    slotBlock[static_cast<size_t>(blockIndex % slotBlock.size())].store(blockIndex, std::memory_order_release);
}

void LibTorchEngine::Impl::workerLoop()
{
    // The worker must not take the host's cores: one intra-op thread (set once per process too).
    at::set_num_threads(1);
    const auto period = std::chrono::microseconds(
        std::max<long>(50, static_cast<long>(1e6 * block / std::max(1, spec.sampleRate) / 16)));
    while (!stopping.load(std::memory_order_relaxed))
    {
        if (resetRequested.exchange(false))
            zeroState(); // cannot throw: in-place zeroing of tensors made in prepare()
        const auto available = written.load(std::memory_order_acquire);
        // Fallen so far behind that the input ring has moved on: skip to the newest whole block.
        if (available > workerPosition + static_cast<std::uint64_t>(capacity / 2))
            workerPosition = (available / static_cast<std::uint64_t>(block) - 1) * static_cast<std::uint64_t>(block);
        if (available >= workerPosition + static_cast<std::uint64_t>(block))
        {
            try
            {
                runBlock(workerPosition);
            }
            catch (const std::exception&)
            {
                // A forward() that fails mid-stream leaves the dry signal playing (counted as late).
                stopping = true;
                return;
            }
            workerPosition += static_cast<std::uint64_t>(block);
            computed.store(workerPosition, std::memory_order_release);
            continue;
        }
        std::this_thread::sleep_for(period);
    }
}

void LibTorchEngine::reset() noexcept
{
    impl->resetRequested.store(true, std::memory_order_relaxed);
}

void LibTorchEngine::setKnob(int index, float value) noexcept
{
    if (index >= 0 && index < ModelLimits::maxKnobs && index < impl->spec.numKnobs())
        impl->knobs[index].store(std::isfinite(value) ? std::min(1.0f, std::max(0.0f, value)) : 0.0f,
                                 std::memory_order_relaxed);
}

void LibTorchEngine::process(const float* const* in, float* const* out, int numChannels, int n) noexcept
{
    auto& m = *impl;
    numChannels = std::min(numChannels, m.channels);
    n = std::min(n, m.block);
    const auto cap = static_cast<std::uint64_t>(m.capacity);
    const auto latency = static_cast<std::uint64_t>(2 * m.block);
    const auto blockSize = static_cast<std::uint64_t>(m.block);
    const std::uint64_t w = m.written.load(std::memory_order_relaxed);

    for (int ch = 0; ch < numChannels; ++ch)
    {
        auto& ring = m.inRing[static_cast<size_t>(ch)];
        for (int i = 0; i < n; ++i)
            ring.store(static_cast<size_t>((w + static_cast<std::uint64_t>(i)) % cap), std::isfinite(in[ch][i]) ? in[ch][i] : 0.0f);
    }
    m.written.store(w + static_cast<std::uint64_t>(n), std::memory_order_release);

    const auto slots = static_cast<std::uint64_t>(m.slotBlock.size());
    bool late = false;
    for (int ch = 0; ch < numChannels; ++ch)
    {
        const auto& result = m.outRing[static_cast<size_t>(ch)];
        const auto& dry = m.inRing[static_cast<size_t>(ch)];
        for (int i = 0; i < n; ++i)
        {
            const std::uint64_t position = w + static_cast<std::uint64_t>(i);
            if (position < latency)
            {
                out[ch][i] = 0.0f;
                continue;
            }
            const std::uint64_t p = position - latency;
            const std::uint64_t blockIndex = p / blockSize;
            if (m.slotBlock[static_cast<size_t>(blockIndex % slots)].load(std::memory_order_acquire) == blockIndex)
                out[ch][i] = result.load(static_cast<size_t>(p % cap));
            else
            {
                out[ch][i] = dry.load(static_cast<size_t>(p % cap)); // the input, in time: never silence, never a wait
                late = true;
            }
        }
    }
    if (late)
        m.lateBlocks.fetch_add(1, std::memory_order_relaxed);
}

int LibTorchEngine::latencySamples() const noexcept
{
    return 2 * impl->block;
}

std::uint64_t LibTorchEngine::underruns() const noexcept
{
    return impl->lateBlocks.load(std::memory_order_relaxed);
}

void LibTorchEngine::waitUntilCaughtUp() const
{
    const auto block = static_cast<std::uint64_t>(impl->block);
    const auto target = impl->written.load(std::memory_order_acquire) / block * block;
    while (impl->computed.load(std::memory_order_acquire) < target && !impl->stopping.load())
        std::this_thread::sleep_for(std::chrono::microseconds(20));
}

void LibTorchEngine::setArtificialDelayForTests(int microseconds)
{
    impl->artificialDelayMicros = microseconds;
}

} // namespace torchamp
