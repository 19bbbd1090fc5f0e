// What every pcfdemo-worker command needs from its process: a worker id unique among the
// workers sharing a store, log lines on stderr, and an orderly stop on SIGTERM / SIGINT.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace pcfdemo::worker {

// "<hostname>-<pid>-<6 random hex digits>": unique among the workers of a platform.
std::string NewWorkerId();

// The log line for a worker that stops on `signal`: "worker <id> stopping on SIGTERM" (or
// SIGINT for any other signal).
std::string StoppingMessage(const std::string& worker_id, int signal);

// Writes one log line to stderr: "<UTC time> <level> <component>: <message>", or with
// format "json" one JSON object {"time","level","component","message"}. Thread-safe.
void LogLine(const std::string& format, const std::string& level, const std::string& component,
             const std::string& message);

// Blocks SIGINT and SIGTERM in the calling thread and every thread it creates afterwards,
// and calls `on_signal` from a thread of its own when the first of them arrives; a second one
// ends the process at once. The destructor stops the waiting thread and unblocks the signals.
// REQUIRES: constructed before the process starts any other thread.
class TerminationSignals {
 public:
  explicit TerminationSignals(std::function<void(int signal)> on_signal);
  TerminationSignals(const TerminationSignals&) = delete;
  TerminationSignals& operator=(const TerminationSignals&) = delete;
  ~TerminationSignals();

  // The signal that arrived, 0 while none did.
  int received() const { return received_.load(); }

 private:
  void Wait();

  std::function<void(int)> on_signal_;
  std::atomic<int> received_{0};
  std::atomic<bool> closing_{false};
  std::thread waiter_;
};

}  // namespace pcfdemo::worker
