#pragma once

#include <atomic>

namespace torchamp::test
{

/** Counts heap calls (malloc, calloc, realloc, free, new, delete) made by the constructing thread
    while in scope. Link AllocationCounter.cpp into the test executable. */
class AllocationCounter
{
public:
    AllocationCounter();
    ~AllocationCounter();
    AllocationCounter(const AllocationCounter&) = delete;
    AllocationCounter& operator=(const AllocationCounter&) = delete;

    long count() const;

    /// False in the sanitizer builds, whose own malloc interceptors replace this counter's; there
    /// it always reports 0 (in the RealtimeSanitizer build RTSan is the judge).
    static bool available();
};

} // namespace torchamp::test
