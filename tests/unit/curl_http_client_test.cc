#include "pcfdemo/curl_http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
