#include "Unpickler.h"
#include "LittleEndian.h"

#include <cstring>

namespace torchamp
{

namespace
{

using Kind = PickleValue::Kind;

/** A two's complement little-endian integer of up to 8 bytes (LONG1). */
std::int64_t signedLittleEndian(std::string_view bytes)
{
    if (bytes.empty())
        return 0;
    auto v = readLittleEndian(bytes.data(), static_cast<int>(bytes.size()));
    if (bytes.size() < 8 && (static_cast<unsigned char>(bytes.back()) & 0x80) != 0)
        v |= ~std::uint64_t{0} << (8 * bytes.size());
    return static_cast<std::int64_t>(v);
}

/** BINFLOAT's argument: an IEEE double, big-endian. */
double bigEndianDouble(std::string_view eight)
{
    std::uint64_t bits = 0;
    for (char ch : eight)
        bits = (bits << 8) | static_cast<unsigned char>(ch);
    double d = 0.0;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

const std::string takesTooMuch = "a pickle takes more values than it has made";

PickleValue valueOf(Kind kind)
{
    PickleValue v;
    v.kind = kind;
    return v;
}

} // namespace

Result<PickleGraph> Unpickler::read(std::string_view pickle)
{
    Unpickler u(pickle);
    if (auto problem = u.run(); !problem.empty())
        return Result<PickleGraph>::failure(std::move(problem));
    return Result<PickleGraph>::success(std::move(u.graph));
}

std::string Unpickler::run()
{
    PickleReader reader(source);
    PickleOp op;
    while (reader.next(op))
    {
        if (op.code == '.')
        {
            if (stack.empty())
                return "a pickle stores nothing";
            graph.top = stack.back();
            return {};
        }
        if (auto problem = step(op); !problem.empty())
            return problem;
        if (graph.values.size() > maxValues)
            return "a pickle holds more than " + std::to_string(maxValues) + " values";
    }
    return reader.problem();
}

std::size_t Unpickler::add(PickleValue v)
{
    graph.values.push_back(std::move(v));
    return graph.values.size() - 1;
}

bool Unpickler::pop(std::size_t& id)
{
    if (stack.empty() || (!marks.empty() && marks.back() >= stack.size()))
        return false;
    id = stack.back();
    stack.pop_back();
    return true;
}

bool Unpickler::popMark(std::vector<std::size_t>& items)
{
    if (marks.empty() || marks.back() > stack.size())
        return false;
    const auto mark = marks.back();
    marks.pop_back();
    items.assign(stack.begin() + static_cast<std::ptrdiff_t>(mark), stack.end());
    stack.resize(mark);
    return true;
}

bool Unpickler::isStringAt(std::size_t id) const
{
    return graph.values[id].kind == Kind::string;
}

std::string Unpickler::step(const PickleOp& op)
{
    switch (op.code)
    {
        case 0x80: // PROTO
        case 0x95: // FRAME
            return {};
        case '(': // MARK
            marks.push_back(stack.size());
            return {};
        case 'N':
        case 0x88:
        case 0x89:
        case 'K':
        case 'M':
        case 'J':
        case 0x8a:
        case 'G':
        case 'X':
        case 0x8c:
        case 0x8d:
            return pushLiteral(op);
        case ')':
        case ']':
        case '}':
        case 't':
        case 'l':
        case 'd':
        case 0x85:
        case 0x86:
        case 0x87:
            return makeContainer(op);
        case 'a':
        case 'e':
        case 's':
        case 'u':
        case '0':
        case '1':
        case '2':
            return changeContainer(op);
        case 'q':
        case 'r':
        case 'p':
        case 0x94:
        case 'h':
        case 'j':
        case 'g':
            return useMemo(op);
        case 'c':
        case 0x93:
        case 'R':
        case 0x81:
        case 'b':
        case 'Q':
            return makeObject(op);
        default:
            return "a pickle uses opcode " + std::to_string(op.code) + ", which TorchScript archives do not";
    }
}

std::string Unpickler::pushLiteral(const PickleOp& op)
{
    PickleValue v;
    switch (op.code)
    {
        case 'N':
            v.kind = Kind::none;
            break;
        case 0x88: // NEWTRUE
        case 0x89: // NEWFALSE
            v.kind = Kind::boolean;
            v.flag = op.code == 0x88;
            break;
        case 'K': // BININT1
        case 'M': // BININT2
            v.kind = Kind::integer;
            v.integer = static_cast<std::int64_t>(
                readLittleEndian(op.argument.data(), static_cast<int>(op.argument.size())));
            break;
        case 'J': // BININT
            v.kind = Kind::integer;
            v.integer = static_cast<std::int32_t>(readLittleEndian(op.argument.data(), 4));
            break;
        case 0x8a: // LONG1
            if (op.argument.size() > 8)
                return "a pickle holds an integer wider than 64 bits";
            v.kind = Kind::integer;
            v.integer = signedLittleEndian(op.argument);
            break;
        case 'G': // BINFLOAT
            v.kind = Kind::real;
            v.real = bigEndianDouble(op.argument);
            break;
        default: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            v.kind = Kind::string;
            v.text.assign(op.argument.data(), op.argument.size());
            break;
    }
    stack.push_back(add(std::move(v)));
    return {};
}

std::string Unpickler::makeContainer(const PickleOp& op)
{
    auto v = valueOf(op.code == ']' || op.code == 'l'   ? Kind::list
                     : op.code == '}' || op.code == 'd' ? Kind::dict
                                                        : Kind::tuple);
    if (op.code == 't' || op.code == 'l' || op.code == 'd') // from the last MARK
    {
        if (!popMark(v.items) || (op.code == 'd' && v.items.size() % 2 != 0))
            return takesTooMuch;
    }
    else if (op.code >= 0x85 && op.code <= 0x87) // TUPLE1..3
    {
        v.items.resize(static_cast<std::size_t>(op.code - 0x84));
        for (auto it = v.items.rbegin(); it != v.items.rend(); ++it)
            if (!pop(*it))
                return takesTooMuch;
    }
    stack.push_back(add(std::move(v)));
    return {};
}

std::string Unpickler::changeContainer(const PickleOp& op)
{
    std::size_t a = 0, b = 0;
    std::vector<std::size_t> items;
    auto extendTop = [&](Kind kind, const std::vector<std::size_t>& more)
    {
        if (stack.empty() || graph.values[stack.back()].kind != kind ||
            (!marks.empty() && marks.back() >= stack.size()))
            return false;
        auto& target = graph.values[stack.back()].items;
        target.insert(target.end(), more.begin(), more.end());
        return true;
    };
    bool ok = false;
    switch (op.code)
    {
        case 'a':
            ok = pop(a) && extendTop(Kind::list, {a});
            break; // APPEND
        case 'e':
            ok = popMark(items) && extendTop(Kind::list, items);
            break; // APPENDS
        case 's':
            ok = pop(b) && pop(a) && extendTop(Kind::dict, {a, b});
            break; // SETITEM
        case 'u':
            ok = popMark(items) && items.size() % 2 == 0 && extendTop(Kind::dict, items);
            break; // SETITEMS
        case '0':
            ok = pop(a);
            break; // POP
        case '1':
            ok = popMark(items);
            break; // POP_MARK
        default:   // DUP
            ok = !stack.empty();
            if (ok)
                stack.push_back(stack.back());
            break;
    }
    return ok ? std::string{} : takesTooMuch;
}

std::string Unpickler::useMemo(const PickleOp& op)
{
    const auto index = static_cast<std::size_t>(op.memoIndex);
    if (op.code == 'h' || op.code == 'j' || op.code == 'g') // BINGET, LONG_BINGET, GET
    {
        if (index >= memo.size())
            return "a pickle reads memo index " + std::to_string(index) + " before writing it";
        stack.push_back(memo[index]);
        return {};
    }
    if (stack.empty()) // BINPUT, LONG_BINPUT, PUT, MEMOIZE
        return takesTooMuch;
    if (index >= memo.size())
        memo.resize(index + 1, stack.back());
    memo[index] = stack.back();
    return {};
}

std::string Unpickler::makeObject(const PickleOp& op)
{
    std::size_t a = 0, b = 0;
    switch (op.code)
    {
        case 'c': // GLOBAL
        {
            auto v = valueOf(Kind::global);
            v.text = std::string(op.lines[0]) + "." + std::string(op.lines[1]);
            stack.push_back(add(std::move(v)));
            return {};
        }
        case 0x93: // STACK_GLOBAL
        {
            if (!pop(b) || !pop(a) || !isStringAt(a) || !isStringAt(b))
                return "a pickle names a global with something other than two strings";
            auto v = valueOf(Kind::global);
            v.text = graph.values[a].text + "." + graph.values[b].text;
            stack.push_back(add(std::move(v)));
            return {};
        }
        case 'R':
            return pop(b) && pop(a) ? reduce(a, b) : takesTooMuch;
        case 0x81: // NEWOBJ
        {
            if (!pop(b) || !pop(a))
                return takesTooMuch;
            if (graph.values[a].kind != Kind::global || graph.values[b].kind != Kind::tuple)
                return "a pickle makes an object of something that is not a class";
            auto v = valueOf(Kind::object);
            v.text = graph.values[a].text;
            stack.push_back(add(std::move(v)));
            return {};
        }
        case 'b': // BUILD
            if (!pop(b) || stack.empty())
                return takesTooMuch;
            if (graph.values[stack.back()].kind != Kind::object)
                return "a pickle sets the state of something that is not an object";
            graph.values[stack.back()].items = {b};
            return {};
        default: // BINPERSID
            return pop(a) ? persistentLoad(a) : takesTooMuch;
    }
}

std::string Unpickler::reduce(std::size_t callable, std::size_t arguments)
{
    const auto& f = graph.values[callable];
    const auto& args = graph.values[arguments];
    if (f.kind != Kind::global || args.kind != Kind::tuple)
        return "a pickle calls something that is not a global";
    const auto& name = f.text;
    if (name == "torch._utils._rebuild_tensor_v2")
        return rebuildTensor(args);
    if (name == "torch.jit._pickle.restore_type_tag" && args.items.size() == 2)
    {
        stack.push_back(args.items[0]); // the value; its static type is TorchScript's business
        return {};
    }
    if ((name == "torch.jit._pickle.build_intlist" || name == "torch.jit._pickle.build_doublelist" ||
         name == "torch.jit._pickle.build_boollist" || name == "torch.jit._pickle.build_tensorlist") &&
        args.items.size() == 1 && graph.values[args.items[0]].kind == Kind::list)
    {
        stack.push_back(args.items[0]);
        return {};
    }
    if (name == "collections.OrderedDict" && args.items.empty())
    {
        stack.push_back(add(valueOf(Kind::dict)));
        return {};
    }
    auto opaque = valueOf(Kind::opaque);
    if (name == "torch.device")
        opaque.text = "Device";
    else if (name == "builtins.complex")
        opaque.text = "ComplexDouble";
    else if (name.rfind("__torch__.", 0) == 0)
        opaque.text = "Enum";
    else
        return "a pickle calls " + name + ", which TorchScript archives do not";
    stack.push_back(add(std::move(opaque)));
    return {};
}

std::string Unpickler::rebuildTensor(const PickleValue& args)
{
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const auto& items = args.items;
    const auto isIntegerTuple = [&](std::size_t id)
    {
        if (graph.values[id].kind != Kind::tuple)
            return false;
        for (auto item : graph.values[id].items)
            if (graph.values[item].kind != Kind::integer)
                return false;
        return true;
    };
    if (items.size() < 6 || items.size() > 7 || graph.values[items[0]].kind != Kind::storage ||
        graph.values[items[1]].kind != Kind::integer || !isIntegerTuple(items[2]) ||
        !isIntegerTuple(items[3]) ||
        graph.values[items[2]].items.size() != graph.values[items[3]].items.size())
        return "a pickle rebuilds a tensor from arguments torch does not write";
    auto tensor = valueOf(Kind::tensor);
    tensor.integer = graph.values[items[1]].integer;
    tensor.items = {items[0], items[2], items[3]};
    if (items.size() == 7)
    {
        const auto& metadata = graph.values[items[6]];
        if (metadata.kind != Kind::dict)
            return "a pickle rebuilds a tensor with metadata that is not a dict";
        for (std::size_t i = 1; i < metadata.items.size(); i += 2)
            tensor.flag = tensor.flag || graph.values[metadata.items[i]].kind != Kind::boolean ||
                          graph.values[metadata.items[i]].flag;
    }
    stack.push_back(add(std::move(tensor)));
    return {};
}

std::string Unpickler::persistentLoad(std::size_t id)
{
    // ('storage', torch.<Type>Storage, key, device, element count)
    const auto& pid = graph.values[id];
    const auto& items = pid.items;
    if (pid.kind != Kind::tuple || items.size() != 5 || !isStringAt(items[0]) ||
        graph.values[items[0]].text != "storage" || graph.values[items[1]].kind != Kind::global ||
        graph.values[items[1]].text.rfind("torch.", 0) != 0 || !isStringAt(items[2]) ||
        !isStringAt(items[3]) || graph.values[items[4]].kind != Kind::integer)
        return "a pickle refers to stored data in a way torch does not write";
    auto storage = valueOf(Kind::storage);
    storage.text = graph.values[items[1]].text.substr(6);
    storage.integer = graph.values[items[4]].integer;
    storage.items = {items[2], items[3]};
    stack.push_back(add(std::move(storage)));
    return {};
}

} // namespace torchamp
