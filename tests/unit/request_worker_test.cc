#include "pcfdemo/request_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include "pcfdemo/backend_error.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/in_memory_key_value_store.h"
#include "pcfdemo/in_memory_run_repository.h"
#include "pcfdemo/receiver.h"

namespace pcfdemo {
namespace {

// Delivers each call straight to a Receiver, as a receiver instance behind the URL would.
class ReceiverClient : public HttpClient {
 public:
  ReceiverClient(Receiver* receiver) : receiver_(receiver) {}

  HttpResponse Get(const std::string& url, std::chrono::milliseconds) override {
    static const std::regex kQuery(".*[?&]timestamp=([0-9]+)&strategy=([a-z-]+)$");
    std::smatch match;
    HttpResponse response;
    if (!std::regex_match(url, match, kQuery)) {
      response.status = 400;
      return response;
    }
    ++calls;
    if (on_call) on_call();
    bool counted = receiver_->Count(std::stoll(match[1]), ParseStrategy(match[2].str()));
    response.status = counted ? 200 : 404;
    response.instance = receiver_->instance();
    response.latency_ms = 1;
    return response;
  }

  std::atomic<int64_t> calls{0};
  std::function<void()> on_call;

 private:
  Receiver* receiver_;
};

class RequestWorkerTest : public ::testing::Test {
 protected:
  RequestWorkerTest() : receiver_(&runs_, "0/test"), client_(&receiver_) {}

  RequestWorkerOptions Options(const std::string& id) {
    RequestWorkerOptions options;
    options.worker_id = id;
    options.poll_interval = std::chrono::milliseconds(10);
    return options;
  }

  void Trigger(int64_t calls, Strategy strategy) {
    RunRequest request;
    request.calls = calls;
    request.destination = "http://127.0.0.1:8080/receiver";
    request.strategy = strategy;
    request.concurrency = 8;
    ASSERT_TRUE(triggers_.TryTrigger(request));
  }

