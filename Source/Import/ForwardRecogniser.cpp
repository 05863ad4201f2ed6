#include "ForwardRecogniser.h"

#include <array>
#include <cstring>
#include <limits>
#include <map>

namespace torchamp
{

namespace
{

/** What a name of forward() stands for, as far as the contract is concerned. */
enum class Sym
{
    opaque, ///< read but never used in a way that matters (self.training, another module)
    self,
    input,      ///< x
    hiddenIn,   ///< h
    cellIn,     ///< c
    lstm,       ///< the contract's LSTM module
    head,       ///< the contract's Linear head
    flag,       ///< a bool attribute of the module
    lstmResult, ///< (output, (h, c)) of the LSTM
    lstmOutput,
    lstmState, ///< (h, c) after the LSTM
    hiddenOut,
    cellOut,
    headOutput,    ///< head(lstm output)
    slicedInput,   ///< x sliced along some dimensions
    audio,         ///< x[:, :, 0:1]
    headPlusAudio, ///< head(lstm output) + x[:, :, 0:1]
    tuple
};

constexpr std::int64_t openEnd = std::numeric_limits<std::int64_t>::max();

struct SymValue
{
    Sym kind = Sym::opaque;
    bool flag = false;
    std::string attribute;
    std::array<std::int64_t, 3> start{0, 0, 0}; ///< slicedInput: per dimension of x
    std::array<std::int64_t, 3> end{openEnd, openEnd, openEnd};
    std::vector<SymValue> items; ///< tuple

    bool is(Sym k) const { return kind == k; }
};

SymValue symbol(Sym kind)
{
    SymValue v;
    v.kind = kind;
    return v;
}

bool isTorchCall(const CodeExpr& e, const char* function)
{
    return e.kind == CodeExpr::Kind::call && e.parts[0].kind == CodeExpr::Kind::attribute &&
           e.parts[0].text == function && e.parts[0].parts[0].kind == CodeExpr::Kind::name &&
           e.parts[0].parts[0].text == "torch";
}

bool isConstant(const CodeExpr& e, const char* which)
{
    return e.kind == CodeExpr::Kind::constant && e.text == which;
}

/** `self.<attribute>` for the method's first parameter `self`. */
bool isSelfAttribute(const CodeExpr& e, const std::string& self, const char* attribute)
{
    return e.kind == CodeExpr::Kind::attribute && e.text == attribute &&
           e.parts[0].kind == CodeExpr::Kind::name && e.parts[0].text == self;
}

/** Every call of torch.<function> in a method body, branches included. */
void findTorchCalls(const std::vector<CodeStatement>& block, const char* function,
                    std::vector<const CodeExpr*>& out)
{
    struct Walk
    {
        static void expr(const CodeExpr& e, const char* f, std::vector<const CodeExpr*>& found)
        {
            if (isTorchCall(e, f))
                found.push_back(&e);
            for (const auto& part : e.parts)
                expr(part, f, found);
        }
    };
    for (const auto& s : block)
    {
        Walk::expr(s.value, function, out);
        findTorchCalls(s.body, function, out);
        findTorchCalls(s.orElse, function, out);
    }
}

/** Every value assigned to `name` in a method body, branches included (null for an unpacking). */
void assignmentsTo(const std::vector<CodeStatement>& block, const std::string& name,
                   std::vector<const CodeExpr*>& values)
{
    for (const auto& s : block)
    {
        if (s.kind == CodeStatement::Kind::assign)
            for (const auto& target : s.targets)
                if (target == name)
                    values.push_back(s.targets.size() == 1 ? &s.value : nullptr);
        assignmentsTo(s.body, name, values);
        assignmentsTo(s.orElse, name, values);
    }
}

/** `self.<attribute>`, or a name the method assigns once, from `self.<attribute>`. */
bool refersToSelfAttribute(const CodeExpr& e, const std::vector<CodeStatement>& body, const std::string& self,
                           const char* attribute)
{
    if (isSelfAttribute(e, self, attribute))
        return true;
    if (e.kind != CodeExpr::Kind::name)
        return false;
    std::vector<const CodeExpr*> values;
    assignmentsTo(body, e.text, values);
    return values.size() == 1 && values[0] != nullptr && isSelfAttribute(*values[0], self, attribute);
}

std::vector<CodeStatement> parsedBody(const CodeMethod& method, const char* owner)
{
    auto body = CodeFile::parseBody(method);
    if (!body)
        throw NotProvableNatively(std::string("the code of the ") + owner +
                                  " could not be read: " + body.error());
    return std::move(*body);
}

/** Symbolic evaluation of the top module's forward(). */
class ForwardEvaluation
{
public:
    ForwardEvaluation(const TorchScriptArchive& a, const ContractInput& in, const ContractSpec& c)
        : archive(a), input(in), contract(c), top(a.modules().front())
    {
    }

