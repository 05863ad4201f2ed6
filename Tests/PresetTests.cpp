// Presets: every parameter, the model and the impulse response survive a round trip, by path and
// embedded; damaged and foreign presets are refused with a message that names the file; the
// SHA-256 and base64 underneath against published vectors.

#include "Base64.h"
#include "FileBytes.h"
#include "Preset.h"
#include "Sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace torchamp
{
namespace
{

std::vector<char> bytesOf(const std::string& s)
{
    return {s.begin(), s.end()};
}

Result<Preset> parse(const std::string& text, const std::string& name = "p.json")
{
    return parsePreset(bytesOf(text), name);
}

TEST(Sha256, matchesThePublishedTestVectors)
{
    EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(sha256Hex(two.data(), two.size()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(sha256Hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Base64, roundTripsEveryLengthAndRefusesDamage)
{
    EXPECT_EQ(base64Encode(bytesOf("Man")), "TWFu");
    EXPECT_EQ(base64Encode(bytesOf("Ma")), "TWE=");
    EXPECT_EQ(base64Encode(bytesOf("M")), "TQ==");
    std::vector<char> all;
    for (int i = 0; i < 256; ++i)
    {
        all.push_back(static_cast<char>(i));
        auto back = base64Decode(base64Encode(all));
        ASSERT_TRUE(back) << back.error();
        ASSERT_EQ(*back, all);
    }
    EXPECT_FALSE(base64Decode("TWF"));
    EXPECT_FALSE(base64Decode("TW=u"));
    EXPECT_FALSE(base64Decode("T*Fu"));
    EXPECT_FALSE(base64Decode("TQ==TWFu"));
}

class PresetFiles : public ::testing::Test
{
protected:
    void SetUp() override
    {
        dir = std::filesystem::temp_directory_path() / ("torchamp-preset-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    std::string write(const std::string& name, const std::string& bytes)
    {
        std::ofstream((dir / name).string(), std::ios::binary) << bytes;
        return (dir / name).string();
    }

    std::filesystem::path dir;
};

TEST_F(PresetFiles, aRoundTripRestoresEveryParameterTheModelAndTheImpulseResponse)
{
    const auto modelPath = write("amp.nam", "{\"architecture\": \"LSTM\"}");
    const auto irPath = write("cab.wav", std::string("RIFF....WAVE") + std::string(100, '\x01'));
    Preset preset;
    preset.name = "Crunch \"live\"";
    // Every parameter away from its default, somewhere inside its range.
    for (const auto& p : parameterCatalogue())
        preset.parameters[p.id] = p.kind == ParameterKind::toggle
                                      ? 1.0f - p.defaultValue
                                      : p.minimum + 0.3183f * (p.maximum - p.minimum);
    auto model = presetAssetFromFile(modelPath, 1 << 20, false);
    auto ir = presetAssetFromFile(irPath, 1 << 20, true);
    ASSERT_TRUE(model && ir);
    preset.model = *model;
    preset.impulseResponse = *ir;
    preset.cabinetLatency = ConvolutionLatency::lowCpu;
    const auto saved = (dir / "crunch.json").string();
    ASSERT_EQ(writePreset(saved, preset), "");

    auto back = readPreset(saved);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->name, preset.name);
    EXPECT_EQ(back->parameters, preset.parameters);
    EXPECT_EQ(back->cabinetLatency, ConvolutionLatency::lowCpu);
    for (const auto& p : parameterCatalogue())
        EXPECT_EQ(back->values()[p.id], preset.parameters[p.id]) << p.key;
    ASSERT_TRUE(back->model && back->impulseResponse);
    EXPECT_FALSE(back->model->bytes) << "saved by path only";
    EXPECT_EQ(*presetAssetBytes(*back->model, saved, 1 << 20), *readFileBytes(modelPath, 1 << 20));
    EXPECT_EQ(back->impulseResponse->bytes, readFileBytes(irPath, 1 << 20).operator*()) << "carried inside";
    EXPECT_EQ(back->impulseResponse->sha256,
              sha256Hex(back->impulseResponse->bytes->data(), back->impulseResponse->bytes->size()));

    // The embedded file plays without the original; the one saved by path needs it.
    std::filesystem::remove(irPath);
    std::filesystem::remove(modelPath);
    EXPECT_TRUE(presetAssetBytes(*back->impulseResponse, saved, 1 << 20));
    EXPECT_EQ(
        presetAssetBytes(*back->model, saved, 1 << 20).error().rfind("crunch.json: amp.nam: cannot open", 0),
        0u);
}

TEST_F(PresetFiles, relativePathsAreFoundBesideThePresetAndAChangedFileIsNamed)
{
    write("amp.nam", "first");
    const auto presetPath = write("p.json", R"({"format": "torchamp-preset", "version": 1,
        "model": {"path": "amp.nam", "sha256": ")" +
                                                sha256Hex("first", 5) + R"("}})");
    auto preset = readPreset(presetPath);
    ASSERT_TRUE(preset) << preset.error();
    auto bytes = presetAssetBytes(*preset->model, presetPath, 100);
    ASSERT_TRUE(bytes) << bytes.error();
    EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "first");
    write("amp.nam", "second");
    EXPECT_EQ(presetAssetBytes(*preset->model, presetPath, 100).error(),
              "p.json: amp.nam is not the file the preset was saved with (its SHA-256 differs)");
}

TEST(Preset, builtInsAbsencesAndDefaultsAreKept)
{
    auto p = parse(R"({"format": "torchamp-preset", "version": 1, "name": "x",
                       "parameters": {"bass": 4, "gateOn": true},
                       "model": {"builtin": "default"}, "impulse_response": null})");
    ASSERT_TRUE(p) << p.error();
    EXPECT_TRUE(p->model->builtIn);
    EXPECT_FALSE(p->impulseResponse);
    EXPECT_TRUE(p->withoutImpulseResponse);
    EXPECT_EQ(p->values()[ParameterId::bass], 4.0f);
    EXPECT_EQ(p->values()[ParameterId::gateOn], 1.0f);
    EXPECT_EQ(p->values()[ParameterId::treble], 0.0f) << "not in the preset: the default";
    EXPECT_EQ(p->cabinetLatency, ConvolutionLatency::zero);
    auto again = parse(serialisePreset(*p));
    ASSERT_TRUE(again) << again.error();
    EXPECT_TRUE(again->withoutImpulseResponse && again->model->builtIn);
}

TEST(Preset, damagedAndForeignPresetsAreRefusedWithTheFilesName)
{
    const std::string head = R"({"format": "torchamp-preset", "version": 1, )";
    const std::pair<std::string, std::string> cases[] = {
        {"", "p.json: the file is not valid JSON"},
        {"{\"format\": \"torchamp-preset\",", "p.json: the file is not valid JSON"},
        {"[1, 2]", "p.json: not a TorchAmp preset"},
        {R"({"format": "other", "version": 1})", "p.json: not a TorchAmp preset"},
        {R"({"format": "torchamp-preset"})", "p.json: the preset has no \"version\""},
        {R"({"format": "torchamp-preset", "version": 7})",
         "p.json: the preset was saved by a newer TorchAmp"},
        {head + R"("parameters": {"bass": 30}})",
         "p.json: parameter 'bass' is 30, outside its range -12 dB .. 12 dB"},
        {head + R"("parameters": {"bass": "loud"}})", "p.json: parameter 'bass' must be a number"},
        {head + R"("parameters": {"bass": [[[[1]]]]}})",
         "p.json: parameter 'bass' must be a number, not an array"},
        {head + R"("parameters": [1]})", "p.json: \"parameters\" must be an object"},
        {head + R"("model": {"data": "@@@@"}})", "p.json: \"model\": \"data\" is damaged"},
        {head + R"("model": {"data": "TWFu", "sha256": ")" + std::string(64, 'a') + R"("}})",
         "p.json: \"model\": the embedded file does not match its SHA-256"},
        {head + R"("model": {"sha256": "xyz"}})", "p.json: \"model\": \"sha256\" must be 64"},
        {head + R"("impulse_response": {}})",
         "p.json: \"impulse_response\" has neither a \"path\" nor \"data\""},
        {head + R"("impulse_response": {"builtin": "other"}})",
         "p.json: \"impulse_response\": the only built-in"},
        {head + R"("cabinet_latency": "huge"})",
         "p.json: \"cabinet_latency\" must be \"zero\" or \"low-cpu\""},
    };
    for (const auto& [text, message] : cases)
    {
        auto p = parse(text);
        ASSERT_FALSE(p) << text;
        EXPECT_EQ(p.error().rfind(message, 0), 0u) << text << "\n -> " << p.error();
    }
    auto unknown = parse(head + R"("parameters": {"warp": 3, "bass": 1}})");
    ASSERT_TRUE(unknown) << unknown.error();
    ASSERT_EQ(unknown->warnings.size(), 1u);
    EXPECT_NE(unknown->warnings[0].find("'warp'"), std::string::npos);
    EXPECT_EQ(readPreset("/nonexistent/p.json").error().rfind("p.json: cannot open", 0), 0u);
}

TEST(Preset, everyPresetInTheFuzzCorpusParsesOrIsRefusedWithTheName)
{
    int files = 0;
    for (const char* folder : {"corpus/preset", "regressions/preset"})
    {
        const auto dir = std::filesystem::path(TORCHAMP_FUZZ_DIR) / folder;
        if (!std::filesystem::exists(dir))
            continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir))
        {
            auto p = readPreset(entry.path().string());
            if (!p)
                EXPECT_EQ(p.error().rfind(entry.path().filename().string() + ": ", 0), 0u) << p.error();
            ++files;
        }
    }
    EXPECT_GE(files, 3);
}

} // namespace
} // namespace torchamp
