// The readers of other projects' model files (Source/Import) through loadModel(), as the plugin and
// torchamp-render call it: real files from shared/models-ext against the reference outputs their
// projects ship, and small broken files that must fail with the file name first.

#include "ModelImport.h"
#include "ModelLoader.h"
#include "TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace torchamp
{
namespace
{

std::vector<char> bytesOf(const std::string& text)
{
    return {text.begin(), text.end()};
}

Result<LoadedModel> loadText(const std::string& text, const std::string& name)
{
    return loadModel(bytesOf(text), name);
}

std::vector<float> readColumn(const std::string& path)
{
    std::ifstream file(path);
    std::vector<float> v;
    double x;
    while (file >> x)
        v.push_back(static_cast<float>(x));
    return v;
}

#ifdef TORCHAMP_MODELS_EXT
std::string ext(const std::string& file)
{
    return std::string(TORCHAMP_MODELS_EXT) + "/" + file;
}

TEST(ImportRealFiles, namLstmLoadsWithItsMetadataAndLearnedState)
{
    auto loaded = loadModelFile(ext("nam/lstm.nam"));
    ASSERT_TRUE(loaded) << loaded.error();
    const auto& spec = loaded->spec;
    EXPECT_EQ(spec.sourceFormat, "Neural Amp Modeler .nam 0.5.4");
    EXPECT_EQ(spec.architecture(), "LSTM 1x3, 48 kHz");
    EXPECT_EQ(spec.name, "Test LSTM");
    EXPECT_EQ(spec.author, "Steve");
    EXPECT_EQ(spec.gear, "Darkglass Electronics Microtubes 900 v2, amp");
    EXPECT_NEAR(spec.loudnessDb, -37.8407f, 1e-3f);
    EXPECT_NEAR(spec.inputLevelDbu, 18.3f, 1e-5f);
    EXPECT_NEAR(spec.outputLevelDbu, 12.3f, 1e-5f);
    ASSERT_EQ(spec.layers.size(), 1u);
    EXPECT_EQ(spec.layers[0].initialHidden.size(), 3u);
    EXPECT_EQ(spec.layers[0].initialCell.size(), 3u);
    EXPECT_EQ(loaded->engine, EngineKind::native);
    EXPECT_EQ(loaded->module, nullptr);
    EXPECT_LT(loaded->parityMaxAbsError, 0.0);
    EXPECT_NE(loaded->engineReason.find("Neural Amp Modeler"), std::string::npos);
    EXPECT_FALSE(loaded->engineFactory()); // the native engine
}

TEST(ImportRealFiles, aidaxFileMatchesItsEmbeddedOutputBatch)
{
    const auto path = ext("aidax/tw40_california_clean_deerinkstudios.json");
    auto loaded = loadModelFile(path);
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->spec.author, "deer ink studios");
    EXPECT_EQ(loaded->spec.gear, "Egnater Tweaker 40");
    EXPECT_EQ(loaded->spec.sampleRate, 48000);
    EXPECT_NE(loaded->spec.description.find("CC BY-NC-ND 4.0"), std::string::npos);
    EXPECT_EQ(loaded->spec.sourceFormat, "AIDA-X (RTNeural JSON)");

    std::ifstream file(path);
    const auto root = nlohmann::json::parse(file);
    const auto in = root["input_batch"].get<std::vector<float>>();
    const auto expected = root["output_batch"].get<std::vector<float>>();
    const auto out = renderNative(loaded->spec, in, {}, 128);
    // AIDA-X's own float32 render; measured 6.9e-7.
    EXPECT_LT(test::maxAbsDifference(out, expected), 2e-6);
}

TEST(ImportRealFiles, rtneuralFilesMatchTheirKerasAndTorchOutputs)
{
    for (const char* name : {"lstm_1d", "gru_1d", "lstm_torch", "gru_torch", "conv"})
    {
        auto loaded = loadModelFile(ext(std::string("rtneural/") + name + ".json"));
        ASSERT_TRUE(loaded) << loaded.error();
        const std::string data = std::string(name) == "conv" ? "conv_%_python.csv" : std::string(name) + "_%.csv";
        auto column = [&](const char* which)
        { return readColumn(ext("rtneural/" + data.substr(0, data.find('%')) + which + data.substr(data.find('%') + 1))); };
        const auto x = column("x");
        const auto y = column("y");
        ASSERT_EQ(x.size(), y.size());
        ASSERT_FALSE(x.empty());
        // Keras / PyTorch float32 against ours: measured 2.4e-7 at most. conv.json (a dense layer
        // first, dilated and grouped convolutions, batch normalisation, PReLU) within RTNeural's own
        // tolerance for it, 1e-6.
        EXPECT_LT(test::maxAbsDifference(renderNative(loaded->spec, x, {}, 37), y), 1e-6) << name;
    }
}

TEST(ImportRealFiles, everyFilePlaysFiniteAudio)
{
    for (const char* file :
         {"nam/lstm.nam", "aidax/tw40_california_clean_deerinkstudios.json", "rtneural/lstm_1d.json",
          "rtneural/gru_1d.json", "rtneural/lstm_torch.json", "rtneural/gru_torch.json", "rtneural/conv.json"})
    {
        auto loaded = loadModelFile(ext(file));
        ASSERT_TRUE(loaded) << loaded.error();
        auto x = test::makeTestSignal(48000, 11, 1.0f);
        for (float y : renderNative(loaded->spec, x, loaded->spec.knobDefaults, 256))
            ASSERT_TRUE(std::isfinite(y)) << file;
    }
}

TEST(ImportRealFiles, malformedAidaxFileFailsWithItsNameAndThePlace)
{
    auto loaded = loadModelFile(ext("aidax/deerinkstudios-tw40-ac-clean.malformed.json"));
    ASSERT_FALSE(loaded);
    EXPECT_EQ(
        loaded.error().rfind("deerinkstudios-tw40-ac-clean.malformed.json: the file is not valid JSON (", 0),
        0u)
        << loaded.error();
    EXPECT_NE(loaded.error().find("line 784"), std::string::npos) << loaded.error();
}
#endif

TEST(ImportJson, recognisesJsonAndLeavesTorchScriptAlone)
{
    EXPECT_TRUE(looksLikeJsonModel(bytesOf("  \n{\"a\": 1}")));
    EXPECT_TRUE(looksLikeJsonModel(bytesOf("\xEF\xBB\xBF{}")));
    EXPECT_FALSE(looksLikeJsonModel(bytesOf("PK\x03\x04")));
    EXPECT_FALSE(looksLikeJsonModel({}));
}

std::string namText(const std::string& architecture, int weights)
{
    std::ostringstream s;
    s << R"({"version": "0.5.4", "architecture": ")" << architecture
      << R"(", "config": {"num_layers": 1, "input_size": 1, "hidden_size": 2}, "sample_rate": 48000, "weights": [)";
    for (int i = 0; i < weights; ++i)
        s << (i ? ", " : "") << 0.01 * i;
    s << "]}";
    return s.str();
}

