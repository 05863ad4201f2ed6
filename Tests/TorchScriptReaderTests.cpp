// The native TorchScript reader against LibTorch's own reading (TorchModule): the same spec, bit for
// bit, for every contract file, which also plays as LibTorch's forward() computes it; the same
// message for every file both refuse; "not provable" where only LibTorch can play the file; and no
// crash on damaged or mutated archives.

#include "ForwardRecogniser.h"
#include "ModelLoader.h"
#include "TestSupport.h"
#include "TestZip.h"
#include "TorchModule.h"
#include "TorchScriptMessages.h"
#include "TorchScriptReader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;
using Verdict = TorchScriptModel::Verdict;

std::vector<char> bytesOf(const std::string& path)
{
    auto bytes = readFileBytes(path, FileLimits::maxModelBytes);
    EXPECT_TRUE(bytes) << bytes.error();
    return bytes ? *bytes : std::vector<char>{};
}

Result<TorchScriptModel> readFile(const std::string& path)
{
    return readTorchScript(bytesOf(path), fs::path(path).filename().string());
}

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

/** Empty when the two specs are equal in every field, weights bit for bit; else the first difference. */
std::string differences(const ModelSpec& a, const ModelSpec& b)
{
    std::ostringstream d;
    if (a.name != b.name || a.description != b.description || a.author != b.author)
        d << "metadata: " << a.name << "/" << a.description << "/" << a.author << " vs " << b.name << "/"
          << b.description << "/" << b.author;
    else if (a.sampleRate != b.sampleRate || a.skip != b.skip || a.sourceFormat != b.sourceFormat)
        d << "rate, skip or format: " << a.sampleRate << " " << a.skip << " " << a.sourceFormat << " vs "
          << b.sampleRate << " " << b.skip << " " << b.sourceFormat;
    else if (a.knobNames != b.knobNames || a.knobDefaults != b.knobDefaults)
        d << "knobs differ";
    else if (a.warnings != b.warnings)
        d << "warnings differ: " << (a.warnings.empty() ? "" : a.warnings.back()) << " vs "
          << (b.warnings.empty() ? "" : b.warnings.back());
    else if (a.layers.size() != b.layers.size() || !sameFloats(a.headWeight, b.headWeight) ||
             std::memcmp(&a.headBias, &b.headBias, sizeof(float)) != 0)
        d << "layer count or head differs";
    for (std::size_t l = 0; d.str().empty() && l < a.layers.size(); ++l)
    {
        const auto &x = a.layers[l], &y = b.layers[l];
        if (x.inputSize != y.inputSize || x.hiddenSize != y.hiddenSize ||
            !sameFloats(x.weightIh, y.weightIh) || !sameFloats(x.weightHh, y.weightHh) ||
            !sameFloats(x.biasIh, y.biasIh) || !sameFloats(x.biasHh, y.biasHh))
            d << "layer " << l << " differs";
    }
    return d.str();
}

/** What LibTorch itself reads in a file: TorchModule's load and extractSpec, the reader the loader
    used before the native one. A file without a skip attribute gets the skip the native reader
    found in forward() (the loader's parity check against LibTorch's forward() is what proves it). */
Result<ModelSpec> libTorchSpec(const std::string& path, const Result<TorchScriptModel>& native)
{
    const auto name = fs::path(path).filename().string();
    auto module = TorchModule::load(bytesOf(path), name);
    if (!module)
        return Result<ModelSpec>::failure(module.error());
    bool skipKnown = false;
    auto spec = (*module)->extractSpec(skipKnown);
    if (spec && !skipKnown && native)
    {
        spec->skip = native->spec.skip;
        spec->warnings.push_back(TorchScriptMessages::noSkipAttribute(spec->skip));
    }
    return spec;
}

