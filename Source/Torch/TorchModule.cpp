#include "TorchModule.h"
#include "ArchiveCheck.h"
#include "StringMatch.h"
#include "TorchModuleImpl.h"

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

/** The module's class name without TorchScript's name mangling, which turns a second
    torch.nn.LSTM of another shape into "torch.nn.modules.rnn.___torch_mangle_3.LSTM". */
std::string typeName(const torch::jit::Module& m)
{
    const auto& t = m.type();
    auto name = t->name() ? t->name()->qualifiedName() : std::string {};
    static const std::string mangle = "___torch_mangle_";
    for (auto pos = name.find(mangle); pos != std::string::npos; pos = name.find(mangle))
    {
        const auto dot = name.find('.', pos);
        name.erase(pos, dot == std::string::npos ? std::string::npos : dot - pos + 1);
    }
    return name;
}

std::string notTorchScript(const std::string& displayName, size_t size)
{
    return displayName + ": not a TorchScript file, or a truncated one (" + std::to_string(size)
           + " bytes; a TorchScript file is a zip archive saved with torch.jit.save)";
}

std::string explainLoadFailure(const std::string& displayName, size_t size, const std::string& what)
{
    std::ostringstream e;
    e << displayName << ": ";
    if (size == 0)
        e << "the file is empty";
    else if (contains(what, "maximum supported version") || (contains(what, "version") && contains(what, "too old")))
        e << "saved by a newer PyTorch than this TorchAmp's " << TorchModule::libTorchVersion()
          << " can read (file format up to version " << caffe2::serialize::kMaxSupportedFileFormatVersion
          << "). Save it again with PyTorch 1.13 (torch.jit.save), for example with Models/torchamp's export()";
    else if (contains(what, "failed finding central directory") || contains(what, "failed reading zip archive")
             || contains(what, "istream reader failed"))
        return notTorchScript(displayName, size);
    else if (contains(what, "constants.pkl") || contains(what, "code/"))
        e << "a PyTorch checkpoint (torch.save), not TorchScript: save the model with "
             "torch.jit.save(torch.jit.script(model), path)";
    else if (contains(what, "inline_container") || contains(what, "archive/") || contains(what, "not in a subdirectory"))
        e << "a zip archive, but not a TorchScript model (save the model with torch.jit.save)";
    else if (contains(what, "Unknown builtin op") || contains(what, "Unknown type name"))
        e << "uses an operator this TorchAmp's " << TorchModule::libTorchVersion()
          << " does not know; it was probably saved by a newer PyTorch. Save it again with PyTorch 1.13 ("
          << firstLine(what) << ")";
    else
        e << "LibTorch could not load it: " << firstLine(what);
    return e.str();
}

std::string describeForwardMismatch(const std::string& displayName)
{
    return displayName
           + ": forward() must take (x, h, c) and return (y, h, c) (the TorchAmp contract), or take audio x "
             "and return audio";
}

bool allFinite(const torch::Tensor& t)
{
    return torch::isfinite(t).all().item<bool>();
}

