#pragma once

#include "ModelSpec.h"
#include "Result.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace torchamp
{

/** A module attribute's value as a TorchScript reader (native or LibTorch) hands it to the
    contract rules. */
struct AttributeValue
{
    enum class Kind
    {
        none,
        boolean,
        integer,
        real,
        string,
        list,
        tensor,
        other
    };

    Kind kind = Kind::other;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0.0;
    /// string: the value; other: LibTorch's name of its kind ("Tuple", "GenericDict", "Object").
    std::string text;
    std::vector<AttributeValue> items; ///< list

    /// LibTorch's name of the value's kind (IValue::tagKind()), as messages name it.
    std::string kindName() const;
};

/** The kinds of module the contract rules tell apart. */
enum class ModuleKind
{
    lstm,
    gru,
    rnn,
    linear,
    other
};

/** A tensor of a module: its shape, and its values on demand (the rules read values only of
    tensors within ModelLimits, so a hostile shape costs nothing). */
struct ModuleTensor
{
    std::string name;
    std::vector<std::int64_t> shape;
    /// The values converted to float in row-major order; may throw the reader's errors.
    std::function<std::vector<float>()> values;
};

/** One module of a TorchScript file, as the contract rules need it. */
struct ContractModule
{
    ModuleKind kind = ModuleKind::other;
    std::string typeName; ///< the class name without mangling
    /// LSTM: its parameters in declaration order; Linear: `weight` and `bias` when they are tensors.
    std::vector<ModuleTensor> tensors;
    /// LSTM: its `batch_first` constant, when the reader found one.
    std::optional<bool> batchFirst;

    const ModuleTensor* findTensor(const std::string& tensorName) const;
};

/** What the contract rules read from a TorchScript module. */
struct ContractInput
{
    /// Every module: the top one first, then depth first in declaration order (named_modules()).
    std::vector<ContractModule> modules;
    /// The top module's attributes and constants among ContractRules::attributeNames().
    std::vector<std::pair<std::string, AttributeValue>> attributes;

    const AttributeValue* findAttribute(const std::string& attributeName) const;
};

/** A contract model's spec and what its file said about it. */
struct ContractSpec
{
    ModelSpec spec;
    bool skipStated = false; ///< the file has a `skip` attribute (spec.skip holds it)
    std::size_t lstmModule = 0;
    std::size_t headModule = 0; ///< indices into ContractInput::modules
};

/** The one judge of the TorchScript model file contract: one torch.nn.LSTM (batch_first, not
    bidirectional, no proj_size, within ModelLimits) and one Linear(hidden, 1) head anywhere in
    the module, and the top module's metadata attributes (README, "The model file contract").
    Both TorchScript readers feed it: the native reader (TorchScriptReader) and LibTorch
    (TorchModule::extractSpec), so a file gets the same spec, warnings and messages from both.
    Whether forward() computes exactly LSTM + head (+ skip) is the readers' business.

    Plain C++; any thread but the audio thread. */
class ContractRules
{
public:
    /// The newest `contract_version` this build reads; a newer file asks for a newer TorchAmp.
    static constexpr int newestContractVersion = 1;

    /// The top-module attributes the rules read: sample_rate, skip, knobs, knob_defaults, name,
    /// description, author, contract_version.
    static const std::vector<std::string>& attributeNames();

    /// The module kind of a class name without mangling ("__torch__.torch.nn.modules.rnn.LSTM").
    static ModuleKind kindOf(const std::string& typeName);

    /// A TorchScript class name without the mangling that makes a second torch.nn.LSTM of
    /// another shape "torch.nn.modules.rnn.___torch_mangle_3.LSTM".
    static std::string withoutMangling(std::string typeName);

    /// The model name a file gets when it names none: its file name without folder and extension.
    static std::string nameFromFileName(const std::string& displayName);

    /// The spec of a contract model, or the error (starting with `displayName`) saying which rule
    /// it breaks. Missing metadata gets its documented default and a warning.
    static Result<ContractSpec> apply(const ContractInput& input, const std::string& displayName);
};

} // namespace torchamp
