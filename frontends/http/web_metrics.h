// The counters pcfdemo-web exposes on GET /metrics that are not read from elsewhere at
// scrape time: requests answered by route and status, calls the receiver counted by
// strategy, runs triggered. Routes register their counters once at startup; counting is
// then lock-free.
//
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pcfdemo/strategy.h"

namespace pcfdemo::web {

struct RouteCounters {
  explicit RouteCounters(std::string route_label) : route(std::move(route_label)) {}

  void Count(int status) {
    if (status >= 100 && status < 600) by_status[status].fetch_add(1, std::memory_order_relaxed);
  }

  const std::string route;  // "GET /api/runs/:timestamp"
  std::array<std::atomic<uint64_t>, 600> by_status{};
};

class WebMetrics {
 public:
  // Counters for one route; the returned object lives as long as this one.
  RouteCounters* ForRoute(const std::string& route_label) {
    std::lock_guard<std::mutex> lock(mu_);
    routes_.push_back(std::make_unique<RouteCounters>(route_label));
    return routes_.back().get();
  }

  // The registered routes, for the scrape.
  std::vector<const RouteCounters*> routes() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<const RouteCounters*> list;
    for (const auto& route : routes_) list.push_back(route.get());
    return list;
  }

  void CountReceived(Strategy strategy) {
    received_[static_cast<size_t>(strategy)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t received(Strategy strategy) const {
    return received_[static_cast<size_t>(strategy)].load(std::memory_order_relaxed);
  }

  std::atomic<uint64_t> runs_triggered{0};
  std::atomic<uint64_t> runs_refused_busy{0};

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<RouteCounters>> routes_;
  std::array<std::atomic<uint64_t>, std::size(kAllStrategies)> received_{};
};

}  // namespace pcfdemo::web
