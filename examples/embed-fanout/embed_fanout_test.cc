// Tests of embed-fanout's own code, built on the mocks that pcfdemo installs: the failure
// budget stops a real RequestFanout, and the summary names what the fan-out saw.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "failure_budget.h"
#include "fanout_summary.h"
#include "pcfdemo/clock.h"
#include "pcfdemo/mocks/mocks.h"
#include "pcfdemo/request_fanout.h"

namespace embed_fanout {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::NiceMock;
using ::testing::Return;

pcfdemo::HttpResponse Answer(int status, const char* instance) {
  pcfdemo::HttpResponse response;
  response.status = status;
  response.latency_ms = 3;
  response.instance = instance;
  return response;
}

TEST(FailureBudgetTest, StopsTheFanoutOnceMoreCallsFailedThanAllowed) {
  NiceMock<pcfdemo::MockHttpClient> inner;
  ON_CALL(inner, Get(_, _)).WillByDefault(Return(Answer(503, "web/1")));
  std::atomic<bool> stop{false};
  FailureBudget budget(&inner, 3, &stop);
  pcfdemo::ManualClock clock;
  pcfdemo::RequestFanout fanout(&budget, &clock);

  pcfdemo::FanoutPlan plan;
  plan.url = "http://127.0.0.1:9/";
  plan.calls = 100;
  plan.concurrency = 1;  // one caller: the budget's stop lands before the fifth call starts
  pcfdemo::FanoutReport report = fanout.Run(plan, {}, &stop);

  EXPECT_TRUE(budget.exhausted());
  EXPECT_TRUE(report.cancelled);
  EXPECT_EQ(report.calls_made, 4);
  EXPECT_EQ(report.failed, 4);
}

TEST(FailureBudgetTest, LetsEveryCallThroughWhileTheBudgetHolds) {
  NiceMock<pcfdemo::MockHttpClient> inner;
  EXPECT_CALL(inner, Get(_, _))
      .WillOnce(Return(Answer(500, "web/0")))
      .WillRepeatedly(Return(Answer(200, "web/0")));
  std::atomic<bool> stop{false};
  FailureBudget budget(&inner, 1, &stop);
  pcfdemo::ManualClock clock;
  pcfdemo::RequestFanout fanout(&budget, &clock);

  pcfdemo::FanoutPlan plan;
  plan.url = "http://127.0.0.1:9/";
  plan.calls = 20;
  plan.concurrency = 2;
  pcfdemo::FanoutReport report = fanout.Run(plan, {}, &stop);

  EXPECT_FALSE(budget.exhausted());
  EXPECT_FALSE(stop.load());
  EXPECT_EQ(report.calls_made, 20);
  EXPECT_EQ(report.succeeded, 19);
}

TEST(FanoutSummaryTest, NamesCountsStatusesAndInstances) {
  pcfdemo::FanoutPlan plan;
  plan.calls = 10;
  pcfdemo::FanoutReport report;
  report.calls_made = 10;
  report.succeeded = 9;
  report.failed = 1;
  report.by_status = {{200, 9}, {0, 1}};
  report.by_instance = {{"web/0", 5}, {"web/1", 4}};
  report.errors = {{"connection refused", 1}};

  std::string summary = Summarise(plan, report);

  EXPECT_THAT(summary, HasSubstr("calls made: 10\n"));
  EXPECT_THAT(summary, HasSubstr("failed: 1\n"));
  EXPECT_THAT(summary, HasSubstr("stopped early: no\n"));
  EXPECT_THAT(summary, HasSubstr("status 200: 9\n"));
  EXPECT_THAT(summary, HasSubstr("status 0: 1\n"));
  EXPECT_THAT(summary, HasSubstr("instance web/1: 4\n"));
  EXPECT_THAT(summary, HasSubstr("error connection refused: 1\n"));
}

}  // namespace
}  // namespace embed_fanout
