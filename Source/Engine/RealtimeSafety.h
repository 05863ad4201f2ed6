#pragma once

// Real-time safety annotations and helpers shared by everything that runs on the audio thread.

#if defined(__SSE__) || defined(_M_X64) || defined(__x86_64__)
#include <xmmintrin.h>
#define TORCHAMP_HAS_MXCSR 1
#endif

// Marks a function as callable from the audio thread. Under clang 20+ it becomes
// [[clang::nonblocking]]: the compiler checks what the function calls, and with
// -fsanitize=realtime every call is a real-time context in which RealtimeSanitizer halts on
// allocation, locks, and system calls. Place it after `noexcept`.
#if defined(__clang__) && (__clang_major__ >= 20)
#define TORCHAMP_NONBLOCKING [[clang::nonblocking]]
#else
#define TORCHAMP_NONBLOCKING
#endif

namespace torchamp
{

/** Sets flush-to-zero and denormals-are-zero for the current thread while in scope, so a decaying
    recurrent state never enters the slow denormal range. Audio thread. */
class ScopedFlushDenormals
{
public:
    ScopedFlushDenormals() noexcept TORCHAMP_NONBLOCKING
    {
#if defined(TORCHAMP_HAS_MXCSR)
        saved = _mm_getcsr();
        _mm_setcsr(saved | 0x8040u); // FTZ (bit 15) | DAZ (bit 6)
#elif defined(__aarch64__)
        asm volatile("mrs %0, fpcr" : "=r"(saved));
        asm volatile("msr fpcr, %0" : : "r"(saved | (1ull << 24)));
#endif
    }

    ~ScopedFlushDenormals() noexcept TORCHAMP_NONBLOCKING
    {
#if defined(TORCHAMP_HAS_MXCSR)
        _mm_setcsr(saved);
#elif defined(__aarch64__)
        asm volatile("msr fpcr, %0" : : "r"(saved));
#endif
    }

    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
#if defined(__aarch64__)
    unsigned long long saved = 0;
#else
    unsigned int saved = 0;
#endif
};

} // namespace torchamp
