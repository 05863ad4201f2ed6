#include "FastMath.h"

#include <gtest/gtest.h>

#include <cmath>

namespace torchamp
{

TEST(FastMath, expIsWithinTwoUlpOverTheUsedRange)
{
    double worstRelative = 0.0;
    for (double x = -87.0; x <= 88.0; x += 0.001)
    {
        const double exact = std::exp(static_cast<double>(static_cast<float>(x)));
        const double got = fastmath::exp(static_cast<float>(x));
        worstRelative = std::max(worstRelative, std::abs(got - exact) / exact);
    }
    EXPECT_LT(worstRelative, 2.5e-7); // 2 ulp of float is 2.4e-7 relative
}

TEST(FastMath, sigmoidAndTanhAreWithin2e7Absolute)
{
    double worstSigmoid = 0.0, worstTanh = 0.0;
    for (double x = -30.0; x <= 30.0; x += 0.0005)
    {
        const auto xf = static_cast<float>(x);
        worstSigmoid = std::max(worstSigmoid, std::abs(fastmath::sigmoid(xf) - 1.0 / (1.0 + std::exp(-double(xf)))));
        worstTanh = std::max(worstTanh, std::abs(fastmath::tanh(xf) - std::tanh(double(xf))));
    }
    EXPECT_LT(worstSigmoid, 2e-7);
    EXPECT_LT(worstTanh, 2e-7);
}

TEST(FastMath, saturatesInsteadOfOverflowing)
{
    EXPECT_EQ(fastmath::sigmoid(-1000.0f), fastmath::sigmoid(-1000.0f));
    EXPECT_NEAR(fastmath::sigmoid(1000.0f), 1.0f, 1e-7);
    EXPECT_NEAR(fastmath::sigmoid(-1000.0f), 0.0f, 1e-7);
    EXPECT_NEAR(fastmath::tanh(1e30f), 1.0f, 1e-7);
    EXPECT_NEAR(fastmath::tanh(-1e30f), -1.0f, 1e-7);
    EXPECT_TRUE(std::isfinite(fastmath::exp(1e30f)));
}

} // namespace torchamp
