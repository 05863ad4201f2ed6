#pragma once

// Internal to the import library: the JSON type, errors, and typed access with messages a
// musician can act on. The readers throw ImportError; importJsonModel() turns it into a Result
// whose message starts with the file name.

#include "ModelSpec.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace torchamp::import
{

/// Keeps the file's key order: a state_dict's layer order is the order of its keys.
using Json = nlohmann::ordered_json;

struct ImportError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& message);

/// obj[key], or an error naming `where` ("config", "layer 2", ...).
const Json& member(const Json& obj, const char* key, const std::string& where);

/// A whole number in [lo, hi].
int integer(const Json& value, const std::string& what, int lo, int hi);
/// A finite number (also accepted as a numeric string, as AIDA-X writes "samplerate").
double number(const Json& value, const std::string& what);
/// A finite number or NaN when `value` is null or not a number (optional metadata).
float optionalNumber(const Json& obj, const char* key);
/// A string member, or "" when missing or not a string.
std::string optionalString(const Json& obj, const char* key);

/// Nested arrays of numbers: the flat values (row-major) and the shape.
struct Tensor
{
    std::vector<float> values;
    std::vector<int> shape;
};
Tensor tensor(const Json& value, const std::string& what);
/// tensor() that must have exactly `shape`.
Tensor tensorOfShape(const Json& value, const std::string& what, const std::vector<int>& shape);

/// "[12, 48]" for messages.
std::string shapeText(const std::vector<int>& shape);

/// The readers: each fills a spec (name defaults to `stem`, the file name without extension).
ModelSpec readNam(const Json& root, const std::string& stem);
ModelSpec readRtNeural(const Json& root, const std::string& stem);
/// GuitarML's {"model_data", "state_dict"} and a bare state_dict.
ModelSpec readStateDict(const Json& root, const std::string& stem);

} // namespace torchamp::import
