// How pcfdemo-web treats a connection, through the real binary and raw sockets: answers are
// written by pcfdemo-web itself (frontends/http/answer_writer.h), so keep-alive, closing and
// answers larger than the socket takes at once are checked here byte by byte.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/http_test_client.h"

namespace pcfdemo::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// One answer as read from the wire.
struct WireAnswer {
  std::string head;  // status line and headers, without the blank line
  std::string body;

  bool HasHeader(const std::string& line) const {
    return head.find("\r\n" + line + "\r\n") != std::string::npos;
  }
};

// A raw client connection to 127.0.0.1.
class RawConnection {
 public:
  // `receive_buffer` > 0 shrinks the socket's receive buffer before connecting, so the
  // server's side fills up quickly when the client does not read.
  explicit RawConnection(int port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return fd_ >= 0; }

  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one whole answer (its body by Content-Length; none for an answer to HEAD);
  // nullopt on timeout or end.
  std::optional<WireAnswer> ReadAnswer(milliseconds limit = seconds(10), bool to_head = false) {
    auto deadline = Clock::now() + limit;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    WireAnswer answer;
    answer.head = buffer_.substr(0, head_end);
    std::smatch match;
    static const std::regex kLength("\r\nContent-Length: ([0-9]+)", std::regex::icase);
    if (!std::regex_search(answer.head, match, kLength)) return std::nullopt;
    size_t length = to_head ? 0 : std::stoul(match[1]);
    while (buffer_.size() < head_end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    answer.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return answer;
  }

  // True when the server ends the connection (and sends nothing more) within `limit`.
  bool EndsWithin(milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      pollfd poll_fd{fd_, POLLIN, 0};
      if (::poll(&poll_fd, 1, 50) <= 0) continue;
      char byte;
      ssize_t n = ::recv(fd_, &byte, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      return false;  // more bytes, not an end
    }
    return false;
  }

 private:
  bool Fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd poll_fd{fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

std::string Get(const std::string& target, const std::string& version = "HTTP/1.1",
                const std::string& extra_headers = "") {
  return "GET " + target + " " + version + "\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

class WebConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "pcfdemo-conn-e2e-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    web_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{PCFDEMO_WEB_BINARY, "--port", std::to_string(port_), "--bind",
                                 "127.0.0.1", "--database", "memory:", "--data-dir", dir_.string()},
        (dir_ / "web.log").string());
    auto deadline = Clock::now() + seconds(20);
    while (Clock::now() < deadline && HttpTestGet(port_, "/readyz").status != 200) {
      ASSERT_TRUE(web_->Running()) << web_->Log();
      std::this_thread::sleep_for(milliseconds(50));
    }
    ASSERT_EQ(HttpTestGet(port_, "/readyz").status, 200) << web_->Log();
  }

  void TearDown() override {
    web_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // How many answers the route has given, from /metrics (another connection).
  long long AnswersOf(const std::string& route) {
    HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
    std::regex sample("pcfdemo_http_requests_total\\{route=\"" + route +
                      "\",status=\"200\"\\} ([0-9]+)");
    std::smatch match;
    return std::regex_search(metrics.body, match, sample) ? std::stoll(match[1]) : 0;
  }

  // Waits until the route has given `count` answers; false after ten seconds.
  bool WaitForAnswers(const std::string& route, long long count) {
    auto deadline = Clock::now() + seconds(10);
    while (Clock::now() < deadline) {
      if (AnswersOf(route) >= count) return true;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return false;
  }

  fs::path dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> web_;
};

TEST_F(WebConnection, Http11KeepsTheConnectionOpenForRequestAfterRequest) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(connection.Send(Get("/healthz")));
    std::optional<WireAnswer> answer = connection.ReadAnswer();
    ASSERT_TRUE(answer) << "request " << i << " got no whole answer";
    EXPECT_EQ(answer->head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer->head;
    EXPECT_TRUE(answer->HasHeader("Connection: keep-alive")) << answer->head;
    EXPECT_EQ(answer->body, "{\"status\":\"ok\"}");
  }
}

TEST_F(WebConnection, ConnectionCloseIsAnsweredAndThenTheConnectionEnds) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/healthz", "HTTP/1.1", "Connection: close\r\n")));
  std::optional<WireAnswer> answer = connection.ReadAnswer();
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->HasHeader("Connection: close")) << answer->head;
  EXPECT_TRUE(connection.EndsWithin(seconds(5)));
}

