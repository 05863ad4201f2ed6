#include "TorchModule.h"
#include "ArchiveCheck.h"
#include "ContractRules.h"
#include "TorchModuleImpl.h"
#include "TorchScriptMessages.h"

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/version.h>

#include <caffe2/serialize/versions.h>
#include <torch/csrc/jit/api/function_impl.h>

#include <functional>
#include <set>

#include <cmath>
#include <mutex>
#include <sstream>

namespace torchamp
{


namespace
{

void configureLibTorchOnce()
{
    static std::once_flag flag;
    std::call_once(flag, [] {
        // Inside a DAW every core belongs to the host's audio and UI threads: LibTorch gets one.
        at::set_num_threads(1);
    });
}

std::string firstLine(const std::string& s)
{
    const auto end = s.find('\n');
    return end == std::string::npos ? s : s.substr(0, end);
}

bool contains(const std::string& haystack, const char* needle)
{
    return haystack.find(needle) != std::string::npos;
}

std::string explainLoadFailure(const std::string& displayName, size_t size, const std::string& what)
{
    if (size == 0)
        return TorchScriptMessages::emptyFile(displayName);
    std::ostringstream e;
    e << displayName << ": ";
    if (contains(what, "maximum supported version") || (contains(what, "version") && contains(what, "too old")))
        e << "saved by a newer PyTorch than this TorchAmp's " << TorchModule::libTorchVersion()
          << " can read (file format up to version " << caffe2::serialize::kMaxSupportedFileFormatVersion
          << "). Save it again with PyTorch 1.13 (torch.jit.save), for example with Models/torchamp's export()";
    else if (contains(what, "failed finding central directory") || contains(what, "failed reading zip archive")
             || contains(what, "istream reader failed"))
        return TorchScriptMessages::notTorchScript(displayName, size);
    else if (contains(what, "constants.pkl") || contains(what, "code/"))
        return TorchScriptMessages::checkpointNotTorchScript(displayName);
    else if (contains(what, "inline_container") || contains(what, "archive/") || contains(what, "not in a subdirectory"))
        return TorchScriptMessages::zipNotTorchScript(displayName);
    else if (contains(what, "Unknown builtin op") || contains(what, "Unknown type name"))
        e << "uses an operator this TorchAmp's " << TorchModule::libTorchVersion()
          << " does not know; it was probably saved by a newer PyTorch. Save it again with PyTorch 1.13 ("
          << firstLine(what) << ")";
    else
        e << "LibTorch could not load it: " << firstLine(what);
    return e.str();
}

std::vector<float> toVector(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kFloat32).contiguous();
    const float* p = c.data_ptr<float>();
    return std::vector<float>(p, p + c.numel());
}

ModuleTensor moduleTensor(const std::string& name, const torch::Tensor& t)
{
    ModuleTensor out;
    out.name = name;
    out.shape.assign(t.sizes().begin(), t.sizes().end());
    out.values = [t] { return toVector(t); };
    return out;
}

/** An attribute as the contract rules see it; lists item by item, a few levels deep. */
AttributeValue attributeValue(const c10::IValue& v, int depth = 0)
{
    using K = AttributeValue::Kind;
    AttributeValue out;
    if (v.isNone())
        out.kind = K::none;
    else if (v.isBool())
        out.kind = K::boolean, out.boolean = v.toBool();
    else if (v.isInt())
        out.kind = K::integer, out.integer = v.toInt();
    else if (v.isDouble())
        out.kind = K::real, out.real = v.toDouble();
    else if (v.isString())
        out.kind = K::string, out.text = v.toStringRef();
    else if (v.isTensor())
        out.kind = K::tensor;
    else if (v.isList() && depth < 8)
    {
        out.kind = K::list;
        for (const auto& item : v.toListRef())
            out.items.push_back(attributeValue(item, depth + 1));
    }
    else
        out.text = v.tagKind();
    return out;
}

ContractModule contractModule(const torch::jit::Module& m)
{
    ContractModule out;
    const auto& type = m.type();
    out.typeName = ContractRules::withoutMangling(type->name() ? type->name()->qualifiedName() : std::string {});
    out.kind = ContractRules::kindOf(out.typeName);
    if (out.kind == ModuleKind::lstm)
    {
        for (const auto& p : m.named_parameters(false))
            out.tensors.push_back(moduleTensor(p.name, p.value));
        if (type->hasConstant("batch_first") && type->getConstant("batch_first").isBool())
            out.batchFirst = type->getConstant("batch_first").toBool();
    }
    else if (out.kind == ModuleKind::linear)
        for (const char* name : { "weight", "bias" })
            if (m.hasattr(name) && m.attr(name).isTensor())
                out.tensors.push_back(moduleTensor(name, m.attr(name).toTensor()));
    return out;
}

/** What the contract rules read, from the module LibTorch loaded. */
ContractInput contractInput(const torch::jit::Module& module)
{
    ContractInput input;
    for (const auto& sub : module.named_modules())
        input.modules.push_back(contractModule(sub.value));
    for (const auto& name : ContractRules::attributeNames())
        if (module.hasattr(name))
            input.attributes.emplace_back(name, attributeValue(module.attr(name)));
    return input;
}

} // namespace

