#include "ModelLoader.h"
#include "RecurrentNetwork.h"
#include "TestSupport.h"
#include "TorchModule.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace torchamp
{
namespace
{

using test::modelPath;

::testing::AssertionResult failsWith(const std::string& file, const std::string& expected)
{
    auto loaded = loadModelFile(modelPath(file));
    if (loaded)
        return ::testing::AssertionFailure() << file << " loaded, expected an error containing '" << expected << "'";
    if (loaded.error().find(expected) == std::string::npos)
        return ::testing::AssertionFailure() << file << ": error '" << loaded.error() << "' lacks '" << expected << "'";
    if (loaded.error().rfind(file, 0) != 0)
        return ::testing::AssertionFailure() << "error does not start with the file name: " << loaded.error();
    return ::testing::AssertionSuccess();
}

TEST(ModelLoader, readsTheContractsMetadata)
{
    auto loaded = loadModelFile(modelPath("lstm2x24_knobs_skip.pt"));
    ASSERT_TRUE(loaded) << loaded.error();
    const auto& spec = loaded->spec;
    EXPECT_EQ(spec.name, "lstm2x24_knobs_skip");
    EXPECT_EQ(spec.description, "test model");
    EXPECT_EQ(spec.author, "TorchAmp tests");
    EXPECT_EQ(spec.sampleRate, 48000);
    EXPECT_TRUE(spec.skip);
    EXPECT_EQ(spec.knobNames, (std::vector<std::string> { "drive", "tone" }));
    EXPECT_EQ(spec.knobDefaults, (std::vector<float> { 0.5f, 0.5f }));
    ASSERT_EQ(spec.layers.size(), 2u);
    EXPECT_EQ(spec.layers[0].inputSize, 3);
    EXPECT_EQ(spec.hiddenSize(), 24);
    EXPECT_TRUE(spec.warnings.empty());
    EXPECT_GE(loaded->parityMaxAbsError, 0.0);
    EXPECT_LE(loaded->parityMaxAbsError, 1e-5);
}

TEST(ModelLoader, readsTheSampleRate)
{
    auto loaded = loadModelFile(modelPath("lstm3x20_44k.pt"));
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->spec.sampleRate, 44100);
    EXPECT_EQ(loaded->spec.architecture(), "LSTM 3x20, 1 knob, 44.1 kHz");
}

TEST(ModelLoader, modelWithoutMetadataGetsDefaultsWarningsAndItsSkipDetected)
{
    auto loaded = loadModelFile(modelPath("nometa_skip.pt"));
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->spec.name, "nometa_skip");
    EXPECT_EQ(loaded->spec.sampleRate, 48000);
    EXPECT_TRUE(loaded->spec.skip);
    EXPECT_LE(loaded->parityMaxAbsError, 1e-5);
    ASSERT_EQ(loaded->spec.warnings.size(), 2u);
    EXPECT_NE(loaded->spec.warnings[0].find("sample_rate"), std::string::npos);
    EXPECT_NE(loaded->spec.warnings[1].find("skip=True"), std::string::npos);

    auto knob = loadModelFile(modelPath("nometa_knob.pt"));
    ASSERT_TRUE(knob) << knob.error();
    EXPECT_FALSE(knob->spec.skip);
    EXPECT_EQ(knob->spec.knobNames, (std::vector<std::string> { "Knob 1" }));
    EXPECT_EQ(knob->spec.layers.size(), 2u);
}

