#include "JsonReading.h"

#include <cmath>
#include <sstream>

namespace torchamp::import
{

void fail(const std::string& message)
{
    throw ImportError(message);
}

const Json& member(const Json& obj, const char* key, const std::string& where)
{
    if (!obj.is_object())
        fail(where + " should be a JSON object");
    const auto it = obj.find(key);
    if (it == obj.end())
        fail(where + " has no \"" + key + "\"");
    return *it;
}

double number(const Json& value, const std::string& what)
{
    double v = NAN;
    if (value.is_number())
        v = value.get<double>();
    else if (value.is_string())
    {
        const auto& text = value.get_ref<const std::string&>();
        char* end = nullptr;
        v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size())
            fail(what + " should be a number, found \"" + text + "\"");
    }
    else
        fail(what + " should be a number, found " + std::string(value.type_name()));
    if (!std::isfinite(v))
        fail(what + " is not finite");
    return v;
}

int integer(const Json& value, const std::string& what, int lo, int hi)
{
    const double v = number(value, what);
    if (std::floor(v) != v || v < lo || v > hi)
    {
        std::ostringstream s;
        s << what << " should be a whole number in " << lo << ".." << hi << ", found " << v;
        fail(s.str());
    }
    return static_cast<int>(v);
}

float optionalNumber(const Json& obj, const char* key)
{
    if (!obj.is_object())
        return NAN;
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_number())
        return NAN;
    const double v = it->get<double>();
    return std::isfinite(v) ? static_cast<float>(v) : NAN;
}

std::string optionalString(const Json& obj, const char* key)
{
    if (!obj.is_object())
        return {};
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

namespace
{

void flatten(const Json& value, const std::string& what, size_t depth, Tensor& t)
{
    if (value.is_number())
    {
        if (depth != t.shape.size())
            fail(what + " has rows of different lengths or depths");
        const double v = value.get<double>();
        if (!std::isfinite(v))
            fail(what + " has non-finite values (NaN or Inf)");
        t.values.push_back(static_cast<float>(v));
        return;
    }
    if (!value.is_array())
        fail(what + " should hold numbers, found " + std::string(value.type_name()));
    if (depth == t.shape.size())
    {
        if (!t.values.empty())
            fail(what + " has rows of different lengths or depths");
        t.shape.push_back(static_cast<int>(value.size()));
    }
    else if (static_cast<size_t>(t.shape[depth]) != value.size())
        fail(what + " has rows of different lengths");
    for (const auto& item : value)
        flatten(item, what, depth + 1, t);
}

} // namespace

Tensor tensor(const Json& value, const std::string& what)
{
    Tensor t;
    if (!value.is_array())
        fail(what + " should be an array of numbers, found " + std::string(value.type_name()));
    flatten(value, what, 0, t);
    size_t expected = 1;
    for (int d : t.shape)
        expected *= static_cast<size_t>(d);
    if (expected != t.values.size())
        fail(what + " has rows of different lengths");
    return t;
}

Tensor tensorOfShape(const Json& value, const std::string& what, const std::vector<int>& shape)
{
    auto t = tensor(value, what);
    if (t.shape != shape)
        fail(what + " has shape " + shapeText(t.shape) + ", expected " + shapeText(shape));
    return t;
}

std::string shapeText(const std::vector<int>& shape)
{
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s << (i ? ", " : "") << shape[i];
    s << "]";
    return s.str();
}

} // namespace torchamp::import
