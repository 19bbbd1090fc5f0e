#include "pcfdemo/curl_http_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback_http_server.h"

namespace pcfdemo {
namespace {

using std::chrono::milliseconds;
using test::LoopbackHttpServer;
using test::LoopbackRequest;
using test::LoopbackResponse;

// A loopback port with nothing listening: bound, then closed.
int ClosedPort() {
  LoopbackHttpServer server;
  int port = server.port();
  server.Stop();
  return port;
}

TEST(CurlHttpClientTest, ReturnsStatusInstanceAndLatency) {
  LoopbackResponse fixed;
  fixed.instance = "web-3";
  LoopbackHttpServer server(fixed);
  auto client = NewCurlHttpClient();

  HttpResponse response = client->Get(server.Url("/receiver?timestamp=17"), milliseconds(5000));

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.instance, "web-3");
  EXPECT_EQ(response.error, "");
  EXPECT_GT(response.latency_ms, 0);
  EXPECT_LT(response.latency_ms, 5000);
  LoopbackRequest request = server.last_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/receiver?timestamp=17");
}

TEST(CurlHttpClientTest, ReportsNon2xxStatusesAsResponses) {
  LoopbackHttpServer server([](const LoopbackRequest& request) {
    LoopbackResponse response;
    response.status = request.target == "/missing" ? 404 : 503;
    response.instance = "";
    return response;
  });
  auto client = NewCurlHttpClient();

  HttpResponse missing = client->Get(server.Url("/missing"), milliseconds(5000));
  HttpResponse unavailable = client->Get(server.Url("/busy"), milliseconds(5000));

  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.error, "");
  EXPECT_EQ(missing.instance, "");
  EXPECT_EQ(unavailable.status, 503);
}

TEST(CurlHttpClientTest, InstanceHeaderNameIsCaseInsensitive) {
  LoopbackResponse fixed;
  fixed.instance = "";
  fixed.headers = {{"x-pcfdemo-instance", "  lower-case-1 "}};
  LoopbackHttpServer server(fixed);
  auto client = NewCurlHttpClient();

  EXPECT_EQ(client->Get(server.Url(), milliseconds(5000)).instance, "lower-case-1");
}

TEST(CurlHttpClientTest, DoesNotFollowRedirects) {
  LoopbackHttpServer target;
  LoopbackResponse redirect;
  redirect.status = 302;
  redirect.headers = {{"Location", target.Url("/elsewhere")}};
  LoopbackHttpServer server(redirect);
  auto client = NewCurlHttpClient();

  HttpResponse response = client->Get(server.Url(), milliseconds(5000));

  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(target.requests(), 0);
}

TEST(CurlHttpClientTest, ReusesTheConnectionOfTheCallingThread) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();

  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(client->Get(server.Url(), milliseconds(5000)).status, 200);
  }

  EXPECT_EQ(server.requests(), 20);
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlHttpClientTest, ConcurrentCallersEachGetAnswers) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;

  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (client->Get(server.Url(), milliseconds(5000)).status == 200) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(server.requests(), 100);
  EXPECT_LE(server.connections(), 4);  // one kept-alive connection per calling thread
}

TEST(CurlHttpClientTest, TimesOutWithAnErrorAndNoStatus) {
  LoopbackResponse slow;
  slow.delay = milliseconds(3000);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();

  HttpResponse response = client->Get(server.Url(), milliseconds(100));

  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("Timeout"), std::string::npos) << response.error;
  EXPECT_LT(response.latency_ms, 2000);
}

TEST(CurlHttpClientTest, TheSameFailureReadsTheSameEachTime) {
  // Error texts are what a fan-out groups failed calls by, so figures that vary per call
  // (milliseconds waited, bytes received) stay out of them.
  LoopbackResponse slow;
  slow.delay = milliseconds(3000);
  LoopbackHttpServer server(slow);
  int closed = ClosedPort();
  auto client = NewCurlHttpClient();

  HttpResponse first = client->Get(server.Url(), milliseconds(50));
  HttpResponse second = client->Get(server.Url("/other"), milliseconds(120));
  HttpResponse refused =
      client->Get("http://127.0.0.1:" + std::to_string(closed) + "/", milliseconds(1000));

  EXPECT_EQ(first.error, second.error);
  EXPECT_EQ(first.error.find(" ms"), std::string::npos) << first.error;
  EXPECT_EQ(first.error.find("milliseconds"), std::string::npos) << first.error;
  EXPECT_NE(refused.error, "");
  EXPECT_EQ(refused.error.find(" ms"), std::string::npos) << refused.error;
}

