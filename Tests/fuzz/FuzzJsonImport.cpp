// libFuzzer target for one importer of other projects' JSON model files, chosen at compile time
// (TORCHAMP_FUZZ_IMPORTER: nam, rtneural or statedict), from that format's seed corpus: any bytes
// through its reader, the spec's validation and, for a valid spec, the engine built from it and
// played. Nothing may crash, hang or leak; a refusal is a message that starts with the file name.

#include "JsonReading.h"
#include "ModelImport.h"
#include "NativeEngineFactory.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace
{

torchamp::ModelSpec readWithTheFuzzedImporter(const torchamp::import::Json& root)
{
    using namespace torchamp::import;
#if TORCHAMP_FUZZ_IMPORTER_NAM
    return readNam(root, "fuzz");
#elif TORCHAMP_FUZZ_IMPORTER_RTNEURAL
    return readRtNeural(root, "fuzz");
#else
    return readStateDict(root, "fuzz");
#endif
}

void play(const torchamp::ModelSpec& spec)
{
    const auto engine = torchamp::makeNativeEngine(spec);
    engine->prepare(1, 64);
    for (int k = 0; k < spec.numKnobs(); ++k)
        engine->setKnob(k, 0.5f);
    std::vector<float> x(64), y(64);
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = std::sin(0.3f * static_cast<float>(i));
    const float* in[] = { x.data() };
    float* out[] = { y.data() };
    engine->process(in, out, 1, static_cast<int>(x.size()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace torchamp::import;
    Json root;
    try
    {
        root = Json::parse(data, data + size);
    }
    catch (const Json::exception&)
    {
        return 0; // importJsonModel() refuses it with the parser's message
    }
    torchamp::ModelSpec spec;
    try
    {
        spec = readWithTheFuzzedImporter(root);
    }
    catch (const ImportError&)
    {
        return 0;
    }
    catch (const Json::exception&)
    {
        return 0;
    }
    if (spec.validate().empty())
        play(spec);
    // The public entry point on the same bytes: a refusal names the file.
    const std::vector<char> bytes(reinterpret_cast<const char*>(data),
                                  reinterpret_cast<const char*>(data) + size);
    auto imported = torchamp::importJsonModel(bytes, "fuzz.json");
    if (!imported && imported.error().rfind("fuzz.json", 0) != 0)
        __builtin_trap();
    return 0;
}
