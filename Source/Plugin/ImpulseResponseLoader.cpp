#include "ImpulseResponseLoader.h"

#include "EmbeddedResources.h"
#include "FileBytes.h"
#include "ImpulseResponseFile.h"
#include "Sha256.h"

namespace torchamp
{

const char* cabinetSourceName(CabinetSource source) noexcept
{
    switch (source)
    {
        case CabinetSource::builtIn:
            return "builtin";
        case CabinetSource::file:
            return "file";
        case CabinetSource::none:
            break;
    }
    return "none";
}

CabinetSource cabinetSourceFromName(const std::string& name) noexcept
{
    if (name == "builtin")
        return CabinetSource::builtIn;
    if (name == "file")
        return CabinetSource::file;
    return CabinetSource::none;
}

ImpulseResponseLoader::ImpulseResponseLoader(EffectChain& c) : chain(c) {}

bool ImpulseResponseLoader::load(Request r)
{
    chain.collectGarbage();
    CabinetStatus next;
    next.source = r.source;
    if (r.source == CabinetSource::none)
        chain.unloadImpulseResponse();
    else if (r.source == CabinetSource::builtIn)
    {
        next.name = resources::defaultCabinetName;
        auto ir = decodeImpulseResponse(resources::defaultCabinetBytes(), resources::defaultCabinetName);
        if (!ir)
            return fail(ir.error());
        if (auto problem = chain.loadImpulseResponse(std::move(*ir)); !problem.empty())
            return fail(problem);
    }
    else
    {
        next.name = r.displayName.empty() ? fileNameOf(r.path) : r.displayName;
        if (auto problem = publishFile(r, next.name); !problem.empty())
            return fail(problem);
        next.path = r.path;
        next.sha256 = sha256Hex(r.bytes.data(), r.bytes.size());
        next.bytes = std::make_shared<const std::vector<char>>(std::move(r.bytes));
    }
    std::lock_guard<std::mutex> lock(mutex);
    next.generation = current.generation + 1;
    current = std::move(next);
    return true;
}

std::string ImpulseResponseLoader::publishFile(Request& r, const std::string& name)
{
    if (r.readFromPath)
    {
        auto bytes = readFileBytes(r.path, FileLimits::maxImpulseResponseBytes);
        if (!bytes)
            return bytes.error();
        r.bytes = std::move(*bytes);
    }
    if (!r.expectedSha256.empty() && sha256Hex(r.bytes.data(), r.bytes.size()) != r.expectedSha256)
        return name + ": the impulse response stored here is damaged (its SHA-256 does not match)";
    auto ir = decodeImpulseResponse(r.bytes, name);
    if (!ir)
        return ir.error();
    return chain.loadImpulseResponse(std::move(*ir));
}

void ImpulseResponseLoader::reportFailure(const std::string& why)
{
    fail(why);
}

bool ImpulseResponseLoader::fail(const std::string& why)
{
    std::lock_guard<std::mutex> lock(mutex);
    current.lastError = why;
    ++current.generation;
    return false;
}

CabinetStatus ImpulseResponseLoader::status() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return current;
}

} // namespace torchamp
