#include "Biquad.h"

#include <algorithm>
#include <cmath>

namespace torchamp
{

Biquad Biquad::design(BiquadShape shape, double sampleRate, double frequency, double q,
                      double gainDb) noexcept
{
    constexpr double pi = 3.14159265358979323846;
    const double w0 = 2.0 * pi * std::min(frequency, 0.45 * sampleRate) / sampleRate;
    const double cosw = std::cos(w0);
    const double alpha = std::sin(w0) / (2.0 * q);
    const double a = std::pow(10.0, gainDb / 40.0);
    double nb0, nb1, nb2, na0, na1, na2;
    switch (shape)
    {
        case BiquadShape::lowShelf:
        {
            const double s = 2.0 * std::sqrt(a) * alpha;
            nb0 = a * ((a + 1.0) - (a - 1.0) * cosw + s);
            nb1 = 2.0 * a * ((a - 1.0) - (a + 1.0) * cosw);
            nb2 = a * ((a + 1.0) - (a - 1.0) * cosw - s);
            na0 = (a + 1.0) + (a - 1.0) * cosw + s;
            na1 = -2.0 * ((a - 1.0) + (a + 1.0) * cosw);
            na2 = (a + 1.0) + (a - 1.0) * cosw - s;
            break;
        }
        case BiquadShape::highShelf:
        {
            const double s = 2.0 * std::sqrt(a) * alpha;
            nb0 = a * ((a + 1.0) + (a - 1.0) * cosw + s);
            nb1 = -2.0 * a * ((a - 1.0) + (a + 1.0) * cosw);
            nb2 = a * ((a + 1.0) + (a - 1.0) * cosw - s);
            na0 = (a + 1.0) - (a - 1.0) * cosw + s;
            na1 = 2.0 * ((a - 1.0) - (a + 1.0) * cosw);
            na2 = (a + 1.0) - (a - 1.0) * cosw - s;
            break;
        }
        case BiquadShape::peaking:
        default:
            nb0 = 1.0 + alpha * a;
            nb1 = -2.0 * cosw;
            nb2 = 1.0 - alpha * a;
            na0 = 1.0 + alpha / a;
            na1 = -2.0 * cosw;
            na2 = 1.0 - alpha / a;
            break;
    }
    Biquad f;
    f.b0 = nb0 / na0;
    f.b1 = nb1 / na0;
    f.b2 = nb2 / na0;
    f.a1 = na1 / na0;
    f.a2 = na2 / na0;
    return f;
}

} // namespace torchamp
