#include "Preset.h"

#include "Base64.h"
#include "FileBytes.h"
#include "JsonReading.h"
#include "Sha256.h"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace torchamp
{

namespace
{

using import::fail;
using import::Json;

constexpr const char* formatName = "torchamp-preset";

std::string describe(const Json& value)
{
    if (!value.is_primitive())
        return std::string("an ") + value.type_name();
    const auto text = value.dump();
    return text.size() > 40 ? text.substr(0, 40) + "..." : text;
}

PresetAsset readAsset(const Json& value, const std::string& what)
{
    if (!value.is_object())
        fail("\"" + what +
             "\" must be an object with \"path\", \"sha256\" and \"data\", or {\"builtin\": \"default\"}");
    PresetAsset asset;
    if (value.contains("builtin"))
    {
        if (value["builtin"] != "default")
            fail("\"" + what + "\": the only built-in is \"default\", not " + describe(value["builtin"]));
        asset.builtIn = true;
        return asset;
    }
    asset.path = import::optionalString(value, "path");
    asset.sha256 = import::optionalString(value, "sha256");
    if (!asset.sha256.empty() && (asset.sha256.size() != 64 ||
                                  asset.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
        fail("\"" + what + "\": \"sha256\" must be 64 lower-case hexadecimal digits");
    if (value.contains("data"))
    {
        if (!value["data"].is_string())
            fail("\"" + what + "\": \"data\" must be base64 text");
        auto bytes = base64Decode(value["data"].get_ref<const std::string&>());
        if (!bytes)
            fail("\"" + what + "\": \"data\" is damaged (" + bytes.error() + ")");
        if (!asset.sha256.empty() && sha256Hex(bytes->data(), bytes->size()) != asset.sha256)
            fail("\"" + what + "\": the embedded file does not match its SHA-256 (the preset is damaged)");
        asset.bytes = std::move(*bytes);
    }
    if (asset.path.empty() && !asset.bytes)
        fail("\"" + what + "\" has neither a \"path\" nor \"data\"");
    return asset;
}

Json writeAsset(const PresetAsset& asset)
{
    Json j = Json::object();
    if (asset.builtIn)
    {
        j["builtin"] = "default";
        return j;
    }
    if (!asset.path.empty())
        j["path"] = asset.path;
    if (!asset.sha256.empty())
        j["sha256"] = asset.sha256;
    if (asset.bytes)
        j["data"] = base64Encode(*asset.bytes);
    return j;
}

void readParameters(const Json& parameters, Preset& preset)
{
    if (!parameters.is_object())
        fail("\"parameters\" must be an object of parameter IDs and values");
    for (const auto& [key, value] : parameters.items())
    {
        const auto id = findParameter(key);
        if (!id)
        {
            preset.warnings.push_back("parameter '" + key + "' is not one this TorchAmp knows; ignored");
            continue;
        }
        const auto& info = parameterInfo(*id);
        if (!value.is_number() && !value.is_boolean())
            fail("parameter '" + key + "' must be a number, not " + describe(value));
        const double v = value.is_boolean() ? (value.get<bool>() ? 1.0 : 0.0) : value.get<double>();
        if (!(v >= info.minimum && v <= info.maximum))
            fail("parameter '" + key + "' is " + describe(value) + ", outside its range " + info.rangeText());
        preset.parameters[*id] = static_cast<float>(v);
    }
}

Preset readPresetJson(const Json& root)
{
    if (!root.is_object() || !root.contains("format") || root["format"] != formatName)
        fail("not a TorchAmp preset (\"format\": \"" + std::string(formatName) + "\" missing)");
    const int version =
        import::integer(import::member(root, "version", "the preset"), "\"version\"", 1, 1 << 30);
    if (version > Preset::formatVersion)
        fail("the preset was saved by a newer TorchAmp (format version " + std::to_string(version) +
             "; this one reads up to " + std::to_string(Preset::formatVersion) + ")");
    Preset preset;
    preset.name = import::optionalString(root, "name");
    if (root.contains("parameters"))
        readParameters(root["parameters"], preset);
    if (root.contains("model"))
        preset.model = readAsset(root["model"], "model");
    if (root.contains("impulse_response"))
    {
        if (root["impulse_response"].is_null())
            preset.withoutImpulseResponse = true;
        else
            preset.impulseResponse = readAsset(root["impulse_response"], "impulse_response");
    }
    if (root.contains("cabinet_latency"))
    {
        const auto& mode = root["cabinet_latency"];
        const auto latency =
            mode.is_string() ? convolutionLatencyFromName(mode.get<std::string>()) : std::nullopt;
        if (latency)
            preset.cabinetLatency = *latency;
        else
            fail("\"cabinet_latency\" must be \"zero\" or \"low-cpu\", not " + describe(mode));
    }
    return preset;
}

std::string folderOf(const std::string& path)
{
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

} // namespace

const char* convolutionLatencyName(ConvolutionLatency latency) noexcept
{
    return latency == ConvolutionLatency::lowCpu ? "low-cpu" : "zero";
}

std::optional<ConvolutionLatency> convolutionLatencyFromName(const std::string& name) noexcept
{
    if (name == "zero")
        return ConvolutionLatency::zero;
    if (name == "low-cpu")
        return ConvolutionLatency::lowCpu;
    return std::nullopt;
}

ParameterValues Preset::values() const
{
    ParameterValues v;
    for (const auto& [id, value] : parameters)
        v.set(id, value);
    return v;
}

bool looksLikePreset(const std::vector<char>& bytes)
{
    const auto marker = "\"" + std::string(formatName) + "\"";
    return std::search(bytes.begin(), bytes.end(), marker.begin(), marker.end()) != bytes.end();
}

Result<Preset> parsePreset(const std::vector<char>& bytes, const std::string& displayName)
{
    try
    {
        const auto root = Json::parse(bytes.begin(), bytes.end());
        return Result<Preset>::success(readPresetJson(root));
    }
    catch (const Json::parse_error& e)
    {
        return Result<Preset>::failure(displayName + ": the file is not valid JSON (" + e.what() + ")");
    }
    catch (const std::exception& e)
    {
        return Result<Preset>::failure(displayName + ": " + e.what());
    }
}

Result<Preset> readPreset(const std::string& path)
{
    auto bytes = readFileBytes(path, FileLimits::maxPresetBytes);
    if (!bytes)
        return Result<Preset>::failure(bytes.error());
    return parsePreset(*bytes, fileNameOf(path));
}

std::string serialisePreset(const Preset& preset)
{
    Json root = Json::object();
    root["format"] = formatName;
    root["version"] = Preset::formatVersion;
    root["name"] = preset.name;
    Json parameters = Json::object();
    for (const auto& info : parameterCatalogue())
        if (const auto it = preset.parameters.find(info.id); it != preset.parameters.end())
            parameters[info.key] = it->second;
    root["parameters"] = std::move(parameters);
    if (preset.model)
        root["model"] = writeAsset(*preset.model);
    if (preset.impulseResponse)
        root["impulse_response"] = writeAsset(*preset.impulseResponse);
    else if (preset.withoutImpulseResponse)
        root["impulse_response"] = nullptr;
    root["cabinet_latency"] = convolutionLatencyName(preset.cabinetLatency);
    return root.dump(2) + "\n";
}

std::string writePreset(const std::string& path, const Preset& preset)
{
    const auto text = serialisePreset(preset);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    if (!file)
        return fileNameOf(path) + ": cannot create the preset file (does the folder exist, is it writable?)";
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    file.close();
    if (!file)
        return fileNameOf(path) + ": writing the preset failed (disk full?)";
    return {};
}

Result<PresetAsset> presetAssetFromFile(const std::string& path, std::size_t maxBytes, bool embed)
{
    auto bytes = readFileBytes(path, maxBytes);
    if (!bytes)
        return Result<PresetAsset>::failure(bytes.error());
    PresetAsset asset;
    asset.path = path;
    asset.sha256 = sha256Hex(bytes->data(), bytes->size());
    if (embed)
        asset.bytes = std::move(*bytes);
    return Result<PresetAsset>::success(std::move(asset));
}

Result<std::vector<char>> presetAssetBytes(const PresetAsset& asset, const std::string& presetPath,
                                           std::size_t maxBytes)
{
    using R = Result<std::vector<char>>;
    if (asset.bytes)
        return R::success(*asset.bytes);
    const auto path =
        !asset.path.empty() && asset.path.front() == '/' ? asset.path : folderOf(presetPath) + asset.path;
    auto bytes = readFileBytes(path, maxBytes);
    if (!bytes)
        return R::failure(fileNameOf(presetPath) + ": " + bytes.error());
    if (!asset.sha256.empty() && sha256Hex(bytes->data(), bytes->size()) != asset.sha256)
        return R::failure(fileNameOf(presetPath) + ": " + fileNameOf(path) +
                          " is not the file the preset was saved with (its SHA-256 differs)");
    return bytes;
}

} // namespace torchamp
