#include "pcfdemo/request_fanout.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pcfdemo/curl_http_client.h"
#include "support/loopback_http_server.h"

namespace pcfdemo {
namespace {

using test::LoopbackHttpServer;

// A clock whose monotonic time only moves when a test (or the fake client) advances it.
class SteppedClock : public Clock {
 public:
  int64_t NowMicros() override { return 1'700'000'000'000'000 + now_.load(); }
  int64_t MonotonicMicros() override { return now_.load(); }
  void SleepForMicros(int64_t micros) override { now_ += micros; }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  std::atomic<int64_t> now_{0};
};

// An HttpClient that answers from a function of the call number, counts calls in flight,
// and optionally advances a clock per call.
class FakeHttpClient : public HttpClient {
 public:
  using Answer = std::function<HttpResponse(int64_t call)>;

  explicit FakeHttpClient(Answer answer) : answer_(std::move(answer)) {}

  HttpResponse Get(const std::string& url, std::chrono::milliseconds) override {
    int64_t call = calls_++;
    int in_flight = ++in_flight_;
    int seen = max_in_flight_.load();
    while (in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, in_flight)) {
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_url_ = url;
    }
    if (hold_) std::this_thread::yield();  // let other callers overlap with this one
    if (clock_ != nullptr) clock_->Advance(advance_per_call_);
    HttpResponse response = answer_(call);
    --in_flight_;
    return response;
  }

  void AdvanceClockPerCall(SteppedClock* clock, int64_t micros) {
    clock_ = clock;
    advance_per_call_ = micros;
  }
  void YieldDuringCalls() { hold_ = true; }

  int64_t calls() const { return calls_.load(); }
  int max_in_flight() const { return max_in_flight_.load(); }
  std::string last_url() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_url_;
  }

