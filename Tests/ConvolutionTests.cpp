// The FFT and the partitioned convolver against direct sums in double precision, at every block
// size pattern a host can send, in both latency modes.

#include "PartitionedConvolver.h"
#include "RealFft.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace torchamp
{
namespace
{

std::vector<float> randomSignal(size_t n, unsigned seed, float scale = 1.0f)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> x(n);
    for (auto& v : x)
        v = d(rng);
    return x;
}

/** A decaying noise burst, as a cabinet's response looks: loud at first, quiet at the end. */
std::vector<float> decayingResponse(size_t n, unsigned seed)
{
    auto h = randomSignal(n, seed);
    for (size_t i = 0; i < n; ++i)
        h[i] *= static_cast<float>(std::exp(-4.0 * static_cast<double>(i) / static_cast<double>(n)));
    return h;
}

std::vector<double> directConvolution(const std::vector<float>& x, const std::vector<float>& h)
{
    std::vector<double> y(x.size(), 0.0);
    for (size_t t = 0; t < x.size(); ++t)
        for (size_t j = 0; j < h.size() && j <= t; ++j)
            y[t] += static_cast<double>(h[j]) * x[t - j];
    return y;
}

TEST(RealFft, matchesTheDiscreteFourierTransformInDouble)
{
    for (int n : {4, 8, 16, 128, 1024, 4096})
    {
        RealFft fft(n);
        const auto x = randomSignal(static_cast<size_t>(n), static_cast<unsigned>(n));
        std::vector<float> re(static_cast<size_t>(n / 2 + 1)), im(re.size());
        fft.forward(x.data(), re.data(), im.data());
        double worst = 0.0, scale = std::sqrt(static_cast<double>(n));
        for (int k = 0; k <= n / 2; ++k)
        {
            double sr = 0.0, si = 0.0;
            for (int t = 0; t < n; ++t)
            {
                const double a = -2.0 * 3.14159265358979323846 * k * t / n;
                sr += x[static_cast<size_t>(t)] * std::cos(a);
                si += x[static_cast<size_t>(t)] * std::sin(a);
            }
            worst = std::max({worst, std::abs(sr - re[static_cast<size_t>(k)]),
                              std::abs(si - im[static_cast<size_t>(k)])});
        }
        // Float rounding grows about with sqrt(n) log n against a spectrum of size sqrt(n).
        EXPECT_LT(worst / scale, 2e-6) << n;

        std::vector<float> back(static_cast<size_t>(n));
        fft.inverse(re.data(), im.data(), back.data());
        for (int t = 0; t < n; ++t)
            ASSERT_NEAR(back[static_cast<size_t>(t)] / n, x[static_cast<size_t>(t)], 1e-6) << n << " " << t;
    }
}

TEST(RealFft, refusesSizesThatAreNotPowersOfTwo)
{
    EXPECT_THROW(RealFft(0), std::invalid_argument);
    EXPECT_THROW(RealFft(2), std::invalid_argument);
    EXPECT_THROW(RealFft(96), std::invalid_argument);
}

struct ConvolutionCase
{
    int taps;
    ConvolutionLatency mode;
    int lowCpuPartition;
};

class ConvolverAgainstDirectSum : public ::testing::TestWithParam<ConvolutionCase>
{
};

TEST_P(ConvolverAgainstDirectSum, matchesWithinOneInTenToTheFiveAtEveryBlockPattern)
{
    const auto c = GetParam();
    const auto h = decayingResponse(static_cast<size_t>(c.taps), static_cast<unsigned>(c.taps));
    const auto x = randomSignal(static_cast<size_t>(std::max(3 * c.taps, 6000)), 7, 0.5f);
    const auto reference = directConvolution(x, h);
    const ConvolutionKernel kernel(h, c.mode, c.lowCpuPartition);
    const int latency = kernel.latencySamples();
    EXPECT_EQ(latency, c.mode == ConvolutionLatency::zero ? 0 : c.lowCpuPartition);

    for (const auto& pattern : std::vector<std::vector<int>>{{1}, {64}, {333, 1, 17, 512}, {8192}})
    {
        PartitionedConvolver convolver(kernel);
        auto y = x;
        size_t b = 0;
        for (size_t s = 0; s < y.size();)
        {
            const int n = static_cast<int>(
                std::min<size_t>(static_cast<size_t>(pattern[b++ % pattern.size()]), y.size() - s));
            convolver.process(y.data() + s, y.data() + s, n); // in place
            s += static_cast<size_t>(n);
        }
        double worst = 0.0, peak = 0.0;
        for (size_t t = static_cast<size_t>(latency); t < y.size(); ++t)
        {
            worst = std::max(worst, std::abs(y[t] - reference[t - static_cast<size_t>(latency)]));
            peak = std::max(peak, std::abs(reference[t - static_cast<size_t>(latency)]));
        }
        for (size_t t = 0; t < static_cast<size_t>(latency); ++t)
            ASSERT_EQ(y[t], 0.0f) << "nothing comes out before the latency";
        EXPECT_LT(worst, 1e-5 * std::max(1.0, peak)) << c.taps << " taps, blocks " << pattern.front();
    }
}

INSTANTIATE_TEST_SUITE_P(Responses, ConvolverAgainstDirectSum,
                         ::testing::Values(ConvolutionCase{1, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{64, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{65, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{1000, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{4096, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{20000, ConvolutionLatency::zero, 512},
                                           ConvolutionCase{7, ConvolutionLatency::lowCpu, 64},
                                           ConvolutionCase{4096, ConvolutionLatency::lowCpu, 512},
                                           ConvolutionCase{9000, ConvolutionLatency::lowCpu, 1024}));

TEST(ConvolutionKernel, choosesPartitionsNearTwiceTheSquareRootOfTheLength)
{
    EXPECT_EQ(ConvolutionKernel::zeroLatencyPartition(1), ConvolutionKernel::minPartition);
    EXPECT_EQ(ConvolutionKernel::zeroLatencyPartition(4096), 128);
    EXPECT_EQ(ConvolutionKernel::zeroLatencyPartition(48000), 512);
    EXPECT_EQ(ConvolutionKernel::zeroLatencyPartition(480000), 1024);
    EXPECT_EQ(ConvolutionKernel::zeroLatencyPartition(100000000), ConvolutionKernel::maxPartition);
    EXPECT_EQ(ConvolutionKernel::lowCpuPartition(44100.0), 512);
    EXPECT_EQ(ConvolutionKernel::lowCpuPartition(48000.0), 512);
    EXPECT_EQ(ConvolutionKernel::lowCpuPartition(96000.0), 1024);
    EXPECT_EQ(ConvolutionKernel::lowCpuPartition(768000.0), 8192);
    EXPECT_EQ(ConvolutionKernel::lowCpuPartition(8000.0), ConvolutionKernel::minPartition);
}

TEST(PartitionedConvolver, resetForgetsThePastInput)
{
    const auto h = decayingResponse(3000, 3);
    const ConvolutionKernel kernel(h, ConvolutionLatency::zero, 512);
    PartitionedConvolver used(kernel), fresh(kernel);
    auto noise = randomSignal(5000, 4);
    used.process(noise.data(), noise.data(), 5000);
    used.reset();
    auto a = randomSignal(4000, 5), b = a;
    used.process(a.data(), a.data(), 4000);
    fresh.process(b.data(), b.data(), 4000);
    EXPECT_EQ(a, b);
}

} // namespace
} // namespace torchamp
