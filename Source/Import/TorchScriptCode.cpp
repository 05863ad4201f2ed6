#include "TorchScriptCode.h"

#include <charconv>
#include <cstring>

namespace torchamp
{

namespace
{

constexpr int maxNesting = 64; // expression and block nesting; printed TorchScript nests a few levels
constexpr std::size_t maxShownText = 80;

struct Token
{
    enum class Kind
    {
        name,
        number,
        string,
        op,
        end
    };
    Kind kind = Kind::end;
    std::string text;

    bool is(const char* s) const { return (kind == Kind::op || kind == Kind::name) && text == s; }
};

bool isNameStart(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

std::string shown(std::string_view text)
{
    return text.size() <= maxShownText ? std::string(text)
                                       : std::string(text.substr(0, maxShownText)) + "...";
}

/** Splits source into logical lines: a line continues while a bracket is open. */
Result<std::vector<CodeLine>> splitLines(std::string_view source)
{
    std::vector<CodeLine> lines;
    CodeLine current;
    int depth = 0;
    bool atLineStart = true;
    char quote = 0;
    for (std::size_t i = 0; i < source.size(); ++i)
    {
        const char c = source[i];
        if (atLineStart)
        {
            if (c == ' ' || c == '\t')
            {
                ++current.indent;
                continue;
            }
            atLineStart = false;
        }
        if (quote != 0)
        {
            current.text += c;
            if (c == '\\' && i + 1 < source.size())
                current.text += source[++i];
            else if (c == quote)
                quote = 0;
            else if (c == '\n')
                return Result<std::vector<CodeLine>>::failure("a string runs past the end of its line");
            continue;
        }
        if (c == '"' || c == '\'')
            quote = c;
        else if (c == '#')
        {
            while (i + 1 < source.size() && source[i + 1] != '\n')
                ++i;
            continue;
        }
        else if (c == '(' || c == '[' || c == '{')
            ++depth;
        else if ((c == ')' || c == ']' || c == '}') && depth > 0)
            --depth;
        if (c == '\n' && depth == 0)
        {
            if (current.text.find_first_not_of(" \t\r") != std::string::npos)
                lines.push_back(std::move(current));
            current = CodeLine{};
            atLineStart = true;
            continue;
        }
        current.text += (c == '\n' || c == '\r') ? ' ' : c;
    }
    if (quote != 0 || depth != 0)
        return Result<std::vector<CodeLine>>::failure("the code ends inside a string or a bracket");
    if (current.text.find_first_not_of(" \t\r") != std::string::npos)
        lines.push_back(std::move(current));
    return Result<std::vector<CodeLine>>::success(std::move(lines));
}

bool readString(std::string_view text, std::size_t& i, std::string& out)
{
    const char quote = text[i++];
    for (; i < text.size(); ++i)
    {
        char c = text[i];
        if (c == quote)
        {
            ++i;
            return true;
        }
        if (c == '\\' && i + 1 < text.size())
        {
            c = text[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            continue;
        }
        out += c;
    }
    return false;
}

Result<std::vector<Token>> tokenize(std::string_view text)
{
    using R = Result<std::vector<Token>>;
    static const char* const twoCharacterOps[] = {"->", "==", "!=", "<=", ">=", "//", "**",
                                                  "<<", ">>", "+=", "-=", "*=", "/="};
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < text.size();)
    {
        const char c = text[i];
        Token t;
        if (c == ' ' || c == '\t' || c == '\r')
        {
            ++i;
            continue;
        }
        if (isNameStart(c))
        {
            t.kind = Token::Kind::name;
            while (i < text.size() && (isNameStart(text[i]) || isDigit(text[i])))
                t.text += text[i++];
        }
        else if (isDigit(c) || (c == '.' && i + 1 < text.size() && isDigit(text[i + 1])))
        {
            t.kind = Token::Kind::number;
            while (i < text.size() &&
                   (isDigit(text[i]) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
                    ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E'))))
                t.text += text[i++];
        }
        else if (c == '"' || c == '\'')
        {
            t.kind = Token::Kind::string;
            if (!readString(text, i, t.text))
                return R::failure("a string has no end");
        }
        else
        {
            t.kind = Token::Kind::op;
            for (const char* op : twoCharacterOps)
                if (text.compare(i, 2, op) == 0)
                    t.text = op;
            if (t.text.empty())
            {
                if (std::strchr("()[]{},:.=+-*/%<>@&|^~", c) == nullptr)
                    return R::failure("unexpected character '" + std::string(1, c) + "'");
                t.text = std::string(1, c);
            }
            i += t.text.size();
        }
        tokens.push_back(std::move(t));
    }
    tokens.push_back(Token{});
    return R::success(std::move(tokens));
}

bool parseNumber(const std::string& text, CodeExpr& out)
{
    if (text.find_first_of(".eE") == std::string::npos)
    {
        out.kind = CodeExpr::Kind::integer;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), out.integer);
        return r.ec == std::errc{} && r.ptr == text.data() + text.size();
    }
    out.kind = CodeExpr::Kind::real;
    // "0." is how TorchScript prints a round float; from_chars wants a digit after the point.
    const std::string digits = text.back() == '.' ? text + "0" : text;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), out.real);
    return r.ec == std::errc{} && r.ptr == digits.data() + digits.size();
}

/** Recursive descent over one logical line's tokens, nesting bounded by maxNesting. */
class ExpressionParser
{
public:
    explicit ExpressionParser(const std::vector<Token>& t, std::size_t start = 0) : tokens(t), at(start) {}

