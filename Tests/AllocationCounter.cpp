// Counts every heap call made on a thread under test, by interposing malloc and friends (glibc
// exports __libc_malloc & co. for exactly this) and the global operator new and delete.

#include "AllocationCounter.h"

#include <cstdlib>
#include <new>

#if TORCHAMP_RTSAN || TORCHAMP_SANITIZED
// The sanitizers interpose malloc and operator new themselves. RealtimeSanitizer halts on any
// allocation in a real-time context, a stricter judge than this counter; under ThreadSanitizer
// and AddressSanitizer other things are tested. The counter is inert in those builds.
namespace torchamp::test
{
AllocationCounter::AllocationCounter() = default;
AllocationCounter::~AllocationCounter() = default;
long AllocationCounter::count() const
{
    return 0;
}
bool AllocationCounter::available()
{
    return false;
}
} // namespace torchamp::test
#else

extern "C"
{
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}

namespace
{
thread_local bool counting = false;
std::atomic<long> allocations { 0 };

inline void noteAllocation()
{
    if (counting)
        allocations.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

namespace torchamp::test
{
AllocationCounter::AllocationCounter()
{
    allocations = 0;
    counting = true;
}
AllocationCounter::~AllocationCounter()
{
    counting = false;
}
long AllocationCounter::count() const
{
    return allocations.load();
}
bool AllocationCounter::available()
{
    return true;
}
} // namespace torchamp::test

extern "C"
{
void* malloc(size_t n)
{
    noteAllocation();
    return __libc_malloc(n);
}
void* calloc(size_t a, size_t b)
{
    noteAllocation();
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n)
{
    noteAllocation();
    return __libc_realloc(p, n);
}
void free(void* p)
{
    if (p)
        noteAllocation();
    __libc_free(p);
}
}

void* operator new(size_t n)
{
    noteAllocation();
    if (void* p = __libc_malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept
{
    if (p)
        noteAllocation();
    __libc_free(p);
}
void operator delete(void* p, size_t) noexcept
{
    operator delete(p);
}

#endif