TEST(ModelLoader, clearErrorsForBrokenFiles)
{
    EXPECT_TRUE(failsWith("random.pt", "not a TorchScript file"));
    EXPECT_TRUE(failsWith("truncated.pt", "truncated"));
    EXPECT_TRUE(failsWith("empty.pt", "the file is empty"));
    EXPECT_TRUE(failsWith("state_dict.pt", "checkpoint (torch.save), not TorchScript"));
    EXPECT_TRUE(failsWith("future_version.pt", "newer PyTorch"));
    EXPECT_TRUE(failsWith("no_lstm.pt", "no torch.nn.LSTM found"));
    EXPECT_TRUE(failsWith("no_head.pt", "no Linear(hidden, 1) output head"));
    EXPECT_TRUE(failsWith("knob_mismatch.pt", "names 1 knobs but the LSTM takes 3 inputs"));
    EXPECT_TRUE(failsWith("nan_weights.pt", "non-finite weights"));
    EXPECT_TRUE(failsWith("wrong_type.pt", "'sample_rate' should be an int"));
    EXPECT_TRUE(failsWith("zero_rate.pt", "sample_rate 0 Hz"));
    EXPECT_TRUE(failsWith("hidden200.pt", "hidden size 200"));
    EXPECT_TRUE(failsWith("layers5.pt", "5 layers"));
    EXPECT_TRUE(failsWith("wrong_signature.pt", "forward() must take (x, h, c)"));
    EXPECT_TRUE(failsWith("layers100.pt", "100 layers"));
    EXPECT_TRUE(failsWith("rate10mhz.pt", "sample_rate 10000000 Hz is outside"));
    EXPECT_TRUE(failsWith("knob_empty_name.pt", "knob names must be 1..64 characters"));
    EXPECT_TRUE(failsWith("knob_long_name.pt", "knob names must be 1..64 characters"));
    EXPECT_TRUE(failsWith("knobs_wrong_type.pt", "'knobs' should hold strings"));
    EXPECT_TRUE(failsWith("zip_not_torchscript.pt", "a zip archive, but not a TorchScript model"));
    EXPECT_TRUE(failsWith("batch_first_false.pt", "the LSTM is not batch_first"));
    EXPECT_TRUE(failsWith("contract_v2.pt", "Update TorchAmp to play it"));
    EXPECT_TRUE(failsWith("gru.pt", "it uses GRU"));
    EXPECT_TRUE(failsWith("name_wrong_type.pt", "attribute 'name' should be a str, found Int"));
}

TEST(ModelLoader, safeModeAcceptsContractModelsAndRefusesOtherCode)
{
    LoadOptions strict;
    strict.strict = true;
    for (const char* file : { "lstm1x8.pt", "lstm2x24_knobs_skip.pt", "nometa_skip.pt", "waveshaper.pt" })
    {
        auto loaded = loadModelFile(modelPath(file), strict);
        EXPECT_TRUE(loaded) << loaded.error();
    }
    auto loaded = loadModelFile(TORCHAMP_DEFAULT_MODEL_PATH, strict);
    EXPECT_TRUE(loaded) << loaded.error();

    auto refused = loadModelFile(modelPath("uses_print.pt"), strict);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("uses_print.pt: safe mode refuses this model"), std::string::npos) << refused.error();
    EXPECT_NE(refused.error().find("prim::Print"), std::string::npos) << refused.error();
    EXPECT_TRUE(loadModelFile(modelPath("uses_print.pt"))) << "without safe mode it plays";
}

TEST(ModelLoader, fuzzCorpusAndRegressionsGiveAModelOrAMessage)
{
    // The fuzzer's seeds and every input it ever crashed on (Tests/fuzz/regressions/loader).
    namespace fs = std::filesystem;
    int files = 0;
    for (const char* folder : { "corpus/loader", "regressions/loader" })
    {
        const fs::path dir = fs::path(TORCHAMP_FUZZ_DIR) / folder;
        if (!fs::exists(dir))
            continue;
        for (const auto& entry : fs::directory_iterator(dir))
        {
            auto bytes = readFileBytes(entry.path().string(), FileLimits::maxModelBytes);
            ASSERT_TRUE(bytes);
            auto loaded = loadModel(*bytes, entry.path().filename().string());
            if (!loaded)
                EXPECT_EQ(loaded.error().rfind(entry.path().filename().string(), 0), 0u) << loaded.error();
            ++files;
        }
    }
    EXPECT_GE(files, 4);
}

