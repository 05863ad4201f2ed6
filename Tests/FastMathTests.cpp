// The engine's fast activations (exp2 by table and polynomial, reciprocal by estimate and Newton
// step), measured on every instruction-set path this CPU runs, against double precision.

#include "LstmKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace torchamp
{
namespace
{

std::vector<kernels::Isa> availableIsas()
{
    std::vector<kernels::Isa> isas;
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512 })
        if (kernels::findKernels(isa) != nullptr)
            isas.push_back(isa);
    return isas;
}

TEST(FastMath, sigmoidAndTanhAreWithin3e7AbsoluteOnEveryInstructionSet)
{
    std::vector<float> x;
    for (double v = -30.0; v <= 30.0; v += 0.0005)
        x.push_back(static_cast<float>(v));
    while (x.size() % 16 != 0)
        x.push_back(0.0f);
    for (auto isa : availableIsas())
    {
        std::vector<float> s(x.size()), t(x.size());
        kernels::findKernels(isa)->activations(x.data(), s.data(), t.data(), static_cast<int>(x.size()));
        double worstSigmoid = 0.0, worstTanh = 0.0;
        for (size_t i = 0; i < x.size(); ++i)
        {
            const double xd = x[i];
            worstSigmoid = std::max(worstSigmoid, std::abs(s[i] - 1.0 / (1.0 + std::exp(-xd))));
            worstTanh = std::max(worstTanh, std::abs(t[i] - std::tanh(xd)));
        }
        EXPECT_LT(worstSigmoid, 3e-7) << kernels::isaName(isa);
        EXPECT_LT(worstTanh, 3e-7) << kernels::isaName(isa);
    }
}

TEST(FastMath, activationsSaturateInsteadOfOverflowing)
{
    std::vector<float> x { 1e30f, -1e30f, 1000.0f, -1000.0f, 88.0f, -88.0f, 0.0f, -0.0f,
                           INFINITY, -INFINITY, 42.0f, -42.0f, 1e-40f, -1e-40f, 5.0f, -5.0f };
    for (auto isa : availableIsas())
    {
        std::vector<float> s(x.size()), t(x.size());
        kernels::findKernels(isa)->activations(x.data(), s.data(), t.data(), static_cast<int>(x.size()));
        for (size_t i = 0; i < x.size(); ++i)
        {
            ASSERT_TRUE(std::isfinite(s[i]) && std::isfinite(t[i])) << kernels::isaName(isa) << " x=" << x[i];
            if (std::abs(x[i]) >= 42.0f)
            {
                EXPECT_NEAR(s[i], x[i] > 0 ? 1.0f : 0.0f, 2e-7) << kernels::isaName(isa) << " x=" << x[i];
                EXPECT_NEAR(t[i], x[i] > 0 ? 1.0f : -1.0f, 2e-7) << kernels::isaName(isa) << " x=" << x[i];
            }
        }
    }
}

TEST(FastMath, theDispatchedInstructionSetIsOneThisCpuRuns)
{
    ASSERT_NE(kernels::findKernels(kernels::bestIsa()), nullptr);
    ASSERT_NE(kernels::findKernels(kernels::Isa::generic), nullptr);
}

} // namespace
} // namespace torchamp
