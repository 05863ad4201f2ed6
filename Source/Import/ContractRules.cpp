#include "ContractRules.h"
#include "FiniteValues.h"
#include "StringMatch.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

namespace torchamp
{

namespace
{

/** Larger than any weight dimension a model within ModelLimits has, small enough for int arithmetic. */
constexpr std::int64_t maxDimension = 1 << 24;

/** The number of elements of a shape; saturates instead of overflowing. */
std::uint64_t elementCount(const std::vector<std::int64_t>& shape)
{
    std::uint64_t count = 1;
    for (auto d : shape)
    {
        if (d < 0)
            return 0;
        const auto size = static_cast<std::uint64_t>(d);
        count = size != 0 && count > UINT64_MAX / size ? UINT64_MAX : count * size;
    }
    return count;
}

/** Applies the rules in the order the messages were always given: modules, LSTM, head, metadata. */
class RuleCheck
{
public:
    RuleCheck(const ContractInput& in, const std::string& name) : input(in), displayName(name) {}

    std::string run(ContractSpec& out);

private:
    std::string findModules(ContractSpec& out) const;
    std::string readLstm(const ContractModule& lstm);
    std::string readLayer(const ContractModule& lstm, int l);
    std::string readHead(const ContractModule& head);
    std::string readSampleRate();
    std::string readSkip(ContractSpec& out);
    std::string readStrings();
    std::string readKnobs();
    std::string readKnobDefaults();
    std::string readContractVersion() const;
    void warnDefault(const std::string& attribute, const std::string& value)
    {
        spec.warnings.push_back("no '" + attribute + "' attribute: using " + value);
    }

