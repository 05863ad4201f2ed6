#include "TorchScriptReader.h"
#include "ArchiveCheck.h"
#include "ContractRules.h"
#include "ForwardRecogniser.h"
#include "TorchScriptArchive.h"
#include "TorchScriptMessages.h"

#include <algorithm>

namespace torchamp
{

namespace
{

/** forward(x, h, c) goes on; forward(x) is an audio module for LibTorch; anything else is refused. */
void checkSignature(const TorchScriptArchive& archive, const std::string& displayName)
{
    const auto* forward = archive.modules().front().code->findMethod("forward");
    const auto arguments = forward == nullptr ? 0 : forward->parameters.size(); // self included
    if (arguments == 2)
        throw NotProvableNatively("forward(x) is an audio module, not the LSTM contract forward(x, h, c)");
    if (arguments != 4)
        throw ModelFileError(TorchScriptMessages::forwardMismatch(displayName));
}

/** A class constant (`name : Final[T] = value`) as an attribute value. */
AttributeValue constantValue(const CodeExpr& e)
{
    AttributeValue v;
    using K = AttributeValue::Kind;
    switch (e.kind)
    {
        case CodeExpr::Kind::integer:
            v.kind = K::integer, v.integer = e.integer;
            break;
        case CodeExpr::Kind::real:
            v.kind = K::real, v.real = e.real;
            break;
        case CodeExpr::Kind::string:
            v.kind = K::string, v.text = e.text;
            break;
        case CodeExpr::Kind::constant:
            v.kind = e.text == "None" ? K::none : K::boolean;
            v.boolean = e.text == "True";
            break;
        case CodeExpr::Kind::tuple:
            v.text = "Tuple";
            break;
        default:
            v.text = "Object";
            break;
    }
    return v;
}

ContractModule contractModule(const TorchScriptArchive& archive, const ScriptModule& m)
{
    ContractModule out;
    out.typeName = ContractRules::withoutMangling(m.typeName);
    out.kind = ContractRules::kindOf(out.typeName);
    const auto& names = m.code->parameterNames;
    for (const auto& [name, value] : m.attributes)
    {
        const bool wanted = out.kind == ModuleKind::lstm
                                ? std::find(names.begin(), names.end(), name) != names.end()
                                : out.kind == ModuleKind::linear && (name == "weight" || name == "bias");
        if (wanted && archive.data()[value].kind == PickleValue::Kind::tensor)
            out.tensors.push_back(archive.readTensor(value, name));
    }
    if (const auto* batchFirst = m.code->findConstant("batch_first");
        batchFirst != nullptr && batchFirst->value.kind == CodeExpr::Kind::constant &&
        batchFirst->value.text != "None")
        out.batchFirst = batchFirst->value.text == "True";
    return out;
}

/** What ContractRules reads: every module, in the archive's order, and the top module's metadata. */
ContractInput contractInput(const TorchScriptArchive& archive)
{
    ContractInput input;
    for (const auto& m : archive.modules())
        input.modules.push_back(contractModule(archive, m));
    const auto& top = archive.modules().front();
    for (const auto& name : ContractRules::attributeNames())
    {
        if (const auto* value = top.findAttribute(name))
            input.attributes.emplace_back(name, archive.attributeValue(*value));
        else if (const auto* constant = top.code->findConstant(name))
            input.attributes.emplace_back(name, constantValue(constant->value));
    }
    return input;
}

/** The contract's spec with skip decided by forward(); a `skip` attribute must agree with it. */
TorchScriptModel contractModel(ContractSpec contract, const RecognisedForward& forward)
{
    if (contract.skipStated && contract.spec.skip != forward.skip)
        throw NotProvableNatively(std::string("forward() ") + (forward.skip ? "adds" : "does not add") +
                                  " the input to its output, but the 'skip' attribute says otherwise");
    TorchScriptModel model;
    model.verdict = TorchScriptModel::Verdict::contract;
    model.spec = std::move(contract.spec);
    model.spec.skip = forward.skip;
    model.skipStated = contract.skipStated;
    if (!contract.skipStated)
        model.spec.warnings.push_back(TorchScriptMessages::noSkipAttribute(forward.skip));
    model.form = forward.form;
    return model;
}

} // namespace

Result<TorchScriptModel> readTorchScript(const std::vector<char>& bytes, const std::string& displayName)
{
    using R = Result<TorchScriptModel>;
    if (bytes.empty())
        return R::failure(TorchScriptMessages::emptyFile(displayName));
    if (const auto check = ArchiveCheck::run(bytes.data(), bytes.size()); !check)
        return R::failure(TorchScriptMessages::archiveRefused(displayName, bytes.size(), check));
    const auto zip = ZipArchive::open(bytes.data(), bytes.size());
    std::uint64_t version = 0;
    try
    {
        const TorchScriptArchive archive(zip, displayName);
        version = archive.formatVersion();
        checkSignature(archive, displayName);
        const auto input = contractInput(archive);
        auto contract = ContractRules::apply(input, displayName);
        if (!contract)
            return R::failure(contract.error());
        const auto forward = ForwardRecogniser::recognise(archive, input, *contract);
        auto model = contractModel(std::move(*contract), forward);
        model.formatVersion = version;
        return R::success(std::move(model));
    }
    catch (const NotProvableNatively& e)
    {
        TorchScriptModel model;
        model.reason = e.what();
        model.formatVersion = version;
        return R::success(std::move(model));
    }
    catch (const ModelFileError& e)
    {
        return R::failure(e.what());
    }
}

} // namespace torchamp