std::vector<std::string> everyModelFile()
{
    std::vector<std::string> files{TORCHAMP_DEFAULT_MODEL_PATH};
    for (const auto& dir :
         {fs::path(TORCHAMP_TEST_MODELS_DIR), fs::path(PROJECT_SOURCE_DIR) / "Models" / "trained"})
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.path().extension() == ".pt")
                files.push_back(entry.path().string());
    return files;
}

/** Where the native reader deliberately judges otherwise than today's LibTorch loader, and why. */
const std::map<std::string, std::string>& deliberateDifferences()
{
    static const std::map<std::string, std::string> files{
        {"future_version.pt", "LibTorch 1.13 refuses format version 99; the layout is one the reader knows"},
        {"pytorch2_newer_version.pt",
         "LibTorch 1.13 refuses format version 12; the layout is one the reader knows"},
        {"float64.pt",
         "LibTorch's forward() fails on float input with float64 weights; natively they are rounded "
         "to float, as extractSpec rounds them"},
        {"uses_print.pt",
         "forward() prints: the parity check passes, the reader proves only the recognised forms"},
        {"wrapped.pt",
         "the LSTM is not a child of the top module: the parity check passes, the reader leaves "
         "it to LibTorch"},
        {"big_endian.pt", "LibTorch 1.13 ignores a 'byteorder' record; the reader leaves big-endian files to "
                          "LibTorch"},
    };
    return files;
}

TEST(TorchScriptReader, judgesEveryTestModelAsTheLoaderDoes)
{
    const auto files = everyModelFile();
    ASSERT_GE(files.size(), 50u);
    int contract = 0, refused = 0, deferred = 0;
    for (const auto& file : files)
    {
        const auto name = fs::path(file).filename().string();
        if (deliberateDifferences().count(name) != 0)
            continue;
        const auto native = readFile(file);
        const auto loaded = loadModelFile(file);
        const auto libTorch = libTorchSpec(file, native);
        if (!native)
        {
            ++refused;
            EXPECT_FALSE(loaded) << name << ": the native reader refuses it (" << native.error()
                                 << "), the loader plays it";
            EXPECT_FALSE(libTorch) << name << ": the native reader refuses it, LibTorch reads it";
            if (!libTorch)
                EXPECT_EQ(native.error(), libTorch.error()) << name;
        }
        else if (native->verdict == Verdict::notProvable)
        {
            ++deferred;
            ASSERT_TRUE(loaded) << name << ": " << loaded.error();
            EXPECT_EQ(loaded->engine, EngineKind::libtorch)
                << name << ": the loader plays it natively; the reader says " << native->reason;
        }
        else
        {
            ++contract;
            ASSERT_TRUE(loaded) << name << ": " << loaded.error();
            EXPECT_EQ(loaded->engine, EngineKind::native) << name << ": " << loaded->engineReason;
            EXPECT_GE(loaded->parityMaxAbsError, 0.0) << name << ": compared with LibTorch's forward()";
            ASSERT_TRUE(libTorch) << name << ": " << libTorch.error();
            EXPECT_EQ(differences(native->spec, *libTorch), "") << name;
        }
    }
    EXPECT_GE(contract, 20);
    EXPECT_GE(refused, 20);
    EXPECT_GE(deferred, 3);
}

