#pragma once

#include "Parameters.h"
#include "PartitionedConvolver.h"
#include "Result.h"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace torchamp
{

/** A file a preset uses (the model, the impulse response): where it was, and optionally the file
    itself, so that a preset travels to a machine without it. */
struct PresetAsset
{
    /// Absolute, or relative to the preset's folder; may be empty when the bytes are embedded.
    std::string path;
    /// Of the file's bytes, as 64 hexadecimal digits; empty when not known.
    std::string sha256;
    /// The file itself, when the preset carries it.
    std::optional<std::vector<char>> bytes;
    /// The embedded default (model or impulse response); path and bytes are then unused.
    bool builtIn = false;
};

/** A user preset: the model, the impulse response, the cabinet's latency mode and parameter
    values, saved as a versioned JSON file:

        { "format": "torchamp-preset", "version": 1, "name": "Crunch",
          "parameters": { "inputGain": 0.0, "bass": 3.0, ... },
          "model": { "path": "amp.nam", "sha256": "...", "data": "<base64>" },
          "impulse_response": { "builtin": "default" },
          "cabinet_latency": "zero" }

    "model" and "impulse_response" may be absent (the preset leaves them as they are) or null
    (the preset has none: only for the impulse response). */
struct Preset
{
    static constexpr int formatVersion = 1;

    std::string name;
    /// The parameters the preset sets, by ID; the others keep their defaults.
    std::map<ParameterId, float> parameters;
    std::optional<PresetAsset> model;
    std::optional<PresetAsset> impulseResponse;
    /// True when the preset says there is no impulse response ("impulse_response": null).
    bool withoutImpulseResponse = false;
    ConvolutionLatency cabinetLatency = ConvolutionLatency::zero;
    /// What the reader skipped and the user should know (parameters this TorchAmp does not know).
    std::vector<std::string> warnings;

    /// The catalogue's defaults with the preset's values in place.
    ParameterValues values() const;
};

/** "zero" or "low-cpu": the words of presets, sessions and torchamp-render. */
const char* convolutionLatencyName(ConvolutionLatency latency) noexcept;
/** The mode named `name` (convolutionLatencyName()'s words), or std::nullopt. */
std::optional<ConvolutionLatency> convolutionLatencyFromName(const std::string& name) noexcept;

/** Decodes a preset; every message starts with `displayName`. Refuses what is not a TorchAmp
    preset, newer format versions, parameter values outside their ranges or not numbers, and
    embedded files whose bytes do not match their SHA-256. Off the audio thread. */
Result<Preset> parsePreset(const std::vector<char>& bytes, const std::string& displayName);

/** Whether `bytes` say they are a TorchAmp preset (the "format" name appears in them), which
    tells a preset from a JSON model before either is decoded. Any thread but the audio thread. */
bool looksLikePreset(const std::vector<char>& bytes);

/** Reads (at most FileLimits::maxPresetBytes, with readFileBytes()) and decodes a preset. */
Result<Preset> readPreset(const std::string& path);

/** The preset as JSON text: every parameter of `preset.parameters` in catalogue order. */
std::string serialisePreset(const Preset& preset);

/** Writes the preset to `path`; empty on success, else what went wrong (starting with the file's
    name). Off the audio thread. */
std::string writePreset(const std::string& path, const Preset& preset);

/** An asset for the file at `path` (at most maxBytes), with its SHA-256, and its bytes when
    `embed`. Off the audio thread. */
Result<PresetAsset> presetAssetFromFile(const std::string& path, std::size_t maxBytes, bool embed);

/** The bytes of a preset's asset: the embedded ones, else the file at its path (relative paths
    from the folder of the preset at `presetPath`, at most maxBytes), checked against its SHA-256
    when the preset states one. Not for built-in assets. Off the audio thread. */
Result<std::vector<char>> presetAssetBytes(const PresetAsset& asset, const std::string& presetPath,
                                           std::size_t maxBytes);

} // namespace torchamp
