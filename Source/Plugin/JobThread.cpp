#include "JobThread.h"

#include <chrono>

namespace torchamp
{

JobThread::JobThread()
{
    thread = std::thread([this] { run(); });
}

JobThread::~JobThread()
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
        queue.clear();
    }
    wake.notify_all();
    thread.join();
}

void JobThread::post(Job job)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping)
            return;
        queue.push_back(std::move(job));
    }
    wake.notify_all();
}

bool JobThread::waitUntilIdle(int timeoutMs)
{
    std::unique_lock<std::mutex> lock(mutex);
    return idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                         [this] { return queue.empty() && !busy; });
}

bool JobThread::isBusy() const
{
    std::lock_guard<std::mutex> lock(mutex);
    return busy || !queue.empty();
}

void JobThread::run()
{
    for (;;)
    {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [this] { return stopping || !queue.empty(); });
            if (stopping)
                return;
            job = std::move(queue.front());
            queue.pop_front();
            busy = true;
        }
        job();
        job = nullptr; // what the job holds is released before anyone waiting for idle wakes
        {
            std::lock_guard<std::mutex> lock(mutex);
            busy = false;
        }
        idle.notify_all();
    }
}

} // namespace torchamp
