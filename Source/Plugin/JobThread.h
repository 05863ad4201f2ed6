#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace torchamp
{

/** A thread of its own that runs posted jobs one after another, in order: the plugin's file work
    (impulse responses, presets, the library's scan) and model loads (ModelLoadWorker, on a thread of
    its own) that must stay off the message thread and the audio thread.

    Threads: post() and waitUntilIdle() from any thread but the audio thread (a job may post
    another); the jobs run on the thread. Destruction drops jobs that have not started and waits
    for the running one. */
class JobThread
{
public:
    using Job = std::function<void()>;

    JobThread();
    ~JobThread();

    /// Queues `job` after those already queued.
    void post(Job job);

    /// Blocks until no job is queued or running, or the timeout passes. True when idle. Not from
    /// a job of this thread.
    bool waitUntilIdle(int timeoutMs);

    /// Whether a job is queued or running.
    bool isBusy() const;

private:
    void run();

    mutable std::mutex mutex;
    std::condition_variable wake, idle;
    std::deque<Job> queue;
    bool busy = false;
    bool stopping = false;
    std::thread thread;
};

} // namespace torchamp
