#include "FileBytes.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace torchamp
{

namespace
{

/** Closes a file descriptor on every path out. */
struct FileDescriptor
{
    int fd = -1;
    ~FileDescriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

std::string megabytes(std::size_t bytes)
{
    return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MB";
}

std::string describeNotRegular(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder, not a file";
    if (S_ISFIFO(mode))
        return "a named pipe (FIFO), not a file";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device, not a file";
    if (S_ISSOCK(mode))
        return "a socket, not a file";
    return "not a regular file";
}

} // namespace

std::string fileNameOf(const std::string& path)
{
    const auto slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::vector<char>> readFileBytes(const std::string& path, std::size_t maxBytes)
{
    using R = Result<std::vector<char>>;
    const auto name = fileNameOf(path);
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on the open
    // descriptor, so the file cannot be swapped for another between the check and the read.
    FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
    if (file.fd < 0)
        return R::failure(name + ": cannot open the file (" + std::strerror(errno) + ")");
    struct stat info
    {
    };
    if (::fstat(file.fd, &info) != 0)
        return R::failure(name + ": cannot read the file's size (" + std::strerror(errno) + ")");
    if (!S_ISREG(info.st_mode))
        return R::failure(name + ": " + describeNotRegular(info.st_mode));
    const auto size = static_cast<std::size_t>(info.st_size);
    if (size > maxBytes)
        return R::failure(name + ": the file is " + megabytes(size) + ", above the " + megabytes(maxBytes) +
                          " TorchAmp reads");

    // One byte more than the size: getting it means the file grew while being read.
    std::vector<char> bytes(size + 1);
    std::size_t done = 0;
    while (done < bytes.size())
    {
        const auto got = ::read(file.fd, bytes.data() + done, bytes.size() - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return R::failure(name + ": reading the file failed (" + std::strerror(errno) + ")");
        if (got == 0)
            break;
        done += static_cast<std::size_t>(got);
    }
    if (done != size)
        return R::failure(name + ": the file changed while it was read (" + std::to_string(size) +
                          " bytes expected, " + (done > size ? "more" : std::to_string(done)) +
                          " found); try again once it is complete");
    bytes.resize(size);
    return R::success(std::move(bytes));
}

} // namespace torchamp