TEST(TorchScriptReader, differsFromTheLoaderOnlyWhereItMeansTo)
{
    const auto dir = fs::path(TORCHAMP_TEST_MODELS_DIR);
    auto expectSame = [&](const char* file, const char* sameAs)
    {
        const auto native = readFile((dir / file).string());
        const auto original = readFile((dir / sameAs).string());
        ASSERT_TRUE(native && original);
        ASSERT_EQ(native->verdict, Verdict::contract) << file << ": " << native->reason;
        auto expected = original->spec;
        EXPECT_EQ(differences(native->spec, expected), "") << file;
        EXPECT_FALSE(loadModelFile((dir / file).string())) << file << ": LibTorch 1.13 reads it after all";
    };
    expectSame("future_version.pt", "lstm1x8.pt");
    expectSame("pytorch2_newer_version.pt", "lstm2x24_knobs_skip.pt");

    // float64: the spec LibTorch's extractSpec gives (its forward() cannot run on float input).
    auto bytes = bytesOf((dir / "float64.pt").string());
    const auto native = readTorchScript(bytes, "float64.pt");
    auto module = TorchModule::load(bytes, "float64.pt");
    ASSERT_TRUE(native && module);
    bool skipKnown = false;
    const auto extracted = (*module)->extractSpec(skipKnown);
    ASSERT_TRUE(extracted) << extracted.error();
    EXPECT_EQ(native->verdict, Verdict::contract);
    EXPECT_EQ(differences(native->spec, *extracted), "");
    EXPECT_FALSE(loadModelFile((dir / "float64.pt").string()));

    for (const char* file : {"uses_print.pt", "wrapped.pt", "big_endian.pt"})
    {
        const auto deferred = readFile((dir / file).string());
        ASSERT_TRUE(deferred);
        EXPECT_EQ(deferred->verdict, Verdict::notProvable) << file;
        auto loaded = loadModelFile((dir / file).string());
        ASSERT_TRUE(loaded) << loaded.error();
        EXPECT_EQ(loaded->engine, EngineKind::native) << file;
    }
}

TEST(TorchScriptReader, readsFilesAsNewerPyTorchWritesThem)
{
    const auto dir = fs::path(TORCHAMP_TEST_MODELS_DIR);
    const auto original = readFile((dir / "lstm2x24_knobs_skip.pt").string());
    ASSERT_TRUE(original);
    for (auto [file, version] :
         {std::pair{"pytorch2_layout.pt", 3}, std::pair{"pytorch2_data_version.pt", 10},
          std::pair{"pytorch2_newer_version.pt", 12}, std::pair{"archive_folder.pt", 3}})
    {
        const auto model = readFile((dir / file).string());
        ASSERT_TRUE(model) << model.error();
        ASSERT_EQ(model->verdict, Verdict::contract) << file << ": " << model->reason;
        EXPECT_EQ(model->formatVersion, static_cast<std::uint64_t>(version)) << file;
        EXPECT_EQ(differences(model->spec, original->spec), "") << file;
    }
    const auto future = readFile((dir / "future_version.pt").string());
    ASSERT_TRUE(future);
    EXPECT_EQ(future->formatVersion, 99u);
}

TEST(TorchScriptReader, recognisesEachDocumentedForward)
{
    const auto dir = fs::path(TORCHAMP_TEST_MODELS_DIR);
    const struct
    {
        const char* file;
        SkipForm skip;
        StateForm state;
        bool skips;
        bool skipStated;
    } cases[] = {
        {"lstm2x24_knobs_skip.pt", SkipForm::byAttribute, StateForm::flat, true, true},
        {"lstm1x8.pt", SkipForm::byAttribute, StateForm::flat, false, true},
        {"nometa_skip.pt", SkipForm::byAttribute, StateForm::flat, true, false},
        {"always_skip.pt", SkipForm::always, StateForm::flat, true, false},
        {"no_bias.pt", SkipForm::never, StateForm::flat, false, false},
        {"nested_state.pt", SkipForm::never, StateForm::nested, false, false},
        {"nested_state_skip.pt", SkipForm::byAttribute, StateForm::nested, true, true},
    };
    for (const auto& c : cases)
    {
        const auto model = readFile((dir / c.file).string());
        ASSERT_TRUE(model) << model.error();
        ASSERT_EQ(model->verdict, Verdict::contract) << c.file << ": " << model->reason;
        ASSERT_NE(model->form, nullptr);
        EXPECT_EQ(model->form->skip, c.skip) << c.file;
        EXPECT_EQ(model->form->state, c.state) << c.file;
        EXPECT_EQ(model->spec.skip, c.skips) << c.file;
        EXPECT_EQ(model->skipStated, c.skipStated) << c.file;
    }
    EXPECT_EQ(ForwardRecogniser::forms().size(), 6u);
}

