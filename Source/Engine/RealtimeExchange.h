#pragma once

#include "RealtimeSafety.h"

#include <atomic>
#include <memory>
#include <mutex>

namespace torchamp
{

/** Hands objects (a model, an impulse response) from the threads that build them to the audio
    thread and back, without the audio thread ever allocating, freeing, locking or waiting.

    Any non-audio thread publish()es a new object; at the start of a block the audio thread
    pickUp()s the newest one, which becomes current() while the one it replaces stays previous()
    (for a crossfade) until the audio thread retirePrevious()es it; collectGarbage() then frees it
    off the audio thread. At most one retired object waits to be freed: until it is collected the
    audio thread keeps the previous one and picks nothing new up.

    Threads: publish(), collectGarbage() and withNewest() from any thread but the audio thread
    (they serialise on a mutex the audio thread never takes); takeNewest() and install() only
    while the audio thread is stopped (prepare); current(), previous(), pickUp() and
    retirePrevious() on the audio thread. */
template <typename T>
class RealtimeExchange
{
public:
    RealtimeExchange() = default;
    RealtimeExchange(const RealtimeExchange&) = delete;
    RealtimeExchange& operator=(const RealtimeExchange&) = delete;

    ~RealtimeExchange()
    {
        delete pending.exchange(nullptr);
        delete retired.exchange(nullptr);
        if (previousObject != currentObject)
            delete previousObject;
        delete currentObject;
    }

    /// Hands `object` to the audio thread, wait-free for it. An object published before that the
    /// audio thread has not picked up yet is freed here (it never played). Not the audio thread.
    void publish(std::unique_ptr<T> object)
    {
        std::lock_guard<std::mutex> lock(mutex);
        T* fresh = object.release();
        newest.store(fresh, std::memory_order_release);
        delete pending.exchange(fresh, std::memory_order_acq_rel);
    }

    /// Frees the object the audio thread has retired, if any. Not the audio thread.
    void collectGarbage()
    {
        std::lock_guard<std::mutex> lock(mutex);
        delete retired.exchange(nullptr, std::memory_order_acq_rel);
    }

    /// Returns f(newest), where newest is the object published last (playing, or about to be
    /// picked up) or null; it stays alive while f runs. Not the audio thread.
    template <typename F>
    auto withNewest(F&& f) const
    {
        std::lock_guard<std::mutex> lock(mutex);
        return f(static_cast<const T*>(newest.load(std::memory_order_acquire)));
    }

    /// While the audio thread is stopped: takes out the newest object (the one waiting to be
    /// picked up, else the current one) and frees every other. Null when there is none.
    std::unique_ptr<T> takeNewest()
    {
        std::lock_guard<std::mutex> lock(mutex);
        T* chosen = pending.exchange(nullptr);
        if (chosen == nullptr)
            chosen = currentObject;
        else
            delete currentObject;
        if (previousObject != currentObject)
            delete previousObject;
        delete retired.exchange(nullptr);
        currentObject = previousObject = nullptr;
        newest.store(nullptr);
        return std::unique_ptr<T>(chosen);
    }

    /// While the audio thread is stopped (after takeNewest()): `object` plays from the next block
    /// on, with nothing fading out.
    void install(std::unique_ptr<T> object)
    {
        std::lock_guard<std::mutex> lock(mutex);
        delete currentObject;
        currentObject = object.release();
        newest.store(currentObject);
    }

    /// The object playing, or null. Audio thread (or a thread standing in for it offline).
    T* current() const noexcept { return currentObject; }

    /// The object current() replaced, until retirePrevious(); null when none. Audio thread.
    T* previous() const noexcept { return previousObject; }

    /// The object published and not yet picked up, or null. Offline rendering only.
    T* waiting() const noexcept { return pending.load(std::memory_order_acquire); }

    /// When nothing is previous(), makes a newly published object current() and the old current
    /// one previous(). Returns whether it did. Audio thread.
    bool pickUp() noexcept TORCHAMP_NONBLOCKING
    {
        if (previousObject != nullptr)
            return false;
        T* fresh = pending.exchange(nullptr, std::memory_order_acq_rel);
        if (fresh == nullptr)
            return false;
        previousObject = currentObject;
        currentObject = fresh;
        return true;
    }

    /// Hands previous() back to be freed off the audio thread. Returns false, and keeps it, while
    /// the object retired before has not been collected. Audio thread.
    bool retirePrevious() noexcept TORCHAMP_NONBLOCKING
    {
        if (previousObject == nullptr)
            return true;
        T* expected = nullptr;
        if (!retired.compare_exchange_strong(expected, previousObject, std::memory_order_acq_rel))
            return false;
        previousObject = nullptr;
        return true;
    }

private:
    mutable std::mutex mutex;         // between non-audio threads only
    std::atomic<T*> pending{nullptr}; // published, not yet picked up
    std::atomic<T*> retired{nullptr}; // done with, to be freed off the audio thread
    std::atomic<T*> newest{nullptr};  // for withNewest()
    T* currentObject = nullptr;       // the audio thread's
    T* previousObject = nullptr;      // the audio thread's
};

} // namespace torchamp
