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
};

} // namespace torchamp::test
