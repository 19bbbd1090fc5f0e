#include "worker_process.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

namespace pcfdemo::worker {

namespace {

std::mutex log_mutex;

std::string UtcTimestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[80];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

std::string StoppingMessage(const std::string& worker_id, int signal) {
  return std::string("worker ") + worker_id + " stopping on " +
         (signal == SIGTERM ? "SIGTERM" : "SIGINT");
}

std::string NewWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "localhost");
  }
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(random() & 0xffffff));
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

void LogLine(const std::string& format, const std::string& level, const std::string& component,
             const std::string& message) {
  std::string line;
  if (format == "json") {
    nlohmann::json entry = {
        {"time", UtcTimestamp()}, {"level", level}, {"component", component}, {"message", message}};
    line = entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = UtcTimestamp() + " " + level + " " + component + ": " + message;
  }
  std::lock_guard<std::mutex> lock(log_mutex);
  std::cerr << line << std::endl;
}

TerminationSignals::TerminationSignals(std::function<void(int signal)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this] { Wait(); });
}

TerminationSignals::~TerminationSignals() {
  closing_ = true;
  // Wakes the waiter; it sees `closing_` and returns without calling on_signal.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void TerminationSignals::Wait() {
  sigset_t set = TerminationSet();
  while (true) {
    int signal = 0;
    if (sigwait(&set, &signal) != 0) continue;
    if (closing_.load()) return;
    if (received_.exchange(signal) != 0) {
      // A second signal: the operator does not want to wait for the orderly stop.
      std::_Exit(128 + signal);
    }
    if (on_signal_) on_signal_(signal);
  }
}

}  // namespace pcfdemo::worker
