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

    /// False in the RealtimeSanitizer build, where RTSan's own malloc interceptors are the judge
    /// and this counter always reports 0.
    static bool available();
};

} // namespace torchamp::test