TEST(TorchScriptReader, saysWhyItLeavesAFileToLibTorch)
{
    const auto dir = fs::path(TORCHAMP_TEST_MODELS_DIR);
    const std::pair<const char*, const char*> cases[] = {
        {"waveshaper.pt", "forward(x) is an audio module"},
        {"gain_after_head.pt", "torch.mul"},
        {"uses_print.pt", "print"},
        {"skip_disagrees.pt", "'skip' attribute says otherwise"},
        {"wrapped.pt", "(body).forward"},
        {"big_endian.pt", "little-endian"},
    };
    for (const auto& [file, reason] : cases)
    {
        const auto model = readFile((dir / file).string());
        ASSERT_TRUE(model) << model.error();
        EXPECT_EQ(model->verdict, Verdict::notProvable) << file;
        EXPECT_NE(model->reason.find(reason), std::string::npos) << file << ": " << model->reason;
    }
}

TEST(TorchScriptReader, appliesTheRulesBothReadersShare)
{
    const auto dir = fs::path(TORCHAMP_TEST_MODELS_DIR);
    const std::pair<const char*, const char*> refused[] = {
        {"batch_first_false.pt", "batch_first=True"},
        {"contract_v2.pt", "Update TorchAmp"},
        {"gru.pt", "it uses GRU"},
        {"name_wrong_type.pt", "attribute 'name' should be a str, found Int"},
    };
    for (const auto& [file, message] : refused)
    {
        const auto model = readFile((dir / file).string());
        ASSERT_FALSE(model) << file;
        EXPECT_EQ(model.error().rfind(std::string(file) + ": ", 0), 0u) << model.error();
        EXPECT_NE(model.error().find(message), std::string::npos) << model.error();
    }
    const auto integers = readFile((dir / "knob_defaults_int.pt").string());
    ASSERT_TRUE(integers) << integers.error();
    EXPECT_EQ(integers->spec.knobDefaults, (std::vector<float>{0.0f, 1.0f}));
}

/** The damaged archives of ArchiveCheckTests, and a cut-short model. */
std::vector<std::pair<std::string, std::vector<char>>> damagedArchives()
{
    using test::le32;
    using test::makeZip;
    auto pickle = [](const std::string& p) { return makeZip({{"m/data.pkl", p}, {"m/version", "3\n"}}); };
    std::vector<std::pair<std::string, std::vector<char>>> out{
        {"memo", pickle("\x80\x02N"
                        "r" +
                        le32(458000000) + ".")},
        {"string", pickle("\x80\x02X" + le32(0xfffffff0u) + "abc.")},
        {"nostop", pickle("\x80\x02N")},
        {"opcode", pickle("\x80\x02\xff.")},
        {"text", pickle("\x80\x02"
                        "cmodule\nname")},
        {"deep", makeZip({{"m/code/__torch__/m.py", std::string(300, '(')}})},
    };
    auto zip = makeZip({{"m/data/0", std::string(64, 'x')}, {"m/version", "3\n"}});
    const auto directory = std::string(zip.begin(), zip.end()).find("PK\x01\x02");
    auto bigger = zip;
    std::fill(bigger.begin() + static_cast<std::ptrdiff_t>(directory) + 24,
              bigger.begin() + static_cast<std::ptrdiff_t>(directory) + 28, '\xfe');
    out.emplace_back("bigger", bigger);
    auto outside = zip;
    outside[directory + 44] = '\x7f';
    out.emplace_back("outside", outside);
    auto model = bytesOf(TORCHAMP_DEFAULT_MODEL_PATH);
    model.resize(model.size() / 2);
    out.emplace_back("halved", model);
    return out;
}