TEST(ImportJson, namLstmWithTheRightWeightCountLoads)
{
    // 1 layer, H = 2: [4H, 1 + H] + 4H + H + H, then the head H + 1.
    auto loaded = loadText(namText("LSTM", 8 * 3 + 8 + 4 + 3), "small.nam");
    ASSERT_TRUE(loaded) << loaded.error();
    EXPECT_EQ(loaded->spec.name, "small");
    EXPECT_TRUE(std::isnan(loaded->spec.loudnessDb));
}

TEST(ImportJson, brokenFilesFailWithTheFileNameFirst)
{
    const std::pair<std::string, std::string> cases[] = {
        {namText("WaveNet", 3), "net.nam: \"config\" has no \"layers\""},
        {namText("ConvNet", 3),
         "net.nam: not supported yet: architecture ConvNet (TorchAmp plays Neural Amp Modeler LSTM and WaveNet (A1) models)"},
        {namText("LSTM", 30),
         "net.nam: \"weights\" has 30 numbers; an LSTM of 1 layer of 2 units with 1 input needs 39"},
        {R"({"architecture": "LSTM", "config": {"num_layers": 1, "input_size": 1}, "weights": []})",
         "net.nam: \"config\" has no \"hidden_size\""},
        {R"({"architecture": "LSTM", "weights": [1, 2,)", "net.nam: the file is not valid JSON ("},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "dense", "weights": [[[1]], [0]]}, {"type": "conv2d", "weights": []}]})",
         "net.nam: layer 1 has type \"conv2d\": not supported (TorchAmp plays dense, time-distributed-dense, activation, "
         "conv1d, batchnorm, prelu, gru and lstm layers)"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "bidirectional", "weights": []}]})",
         "net.nam: layer 0 has type \"bidirectional\": not supported"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "conv1d", "kernel_size": [3], "dilation": [1], "groups": 1, "weights": [[[[1]], [[1]]], [0]]}]})",
         "net.nam: layer 0 kernel has shape [2, 1, 1], expected [3, 1, outputs]"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "dense", "weights": [[[1, 2]], [0, 0]]}, {"type": "prelu", "weights": [[[1, 2, 3]]]}]})",
         "net.nam: layer 1 alpha has shape [1, 3], expected [1, 2] or [1, 1]"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "batchnorm", "epsilon": 0.001, "weights": [[1], [0], [0]]}]})",
         "net.nam: layer 0 should have 4 weight arrays (gamma, beta, moving mean, moving variance) or 2"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "dense", "activation": "swish", "weights": [[[1]], [0]]}]})",
         "net.nam: layer 0 has activation \"swish\": not supported (TorchAmp reads tanh, relu, sigmoid, softmax, elu and linear)"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "gru", "weights": [[[1, 2, 3]], [[1, 2, 3]], [1, 2, 3]]}]})",
         "net.nam: layer 0 bias has shape [3], expected [2, 3]"},
        {R"({"in_shape": [null, null, 1], "in_skip": 2, "layers": [{"type": "gru", "weights": [[[1, 2, 3]], [[1, 2, 3]], [[1, 2, 3], [1, 2, 3]]]}]})",
         "net.nam: \"in_skip\" should be a whole number in 0..1, found 2"},
        {R"({"in_shape": [null, null, 1], "layers": [{"type": "lstm", "weights": [[["a", 2, 3, 4]], [[1, 2, 3, 4]], [1, 2, 3, 4]]}]})",
         "net.nam: layer 0 kernel should hold numbers, found string"},
        {R"({"model_data": {"model": "ConvSimpleRNN", "input_size": 1}, "state_dict": {}})",
         "net.nam: not supported yet: model ConvSimpleRNN"},
        {R"({"model_data": {"unit_type": "GRU", "input_size": 1}, "state_dict": {"rec.weight_ih_l0": [[1], [2], [3], [4]], "rec.weight_hh_l0": [[1], [2], [3], [4]], "lin.weight": [[1]]}})",
         "net.nam: model_data says unit_type GRU but the weights are a LSTM's"},
        {R"([1, 2])", "net.nam: the JSON file does not hold an object at the top"},
        {R"({"hello": "world"})", "net.nam: this JSON file is no model format TorchAmp knows"},
    };
    for (const auto& [text, message] : cases)
    {
        auto loaded = loadText(text, "net.nam");
        ASSERT_FALSE(loaded) << message;
        EXPECT_EQ(loaded.error().rfind(message, 0), 0u) << loaded.error() << "\n  expected: " << message;
    }
}

