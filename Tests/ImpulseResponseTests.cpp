// Impulse responses: what is refused, the leading silence, NAM's level law, and resampling to the
// host's rate against the same response sampled at that rate.

#include "CabinetResponse.h"
#include "ImpulseResponse.h"

#include <gtest/gtest.h>

#include <cmath>

namespace torchamp
{
namespace
{

constexpr double pi = 3.14159265358979323846;

/** A 2 kHz tone burst under a Gaussian envelope centred on 2 ms: band-limited well below any
    Nyquist frequency, so every rate samples the same response. */
double burst(double t)
{
    const double u = (t - 0.002) / 0.0005;
    return std::exp(-u * u) * std::cos(2.0 * pi * 2000.0 * t);
}

ImpulseResponse sampledBurst(int rate, double seconds = 0.006)
{
    ImpulseResponse ir;
    ir.name = "burst.wav";
    ir.sampleRate = rate;
    ir.channels.assign(1, std::vector<float>(static_cast<size_t>(seconds * rate)));
    for (size_t i = 0; i < ir.channels[0].size(); ++i)
        ir.channels[0][i] = static_cast<float>(burst(static_cast<double>(i) / rate));
    return ir;
}

float levelLaw(double hostRate)
{
    return static_cast<float>(std::pow(10.0, -18.0 / 20.0) * 48000.0 / hostRate);
}

TEST(ImpulseResponse, refusesWhatCannotPlayAndSaysWhy)
{
    auto ir = sampledBurst(48000);
    EXPECT_EQ(ir.validate(), "");
    auto three = ir;
    three.channels.resize(3, ir.channels[0]);
    EXPECT_NE(three.validate().find("has 3 channels"), std::string::npos);
    auto uneven = ir;
    uneven.channels.push_back(std::vector<float>(10, 0.1f));
    EXPECT_NE(uneven.validate().find("differ in length"), std::string::npos);
    auto slow = ir;
    slow.sampleRate = 1000;
    EXPECT_NE(slow.validate().find("outside the 8 kHz..768 kHz"), std::string::npos);
    auto longer = ir;
    longer.channels[0].assign(48000 * 11, 0.1f);
    EXPECT_NE(longer.validate().find("11 s long"), std::string::npos);
    auto broken = ir;
    broken.channels[0][5] = NAN;
    EXPECT_NE(broken.validate().find("not numbers"), std::string::npos);
    auto silent = ir;
    std::fill(silent.channels[0].begin(), silent.channels[0].end(), 0.0f);
    EXPECT_NE(silent.validate().find("silent"), std::string::npos);
    EXPECT_NE(ImpulseResponse{}.validate().find("has 0 channels"), std::string::npos);
}

TEST(ImpulseResponse, leadingSilenceEndsAtTheFirstSampleWithinSixtyDecibelsOfThePeak)
{
    ImpulseResponse ir;
    ir.sampleRate = 48000;
    ir.channels.assign(2, std::vector<float>(400, 0.0f));
    ir.channels[1][120] = 0.5f;    // the peak, on the right
    ir.channels[0][100] = 0.0004f; // -62 dB: silence
    ir.channels[0][110] = 0.0006f; // -58 dB: the response starts here
    EXPECT_EQ(ir.leadingSilence(), 110u);
    const auto taps = ir.preparedFor(48000.0);
    ASSERT_EQ(taps.size(), 2u);
    EXPECT_EQ(taps[0].size(), 290u);
    EXPECT_FLOAT_EQ(taps[1][10], 0.5f * levelLaw(48000.0));
}

TEST(ImpulseResponse, atTheHostRateTheTapsAreTheSamplesTimesNamsLevel)
{
    const auto ir = sampledBurst(96000);
    const auto skip = ir.leadingSilence();
    const auto taps = ir.preparedFor(96000.0);
    ASSERT_EQ(taps[0].size(), ir.numFrames() - skip);
    for (size_t i = 0; i < taps[0].size(); ++i)
        ASSERT_EQ(taps[0][i], ir.channels[0][i + skip] * levelLaw(96000.0)) << i;
}

class ResampledResponse : public ::testing::TestWithParam<std::pair<int, int>>
{
};

TEST_P(ResampledResponse, equalsTheSameResponseSampledAtTheHostRate)
{
    const auto [fileRate, hostRate] = GetParam();
    const auto ir = sampledBurst(fileRate);
    const double start = static_cast<double>(ir.leadingSilence()) / fileRate;
    const auto taps = ir.preparedFor(hostRate)[0];
    EXPECT_EQ(taps.size(),
              static_cast<size_t>(
                  (static_cast<long long>(ir.numFrames() - ir.leadingSilence()) * hostRate + fileRate - 1) /
                  fileRate));
    // Resampling keeps each sample's amplitude; the level law alone scales it. Trimming the
    // silence leaves a step of about 1e-3 (-60 dB) at the start, which a band-limited resampler
    // rings on for a few tenths of a millisecond; after it the two agree closely.
    double worstAtStart = 0.0, worstAfter = 0.0;
    for (size_t i = 0; i < taps.size(); ++i)
    {
        const double t = static_cast<double>(i) / hostRate;
        const double error = std::abs(taps[i] / levelLaw(hostRate) - burst(start + t));
        double& worst = t < 0.0005 ? worstAtStart : worstAfter;
        worst = std::max(worst, error);
    }
    EXPECT_LT(worstAtStart, 5e-4) << fileRate << " -> " << hostRate;
    EXPECT_LT(worstAfter, 2e-5) << fileRate << " -> " << hostRate;
}

INSTANTIATE_TEST_SUITE_P(Rates, ResampledResponse,
                         ::testing::Values(std::make_pair(44100, 48000), std::make_pair(96000, 48000),
                                           std::make_pair(48000, 44100), std::make_pair(48000, 192000),
                                           std::make_pair(22050, 96000)));

TEST(ImpulseResponse, ratesWithoutASmallCommonRatioAreRefusedWithTheReason)
{
    const auto ir = sampledBurst(44101);
    EXPECT_THROW(
        {
            try
            {
                ir.preparedFor(48000.0);
            }
            catch (const std::invalid_argument& e)
            {
                EXPECT_NE(std::string(e.what()).find("no small common ratio"), std::string::npos) << e.what();
                throw;
            }
        },
        std::invalid_argument);
}

TEST(CabinetResponse, aStereoResponseConvolvesLeftAndRightAndAMonoOneEveryChannel)
{
    ImpulseResponse stereo;
    stereo.sampleRate = 48000;
    stereo.channels = {{1.0f, 0.0f, 0.0f}, {1.0f, 0.0f, 0.5f}};
    CabinetResponse cabinet(stereo, {48000.0, 64, 3}, ConvolutionLatency::zero);
    EXPECT_EQ(cabinet.latencySamples(), 0);
    EXPECT_EQ(cabinet.tapsAtHostRate(), 3);
    std::vector<std::vector<float>> audio(3, std::vector<float>(8, 0.0f));
    for (auto& a : audio)
        a[0] = 1.0f;
    float* io[] = {audio[0].data(), audio[1].data(), audio[2].data()};
    cabinet.process(io, io, 3, 8);
    const float g = levelLaw(48000.0);
    EXPECT_NEAR(audio[0][2], 0.0f, 1e-7);
    EXPECT_NEAR(audio[1][2], 0.5f * g, 1e-7);
    EXPECT_NEAR(audio[2][2], 0.0f, 1e-7) << "a third channel takes the left response";
    EXPECT_NEAR(audio[0][0], g, 1e-7);
}

} // namespace
} // namespace torchamp