    bool parseList(CodeExpr& out); // expr {, expr} [,]: a tuple when there is a comma
    bool parse(CodeExpr& out);
    const Token& peek() const { return tokens[at]; }
    bool accept(const char* s)
    {
        if (!peek().is(s))
            return false;
        ++at;
        return true;
    }
    bool atEnd() const { return peek().kind == Token::Kind::end; }
    std::size_t position() const { return at; }
    const std::string& problem() const { return whatIsWrong; }

private:
    bool fail(std::string why)
    {
        if (whatIsWrong.empty())
            whatIsWrong = std::move(why);
        return false;
    }
    bool parseBinary(int minPrecedence, CodeExpr& out);
    bool parsePrefix(CodeExpr& out);
    bool parsePostfix(CodeExpr& out);
    bool parseAtom(CodeExpr& out);
    bool parseArguments(CodeExpr& call);
    bool parseSequence(const char* close, CodeExpr& out, bool& sawComma);
    int binaryPrecedence(std::string& op, int& width) const;

    const std::vector<Token>& tokens;
    std::size_t at;
    int depth = 0;
    std::string whatIsWrong;
};

bool ExpressionParser::parseList(CodeExpr& out)
{
    CodeExpr first;
    if (!parse(first))
        return false;
    if (!peek().is(","))
    {
        out = std::move(first);
        return true;
    }
    out = CodeExpr{};
    out.kind = CodeExpr::Kind::tuple;
    out.parts.push_back(std::move(first));
    while (accept(","))
    {
        if (atEnd() || peek().is("=") || peek().is(":"))
            break;
        CodeExpr next;
        if (!parse(next))
            return false;
        out.parts.push_back(std::move(next));
    }
    return true;
}

bool ExpressionParser::parse(CodeExpr& out)
{
    if (++depth > maxNesting)
        return fail("expressions nest deeper than " + std::to_string(maxNesting) + " levels");
    CodeExpr value;
    bool ok = parseBinary(1, value);
    if (ok && peek().is("if"))
    {
        ++at;
        CodeExpr condition, alternative;
        ok = parseBinary(1, condition) && (accept("else") || fail("'if' without 'else' in an expression")) &&
             parse(alternative);
        if (ok)
        {
            CodeExpr c;
            c.kind = CodeExpr::Kind::conditional;
            c.parts = {std::move(value), std::move(condition), std::move(alternative)};
            value = std::move(c);
        }
    }
    --depth;
    out = std::move(value);
    return ok;
}

int ExpressionParser::binaryPrecedence(std::string& op, int& width) const
{
    const auto& t = peek();
    width = 1;
    op = t.text;
    if (t.kind == Token::Kind::name)
    {
        if (t.text == "or")
            return 1;
        if (t.text == "and")
            return 2;
        if (t.text == "in")
            return 4;
        if (t.text == "is")
        {
            if (tokens[at + 1].is("not"))
                width = 2, op = "is not";
            return 4;
        }
        if (t.text == "not" && tokens[at + 1].is("in"))
        {
            width = 2, op = "not in";
            return 4;
        }
        return 0;
    }
    if (t.kind != Token::Kind::op)
        return 0;
    static const struct
    {
        const char* op;
        int precedence;
    } table[] = {{"<", 4},  {">", 4},   {"==", 4}, {"!=", 4}, {"<=", 4}, {">=", 4}, {"|", 5},
                 {"^", 6},  {"&", 7},   {"<<", 8}, {">>", 8}, {"+", 9},  {"-", 9},  {"*", 10},
                 {"/", 10}, {"//", 10}, {"%", 10}, {"@", 10}, {"**", 12}};
    for (const auto& row : table)
        if (t.text == row.op)
            return row.precedence;
    return 0;
}

bool ExpressionParser::parseBinary(int minPrecedence, CodeExpr& out)
{
    if (!parsePrefix(out))
        return false;
    for (int chain = 1;; ++chain)
    {
        if (depth + chain > maxNesting)
            return fail("expressions nest deeper than " + std::to_string(maxNesting) + " levels");
        std::string op;
        int width = 1;
        const int precedence = binaryPrecedence(op, width);
        if (precedence == 0 || precedence < minPrecedence)
            return true;
        at += static_cast<std::size_t>(width);
        CodeExpr right;
        if (++depth > maxNesting)
            return fail("expressions nest deeper than " + std::to_string(maxNesting) + " levels");
        const bool ok = parseBinary(op == "**" ? precedence : precedence + 1, right);
        --depth;
        if (!ok)
            return false;
        CodeExpr b;
        b.kind = CodeExpr::Kind::binary;
        b.text = op;
        b.parts = {std::move(out), std::move(right)};
        out = std::move(b);
    }
}

bool ExpressionParser::parsePrefix(CodeExpr& out)
{
    const bool isNot = peek().is("not");
    if (!isNot && !peek().is("-") && !peek().is("+") && !peek().is("~"))
        return parsePostfix(out);
    const std::string op = peek().text;
    ++at;
    if (++depth > maxNesting)
        return fail("expressions nest deeper than " + std::to_string(maxNesting) + " levels");
    CodeExpr operand;
    const bool ok = parseBinary(isNot ? 4 : 11, operand);
    --depth;
    if (!ok)
        return false;
    if (op == "-" && operand.kind == CodeExpr::Kind::integer && operand.integer >= 0)
        operand.integer = -operand.integer;
    else if (op == "-" && operand.kind == CodeExpr::Kind::real)
        operand.real = -operand.real;
    else if (op != "+")
    {
        CodeExpr u;
        u.kind = CodeExpr::Kind::unary;
        u.text = op;
        u.parts.push_back(std::move(operand));
        operand = std::move(u);
    }
    out = std::move(operand);
    return true;
}

bool ExpressionParser::parsePostfix(CodeExpr& out)
{
    if (!parseAtom(out))
        return false;
    // Each postfix operation nests the tree one level deeper, like a bracket.
    for (int chain = 1;; ++chain)
    {
        if (depth + chain > maxNesting)
            return fail("expressions nest deeper than " + std::to_string(maxNesting) + " levels");
        if (accept("."))
        {
            if (peek().kind != Token::Kind::name)
                return fail("a name must follow '.'");
            CodeExpr a;
            a.kind = CodeExpr::Kind::attribute;
            a.text = tokens[at++].text;
            a.parts.push_back(std::move(out));
            out = std::move(a);
        }
        else if (accept("("))
        {
            CodeExpr call;
            call.kind = CodeExpr::Kind::call;
            call.parts.push_back(std::move(out));
            if (!parseArguments(call))
                return false;
            out = std::move(call);
        }
        else if (accept("["))
        {
            CodeExpr s;
            s.kind = CodeExpr::Kind::subscript;
            s.parts.push_back(std::move(out));
            CodeExpr index;
            if (!parseList(index) || !(accept("]") || fail("a subscript must end with ']'")))
                return false;
            s.parts.push_back(std::move(index));
            out = std::move(s);
        }
        else
            return true;
    }
}

bool ExpressionParser::parseArguments(CodeExpr& call)
{
    while (!accept(")"))
    {
        std::string keyword;
        if (peek().kind == Token::Kind::name && tokens[at + 1].is("="))
        {
            keyword = peek().text;
            at += 2;
        }
        CodeExpr argument;
        if (!parse(argument))
            return false;
        call.parts.push_back(std::move(argument));
        call.keywords.push_back(std::move(keyword));
        if (!accept(",") && !peek().is(")"))
            return fail("arguments must be separated by ','");
    }
    return true;
}

bool ExpressionParser::parseSequence(const char* close, CodeExpr& out, bool& sawComma)
{
    sawComma = false;
    while (!accept(close))
    {
        CodeExpr item;
        if (!parse(item))
            return false;
        out.parts.push_back(std::move(item));
        if (accept(","))
            sawComma = true;
        else if (!peek().is(close))
            return fail(std::string("a bracket must end with '") + close + "'");
    }
    return true;
}

bool ExpressionParser::parseAtom(CodeExpr& out)
{
    const Token& t = peek();
    out = CodeExpr{};
    switch (t.kind)
    {
        case Token::Kind::name:
            ++at;
            out.text = t.text;
            out.kind = (t.text == "True" || t.text == "False" || t.text == "None") ? CodeExpr::Kind::constant
                                                                                   : CodeExpr::Kind::name;
            return true;
        case Token::Kind::number:
            ++at;
            return parseNumber(t.text, out) || fail("a malformed number '" + shown(t.text) + "'");
        case Token::Kind::string:
            out.kind = CodeExpr::Kind::string;
            while (peek().kind == Token::Kind::string)
                out.text += tokens[at++].text;
            return true;
        case Token::Kind::op:
            if (accept("("))
            {
                bool sawComma = false;
                CodeExpr sequence;
                if (!parseSequence(")", sequence, sawComma))
                    return false;
                if (sequence.parts.size() == 1 && !sawComma)
                    out = std::move(sequence.parts[0]);
                else
                {
                    out = std::move(sequence);
                    out.kind = CodeExpr::Kind::tuple;
                }
                return true;
            }
            if (accept("["))
            {
                bool sawComma = false;
                out.kind = CodeExpr::Kind::list;
                return parseSequence("]", out, sawComma);
            }
            return fail("unexpected '" + t.text + "'");
        case Token::Kind::end:
            return fail("an expression ends too early");
    }
    return false;
}

/** Types as text without spaces, up to a ',' ')' '=' or ':' outside brackets (or the end). */
std::string readType(const std::vector<Token>& tokens, std::size_t& at)
{
    std::string type;
    int depth = 0;
    for (; tokens[at].kind != Token::Kind::end; ++at)
    {
        const auto& t = tokens[at];
        if (depth == 0 && (t.is(",") || t.is(")") || t.is("=") || t.is(":")))
            break;
        if (t.is("[") || t.is("("))
            ++depth;
        else if (t.is("]") || t.is(")"))
            --depth;
        type += t.kind == Token::Kind::string ? "\"" + t.text + "\"" : t.text;
    }
    return type;
}

bool parseMethodHeader(const std::vector<Token>& tokens, CodeMethod& method)
{
    std::size_t at = 1; // after "def"
    if (tokens[at].kind != Token::Kind::name || !tokens[at + 1].is("("))
        return false;
    method.name = tokens[at].text;
    at += 2;
    while (!tokens[at].is(")"))
    {
        if (tokens[at].kind != Token::Kind::name)
            return false;
        CodeParameter p;
        p.name = tokens[at++].text;
        if (tokens[at].is(":"))
            p.annotation = readType(tokens, ++at);
        if (tokens[at].is("="))
        {
            p.hasDefault = true;
            readType(tokens, ++at);
        }
        method.parameters.push_back(std::move(p));
        if (tokens[at].is(","))
            ++at;
        else if (!tokens[at].is(")"))
            return false;
    }
    ++at;
    if (tokens[at].is("->"))
        method.returns = readType(tokens, ++at);
    return tokens[at].is(":") && tokens[at + 1].kind == Token::Kind::end;
}

/** `name : Type` or `name : Final[T] = value` or `__parameters__ = [...]` in a class body. */
void parseDeclaration(const std::vector<Token>& tokens, CodeClass& cls)
{
    if (tokens[0].kind != Token::Kind::name)
        return;
    const auto& name = tokens[0].text;
    if (tokens[1].is("=") && name == "__parameters__")
    {
        ExpressionParser parser(tokens, 2);
        CodeExpr list;
        if (parser.parse(list) && list.kind == CodeExpr::Kind::list)
            for (const auto& item : list.parts)
                if (item.kind == CodeExpr::Kind::string)
                    cls.parameterNames.push_back(item.text);
        return;
    }
    if (!tokens[1].is(":"))
        return;
    std::size_t at = 2;
    const auto type = readType(tokens, at);
    if (!tokens[at].is("="))
    {
        cls.attributes.emplace_back(name, type);
        return;
    }
    ExpressionParser parser(tokens, at + 1);
    CodeExpr value;
    if (parser.parse(value) && parser.atEnd())
        cls.constants.push_back({name, std::move(value)});
}

bool parseClassHeader(const std::vector<Token>& tokens, CodeClass& cls)
{
    if (tokens[1].kind != Token::Kind::name)
        return false;
    cls.name = tokens[1].text;
    std::size_t at = 2;
    if (tokens[at].is("("))
    {
        ++at;
        while (!tokens[at].is(")"))
        {
            const auto base = readType(tokens, at);
            if (base.empty())
                return false;
            cls.bases.push_back(base);
            if (tokens[at].is(","))
                ++at;
            else if (!tokens[at].is(")"))
                return false;
        }
        ++at;
    }
    return tokens[at].is(":") && tokens[at + 1].kind == Token::Kind::end;
}

/** The class whose header is lines[i]; advances i past its body. */
Result<CodeClass> parseClass(const std::vector<CodeLine>& lines, std::size_t& i)
{
    using R = Result<CodeClass>;
    CodeClass cls;
    auto header = tokenize(lines[i].text);
    if (!header || !parseClassHeader(*header, cls))
        return R::failure("a malformed class header: " + shown(lines[i].text));
    const int classIndent = lines[i].indent;
    ++i;
    const int bodyIndent = i < lines.size() ? lines[i].indent : 0;
    while (i < lines.size() && lines[i].indent > classIndent)
    {
        const auto& line = lines[i];
        if (line.indent != bodyIndent)
            return R::failure("unexpected indentation in class " + cls.name);
        auto tokens = tokenize(line.text);
        if (!tokens)
            return R::failure(tokens.error() + " in class " + cls.name);
        ++i;
        if (!(*tokens)[0].is("def"))
        {
            parseDeclaration(*tokens, cls);
            continue;
        }
        CodeMethod method;
        if (!parseMethodHeader(*tokens, method))
            return R::failure("a malformed method header: " + shown(line.text));
        while (i < lines.size() && lines[i].indent > bodyIndent)
            method.body.push_back(lines[i++]);
        cls.methods.push_back(std::move(method));
    }
    return R::success(std::move(cls));
}

/** The statements of lines[i..] at `indent`; advances i past them. */
class BodyParser
{
public:
    explicit BodyParser(const std::vector<CodeLine>& l) : lines(l) {}

