#include "Resampler.h"

#include "VectorMath.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace torchamp
{

namespace
{

constexpr double pi = 3.14159265358979323846;
constexpr double stopbandDb = 100.0;
constexpr double passbandFraction = 0.91; // of the lower Nyquist frequency

double besselI0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 64; ++k)
    {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-12 * sum)
            break;
    }
    return sum;
}

} // namespace

namespace
{
/** The prototype's length and delay for a conversion, as prepare() designs it. */
struct FilterShape
{
    int up = 1, down = 1;
    long halfLength = 0;  // prototype samples on each side of the centre tap
    int tapsPerPhase = 1; // padded to whole 16-float vectors
    double protoRate = 0.0;
};

FilterShape shapeFor(int inRate, int outRate, int delayUnitRate)
{
    FilterShape f;
    const int g = std::gcd(inRate, outRate);
    f.up = outRate / g;
    f.down = inRate / g;
    if (f.up == 1 && f.down == 1)
        return f;
    f.protoRate = static_cast<double>(f.up) * inRate;
    const double nyquist = 0.5 * std::min(inRate, outRate);
    const double transition = nyquist - passbandFraction * nyquist;
    const double estimate = (stopbandDb - 8.0) / (2.285 * 2.0 * pi * transition / f.protoRate);

    // The delay, (N - 1) / 2 prototype samples, must be a whole number of delayUnitRate samples.
    const auto unit = std::max(1LL, std::llround(f.protoRate / delayUnitRate));
    f.halfLength = static_cast<long>(
        std::max(1LL, (static_cast<long long>(std::ceil(estimate / 2.0)) + unit - 1) / unit) * unit);
    // Each phase padded with zero taps (at its oldest end) to whole 16-float vectors: the dot
    // product then has no scalar tail.
    f.tapsPerPhase = static_cast<int>(((2 * f.halfLength + 1 + f.up - 1) / f.up + 15) / 16 * 16);
    return f;
}
} // namespace

std::string Resampler::describeUnsupported(int inRate, int outRate, int delayUnitRate)
{
    if (inRate <= 0 || outRate <= 0 || delayUnitRate <= 0)
        return "a resampler needs positive sample rates";
    const auto shape = shapeFor(inRate, outRate, delayUnitRate);
    if (static_cast<long long>(shape.up) * shape.tapsPerPhase > maxFilterTaps)
        return "resampling from " + std::to_string(inRate) + " Hz to " + std::to_string(outRate)
               + " Hz needs a filter of more than " + std::to_string(maxFilterTaps >> 20)
               + " M taps (the two rates have no small common ratio)";
    return {};
}

void Resampler::prepare(int inRate, int outRate, int maxInputBlock, int delayUnitRate)
{
    if (const auto problem = describeUnsupported(inRate, outRate, delayUnitRate); !problem.empty())
        throw std::invalid_argument(problem);
    const auto shape = shapeFor(inRate, outRate, delayUnitRate);
    up = shape.up;
    down = shape.down;
    maxInputBlock = std::max(1, maxInputBlock);

    if (up == 1 && down == 1)
    {
        tapsPerPhase = 1;
        phases.assign(1, 1.0f);
        history.assign(static_cast<size_t>(maxInputBlock), 0.0f);
        delay = 0.0;
        reset();
        return;
    }
    tapsPerPhase = shape.tapsPerPhase;
    delay = static_cast<double>(shape.halfLength) / shape.protoRate;
    designPhases(inRate, outRate, shape.halfLength, shape.protoRate);
    history.assign(static_cast<size_t>(tapsPerPhase - 1 + maxInputBlock), 0.0f);
    reset();
}

void Resampler::designPhases(int inRate, int outRate, long halfLength, double protoRate)
{
    const long length = 2 * halfLength + 1;
    const double nyquist = 0.5 * std::min(inRate, outRate);
    const double passEdge = passbandFraction * nyquist;
    const double cutoff = 0.5 * (passEdge + nyquist);
    const double beta = 0.1102 * (stopbandDb - 8.7);
    std::vector<double> h(static_cast<size_t>(tapsPerPhase) * static_cast<size_t>(up), 0.0);
    const double fc = cutoff / protoRate;
    const double i0Beta = besselI0(beta);
    double sum = 0.0;
    for (long i = 0; i < length; ++i)
    {
        const double t = static_cast<double>(i - halfLength);
        const double sinc = t == 0.0 ? 2.0 * fc : std::sin(2.0 * pi * fc * t) / (pi * t);
        const double r = t / static_cast<double>(halfLength);
        const double window = besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0Beta;
        h[static_cast<size_t>(i)] = sinc * window;
        sum += h[static_cast<size_t>(i)];
    }
    // Each of the L phases must have unit gain at DC: the whole prototype sums to L.
    for (auto& v : h)
        v *= static_cast<double>(up) / sum;

    phases.assign(static_cast<size_t>(up) * static_cast<size_t>(tapsPerPhase), 0.0f);
    for (int p = 0; p < up; ++p)
        for (int j = 0; j < tapsPerPhase; ++j)
            phases[static_cast<size_t>(p * tapsPerPhase + (tapsPerPhase - 1 - j))] =
                static_cast<float>(h[static_cast<size_t>(p + j * up)]);
}

void Resampler::reset() noexcept
{
    std::fill(history.begin(), history.end(), 0.0f);
    phase = 0;
    nextInput = 0;
}

void Resampler::copyStateFrom(const Resampler& other) noexcept
{
    if (&other == this || other.history.size() != history.size())
        return;
    std::copy(other.history.begin(), other.history.end(), history.begin());
    phase = other.phase;
    nextInput = other.nextInput;
}

int Resampler::maxOutputFor(int inRate, int outRate, int numInput) noexcept
{
    if (inRate <= 0 || outRate <= 0 || numInput < 0)
        return 0;
    const int g = std::gcd(inRate, outRate);
    const long long up = outRate / g, down = inRate / g;
    return static_cast<int>((static_cast<long long>(numInput) * up + down - 1) / down) + 1;
}

int Resampler::process(const float* in, int numInput, float* out) noexcept
{
    if (isIdentity())
    {
        std::copy(in, in + numInput, out);
        return numInput;
    }
    const int capacity = static_cast<int>(history.size()) - (tapsPerPhase - 1);
    int produced = 0;
    while (numInput > capacity)
    {
        produced += processBlock(in, capacity, out + produced);
        in += capacity;
        numInput -= capacity;
    }
    return produced + processBlock(in, numInput, out + produced);
}

int Resampler::processBlock(const float* in, int numInput, float* out) noexcept
{
    const int keep = tapsPerPhase - 1;
    float* block = history.data() + keep;
    std::copy(in, in + numInput, block);

    int produced = 0;
    while (nextInput < numInput)
    {
        // y[k] = sum_j h[phase + j L] x[n - j]: a forward dot product over the last T inputs.
        const float* taps = phases.data() + static_cast<size_t>(phase) * static_cast<size_t>(tapsPerPhase);
        out[produced++] = VectorMath::dot(taps, block + nextInput - keep, tapsPerPhase);

        phase += down;
        nextInput += phase / up;
        phase %= up;
    }
    nextInput -= numInput;

    // Keep the last T-1 inputs for the next block.
    std::copy(block + numInput - keep, block + numInput, history.data());
    return produced;
}

} // namespace torchamp
