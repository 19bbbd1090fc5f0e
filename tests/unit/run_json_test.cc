#include "pcfdemo/run_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pcfdemo {
namespace {

using nlohmann::json;

Run FinishedRun() {
  pcfdemo::Run run;
  run.timestamp = 1700000000;
  run.current_request_count = 190;
  run.max_possible_count = 200;
  run.strategy = Strategy::kReadModifyWrite;
  run.status = RunStatus::kFinished;
  run.succeeded_calls = 198;
  run.failed_calls = 2;
  run.instances = {{"0/aaaa", 120}, {"1/bbbb", 78}};
  run.latency = {1.5, 4.25, 9.0};
  run.started_at_ms = 1700000000123;
  run.finished_at_ms = 1700000005000;
  return run;
}

TEST(RunJson, FinishedRunUsesTheTableNamesAndReportsLostUpdates) {
  json run = json::parse(RunToJson(FinishedRun()));

  EXPECT_EQ(run["timestamp"], 1700000000);
  EXPECT_EQ(run["current_request_count"], 190);
  EXPECT_EQ(run["max_possible_count"], 200);
  EXPECT_EQ(run["strategy"], "read-modify-write");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["succeeded_calls"], 198);
  EXPECT_EQ(run["failed_calls"], 2);
  EXPECT_EQ(run["lost_updates"], 8);
  EXPECT_EQ(run["instances"], json({{"0/aaaa", 120}, {"1/bbbb", 78}}));
  EXPECT_DOUBLE_EQ(run["latency_ms"]["p50"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(run["latency_ms"]["p95"].get<double>(), 4.25);
  EXPECT_DOUBLE_EQ(run["latency_ms"]["p99"].get<double>(), 9.0);
  EXPECT_EQ(run["started_at"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(run["finished_at"], "2023-11-14T22:13:25.000Z");
}

TEST(RunJson, RunningRunHasNullFinishAndNullLostUpdates) {
  pcfdemo::Run run = FinishedRun();
  run.status = RunStatus::kRunning;
  run.finished_at_ms = 0;
  json object = json::parse(RunToJson(run));
  EXPECT_TRUE(object["finished_at"].is_null());
  EXPECT_TRUE(object["lost_updates"].is_null());
  EXPECT_EQ(object["status"], "running");
}

TEST(RunJson, RowWithoutStartTimeFallsBackToItsTimestamp) {
  pcfdemo::Run run;  // the original four-column shape knows only the timestamp
  run.timestamp = 1700000000;
  EXPECT_EQ(json::parse(RunToJson(run))["started_at"], "2023-11-14T22:13:20.000Z");
}

TEST(RunJson, InstanceNamesAreEscapedNotInjected) {
  pcfdemo::Run run = FinishedRun();
  run.instances = {{"evil\",\"x\":\"", 1}};
  json object = json::parse(RunToJson(run));
  EXPECT_EQ(object["instances"].size(), 1u);
  EXPECT_EQ(object["instances"]["evil\",\"x\":\""], 1);
  EXPECT_FALSE(object.contains("x"));
}

TEST(RunJson, ListCarriesRunsInOrderAndTheTotal) {
  pcfdemo::Run newer = FinishedRun();
  newer.timestamp = 1700000100;
  json list = json::parse(RunListToJson({newer, FinishedRun()}, 7));
  ASSERT_EQ(list["runs"].size(), 2u);
  EXPECT_EQ(list["runs"][0]["timestamp"], 1700000100);
  EXPECT_EQ(list["runs"][1]["timestamp"], 1700000000);
  EXPECT_EQ(list["total"], 7);
  EXPECT_EQ(json::parse(RunListToJson({}, 0)), json({{"runs", json::array()}, {"total", 0}}));
}

TEST(RunJson, PendingRunEchoesTheRequest) {
  RunRequest request{42, "http://127.0.0.1:8080/receiver", Strategy::kRowLock, 3};
  EXPECT_EQ(json::parse(PendingRunToJson(request)),
            json({{"status", "pending"},
                  {"calls", 42},
                  {"strategy", "row-lock"},
                  {"concurrency", 3},
                  {"destination", "http://127.0.0.1:8080/receiver"}}));
}

TEST(RunJson, CurrentPendingTriggerWithoutRunYet) {
  Trigger trigger;
  trigger.request = {50, "http://127.0.0.1:8080/receiver", Strategy::kOptimistic, 4};
  json current = json::parse(CurrentRunToJson(trigger, std::nullopt, std::nullopt));
  EXPECT_EQ(current["status"], "pending");
  EXPECT_TRUE(current["timestamp"].is_null());
  EXPECT_EQ(current["max_possible_count"], 50);
  EXPECT_EQ(current["strategy"], "optimistic");
  EXPECT_EQ(current["request"]["concurrency"], 4);
  EXPECT_TRUE(current["worker"].is_null());
  EXPECT_TRUE(current["progress"].is_null());
  EXPECT_TRUE(current["started_at"].is_null());
}

TEST(RunJson, CurrentRunningRunMergesRowClaimAndProgress) {
  Trigger trigger;
  trigger.request = {200, "http://127.0.0.1:8080/receiver", Strategy::kReadModifyWrite, 8};
  trigger.run_timestamp = 1700000000;
  trigger.claimed_by = "0/aaaa@host";
  pcfdemo::Run row = FinishedRun();
  row.status = RunStatus::kRunning;
  row.finished_at_ms = 0;
  FanoutProgress progress{120, 200, 119, 1};

  json current = json::parse(CurrentRunToJson(trigger, row, progress));
  EXPECT_EQ(current["status"], "running");
  EXPECT_EQ(current["timestamp"], 1700000000);
  EXPECT_EQ(current["current_request_count"], 190);
  EXPECT_EQ(current["worker"], "0/aaaa@host");
  EXPECT_EQ(current["progress"],
            json({{"done", 120}, {"total", 200}, {"succeeded", 119}, {"failed", 1}}));
}

TEST(RunJson, CurrentRunWhoseRowCannotBeReadStillNamesItsTimestamp) {
  Trigger trigger;
  trigger.request.calls = 10;
  trigger.run_timestamp = 1700000001;
  json current = json::parse(CurrentRunToJson(trigger, std::nullopt, std::nullopt));
  EXPECT_EQ(current["status"], "running");
  EXPECT_EQ(current["timestamp"], 1700000001);
}

TEST(RunJson, IsoTimestampsAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(951782400999), "2000-02-29T00:00:00.999Z");
}

}  // namespace
}  // namespace pcfdemo