TEST(ModelLoader, missingFileSaysSo)
{
    auto loaded = loadModelFile(modelPath("does-not-exist.pt"));
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find("cannot open"), std::string::npos);
}

TEST(ModelLoader, futureVersionMessageNamesTheVersions)
{
    auto loaded = loadModelFile(modelPath("future_version.pt"));
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().find(TorchModule::libTorchVersion()), std::string::npos) << loaded.error();
    EXPECT_NE(loaded.error().find("Save it again with PyTorch 1.13"), std::string::npos) << loaded.error();
}

/** Engine vs LibTorch forward() on a long signal, every contract model the tests make. */
class ParityWithLibTorch : public ::testing::TestWithParam<const char*>
{
};

TEST_P(ParityWithLibTorch, nativeEngineMatchesForwardWithin1e5)
{
    auto loaded = loadModelFile(modelPath(GetParam()));
    ASSERT_TRUE(loaded) << loaded.error();
    const auto& spec = loaded->spec;
    const auto x = test::makeTestSignal(48000 * 2, 3);
    std::vector<std::vector<float>> settings { spec.knobDefaults };
    if (spec.numKnobs() > 0)
        settings.emplace_back(static_cast<size_t>(spec.numKnobs()), 0.9f);
    for (const auto& knobs : settings)
    {
        auto reference = loaded->module->render(x, knobs, 4096);
        ASSERT_TRUE(reference) << reference.error();
        EXPECT_LE(test::maxAbsDifference(renderNative(spec, x, knobs, 128), *reference), 1e-5);
    }
}

INSTANTIATE_TEST_SUITE_P(ContractModels, ParityWithLibTorch,
                         ::testing::Values("lstm1x8.pt", "lstm1x16_skip.pt", "lstm2x16.pt", "lstm1x32_knob.pt",
                                           "lstm2x24_knobs_skip.pt", "lstm1x40.pt", "lstm1x64.pt",
                                           "lstm3x20_44k.pt", "nometa_skip.pt", "nometa_knob.pt"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (auto& ch : name)
                                 if (!std::isalnum(static_cast<unsigned char>(ch)))
                                     ch = '_';
                             return name;
                         });

TEST(ModelLoader, everyBundledModelMatchesLibTorchWithin1e5)
{
    namespace fs = std::filesystem;
    int models = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(PROJECT_SOURCE_DIR) / "Models" / "trained"))
    {
        if (entry.path().extension() != ".pt")
            continue;
        auto loaded = loadModelFile(entry.path().string());
        ASSERT_TRUE(loaded) << loaded.error();
        EXPECT_EQ(loaded->engine, EngineKind::native) << entry.path();
        const auto x = test::makeTestSignal(48000, 5);
        auto reference = loaded->module->render(x, loaded->spec.knobDefaults, 4096);
        ASSERT_TRUE(reference) << reference.error();
        EXPECT_LE(test::maxAbsDifference(renderNative(loaded->spec, x, loaded->spec.knobDefaults, 128), *reference), 1e-5)
            << entry.path();
        ++models;
    }
    EXPECT_GE(models, 2);
}

TEST(ModelLoader, embeddedDefaultModelLoadsAndMatchesLibTorch)
{
    auto loaded = loadModelFile(TORCHAMP_DEFAULT_MODEL_PATH);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_LE(loaded->parityMaxAbsError, 1e-5);
    const auto x = test::makeTestSignal(48000, 4);
    auto reference = loaded->module->render(x, loaded->spec.knobDefaults, 4096);
    ASSERT_TRUE(reference) << reference.error();
    EXPECT_LE(test::maxAbsDifference(renderNative(loaded->spec, x, loaded->spec.knobDefaults, 128), *reference), 1e-5);
}

} // namespace
} // namespace torchamp
