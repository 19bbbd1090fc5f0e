#include "pcfdemo/http_client.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace pcfdemo {

int64_t HttpClient::GetRepeatedly(const RepeatedGet& plan, const AnswerSink& on_answer) {
  const int64_t total = std::max<int64_t>(plan.calls, 0);
  if (total == 0) return 0;
  const int lanes = static_cast<int>(std::clamp<int64_t>(plan.concurrency, 1, total));

  std::atomic<int64_t> claimed{0};
  std::atomic<int64_t> made{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::exception_ptr failure;  // the first exception thrown by on_answer

  auto cancelled = [&plan] { return plan.cancel != nullptr && plan.cancel->load(); };

  auto call_until_done = [&](int lane) {
    try {
      // Limitation: Get cannot be interrupted, so a cancel only stops new calls here.
      while (!stop.load() && !cancelled() && claimed.fetch_add(1) < total) {
        HttpResponse response;
        try {
          response = Get(plan.url, plan.timeout);
        } catch (const std::exception& e) {
          response = HttpResponse{};
          response.error = e.what();
        } catch (...) {
          response = HttpResponse{};
          response.error = "unknown exception";
        }
        ++made;
        if (!on_answer(lane, response)) stop = true;
      }
    } catch (...) {
      stop = true;
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };

  // The calling thread is lane 0; the other lanes get threads of their own.
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(lanes - 1));
  for (int lane = 1; lane < lanes; ++lane) {
    try {
      threads.emplace_back(call_until_done, lane);
    } catch (const std::system_error&) {
      // Limitation: when the system refuses more threads, the run goes on with fewer callers
      // than planned rather than failing; raising the process's thread limit lifts this.
      break;
    }
  }
  call_until_done(0);
  for (auto& thread : threads) thread.join();

  if (failure) std::rethrow_exception(failure);
  return made.load();
}

}  // namespace pcfdemo
