#include "ModelImport.h"

#include "JsonReading.h"

#include <cctype>

namespace torchamp
{

bool looksLikeJsonModel(const std::vector<char>& bytes) noexcept
{
    size_t i = 0;
    if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xEF &&
        static_cast<unsigned char>(bytes[1]) == 0xBB && static_cast<unsigned char>(bytes[2]) == 0xBF)
        i = 3; // UTF-8 byte order mark
    while (i < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[i])))
        ++i;
    return i < bytes.size() && (bytes[i] == '{' || bytes[i] == '[');
}

Result<ModelSpec> importJsonModel(const std::vector<char>& bytes, const std::string& displayName)
{
    using R = Result<ModelSpec>;
    using import::Json;
    std::string stem = displayName;
    if (const auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0)
        stem = stem.substr(0, dot);

    Json root;
    try
    {
        root = Json::parse(bytes.begin(), bytes.end());
    }
    catch (const Json::parse_error& e)
    {
        // "[json.exception.parse_error.101] parse error at line 784, column 5: ..." without the tag.
        std::string what = e.what();
        if (const auto tag = what.find("] ");
            what.rfind("[json.exception", 0) == 0 && tag != std::string::npos)
            what = what.substr(tag + 2);
        return R::failure(displayName + ": the file is not valid JSON (" + what + ")");
    }
    if (!root.is_object())
        return R::failure(displayName + ": the JSON file does not hold an object at the top");

    try
    {
        ModelSpec spec;
        if (root.contains("architecture"))
            spec = import::readNam(root, stem);
        else if (root.contains("layers") || root.contains("in_shape"))
            spec = import::readRtNeural(root, stem);
        else if (root.contains("model_data") || root.contains("state_dict"))
            spec = import::readStateDict(root, stem);
        else
        {
            bool stateDict = false;
            for (auto it = root.begin(); it != root.end() && !stateDict; ++it)
                stateDict = it.key().size() > 13 && it.key().find(".weight_ih_l0") != std::string::npos;
            if (!stateDict)
                return R::failure(
                    displayName +
                    ": this JSON file is no model format TorchAmp knows (a Neural Amp Modeler .nam, "
                    "RTNeural/AIDA-X JSON, GuitarML JSON or a PyTorch state_dict)");
            spec = import::readStateDict(root, stem);
        }
        if (auto problem = spec.validate(); !problem.empty())
            return R::failure(displayName + ": " + problem);
        return R::success(std::move(spec));
    }
    catch (const import::ImportError& e)
    {
        return R::failure(displayName + ": " + e.what());
    }
    catch (const nlohmann::json::exception& e)
    {
        return R::failure(displayName + ": unexpected JSON content (" + std::string(e.what()) + ")");
    }
}

} // namespace torchamp
