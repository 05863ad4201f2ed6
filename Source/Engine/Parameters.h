#pragma once

#include "Limits.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace torchamp
{

/** Every parameter of the chain, in the order hosts see them. The first thirteen are those of
    TorchAmp 0.1 (version 1) in their old order, so sessions that address parameters by index keep
    working; the ones the full chain added follow (version 2). */
enum class ParameterId
{
    inputGain,
    outputGain,
    mix,
    bypass,
    normalise,
    knob1,
    knob2,
    knob3,
    knob4,
    knob5,
    knob6,
    knob7,
    knob8,
    gateOn,
    gateThreshold,
    gateAttack,
    gateRelease,
    gateHysteresis,
    toneOn,
    bass,
    middle,
    treble,
    presence,
    irOn,
    calibrateInput,
    interfaceLevel,
    count,
};

constexpr int parameterCount = static_cast<int>(ParameterId::count);

/** How a parameter's value is read. */
enum class ParameterKind
{
    continuous, ///< any value in [minimum, maximum]
    toggle,     ///< off below 0.5, on from 0.5 (minimum 0, maximum 1)
};

/** One parameter as hosts, presets and torchamp-render see it. */
struct ParameterInfo
{
    ParameterId id;
    const char* key;  ///< the stable ID ("inputGain"): never changes once released
    int version;      ///< the TorchAmp parameter version that introduced it
    const char* name; ///< shown to users
    const char* unit; ///< "dB", "ms", "%", "dBu", or "" for none
    ParameterKind kind;
    float minimum;
    float maximum;
    float defaultValue;
    float step;       ///< the host's step between values; 0 for continuous
    float skewCentre; ///< the value at the middle of a slider's travel; 0 for a linear slider

    /// `value` brought into [minimum, maximum]; a value that is not a number gives std::nullopt.
    std::optional<float> clamp(float value) const noexcept;
    /// "-24 dB .. 24 dB" style, for messages.
    std::string rangeText() const;
};

/** The catalogue, indexed by ParameterId. Any thread. */
const std::array<ParameterInfo, parameterCount>& parameterCatalogue() noexcept;

/** The entry of `id`. Any thread. */
const ParameterInfo& parameterInfo(ParameterId id) noexcept;

/** The parameter whose key is `key` ("bass"), or std::nullopt. Any thread. */
std::optional<ParameterId> findParameter(std::string_view key) noexcept;

/** knob1 + index, for index in [0, ModelLimits::maxKnobs). */
ParameterId knobParameter(int index) noexcept;

/** The knob index of knob1..knob8, or -1 for another parameter. */
int knobIndex(ParameterId id) noexcept;

/** A value for every parameter, each at its default until set. Plain data; any thread. */
struct ParameterValues
{
    ParameterValues() noexcept;

    float operator[](ParameterId id) const noexcept { return values[static_cast<size_t>(id)]; }
    /// Sets `id` to `value` clamped to its range; a value that is not a number is ignored.
    void set(ParameterId id, float value) noexcept;

    std::array<float, parameterCount> values{};
};

} // namespace torchamp