TorchModule::TorchModule(std::unique_ptr<Impl> i) : impl(std::move(i)) {}
TorchModule::~TorchModule() = default;

std::string TorchModule::libTorchVersion()
{
    return std::string("LibTorch ") + TORCH_VERSION;
}

const std::vector<std::string>& TorchModule::safeOperators()
{
    static const std::vector<std::string> ops {
        // What the contract (LSTM + Linear + skip) compiles to.
        "aten::Int", "aten::__is__", "aten::__isnot__", "aten::__not__", "aten::add", "aten::dim", "aten::eq",
        "aten::format", "aten::index_select", "aten::linear", "aten::list", "aten::lstm", "aten::mul", "aten::ne", "aten::select",
        "aten::size", "aten::slice", "aten::squeeze", "aten::tanh", "aten::unsqueeze", "aten::zeros",
        "prim::CallFunction", "prim::CallMethod", "prim::Constant", "prim::GetAttr", "prim::If",
        "prim::ListConstruct", "prim::RaiseException", "prim::TupleConstruct", "prim::TupleIndex",
        "prim::TupleUnpack", "prim::device", "prim::dtype", "prim::unchecked_cast",
        // Simple audio arithmetic: waveshapers, gains, mixes, other recurrent layers.
        "aten::sub", "aten::div", "aten::neg", "aten::abs", "aten::clamp", "aten::sigmoid", "aten::relu",
        "aten::hardtanh", "aten::exp", "aten::sin", "aten::cos", "aten::sqrt", "aten::pow", "aten::matmul",
        "aten::mm", "aten::addmm", "aten::cat", "aten::transpose", "aten::permute", "aten::reshape",
        "aten::view", "aten::contiguous", "aten::gru", "aten::zeros_like", "aten::lt", "aten::gt", "aten::le",
        "aten::ge", "aten::len", "aten::__getitem__", "aten::to", "prim::NumToTensor", "prim::ListUnpack",
    };
    return ops;
}

std::vector<std::string> TorchModule::operatorsOutsideSafeList() const
{
    const auto& safe = safeOperators();
    std::set<std::string> outside;
    std::set<const torch::jit::Graph*> seen;
    std::function<void(const torch::jit::Block*)> walk = [&](const torch::jit::Block* block) {
        for (const auto* node : block->nodes())
        {
            const std::string kind = node->kind().toQualString();
            if (std::find(safe.begin(), safe.end(), kind) == safe.end())
                outside.insert(kind);
            if (node->kind() == c10::prim::CallFunction)
                if (auto fn = node->input(0)->type()->cast<c10::FunctionType>())
                {
                    const auto& graph = torch::jit::toGraphFunction(*fn->function()).graph();
                    if (seen.insert(graph.get()).second)
                        walk(graph->block());
                }
            for (const auto* sub : node->blocks())
                walk(sub);
        }
    };
    for (const auto& module : impl->module.modules())
        for (const auto& method : module.get_methods())
            if (seen.insert(method.graph().get()).second)
                walk(method.graph()->block());
    return { outside.begin(), outside.end() };
}