TEST(CurlHttpClientTest, RefusedConnectionIsAnErrorWithoutCredentials) {
  int port = ClosedPort();
  auto client = NewCurlHttpClient();

  HttpResponse response = client->Get(
      "http://operator:s3cret-pw@127.0.0.1:" + std::to_string(port) + "/", milliseconds(2000));

  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error, "");
  EXPECT_EQ(response.error.find("s3cret-pw"), std::string::npos) << response.error;
}

TEST(CurlHttpClientTest, RejectsSchemesOtherThanHttpAndHttps) {
  auto client = NewCurlHttpClient();

  for (const char* url : {"file:///etc/hostname", "ftp://127.0.0.1/", "gopher://127.0.0.1/"}) {
    HttpResponse response = client->Get(url, milliseconds(1000));
    EXPECT_EQ(response.status, 0) << url;
    EXPECT_NE(response.error, "") << url;
  }
}

TEST(CurlHttpClientTest, MalformedUrlWithCredentialsErrorNeverShowsThem) {
  auto client = NewCurlHttpClient();

  HttpResponse response =
      client->Get("http://admin:hunter2-secret@127.0.0.1:99999999/", milliseconds(1000));

  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error, "");
  EXPECT_EQ(response.error.find("hunter2-secret"), std::string::npos) << response.error;
}

// --- GetRepeatedly: the calls of a run from one event loop ---------------------------------

// What a GetRepeatedly reported, gathered by its sink.
struct Answers {
  std::mutex mutex;
  std::vector<HttpResponse> responses;
  std::vector<int> lanes;

  AnswerSink Sink(int64_t stop_after = -1) {
    return [this, stop_after](int lane, const HttpResponse& response) {
      std::lock_guard<std::mutex> lock(mutex);
      responses.push_back(response);
      lanes.push_back(lane);
      return stop_after < 0 || static_cast<int64_t>(responses.size()) < stop_after;
    };
  }
};

RepeatedGet Repeated(std::string url, int64_t calls, int concurrency,
                     milliseconds timeout = milliseconds(5000)) {
  RepeatedGet plan;
  plan.url = std::move(url);
  plan.calls = calls;
  plan.concurrency = concurrency;
  plan.timeout = timeout;
  return plan;
}

TEST(CurlHttpClientRepeatedTest, MakesEveryCallAndReportsEachOnce) {
  std::atomic<int> served{0};
  LoopbackHttpServer server([&](const LoopbackRequest&) {
    LoopbackResponse response;
    response.status = served++ % 4 == 3 ? 503 : 200;
    response.instance = "web-7";
    return response;
  });
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made =
      client->GetRepeatedly(Repeated(server.Url("/receiver?t=1"), 400, 6), answers.Sink());

  EXPECT_EQ(made, 400);
  ASSERT_EQ(answers.responses.size(), 400u);
  EXPECT_EQ(server.requests(), 400);
  EXPECT_EQ(server.last_request().target, "/receiver?t=1");
  int ok = 0;
  int unavailable = 0;
  for (const HttpResponse& response : answers.responses) {
    ok += response.status == 200;
    unavailable += response.status == 503;
    EXPECT_EQ(response.instance, "web-7");
    EXPECT_EQ(response.error, "");
    EXPECT_GT(response.latency_ms, 0);
  }
  EXPECT_EQ(ok, 300);
  EXPECT_EQ(unavailable, 100);
  for (int lane : answers.lanes) {
    EXPECT_GE(lane, 0);
    EXPECT_LT(lane, 6);
  }
}

TEST(CurlHttpClientRepeatedTest, NeverHasMoreThanTheConcurrencyInFlight) {
  LoopbackResponse slow;
  slow.delay = milliseconds(20);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 40, 4), answers.Sink());

  EXPECT_EQ(made, 40);
  EXPECT_LE(server.max_in_flight(), 4);
  EXPECT_GE(server.max_in_flight(), 2);  // the calls did overlap
}

TEST(CurlHttpClientRepeatedTest, NeverMakesMoreCallsInFlightThanCallsAsked) {
  LoopbackResponse slow;
  slow.delay = milliseconds(20);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  Answers answers;

  EXPECT_EQ(client->GetRepeatedly(Repeated(server.Url(), 3, 64), answers.Sink()), 3);
  EXPECT_EQ(server.requests(), 3);
  for (int lane : answers.lanes) EXPECT_LT(lane, 3);
  EXPECT_EQ(client->GetRepeatedly(Repeated(server.Url(), 0, 8), answers.Sink()), 0);
  EXPECT_EQ(server.requests(), 3);
}

