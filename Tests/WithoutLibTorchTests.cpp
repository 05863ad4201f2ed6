// The loader on a machine without LibTorch: ctest runs these with TORCHAMP_LIBTORCH_MODULE pointing
// nowhere, so TorchAmpLibTorch.so cannot be loaded (test "loader.withoutLibTorch"). Models that do
// not need LibTorch play; one that does is refused with what needs it and how to install it.

#include "LibTorchModule.h"
#include "ModelLoader.h"
#include "TestSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace torchamp
{
namespace
{

class WithoutLibTorch : public ::testing::Test
{
protected:
    void SetUp() override
    {
        if (LibTorchModule::backend() != nullptr)
            GTEST_SKIP() << "LibTorch is available here; ctest runs this suite with "
                            "TORCHAMP_LIBTORCH_MODULE=/nonexistent";
    }
};

TEST_F(WithoutLibTorch, theReasonSaysWhatIsMissingAndHowToInstallIt)
{
    const auto why = LibTorchModule::unavailableReason();
    EXPECT_NE(why.find("LibTorch is not available"), std::string::npos) << why;
    EXPECT_NE(why.find("sudo apt install libtorch1.13"), std::string::npos) << why;
}

TEST_F(WithoutLibTorch, anAudioModuleIsRefusedWithWhatNeedsLibTorch)
{
    auto loaded = loadModelFile(test::modelPath("waveshaper.pt"));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().rfind("waveshaper.pt: ", 0), 0u) << loaded.error();
    EXPECT_NE(loaded.error().find("needs LibTorch to play"), std::string::npos) << loaded.error();
    EXPECT_NE(loaded.error().find("sudo apt install libtorch1.13"), std::string::npos) << loaded.error();
}

TEST_F(WithoutLibTorch, contractFilesPlayNativelyAndSayTheyWereNotCompared)
{
    for (const auto& file : { std::string(TORCHAMP_DEFAULT_MODEL_PATH), test::modelPath("lstm2x24_knobs_skip.pt"),
                              std::string(PROJECT_SOURCE_DIR) + "/Models/trained/overdrive.pt" })
    {
        auto loaded = loadModelFile(file);
        ASSERT_TRUE(loaded) << loaded.error();
        EXPECT_EQ(loaded->engine, EngineKind::native) << file;
        EXPECT_EQ(loaded->module, nullptr);
        EXPECT_NE(loaded->engineReason.find("not compared with LibTorch: LibTorch is not available"), std::string::npos)
            << loaded->engineReason;
    }
}

TEST_F(WithoutLibTorch, importedModelsPlayNatively)
{
    // A Neural Amp Modeler file and an RTNeural file, as the fuzzers' seeds hold them.
    for (const char* file : {"corpus/nam/lstm1x2.nam", "corpus/statedict/guitarml-lstm.json"})
    {
        auto loaded = loadModelFile(std::string(TORCHAMP_FUZZ_DIR) + "/" + file);
        ASSERT_TRUE(loaded) << loaded.error();
        EXPECT_EQ(loaded->engine, EngineKind::native);
        EXPECT_EQ(loaded->module, nullptr);
    }
}

} // namespace
} // namespace torchamp