Result<std::unique_ptr<TorchModule>> TorchModule::load(const std::vector<char>& bytes, const std::string& displayName,
                                                       bool strict)
{
    configureLibTorchOnce();
    auto impl = std::make_unique<Impl>();
    impl->displayName = displayName;
    if (bytes.empty())
        return Result<std::unique_ptr<TorchModule>>::failure(TorchScriptMessages::emptyFile(displayName));
    // LibTorch believes the sizes a file declares; what it would over-allocate on never reaches it.
    if (const auto archive = ArchiveCheck::run(bytes.data(), bytes.size()); !archive)
        return Result<std::unique_ptr<TorchModule>>::failure(
            TorchScriptMessages::archiveRefused(displayName, bytes.size(), archive));
    try
    {
        std::istringstream stream(std::string(bytes.data(), bytes.size()));
        impl->module = torch::jit::load(stream, torch::kCPU);
        impl->module.eval();
    }
    catch (const c10::Error& e)
    {
        return Result<std::unique_ptr<TorchModule>>::failure(
            explainLoadFailure(displayName, bytes.size(), e.what_without_backtrace()));
    }
    catch (const std::exception& e)
    {
        return Result<std::unique_ptr<TorchModule>>::failure(explainLoadFailure(displayName, bytes.size(), e.what()));
    }

    std::unique_ptr<TorchModule> result(new TorchModule(std::move(impl)));
    if (strict)
    {
        const auto outside = result->operatorsOutsideSafeList();
        if (!outside.empty())
        {
            std::string list;
            for (const auto& op : outside)
                list += (list.empty() ? "" : ", ") + op;
            return Result<std::unique_ptr<TorchModule>>::failure(
                displayName + ": safe mode refuses this model: its code uses operators outside the allowed list ("
                + list + "). If you trust the file, turn safe mode off to play it");
        }
    }
    const auto forward = result->impl->module.find_method("forward");
    if (!forward)
        result->sig = Signature::unsupported;
    else
    {
        // The schema's first argument is `self`.
        const auto args = forward->function().getSchema().arguments().size();
        result->sig = args == 4 ? Signature::contract : args == 2 ? Signature::audioOnly : Signature::unsupported;
    }
    return Result<std::unique_ptr<TorchModule>>::success(std::move(result));
}

Result<ModelSpec> TorchModule::extractSpec(bool& skipKnown) const
{
    using R = Result<ModelSpec>;
    const auto& name = impl->displayName;
    if (sig != Signature::contract)
        return R::failure(TorchScriptMessages::forwardMismatch(name));
    try
    {
        auto contract = ContractRules::apply(contractInput(impl->module), name);
        if (!contract)
            return R::failure(contract.error());
        skipKnown = contract->skipStated;
        impl->layers = static_cast<int>(contract->spec.layers.size());
        impl->hidden = contract->spec.hiddenSize();
        impl->inputs = contract->spec.inputSize();
        return R::success(std::move(contract->spec));
    }
    catch (const c10::Error& e)
    {
        return R::failure(name + ": could not read the model: " + firstLine(e.what_without_backtrace()));
    }
    catch (const std::exception& e)
    {
        return R::failure(name + ": could not read the model: " + firstLine(e.what()));
    }
}