    const ContractInput& input;
    const std::string& displayName;
    ModelSpec spec;
    int hidden = 0;
    int inputs = 0;
};

std::string RuleCheck::run(ContractSpec& out)
{
    std::string problem;
    auto then = [&problem](auto step)
    {
        if (problem.empty())
            problem = step();
    };
    then([&] { return findModules(out); });
    then([&] { return readLstm(input.modules[out.lstmModule]); });
    then([&] { return readHead(input.modules[out.headModule]); });
    then([&] { return readSampleRate(); });
    then([&] { return readSkip(out); });
    then([&] { return readStrings(); });
    then([&] { return readKnobs(); });
    then([&] { return readKnobDefaults(); });
    then([&] { return readContractVersion(); });
    then([&] { return spec.validate(); });
    out.spec = std::move(spec);
    return problem;
}

std::string RuleCheck::findModules(ContractSpec& out) const
{
    bool lstmFound = false;
    int heads = 0;
    for (std::size_t i = 0; i < input.modules.size(); ++i)
    {
        const auto& m = input.modules[i];
        if (m.kind == ModuleKind::lstm)
        {
            if (lstmFound)
                return "it has more than one torch.nn.LSTM; the contract has exactly one";
            lstmFound = true;
            out.lstmModule = i;
        }
        else if (m.kind == ModuleKind::gru || m.kind == ModuleKind::rnn)
            return "it uses " + m.typeName.substr(m.typeName.rfind('.') + 1) +
                   "; the native engine plays torch.nn.LSTM models (use the LibTorch engine)";
        else if (m.kind == ModuleKind::linear)
        {
            const auto* w = m.findTensor("weight");
            if (w != nullptr && w->shape.size() == 2 && w->shape[0] == 1)
            {
                ++heads;
                out.headModule = i;
            }
        }
    }
    if (!lstmFound)
        return "no torch.nn.LSTM found; the contract is one LSTM followed by a Linear(hidden, 1) head";
    if (heads == 0)
        return "no Linear(hidden, 1) output head found after the LSTM";
    if (heads > 1)
        return "more than one Linear(…, 1) layer; the contract has exactly one output head";
    return {};
}

std::string RuleCheck::readLstm(const ContractModule& lstm)
{
    if (lstm.findTensor("weight_ih_l0_reverse") != nullptr)
        return "the LSTM is bidirectional, which cannot run in real time";
    if (lstm.findTensor("weight_hr_l0") != nullptr)
        return "the LSTM uses proj_size, which the native engine does not support";
    if (lstm.batchFirst == false)
        return "the LSTM is not batch_first: the contract's x is [batch, time, 1 + knobs]; build the LSTM "
               "with "
               "batch_first=True";
    const auto* w0 = lstm.findTensor("weight_ih_l0");
    if (w0 == nullptr)
        return "the LSTM has no weights";
    int layers = 0;
    while (lstm.findTensor("weight_ih_l" + std::to_string(layers)) != nullptr)
        ++layers;
    if (w0->shape.size() != 2 || w0->shape[0] > maxDimension || w0->shape[1] > maxDimension)
        return "the LSTM's weights have unexpected shapes";
    hidden = static_cast<int>(w0->shape[0] / 4);
    inputs = static_cast<int>(w0->shape[1]);
    std::ostringstream sizes;
    if (layers > ModelLimits::maxLayers)
        sizes << "the LSTM has " << layers << " layers; TorchAmp plays at most " << ModelLimits::maxLayers;
    else if (hidden < 1 || hidden > ModelLimits::maxHiddenSize)
        sizes << "the LSTM has hidden size " << hidden << "; TorchAmp plays 1.."
              << ModelLimits::maxHiddenSize;
    else if (inputs < 1 || inputs > 1 + ModelLimits::maxKnobs)
        sizes << "the LSTM takes " << inputs << " inputs; TorchAmp plays 1 audio input plus at most "
              << ModelLimits::maxKnobs << " knobs";
    if (!sizes.str().empty())
        return sizes.str();

    spec.name = ContractRules::nameFromFileName(displayName);
    for (int l = 0; l < layers; ++l)
        if (auto problem = readLayer(lstm, l); !problem.empty())
            return problem;
    return {};
}

std::string RuleCheck::readLayer(const ContractModule& lstm, int l)
{
    const auto suffix = "_l" + std::to_string(l);
    const auto* wih = lstm.findTensor("weight_ih" + suffix);
    const auto* whh = lstm.findTensor("weight_hh" + suffix);
    if (whh == nullptr || wih->shape.size() != 2 || whh->shape.size() != 2 || wih->shape[1] > maxDimension ||
        whh->shape[1] > maxDimension)
        return "the LSTM's weights have unexpected shapes";
    RecurrentLayerSpec layer;
    layer.hiddenSize = static_cast<int>(whh->shape[1]);
    layer.inputSize = static_cast<int>(wih->shape[1]);
    if (whh->shape[0] != 4 * layer.hiddenSize || wih->shape[0] != 4 * layer.hiddenSize)
        return "the LSTM's weights have unexpected shapes";
    // Beyond the limits ModelSpec::validate() says so; the values are not needed.
    const int widest = std::max(ModelLimits::maxHiddenSize, 1 + ModelLimits::maxKnobs);
    if (layer.hiddenSize < 1 || layer.hiddenSize > ModelLimits::maxHiddenSize || layer.inputSize > widest)
    {
        spec.layers.push_back(std::move(layer));
        return {};
    }
    layer.weightIh = wih->values();
    layer.weightHh = whh->values();
    if (!allFinite(layer.weightIh) || !allFinite(layer.weightHh))
        return "layer " + std::to_string(l) +
               " has non-finite weights (NaN or Inf); the model was saved from a diverged training";
    const auto* bih = lstm.findTensor("bias_ih" + suffix);
    const auto* bhh = lstm.findTensor("bias_hh" + suffix);
    if (bih != nullptr && bhh == nullptr)
        return "the LSTM has bias_ih" + suffix + " but no bias_hh" + suffix;
    if (bih != nullptr)
    {
        // A bias of another size is left empty: ModelSpec::validate() names the layer.
        const auto gates = static_cast<std::uint64_t>(4 * layer.hiddenSize);
        if (elementCount(bih->shape) == gates && elementCount(bhh->shape) == gates)
        {
            layer.biasIh = bih->values();
            layer.biasHh = bhh->values();
        }
    }
    else
    {
        layer.biasIh.assign(static_cast<std::size_t>(4 * layer.hiddenSize), 0.0f);
        layer.biasHh = layer.biasIh;
    }
    spec.layers.push_back(std::move(layer));
    return {};
}

std::string RuleCheck::readHead(const ContractModule& head)
{
    const auto* weight = head.findTensor("weight");
    if (weight->shape[1] != hidden)
        return "the output head takes " + std::to_string(weight->shape[1]) + " inputs but the LSTM has " +
               std::to_string(hidden) + " units";
    spec.headWeight = weight->values();
    if (const auto* bias = head.findTensor("bias"))
    {
        const auto count = elementCount(bias->shape);
        if (count < 1 || count > static_cast<std::uint64_t>(ModelLimits::maxHiddenSize))
            return "the output head's bias has an unexpected shape";
        spec.headBias = bias->values()[0];
    }
    return {};
}

std::string RuleCheck::readSampleRate()
{
    const auto* v = input.findAttribute("sample_rate");
    if (v == nullptr)
    {
        warnDefault("sample_rate", "48000 Hz");
        return {};
    }
    std::int64_t rate = 0;
    if (v->kind == AttributeValue::Kind::integer)
        rate = v->integer;
    else if (v->kind == AttributeValue::Kind::real && std::floor(v->real) == v->real &&
             std::abs(v->real) < 1e9)
        rate = static_cast<std::int64_t>(v->real);
    else
        return "attribute 'sample_rate' should be an int in Hz, found " + v->kindName();
    if (rate < ModelLimits::minSampleRate || rate > ModelLimits::maxSampleRate)
        return "sample_rate " + std::to_string(rate) + " Hz is outside " +
               std::to_string(ModelLimits::minSampleRate) + ".." +
               std::to_string(ModelLimits::maxSampleRate) + " Hz";
    spec.sampleRate = static_cast<int>(rate);
    return {};
}

std::string RuleCheck::readSkip(ContractSpec& out)
{
    const auto* v = input.findAttribute("skip");
    out.skipStated = v != nullptr;
    if (v == nullptr)
        return {};
    if (v->kind == AttributeValue::Kind::boolean)
        spec.skip = v->boolean;
    else if (v->kind == AttributeValue::Kind::integer && (v->integer == 0 || v->integer == 1))
        spec.skip = v->integer == 1;
    else
        return "attribute 'skip' should be a bool, found " + v->kindName();
    return {};
}

std::string RuleCheck::readStrings()
{
    for (auto [attribute, field] :
         {std::pair{"name", &spec.name}, std::pair{"description", &spec.description},
          std::pair{"author", &spec.author}})
    {
        const auto* v = input.findAttribute(attribute);
        if (v == nullptr)
            continue;
        if (v->kind != AttributeValue::Kind::string)
            return std::string("attribute '") + attribute + "' should be a str, found " + v->kindName();
        *field = v->text;
    }
    if (spec.name.empty())
        spec.name = ContractRules::nameFromFileName(displayName);
    return {};
}

std::string RuleCheck::readKnobs()
{
    const int knobCount = inputs - 1;
    const auto* v = input.findAttribute("knobs");
    if (v == nullptr)
    {
        for (int k = 0; k < knobCount; ++k)
            spec.knobNames.push_back("Knob " + std::to_string(k + 1));
        if (knobCount > 0)
            warnDefault("knobs", std::to_string(knobCount) + " knobs named Knob 1..");
        return {};
    }
    if (v->kind != AttributeValue::Kind::list)
        return "attribute 'knobs' should be a list of knob names, found " + v->kindName();
    for (const auto& item : v->items)
    {
        if (item.kind != AttributeValue::Kind::string)
            return "attribute 'knobs' should hold strings (knob names)";
        if (item.text.empty() || static_cast<int>(item.text.size()) > ModelLimits::maxKnobNameLength)
            return "knob names must be 1.." + std::to_string(ModelLimits::maxKnobNameLength) +
                   " characters long";
        spec.knobNames.push_back(item.text);
    }
    if (static_cast<int>(spec.knobNames.size()) != knobCount)
        return "the metadata names " + std::to_string(spec.knobNames.size()) + " knobs but the LSTM takes " +
               std::to_string(inputs) + " inputs (1 audio + " + std::to_string(knobCount) + " knobs)";
    return {};
}

std::string RuleCheck::readKnobDefaults()
{
    const int knobCount = inputs - 1;
    spec.knobDefaults.assign(static_cast<std::size_t>(knobCount), 0.5f);
    const auto* v = input.findAttribute("knob_defaults");
    if (v == nullptr)
        return {};
    if (v->kind != AttributeValue::Kind::list)
        return "attribute 'knob_defaults' should be a list of floats in [0, 1], found " + v->kindName();
    if (static_cast<int>(v->items.size()) != knobCount)
        return "attribute 'knob_defaults' has " + std::to_string(v->items.size()) + " values for " +
               std::to_string(knobCount) + " knobs";
    for (std::size_t k = 0; k < v->items.size(); ++k)
    {
        // Integers are accepted: a default of 0 or 1 written without a decimal point.
        const auto& item = v->items[k];
        const double d = item.kind == AttributeValue::Kind::real      ? item.real
                         : item.kind == AttributeValue::Kind::integer ? static_cast<double>(item.integer)
                                                                      : -1.0;
        if (!(d >= 0.0 && d <= 1.0))
            return "attribute 'knob_defaults' should hold floats in [0, 1]";
        spec.knobDefaults[k] = static_cast<float>(d);
    }
    return {};
}

std::string RuleCheck::readContractVersion() const
{
    const auto* v = input.findAttribute("contract_version");
    if (v == nullptr)
        return {};
    if (v->kind != AttributeValue::Kind::integer || v->integer < 1)
        return "attribute 'contract_version' should be an int of 1 or more, found " + v->kindName() +
               (v->kind == AttributeValue::Kind::integer ? " " + std::to_string(v->integer) : "");
    if (v->integer > ContractRules::newestContractVersion)
        return "it follows version " + std::to_string(v->integer) +
               " of the model file contract; this TorchAmp reads " + "versions up to " +
               std::to_string(ContractRules::newestContractVersion) + ". Update TorchAmp to play it";
    return {};
}

} // namespace

std::string AttributeValue::kindName() const
{
    switch (kind)
    {
        case Kind::none:
            return "None";
        case Kind::boolean:
            return "Bool";
        case Kind::integer:
            return "Int";
        case Kind::real:
            return "Double";
        case Kind::string:
            return "String";
        case Kind::list:
            return "GenericList";
        case Kind::tensor:
            return "Tensor";
        case Kind::other:
            return text;
    }
    return text;
}

const ModuleTensor* ContractModule::findTensor(const std::string& tensorName) const
{
    for (const auto& t : tensors)
        if (t.name == tensorName)
            return &t;
    return nullptr;
}

const AttributeValue* ContractInput::findAttribute(const std::string& attributeName) const
{
    for (const auto& [name, value] : attributes)
        if (name == attributeName)
            return &value;
    return nullptr;
}

const std::vector<std::string>& ContractRules::attributeNames()
{
    static const std::vector<std::string> names{"sample_rate", "skip",        "knobs",  "knob_defaults",
                                                "name",        "description", "author", "contract_version"};
    return names;
}

ModuleKind ContractRules::kindOf(const std::string& typeName)
{
    if (endsWith(typeName, "torch.nn.modules.rnn.LSTM"))
        return ModuleKind::lstm;
    if (endsWith(typeName, "torch.nn.modules.rnn.GRU"))
        return ModuleKind::gru;
    if (endsWith(typeName, "torch.nn.modules.rnn.RNN"))
        return ModuleKind::rnn;
    if (endsWith(typeName, "torch.nn.modules.linear.Linear"))
        return ModuleKind::linear;
    return ModuleKind::other;
}

std::string ContractRules::withoutMangling(std::string typeName)
{
    static const std::string mangle = "___torch_mangle_";
    for (auto pos = typeName.find(mangle); pos != std::string::npos; pos = typeName.find(mangle))
    {
        const auto dot = typeName.find('.', pos);
        typeName.erase(pos, dot == std::string::npos ? std::string::npos : dot - pos + 1);
    }
    return typeName;
}

std::string ContractRules::nameFromFileName(const std::string& displayName)
{
    auto stem = displayName;
    if (auto slash = stem.find_last_of("/\\"); slash != std::string::npos)
        stem = stem.substr(slash + 1);
    if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0)
        stem = stem.substr(0, dot);
    return stem;
}

Result<ContractSpec> ContractRules::apply(const ContractInput& input, const std::string& displayName)
{
    ContractSpec out;
    if (auto problem = RuleCheck(input, displayName).run(out); !problem.empty())
        return Result<ContractSpec>::failure(displayName + ": " + problem);
    return Result<ContractSpec>::success(std::move(out));
}

} // namespace torchamp