 private:
  Answer answer_;
  std::atomic<int64_t> calls_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  SteppedClock* clock_ = nullptr;
  int64_t advance_per_call_ = 0;
  bool hold_ = false;
  std::mutex mutex_;
  std::string last_url_;
};

HttpResponse Answer(int status, std::string instance, double latency_ms) {
  HttpResponse response;
  response.status = status;
  response.instance = std::move(instance);
  response.latency_ms = latency_ms;
  return response;
}

HttpResponse NoAnswer(std::string error) {
  HttpResponse response;
  response.error = std::move(error);
  response.latency_ms = 10000;
  return response;
}

FanoutPlan Plan(int64_t calls, int concurrency) {
  FanoutPlan plan;
  plan.url = "http://127.0.0.1:1/receiver?timestamp=1";
  plan.calls = calls;
  plan.concurrency = concurrency;
  return plan;
}

TEST(RequestFanoutTest, CountsCallsByStatusAndInstance) {
  FakeHttpClient client([](int64_t call) {
    if (call % 10 == 9) return NoAnswer("Timeout was reached");
    if (call % 10 == 8) return Answer(503, "", 2.0);
    return Answer(200, call % 2 == 0 ? "instance-0" : "instance-1", 1.0);
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(1000, 7));

  EXPECT_EQ(client.calls(), 1000);
  EXPECT_EQ(client.last_url(), "http://127.0.0.1:1/receiver?timestamp=1");
  EXPECT_EQ(report.calls_made, 1000);
  EXPECT_EQ(report.succeeded, 800);
  EXPECT_EQ(report.failed, 200);
  EXPECT_EQ(report.by_status, (std::map<int, int64_t>{{0, 100}, {200, 800}, {503, 100}}));
  EXPECT_EQ(report.by_instance,
            (std::map<std::string, int64_t>{{"instance-0", 400}, {"instance-1", 400}}));
  EXPECT_EQ(report.errors, (std::map<std::string, int64_t>{{"Timeout was reached", 100}}));
  EXPECT_FALSE(report.cancelled);
}

TEST(RequestFanoutTest, PercentilesComeFromAnsweredCallsWithinBucketError) {
  // Call i takes (i + 1) ms: p50 of 1..1000 ms is 500 ms, p95 950 ms, p99 990 ms.
  FakeHttpClient client([](int64_t call) { return Answer(200, "a", (call + 1) * 1.0); });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(1000, 4));

  EXPECT_NEAR(report.latency.p50_ms, 500, 500 * 0.03);
  EXPECT_NEAR(report.latency.p95_ms, 950, 950 * 0.03);
  EXPECT_NEAR(report.latency.p99_ms, 990, 990 * 0.03);
}

TEST(RequestFanoutTest, UnansweredCallsDoNotCountInLatency) {
  FakeHttpClient client([](int64_t call) {
    return call % 2 == 0 ? Answer(200, "a", 3.0) : NoAnswer("Couldn't connect to server");
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(100, 3));

  EXPECT_NEAR(report.latency.p99_ms, 3.0, 3.0 * 0.03);
  EXPECT_EQ(report.errors.at("Couldn't connect to server"), 50);
}

TEST(RequestFanoutTest, NeverExceedsTheConcurrencyAsked) {
  SteppedClock clock;
  for (int concurrency : {1, 3, 8}) {
    FakeHttpClient counted([](int64_t) { return Answer(200, "a", 1.0); });
    counted.YieldDuringCalls();
    RequestFanout bounded(&counted, &clock);
    FanoutReport report = bounded.Run(Plan(2000, concurrency));
    EXPECT_EQ(report.calls_made, 2000);
    EXPECT_LE(counted.max_in_flight(), concurrency) << concurrency;
    EXPECT_GE(counted.max_in_flight(), 1);
  }
}

TEST(RequestFanoutTest, UsesSeveralCallersConcurrently) {
  // Each call waits until two calls are in flight at once (bounded wait), proving that
  // concurrency > 1 really overlaps calls.
  std::atomic<int> in_flight{0};
  std::atomic<bool> overlapped{false};
  FakeHttpClient client([&](int64_t) {
    ++in_flight;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (in_flight.load() < 2 && !overlapped.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    if (in_flight.load() >= 2) overlapped = true;
    --in_flight;
    return Answer(200, "a", 1.0);
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(4, 2));

  EXPECT_EQ(report.calls_made, 4);
  EXPECT_TRUE(overlapped.load());
}

TEST(RequestFanoutTest, CancellationStopsStartingCallsWithOneCaller) {
  std::atomic<bool> cancel{false};
  FakeHttpClient client([&](int64_t call) {
    if (call == 49) cancel = true;
    return Answer(200, "a", 1.0);
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(100000, 1), {}, &cancel);

  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.calls_made, 50);
  EXPECT_EQ(client.calls(), 50);
}

TEST(RequestFanoutTest, CancellationLetsOnlyCallsAlreadyStartedFinish) {
  std::atomic<bool> cancel{false};
  std::atomic<int> answered_after_cancel{0};
  FakeHttpClient client([&](int64_t call) {
    if (cancel.load()) ++answered_after_cancel;
    if (call == 49) cancel = true;
    return Answer(200, "a", 1.0);
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(100000, 4), {}, &cancel);

  EXPECT_TRUE(report.cancelled);
  EXPECT_GE(report.calls_made, 50);
  EXPECT_EQ(report.calls_made, client.calls());
  // Each of the other three callers may have passed its check just before the flag rose.
  EXPECT_LE(answered_after_cancel.load(), 3);
}

TEST(RequestFanoutTest, CancelledBeforeStartMakesNoCall) {
  std::atomic<bool> cancel{true};
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(10, 2), {}, &cancel);

  EXPECT_EQ(client.calls(), 0);
  EXPECT_TRUE(report.cancelled);
}

TEST(RequestFanoutTest, ProgressIsRateLimitedMonotonicAndEndsAtTotal) {
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  SteppedClock clock;
  client.AdvanceClockPerCall(&clock, 50'000);  // each call takes 50 ms of clock time
  RequestFanout fanout(&client, &clock);
  std::vector<FanoutProgress> seen;

  FanoutReport report = fanout.Run(
      Plan(100, 1), [&](const FanoutProgress& p) { seen.push_back(p); }, nullptr,
      std::chrono::milliseconds(200));

  // 100 calls x 50 ms = 5 s of clock time at most one report per 200 ms: 25, plus the end.
  ASSERT_EQ(seen.size(), 26u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].done, seen[i - 1].done);
    EXPECT_EQ(seen[i].done, seen[i].succeeded + seen[i].failed);
    EXPECT_EQ(seen[i].total, 100);
  }
  EXPECT_EQ(seen.front().done, 4);
  EXPECT_EQ(seen.back().done, 100);
  EXPECT_EQ(seen.back().succeeded, 100);
  EXPECT_DOUBLE_EQ(report.elapsed_s, 5.0);
  EXPECT_DOUBLE_EQ(report.calls_per_second(), 20.0);
}

TEST(RequestFanoutTest, ProgressFromManyCallersNeverGoesBackwards) {
  FakeHttpClient client(
      [](int64_t call) { return call % 5 == 0 ? Answer(500, "b", 1.0) : Answer(200, "a", 1.0); });
  SteppedClock clock;
  client.AdvanceClockPerCall(&clock, 1000);
  RequestFanout fanout(&client, &clock);
  std::mutex mutex;
  std::vector<FanoutProgress> seen;

  fanout.Run(
      Plan(5000, 8),
      [&](const FanoutProgress& p) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(p);
      },
      nullptr, std::chrono::milliseconds(10));

  ASSERT_GE(seen.size(), 2u);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].done, seen[i - 1].done);
    EXPECT_GE(seen[i].failed, seen[i - 1].failed);
  }
  EXPECT_EQ(seen.back().done, 5000);
  EXPECT_EQ(seen.back().failed, 1000);
}

