#pragma once

// What the command-line tools share: order statistics of their timings and one line of a
// /proc file for the machine description in their JSON.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

namespace torchamp::tools
{

/** Index of the p-quantile among n sorted values, by nearest rank (p = 1: the largest). */
inline std::size_t quantileIndex(std::size_t n, double p)
{
    const double rank = std::ceil(p * static_cast<double>(n)) - 1.0;
    return std::min(n - 1, static_cast<std::size_t>(std::max(0.0, rank)));
}

/** The p-quantile of values already in ascending order; 0 when there are none. */
inline double sortedQuantile(const std::vector<double>& sorted, double p)
{
    return sorted.empty() ? 0.0 : sorted[quantileIndex(sorted.size(), p)];
}

/** The p-quantile of v by nearest rank; 0 when v is empty. */
inline double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0.0;
    const auto k = quantileIndex(v.size(), p);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

inline double median(std::vector<double> v)
{
    return percentile(std::move(v), 0.5);
}

/** The first line of `path`, or with a prefix the text after ": " on the first line starting
    with it (as in /proc/cpuinfo's "model name : ..."); "?" when there is none. */
inline std::string readProcLine(const std::string& path, const std::string& prefix = "")
{
    std::ifstream f(path);
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(prefix, 0) == 0)
        {
            if (prefix.empty())
                return line;
            const auto colon = line.find(':');
            return line.substr(colon == std::string::npos ? prefix.size() : std::min(line.size(), colon + 2));
        }
    return "?";
}

} // namespace torchamp::tools