std::vector<float> toVector(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kFloat32).contiguous();
    const float* p = c.data_ptr<float>();
    return std::vector<float>(p, p + c.numel());
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
        return Result<std::unique_ptr<TorchModule>>::failure(explainLoadFailure(displayName, 0, {}));
    // LibTorch believes the sizes a file declares; what it would over-allocate on never reaches it.
    if (const auto archive = ArchiveCheck::run(bytes.data(), bytes.size()); !archive)
    {
        using V = ArchiveCheck::Verdict;
        return Result<std::unique_ptr<TorchModule>>::failure(
            archive.verdict == V::notAZip ? notTorchScript(displayName, bytes.size())
            : archive.verdict == V::tooLarge
                ? displayName + ": the file is " + archive.reason
                : displayName + ": a damaged TorchScript archive, refused before LibTorch reads it (" + archive.reason + ")");
    }
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
    auto fail = [&](const std::string& why) { return R::failure(name + ": " + why); };

    if (sig != Signature::contract)
        return R::failure(describeForwardMismatch(name));

    try
    {
        std::optional<torch::jit::Module> lstm, head;
        int heads = 0;
        for (const auto& sub : impl->module.named_modules())
        {
            const auto type = typeName(sub.value);
            if (endsWith(type, "torch.nn.modules.rnn.LSTM"))
            {
                if (lstm)
                    return fail("it has more than one torch.nn.LSTM; the contract has exactly one");
                lstm = sub.value;
            }
            else if (endsWith(type, "torch.nn.modules.rnn.GRU") || endsWith(type, "torch.nn.modules.rnn.RNN"))
                return fail("it uses " + type.substr(type.rfind('.') + 1)
                            + "; the native engine plays torch.nn.LSTM models (use the LibTorch engine)");
            else if (endsWith(type, "torch.nn.modules.linear.Linear"))
            {
                const auto w = sub.value.attr("weight").toTensor();
                if (w.dim() == 2 && w.size(0) == 1)
                {
                    ++heads;
                    head = sub.value;
                }
            }
        }
        if (!lstm)
            return fail("no torch.nn.LSTM found; the contract is one LSTM followed by a Linear(hidden, 1) head");
        if (heads == 0)
            return fail("no Linear(hidden, 1) output head found after the LSTM");
        if (heads > 1)
            return fail("more than one Linear(…, 1) layer; the contract has exactly one output head");

        // Sizes come from the weight tensors themselves (LSTM's sizes are TorchScript constants).
        std::map<std::string, torch::Tensor> params;
        for (const auto& p : lstm->named_parameters(false))
            params[p.name] = p.value;
        if (params.count("weight_ih_l0_reverse"))
            return fail("the LSTM is bidirectional, which cannot run in real time");
        if (params.count("weight_hr_l0"))
            return fail("the LSTM uses proj_size, which the native engine does not support");
        if (!params.count("weight_ih_l0"))
            return fail("the LSTM has no weights");

        int layers = 0;
        while (params.count("weight_ih_l" + std::to_string(layers)))
            ++layers;
        const auto w0 = params["weight_ih_l0"];
        const int hidden = static_cast<int>(w0.size(0) / 4);
        const int inputs = static_cast<int>(w0.size(1));
        std::ostringstream sizes;
        if (layers > ModelLimits::maxLayers)
        {
            sizes << "the LSTM has " << layers << " layers; TorchAmp plays at most " << ModelLimits::maxLayers;
            return fail(sizes.str());
        }
        if (hidden < 1 || hidden > ModelLimits::maxHiddenSize)
        {
            sizes << "the LSTM has hidden size " << hidden << "; TorchAmp plays 1.." << ModelLimits::maxHiddenSize;
            return fail(sizes.str());
        }
        if (inputs < 1 || inputs > 1 + ModelLimits::maxKnobs)
        {
            sizes << "the LSTM takes " << inputs << " inputs; TorchAmp plays 1 audio input plus at most "
                  << ModelLimits::maxKnobs << " knobs";
            return fail(sizes.str());
        }

        ModelSpec spec;
        auto stem = name;
        if (auto slash = stem.find_last_of("/\\"); slash != std::string::npos)
            stem = stem.substr(slash + 1);
        if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0)
            stem = stem.substr(0, dot);
        spec.name = stem;

        for (int l = 0; l < layers; ++l)
        {
            const auto suffix = "_l" + std::to_string(l);
            RecurrentLayerSpec layer;
            const auto wih = params["weight_ih" + suffix];
            const auto whh = params["weight_hh" + suffix];
            layer.hiddenSize = static_cast<int>(whh.size(1));
            layer.inputSize = static_cast<int>(wih.size(1));
            if (whh.size(0) != 4 * layer.hiddenSize || wih.size(0) != 4 * layer.hiddenSize)
                return fail("the LSTM's weights have unexpected shapes");
            if (!allFinite(wih) || !allFinite(whh))
                return fail("layer " + std::to_string(l)
                            + " has non-finite weights (NaN or Inf); the model was saved from a diverged training");
            layer.weightIh = toVector(wih);
            layer.weightHh = toVector(whh);
            if (params.count("bias_ih" + suffix))
            {
                layer.biasIh = toVector(params["bias_ih" + suffix]);
                layer.biasHh = toVector(params["bias_hh" + suffix]);
            }
            else
            {
                layer.biasIh.assign(static_cast<size_t>(4 * layer.hiddenSize), 0.0f);
                layer.biasHh = layer.biasIh;
            }
            spec.layers.push_back(std::move(layer));
        }

        const auto headWeight = head->attr("weight").toTensor();
        if (headWeight.size(1) != hidden)
            return fail("the output head takes " + std::to_string(headWeight.size(1)) + " inputs but the LSTM has "
                        + std::to_string(hidden) + " units");
        spec.headWeight = toVector(headWeight);
        if (head->hasattr("bias") && head->attr("bias").isTensor())
            spec.headBias = toVector(head->attr("bias").toTensor()).at(0);

        // Metadata: documented defaults when missing, errors when present with the wrong type.
        const auto& m = impl->module;
        auto warnDefault = [&](const std::string& attr, const std::string& value) {
            spec.warnings.push_back("no '" + attr + "' attribute: using " + value);
        };

        if (m.hasattr("sample_rate"))
        {
            const auto v = m.attr("sample_rate");
            if (v.isInt())
                spec.sampleRate = static_cast<int>(v.toInt());
            else if (v.isDouble() && std::floor(v.toDouble()) == v.toDouble() && std::abs(v.toDouble()) < 1e9)
                spec.sampleRate = static_cast<int>(v.toDouble());
            else
                return fail("attribute 'sample_rate' should be an int in Hz, found " + v.tagKind());
            if (spec.sampleRate < ModelLimits::minSampleRate || spec.sampleRate > ModelLimits::maxSampleRate)
                return fail("sample_rate " + std::to_string(spec.sampleRate) + " Hz is outside "
                            + std::to_string(ModelLimits::minSampleRate) + ".."
                            + std::to_string(ModelLimits::maxSampleRate) + " Hz");
        }
        else
            warnDefault("sample_rate", "48000 Hz");

        skipKnown = m.hasattr("skip");
        if (skipKnown)
        {
            const auto v = m.attr("skip");
            if (v.isBool())
                spec.skip = v.toBool();
            else if (v.isInt() && (v.toInt() == 0 || v.toInt() == 1))
                spec.skip = v.toInt() == 1;
            else
                return fail("attribute 'skip' should be a bool, found " + v.tagKind());
        }

        auto readString = [&](const char* attr, std::string& out) -> std::string {
            if (!m.hasattr(attr))
                return {};
            const auto v = m.attr(attr);
            if (!v.isString())
                return std::string("attribute '") + attr + "' should be a str, found " + v.tagKind();
            out = v.toStringRef();
            return {};
        };
        for (auto [attr, field] : { std::pair { "name", &spec.name }, std::pair { "description", &spec.description },
                                    std::pair { "author", &spec.author } })
            if (auto e = readString(attr, *field); !e.empty())
                return fail(e);
        if (spec.name.empty())
            spec.name = stem;

        const int knobCount = inputs - 1;
        if (m.hasattr("knobs"))
        {
            const auto v = m.attr("knobs");
            if (!v.isList())
                return fail("attribute 'knobs' should be a list of knob names, found " + v.tagKind());
            for (const auto& item : v.toListRef())
            {
                if (!item.isString())
                    return fail("attribute 'knobs' should hold strings (knob names)");
                const auto& knob = item.toStringRef();
                if (knob.empty() || static_cast<int>(knob.size()) > ModelLimits::maxKnobNameLength)
                    return fail("knob names must be 1.." + std::to_string(ModelLimits::maxKnobNameLength)
                                + " characters long");
                spec.knobNames.push_back(knob);
            }
            if (static_cast<int>(spec.knobNames.size()) != knobCount)
                return fail("the metadata names " + std::to_string(spec.knobNames.size())
                            + " knobs but the LSTM takes " + std::to_string(inputs) + " inputs (1 audio + "
                            + std::to_string(knobCount) + " knobs)");
        }
        else
        {
            for (int k = 0; k < knobCount; ++k)
                spec.knobNames.push_back("Knob " + std::to_string(k + 1));
            if (knobCount > 0)
                warnDefault("knobs", std::to_string(knobCount) + " knobs named Knob 1..");
        }

        spec.knobDefaults.assign(static_cast<size_t>(knobCount), 0.5f);
        if (m.hasattr("knob_defaults"))
        {
            const auto v = m.attr("knob_defaults");
            if (!v.isList())
                return fail("attribute 'knob_defaults' should be a list of floats in [0, 1], found " + v.tagKind());
            const auto list = v.toListRef();
            if (static_cast<int>(list.size()) != knobCount)
                return fail("attribute 'knob_defaults' has " + std::to_string(list.size()) + " values for "
                            + std::to_string(knobCount) + " knobs");
            for (size_t k = 0; k < list.size(); ++k)
            {
                const double d = list[k].isDouble() ? list[k].toDouble() : list[k].isInt() ? list[k].toInt() : -1.0;
                if (!(d >= 0.0 && d <= 1.0))
                    return fail("attribute 'knob_defaults' should hold floats in [0, 1]");
                spec.knobDefaults[k] = static_cast<float>(d);
            }
        }

        impl->lstm = *lstm;
        impl->layers = layers;
        impl->hidden = hidden;
        impl->inputs = inputs;

        if (auto problem = spec.validate(); !problem.empty())
            return fail(problem);
        return R::success(std::move(spec));
    }
    catch (const c10::Error& e)
    {
        return fail(std::string("could not read the model: ") + firstLine(e.what_without_backtrace()));
    }
    catch (const std::exception& e)
    {
        return fail(std::string("could not read the model: ") + firstLine(e.what()));
    }
}

Result<ModelSpec> TorchModule::extractAudioModuleSpec() const
{
    const auto& name = impl->displayName;
    if (sig != Signature::audioOnly)
        return Result<ModelSpec>::failure(describeForwardMismatch(name));
    ModelSpec spec;
    spec.sourceFormat = "TorchScript (audio module)";
    auto stem = name.substr(name.find_last_of("/\\") == std::string::npos ? 0 : name.find_last_of("/\\") + 1);
    if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0)
        stem = stem.substr(0, dot);
    spec.name = stem;
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
            return describeForwardMismatch(m.displayName);
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