  ManualClock clock_;
  InMemoryKeyValueStore store_{&clock_};
  TriggerStore triggers_{&store_, &clock_};
  InMemoryRunRepository runs_;
  Receiver receiver_;
  ReceiverClient client_;
};

TEST_F(RequestWorkerTest, IdleStepDoesNothing) {
  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  EXPECT_FALSE(worker.Step());
  EXPECT_EQ(runs_.CountRuns(), 0);
}

TEST_F(RequestWorkerTest, ARunOf500AtomicCallsCounts500AndClearsTheTrigger) {
  Trigger(500, Strategy::kAtomic);
  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  std::optional<int64_t> timestamp = worker.Step();
  ASSERT_TRUE(timestamp);

  std::optional<pcfdemo::Run> run = runs_.GetRun(*timestamp);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->max_possible_count, 500);
  EXPECT_EQ(run->current_request_count, 500);
  EXPECT_EQ(run->succeeded_calls, 500);
  EXPECT_EQ(run->failed_calls, 0);
  EXPECT_EQ(run->lost_updates(), 0);
  EXPECT_EQ(run->instances.at("0/test"), 500);
  EXPECT_EQ(run->strategy, Strategy::kAtomic);
  EXPECT_FALSE(triggers_.Current());
  EXPECT_EQ(store_.Get("workInProgress"), "False");
}

TEST_F(RequestWorkerTest, TwoWorkersRacingForOneTriggerRunItOnce) {
  Trigger(200, Strategy::kAtomic);
  RequestWorker first(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  RequestWorker second(&triggers_, &runs_, &client_, &clock_, Options("w2"));
  std::optional<int64_t> a;
  std::optional<int64_t> b;
  std::thread ta([&] { a = first.Step(); });
  std::thread tb([&] { b = second.Step(); });
  ta.join();
  tb.join();
  EXPECT_NE(a.has_value(), b.has_value());
  EXPECT_EQ(runs_.CountRuns(), 1);
  EXPECT_EQ(client_.calls, 200);
}

TEST_F(RequestWorkerTest, ARunWhoseWorkerDiedIsMarkedAbandonedOnceTheLeaseEnds) {
  Trigger(100, Strategy::kAtomic);
  // A worker that claimed, created its run and died without renewing.
  ASSERT_TRUE(triggers_.Claim("dead-worker", std::chrono::seconds(15)));
  int64_t orphan = runs_.CreateRun(clock_.NowSeconds(), 100, Strategy::kAtomic);
  triggers_.RecordRun(orphan);

  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  EXPECT_FALSE(worker.Step());  // the dead worker's claim still holds
  EXPECT_EQ(runs_.GetRun(orphan)->status, RunStatus::kRunning);

  clock_.Advance(16 * 1000000);
  EXPECT_FALSE(worker.Step());
  EXPECT_EQ(runs_.GetRun(orphan)->status, RunStatus::kAbandoned);
  EXPECT_FALSE(triggers_.Current());
  EXPECT_EQ(client_.calls, 0);  // the trigger is not run a second time
}

TEST_F(RequestWorkerTest, StopDuringARunMarksItAbandonedWithWhatItMadeAndFreesTheTrigger) {
  Trigger(500, Strategy::kAtomic);
  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  client_.on_call = [&] {
    if (client_.calls == 50) worker.Stop();
  };
  std::optional<int64_t> timestamp = worker.Step();
  ASSERT_TRUE(timestamp);
  std::optional<pcfdemo::Run> run = runs_.GetRun(*timestamp);
  EXPECT_EQ(run->status, RunStatus::kAbandoned);
  EXPECT_GE(run->succeeded_calls, 50);
  EXPECT_LT(run->succeeded_calls, 500);
  EXPECT_EQ(run->succeeded_calls, run->current_request_count);
  EXPECT_FALSE(triggers_.Current());
  EXPECT_FALSE(store_.Get("pcfdemo.claim"));
}

// Cannot create the first run, as when the database goes away just then.
class FirstCreateFails : public InMemoryRunRepository {
 public:
  int64_t CreateRun(int64_t start_seconds, int64_t calls, Strategy strategy) override {
    if (!failed_) {
      failed_ = true;
      throw BackendError("mysql", "creating a run: Lost connection to server during query");
    }
    return InMemoryRunRepository::CreateRun(start_seconds, calls, strategy);
  }

 private:
  bool failed_ = false;
};

TEST_F(RequestWorkerTest, ARunThatCannotBeCreatedLeavesTheTriggerToTheNextPoll) {
  Trigger(30, Strategy::kAtomic);
  FirstCreateFails runs;
  Receiver receiver(&runs, "0/test");
  ReceiverClient client(&receiver);
  RequestWorker worker(&triggers_, &runs, &client, &clock_, Options("w1"));
  EXPECT_THROW(worker.Step(), BackendError);
  EXPECT_FALSE(store_.Get("pcfdemo.claim"));
  EXPECT_EQ(runs.CountRuns(), 0);

  // No lease to wait for: the next worker to poll runs the trigger.
  RequestWorker other(&triggers_, &runs, &client, &clock_, Options("w2"));
  std::optional<int64_t> timestamp = other.Step();
  ASSERT_TRUE(timestamp);
  EXPECT_EQ(runs.GetRun(*timestamp)->current_request_count, 30);
  EXPECT_FALSE(triggers_.Current());
}

// A repository whose FinishRun fails while `finish_fails` is set, as a database that is away.
class FlakyFinishRepository : public InMemoryRunRepository {
 public:
  bool FinishRun(int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms) override {
    if (finish_fails) throw BackendError("mysql", "server has gone away");
    return InMemoryRunRepository::FinishRun(timestamp, outcome, finished_at_ms);
  }
  std::atomic<bool> finish_fails{false};
};

TEST_F(RequestWorkerTest, AnOutcomeTheDatabaseNeverTookLeavesTheRunToBeMarkedAbandoned) {
  FlakyFinishRepository runs;
  Receiver receiver(&runs, "0/test");
  ReceiverClient client(&receiver);
  Trigger(20, Strategy::kAtomic);
  runs.finish_fails = true;
  RequestWorker worker(&triggers_, &runs, &client, &clock_, Options("w1"));
  std::optional<int64_t> timestamp = worker.Step();
  ASSERT_TRUE(timestamp);
  EXPECT_EQ(runs.GetRun(*timestamp)->status, RunStatus::kRunning);
  ASSERT_TRUE(triggers_.Current());  // not cleared: the run is still to be accounted for
  EXPECT_EQ(triggers_.Current()->run_timestamp, *timestamp);
  EXPECT_FALSE(store_.Get("pcfdemo.claim"));

  runs.finish_fails = false;  // the database is back
  EXPECT_FALSE(worker.Step());
  EXPECT_EQ(runs.GetRun(*timestamp)->status, RunStatus::kAbandoned);
  EXPECT_FALSE(triggers_.Current());
}

TEST_F(RequestWorkerTest, AWorkerThatLostItsClaimNeverClearsTheNextTrigger) {
  Trigger(50, Strategy::kAtomic);
  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  client_.on_call = [&] {
    if (client_.calls != 10) return;
    // Meanwhile the lease ended, another worker took over and a new trigger is running.
    store_.Set("pcfdemo.claim", "w2");
    store_.Set("amountOfCalls", "77");
  };
  std::optional<int64_t> timestamp = worker.Step();
  ASSERT_TRUE(timestamp);
  std::optional<pcfdemo::Trigger> current = triggers_.Current();
  ASSERT_TRUE(current);
  EXPECT_EQ(current->request.calls, 77);
  EXPECT_EQ(current->claimed_by, "w2");
}

TEST_F(RequestWorkerTest, AnUppercaseSchemeIsStillHttp) {
  RunRequest request;
  request.calls = 3;
  request.destination = "HTTP://127.0.0.1:8080/receiver";
  ASSERT_TRUE(triggers_.TryTrigger(request));
  RequestWorker worker(&triggers_, &runs_, &client_, &clock_, Options("w1"));
  ASSERT_TRUE(worker.Step());
  EXPECT_EQ(client_.calls, 3);
}

TEST_F(RequestWorkerTest, ASoleWorkerMarksRunsAnEarlierProcessLeftRunning) {
  int64_t left = runs_.CreateRun(clock_.NowSeconds() - 100, 10, Strategy::kAtomic);
  int64_t done = runs_.CreateRun(clock_.NowSeconds() - 50, 10, Strategy::kAtomic);
  runs_.FinishRun(done, RunOutcome{}, 1);
  RequestWorkerOptions options = Options("w1");
  options.sole_worker = true;
  RequestWorker worker(&triggers_, &runs_, &client_, SystemClock(), options);
  std::thread loop([&] { worker.Loop(); });
  for (int i = 0; i < 500 && runs_.GetRun(left)->status == RunStatus::kRunning; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker.Stop();
  loop.join();
  EXPECT_EQ(runs_.GetRun(left)->status, RunStatus::kAbandoned);
  EXPECT_EQ(runs_.GetRun(done)->status, RunStatus::kFinished);
}

TEST_F(RequestWorkerTest, LoopRunsATriggerAndReturnsOnStop) {
  RequestWorker worker(&triggers_, &runs_, &client_, SystemClock(), Options("w1"));
  std::thread loop([&] { worker.Loop(); });
  Trigger(20, Strategy::kRowLock);
  for (int i = 0; i < 500 && runs_.CountRuns() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 500 && triggers_.Current(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker.Stop();
  loop.join();
  ASSERT_EQ(runs_.CountRuns(), 1);
  EXPECT_EQ(runs_.ListRuns(1, 0)[0].current_request_count, 20);
}

}  // namespace
}  // namespace pcfdemo