    bool parseBlock(std::size_t& i, int indent, std::vector<CodeStatement>& out, int depth);
    const std::string& problem() const { return whatIsWrong; }

private:
    bool fail(std::string why)
    {
        if (whatIsWrong.empty())
            whatIsWrong = std::move(why);
        return false;
    }
    bool parseStatement(std::size_t& i, int indent, CodeStatement& s, int depth);
    bool parseBranch(std::size_t& i, int indent, const std::vector<Token>& tokens, CodeStatement& s,
                     int depth);
    bool parseSimple(const std::vector<Token>& tokens, CodeStatement& s);

    const std::vector<CodeLine>& lines;
    std::string whatIsWrong;
};

bool BodyParser::parseBlock(std::size_t& i, int indent, std::vector<CodeStatement>& out, int depth)
{
    if (depth > maxNesting)
        return fail("blocks nest deeper than " + std::to_string(maxNesting) + " levels");
    while (i < lines.size() && lines[i].indent >= indent)
    {
        if (lines[i].indent > indent)
            return fail("unexpected indentation: " + shown(lines[i].text));
        CodeStatement s;
        if (!parseStatement(i, indent, s, depth))
            return false;
        out.push_back(std::move(s));
    }
    return true;
}

bool BodyParser::parseStatement(std::size_t& i, int indent, CodeStatement& s, int depth)
{
    s.text = shown(lines[i].text);
    auto tokens = tokenize(lines[i].text);
    if (!tokens)
        return fail(tokens.error() + ": " + s.text);
    ++i;
    const auto& first = (*tokens)[0];
    if (first.is("if"))
        return parseBranch(i, indent, *tokens, s, depth);
    if (first.is("elif") || first.is("else"))
        return fail("'" + first.text + "' without 'if': " + s.text);
    if (first.is("for") || first.is("while") || first.is("with") || first.is("try"))
    {
        s.kind = CodeStatement::Kind::other;
        while (i < lines.size() && lines[i].indent > indent)
            ++i;
        return true;
    }
    return parseSimple(*tokens, s);
}

bool BodyParser::parseBranch(std::size_t& i, int indent, const std::vector<Token>& tokens, CodeStatement& s,
                             int depth)
{
    s.kind = CodeStatement::Kind::branch;
    ExpressionParser condition(tokens, 1);
    if (!condition.parse(s.value) || !condition.accept(":") || !condition.atEnd())
        return fail("a malformed condition: " + s.text);
    if (i >= lines.size() || lines[i].indent <= indent)
        return fail("'if' without a body: " + s.text);
    if (!parseBlock(i, lines[i].indent, s.body, depth + 1))
        return false;
    if (i >= lines.size() || lines[i].indent != indent)
        return true;
    auto next = tokenize(lines[i].text);
    if (!next)
        return fail(next.error());
    if ((*next)[0].is("elif"))
    {
        CodeStatement nested;
        nested.text = shown(lines[i].text);
        ++i;
        if (!parseBranch(i, indent, *next, nested, depth + 1))
            return false;
        s.orElse.push_back(std::move(nested));
        return true;
    }
    if (!(*next)[0].is("else"))
        return true;
    if (!(*next)[1].is(":") || (*next)[2].kind != Token::Kind::end)
        return fail("a malformed 'else': " + shown(lines[i].text));
    ++i;
    if (i >= lines.size() || lines[i].indent <= indent)
        return fail("'else' without a body");
    return parseBlock(i, lines[i].indent, s.orElse, depth + 1);
}

bool BodyParser::parseSimple(const std::vector<Token>& tokens, CodeStatement& s)
{
    const auto& first = tokens[0];
    if (first.is("pass") && tokens[1].kind == Token::Kind::end)
    {
        s.kind = CodeStatement::Kind::pass;
        return true;
    }
    if (first.is("return"))
    {
        s.kind = CodeStatement::Kind::giveBack;
        if (tokens[1].kind == Token::Kind::end)
        {
            s.value.kind = CodeExpr::Kind::constant;
            s.value.text = "None";
            return true;
        }
        ExpressionParser parser(tokens, 1);
        return (parser.parseList(s.value) && parser.atEnd()) || fail(parser.problem() + ": " + s.text);
    }
    // An assignment to plain names: "a, b, = value" (TorchScript's own spelling of unpacking).
    std::size_t at = 0;
    std::vector<std::string> targets;
    while (tokens[at].kind == Token::Kind::name && (tokens[at + 1].is(",") || tokens[at + 1].is("=")))
    {
        targets.push_back(tokens[at].text);
        at += tokens[at + 1].is(",") ? 2 : 1;
        if (tokens[at].is("="))
            break;
    }
    const bool assignment = !targets.empty() && tokens[at].is("=");
    ExpressionParser parser(tokens, assignment ? at + 1 : 0);
    CodeExpr value;
    if (!parser.parseList(value) || !parser.atEnd())
    {
        s.kind = CodeStatement::Kind::other; // raise, del, assignments to attributes...
        return true;
    }
    s.kind = assignment ? CodeStatement::Kind::assign : CodeStatement::Kind::expression;
    s.targets = std::move(targets);
    s.value = std::move(value);
    return true;
}

} // namespace

