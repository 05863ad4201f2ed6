#include "ArchiveCheck.h"
#include "PickleReader.h"
#include "StringMatch.h"
#include "ZipArchive.h"

#include <string>
#include <string_view>
#include <vector>

namespace torchamp
{

namespace
{

constexpr int maxCodeNesting = 200; // brackets and indentation levels in the archive's TorchScript code

/** Walks a pickle's opcodes. Returns what is wrong, or an empty string. */
std::string checkPickle(std::string_view pickle)
{
    PickleReader reader(pickle);
    PickleOp op;
    while (reader.next(op))
        if (op.code == '.')
            return {};
    return reader.problem();
}

/** TorchScript's parser recurses once per bracket and per indented block: a deep enough file
    overflows the loading thread's stack. Generated code nests a few levels. */
std::string checkCode(std::string_view code)
{
    int depth = 0;
    std::size_t column = 0;
    bool leading = true;
    for (const char ch : code)
    {
        if (ch == '\n')
        {
            leading = true;
            column = 0;
            continue;
        }
        if (leading && (ch == ' ' || ch == '\t'))
        {
            if (++column > 4 * maxCodeNesting)
                return "its code is indented deeper than " + std::to_string(maxCodeNesting) + " levels";
            continue;
        }
        leading = false;
        if (ch == '(' || ch == '[' || ch == '{')
        {
            if (++depth > maxCodeNesting)
                return "its code nests brackets deeper than " + std::to_string(maxCodeNesting) + " levels";
        }
        else if ((ch == ')' || ch == ']' || ch == '}') && depth > 0)
            --depth;
    }
    return {};
}

ArchiveCheck fail(ArchiveCheck::Verdict v, std::string reason)
{
    ArchiveCheck c;
    c.verdict = v;
    c.reason = std::move(reason);
    return c;
}

} // namespace

ArchiveCheck ArchiveCheck::run(const char* data, std::size_t size)
{
    using V = Verdict;
    if (size > maxArchiveBytes)
        return fail(V::tooLarge, std::to_string(size >> 20) + " MB, above the " +
                                     std::to_string(maxArchiveBytes >> 20) + " MB TorchAmp reads");
    const auto zip = ZipArchive::open(data, size);
    if (zip.failure() != ZipArchive::Failure::none)
        return fail(zip.failure() == ZipArchive::Failure::notAZip ? V::notAZip : V::damaged, zip.problem());

    std::vector<char> inflated;
    for (const auto& r : zip.records())
    {
        const bool pickle = endsWith(r.name, ".pkl") || endsWith(r.name, ".debug_pkl");
        const bool code = r.name.find("/code/") != std::string::npos && endsWith(r.name, ".py");
        if (!pickle && !code)
            continue;
        std::string_view content;
        if (auto problem = zip.read(r, content, inflated); !problem.empty())
            return fail(V::damaged, problem);
        if (auto problem = pickle ? checkPickle(content) : checkCode(content); !problem.empty())
            return fail(V::damaged, "record " + r.name + ": " + problem);
    }
    return {};
}

} // namespace torchamp
