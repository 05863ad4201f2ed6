// The engine's fast activations (exp2 by table and polynomial, reciprocal by estimate and Newton
// step), measured on every instruction-set path this CPU runs, against double precision.

#include "LstmKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace torchamp
{
namespace
{

/** Every kernel set this CPU runs: each instruction set, each cell width it has. */
std::vector<const kernels::KernelSet*> availableKernels()
{
    std::vector<const kernels::KernelSet*> sets;
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512 })
        for (int width : { 4, 8, 16 })
            if (const auto* set = kernels::findKernels(isa, width))
                sets.push_back(set);
    return sets;
}

std::string nameOf(const kernels::KernelSet& set)
{
    return std::string(kernels::isaName(set.isa)) + ", cells " + std::to_string(set.cellWidth) + " wide";
}

TEST(FastMath, sigmoidAndTanhAreWithin3e7AbsoluteOnEveryInstructionSet)
{
    std::vector<float> x;
    for (double v = -30.0; v <= 30.0; v += 0.0005)
        x.push_back(static_cast<float>(v));
    while (x.size() % 16 != 0)
        x.push_back(0.0f);
    for (const auto* set : availableKernels())
    {
        std::vector<float> s(x.size()), t(x.size());
        set->activations(x.data(), s.data(), t.data(), static_cast<int>(x.size()));
        double worstSigmoid = 0.0, worstTanh = 0.0;
        for (size_t i = 0; i < x.size(); ++i)
        {
            const double xd = x[i];
            worstSigmoid = std::max(worstSigmoid, std::abs(s[i] - 1.0 / (1.0 + std::exp(-xd))));
            worstTanh = std::max(worstTanh, std::abs(t[i] - std::tanh(xd)));
        }
        EXPECT_LT(worstSigmoid, 3e-7) << nameOf(*set);
        EXPECT_LT(worstTanh, 3e-7) << nameOf(*set);
    }
}

TEST(FastMath, activationsSaturateInsteadOfOverflowing)
{
    std::vector<float> x { 1e30f, -1e30f, 1000.0f, -1000.0f, 88.0f, -88.0f, 0.0f, -0.0f,
                           INFINITY, -INFINITY, 42.0f, -42.0f, 1e-40f, -1e-40f, 5.0f, -5.0f };
    for (const auto* set : availableKernels())
    {
        std::vector<float> s(x.size()), t(x.size());
        set->activations(x.data(), s.data(), t.data(), static_cast<int>(x.size()));
        for (size_t i = 0; i < x.size(); ++i)
        {
            ASSERT_TRUE(std::isfinite(s[i]) && std::isfinite(t[i])) << nameOf(*set) << " x=" << x[i];
            if (std::abs(x[i]) >= 42.0f)
            {
                EXPECT_NEAR(s[i], x[i] > 0 ? 1.0f : 0.0f, 2e-7) << nameOf(*set) << " x=" << x[i];
                EXPECT_NEAR(t[i], x[i] > 0 ? 1.0f : -1.0f, 2e-7) << nameOf(*set) << " x=" << x[i];
            }
        }
    }
}

TEST(FastMath, bothCellWidthsOfAnInstructionSetGiveTheSameBits)
{
    // AVX-512's 16-wide cell update is its 8-wide one on wider vectors, operation for operation.
    std::vector<float> x;
    for (double v = -70.0; v <= 70.0; v += 0.00137)
        x.push_back(static_cast<float>(v));
    for (float special : { 0.0f, -0.0f, 1e-40f, -1e-40f, INFINITY, -INFINITY, 60.0f, -60.0f })
        x.push_back(special);
    while (x.size() % 16 != 0)
        x.push_back(0.5f);
    int compared = 0;
    for (auto isa : { kernels::Isa::generic, kernels::Isa::avx2, kernels::Isa::avx512 })
    {
        const auto* narrow = kernels::findKernels(isa);
        const auto* wide = narrow != nullptr ? kernels::findKernels(isa, 2 * narrow->cellWidth) : nullptr;
        if (wide == nullptr)
            continue;
        std::vector<float> s1(x.size()), t1(x.size()), s2(x.size()), t2(x.size());
        narrow->activations(x.data(), s1.data(), t1.data(), static_cast<int>(x.size()));
        wide->activations(x.data(), s2.data(), t2.data(), static_cast<int>(x.size()));
        for (size_t i = 0; i < x.size(); ++i)
        {
            ASSERT_EQ(std::memcmp(&s1[i], &s2[i], sizeof(float)), 0) << kernels::isaName(isa) << " x=" << x[i];
            ASSERT_EQ(std::memcmp(&t1[i], &t2[i], sizeof(float)), 0) << kernels::isaName(isa) << " x=" << x[i];
        }
        ++compared;
    }
    if (compared == 0)
        GTEST_SKIP() << "no instruction set with two cell widths on this CPU";
}

TEST(FastMath, theDispatchedInstructionSetIsOneThisCpuRuns)
{
    ASSERT_NE(kernels::findKernels(kernels::bestIsa()), nullptr);
    ASSERT_NE(kernels::findKernels(kernels::Isa::generic), nullptr);
}

} // namespace
} // namespace torchamp