bool CodeClass::isModule() const
{
    for (const auto& b : bases)
        if (b == "Module")
            return true;
    return false;
}

const CodeMethod* CodeClass::findMethod(std::string_view methodName) const
{
    for (const auto& m : methods)
        if (m.name == methodName)
            return &m;
    return nullptr;
}

const CodeClass::Constant* CodeClass::findConstant(std::string_view constantName) const
{
    for (const auto& c : constants)
        if (c.name == constantName)
            return &c;
    return nullptr;
}

Result<CodeFile> CodeFile::parse(std::string_view source)
{
    auto lines = splitLines(source);
    if (!lines)
        return Result<CodeFile>::failure(lines.error());
    CodeFile file;
    for (std::size_t i = 0; i < lines->size();)
    {
        const auto& line = (*lines)[i];
        if (line.indent == 0 && line.text.compare(0, 6, "class ") == 0)
        {
            auto cls = parseClass(*lines, i);
            if (!cls)
                return Result<CodeFile>::failure(cls.error());
            file.defined.push_back(std::move(*cls));
            continue;
        }
        // Functions and other top-level statements, with their bodies: not classes.
        const int indent = line.indent;
        ++i;
        while (i < lines->size() && (*lines)[i].indent > indent)
            ++i;
    }
    return Result<CodeFile>::success(std::move(file));
}