Result<ModelSpec> TorchModule::extractAudioModuleSpec() const
{
    const auto& name = impl->displayName;
    if (sig != Signature::audioOnly)
        return Result<ModelSpec>::failure(TorchScriptMessages::forwardMismatch(name));
    ModelSpec spec;
    spec.sourceFormat = "TorchScript (audio module)";
    spec.name = ContractRules::nameFromFileName(name);
    try
    {
        const auto& m = impl->module;
        if (m.hasattr("sample_rate") && m.attr("sample_rate").isInt())
            spec.sampleRate = static_cast<int>(m.attr("sample_rate").toInt());
        else
            spec.warnings.push_back("no 'sample_rate' attribute: using 48000 Hz");
        if (spec.sampleRate < ModelLimits::minSampleRate || spec.sampleRate > ModelLimits::maxSampleRate)
            return Result<ModelSpec>::failure(name + ": sample_rate " + std::to_string(spec.sampleRate)
                                              + " Hz is outside the supported range");
        if (m.hasattr("name") && m.attr("name").isString() && !m.attr("name").toStringRef().empty())
            spec.name = m.attr("name").toStringRef();
        if (m.hasattr("description") && m.attr("description").isString())
            spec.description = m.attr("description").toStringRef();
    }
    catch (const std::exception& e)
    {
        return Result<ModelSpec>::failure(name + ": could not read the module: " + firstLine(e.what()));
    }
    return Result<ModelSpec>::success(std::move(spec));
}

struct TorchStream::Impl
{
    std::shared_ptr<const TorchModule> module;
    torch::Tensor h, c;
};

TorchStream::TorchStream(std::shared_ptr<const TorchModule> module) : impl(std::make_unique<Impl>())
{
    impl->module = std::move(module);
    reset();
}

TorchStream::~TorchStream() = default;

void TorchStream::reset()
{
    const auto& m = *impl->module->impl;
    impl->h = torch::zeros({ std::max(1, m.layers), 1, std::max(1, m.hidden) });
    impl->c = torch::zeros({ std::max(1, m.layers), 1, std::max(1, m.hidden) });
}

std::string TorchStream::process(const float* in, float* out, int n, const std::vector<float>& knobs)
{
    const auto& m = *impl->module->impl;
    if (impl->module->sig != TorchModule::Signature::contract || m.layers == 0)
        return m.displayName + ": not a contract model";
    if (static_cast<int>(knobs.size()) != m.inputs - 1)
        return m.displayName + ": wrong number of knob values";
    try
    {
        c10::InferenceMode guard;
        const int inputs = m.inputs;
        auto x = torch::empty({ 1, n, inputs });
        float* xp = x.data_ptr<float>();
        for (int t = 0; t < n; ++t)
        {
            xp[t * inputs] = in[t];
            for (int k = 0; k + 1 < inputs; ++k)
                xp[t * inputs + 1 + k] = knobs[static_cast<size_t>(k)];
        }
        auto result = const_cast<torch::jit::Module&>(m.module).forward({ x, impl->h, impl->c });
        if (!result.isTuple())
            return m.displayName + ": forward() did not return a tuple (y, h, c)";
        auto output = unpackContractOutput(result);
        if (!output)
            return TorchScriptMessages::forwardMismatch(m.displayName);
        impl->h = output->h;
        impl->c = output->c;
        const auto y = output->y.to(torch::kFloat32).contiguous().reshape({ -1 });
        if (y.numel() != n)
            return m.displayName + ": forward() returned " + std::to_string(y.numel()) + " samples for "
                   + std::to_string(n);
        std::copy(y.data_ptr<float>(), y.data_ptr<float>() + n, out);
        return {};
    }
    catch (const c10::Error& e)
    {
        return m.displayName + ": forward() failed: " + firstLine(e.what_without_backtrace());
    }
    catch (const std::exception& e)
    {
        return m.displayName + ": forward() failed: " + firstLine(e.what());
    }
}

} // namespace torchamp
