#include "Resampler.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>

namespace torchamp
{
namespace
{

std::vector<float> resampleAll(Resampler& r, const std::vector<float>& x, int block)
{
    std::vector<float> out;
    std::vector<float> buffer(static_cast<size_t>(r.maxOutputFor(block)));
    for (size_t s = 0; s < x.size(); s += static_cast<size_t>(block))
    {
        const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(block), x.size() - s));
        const int k = r.process(x.data() + s, n, buffer.data());
        out.insert(out.end(), buffer.begin(), buffer.begin() + k);
    }
    return out;
}

/** Level in dBFS of the component at `hz` (a single-bin DFT over a whole number of periods). */
double levelDb(const std::vector<float>& x, double rate, double hz, size_t skip)
{
    const double pi = 3.14159265358979323846;
    const size_t periods = static_cast<size_t>(std::floor(static_cast<double>(x.size() - skip) * hz / rate));
    const size_t n = static_cast<size_t>(std::floor(static_cast<double>(periods) * rate / hz));
    std::complex<double> acc = 0.0;
    for (size_t i = 0; i < n; ++i)
        acc += static_cast<double>(x[skip + i]) * std::polar(1.0, -2 * pi * hz * static_cast<double>(i) / rate);
    return 20.0 * std::log10(std::max(1e-20, 2.0 * std::abs(acc) / static_cast<double>(n)));
}

std::vector<float> sine(size_t n, double rate, double hz, double amplitude)
{
    std::vector<float> x(n);
    for (size_t i = 0; i < n; ++i)
        x[i] = static_cast<float>(amplitude * std::sin(2 * 3.14159265358979323846 * hz * static_cast<double>(i) / rate));
    return x;
}

TEST(Resampler, equalRatesPassThrough)
{
    Resampler r;
    r.prepare(48000, 48000, 64, 48000);
    EXPECT_TRUE(r.isIdentity());
    const auto x = test::makeTestSignal(1000);
    EXPECT_EQ(resampleAll(r, x, 64), x);
}

TEST(Resampler, passBandIsFlatAndAliasesAreBelow90dB)
{
    Resampler down;
    down.prepare(96000, 48000, 512, 96000);
    const auto tone = resampleAll(down, sine(96000, 96000, 1000.0, 0.5), 512);
    EXPECT_NEAR(levelDb(tone, 48000, 1000.0, 4800), 20 * std::log10(0.5), 0.01);
    // 30 kHz cannot exist at 48 kHz: what is left folds to 18 kHz and must be inaudible.
    const auto alias = resampleAll(down, sine(96000, 96000, 30000.0, 1.0), 512);
    EXPECT_LT(levelDb(alias, 48000, 18000.0, 4800), -90.0);
}

TEST(Resampler, outputCountFollowsTheRatioForAnyBlockSizes)
{
    Resampler r;
    r.prepare(44100, 48000, 700, 44100);
    long in = 0, out = 0;
    std::vector<float> x(700, 0.1f), y(static_cast<size_t>(r.maxOutputFor(700)));
    for (int b = 0; b < 2000; ++b)
    {
        const int n = 1 + (b * 37) % 700;
        const int k = r.process(x.data(), n, y.data());
        ASSERT_LE(k, r.maxOutputFor(n));
        in += n;
        out += k;
        ASSERT_LE(std::abs(static_cast<double>(out) - static_cast<double>(in) * 48000.0 / 44100.0), 1.0);
    }
}

class RoundTrip : public ::testing::TestWithParam<std::pair<int, int>>
{
};

TEST_P(RoundTrip, hostToModelAndBackIsAWholeSampleDelay)
{
    const auto [host, model] = GetParam();
    Resampler a, b;
    a.prepare(host, model, 256, host);
    b.prepare(model, host, a.maxOutputFor(256), host);
    const double delay = (a.delaySeconds() + b.delaySeconds()) * host;
    ASSERT_NEAR(delay, std::round(delay), 1e-9);
    const auto x = test::makeBandLimitedSignal(static_cast<size_t>(host / 2), host, 15000.0);
    const auto y = resampleAll(b, resampleAll(a, x, 256), 10000);
    EXPECT_LT(test::maxDelayedDifference(x, y, static_cast<int>(std::lround(delay)), 2000), 2e-4);
}

INSTANTIATE_TEST_SUITE_P(Rates, RoundTrip,
                         ::testing::Values(std::pair { 44100, 48000 }, std::pair { 96000, 48000 },
                                           std::pair { 88200, 48000 }, std::pair { 192000, 48000 },
                                           std::pair { 176400, 48000 }, std::pair { 48000, 44100 }));

} // namespace
} // namespace torchamp
