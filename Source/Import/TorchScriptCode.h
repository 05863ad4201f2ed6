#pragma once

#include "Result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace torchamp
{

/** An expression of the Python that TorchScript prints into an archive's `code/` records. */
struct CodeExpr
{
    enum class Kind
    {
        name,
        integer,
        real,
        string,
        constant,    ///< True, False or None: text says which
        attribute,   ///< parts[0].text
        call,        ///< parts[0](parts[1], ...), keywords parallel to the arguments
        tuple,       ///< (parts...)
        list,        ///< [parts...]
        subscript,   ///< parts[0][parts[1]]
        unary,       ///< text parts[0]
        binary,      ///< parts[0] text parts[1]
        conditional, ///< parts[0] if parts[1] else parts[2]
    };

    Kind kind = Kind::name;
    std::string text;
    std::int64_t integer = 0;
    double real = 0.0;
    std::vector<CodeExpr> parts;
    /// call: each argument's keyword, empty for a positional one.
    std::vector<std::string> keywords;

    /// A call's arguments (parts after the callee).
    std::size_t argumentCount() const noexcept { return kind == Kind::call ? parts.size() - 1 : 0; }
    const CodeExpr& argument(std::size_t i) const { return parts[i + 1]; }
};

/** A statement of a method body. */
struct CodeStatement
{
    enum class Kind
    {
        assign,   ///< targets = value
        branch,   ///< if value: body else: orElse
        giveBack, ///< return value
        pass,
        expression, ///< value, for its effect
        other       ///< anything else (loops, raise, assignments to attributes...): see text
    };

    Kind kind = Kind::other;
    std::vector<std::string> targets;
    CodeExpr value;
    std::vector<CodeStatement> body, orElse;
    std::string text; ///< the statement's first line, for messages
};

/** One logical line of source: physical lines joined inside brackets. */
struct CodeLine
{
    int indent = 0;
    std::string text;
};

struct CodeParameter
{
    std::string name;
    std::string annotation; ///< without spaces: "Optional[Tuple[Tensor,Tensor]]"; empty when none
    bool hasDefault = false;
};

struct CodeMethod
{
    std::string name;
    std::vector<CodeParameter> parameters; ///< self included
    std::string returns;                   ///< the return annotation, without spaces
    std::vector<CodeLine> body;            ///< parsed on demand by parseBody()
};

/** A class of an archive's code: `class Name(Module):` with its declarations and methods. */
struct CodeClass
{
    struct Constant
    {
        std::string name;
        CodeExpr value;
    };

    std::string name;
    std::vector<std::string> bases;
    std::vector<std::string> parameterNames;                     ///< __parameters__
    std::vector<std::pair<std::string, std::string>> attributes; ///< name : Type
    std::vector<Constant> constants;                             ///< name : Final[T] = value
    std::vector<CodeMethod> methods;

    bool isModule() const;
    const CodeMethod* findMethod(std::string_view methodName) const;
    const Constant* findConstant(std::string_view constantName) const;
};

/** Reads the printed TorchScript of one `code/` record: the classes it defines, their attribute
    and constant declarations and their methods. Method bodies are kept as lines and parsed by
    parseBody() when a reader needs them. Reads, never runs: nothing here evaluates code.
    Nesting of brackets and blocks is bounded, so hostile code cannot exhaust the stack.

    Plain C++; any thread but the audio thread. */
class CodeFile
{
public:
    /// The classes of `source`, or what is wrong (for the user, without the file name).
    static Result<CodeFile> parse(std::string_view source);

    const CodeClass* findClass(std::string_view className) const;
    const std::vector<CodeClass>& classes() const noexcept { return defined; }

    /// The statements of `method`'s body, or what could not be read.
    static Result<std::vector<CodeStatement>> parseBody(const CodeMethod& method);

    /// Parses one expression (a whole logical line of it).
    static Result<CodeExpr> parseExpression(std::string_view text);

private:
    std::vector<CodeClass> defined;
};

} // namespace torchamp
