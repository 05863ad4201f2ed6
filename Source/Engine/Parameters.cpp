#include "Parameters.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace torchamp
{

namespace
{

using P = ParameterId;

/** Builds a catalogue entry field by field, by name. */
struct Entry
{
    ParameterInfo info;

    constexpr Entry range(float minimum, float maximum) const
    {
        Entry e = *this;
        e.info.minimum = minimum;
        e.info.maximum = maximum;
        return e;
    }
    constexpr Entry byDefault(float value) const
    {
        Entry e = *this;
        e.info.defaultValue = value;
        return e;
    }
    constexpr Entry step(float value) const
    {
        Entry e = *this;
        e.info.step = value;
        return e;
    }
    constexpr Entry skewCentre(float value) const
    {
        Entry e = *this;
        e.info.skewCentre = value;
        return e;
    }
};

constexpr Entry continuous(P id, const char* key, int version, const char* name, const char* unit)
{
    return {{id, key, version, name, unit, ParameterKind::continuous, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f}};
}

constexpr Entry toggle(P id, const char* key, int version, const char* name, bool on)
{
    return {{id, key, version, name, "", ParameterKind::toggle, 0.0f, 1.0f, on ? 1.0f : 0.0f, 1.0f, 0.0f}};
}

constexpr Entry level(P id, const char* key, const char* name)
{
    return continuous(id, key, 1, name, "dB").range(-24.0f, 24.0f).step(0.1f);
}

constexpr Entry knob(P id, const char* key, const char* name)
{
    return continuous(id, key, 1, name, "").byDefault(0.5f);
}

constexpr Entry toneBand(P id, const char* key, const char* name)
{
    return continuous(id, key, 2, name, "dB").range(-12.0f, 12.0f).step(0.1f);
}

// Gate defaults are those of Neural Amp Modeler's plugin: threshold -80 dB, 5 ms to open, 50 ms
// to close, no hysteresis. Calibration's default interface level is NAM's too (12 dBu at 0 dBFS).
constexpr std::array<Entry, parameterCount> entries{{
    level(P::inputGain, "inputGain", "Input"),
    level(P::outputGain, "outputGain", "Output"),
    continuous(P::mix, "mix", 1, "Mix", "%").range(0.0f, 100.0f).byDefault(100.0f).step(0.1f),
    toggle(P::bypass, "bypass", 1, "Bypass", false),
    toggle(P::normalise, "normalise", 1, "Normalise output", false),
    knob(P::knob1, "knob1", "Knob 1"),
    knob(P::knob2, "knob2", "Knob 2"),
    knob(P::knob3, "knob3", "Knob 3"),
    knob(P::knob4, "knob4", "Knob 4"),
    knob(P::knob5, "knob5", "Knob 5"),
    knob(P::knob6, "knob6", "Knob 6"),
    knob(P::knob7, "knob7", "Knob 7"),
    knob(P::knob8, "knob8", "Knob 8"),
    toggle(P::gateOn, "gateOn", 2, "Gate", false),
    continuous(P::gateThreshold, "gateThreshold", 2, "Gate threshold", "dB")
        .range(-100.0f, 0.0f)
        .byDefault(-80.0f)
        .step(0.1f),
    continuous(P::gateAttack, "gateAttack", 2, "Gate attack", "ms")
        .range(0.1f, 100.0f)
        .byDefault(5.0f)
        .step(0.1f)
        .skewCentre(10.0f),
    continuous(P::gateRelease, "gateRelease", 2, "Gate release", "ms")
        .range(5.0f, 2000.0f)
        .byDefault(50.0f)
        .step(1.0f)
        .skewCentre(150.0f),
    continuous(P::gateHysteresis, "gateHysteresis", 2, "Gate hysteresis", "dB").range(0.0f, 20.0f).step(0.1f),
    toggle(P::toneOn, "toneOn", 2, "Tone", true),
    toneBand(P::bass, "bass", "Bass"),
    toneBand(P::middle, "middle", "Middle"),
    toneBand(P::treble, "treble", "Treble"),
    toneBand(P::presence, "presence", "Presence"),
    toggle(P::irOn, "irOn", 2, "Cabinet", true),
    toggle(P::calibrateInput, "calibrateInput", 2, "Calibrate input", false),
    continuous(P::interfaceLevel, "interfaceLevel", 2, "Interface level", "dBu")
        .range(-30.0f, 30.0f)
        .byDefault(12.0f)
        .step(0.1f),
}};

constexpr std::array<ParameterInfo, parameterCount> makeCatalogue()
{
    std::array<ParameterInfo, parameterCount> c{};
    for (size_t i = 0; i < c.size(); ++i)
        c[i] = entries[i].info;
    return c;
}

constexpr std::array<ParameterInfo, parameterCount> catalogue = makeCatalogue();

constexpr bool catalogueIsInOrder()
{
    for (int i = 0; i < parameterCount; ++i)
        if (static_cast<int>(catalogue[static_cast<size_t>(i)].id) != i)
            return false;
    return true;
}
static_assert(catalogueIsInOrder(), "the catalogue is indexed by ParameterId");

} // namespace

std::optional<float> ParameterInfo::clamp(float value) const noexcept
{
    if (!std::isfinite(value))
        return std::nullopt;
    return std::clamp(value, minimum, maximum);
}

std::string ParameterInfo::rangeText() const
{
    if (kind == ParameterKind::toggle)
        return "0 (off) or 1 (on)";
    std::ostringstream s;
    const char* space = unit[0] != '\0' ? " " : "";
    s << minimum << space << unit << " .. " << maximum << space << unit;
    return s.str();
}

const std::array<ParameterInfo, parameterCount>& parameterCatalogue() noexcept
{
    return catalogue;
}

const ParameterInfo& parameterInfo(ParameterId id) noexcept
{
    return catalogue[static_cast<size_t>(id)];
}

std::optional<ParameterId> findParameter(std::string_view key) noexcept
{
    for (const auto& p : catalogue)
        if (key == p.key)
            return p.id;
    return std::nullopt;
}

ParameterId knobParameter(int index) noexcept
{
    return static_cast<ParameterId>(static_cast<int>(ParameterId::knob1) +
                                    std::clamp(index, 0, ModelLimits::maxKnobs - 1));
}

int knobIndex(ParameterId id) noexcept
{
    const int k = static_cast<int>(id) - static_cast<int>(ParameterId::knob1);
    return k >= 0 && k < ModelLimits::maxKnobs ? k : -1;
}

ParameterValues::ParameterValues() noexcept
{
    for (const auto& p : catalogue)
        values[static_cast<size_t>(p.id)] = p.defaultValue;
}

void ParameterValues::set(ParameterId id, float value) noexcept
{
    if (const auto v = parameterInfo(id).clamp(value))
        values[static_cast<size_t>(id)] = *v;
}

} // namespace torchamp
