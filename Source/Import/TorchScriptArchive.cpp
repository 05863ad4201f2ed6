#include "TorchScriptArchive.h"
#include "LittleEndian.h"
#include "TorchScriptMessages.h"

#include <algorithm>
#include <cstring>

namespace torchamp
{

namespace
{

using Kind = PickleValue::Kind;

constexpr int maxModuleDepth = 32;
constexpr std::size_t maxModules = 1024;
constexpr std::size_t maxTensorDimensions = 8;
constexpr int maxAttributeDepth = 8;
constexpr std::size_t maxAttributeItems = 100000;

/** Bytes per element of a storage type torch writes; 0 for a name it does not. */
std::uint64_t elementBytes(const std::string& storageType)
{
    static const struct
    {
        const char* name;
        std::uint64_t bytes;
    } types[] = {{"FloatStorage", 4},      {"DoubleStorage", 8},       {"HalfStorage", 2},
                 {"BFloat16Storage", 2},   {"LongStorage", 8},         {"IntStorage", 4},
                 {"ShortStorage", 2},      {"CharStorage", 1},         {"ByteStorage", 1},
                 {"BoolStorage", 1},       {"ComplexFloatStorage", 8}, {"ComplexDoubleStorage", 16},
                 {"ComplexHalfStorage", 4}};
    for (const auto& t : types)
        if (storageType == t.name)
            return t.bytes;
    return 0;
}

/** The version number at the start of a version record, as LibTorch reads it; false if none. */
bool parseVersion(std::string_view text, std::uint64_t& version)
{
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        ++i;
    version = 0;
    const auto start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 18; ++i)
        version = version * 10 + static_cast<std::uint64_t>(text[i] - '0');
    return i > start;
}

float readElement(const char* p, std::uint64_t bytes)
{
    if (bytes == 4)
    {
        const auto bits = static_cast<std::uint32_t>(readLittleEndian(p, 4));
        float f = 0.0f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }
    const auto bits = readLittleEndian(p, 8);
    double d = 0.0;
    std::memcpy(&d, &bits, sizeof d);
    return static_cast<float>(d);
}

} // namespace

const std::size_t* ScriptModule::findAttribute(const std::string& name) const
{
    for (const auto& [attribute, value] : attributes)
        if (attribute == name)
            return &value;
    return nullptr;
}

TorchScriptArchive::TorchScriptArchive(const ZipArchive& archive, std::string name)
    : zip(archive), displayName(std::move(name))
{
    readLayout();
    const auto root = dataValues.root();
    if (dataValues[root].kind != Kind::object)
        throw NotProvableNatively("its data.pkl holds no module");
    addModule(root, 0);
}

std::string_view TorchScriptArchive::readRecord(const std::string& name, std::vector<char>& scratch) const
{
    const auto* record = zip.find(recordPath(name));
    if (record == nullptr)
        throw NotProvableNatively("it has no record " + name);
    std::string_view content;
    if (auto problem = zip.read(*record, content, scratch); !problem.empty())
        throw NotProvableNatively(problem);
    return content;
}

void TorchScriptArchive::readLayout()
{
    // LibTorch takes the archive's folder from the first record, wherever the others are.
    if (zip.records().empty())
        throw NotProvableNatively("the zip archive is empty");
    const auto& first = zip.records().front().name;
    const auto slash = first.find('/');
    if (slash == std::string::npos)
        throw ModelFileError(TorchScriptMessages::zipNotTorchScript(displayName));
    folder = first.substr(0, slash + 1);

    std::vector<char> scratch;
    const bool dataVersion = zip.find(recordPath(".data/version")) != nullptr;
    if (!dataVersion && zip.find(recordPath("version")) == nullptr)
        throw NotProvableNatively("it has no version record");
    if (!parseVersion(readRecord(dataVersion ? ".data/version" : "version", scratch), version))
        throw ModelFileError(TorchScriptMessages::zipNotTorchScript(displayName));
    if (version == 0)
        throw NotProvableNatively("its format version is 0");
    if (zip.find(recordPath("model.json")) != nullptr)
        throw NotProvableNatively("it is in the format of PyTorch before 1.4 (model.json)");
    if (zip.find(recordPath("byteorder")) != nullptr && readRecord("byteorder", scratch) != "little")
        throw NotProvableNatively("its tensors are not stored little-endian");
    if (zip.find(recordPath("constants.pkl")) == nullptr)
        throw ModelFileError(TorchScriptMessages::checkpointNotTorchScript(displayName));
    checkStorages(readPickle("constants.pkl"), "constants/");
    dataValues = readPickle("data.pkl");
    checkStorages(dataValues, "data/");
}