TEST_F(WebConnection, Http10ClosesUnlessAskedToKeepAlive) {
  {
    RawConnection connection(port_);
    ASSERT_TRUE(connection.connected());
    ASSERT_TRUE(connection.Send(Get("/healthz", "HTTP/1.0")));
    std::optional<WireAnswer> answer = connection.ReadAnswer();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << answer->head;
    EXPECT_TRUE(answer->HasHeader("Connection: close")) << answer->head;
    EXPECT_TRUE(connection.EndsWithin(seconds(5)));
  }
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connection.Send(Get("/healthz", "HTTP/1.0", "Connection: keep-alive\r\n")));
    std::optional<WireAnswer> answer = connection.ReadAnswer();
    ASSERT_TRUE(answer) << "request " << i;
    EXPECT_TRUE(answer->HasHeader("Connection: keep-alive")) << answer->head;
  }
}

TEST_F(WebConnection, PagesKeepTheirHeadersAndCookie) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/")));
  std::optional<WireAnswer> page = connection.ReadAnswer();
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->HasHeader("Content-Type: text/html; charset=utf-8")) << page->head;
  EXPECT_TRUE(page->HasHeader("X-Frame-Options: DENY")) << page->head;
  EXPECT_TRUE(page->HasHeader("Cache-Control: no-store")) << page->head;
  EXPECT_NE(page->head.find("\r\nSet-Cookie: pcfdemo_form_token="), std::string::npos);
  EXPECT_NE(page->head.find("\r\nX-Pcfdemo-Instance: 0/"), std::string::npos);
  EXPECT_EQ(page->head.find("\r\nContent-Type:"), page->head.rfind("\r\nContent-Type:"))
      << "one Content-Type only: " << page->head;
  EXPECT_NE(page->body.find("<!DOCTYPE html>"), std::string::npos);
}

// Another method on a known path is answered by pcfdemo-web too, not queued by Pistache: an
// answer that follows it on the same connection must never arrive first.
TEST_F(WebConnection, OtherMethodsGet405WithAllowAndKeepTheOrderOfAnswers) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  long long refused_before = 0;
  {
    HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
    std::smatch match;
    std::regex sample("route=\"other methods\",status=\"405\"\\} ([0-9]+)");
    if (std::regex_search(metrics.body, match, sample)) refused_before = std::stoll(match[1]);
  }
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(connection.Send(Get("/api/runs").replace(0, 3, "DELETE")));
    // Sent separately, once the first was handled (Pistache reads one request at a time).
    auto deadline = Clock::now() + seconds(10);
    std::regex sample("route=\"other methods\",status=\"405\"\\} ([0-9]+)");
    for (;;) {
      HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
      std::smatch match;
      if (std::regex_search(metrics.body, match, sample) &&
          std::stoll(match[1]) >= refused_before + i) {
        break;
      }
      ASSERT_LT(Clock::now(), deadline) << "DELETE " << i << " was not answered";
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_TRUE(connection.Send(Get("/healthz")));
    std::optional<WireAnswer> refusal = connection.ReadAnswer();
    std::optional<WireAnswer> probe = connection.ReadAnswer();
    ASSERT_TRUE(refusal && probe) << "round " << i;
    ASSERT_EQ(refusal->head.rfind("HTTP/1.1 405 ", 0), 0u)
        << "round " << i << ": " << refusal->head;
    EXPECT_TRUE(refusal->HasHeader("Allow: POST, GET")) << refusal->head;
    EXPECT_EQ(refusal->body, "{\"error\":\"use POST or GET for /api/runs\"}");
    ASSERT_EQ(probe->body, "{\"status\":\"ok\"}") << "round " << i;
  }
}

// GET /receiver is answered before Pistache's router (ServingHandler); it must answer and
// count like any route, and every other way to ask for it still reaches the router.
TEST_F(WebConnection, ReceiverAnsweredAheadOfTheRouterBehavesLikeEveryRoute) {
  long long before = AnswersOf("GET /receiver");
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/receiver?timestamp=abc")));
  std::optional<WireAnswer> refused = connection.ReadAnswer();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->head.rfind("HTTP/1.1 400 ", 0), 0u) << refused->head;
  EXPECT_NE(refused->head.find("\r\nX-Pcfdemo-Instance: 0/"), std::string::npos);
  EXPECT_NE(refused->body.find("positive whole number"), std::string::npos) << refused->body;
  ASSERT_TRUE(connection.Send(Get("/receiver?timestamp=1")));
  std::optional<WireAnswer> unknown_run = connection.ReadAnswer();
  ASSERT_TRUE(unknown_run);
  EXPECT_EQ(unknown_run->head.rfind("HTTP/1.1 404 ", 0), 0u) << unknown_run->head;

  HttpTestResponse metrics = HttpTestGet(port_, "/metrics");
  EXPECT_NE(metrics.body.find("route=\"GET /receiver\",status=\"400\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("route=\"GET /receiver\",status=\"404\"} 1"), std::string::npos);
  EXPECT_EQ(AnswersOf("GET /receiver"), before);  // no 200 was given

  ASSERT_TRUE(connection.Send(Get("/receiver?timestamp=1").replace(0, 3, "POST")));
  std::optional<WireAnswer> post = connection.ReadAnswer();
  ASSERT_TRUE(post);
  EXPECT_EQ(post->head.rfind("HTTP/1.1 405 ", 0), 0u) << post->head;
  EXPECT_TRUE(post->HasHeader("Allow: GET")) << post->head;
}

