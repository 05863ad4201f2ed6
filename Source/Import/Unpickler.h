#pragma once

#include "PickleReader.h"
#include "Result.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace torchamp
{

/** One value of an unpickled TorchScript archive (data.pkl, constants.pkl). Values refer to one
    another by index into their PickleGraph, so a pickle that shares a value (its memo) or makes
    a list hold itself is represented as it is, without copies and without owning cycles. */
struct PickleValue
{
    enum class Kind
    {
        none,
        boolean,
        integer,
        real,
        string,
        tuple,
        list,
        dict,
        global,  ///< a name the pickle refers to: text is "module.name"
        object,  ///< a TorchScript class instance: text is its class, items its state once built
        storage, ///< a tensor storage: text its type ("FloatStorage"), integer its element count,
                 ///< items the record key and the device (strings)
        tensor,  ///< integer the storage offset; items the storage and the size and stride tuples
        opaque   ///< something TorchScript can hold but this reader does not use: text says what
    };

    Kind kind = Kind::none;
    bool flag = false; ///< boolean: the value; tensor: it carries flags (conjugate, negative) to apply
    std::int64_t integer = 0;
    double real = 0.0;
    std::string text;
    /// tuple, list: the items; dict: keys and values alternating; see the kinds for the rest.
    std::vector<std::size_t> items;
};

/** The values of one pickle; root() is what it stores. */
class PickleGraph
{
public:
    const PickleValue& operator[](std::size_t index) const { return values[index]; }
    std::size_t size() const noexcept { return values.size(); }
    std::size_t root() const noexcept { return top; }

private:
    friend class Unpickler;
    std::vector<PickleValue> values;
    std::size_t top = 0;
};

/** Builds the values of a pickle as torch's C++ pickler writes TorchScript archives: protocol 2,
    modules as GLOBAL + NEWOBJ + BUILD with a dict of attributes, tensors as REDUCE of
    torch._utils._rebuild_tensor_v2 over a persistent storage id, typed lists through
    torch.jit._pickle. Nothing is executed or imported: a global is only a name, and a call of
    any global other than those few is refused. At most maxValues values, and every argument
    inside the pickle (PickleReader), so it allocates in proportion to the pickle's size.

    Plain C++; any thread but the audio thread. */
class Unpickler
{
public:
    static constexpr std::size_t maxValues = 200000;

    /// The values of `pickle`, or what is wrong with it (for the user, without the file name).
    static Result<PickleGraph> read(std::string_view pickle);

private:
    explicit Unpickler(std::string_view pickle) : source(pickle) {}
    std::string run();
    std::string step(const PickleOp& op);
    std::string pushLiteral(const PickleOp& op);
    std::string makeContainer(const PickleOp& op);
    std::string changeContainer(const PickleOp& op);
    std::string useMemo(const PickleOp& op);
    std::string makeObject(const PickleOp& op);
    std::string reduce(std::size_t callable, std::size_t arguments);
    std::string persistentLoad(std::size_t id);
    std::string rebuildTensor(const PickleValue& arguments);

    std::size_t add(PickleValue v);
    bool pop(std::size_t& id);
    bool popMark(std::vector<std::size_t>& items);
    bool isStringAt(std::size_t id) const;

    std::string_view source;
    PickleGraph graph;
    std::vector<std::size_t> stack;
    std::vector<std::size_t> marks;
    std::vector<std::size_t> memo;
};

} // namespace torchamp