TEST(TorchScriptReader, refusesDamagedArchivesWithTheLoadersMessages)
{
    for (const auto& [name, bytes] : damagedArchives())
    {
        const auto file = name + ".pt";
        const auto native = readTorchScript(bytes, file);
        const auto loaded = loadModel(bytes, file);
        ASSERT_FALSE(native) << file;
        ASSERT_FALSE(loaded) << file;
        EXPECT_EQ(native.error(), loaded.error());
    }
}

/** Outcome of a mutated file: refused with a message that starts with its name, left to LibTorch,
    or a contract model equal to what LibTorch's extractSpec reads from the same bytes. */
void checkMutated(const std::vector<char>& bytes, bool compareWithLibTorch, int& contract, int& compared)
{
    const auto native = readTorchScript(bytes, "mutated.pt");
    if (!native)
    {
        EXPECT_EQ(native.error().rfind("mutated.pt: ", 0), 0u) << native.error();
        return;
    }
    if (native->verdict == Verdict::notProvable)
    {
        EXPECT_FALSE(native->reason.empty());
        return;
    }
    ++contract;
    EXPECT_EQ(native->spec.validate(), "");
    if (!compareWithLibTorch)
        return;
    auto module = TorchModule::load(bytes, "mutated.pt");
    if (!module || (*module)->signature() != TorchModule::Signature::contract)
        return; // LibTorch refuses what it cannot parse; the reader does not parse code it does not use
    bool skipKnown = false;
    auto extracted = (*module)->extractSpec(skipKnown);
    ASSERT_TRUE(extracted) << extracted.error();
    ++compared;
    auto expected = *extracted;
    expected.skip = native->spec.skip;
    if (!skipKnown)
        expected.warnings.push_back(TorchScriptMessages::noSkipAttribute(expected.skip));
    EXPECT_EQ(differences(native->spec, expected), "");
}

TEST(TorchScriptReader, survivesTruncationsAndBitFlips)
{
    const auto good = bytesOf(test::modelPath("lstm2x24_knobs_skip.pt"));
    ASSERT_FALSE(good.empty());
    std::mt19937 rng(2024);
    int contract = 0, compared = 0;
    // The sanitizers make every read slower: there fewer files, and LibTorch checks fewer of them.
    const int trials = TORCHAMP_SANITIZED ? 1000 : 3000;
    for (int trial = 0; trial < trials; ++trial)
    {
        auto bytes = good;
        if (trial % 3 == 0)
            bytes.resize(std::uniform_int_distribution<std::size_t>(0, good.size() - 1)(rng));
        else
            for (int flips = 1 + trial % 8; flips > 0; --flips)
                bytes[std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(rng)] ^=
                    static_cast<char>(1 << std::uniform_int_distribution<int>(0, 7)(rng));
        checkMutated(bytes, trial % (TORCHAMP_SANITIZED ? 100 : 10) == 1, contract, compared);
    }
    std::printf("%d of %d mutated files read as contract models, %d compared with LibTorch\n", contract,
                trials, compared);
    EXPECT_GE(contract, trials / 30) << "changes in tensor data leave a model";
    EXPECT_GE(compared, TORCHAMP_SANITIZED ? 3 : 10);
}

TEST(TorchScriptReader, fuzzCorpusAndRegressionsGiveAVerdictOrAMessage)
{
    int files = 0;
    for (const char* folder : {"corpus/tsreader", "regressions/tsreader"})
    {
        const fs::path dir = fs::path(TORCHAMP_FUZZ_DIR) / folder;
        ASSERT_TRUE(fs::exists(dir)) << dir;
        for (const auto& entry : fs::directory_iterator(dir))
        {
            const auto name = entry.path().filename().string();
            if (name == "README.md")
                continue;
            const auto model = readTorchScript(bytesOf(entry.path().string()), name);
            if (!model)
                EXPECT_EQ(model.error().rfind(name + ": ", 0), 0u) << model.error();
            ++files;
        }
    }
    EXPECT_GE(files, 4);
}

} // namespace
} // namespace torchamp
