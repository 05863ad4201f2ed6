// readFileBytes(): what a user may point TorchAmp at instead of a model or an audio file.

#include "FileBytes.h"
#include "Limits.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace torchamp
{
namespace
{

namespace fs = std::filesystem;

fs::path tempPath(const std::string& name)
{
    return fs::temp_directory_path() / ("torchamp-filebytes-" + std::to_string(::getpid()) + "-" + name);
}

/** Bytes this process has read through read() and friends so far (Linux /proc/self/io). */
long long bytesReadSoFar()
{
    std::ifstream io("/proc/self/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value)
        if (key == "rchar:")
            return value;
    return -1;
}

std::string refusal(const std::string& path, std::size_t maxBytes = FileLimits::maxModelBytes)
{
    auto bytes = readFileBytes(path, maxBytes);
    return bytes ? std::string() : bytes.error();
}

TEST(FileBytes, readsARegularFileExactly)
{
    const auto path = tempPath("plain.bin");
    const std::string content = std::string("model\0bytes", 11) + std::string(100000, 'x');
    std::ofstream(path, std::ios::binary) << content;
    auto bytes = readFileBytes(path.string(), FileLimits::maxModelBytes);
    ASSERT_TRUE(bytes) << bytes.error();
    EXPECT_EQ(std::string(bytes->begin(), bytes->end()), content);
    fs::remove(path);
}

TEST(FileBytes, refusesAFileAboveTheLimitFromItsSizeWithoutReadingIt)
{
    // A sparse 2 GB file: no disk space, and reading it would take seconds and 2 GB of memory.
    const auto path = tempPath("huge.pt");
    {
        const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::ftruncate(fd, off_t{2048} << 20), 0);
        ::close(fd);
    }
    const auto before = bytesReadSoFar();
    const auto message = refusal(path.string());
    const auto read = bytesReadSoFar() - before;
    EXPECT_EQ(message, "torchamp-filebytes-" + std::to_string(::getpid()) +
                           "-huge.pt: the file is 2048 MB, above the 256 MB TorchAmp reads");
    EXPECT_LT(read, 65536) << "the refusal read the file";
    fs::remove(path);
}

TEST(FileBytes, refusesWhatIsNotARegularFileWithoutWaiting)
{
    const auto folder = tempPath("folder.pt");
    fs::create_directory(folder);
    EXPECT_NE(refusal(folder.string()).find("a folder, not a file"), std::string::npos)
        << refusal(folder.string());
    fs::remove(folder);

    // Opening a FIFO for reading would wait for a writer forever.
    const auto fifo = tempPath("fifo.wav");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    EXPECT_NE(refusal(fifo.string()).find("a named pipe (FIFO), not a file"), std::string::npos);
    fs::remove(fifo);

    // An endless device would be read until memory runs out.
    EXPECT_EQ(refusal("/dev/zero"), "zero: a device, not a file");
}

TEST(FileBytes, refusesAFileThatChangesWhileItIsRead)
{
    // procfs files state a size of 0 and then deliver text: as a file that grew after its size was taken.
    const auto message = refusal("/proc/self/status");
    EXPECT_NE(message.find("status: the file changed while it was read (0 bytes expected, more found)"),
              std::string::npos)
        << message;
}

TEST(FileBytes, aMissingFileSaysSoWithItsName)
{
    EXPECT_EQ(refusal("/nonexistent/amp.nam"), "amp.nam: cannot open the file (No such file or directory)");
}

TEST(FileBytes, aFileOfExactlyTheLimitIsReadAndOneByteMoreIsNot)
{
    const auto path = tempPath("exact.bin");
    std::ofstream(path, std::ios::binary) << std::string(1000, 'a');
    EXPECT_TRUE(readFileBytes(path.string(), 1000));
    EXPECT_NE(refusal(path.string(), 999).find("above the"), std::string::npos);
    fs::remove(path);
}

} // namespace
} // namespace torchamp
