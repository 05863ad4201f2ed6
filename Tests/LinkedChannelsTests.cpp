// Linked channels (EffectChain::setChannelLinking): a stereo input whose two channels carry the
// same samples (a mono guitar on a stereo track) plays the model once, and the output is what
// playing both channels gives, before the channels part and after.

#include "AllocationCounter.h"
#include "EffectChain.h"
#include "ModelLoader.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>

namespace torchamp
{
namespace
{

constexpr HostConfig host { 48000.0, 256, 2 };

/** A one-pole low-pass per channel that remembers the most channels it was asked to play. */
class CountingEngine final : public InferenceEngine
{
public:
    CountingEngine(int* mostChannels, bool copyable) : most(mostChannels), copyable(copyable) {}

    void prepare(int numChannels, int) override { state.assign(static_cast<size_t>(numChannels), 0.0f); }
    void reset() noexcept override { std::fill(state.begin(), state.end(), 0.0f); }
    void setKnob(int, float) noexcept override {}
    void process(const float* const* in, float* const* out, int numChannels, int n) noexcept override
    {
        *most = std::max(*most, numChannels);
        for (int c = 0; c < numChannels; ++c)
            for (int i = 0; i < n; ++i)
                out[c][i] = state[static_cast<size_t>(c)] += 0.1f * (in[c][i] - state[static_cast<size_t>(c)]);
    }
    bool canCopyChannelState() const noexcept override { return copyable; }
    void copyChannelState(int from, int to) noexcept override
    {
        if (copyable)
            state[static_cast<size_t>(to)] = state[static_cast<size_t>(from)];
    }
    const char* name() const noexcept override { return "counting"; }

private:
    int* most;
    bool copyable;
    std::vector<float> state;
};

/** The gate, the tone stack, a knob and the mix set as a player would, so every stage that keeps
    a channel's state has some. */
void setUpStages(EffectChain& chain)
{
    chain.setParameter(ParameterId::gateOn, 1.0f);
    chain.setParameter(ParameterId::gateThreshold, -45.0f);
    chain.setParameter(ParameterId::bass, 4.0f);
    chain.setParameter(ParameterId::presence, -3.0f);
    chain.setKnob(0, 0.7f);
    chain.setMix(0.8f); // the dry path plays too
}

/** Stereo input in three parts: the same signal on both channels, then two different signals,
    then the same again for `lastLength` samples. */
std::vector<std::vector<float>> partingInput(size_t partLength, size_t lastLength)
{
    const auto mono = test::makeTestSignal(2 * partLength + lastLength, 5, 0.8f);
    const auto other = test::makeTestSignal(2 * partLength + lastLength, 9, 0.5f);
    std::vector<std::vector<float>> io { mono, mono };
    for (size_t i = partLength; i < 2 * partLength; ++i)
        io[1][i] = other[i];
    return io;
}

/** What play() heard: the output, whether the chain was linked after each block (and where each
    block ended), and the heap calls process() made. */
struct Played
{
    std::vector<std::vector<float>> out;
    std::vector<bool> linkedAfterBlock;
    std::vector<size_t> blockEnds;
    long heapCalls = 0;
};

/** Plays `io` through `chain` in blocks of varied size, a new model published at `swapAt` when
    `makeSwap` is given. */
Played play(EffectChain& chain, std::vector<std::vector<float>> io, size_t swapAt = 0,
            const std::function<std::unique_ptr<ModelRunner>()>& makeSwap = {})
{
    Played p;
    const int sizes[] = { 256, 64, 1, 200, 128, 17 };
    bool swapped = false;
    for (size_t start = 0, b = 0; start < io[0].size(); ++b)
    {
        if (makeSwap && !swapped && start >= swapAt)
        {
            EXPECT_TRUE(chain.publish(makeSwap()));
            swapped = true;
        }
        const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(sizes[b % 6]), io[0].size() - start));
        float* ptrs[] = { io[0].data() + start, io[1].data() + start };
        chain.waitForEngine();
        {
            test::AllocationCounter counter;
            chain.process(ptrs, 2, n);
            p.heapCalls += counter.count();
        }
        start += static_cast<size_t>(n);
        p.linkedAfterBlock.push_back(chain.channelsLinked());
        p.blockEnds.push_back(start);
    }
    p.out = std::move(io);
    return p;
}