PickleGraph TorchScriptArchive::readPickle(const std::string& name) const
{
    std::vector<char> scratch;
    auto graph = Unpickler::read(readRecord(name, scratch));
    if (!graph)
        throw NotProvableNatively(name + ": " + graph.error());
    return std::move(*graph);
}

void TorchScriptArchive::checkStorages(const PickleGraph& graph, const std::string& tensorFolder) const
{
    for (std::size_t i = 0; i < graph.size(); ++i)
    {
        const auto& v = graph[i];
        if (v.kind == Kind::tensor)
        {
            const auto& storage = graph[v.items[0]];
            const auto& sizes = graph[v.items[1]].items;
            const auto& strides = graph[v.items[2]].items;
            // The element after the view's last one, which must lie within the storage.
            std::int64_t end = v.integer;
            bool empty = false;
            for (std::size_t d = 0; d < sizes.size(); ++d)
            {
                const auto size = graph[sizes[d]].integer, stride = graph[strides[d]].integer;
                if (size < 0 || stride < 0 || size > storage.integer || stride > storage.integer)
                    throw NotProvableNatively("a tensor's view does not fit its storage");
                empty = empty || size == 0;
                end += (size - 1) * stride;
            }
            if (v.integer < 0 || (!empty && (sizes.size() > maxTensorDimensions || end >= storage.integer)))
                throw NotProvableNatively("a tensor's view does not fit its storage");
            continue;
        }
        if (v.kind != Kind::storage || v.integer == 0)
            continue;
        const auto bytes = elementBytes(v.text);
        if (bytes == 0 || v.integer < 0)
            throw NotProvableNatively("it stores tensors as " + v.text + ", which torch does not write");
        const auto name = tensorFolder + graph[v.items[0]].text;
        const auto* record = zip.find(recordPath(name));
        if (record == nullptr)
            throw NotProvableNatively("it has no record " + name);
        if (record->uncompressedBytes / bytes != static_cast<std::uint64_t>(v.integer) ||
            record->uncompressedBytes % bytes != 0)
            throw ModelFileError(TorchScriptMessages::damagedArchive(
                displayName, "record " + recordPath(name) + " holds " +
                                 std::to_string(record->uncompressedBytes) + " bytes for " +
                                 std::to_string(v.integer) + " values of " + v.text));
    }
}

const CodeClass* TorchScriptArchive::findClass(const std::string& qualifiedName)
{
    const auto dot = qualifiedName.rfind('.');
    if (dot == std::string::npos)
        return nullptr;
    auto qualifier = qualifiedName.substr(0, dot);
    std::replace(qualifier.begin(), qualifier.end(), '.', '/');
    const auto path = "code/" + qualifier + ".py";
    auto& file = codeFiles[path];
    if (!file)
    {
        if (zip.find(recordPath(path)) == nullptr)
            return nullptr;
        std::vector<char> scratch;
        auto parsed = CodeFile::parse(readRecord(path, scratch));
        if (!parsed)
            throw NotProvableNatively(path + ": " + parsed.error());
        file = std::make_unique<CodeFile>(std::move(*parsed));
    }
    return file->findClass(qualifiedName.substr(dot + 1));
}

std::size_t TorchScriptArchive::addModule(std::size_t object, int depth)
{
    if (depth > maxModuleDepth || moduleList.size() >= maxModules)
        throw NotProvableNatively("its modules nest deeper than " + std::to_string(maxModuleDepth) +
                                  " levels or number more than " + std::to_string(maxModules));
    const auto& value = dataValues[object];
    ScriptModule module;
    module.typeName = value.text;
    module.code = findClass(value.text);
    if (module.code == nullptr)
        throw NotProvableNatively("it has no code for class " + value.text);
    if (value.items.size() != 1 || dataValues[value.items[0]].kind != Kind::dict)
        throw NotProvableNatively("module " + value.text +
                                  " keeps its state in a form the native reader does not know");
    const auto& state = dataValues[value.items[0]].items;
    for (std::size_t i = 0; i + 1 < state.size(); i += 2)
    {
        if (dataValues[state[i]].kind != Kind::string)
            throw NotProvableNatively("module " + value.text +
                                      " names an attribute with something other than a string");
        module.attributes.emplace_back(dataValues[state[i]].text, state[i + 1]);
    }
    const auto index = moduleList.size();
    moduleList.push_back(std::move(module));
    for (std::size_t a = 0; a < moduleList[index].attributes.size(); ++a)
    {
        const auto [attribute, member] = moduleList[index].attributes[a];
        if (dataValues[member].kind != Kind::object)
            continue;
        const auto* cls = findClass(dataValues[member].text);
        if (cls == nullptr)
            throw NotProvableNatively("it has no code for class " + dataValues[member].text);
        if (!cls->isModule())
            continue;
        const auto child = addModule(member, depth + 1);
        moduleList[index].children.emplace_back(attribute, child);
    }
    return index;
}

