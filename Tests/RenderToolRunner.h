#pragma once

// Runs the built torchamp-render as a user would: its exit code, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace torchamp::test
{

/** What a run of torchamp-render left behind. */
struct Run
{
    int exitCode = -1;
    std::string out; // stdout
    std::string err; // stderr
};

/** Runs the built torchamp-render with `arguments` (a shell command line's words) and waits for it. */
inline Run render(const std::string& arguments)
{
    const auto errFile =
        std::filesystem::temp_directory_path() / ("torchamp-render-err-" + std::to_string(::getpid()));
    // A render that hangs fails its test (exit 124) instead of stalling the suite.
    const std::string command =
        "timeout 120 " + std::string(TORCHAMP_RENDER_BIN) + " " + arguments + " 2>" + errFile.string();
    Run run;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return run;
    std::array<char, 4096> buffer{};
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        run.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (FILE* f = std::fopen(errFile.c_str(), "r"))
    {
        while (size_t n = std::fread(buffer.data(), 1, buffer.size(), f))
            run.err.append(buffer.data(), n);
        std::fclose(f);
    }
    std::filesystem::remove(errFile);
    return run;
}

/** The number after "key": in a one-line JSON object. */
inline double jsonNumber(const std::string& json, const std::string& key)
{
    const auto pos = json.find("\"" + key + "\":");
    if (pos == std::string::npos)
        return NAN;
    return std::strtod(json.c_str() + pos + key.size() + 3, nullptr);
}

} // namespace torchamp::test