std::unique_ptr<ModelRunner> runnerFor(const LoadedModel& model, const EffectChain& chain)
{
    auto r = std::make_unique<ModelRunner>(model.spec, chain.config(), model.engineFactory());
    r->warmUp();
    return r;
}

struct ModelCase
{
    const char* label;
    const char* file;
    const char* swapTo; // a second model published just before the channels part, or null
};

class LinkedChannels : public ::testing::TestWithParam<ModelCase>
{
};

TEST_P(LinkedChannels, playTheSameAsEveryChannelPlayedBeforeAndAfterTheyPart)
{
    const auto model = loadModelFile(test::modelPath(GetParam().file));
    ASSERT_TRUE(model.ok()) << model.error();
    std::optional<LoadedModel> next;
    if (GetParam().swapTo != nullptr)
    {
        auto loaded = loadModelFile(test::modelPath(GetParam().swapTo));
        ASSERT_TRUE(loaded.ok()) << loaded.error();
        next = std::move(*loaded);
    }

    // The last part is long enough for the channels to link again.
    const size_t part = 9000;
    const size_t relinkBy = 2 * part + static_cast<size_t>(EffectChain::relinkSeconds * host.sampleRate) + 8000;
    const auto input = partingInput(part, relinkBy + 2000 - 2 * part);
    std::vector<Played> results;
    for (bool link : { true, false })
    {
        EffectChain chain;
        chain.setChannelLinking(link);
        chain.prepare(host);
        ASSERT_TRUE(chain.publish(runnerFor(*model, chain)));
        setUpStages(chain);
        // The swap lands 200 samples before the channels part: they part in the crossfade.
        results.push_back(play(chain, input, part - 200,
                               next ? std::function<std::unique_ptr<ModelRunner>()>(
                                          [&] { return runnerFor(*next, chain); })
                                    : nullptr));
    }
    const auto& linked = results[0];
    const auto& separate = results[1];

    const bool canLink = model->engine == EngineKind::native;
    for (size_t b = 0; b < linked.blockEnds.size(); ++b)
    {
        // Linked until they part; parted until they have been the same for relinkSeconds; linked
        // again soon after.
        const size_t end = linked.blockEnds[b];
        const size_t earliest = 2 * part + static_cast<size_t>(EffectChain::relinkSeconds * host.sampleRate);
        if (end <= part || end >= relinkBy)
            EXPECT_EQ(linked.linkedAfterBlock[b], canLink) << "block ending at " << end;
        else if (end < earliest)
            EXPECT_FALSE(linked.linkedAfterBlock[b]) << "block ending at " << end;
        EXPECT_FALSE(separate.linkedAfterBlock[b]);
    }
    for (int c = 0; c < 2; ++c)
        EXPECT_LE(test::maxAbsDifference(linked.out[static_cast<size_t>(c)], separate.out[static_cast<size_t>(c)]),
                  1e-6)
            << "channel " << c;
    // The channels really parted: the test would show a model that kept playing one channel.
    EXPECT_GT(test::maxAbsDifference(std::vector<float>(linked.out[0].begin() + part, linked.out[0].end()),
                                     std::vector<float>(linked.out[1].begin() + part, linked.out[1].end())),
              1e-3);
    if (model->engine == EngineKind::native)
        EXPECT_EQ(linked.heapCalls, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Models, LinkedChannels,
    ::testing::Values(ModelCase { "lstm_knobs", "lstm2x24_knobs_skip.pt", nullptr },
                      ModelCase { "lstm_resampled_44k", "lstm3x20_44k.pt", nullptr },
                      ModelCase { "layers_conv_gru", "keras_conv_gru.json", nullptr },
                      ModelCase { "wavenet", "wavenet_small.nam", nullptr },
                      ModelCase { "lstm_then_wavenet_mid_crossfade", "lstm1x16_skip.pt", "wavenet_small.nam" },
                      ModelCase { "libtorch_never_links", "waveshaper.pt", nullptr }),
    [](const auto& info) { return std::string(info.param.label); });

std::unique_ptr<ModelRunner> countingRunner(const EffectChain& chain, int* most, bool copyable)
{
    return std::make_unique<ModelRunner>(test::identitySpec(48000), chain.config(), [most, copyable]
                                         { return std::make_unique<CountingEngine>(most, copyable); });
}

TEST(LinkedChannels, playTheModelOnceWhileTheChannelsAreTheSame)
{
    const size_t part = 4000;
    const auto input = partingInput(part, part);
    int mostLinked = 0, mostSeparate = 0;
    EffectChain linked, separate;
    separate.setChannelLinking(false);
    for (auto* chain : { &linked, &separate })
    {
        chain->prepare(host);
        ASSERT_TRUE(chain->publish(countingRunner(*chain, chain == &linked ? &mostLinked : &mostSeparate, true)));
    }
    const auto first = std::vector<std::vector<float>> { { input[0].begin(), input[0].begin() + part },
                                                         { input[1].begin(), input[1].begin() + part } };
    const auto a = play(linked, first);
    play(separate, first);
    EXPECT_EQ(mostLinked, 1);
    EXPECT_EQ(mostSeparate, 2);
    EXPECT_TRUE(linked.channelsLinked());
    EXPECT_EQ(a.out[0], a.out[1]);

    // Different channels from here on: the model plays both, the second from the first's state.
    const auto rest = std::vector<std::vector<float>> { { input[0].begin() + part, input[0].end() },
                                                        { input[1].begin() + part, input[1].end() } };
    const auto b = play(linked, rest);
    const auto reference = play(separate, rest);
    EXPECT_EQ(mostLinked, 2);
    EXPECT_FALSE(linked.channelsLinked());
    EXPECT_EQ(b.out[0], reference.out[0]);
    EXPECT_EQ(b.out[1], reference.out[1]);

    // The same samples again link them once they have come out within relinkTolerance for
    // relinkSeconds (the one-pole filters forget their difference within a few hundred samples),
    // and the output stays what playing both gives, within that tolerance.
    const auto mono = test::makeTestSignal(60000, 11);
    const auto c = play(linked, { mono, mono });
    const auto cReference = play(separate, { mono, mono });
    EXPECT_EQ(c.out[0], cReference.out[0]);
    EXPECT_LE(test::maxAbsDifference(c.out[1], cReference.out[1]), EffectChain::relinkTolerance);
    const auto relinked = std::find(c.linkedAfterBlock.begin(), c.linkedAfterBlock.end(), true);
    ASSERT_NE(relinked, c.linkedAfterBlock.end());
    // The same since the last `part` samples of `rest`.
    const size_t sameFor = part + c.blockEnds[static_cast<size_t>(relinked - c.linkedAfterBlock.begin())];
    EXPECT_GE(sameFor, static_cast<size_t>(EffectChain::relinkSeconds * host.sampleRate));
    EXPECT_LT(sameFor, static_cast<size_t>(EffectChain::relinkSeconds * host.sampleRate) + 2000);
    EXPECT_TRUE(std::all_of(relinked, c.linkedAfterBlock.end(), [](bool b) { return b; }));
}

TEST(LinkedChannels, partedChannelsLinkAgainInSilenceOnceTheRecurrentModelHasSettled)
{
    // The default model (an LSTM) at full drive ends in silence in a two-sample cycle of
    // rounding steps (7.2059e-05, 7.2129e-05), each channel in its own phase, never bit for bit
    // the same: relinking must not wait for that (the soak's silence after varied stereo).
    const auto model = loadModelFile(TORCHAMP_DEFAULT_MODEL_PATH);
    ASSERT_TRUE(model.ok()) << model.error();
    EffectChain chain;
    chain.prepare(host);
    ASSERT_TRUE(chain.publish(runnerFor(*model, chain)));
    chain.setKnob(0, 1.0f); // where the soak's automation leaves it
    chain.setMix(0.7f);
    const auto input = partingInput(24000, 0);
    const auto parted = std::vector<std::vector<float>> { { input[0].begin() + 24000, input[0].end() },
                                                          { input[1].begin() + 24000, input[1].end() } };
    play(chain, parted);
    EXPECT_FALSE(chain.channelsLinked());
    const std::vector<float> silence(static_cast<size_t>(3 * host.sampleRate), 0.0f);
    const auto quiet = play(chain, { silence, silence });
    EXPECT_TRUE(chain.channelsLinked());
    const auto lastSecond = quiet.out[0].size() - static_cast<size_t>(host.sampleRate);
    EXPECT_EQ(std::vector<float>(quiet.out[0].begin() + static_cast<long>(lastSecond), quiet.out[0].end()),
              std::vector<float>(quiet.out[1].begin() + static_cast<long>(lastSecond), quiet.out[1].end()));
}

TEST(LinkedChannels, anEngineThatCannotCopyItsStatePlaysEveryChannelFromTheStart)
{
    int most = 0;
    EffectChain chain;
    chain.prepare(host);
    ASSERT_TRUE(chain.publish(countingRunner(chain, &most, false)));
    const auto mono = test::makeTestSignal(2000, 3);
    const auto out = play(chain, { mono, mono });
    EXPECT_EQ(most, 2);
    EXPECT_FALSE(chain.channelsLinked());
    EXPECT_EQ(out.out[0], out.out[1]);
}

TEST(LinkedChannels, theGateGoesOnListeningAsIfBothChannelsHadBeenHeard)
{
    // Both channels just below the threshold, then the first falls silent: the gate listens to
    // the louder one, so its reduction must not move while the second one's level, copied over
    // when they part, carries on.
    std::vector<float> quiet = test::makeTestSignal(4800, 7, 0.003f), silence(4800, 0.0f), ones(4800, 1.0f);
    NoiseGate both, firstThenCopied;
    for (auto* gate : { &both, &firstThenCopied })
    {
        gate->prepare(host, host.sampleRate);
        gate->setEnabled(true);
        gate->setThresholdDb(-45.0f);
    }
    std::vector<std::vector<float>> gainsBoth, gainsCopied;
    auto gains = [&](NoiseGate& gate, std::vector<const float*> in, auto& into)
    {
        for (int start = 0; start < 4800; start += 240)
        {
            std::vector<const float*> block;
            for (const float* p : in)
                block.push_back(p + start);
            gate.listen(block.data(), static_cast<int>(block.size()), 240);
            std::vector<float> g(ones.begin(), ones.begin() + 240);
            float* io[] = { g.data() };
            gate.apply(io, 1, 240, 0);
            into.push_back(g);
        }
    };
    gains(both, { quiet.data(), quiet.data() }, gainsBoth);
    gains(firstThenCopied, { quiet.data() }, gainsCopied);
    firstThenCopied.copyChannelState(0, 1);
    gains(both, { silence.data(), quiet.data() }, gainsBoth);
    gains(firstThenCopied, { silence.data(), quiet.data() }, gainsCopied);
    EXPECT_EQ(gainsBoth, gainsCopied);
    EXPECT_NE(both.gainReductionDb(), 0.0f); // the gate was closing: the level mattered
}

TEST(LinkedChannels, aMonoInputAndAMonoInstanceAreNeverUnlinked)
{
    // One input channel has nothing to differ from: mono, and mono in / stereo out, stay linked.
    EffectChain chain;
    chain.prepare({ 48000.0, 256, 2 });
    std::vector<float> left = test::makeTestSignal(512, 4), right(512, 0.0f);
    float* io[] = { left.data(), right.data() };
    chain.process(io, 1, 2, 512);
    EXPECT_TRUE(chain.channelsLinked());
    chain.process(io, 1, 1, 512);
    EXPECT_TRUE(chain.channelsLinked());
}

} // namespace
} // namespace torchamp