TEST(CurlHttpClientRepeatedTest, ReusesEachLanesConnection) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 500, 4), answers.Sink());

  EXPECT_EQ(made, 500);
  EXPECT_EQ(server.requests(), 500);
  EXPECT_LE(server.connections(), 4);
}

TEST(CurlHttpClientRepeatedTest, ConnectionsTheServerClosesAreReplaced) {
  // Every answer closes its connection: each call opens a socket, often with the number of
  // one just closed, and must still be watched for.
  LoopbackResponse closing;
  closing.close = true;
  LoopbackHttpServer server(closing);
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 200, 4), answers.Sink());

  EXPECT_EQ(made, 200);
  EXPECT_EQ(server.connections(), 200);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 200) << response.error;
  }
}

TEST(CurlHttpClientRepeatedTest, HostNamesAreResolvedAndCalled) {
  // A name makes curl wait on its resolver's socket too, which it opens and closes on its
  // own; the connections that follow may get the numbers of those sockets.
  LoopbackResponse closing;
  closing.close = true;
  LoopbackHttpServer server(closing);
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(
      Repeated("http://localhost:" + std::to_string(server.port()) + "/", 100, 4), answers.Sink());

  EXPECT_EQ(made, 100);
  EXPECT_EQ(server.requests(), 100);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 200) << response.error;
  }
}

TEST(CurlHttpClientRepeatedTest, KeepsHundredsOfLanesWithinTheirBound) {
  LoopbackResponse slow;
  slow.delay = milliseconds(50);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 256, 64), answers.Sink());

  EXPECT_EQ(made, 256);
  EXPECT_LE(server.max_in_flight(), 64);
  EXPECT_GE(server.max_in_flight(), 8);
  EXPECT_LE(server.connections(), 64);
}

TEST(CurlHttpClientRepeatedTest, TimeoutsAreErrorsWithoutStatusAsGetReportsThem) {
  LoopbackResponse slow;
  slow.delay = milliseconds(3000);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made =
      client->GetRepeatedly(Repeated(server.Url(), 4, 2, milliseconds(100)), answers.Sink());
  HttpResponse single = client->Get(server.Url(), milliseconds(100));

  EXPECT_EQ(made, 4);
  ASSERT_EQ(answers.responses.size(), 4u);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 0);
    EXPECT_EQ(response.error, single.error);
    EXPECT_NE(response.error.find("Timeout"), std::string::npos) << response.error;
    EXPECT_GE(response.latency_ms, 90);
    EXPECT_LT(response.latency_ms, 2000);
  }
}

TEST(CurlHttpClientRepeatedTest, ShortTimeoutsAreEnforcedWithoutWaitingOnCurlsOtherTimers) {
  LoopbackResponse never;
  never.delay = milliseconds(30000);  // cut short when the server stops
  LoopbackHttpServer server(never);
  auto client = NewCurlHttpClient();
  for (milliseconds timeout : {milliseconds(20), milliseconds(1)}) {
    Answers answers;

    auto start = std::chrono::steady_clock::now();
    int64_t made = client->GetRepeatedly(Repeated(server.Url(), 5, 1, timeout), answers.Sink());
    auto took_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();

    EXPECT_EQ(made, 5);
    ASSERT_EQ(answers.responses.size(), 5u);
    for (const HttpResponse& response : answers.responses) {
      EXPECT_EQ(response.status, 0);
      EXPECT_NE(response.error.find("Timeout"), std::string::npos) << response.error;
    }
    // Five calls of at most 20 ms each; curl's own timers alone took about 200 ms a call.
    EXPECT_LT(took_ms, 600) << timeout.count() << " ms timeout";
  }
}

// Sets `flag` after `delay`, from a thread of its own; joined on destruction.
class DelayedCancel {
 public:
  DelayedCancel(std::atomic<bool>* flag, milliseconds delay)
      : thread_([flag, delay] {
          std::this_thread::sleep_for(delay);
          *flag = true;
        }) {}
  DelayedCancel(const DelayedCancel&) = delete;
  DelayedCancel& operator=(const DelayedCancel&) = delete;
  ~DelayedCancel() { thread_.join(); }

 private:
  std::thread thread_;
};

