// GoogleMock mocks of every libpcfdemo interface, for this project's tests and for programs
// that embed the library. Constructors install sane defaults with ON_CALL: stores and
// repositories behave as empty, the clock stands still, the HTTP client answers 200 (a run of
// calls included).
#pragma once

#include <gmock/gmock.h>

#include "pcfdemo/clock.h"
#include "pcfdemo/http_client.h"
#include "pcfdemo/key_value_store.h"
#include "pcfdemo/run_repository.h"

namespace pcfdemo {

class MockKeyValueStore : public KeyValueStore {
 public:
  MockKeyValueStore();
  ~MockKeyValueStore() override;

  MOCK_METHOD(std::optional<std::string>, Get, (const std::string& key), (override));
  MOCK_METHOD(void, Set, (const std::string& key, const std::string& value, Ttl ttl), (override));
  MOCK_METHOD(bool, Add, (const std::string& key, const std::string& value, Ttl ttl), (override));
  MOCK_METHOD(bool, CompareAndSet,
              (const std::string& key, const std::string& expected, const std::string& value,
               Ttl ttl),
              (override));
  MOCK_METHOD(bool, Remove, (const std::string& key), (override));
  MOCK_METHOD(void, Flush, (), (override));
  MOCK_METHOD(std::string, Describe, (), (const, override));
};

class MockRunRepository : public RunRepository {
 public:
  MockRunRepository();
  ~MockRunRepository() override;

  MOCK_METHOD(void, EnsureSchema, (), (override));
  MOCK_METHOD(int64_t, CreateRun, (int64_t start_seconds, int64_t calls, Strategy strategy),
              (override));
  MOCK_METHOD(bool, CountCall, (int64_t timestamp, Strategy strategy), (override));
  MOCK_METHOD(bool, FinishRun,
              (int64_t timestamp, const RunOutcome& outcome, int64_t finished_at_ms), (override));
  MOCK_METHOD(std::optional<Run>, GetRun, (int64_t timestamp), (override));
  MOCK_METHOD(std::vector<Run>, ListRuns, (int limit, int offset), (override));
  MOCK_METHOD(int64_t, CountRuns, (), (override));
  MOCK_METHOD(std::string, Describe, (), (const, override));
};

class MockHttpClient : public HttpClient {
 public:
  MockHttpClient();
  ~MockHttpClient() override;

  MOCK_METHOD(HttpResponse, Get, (const std::string& url, std::chrono::milliseconds timeout),
              (override));
  // By default the base class's GetRepeatedly: calls of Get from plan.concurrency threads.
  MOCK_METHOD(int64_t, GetRepeatedly, (const RepeatedGet& plan, const AnswerSink& on_answer),
              (override));
};

class MockClock : public Clock {
 public:
  MockClock();
  ~MockClock() override;

  MOCK_METHOD(int64_t, NowMicros, (), (override));
  MOCK_METHOD(int64_t, MonotonicMicros, (), (override));
  MOCK_METHOD(void, SleepForMicros, (int64_t micros), (override));
};

}  // namespace pcfdemo
