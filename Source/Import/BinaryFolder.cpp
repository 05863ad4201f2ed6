#include "BinaryFolder.h"

#include <climits>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>

namespace torchamp
{

std::string folderOfThisBinary()
{
    Dl_info info{};
    std::string path;
    if (::dladdr(reinterpret_cast<void*>(&folderOfThisBinary), &info) != 0 && info.dli_fname != nullptr &&
        std::strchr(info.dli_fname, '/') != nullptr)
        path = info.dli_fname;
    else
        path = "/proc/self/exe"; // an executable started from the PATH names itself without a folder
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr)
        return {};
    path = resolved;
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

} // namespace torchamp