TEST(RequestFanoutTest, ZeroCallsMakesNoCallAndReportsFinalProgress) {
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);
  std::vector<FanoutProgress> seen;

  FanoutReport report = fanout.Run(Plan(0, 8), [&](const FanoutProgress& p) { seen.push_back(p); });

  EXPECT_EQ(client.calls(), 0);
  EXPECT_EQ(report.calls_made, 0);
  EXPECT_FALSE(report.cancelled);
  EXPECT_EQ(report.latency.p99_ms, 0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].done, 0);
  EXPECT_EQ(seen[0].total, 0);
}

TEST(RequestFanoutTest, ErrorTextsAreCappedAtSixteen) {
  FakeHttpClient client(
      [](int64_t call) { return NoAnswer("error number " + std::to_string(call % 40)); });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(400, 4));

  EXPECT_EQ(report.errors.size(), 16u);
  int64_t counted = 0;
  for (const auto& [text, n] : report.errors) counted += n;
  EXPECT_EQ(counted, 400);  // every failed call is still counted somewhere
  EXPECT_EQ(report.failed, 400);
}

TEST(RequestFanoutTest, AClientThatThrowsCountsAsAnUnansweredCall) {
  FakeHttpClient client([](int64_t call) -> HttpResponse {
    if (call % 2 == 0) throw std::runtime_error("client broke");
    return Answer(200, "a", 1.0);
  });
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(10, 2));

  EXPECT_EQ(report.succeeded, 5);
  EXPECT_EQ(report.by_status.at(0), 5);
  EXPECT_EQ(report.errors.at("client broke"), 5);
}

// A client whose run of calls is its own: it reports answers on its lanes in turn without
// calling Get, as a client with an event loop does, and records the plan it was given.
class LaneReportingClient : public HttpClient {
 public:
  HttpResponse Get(const std::string&, std::chrono::milliseconds) override {
    ++gets_;
    return Answer(200, "get", 1.0);
  }

  int64_t GetRepeatedly(const RepeatedGet& plan, const AnswerSink& on_answer) override {
    plan_ = plan;
    int64_t made = 0;
    while (made < plan.calls) {
      int lane = static_cast<int>(made % plan.concurrency);
      HttpResponse response = made % 3 == 2 ? NoAnswer("Timeout was reached")
                                            : Answer(200, "lane-" + std::to_string(lane), 2.0);
      ++made;
      if (!on_answer(lane, response)) break;
    }
    return made;
  }

  RepeatedGet plan() const { return plan_; }
  int gets() const { return gets_; }

 private:
  RepeatedGet plan_;
  int gets_ = 0;
};

