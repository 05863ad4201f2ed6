#include "ModelLibrary.h"

#include "FileBytes.h"
#include "ImpulseResponseFile.h"
#include "ModelImport.h"
#include "Preset.h"
#include "TorchScriptReader.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

namespace torchamp
{

namespace
{

std::string lowerCase(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string withThousands(std::uint64_t n)
{
    auto digits = std::to_string(n);
    for (auto i = static_cast<std::ptrdiff_t>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

std::string rateText(int hz)
{
    std::ostringstream s;
    s << hz / 1000.0 << " kHz";
    return s.str();
}

std::string describeImpulseResponse(const ImpulseResponse& ir)
{
    std::ostringstream s;
    s << (ir.numChannels() == 1 ? "mono" : "stereo") << ", " << rateText(ir.sampleRate) << ", "
      << withThousands(ir.numFrames()) << " samples ("
      << static_cast<long>(1000.0 * static_cast<double>(ir.numFrames()) / ir.sampleRate + 0.5) << " ms)";
    return s.str();
}

std::string describeAsset(const std::optional<PresetAsset>& asset, const char* builtIn)
{
    if (!asset)
        return "unchanged";
    if (asset->builtIn)
        return builtIn;
    const auto name = asset->path.empty() ? std::string("embedded") : fileNameOf(asset->path);
    return asset->bytes && !asset->path.empty() ? name + " (embedded)" : name;
}

std::string describePreset(const Preset& preset)
{
    return "model " + describeAsset(preset.model, "built-in") + ", cabinet " +
           (preset.withoutImpulseResponse ? std::string("none")
                                          : describeAsset(preset.impulseResponse, "built-in")) +
           ", " + std::to_string(preset.parameters.size()) + " parameters";
}

void describeModel(LibraryEntry& e, const std::vector<char>& bytes)
{
    if (looksLikeJsonModel(bytes))
    {
        auto spec = importJsonModel(bytes, e.name);
        if (!spec)
            e.error = spec.error();
        else
        {
            e.description = spec->architecture();
            e.format = spec->sourceFormat;
        }
        return;
    }
    auto model = readTorchScript(bytes, e.name);
    if (!model)
        return void(e.error = model.error());
    e.format = "TorchScript";
    e.description = model->verdict == TorchScriptModel::Verdict::contract
                        ? model->spec.architecture()
                        : "plays on the LibTorch engine (" + model->reason + ")";
}

} // namespace

ModelLibrary::ModelLibrary(const juce::File& settingsFile)
    : settings(settingsFile,
               []
               {
                   juce::PropertiesFile::Options o;
                   o.millisecondsBeforeSaving = -1; // saved when the folder is chosen
                   o.storageFormat = juce::PropertiesFile::storeAsXML;
                   return o;
               }()),
      published(std::make_shared<LibrarySnapshot>())
{
    if (folder() != juce::File())
        rescan();
}

ModelLibrary::~ModelLibrary()
{
    ++scanGeneration; // the running scan stops at its next file
}

juce::File ModelLibrary::defaultSettingsFile()
{
    auto base = juce::File::getSpecialLocation(juce::File::userApplicationDataDirectory);
#if JUCE_LINUX
    // JUCE reads only ~/.config/user-dirs.dirs; the XDG variable comes first, as desktops expect.
    const auto xdg = juce::SystemStats::getEnvironmentVariable("XDG_CONFIG_HOME", {});
    if (juce::File::isAbsolutePath(xdg))
        base = juce::File(xdg);
#endif
    return base.getChildFile("TorchAmp").getChildFile("TorchAmp.settings");
}

void ModelLibrary::setFolder(const juce::File& newFolder)
{
    settings.setValue("libraryFolder", newFolder.getFullPathName());
    settings.getFile().getParentDirectory().createDirectory();
    settings.saveIfNeeded();
    rescan();
}

juce::File ModelLibrary::folder() const
{
    const auto path = settings.getValue("libraryFolder");
    return juce::File::isAbsolutePath(path) ? juce::File(path) : juce::File();
}

void ModelLibrary::rescan()
{
    const int generation = ++scanGeneration;
    const auto path = folder().getFullPathName().toStdString();
    LibrarySnapshot scanning;
    scanning.folder = path;
    scanning.scanning = true;
    publish(std::move(scanning));
    scanner.post([this, path, generation] { scan(path, generation); });
}

std::shared_ptr<const LibrarySnapshot> ModelLibrary::snapshot() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return published;
}

void ModelLibrary::publish(LibrarySnapshot next)
{
    std::lock_guard<std::mutex> lock(mutex);
    next.generation = published->generation + 1;
    published = std::make_shared<const LibrarySnapshot>(std::move(next));
}

std::optional<LibraryEntryKind> ModelLibrary::kindOf(const std::string& path)
{
    const auto dot = path.find_last_of('.');
    const auto extension = dot == std::string::npos ? std::string() : lowerCase(path.substr(dot + 1));
    for (const char* e : {"pt", "pth", "ts", "nam", "json"})
        if (extension == e)
            return LibraryEntryKind::model;
    for (const char* e : {"wav", "aif", "aiff", "flac"})
        if (extension == e)
            return LibraryEntryKind::impulseResponse;
    return std::nullopt;
}

LibraryEntry ModelLibrary::describe(LibraryEntry e)
{
    e.read = true;
    if (e.kind == LibraryEntryKind::impulseResponse)
    {
        auto ir = readImpulseResponseFile(e.path);
        if (!ir)
            return e.error = ir.error(), e;
        const auto extension = lowerCase(e.path.substr(e.path.find_last_of('.') + 1));
        e.format = extension == "wav" ? "WAV" : extension == "flac" ? "FLAC" : "AIFF";
        e.description = describeImpulseResponse(*ir);
        return e;
    }
    const bool json = lowerCase(e.path).size() >= 5 && lowerCase(e.path).substr(e.path.size() - 5) == ".json";
    auto bytes = readFileBytes(e.path, json ? FileLimits::maxPresetBytes : FileLimits::maxModelBytes);
    if (!bytes)
        return e.error = bytes.error(), e;
    if (json && looksLikePreset(*bytes))
    {
        e.kind = LibraryEntryKind::preset;
        e.format = "TorchAmp preset";
        auto preset = parsePreset(*bytes, e.name);
        if (!preset)
            e.error = preset.error();
        else
            e.description = describePreset(*preset);
        return e;
    }
    describeModel(e, *bytes);
    return e;
}

void ModelLibrary::scan(const std::string& folder, int generation)
{
    namespace fs = std::filesystem;
    LibrarySnapshot result;
    result.folder = folder;
    result.scanning = true;
    std::error_code error;
    if (folder.empty() || !fs::is_directory(folder, error))
    {
        result.scanning = false;
        result.problem = folder.empty() ? "" : fileNameOf(folder) + ": not a folder (was it moved?)";
        return publish(std::move(result));
    }
    for (fs::recursive_directory_iterator it(folder, fs::directory_options::skip_permission_denied, error),
         end;
         !error && it != end && !abandoned(generation); it.increment(error))
    {
        if (it.depth() >= maxDepth)
            it.disable_recursion_pending();
        std::error_code statError;
        if (!it->is_regular_file(statError))
            continue;
        const auto path = it->path().string();
        if (const auto kind = kindOf(path))
        {
            if (result.entries.size() == maxEntries)
            {
                result.truncated = true;
                break;
            }
            LibraryEntry e;
            e.path = path;
            e.name = it->path().filename().string();
            e.kind = *kind;
            e.sizeBytes = static_cast<std::uint64_t>(it->file_size(statError));
            result.entries.push_back(std::move(e));
        }
    }
    std::sort(result.entries.begin(), result.entries.end(),
              [](const LibraryEntry& a, const LibraryEntry& b)
              {
                  const auto x = lowerCase(a.name), y = lowerCase(b.name);
                  return x != y ? x < y : a.path < b.path;
              });
    publish(result);

    // Entries are read in order and published now and then: the list fills in while it is read.
    auto lastPublished = std::chrono::steady_clock::now();
    for (auto& e : result.entries)
    {
        if (abandoned(generation))
            return;
        e = describe(std::move(e));
        ++result.entriesRead;
        if (std::chrono::steady_clock::now() - lastPublished > std::chrono::milliseconds(100))
        {
            publish(result);
            lastPublished = std::chrono::steady_clock::now();
        }
    }
    result.scanning = false;
    publish(std::move(result));
}

std::vector<std::size_t> ModelLibrary::filter(const std::vector<LibraryEntry>& entries,
                                              const std::string& query, std::optional<LibraryEntryKind> kind)
{
    std::vector<std::string> words;
    std::istringstream split(lowerCase(query));
    for (std::string w; split >> w;)
        words.push_back(w);
    std::vector<std::size_t> indexes;
    for (std::size_t i = 0; i < entries.size(); ++i)
    {
        if (kind && entries[i].kind != *kind)
            continue;
        const auto name = lowerCase(entries[i].name);
        if (std::all_of(words.begin(), words.end(),
                        [&](const std::string& w) { return name.find(w) != std::string::npos; }))
            indexes.push_back(i);
    }
    return indexes;
}

std::optional<std::size_t> ModelLibrary::neighbour(const std::vector<LibraryEntry>& entries,
                                                   const std::vector<std::size_t>& indexes,
                                                   const std::string& currentPath, int step)
{
    if (indexes.empty())
        return std::nullopt;
    const auto n = static_cast<std::ptrdiff_t>(indexes.size());
    const auto at = std::find_if(indexes.begin(), indexes.end(),
                                 [&](std::size_t i) { return entries[i].path == currentPath; });
    if (at == indexes.end())
        return indexes[step >= 0 ? 0 : indexes.size() - 1];
    const auto position = ((at - indexes.begin()) + step % n + n) % n;
    return indexes[static_cast<std::size_t>(position)];
}

} // namespace torchamp