TEST(CurlHttpClientRepeatedTest, CancelAbandonsTheCallsInFlightAndReportsEachOnce) {
  LoopbackResponse never;
  never.delay = milliseconds(30000);  // cut short when the server stops
  LoopbackHttpServer server(never);
  auto client = NewCurlHttpClient();
  for (int lanes : {1, 4}) {  // one event loop, then two
    Answers answers;
    std::atomic<bool> cancel{false};
    RepeatedGet plan = Repeated(server.Url(), 100, lanes, milliseconds(20000));
    plan.cancel = &cancel;

    auto start = std::chrono::steady_clock::now();
    int64_t made = 0;
    {
      DelayedCancel canceller(&cancel, milliseconds(100));
      made = client->GetRepeatedly(plan, answers.Sink());
    }
    auto took_ms =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();

    // Generous for a loaded machine; without the cancel the calls would take 20 s.
    EXPECT_LT(took_ms, 2000) << lanes;
    EXPECT_EQ(made, lanes);  // every lane's first call, none started after the cancel
    ASSERT_EQ(static_cast<int64_t>(answers.responses.size()), made);
    std::vector<int> lanes_seen = answers.lanes;
    std::sort(lanes_seen.begin(), lanes_seen.end());
    for (int lane = 0; lane < lanes; ++lane) EXPECT_EQ(lanes_seen[lane], lane);
    for (const HttpResponse& response : answers.responses) {
      EXPECT_EQ(response.status, 0);
      EXPECT_EQ(response.error, kCancelledError);
      EXPECT_GE(response.latency_ms, 50);
    }
  }
}

TEST(CurlHttpClientRepeatedTest, CallsEndingWithinTheGraceAfterACancelAreReportedAsAnswered) {
  LoopbackResponse slow;
  slow.delay = milliseconds(200);  // well inside kCancelGrace after the cancel at 50 ms
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  Answers answers;
  std::atomic<bool> cancel{false};
  RepeatedGet plan = Repeated(server.Url(), 100, 4, milliseconds(20000));
  plan.cancel = &cancel;

  int64_t made = 0;
  {
    DelayedCancel canceller(&cancel, milliseconds(50));
    made = client->GetRepeatedly(plan, answers.Sink());
  }

  EXPECT_EQ(made, 4);  // the first call of each lane, none started after the cancel
  ASSERT_EQ(answers.responses.size(), 4u);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 200) << response.error;
  }
}

TEST(CurlHttpClientRepeatedTest, ACancelAlreadySetStartsNoCall) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  Answers answers;
  std::atomic<bool> cancel{true};
  RepeatedGet plan = Repeated(server.Url(), 10, 2);
  plan.cancel = &cancel;

  EXPECT_EQ(client->GetRepeatedly(plan, answers.Sink()), 0);
  EXPECT_TRUE(answers.responses.empty());
  EXPECT_EQ(server.requests(), 0);
}

TEST(CurlHttpClientRepeatedTest, ACancelFlagNeverSetChangesNothing) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  Answers answers;
  std::atomic<bool> cancel{false};
  RepeatedGet plan = Repeated(server.Url(), 50, 4);
  plan.cancel = &cancel;

  EXPECT_EQ(client->GetRepeatedly(plan, answers.Sink()), 50);
  for (const HttpResponse& response : answers.responses) EXPECT_EQ(response.status, 200);
}

TEST(CurlHttpClientTest, InstanceHeaderIsCutShortAndMadePrintable) {
  LoopbackResponse hostile;
  hostile.instance = "\x1b]0;pwned\x07\xc3\xa9" + std::string(20000, 'A');
  LoopbackHttpServer server(hostile);
  auto client = NewCurlHttpClient();
  const std::string expected = "?]0;pwned???" + std::string(128 - 12, 'A');

  HttpResponse single = client->Get(server.Url(), milliseconds(5000));
  Answers answers;
  EXPECT_EQ(client->GetRepeatedly(Repeated(server.Url(), 3, 2), answers.Sink()), 3);

  EXPECT_EQ(single.status, 200) << single.error;
  EXPECT_EQ(single.instance, expected);
  ASSERT_EQ(answers.responses.size(), 3u);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.instance, expected);
  }
}

TEST(CurlHttpClientRepeatedTest, RefusedPortIsReportedWithoutCredentials) {
  std::string url = "http://operator:s3cret-pw@127.0.0.1:" + std::to_string(ClosedPort()) + "/";
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(url, 5, 2), answers.Sink());
  HttpResponse single = client->Get(url, milliseconds(5000));

  EXPECT_EQ(made, 5);
  ASSERT_EQ(answers.responses.size(), 5u);
  for (const HttpResponse& response : answers.responses) {
    EXPECT_EQ(response.status, 0);
    EXPECT_NE(response.error, "");
    EXPECT_EQ(response.error, single.error);
    EXPECT_EQ(response.error.find("s3cret-pw"), std::string::npos) << response.error;
    EXPECT_EQ(response.error.find("operator:"), std::string::npos) << response.error;
  }
}