TEST(RequestFanoutTest, MakesItsCallsThroughTheClientsGetRepeatedly) {
  LaneReportingClient client;
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);
  FanoutPlan plan = Plan(30, 3);
  plan.timeout = std::chrono::milliseconds(1234);

  FanoutReport report = fanout.Run(plan);

  EXPECT_EQ(client.gets(), 0);
  EXPECT_EQ(client.plan().url, plan.url);
  EXPECT_EQ(client.plan().calls, 30);
  EXPECT_EQ(client.plan().concurrency, 3);
  EXPECT_EQ(client.plan().timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(report.calls_made, 30);
  EXPECT_EQ(report.succeeded, 20);
  EXPECT_EQ(report.errors, (std::map<std::string, int64_t>{{"Timeout was reached", 10}}));
  // Call i is on lane i % 3 and fails when i % 3 == 2: lanes 0 and 1 answer 10 calls each.
  EXPECT_EQ(report.by_instance, (std::map<std::string, int64_t>{{"lane-0", 10}, {"lane-1", 10}}));
}

TEST(RequestFanoutTest, AsksForNoFurtherCallOnceCancelled) {
  LaneReportingClient client;
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);
  std::atomic<bool> cancel{false};
  int64_t progress_seen = 0;

  FanoutReport report = fanout.Run(
      Plan(1000, 4),
      [&](const FanoutProgress& p) {
        progress_seen = p.done;
        if (p.done >= 5) cancel = true;
      },
      &cancel, std::chrono::milliseconds(0));

  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.calls_made, 5);
  EXPECT_EQ(progress_seen, 5);
}

TEST(RequestFanoutTest, AsksForNoMoreLanesThanCalls) {
  LaneReportingClient client;
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);

  FanoutReport report = fanout.Run(Plan(2, 64));

  EXPECT_EQ(client.plan().concurrency, 2);
  EXPECT_EQ(report.calls_made, 2);
}

TEST(HttpClientDefaultGetRepeatedlyTest, CallsOfALaneNeverOverlap) {
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  client.YieldDuringCalls();
  constexpr int kLanes = 6;
  RepeatedGet plan;
  plan.url = "http://127.0.0.1:1/";
  plan.calls = 3000;
  plan.concurrency = kLanes;
  std::vector<std::atomic<bool>> busy(kLanes);
  std::vector<std::thread::id> thread_of_lane(kLanes);  // per-lane state, kept without a lock
  std::vector<int64_t> calls_of_lane(kLanes, 0);
  std::atomic<int> overlaps{0};
  std::atomic<int> lane_changed_thread{0};

  int64_t made = client.GetRepeatedly(plan, [&](int lane, const HttpResponse&) {
    auto index = static_cast<size_t>(lane);
    if (busy[index].exchange(true)) ++overlaps;
    if (calls_of_lane[index]++ == 0) {
      thread_of_lane[index] = std::this_thread::get_id();
    } else if (thread_of_lane[index] != std::this_thread::get_id()) {
      ++lane_changed_thread;  // Get is synchronous: one thread per lane means no overlap
    }
    std::this_thread::yield();
    busy[index] = false;
    return true;
  });

  EXPECT_EQ(made, 3000);
  EXPECT_EQ(client.calls(), 3000);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(lane_changed_thread.load(), 0);
  EXPECT_LE(client.max_in_flight(), kLanes);
  int64_t counted = 0;
  for (int64_t n : calls_of_lane) counted += n;
  EXPECT_EQ(counted, 3000);
}

TEST(HttpClientDefaultGetRepeatedlyTest, ASinkThatSaysNoStopsTheOtherLanesToo) {
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  RepeatedGet plan;
  plan.url = "http://127.0.0.1:1/";
  plan.calls = 100000;
  plan.concurrency = 4;
  std::atomic<int64_t> answered{0};

  int64_t made =
      client.GetRepeatedly(plan, [&](int, const HttpResponse&) { return ++answered < 20; });

  EXPECT_GE(made, 20);
  EXPECT_LE(made, 20 + 3);  // each other lane may have started one call before the no
  EXPECT_EQ(made, answered.load());
  EXPECT_EQ(made, client.calls());
}

