// The stages the full chain added around the model: the cabinet's convolution inside the chain,
// the noise gate, the tone stack, input calibration, and the parameter catalogue.

#include "EffectChain.h"
#include "NoiseGate.h"
#include "TestSupport.h"
#include "ToneStack.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <set>

namespace torchamp
{
namespace
{

constexpr double pi = 3.14159265358979323846;

std::vector<std::vector<float>> play(EffectChain& chain, std::vector<std::vector<float>> audio, int block)
{
    const size_t n = audio.front().size();
    std::vector<float*> at(audio.size());
    for (size_t s = 0; s < n; s += static_cast<size_t>(block))
    {
        for (size_t c = 0; c < audio.size(); ++c)
            at[c] = audio[c].data() + s;
        chain.process(at.data(), static_cast<int>(audio.size()),
                      static_cast<int>(std::min<size_t>(static_cast<size_t>(block), n - s)));
    }
    return audio;
}

std::unique_ptr<ModelRunner> runner(const ModelSpec& spec, const EffectChain& chain)
{
    auto r = std::make_unique<ModelRunner>(spec, chain.config());
    r->warmUp();
    return r;
}

ImpulseResponse decayingNoise(int rate, size_t frames, int channels, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    ImpulseResponse ir;
    ir.name = "noise.wav";
    ir.sampleRate = rate;
    ir.channels.assign(static_cast<size_t>(channels), std::vector<float>(frames));
    for (auto& ch : ir.channels)
        for (size_t i = 0; i < frames; ++i)
            ch[i] = d(rng) *
                    static_cast<float>(std::exp(-5.0 * static_cast<double>(i) / static_cast<double>(frames)));
    for (auto& ch : ir.channels)
        ch[0] = 1.0f; // no leading silence
    return ir;
}

std::vector<float> sine(size_t n, double hz, double rate, double amplitude = 0.5)
{
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i)
        x[i] = static_cast<float>(amplitude * std::sin(2.0 * pi * hz * static_cast<double>(i) / rate));
    return x;
}

double rms(const std::vector<float>& x, size_t from, size_t to)
{
    double s = 0.0;
    for (size_t i = from; i < to; ++i)
        s += static_cast<double>(x[i]) * x[i];
    return std::sqrt(s / static_cast<double>(to - from));
}

double db(double ratio)
{
    return 20.0 * std::log10(ratio);
}

// --- the cabinet inside the chain -----------------------------------------------------------

class CabinetInTheChain : public ::testing::TestWithParam<ConvolutionLatency>
{
};

TEST_P(CabinetInTheChain, identityModelThenTheResponseIsTheInputConvolvedWithThePreparedTaps)
{
    EffectChain chain;
    chain.prepare({48000.0, 256, 2});
    EXPECT_EQ(chain.setCabinetLatency(GetParam()), "");
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    const auto ir = decayingNoise(48000, 3000, 2, 11);
    ASSERT_EQ(chain.loadImpulseResponse(ir), "");
    const int latency = chain.latencySamples();
    EXPECT_EQ(latency, GetParam() == ConvolutionLatency::zero ? 0 : 512);
    ASSERT_TRUE(chain.currentImpulseResponse());
    EXPECT_EQ(chain.currentImpulseResponse()->name, "noise.wav");
    EXPECT_EQ(chain.currentImpulseResponse()->numChannels, 2);

    // The response glides in over the crossfade; after it, every sample is the convolution.
    const auto x = test::makeTestSignal(24000, 3, 0.5f);
    const auto y = play(chain, {x, x}, 256);
    const auto taps = ir.preparedFor(48000.0);
    for (int c = 0; c < 2; ++c)
    {
        double worst = 0.0;
        for (size_t t = 2000; t < x.size(); ++t)
        {
            double ref = 0.0;
            for (size_t j = 0;
                 j < taps[static_cast<size_t>(c)].size() && j + static_cast<size_t>(latency) <= t; ++j)
                ref += static_cast<double>(taps[static_cast<size_t>(c)][j]) *
                       x[t - static_cast<size_t>(latency) - j];
            worst = std::max(worst, std::abs(ref - y[static_cast<size_t>(c)][t]));
        }
        EXPECT_LT(worst, 1e-5) << "channel " << c;
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, CabinetInTheChain,
                         ::testing::Values(ConvolutionLatency::zero, ConvolutionLatency::lowCpu));

TEST(CabinetInTheChain, switchedOffTheInputPassesDelayedByTheUnchangedLatency)
{
    EffectChain chain;
    chain.prepare({48000.0, 128, 1});
    chain.setCabinetLatency(ConvolutionLatency::lowCpu);
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    ASSERT_EQ(chain.loadImpulseResponse(decayingNoise(48000, 2000, 1, 2)), "");
    chain.setParameter(ParameterId::irOn, 0.0f);
    const auto x = test::makeTestSignal(12000, 4, 0.5f);
    const auto y = play(chain, {x}, 128);
    EXPECT_EQ(chain.latencySamples(), 512);
    EXPECT_LT(test::maxDelayedDifference(x, y[0], 512, 3000), 1e-7);
}

TEST(CabinetInTheChain, withoutAResponseTheAudioIsUntouched)
{
    EffectChain chain;
    chain.prepare({48000.0, 64, 1});
    ASSERT_TRUE(chain.publish(runner(test::identitySpec(48000), chain)));
    EXPECT_FALSE(chain.currentImpulseResponse());
    const auto x = test::makeTestSignal(4000, 5);
    EXPECT_EQ(play(chain, {x}, 64)[0], x);
    ASSERT_EQ(chain.loadImpulseResponse(decayingNoise(48000, 100, 1, 3)), "");
    chain.unloadImpulseResponse();
    EXPECT_FALSE(chain.currentImpulseResponse());
    play(chain, {x}, 64); // glides out over the crossfade
    EXPECT_EQ(play(chain, {x}, 64)[0], x);
}

TEST(CabinetInTheChain, aResponseThatCannotPlayIsRefusedWithItsName)
{
    EffectChain chain;
    chain.prepare({48000.0, 64, 1});
    auto ir = decayingNoise(44101, 100, 1, 3);
    const auto message = chain.loadImpulseResponse(ir);
    EXPECT_EQ(message.rfind("noise.wav: ", 0), 0u) << message;
    EXPECT_NE(message.find("no small common ratio"), std::string::npos) << message;
    ir.channels.clear();
    EXPECT_EQ(chain.loadImpulseResponse(ir).rfind("noise.wav: the impulse response has 0 channels", 0), 0u);
    EXPECT_FALSE(chain.currentImpulseResponse());
}

TEST(CabinetInTheChain, prepareResamplesTheResponseToTheNewRate)
{
    EffectChain chain;
    chain.prepare({48000.0, 64, 1});
    ASSERT_EQ(chain.loadImpulseResponse(decayingNoise(48000, 4800, 1, 9)), "");
    EXPECT_EQ(chain.currentImpulseResponse()->tapsAtHostRate, 4800);
    chain.prepare({96000.0, 64, 1});
    EXPECT_EQ(chain.currentImpulseResponse()->tapsAtHostRate, 9600);
    EXPECT_EQ(chain.currentImpulseResponse()->sampleRate, 48000);
}

// --- the noise gate -------------------------------------------------------------------------

/** A model whose output is its input plus 0.01: a constant "hiss" that only the gate can remove. */
ModelSpec hissingIdentity()
{
    auto spec = test::identitySpec(48000);
    spec.headBias = 0.01f;
    return spec;
}

TEST(NoiseGate, offLeavesTheAudioBitForBit)
{
    EffectChain gated, plain;
    for (auto* chain : {&gated, &plain})
    {
        chain->prepare({48000.0, 128, 2});
        ASSERT_TRUE(chain->publish(runner(hissingIdentity(), *chain)));
    }
    gated.setParameter(ParameterId::gateOn, 1.0f);
    gated.setParameter(ParameterId::gateOn, 0.0f);
    gated.setParameter(ParameterId::gateThreshold, -20.0f);
    const auto x = test::makeTestSignal(9600, 6);
    EXPECT_EQ(play(gated, {x, x}, 128), play(plain, {x, x}, 128));
}

TEST(NoiseGate, computesItsGainFromTheInputAndGatesTheModelsOutput)
{
    EffectChain chain;
    chain.prepare({48000.0, 128, 1});
    ASSERT_TRUE(chain.publish(runner(hissingIdentity(), chain)));
    chain.setParameter(ParameterId::gateOn, 1.0f);
    chain.setParameter(ParameterId::gateThreshold, -40.0f);
    // 0.5 s of a loud tone, 0.5 s of silence at the input (the model's hiss remains), the tone again.
    auto x = sine(72000, 220.0, 48000.0, 0.5);
    std::fill(x.begin() + 24000, x.begin() + 48000, 0.0f);
    const auto y = play(chain, {x}, 128)[0];
    // Open while the tone plays: the output is the tone plus the hiss, untouched.
    for (size_t i = 2000; i < 24000; ++i)
        ASSERT_NEAR(y[i], x[i] + 0.01f, 1e-6) << i;
    // The input's level falls below -40 dB within about 100 ms of silence (its power halves every
    // 10 ms); after the 10 ms hold and the 50 ms release the hiss is 100 dB down and falling.
    EXPECT_LT(rms(y, 24000 + 9600, 48000), 0.01 * std::pow(10.0, -100.0 / 20.0));
    EXPECT_GT(rms(y, 24000, 24000 + 2400), 0.009) << "still open at first";
    // When the tone returns the gate opens within the 5 ms attack.
    for (size_t i = 48000 + 480; i < 72000; ++i)
        ASSERT_NEAR(y[i], x[i] + 0.01f, 1e-6) << i;
    EXPECT_EQ(chain.gateReductionDb(), 0.0f);
}

TEST(NoiseGate, hysteresisKeepsTheGateOpenJustBelowTheThreshold)
{
    // A tone at -30 dB power, then 30 dB quieter: below a -40 dB threshold, above -40 - 25 dB.
    auto x = sine(48000, 220.0, 48000.0, std::sqrt(2.0) * std::pow(10.0, -30.0 / 20.0));
    for (size_t i = 24000; i < x.size(); ++i)
        x[i] *= static_cast<float>(std::pow(10.0, -30.0 / 20.0));
    auto levelAtEnd = [&](float hysteresis)
    {
        EffectChain chain;
        chain.prepare({48000.0, 128, 1});
        chain.publish(runner(test::identitySpec(48000), chain));
        chain.setParameter(ParameterId::gateOn, 1.0f);
        chain.setParameter(ParameterId::gateThreshold, -40.0f);
        chain.setParameter(ParameterId::gateHysteresis, hysteresis);
        const auto y = play(chain, {x}, 128)[0];
        return db(rms(y, 40000, 48000) / rms(x, 40000, 48000));
    };
    EXPECT_NEAR(levelAtEnd(25.0f), 0.0, 1e-4) << "held open";
    // Closed, towards 0.1 * (-60 - -40)^2 = 40 dB of reduction.
    EXPECT_LT(levelAtEnd(0.0f), -30.0);
}

TEST(NoiseGate, theGainIsDelayedToMeetTheOutputOfTheAudioItCameFrom)
{
    NoiseGate a, b;
    const HostConfig config{48000.0, 64, 1};
    for (auto* g : {&a, &b})
    {
        g->prepare(config, 48000.0);
        g->setEnabled(true);
        g->setThresholdDb(-30.0f);
    }
    auto x = sine(9600, 300.0, 48000.0, 0.5);
    std::fill(x.begin() + 3000, x.begin() + 6000, 0.0f);
    const int delay = 100;
    std::vector<float> immediate = x, delayed(x.size(), 0.0f);
    std::copy(x.begin(), x.end() - delay, delayed.begin() + delay);
    for (size_t s = 0; s < x.size(); s += 64)
    {
        const float* in[] = {x.data() + s};
        float* now[] = {immediate.data() + s};
        float* later[] = {delayed.data() + s};
        a.listen(in, 1, 64);
        a.apply(now, 1, 64, 0);
        b.listen(in, 1, 64);
        b.apply(later, 1, 64, delay);
    }
    for (size_t i = static_cast<size_t>(delay); i < x.size(); ++i)
        ASSERT_EQ(delayed[i], immediate[i - static_cast<size_t>(delay)]) << i;
}

// --- the tone stack -------------------------------------------------------------------------

TEST(ToneStack, flatIsBitForBitOnAndOff)
{
    const auto x = test::makeTestSignal(20000, 8);
    for (float on : {1.0f, 0.0f})
    {
        EffectChain chain;
        chain.prepare({48000.0, 128, 1});
        chain.publish(runner(test::identitySpec(48000), chain));
        chain.setParameter(ParameterId::toneOn, on);
        chain.setParameter(ParameterId::bass, 6.0f);
        chain.setParameter(ParameterId::bass, 0.0f); // moved and back: flat once the glide is over
        play(chain, {x}, 128);
        EXPECT_EQ(play(chain, {x}, 128)[0], x) << on;
    }
}

struct BandCase
{
    ParameterId band;
    double hz;
    float gainDb;
};

class ToneBand : public ::testing::TestWithParam<BandCase>
{
};

TEST_P(ToneBand, movesItsFrequenciesByItsGainAndLeavesTheOthers)
{
    const auto c = GetParam();
    auto gainAt = [&](double hz, float setting, bool on = true)
    {
        EffectChain chain;
        chain.prepare({48000.0, 256, 1});
        chain.publish(runner(test::identitySpec(48000), chain));
        chain.setParameter(ParameterId::toneOn, on ? 1.0f : 0.0f);
        chain.setParameter(c.band, setting);
        const auto x = sine(48000, hz, 48000.0, 0.1);
        const auto y = play(chain, {x}, 256)[0];
        return db(rms(y, 24000, 48000) / rms(x, 24000, 48000));
    };
    EXPECT_NEAR(gainAt(c.hz, c.gainDb), c.gainDb, 0.25);
    EXPECT_NEAR(gainAt(c.hz, -c.gainDb), -c.gainDb, 0.25);
    EXPECT_NEAR(gainAt(c.hz, c.gainDb, false), 0.0, 1e-6) << "off: flat";
}

INSTANTIATE_TEST_SUITE_P(Bands, ToneBand,
                         ::testing::Values(BandCase{ParameterId::bass, 30.0, 12.0f},
                                           BandCase{ParameterId::middle, 425.0, 12.0f},
                                           BandCase{ParameterId::treble, 12000.0, 12.0f},
                                           BandCase{ParameterId::presence, 18000.0, 12.0f}));

TEST(ToneStack, automationGlidesWithoutSteps)
{
    // Every band swings between -12 dB and +12 dB every 2048 samples on a 100 Hz sine. A steady
    // sine's second difference is its amplitude times (2 pi 100 / 48000)^2; a step in gain shows
    // as a far larger one. The same automation without smoothing (each change a jump) is the
    // contrast that shows the measure sees steps.
    auto secondDifference = [](const std::vector<float>& y, size_t from)
    {
        double largest = 0.0;
        for (size_t i = std::max<size_t>(from, 2); i < y.size(); ++i)
            largest = std::max(largest, std::abs(static_cast<double>(y[i]) - 2.0 * y[i - 1] + y[i - 2]));
        return largest;
    };
    auto run = [](bool automate, double smoothingSeconds)
    {
        ToneStack stack;
        stack.prepare({48000.0, 64, 1}, 48000.0, smoothingSeconds);
        for (int b = 0; b < ToneStack::numBands; ++b)
            stack.setGainDb(static_cast<ToneStack::Band>(b), 12.0f);
        auto x = sine(48000, 100.0, 48000.0, 0.5);
        for (size_t s = 0; s < x.size(); s += 64)
        {
            if (automate && s % 2048 == 0)
                for (int b = 0; b < ToneStack::numBands; ++b)
                    stack.setGainDb(static_cast<ToneStack::Band>(b), (s / 2048) % 2 ? 12.0f : -12.0f);
            float* io[] = {x.data() + s};
            stack.process(io, 1, 64);
        }
        return x;
    };
    const double steady = secondDifference(run(false, EffectChain::smoothingSeconds), 4800);
    const double smoothed = secondDifference(run(true, EffectChain::smoothingSeconds), 0);
    const double jumping = secondDifference(run(true, 0.0), 0);
    std::cout << "second difference: steady " << steady << ", automated " << smoothed << ", unsmoothed "
              << jumping << "\n";
    EXPECT_LT(steady, 1e-3);
    EXPECT_LT(smoothed, 10.0 * steady);
    EXPECT_GT(jumping, 10.0 * steady);
}

// --- input calibration ----------------------------------------------------------------------

TEST(InputCalibration, addsTheInterfaceLevelMinusTheModelsInputLevel)
{
    EXPECT_FLOAT_EQ(InputGain::calibrationDb(true, 12.0f, 6.0f), 6.0f);
    EXPECT_FLOAT_EQ(InputGain::calibrationDb(true, 3.0f, 9.5f), -6.5f);
    EXPECT_EQ(InputGain::calibrationDb(false, 12.0f, 6.0f), 0.0f);
    EXPECT_EQ(InputGain::calibrationDb(true, 12.0f, NAN), 0.0f)
        << "a model without the metadata is unchanged";

    auto outputLevel = [](float modelDbu, bool calibrate)
    {
        EffectChain chain;
        chain.prepare({48000.0, 128, 1});
        auto spec = test::identitySpec(48000);
        spec.inputLevelDbu = modelDbu;
        chain.publish(runner(spec, chain));
        chain.setParameter(ParameterId::calibrateInput, calibrate ? 1.0f : 0.0f);
        chain.setParameter(ParameterId::interfaceLevel, 18.0f);
        chain.setParameter(ParameterId::inputGain, -2.0f);
        return play(chain, {std::vector<float>(4800, 0.1f)}, 128)[0].back();
    };
    EXPECT_NEAR(db(outputLevel(6.0f, true) / 0.1), 18.0 - 6.0 - 2.0, 1e-4);
    EXPECT_NEAR(db(outputLevel(6.0f, false) / 0.1), -2.0, 1e-4);
    EXPECT_NEAR(db(outputLevel(NAN, true) / 0.1), -2.0, 1e-4);
}

// --- the parameter catalogue ----------------------------------------------------------------

TEST(Parameters, everyParameterHasAUniqueKeyAndADefaultInItsRange)
{
    std::set<std::string> keys;
    for (const auto& p : parameterCatalogue())
    {
        EXPECT_TRUE(keys.insert(p.key).second) << p.key;
        EXPECT_LE(p.minimum, p.defaultValue) << p.key;
        EXPECT_LE(p.defaultValue, p.maximum) << p.key;
        EXPECT_EQ(findParameter(p.key), p.id);
        if (p.kind == ParameterKind::toggle)
            EXPECT_TRUE(p.minimum == 0.0f && p.maximum == 1.0f) << p.key;
        if (p.skewCentre != 0.0f)
            EXPECT_TRUE(p.minimum < p.skewCentre && p.skewCentre < p.maximum) << p.key;
    }
    EXPECT_FALSE(findParameter("loudness"));
}

TEST(Parameters, theParametersOfTorchAmpZeroPointOneKeepTheirKeysVersionsAndOrder)
{
    const char* old[] = {"inputGain", "outputGain", "mix",   "bypass", "normalise", "knob1", "knob2",
                         "knob3",     "knob4",      "knob5", "knob6",  "knob7",     "knob8"};
    for (int i = 0; i < 13; ++i)
    {
        EXPECT_STREQ(parameterCatalogue()[static_cast<size_t>(i)].key, old[i]);
        EXPECT_EQ(parameterCatalogue()[static_cast<size_t>(i)].version, 1);
    }
    for (size_t i = 13; i < parameterCatalogue().size(); ++i)
        EXPECT_EQ(parameterCatalogue()[i].version, 2) << parameterCatalogue()[i].key;
    EXPECT_EQ(knobParameter(2), ParameterId::knob3);
    EXPECT_EQ(knobIndex(ParameterId::knob8), 7);
    EXPECT_EQ(knobIndex(ParameterId::bass), -1);
}

TEST(Parameters, aFreshChainPlaysAsTheCataloguesDefaults)
{
    // The plugin builds its host parameters from the catalogue and the render tool applies them:
    // a chain nobody has set a parameter on must already play as they say.
    auto render = [](bool applyDefaults)
    {
        EffectChain chain;
        if (applyDefaults)
            chain.setParameters(ParameterValues{});
        chain.prepare({48000.0, 128, 2});
        chain.publish(runner(hissingIdentity(), chain));
        const auto x = test::makeTestSignal(24000, 11, 0.3f);
        return play(chain, {x, x}, 128);
    };
    EXPECT_EQ(render(false), render(true));
}

TEST(Parameters, setParameterWorksInTheParametersOwnUnits)
{
    auto render = [](auto configure)
    {
        EffectChain chain;
        chain.prepare({48000.0, 128, 1});
        chain.publish(runner(test::identitySpec(48000), chain));
        configure(chain);
        return play(chain, {test::makeTestSignal(4800, 10)}, 128)[0];
    };
    EXPECT_EQ(render([](EffectChain& c) { c.setParameter(ParameterId::outputGain, -6.0f); }),
              render([](EffectChain& c) { c.setOutputGainDb(-6.0f); }));
    EXPECT_EQ(render([](EffectChain& c) { c.setParameter(ParameterId::mix, 30.0f); }),
              render([](EffectChain& c) { c.setMix(0.3f); }));
    EXPECT_EQ(render([](EffectChain& c) { c.setParameter(ParameterId::outputGain, 60.0f); }),
              render([](EffectChain& c) { c.setOutputGainDb(24.0f); }))
        << "clamped to the range";
    EXPECT_EQ(render([](EffectChain& c) { c.setParameter(ParameterId::outputGain, NAN); }),
              render([](EffectChain&) {}))
        << "not a number: ignored";
    ParameterValues values;
    values.set(ParameterId::inputGain, -3.0f);
    values.set(ParameterId::inputGain, NAN);
    EXPECT_EQ(values[ParameterId::inputGain], -3.0f);
    values.set(ParameterId::bass, 40.0f);
    EXPECT_EQ(values[ParameterId::bass], 12.0f);
    EXPECT_EQ(render([&](EffectChain& c) { c.setParameters(values); }),
              render(
                  [](EffectChain& c)
                  {
                      c.setInputGainDb(-3.0f);
                      c.setParameter(ParameterId::bass, 12.0f);
                  }));
}

} // namespace
} // namespace torchamp