TEST(CurlHttpClientRepeatedTest, UrlsCurlCannotParseFailEachCallLikeGet) {
  auto client = NewCurlHttpClient();

  for (const char* url : {"http://admin:hunter2-secret@127.0.0.1:99999999/", "file:///etc/hostname",
                          "gopher://127.0.0.1/"}) {
    Answers answers;
    EXPECT_EQ(client->GetRepeatedly(Repeated(url, 3, 2, milliseconds(1000)), answers.Sink()), 3)
        << url;
    HttpResponse single = client->Get(url, milliseconds(1000));
    ASSERT_EQ(answers.responses.size(), 3u) << url;
    for (const HttpResponse& response : answers.responses) {
      EXPECT_EQ(response.status, 0) << url;
      EXPECT_NE(response.error, "") << url;
      EXPECT_EQ(response.error, single.error) << url;
      EXPECT_EQ(response.error.find("hunter2-secret"), std::string::npos) << response.error;
    }
  }
}

TEST(CurlHttpClientRepeatedTest, ASinkThatSaysNoStartsNoFurtherCall) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  Answers answers;

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 100000, 4), answers.Sink(10));

  // The tenth answer said no; at most the three other lanes' calls were still in flight.
  EXPECT_GE(made, 10);
  EXPECT_LE(made, 13);
  EXPECT_EQ(static_cast<int64_t>(answers.responses.size()), made);
  EXPECT_EQ(server.requests(), made);
}

TEST(CurlHttpClientRepeatedTest, ASinkThatThrowsEndsTheRunWithItsException) {
  LoopbackHttpServer server;
  auto client = NewCurlHttpClient();
  std::atomic<int> answered{0};

  EXPECT_THROW(client->GetRepeatedly(Repeated(server.Url(), 100000, 4),
                                     [&](int, const HttpResponse&) -> bool {
                                       // Every answer from the 5th on throws.
                                       if (++answered >= 5) throw std::runtime_error("full");
                                       return true;
                                     }),
               std::runtime_error);
  EXPECT_LE(server.requests(), 5 + 3);

  // The client is still fit for use afterwards.
  EXPECT_EQ(client->Get(server.Url(), milliseconds(5000)).status, 200);
}

TEST(CurlHttpClientRepeatedTest, ReportsTheCallsOfALaneOneAtATime) {
  LoopbackResponse slow;
  slow.delay = milliseconds(2);
  LoopbackHttpServer server(slow);
  auto client = NewCurlHttpClient();
  constexpr int kLanes = 8;
  std::vector<std::atomic<bool>> busy(kLanes);
  std::vector<int64_t> per_lane(kLanes, 0);  // written without a lock, as the contract allows
  std::atomic<int> overlaps{0};

  int64_t made = client->GetRepeatedly(Repeated(server.Url(), 200, kLanes),
                                       [&](int lane, const HttpResponse& response) {
                                         if (busy[static_cast<size_t>(lane)].exchange(true))
                                           ++overlaps;
                                         ++per_lane[static_cast<size_t>(lane)];
                                         std::this_thread::yield();
                                         busy[static_cast<size_t>(lane)] = false;
                                         return response.status == 200;
                                       });

  EXPECT_EQ(made, 200);
  EXPECT_EQ(overlaps.load(), 0);
  int64_t counted = 0;
  for (int64_t n : per_lane) counted += n;
  EXPECT_EQ(counted, 200);
}

TEST(RedactUrlCredentialsTest, ReplacesUserInformationOfEveryUrl) {
  EXPECT_EQ(RedactUrlCredentials("GET http://u:p@host:8080/x failed; retry https://a@b/c"),
            "GET http://***@host:8080/x failed; retry https://***@b/c");
  EXPECT_EQ(RedactUrlCredentials("mysql://root:pw@db/runs"), "mysql://***@db/runs");
  EXPECT_EQ(RedactUrlCredentials("http://host/path?mail=a@b"), "http://host/path?mail=a@b");
  EXPECT_EQ(RedactUrlCredentials("no url here"), "no url here");
  EXPECT_EQ(RedactUrlCredentials(""), "");
}

}  // namespace
}  // namespace pcfdemo