    RecognisedForward run();

private:
    [[noreturn]] void refuse(const std::string& why) const { throw NotProvableNatively(why); }
    [[noreturn]] void refuseStatement() const
    {
        refuse("forward() does more than LSTM, head and skip: `" + statement + "`");
    }
    void bindParameters(const CodeMethod& forward);
    void execute(const std::vector<CodeStatement>& block, int depth);
    void bind(const std::vector<std::string>& targets, SymValue value);
    SymValue evaluate(const CodeExpr& e);
    SymValue member(const std::string& attribute) const;
    SymValue call(const CodeExpr& e);
    SymValue callSubmodule(const SymValue& module, const std::string& method, const CodeExpr& e);
    SymValue slice(const CodeExpr& e);
    SymValue add(const CodeExpr& e);
    RecognisedForward classify(const SymValue& result) const;
    void checkLstmMethod(const std::string& method);
    void checkLstmCall(const CodeExpr& call, const std::vector<CodeStatement>& body,
                       const std::string& self) const;
    void checkFlatWeights(const ScriptModule& lstm) const;
    void checkHeadMethod(const std::string& method);

    const TorchScriptArchive& archive;
    const ContractInput& input;
    const ContractSpec& contract;
    const ScriptModule& top;
    std::map<std::string, SymValue> names;
    std::string selfName;
    std::string statement;
    bool returned = false;
    SymValue result;
    std::string testedFlag;
    std::string lstmMethodChecked, headMethodChecked;
};

RecognisedForward ForwardEvaluation::run()
{
    const auto* forward = top.code->findMethod("forward");
    if (forward == nullptr)
        refuse("the module has no forward()");
    bindParameters(*forward);
    const auto body = parsedBody(*forward, "module's forward()");
    execute(body, 0);
    if (!returned)
        refuse("forward() returns nothing");
    return classify(result);
}

void ForwardEvaluation::bindParameters(const CodeMethod& forward)
{
    const auto& p = forward.parameters;
    if (p.size() != 4)
        refuse("forward() does not take (x, h, c)");
    for (std::size_t i = 1; i < 4; ++i)
        if (p[i].annotation != "Tensor" || p[i].hasDefault)
            refuse("forward()'s parameter " + p[i].name + " is not a plain Tensor");
    selfName = p[0].name;
    names[p[0].name] = symbol(Sym::self);
    names[p[1].name] = symbol(Sym::input);
    names[p[2].name] = symbol(Sym::hiddenIn);
    names[p[3].name] = symbol(Sym::cellIn);
}

void ForwardEvaluation::execute(const std::vector<CodeStatement>& block, int depth)
{
    for (std::size_t i = 0; i < block.size(); ++i)
    {
        const auto& s = block[i];
        statement = s.text;
        switch (s.kind)
        {
            case CodeStatement::Kind::assign:
                bind(s.targets, evaluate(s.value));
                break;
            case CodeStatement::Kind::expression:
                evaluate(s.value);
                break;
            case CodeStatement::Kind::pass:
                break;
            case CodeStatement::Kind::branch:
            {
                const auto condition = evaluate(s.value);
                if (!condition.is(Sym::flag))
                    refuse("forward() branches on something other than a bool attribute: `" + s.text + "`");
                if (testedFlag.empty() || testedFlag == "training")
                    testedFlag = condition.attribute;
                execute(condition.flag ? s.body : s.orElse, depth + 1);
                break;
            }
            case CodeStatement::Kind::giveBack:
                if (depth != 0 || i + 1 != block.size())
                    refuse("forward() returns from inside a branch: `" + s.text + "`");
                result = evaluate(s.value);
                returned = true;
                break;
            case CodeStatement::Kind::other:
                refuseStatement();
        }
    }
}

void ForwardEvaluation::bind(const std::vector<std::string>& targets, SymValue value)
{
    for (const auto& t : targets)
        if (t == selfName || t == "torch" || t == "ops")
            refuseStatement();
    if (targets.size() == 1)
    {
        names[targets[0]] = std::move(value);
        return;
    }
    std::vector<SymValue> parts;
    if (value.is(Sym::lstmResult))
        parts = {symbol(Sym::lstmOutput), symbol(Sym::lstmState)};
    else if (value.is(Sym::lstmState))
        parts = {symbol(Sym::hiddenOut), symbol(Sym::cellOut)};
    else if (value.is(Sym::tuple))
        parts = std::move(value.items);
    if (parts.size() != targets.size())
        refuseStatement();
    for (std::size_t i = 0; i < targets.size(); ++i)
        names[targets[i]] = std::move(parts[i]);
}

SymValue ForwardEvaluation::evaluate(const CodeExpr& e)
{
    switch (e.kind)
    {
        case CodeExpr::Kind::name:
        {
            const auto found = names.find(e.text);
            if (found == names.end())
                refuse("forward() uses " + e.text + ", which it does not set: `" + statement + "`");
            return found->second;
        }
        case CodeExpr::Kind::attribute:
            if (e.parts[0].kind == CodeExpr::Kind::name && e.parts[0].text == selfName)
                return member(e.text);
            refuseStatement();
        case CodeExpr::Kind::call:
            return call(e);
        case CodeExpr::Kind::tuple:
        {
            // The contract's tuples are (h, c), (x, (h, c)) and (y, h, c): small, two levels at most.
            auto t = symbol(Sym::tuple);
            if (e.parts.size() > 4)
                refuseStatement();
            for (const auto& part : e.parts)
            {
                t.items.push_back(evaluate(part));
                for (const auto& inner : t.items.back().items)
                    if (inner.is(Sym::tuple))
                        refuseStatement();
            }
            return t;
        }
        default:
            refuseStatement();
    }
}

SymValue ForwardEvaluation::member(const std::string& attribute) const
{
    for (const auto& [name, child] : top.children)
        if (name == attribute)
            return symbol(child == contract.lstmModule   ? Sym::lstm
                          : child == contract.headModule ? Sym::head
                                                         : Sym::opaque);
    const auto* value = top.findAttribute(attribute);
    if (value != nullptr && archive.data()[*value].kind == PickleValue::Kind::boolean)
    {
        auto f = symbol(Sym::flag);
        // Models play in eval mode (TorchModule::load calls eval()), whatever `training` the file kept.
        f.flag = attribute != "training" && archive.data()[*value].flag;
        f.attribute = attribute;
        return f;
    }
    return symbol(Sym::opaque); // read, and refused if used for anything
}

SymValue ForwardEvaluation::call(const CodeExpr& e)
{
    const auto& callee = e.parts[0];
    if (callee.kind != CodeExpr::Kind::attribute)
        refuseStatement();
    if (callee.parts[0].kind == CodeExpr::Kind::name && callee.parts[0].text == "torch")
    {
        if (callee.text == "slice")
            return slice(e);
        if (callee.text == "add")
            return add(e);
        refuseStatement();
    }
    const auto module = evaluate(callee.parts[0]);
    if (!module.is(Sym::lstm) && !module.is(Sym::head))
        refuseStatement();
    return callSubmodule(module, callee.text, e);
}

SymValue ForwardEvaluation::callSubmodule(const SymValue& module, const std::string& method,
                                          const CodeExpr& e)
{
    for (const auto& keyword : e.keywords)
        if (!keyword.empty())
            refuseStatement();
    if (module.is(Sym::lstm))
    {
        checkLstmMethod(method);
        if (e.argumentCount() != 2)
            refuseStatement();
        const auto x = evaluate(e.argument(0));
        const auto state = evaluate(e.argument(1));
        if (!x.is(Sym::input) || !state.is(Sym::tuple) || state.items.size() != 2 ||
            !state.items[0].is(Sym::hiddenIn) || !state.items[1].is(Sym::cellIn))
            refuse("forward() calls the LSTM on something other than (x, (h, c)): `" + statement + "`");
        return symbol(Sym::lstmResult);
    }
    checkHeadMethod(method);
    if (e.argumentCount() != 1 || !evaluate(e.argument(0)).is(Sym::lstmOutput))
        refuse("forward() calls the head on something other than the LSTM's output: `" + statement + "`");
    return symbol(Sym::headOutput);
}

SymValue ForwardEvaluation::slice(const CodeExpr& e)
{
    // torch.slice(self, dim=0, start=None, end=None, step=1)
    static const char* const parameterNames[] = {"self", "dim", "start", "end", "step"};
    const CodeExpr* args[5] = {};
    for (std::size_t i = 0; i < e.argumentCount(); ++i)
    {
        std::size_t slot = i;
        if (!e.keywords[i].empty())
            for (slot = 0; slot < 5 && e.keywords[i] != parameterNames[slot]; ++slot)
                ;
        if (slot >= 5 || args[slot] != nullptr)
            refuseStatement();
        args[slot] = &e.argument(i);
    }
    auto integerOr = [&](const CodeExpr* a, std::int64_t absent)
    {
        if (a == nullptr || isConstant(*a, "None"))
            return absent;
        if (a->kind != CodeExpr::Kind::integer)
            refuseStatement();
        return a->integer;
    };
    if (args[0] == nullptr)
        refuseStatement();
    auto sliced = evaluate(*args[0]);
    const auto dim = integerOr(args[1], 0);
    const auto start = integerOr(args[2], 0);
    const auto end = integerOr(args[3], openEnd);
    if (!(sliced.is(Sym::input) || sliced.is(Sym::slicedInput)) || dim < -3 || dim > 2 || start < 0 ||
        end < 0 || integerOr(args[4], 1) != 1)
        refuseStatement();
    const auto d = static_cast<std::size_t>(dim < 0 ? dim + 3 : dim);
    if (sliced.start[d] != 0 || sliced.end[d] != openEnd)
        refuseStatement();
    sliced.kind = Sym::slicedInput;
    sliced.start[d] = start;
    sliced.end[d] = end >= (std::int64_t{1} << 62) ? openEnd : end;
    const bool wholeBatchAndTime =
        sliced.start[0] == 0 && sliced.end[0] == openEnd && sliced.start[1] == 0 && sliced.end[1] == openEnd;
    if (wholeBatchAndTime && sliced.start[2] == 0 && sliced.end[2] == 1)
        sliced.kind = Sym::audio;
    return sliced;
}

SymValue ForwardEvaluation::add(const CodeExpr& e)
{
    // torch.add(self, other, alpha=1)
    const bool alphaOne = e.argumentCount() == 3 && e.keywords[2] == "alpha" &&
                          e.argument(2).kind == CodeExpr::Kind::integer && e.argument(2).integer == 1;
    if ((e.argumentCount() != 2 && !alphaOne) || !e.keywords[0].empty() || !e.keywords[1].empty())
        refuseStatement();
    const auto a = evaluate(e.argument(0));
    const auto b = evaluate(e.argument(1));
    if (!((a.is(Sym::headOutput) && b.is(Sym::audio)) || (a.is(Sym::audio) && b.is(Sym::headOutput))))
        refuseStatement();
    return symbol(Sym::headPlusAudio);
}

RecognisedForward ForwardEvaluation::classify(const SymValue& r) const
{
    const auto refuseResult = [this] {
        refuse("forward() does not return (y, h, c) or (y, (h, c)) of the LSTM and head: `" + statement +
               "`");
    };
    if (!r.is(Sym::tuple) || r.items.empty() ||
        !(r.items[0].is(Sym::headOutput) || r.items[0].is(Sym::headPlusAudio)))
        refuseResult();
    StateForm state = StateForm::flat;
    if (r.items.size() == 3 && r.items[1].is(Sym::hiddenOut) && r.items[2].is(Sym::cellOut))
        state = StateForm::flat;
    else if (r.items.size() == 2 &&
             (r.items[1].is(Sym::lstmState) ||
              (r.items[1].is(Sym::tuple) && r.items[1].items.size() == 2 &&
               r.items[1].items[0].is(Sym::hiddenOut) && r.items[1].items[1].is(Sym::cellOut))))
        state = StateForm::nested;
    else
        refuseResult();
    RecognisedForward out;
    out.skip = r.items[0].is(Sym::headPlusAudio);
    out.skipAttribute = testedFlag;
    const auto skip = !testedFlag.empty() ? SkipForm::byAttribute
                      : out.skip          ? SkipForm::always
                                          : SkipForm::never;
    for (const auto& form : ForwardRecogniser::forms())
        if (form.skip == skip && form.state == state)
            out.form = &form;
    return out;
}

void ForwardEvaluation::checkLstmMethod(const std::string& method)
{
    if (method == lstmMethodChecked)
        return;
    const auto& lstm = archive.modules()[contract.lstmModule];
    const auto* code = lstm.code;
    auto constantIs = [&](const char* constant, const char* literal)
    {
        const auto* c = code->findConstant(constant);
        return c == nullptr || (c->value.kind == CodeExpr::Kind::constant && c->value.text == literal) ||
               (c->value.kind == CodeExpr::Kind::integer && std::to_string(c->value.integer) == literal);
    };
    if (!constantIs("batch_first", "True") || !constantIs("bidirectional", "False") ||
        !constantIs("proj_size", "0"))
        refuse("the LSTM's constants are not batch_first, one direction and no proj_size");
    const auto* m = code->findMethod(method);
    if (m == nullptr || m->parameters.size() < 3 || m->parameters[1].annotation != "Tensor")
        refuse("forward() calls the LSTM's " + method + ", which is not its forward for a tensor");
    const auto body = parsedBody(*m, "LSTM");
    std::vector<const CodeExpr*> calls;
    findTorchCalls(body, "lstm", calls);
    if (calls.size() != 1)
        refuse("the LSTM's " + method + " does not call torch.lstm exactly once");
    checkLstmCall(*calls[0], body, m->parameters[0].name);
    checkFlatWeights(lstm);
    lstmMethodChecked = method;
}

void ForwardEvaluation::checkLstmCall(const CodeExpr& c, const std::vector<CodeStatement>& body,
                                      const std::string& self) const
{
    // torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    const auto& lstm = input.modules[contract.lstmModule];
    const bool hasBias = lstm.findTensor("bias_ih_l0") != nullptr;
    const auto layers = static_cast<std::int64_t>(contract.spec.layers.size());
    for (const auto& keyword : c.keywords)
        if (!keyword.empty())
            refuse("the LSTM calls torch.lstm with keyword arguments");
    if (c.argumentCount() != 9 || !refersToSelfAttribute(c.argument(2), body, self, "_flat_weights") ||
        !isConstant(c.argument(3), hasBias ? "True" : "False") ||
        c.argument(4).kind != CodeExpr::Kind::integer || c.argument(4).integer != layers ||
        !isConstant(c.argument(7), "False") || !isConstant(c.argument(8), "True"))
        refuse("the LSTM's torch.lstm call does not match its weights (layers, bias, one direction, "
               "batch_first)");
}

void ForwardEvaluation::checkFlatWeights(const ScriptModule& lstm) const
{
    // torch.lstm reads _flat_weights, not the named parameters: they must hold the same values.
    const auto* namesValue = lstm.findAttribute("_flat_weights_names");
    const auto* weightsValue = lstm.findAttribute("_flat_weights");
    if (namesValue == nullptr || weightsValue == nullptr)
        refuse("the LSTM has no _flat_weights");
    const auto names = archive.attributeValue(*namesValue);
    const auto& weights = archive.data()[*weightsValue];
    const auto& parameters = input.modules[contract.lstmModule];
    std::vector<std::string> expected;
    for (std::size_t l = 0; l < contract.spec.layers.size(); ++l)
        for (const char* kind : {"weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"})
            if (parameters.findTensor(kind + std::to_string(l)) != nullptr)
                expected.push_back(kind + std::to_string(l));
    if (weights.kind != PickleValue::Kind::list || names.items.size() != expected.size() ||
        weights.items.size() != expected.size())
        refuse("the LSTM's _flat_weights are not its weights");
    for (std::size_t i = 0; i < expected.size(); ++i)
    {
        const auto* parameter = parameters.findTensor(expected[i]);
        if (names.items[i].text != expected[i] ||
            archive.data()[weights.items[i]].kind != PickleValue::Kind::tensor)
            refuse("the LSTM's _flat_weights are not its weights");
        const auto flat = archive.readTensor(weights.items[i], "_flat_weights");
        if (flat.shape != parameter->shape)
            refuse("the LSTM's _flat_weights differ from its " + expected[i]);
        const auto a = flat.values(), b = parameter->values();
        if (a.size() != b.size() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)
            refuse("the LSTM's _flat_weights differ from its " + expected[i]);
    }
}

void ForwardEvaluation::checkHeadMethod(const std::string& method)
{
    if (method == headMethodChecked)
        return;
    const auto* m = archive.modules()[contract.headModule].code->findMethod(method);
    if (m == nullptr || m->parameters.size() != 2 || m->parameters[1].annotation != "Tensor")
        refuse("forward() calls the head's " + method + ", which is not its forward");
    const auto body = parsedBody(*m, "head");
    const auto& self = m->parameters[0].name;
    const auto& last = body.back();
    for (std::size_t i = 0; i + 1 < body.size(); ++i)
        if (body[i].kind != CodeStatement::Kind::assign || body[i].targets.size() != 1 ||
            !(isSelfAttribute(body[i].value, self, "weight") || isSelfAttribute(body[i].value, self, "bias")))
            refuse("the head's forward does more than torch.linear(input, weight, bias)");
    const auto& v = last.value;
    if (last.kind != CodeStatement::Kind::giveBack || !isTorchCall(v, "linear") || v.argumentCount() != 3 ||
        v.argument(0).kind != CodeExpr::Kind::name || v.argument(0).text != m->parameters[1].name ||
        !refersToSelfAttribute(v.argument(1), body, self, "weight") ||
        !refersToSelfAttribute(v.argument(2), body, self, "bias"))
        refuse("the head's forward does more than torch.linear(input, weight, bias)");
    headMethodChecked = method;
}

} // namespace

const std::vector<RecognisedForm>& ForwardRecogniser::forms()
{
    static const std::vector<RecognisedForm> table{
        {SkipForm::byAttribute, StateForm::flat,
         "out, (h, c) = self.lstm(x, (h, c)); y = self.head(out); if self.skip: y = y + x[:, :, 0:1]; "
         "return y, h, c (torchamp.export)"},
        {SkipForm::always, StateForm::flat,
         "out, (h, c) = self.lstm(x, (h, c)); return self.head(out) + x[:, :, 0:1], h, c"},
        {SkipForm::never, StateForm::flat, "out, (h, c) = self.lstm(x, (h, c)); return self.head(out), h, c"},
        {SkipForm::byAttribute, StateForm::nested,
         "out, state = self.lstm(x, (h, c)); y = self.head(out); if self.skip: y = y + x[:, :, 0:1]; "
         "return y, state"},
        {SkipForm::always, StateForm::nested,
         "out, state = self.lstm(x, (h, c)); return self.head(out) + x[:, :, 0:1], state"},
        {SkipForm::never, StateForm::nested,
         "out, state = self.lstm(x, (h, c)); return self.head(out), state"},
    };
    return table;
}

RecognisedForward ForwardRecogniser::recognise(const TorchScriptArchive& archive, const ContractInput& input,
                                               const ContractSpec& contract)
{
    return ForwardEvaluation(archive, input, contract).run();
}

} // namespace torchamp