TEST(HttpClientDefaultGetRepeatedlyTest, ASinkThatThrowsEndsTheRunWithItsException) {
  FakeHttpClient client([](int64_t) { return Answer(200, "a", 1.0); });
  RepeatedGet plan;
  plan.url = "http://127.0.0.1:1/";
  plan.calls = 100000;
  plan.concurrency = 3;
  std::atomic<int64_t> answered{0};

  EXPECT_THROW(client.GetRepeatedly(plan,
                                    [&](int, const HttpResponse&) -> bool {
                                      // Every lane's answer from the 7th on throws.
                                      if (++answered >= 7) throw std::runtime_error("full");
                                      return true;
                                    }),
               std::runtime_error);
  EXPECT_LE(client.calls(), 7 + 2);
}

TEST(RequestFanoutTest, RunsAgainstALoopbackServerThroughTheCurlClient) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  RequestFanout fanout(client.get(), SystemClock());
  FanoutPlan plan = Plan(600, 8);
  plan.url = server.Url("/receiver?timestamp=1");
  std::vector<FanoutProgress> seen;

  FanoutReport report = fanout.Run(
      plan, [&](const FanoutProgress& p) { seen.push_back(p); }, nullptr,
      std::chrono::milliseconds(0));

  EXPECT_EQ(report.calls_made, 600);
  EXPECT_EQ(report.succeeded, 600);
  EXPECT_EQ(report.by_status, (std::map<int, int64_t>{{200, 600}}));
  EXPECT_EQ(report.by_instance, (std::map<std::string, int64_t>{{"loopback-0", 600}}));
  EXPECT_EQ(server.requests(), 600);
  EXPECT_LE(server.connections(), 8);
  EXPECT_LE(server.max_in_flight(), 8);
  EXPECT_GT(report.latency.p50_ms, 0);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, 600);
}

TEST(RequestFanoutTest, CancelAbandonsTheCurlClientsCallsInFlight) {
  test::LoopbackResponse never;
  never.delay = std::chrono::milliseconds(30000);  // cut short when the server stops
  LoopbackHttpServer server(never);
  auto client = NewCurlHttpClient();
  RequestFanout fanout(client.get(), SystemClock());
  FanoutPlan plan = Plan(100, 4);
  plan.url = server.Url();
  plan.timeout = std::chrono::milliseconds(20000);
  std::atomic<bool> cancel{false};

  auto start = std::chrono::steady_clock::now();
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  FanoutReport report = fanout.Run(plan, {}, &cancel);
  canceller.join();
  auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();

  // Generous for a loaded machine; without the cancel the calls would take 20 s.
  EXPECT_LT(took_ms, 2000);
  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.calls_made, 4);
  EXPECT_EQ(report.succeeded, 0);
  EXPECT_EQ(report.failed, 4);
  EXPECT_EQ(report.succeeded + report.failed, report.calls_made);
  EXPECT_EQ(report.by_status, (std::map<int, int64_t>{{0, 4}}));
  EXPECT_EQ(report.errors, (std::map<std::string, int64_t>{{kCancelledError, 4}}));
}

TEST(RequestFanoutTest, PassesItsCancelFlagToTheClient) {
  LaneReportingClient client;
  SteppedClock clock;
  RequestFanout fanout(&client, &clock);
  std::atomic<bool> cancel{false};

  fanout.Run(Plan(3, 1), {}, &cancel);

  EXPECT_EQ(client.plan().cancel, &cancel);
}

TEST(HttpClientDefaultGetRepeatedlyTest, ACancelStopsEveryLaneStartingCalls) {
  std::atomic<bool> cancel{false};
  FakeHttpClient client([&](int64_t call) {
    if (call == 29) cancel = true;
    return Answer(200, "a", 1.0);
  });
  RepeatedGet plan;
  plan.url = "http://127.0.0.1:1/";
  plan.calls = 100000;
  plan.concurrency = 4;
  plan.cancel = &cancel;
  std::atomic<int64_t> answered{0};

  int64_t made = client.GetRepeatedly(plan, [&](int, const HttpResponse&) {
    ++answered;
    return true;  // only the flag stops the run
  });

  EXPECT_GE(made, 30);
  EXPECT_LE(made, 30 + 3);  // each other lane may have started one call before the flag
  EXPECT_EQ(made, answered.load());
  EXPECT_EQ(made, client.calls());
}

}  // namespace
}  // namespace pcfdemo