TEST(ImportJson, kerasGruGatesAreReorderedToTorchOrder)
{
    // One unit, weights chosen so each Keras gate (z, r, h) is identifiable: kernel = [z, r, h].
    const char* text = R"({"in_shape": [null, null, 1], "layers": [
        {"type": "gru", "activation": "tanh", "weights": [[[0.1, 0.2, 0.3]], [[0.4, 0.5, 0.6]], [[1, 2, 3], [4, 5, 6]]]}]})";
    auto loaded = loadText(text, "gru.json");
    ASSERT_TRUE(loaded) << loaded.error();
    ASSERT_EQ(loaded->spec.sequence.size(), 1u); // the GRU's one unit is the output
    const auto& layer = loaded->spec.sequence[0].recurrent;
    EXPECT_EQ(layer.type, CellType::gru);
    EXPECT_EQ(layer.weightIh, (std::vector<float>{0.2f, 0.1f, 0.3f})); // r, z, n
    EXPECT_EQ(layer.weightHh, (std::vector<float>{0.5f, 0.4f, 0.6f}));
    EXPECT_EQ(layer.biasIh, (std::vector<float>{2, 1, 3}));
    EXPECT_EQ(layer.biasHh, (std::vector<float>{5, 4, 6}));
}

TEST(ImportJson, kerasConv1dBatchNormAndPreluWeightsReachTheSpecInTorchLayout)
{
    // Kernel [taps = 2][inputs per group = 1][outputs = 2] with 2 groups: output o reads input o.
    const char* text = R"({"in_shape": [null, null, 1], "layers": [
        {"type": "dense", "activation": "", "shape": [null, null, 2], "weights": [[[1, -1]], [0.5, 0.25]]},
        {"type": "conv1d", "activation": "elu", "shape": [null, null, 2], "kernel_size": [2], "dilation": [3], "groups": 2,
         "weights": [[[[1, 2]], [[3, 4]]], [0.1, 0.2]]},
        {"type": "batchnorm", "activation": "", "epsilon": 0.5, "weights": [[1, 2], [3, 4]]},
        {"type": "prelu", "activation": "", "weights": [[[0.25]]]},
        {"type": "activation", "activation": "softmax", "shape": [null, null, 2], "weights": []},
        {"type": "time-distributed-dense", "activation": "linear", "shape": [null, null, 1], "weights": [[[1], [2]], [0]]}]})";
    auto loaded = loadText(text, "conv.json");
    ASSERT_TRUE(loaded) << loaded.error();
    const auto& seq = loaded->spec.sequence;
    ASSERT_EQ(seq.size(), 6u);
    EXPECT_EQ(seq[0].weight, (std::vector<float>{1, -1}));
    EXPECT_EQ(seq[1].kind, LayerKind::conv1d);
    EXPECT_EQ(seq[1].weight, (std::vector<float>{1, 3, 2, 4})); // [output][input][tap]
    EXPECT_EQ(seq[1].dilation, 3);
    EXPECT_EQ(seq[1].groups, 2);
    EXPECT_EQ(seq[1].lookback(), 3);
    EXPECT_EQ(seq[1].activation, Activation::elu);
    EXPECT_TRUE(seq[2].gamma.empty());
    EXPECT_EQ(seq[2].mean, (std::vector<float>{1, 2}));
    EXPECT_EQ(seq[2].variance, (std::vector<float>{3, 4}));
    EXPECT_FLOAT_EQ(seq[2].epsilon, 0.5f);
    EXPECT_EQ(seq[3].slopes, (std::vector<float>{0.25f, 0.25f})); // one alpha shared by the channels
    EXPECT_EQ(seq[4].activation, Activation::softmax);
    EXPECT_EQ(seq[5].kind, LayerKind::dense);
    EXPECT_EQ(loaded->spec.validate(), "");
}

TEST(ImportJson, fuzzCorpusAndRegressionsOfEveryImporterGiveAModelOrAMessage)
{
    // The seeds of the importers' fuzzers and every input they ever crashed on (Tests/fuzz).
    namespace fs = std::filesystem;
    int files = 0;
    for (const char* importer : { "nam", "rtneural", "statedict" })
        for (const char* kind : { "corpus", "regressions" })
        {
            const fs::path dir = fs::path(TORCHAMP_FUZZ_DIR) / kind / importer;
            if (!fs::exists(dir))
                continue;
            for (const auto& entry : fs::directory_iterator(dir))
            {
                auto loaded = loadModelFile(entry.path().string());
                if (!loaded)
                    EXPECT_EQ(loaded.error().rfind(entry.path().filename().string(), 0), 0u) << loaded.error();
                ++files;
            }
        }
    EXPECT_GE(files, 5);
}

} // namespace
} // namespace torchamp
