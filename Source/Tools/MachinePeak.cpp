#include "MachinePeak.h"

#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace torchamp::bench
{

namespace
{

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

#if defined(__x86_64__)

constexpr int chains = 12; // independent accumulators: more than latency x throughput
constexpr long fmaIterations = 200000;
// Each figure is the best of many bursts of about a millisecond: on a shared machine a long
// measurement is stretched by every time slice another process takes; some short ones are not.
constexpr int bursts = 60;

template <class Burst>
double fastestSeconds(Burst&& burst)
{
    double best = 1e30;
    for (int i = 0; i < bursts; ++i)
    {
        const double s = burst();
        best = s < best ? s : best;
    }
    return best;
}

constexpr long addIterations = 1000000;

double addChainSeconds()
{
    unsigned long x = 0;
    const auto t0 = Clock::now();
    for (long i = 0; i < addIterations; ++i)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    return secondsSince(t0) + 0.0 * static_cast<double>(x);
}

double addChainGhz()
{
    return 4.0 * static_cast<double>(addIterations) / fastestSeconds(addChainSeconds) / 1e9;
}

__attribute__((target("avx2,fma"))) double fmaSeconds256()
{
    __m256 acc[chains];
    for (int k = 0; k < chains; ++k)
        acc[k] = _mm256_set1_ps(static_cast<float>(k));
    const __m256 m = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    const auto t0 = Clock::now();
    for (long i = 0; i < fmaIterations; ++i)
    {
#pragma GCC unroll 12
        for (int k = 0; k < chains; ++k)
            acc[k] = _mm256_fmadd_ps(acc[k], m, b);
    }
    const double s = secondsSince(t0);
    __m256 sum = acc[0];
    for (int k = 1; k < chains; ++k)
        sum = _mm256_add_ps(sum, acc[k]);
    volatile float sink = _mm256_cvtss_f32(sum);
    (void)sink;
    return s;
}

__attribute__((target("avx512f"))) double fmaSeconds512()
{
    __m512 acc[chains];
    for (int k = 0; k < chains; ++k)
        acc[k] = _mm512_set1_ps(static_cast<float>(k));
    const __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    const auto t0 = Clock::now();
    for (long i = 0; i < fmaIterations; ++i)
    {
#pragma GCC unroll 12
        for (int k = 0; k < chains; ++k)
            acc[k] = _mm512_fmadd_ps(acc[k], m, b);
    }
    const double s = secondsSince(t0);
    __m512 sum = acc[0];
    for (int k = 1; k < chains; ++k)
        sum = _mm512_add_ps(sum, acc[k]); // every chain is used, so none is optimised away
    float lanes[16];
    _mm512_storeu_ps(lanes, sum);
    volatile float sink = lanes[0] + lanes[15];
    (void)sink;
    return s;
}

#endif

} // namespace

MachinePeak measureMachinePeak()
{
    MachinePeak peak;
#if defined(__x86_64__)
    addChainGhz(); // wake the core up to its busy clock
    peak.ghz = addChainGhz();
    const double fmas = static_cast<double>(fmaIterations) * chains;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        peak.fmaLanesAvx2 = fmas * 8 / (fastestSeconds(fmaSeconds256) * peak.ghz * 1e9);
    if (__builtin_cpu_supports("avx512f"))
        peak.fmaLanesAvx512 = fmas * 16 / (fastestSeconds(fmaSeconds512) * peak.ghz * 1e9);
#endif
    return peak;
}

} // namespace torchamp::bench