TEST_F(WebConnection, AnUnknownRouteIsAnsweredOnceAndTheConnectionStaysInStep) {
  long long unmatched_before = 0;
  {
    std::smatch match;
    std::string body = HttpTestGet(port_, "/metrics").body;
    std::regex sample("route=\"unmatched\",status=\"404\"\\} ([0-9]+)");
    if (std::regex_search(body, match, sample)) unmatched_before = std::stoll(match[1]);
  }
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/no-such-route")));
  std::optional<WireAnswer> missing = connection.ReadAnswer();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->head.rfind("HTTP/1.1 404 ", 0), 0u) << missing->head;
  ASSERT_TRUE(connection.Send(Get("/healthz")));
  std::optional<WireAnswer> probe = connection.ReadAnswer();
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->head.rfind("HTTP/1.1 200 ", 0), 0u) << "a second 404 came first";
  EXPECT_EQ(probe->body, "{\"status\":\"ok\"}");

  std::string body = HttpTestGet(port_, "/metrics").body;
  EXPECT_NE(body.find("route=\"unmatched\",status=\"404\"} " +
                      std::to_string(unmatched_before + 1) + "\n"),
            std::string::npos)
      << body;
}

TEST_F(WebConnection, HeadGets405WithoutABodyAndTheConnectionStaysInStep) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Get("/healthz").replace(0, 3, "HEAD")));
  std::optional<WireAnswer> head = connection.ReadAnswer(seconds(10), /*to_head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->head.rfind("HTTP/1.1 405 ", 0), 0u) << head->head;
  EXPECT_TRUE(head->HasHeader("Allow: GET")) << head->head;
  ASSERT_TRUE(connection.Send(Get("/healthz")));
  std::optional<WireAnswer> probe = connection.ReadAnswer();
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->head.rfind("HTTP/1.1 200 ", 0), 0u) << "the HEAD answer carried a body";
  EXPECT_EQ(probe->body, "{\"status\":\"ok\"}");
}

// A client that stops reading fills the server's socket (Linux grows its send buffer to about
// 4 MiB first): further answers then wait in the server's write queue. When the client reads
// a little and asks again, the socket has room while older answers are still queued; the new
// answer must still come after them, and every answer must arrive whole.
TEST_F(WebConnection, AnswersToAClientThatStopsReadingArriveWholeAndInOrder) {
  const std::string script = HttpTestGet(port_, "/assets/app.js").body;
  ASSERT_GT(script.size(), 4000u);

  RawConnection connection(port_, /*receive_buffer=*/2048);
  ASSERT_TRUE(connection.connected());
  const long long kScripts = 6 * 1024 * 1024 / static_cast<long long>(script.size());
  constexpr int kProbes = 40;
  long long scripts_before = AnswersOf("GET /assets/app.js");
  long long probes_before = AnswersOf("GET /healthz");
  // One request at a time: Pistache handles one request per read, so each is sent only after
  // the previous one was answered (counted in /metrics).
  for (long long i = 1; i <= kScripts; ++i) {
    ASSERT_TRUE(connection.Send(Get("/assets/app.js")));
    ASSERT_TRUE(WaitForAnswers("GET /assets/app.js", scripts_before + i)) << "script " << i;
  }
  std::vector<WireAnswer> answers;
  for (int i = 1; i <= kProbes; ++i) {
    std::optional<WireAnswer> answer = connection.ReadAnswer();
    ASSERT_TRUE(answer) << "early answer " << i;
    answers.push_back(std::move(*answer));
    ASSERT_TRUE(connection.Send(Get("/healthz")));
    ASSERT_TRUE(WaitForAnswers("GET /healthz", probes_before + i)) << "probe " << i;
  }
  while (static_cast<long long>(answers.size()) < kScripts + kProbes) {
    std::optional<WireAnswer> answer = connection.ReadAnswer();
    ASSERT_TRUE(answer) << "answer " << answers.size() + 1 << " of " << kScripts + kProbes;
    answers.push_back(std::move(*answer));
  }
  for (size_t i = 0; i < answers.size(); ++i) {
    bool expect_script = static_cast<long long>(i) < kScripts;
    ASSERT_EQ(answers[i].body, expect_script ? script : "{\"status\":\"ok\"}")
        << "answer " << i + 1 << " (" << answers[i].body.size() << " bytes) is out of order";
  }
}

}  // namespace
}  // namespace pcfdemo::test
