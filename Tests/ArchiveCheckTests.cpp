#include "ArchiveCheck.h"
#include "ModelLoader.h"
#include "TestSupport.h"
#include "TestZip.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace torchamp
{
namespace
{

using Verdict = ArchiveCheck::Verdict;

using test::le32;
using test::makeZip;

ArchiveCheck check(const std::vector<char>& bytes)
{
    return ArchiveCheck::run(bytes.data(), bytes.size());
}

ArchiveCheck checkPickle(const std::string& pickle)
{
    return check(makeZip({ { "m/data.pkl", pickle }, { "m/version", "3\n" } }));
}

TEST(ArchiveCheck, passesEveryModelTorchWrote)
{
    namespace fs = std::filesystem;
    std::vector<std::string> files { TORCHAMP_DEFAULT_MODEL_PATH };
    for (const auto& dir : { fs::path(TORCHAMP_TEST_MODELS_DIR), fs::path(PROJECT_SOURCE_DIR) / "Models" / "trained" })
        for (const auto& entry : fs::directory_iterator(dir))
            if (const auto stem = entry.path().stem().string();
                entry.path().extension() == ".pt" && stem != "empty" && stem != "random" && stem != "truncated")
                files.push_back(entry.path().string());
    ASSERT_GE(files.size(), 10u);
    for (const auto& file : files)
    {
        auto bytes = readFileBytes(file, FileLimits::maxModelBytes);
        ASSERT_TRUE(bytes) << file;
        const auto result = check(*bytes);
        EXPECT_TRUE(result) << file << ": " << result.reason;
    }
}

TEST(ArchiveCheck, passesAWellFormedHandMadeArchive)
{
    // PROTO 2, EMPTY_DICT, BINPUT 0, MARK, SHORT_BINUNICODE "a", BININT1 1, SETITEMS, BINGET 0, STOP
    const auto result = checkPickle(std::string("\x80\x02}q\x00(\x8c\x01" "aK\x01uh\x00.", 15));
    EXPECT_TRUE(result) << result.reason;
}

TEST(ArchiveCheck, refusesAMemoIndexThatWouldAllocateGigabytes)
{
    // LONG_BINPUT 458,000,000: LibTorch 1.13 grows its memo table to 7.3 GB before anything fails.
    const auto result = checkPickle("\x80\x02N" "r" + le32(458000000) + ".");
    EXPECT_EQ(result.verdict, Verdict::damaged);
    EXPECT_NE(result.reason.find("memo index 458000000"), std::string::npos) << result.reason;
    EXPECT_FALSE(checkPickle(std::string("\x80\x02h\x05.", 5))) << "reading a memo entry never written";
}

TEST(ArchiveCheck, refusesDeclaredLengthsBeyondTheRecord)
{
    EXPECT_EQ(checkPickle("\x80\x02X" + le32(0xfffffff0u) + "abc.").verdict, Verdict::damaged);
    EXPECT_EQ(checkPickle(std::string("\x80\x02\x8e", 3) + le32(0x10) + le32(0x1) + "x.").verdict, Verdict::damaged);
    EXPECT_EQ(checkPickle("\x80\x02N").verdict, Verdict::damaged) << "no STOP";
    EXPECT_EQ(checkPickle("\x80\x02\xff.").verdict, Verdict::damaged) << "unknown opcode";
    EXPECT_EQ(checkPickle("\x80\x02" "cmodule\nname").verdict, Verdict::damaged) << "unterminated text";
}

TEST(ArchiveCheck, refusesDirectoryEntriesThatLie)
{
    auto zip = makeZip({ { "m/data/0", std::string(64, 'x') }, { "m/version", "3\n" } });
    ASSERT_TRUE(check(zip));
    const auto directory = std::string(zip.begin(), zip.end()).find("PK\x01\x02");
    ASSERT_NE(directory, std::string::npos);

    auto bigger = zip; // a stored record whose uncompressed size is 4 GB - 2
    bigger[directory + 24] = bigger[directory + 25] = bigger[directory + 26] = bigger[directory + 27] = '\xfe';
    EXPECT_EQ(check(bigger).verdict, Verdict::damaged);

    auto outside = zip; // a record starting past the directory
    outside[directory + 44] = '\x7f';
    EXPECT_EQ(check(outside).verdict, Verdict::damaged);

    auto method = zip; // an unknown compression method
    method[directory + 10] = 12;
    EXPECT_EQ(check(method).verdict, Verdict::damaged);
}

TEST(ArchiveCheck, refusesOverlappingRecordsAndDeepCode)
{
    auto zip = makeZip({ { "m/data/0", std::string(64, 'x') }, { "m/data/1", std::string(64, 'y') } });
    const auto text = std::string(zip.begin(), zip.end());
    const auto second = text.find("PK\x01\x02", text.find("PK\x01\x02") + 4);
    zip[second + 42] = zip[second + 43] = 0; // the second record's local header is the first's
    EXPECT_EQ(check(zip).verdict, Verdict::damaged);

    const auto nested = check(makeZip({ { "m/code/__torch__/m.py", std::string(300, '(') } }));
    EXPECT_EQ(nested.verdict, Verdict::damaged);
    EXPECT_NE(nested.reason.find("nests"), std::string::npos);
    EXPECT_TRUE(check(makeZip({ { "m/code/__torch__/m.py", "def f(x):\n  return (x)\n" } })));
}

TEST(ArchiveCheck, tellsNotAZipAndTooLargeApart)
{
    EXPECT_EQ(check({}).verdict, Verdict::notAZip);
    EXPECT_EQ(check(std::vector<char>(1000, 'z')).verdict, Verdict::notAZip);
    auto model = readFileBytes(TORCHAMP_DEFAULT_MODEL_PATH, FileLimits::maxModelBytes);
    ASSERT_TRUE(model);
    model->resize(model->size() / 2);
    EXPECT_EQ(check(*model).verdict, Verdict::notAZip) << "cut in half";
    std::vector<char> huge(ArchiveCheck::maxArchiveBytes + 1);
    EXPECT_EQ(check(huge).verdict, Verdict::tooLarge);
}

TEST(ArchiveCheck, theLoaderSaysWhatIsWrongBeforeLibTorchReadsIt)
{
    auto model = readFileBytes(TORCHAMP_DEFAULT_MODEL_PATH, FileLimits::maxModelBytes);
    ASSERT_TRUE(model);
    // Replace the stored data.pkl with a pickle of the same length that memoises at 458 million.
    const std::string text(model->begin(), model->end());
    auto u16 = [&](std::size_t at) { return static_cast<std::size_t>(static_cast<unsigned char>(text[at]))
                                            | static_cast<std::size_t>(static_cast<unsigned char>(text[at + 1])) << 8; };
    std::size_t data = std::string::npos;
    for (auto header = text.find("PK\x03\x04"); header != std::string::npos; header = text.find("PK\x03\x04", header + 4))
    {
        const auto name = text.substr(header + 30, u16(header + 26));
        if (name.size() > 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0)
            data = header + 30 + u16(header + 26) + u16(header + 28);
    }
    ASSERT_NE(data, std::string::npos);
    ASSERT_EQ(text.compare(data, 2, "\x80\x02"), 0) << "data.pkl is stored and starts with PROTO 2";
    const std::string evil = "\x80\x02N" "r" + le32(458000000) + ".";
    std::copy(evil.begin(), evil.end(), model->begin() + static_cast<std::ptrdiff_t>(data));
    auto loaded = loadModel(*model, "evil.pt");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().rfind("evil.pt: a damaged TorchScript archive", 0), 0u) << loaded.error();
    EXPECT_NE(loaded.error().find("memo index 458000000"), std::string::npos) << loaded.error();
}

} // namespace
} // namespace torchamp
