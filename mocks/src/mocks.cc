#include "pcfdemo/mocks/mocks.h"

namespace pcfdemo {

using ::testing::_;
using ::testing::Return;

MockKeyValueStore::MockKeyValueStore() {
  ON_CALL(*this, Get(_)).WillByDefault(Return(std::nullopt));
  ON_CALL(*this, Add(_, _, _)).WillByDefault(Return(true));
  ON_CALL(*this, CompareAndSet(_, _, _, _)).WillByDefault(Return(false));
  ON_CALL(*this, Remove(_)).WillByDefault(Return(false));
  ON_CALL(*this, Describe()).WillByDefault(Return("mock"));
}
MockKeyValueStore::~MockKeyValueStore() = default;

MockRunRepository::MockRunRepository() {
  ON_CALL(*this, CreateRun(_, _, _)).WillByDefault([](int64_t start, int64_t, Strategy) {
    return start;
  });
  ON_CALL(*this, CountCall(_, _)).WillByDefault(Return(false));
  ON_CALL(*this, FinishRun(_, _, _)).WillByDefault(Return(false));
  ON_CALL(*this, GetRun(_)).WillByDefault(Return(std::nullopt));
  ON_CALL(*this, ListRuns(_, _)).WillByDefault(Return(std::vector<Run>{}));
  ON_CALL(*this, CountRuns()).WillByDefault(Return(0));
  ON_CALL(*this, Describe()).WillByDefault(Return("mock"));
}
MockRunRepository::~MockRunRepository() = default;

MockHttpClient::MockHttpClient() {
  HttpResponse ok;
  ok.status = 200;
  ok.latency_ms = 1;
  ok.instance = "mock";
  ON_CALL(*this, Get(_, _)).WillByDefault(Return(ok));
  ON_CALL(*this, GetRepeatedly(_, _))
      .WillByDefault([this](const RepeatedGet& plan, const AnswerSink& on_answer) {
        return HttpClient::GetRepeatedly(plan, on_answer);
      });
}
MockHttpClient::~MockHttpClient() = default;

MockClock::MockClock() {
  ON_CALL(*this, NowMicros()).WillByDefault(Return(1700000000LL * 1000000));
  ON_CALL(*this, MonotonicMicros()).WillByDefault(Return(0));
}
MockClock::~MockClock() = default;

}  // namespace pcfdemo