ModuleTensor TorchScriptArchive::readTensor(std::size_t value, const std::string& name) const
{
    const auto& t = dataValues[value];
    const auto& storage = dataValues[t.items[0]];
    if (t.flag)
        throw NotProvableNatively("tensor " + name + " carries conjugate or negative flags");
    if (storage.text != "FloatStorage" && storage.text != "DoubleStorage")
        throw NotProvableNatively("tensor " + name + " holds " + storage.text +
                                  " values; the native reader reads FloatStorage and DoubleStorage");
    ModuleTensor out;
    out.name = name;
    std::uint64_t count = 1;
    for (const auto size : dataValues[t.items[1]].items)
    {
        out.shape.push_back(dataValues[size].integer);
        count *= static_cast<std::uint64_t>(out.shape.back()); // each at most the storage's size
        if (count > static_cast<std::uint64_t>(storage.integer))
            throw NotProvableNatively("tensor " + name + " has more elements than its storage");
    }
    out.values = [this, value, count] { return tensorValues(value, count); };
    return out;
}

std::vector<float> TorchScriptArchive::tensorValues(std::size_t value, std::uint64_t count) const
{
    const auto& t = dataValues[value];
    const auto& storage = dataValues[t.items[0]];
    const auto& sizes = dataValues[t.items[1]].items;
    const auto& strides = dataValues[t.items[2]].items;
    std::vector<float> values;
    if (count == 0)
        return values;
    const auto bytes = elementBytes(storage.text);
    std::vector<char> scratch;
    const auto content = readRecord("data/" + dataValues[storage.items[0]].text, scratch);
    values.reserve(static_cast<std::size_t>(count));
    std::vector<std::int64_t> index(sizes.size(), 0);
    for (std::uint64_t n = 0; n < count; ++n)
    {
        std::int64_t element = t.integer;
        for (std::size_t d = 0; d < index.size(); ++d)
            element += index[d] * dataValues[strides[d]].integer;
        values.push_back(readElement(content.data() + static_cast<std::uint64_t>(element) * bytes, bytes));
        for (auto d = index.size(); d-- > 0;) // the next index in row-major order
        {
            if (++index[d] < dataValues[sizes[d]].integer)
                break;
            index[d] = 0;
        }
    }
    return values;
}

AttributeValue TorchScriptArchive::attributeValue(std::size_t value) const
{
    std::size_t budget = maxAttributeItems;
    return convert(value, 0, budget);
}

AttributeValue TorchScriptArchive::convert(std::size_t value, int depth, std::size_t& budget) const
{
    using A = AttributeValue::Kind;
    const auto& v = dataValues[value];
    AttributeValue out;
    switch (v.kind)
    {
        case Kind::none:
            out.kind = A::none;
            break;
        case Kind::boolean:
            out.kind = A::boolean, out.boolean = v.flag;
            break;
        case Kind::integer:
            out.kind = A::integer, out.integer = v.integer;
            break;
        case Kind::real:
            out.kind = A::real, out.real = v.real;
            break;
        case Kind::string:
            out.kind = A::string, out.text = v.text;
            break;
        case Kind::tensor:
            out.kind = A::tensor;
            break;
        case Kind::tuple:
            out.text = "Tuple";
            break;
        case Kind::dict:
            out.text = "GenericDict";
            break;
        case Kind::opaque:
            out.text = v.text;
            break;
        case Kind::object:
        case Kind::global:
        case Kind::storage:
            out.text = "Object";
            break;
        case Kind::list:
            out.kind = A::list;
            if (depth >= maxAttributeDepth || v.items.size() > budget)
                throw NotProvableNatively("an attribute holds lists too large or too deep to read");
            budget -= v.items.size();
            for (auto item : v.items)
                out.items.push_back(convert(item, depth + 1, budget));
            break;
    }
    return out;
}

} // namespace torchamp