const CodeClass* CodeFile::findClass(std::string_view className) const
{
    for (const auto& c : defined)
        if (c.name == className)
            return &c;
    return nullptr;
}

Result<std::vector<CodeStatement>> CodeFile::parseBody(const CodeMethod& method)
{
    using R = Result<std::vector<CodeStatement>>;
    std::vector<CodeStatement> statements;
    if (method.body.empty())
        return R::failure("method " + method.name + " has no body");
    BodyParser parser(method.body);
    std::size_t i = 0;
    if (!parser.parseBlock(i, method.body.front().indent, statements, 0))
        return R::failure(parser.problem());
    if (i != method.body.size())
        return R::failure("unexpected indentation in method " + method.name);
    return R::success(std::move(statements));
}

Result<CodeExpr> CodeFile::parseExpression(std::string_view text)
{
    auto tokens = tokenize(text);
    if (!tokens)
        return Result<CodeExpr>::failure(tokens.error());
    ExpressionParser parser(*tokens);
    CodeExpr e;
    if (!parser.parseList(e) || !parser.atEnd())
        return Result<CodeExpr>::failure(parser.problem().empty() ? "unexpected text after an expression"
                                                                  : parser.problem());
    return Result<CodeExpr>::success(std::move(e));
}

} // namespace torchamp
