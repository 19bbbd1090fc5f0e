#include "pcfdemo/curl_http_client.h"

#include <curl/curl.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace pcfdemo {

namespace {

#ifndef PCFDEMO_VERSION
#define PCFDEMO_VERSION "dev"
#endif

constexpr char kUserAgent[] = "pcfdemo/" PCFDEMO_VERSION;

// Loopback never goes through a proxy, whatever the environment says; other hosts follow
// the usual http_proxy / https_proxy / no_proxy variables.
constexpr char kLoopbackNoProxy[] = "localhost,127.0.0.1,::1";

std::once_flag curl_global_once;
CURLcode curl_global_result = CURLE_OK;

void InitCurlOnce() {
  std::call_once(curl_global_once, [] { curl_global_result = curl_global_init(CURL_GLOBAL_ALL); });
}

// What the callbacks of one call fill in.
struct CallState {
  std::string instance;
};

size_t DiscardBody(char* /*data*/, size_t size, size_t count, void* /*state*/) {
  return size * count;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// The most of an instance header's value kept: a name, not a payload.
constexpr size_t kMaxInstanceBytes = 128;

// At most kMaxInstanceBytes of `value`, every byte outside printable ASCII replaced by '?',
// so that a hostile server can neither grow a run's memory nor write control sequences to
// a terminal or a page.
std::string SafeInstance(std::string_view value) {
  std::string safe(value.substr(0, kMaxInstanceBytes));
  for (char& c : safe) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7e) c = '?';
  }
  return safe;
}

// Called once per header line, the status line included.
size_t ReadHeader(char* data, size_t size, size_t count, void* state_ptr) {
  auto* state = static_cast<CallState*>(state_ptr);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = kInstanceHeader;

  if (line.size() >= 5 && line.compare(0, 5, "HTTP/") == 0) {
    state->instance.clear();  // a new response (after a 1xx): forget the previous one's
  } else if (line.size() > kName.size() && line[kName.size()] == ':' &&
             strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    state->instance = SafeInstance(Trim(line.substr(kName.size() + 1)));
  }
  return size * count;
}

// Restricts `handle` to http and https, for calls and for any redirect.
void AllowOnlyHttp(CURL* handle) {
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0 named the protocols and retired the bitmask
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS});
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS});
#endif
}

// The environment's no_proxy list with loopback added.
const std::string& NoProxyList() {
  static const std::string list = [] {
    std::string from_env;
    for (const char* name : {"no_proxy", "NO_PROXY"}) {
      const char* value = std::getenv(name);
      if (value != nullptr && *value != '\0') {
        from_env = value;
        break;
      }
    }
    if (from_env == "*") return from_env;
    return from_env.empty() ? std::string(kLoopbackNoProxy) : from_env + "," + kLoopbackNoProxy;
  }();
  return list;
}

// Sets what every call of `handle` shares: http and https only, no redirects, no signals,
// no Nagle delay, the user agent, the proxy exceptions, where curl writes its error detail;
// the body is discarded and the headers go to ReadHeader.
void ConfigureHandle(CURL* handle, char* error_buffer) {
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  AllowOnlyHttp(handle);
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &DiscardBody);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_NOPROXY, NoProxyList().c_str());
}

long TimeoutMillis(std::chrono::milliseconds timeout) {
  return timeout.count() > 0 ? static_cast<long>(timeout.count()) : 1L;
}

// One easy handle per thread, created on the thread's first call and kept, with its
// connection cache, until the thread ends.
// Limitation: a wrapper client that leaves GetRepeatedly to the default one (new caller
// threads each run, calling this Get) reuses kept-alive connections within a run but not
// from one run to the next; a pool of handles lent to threads would carry them over.
class ThreadHandle {
 public:
  ThreadHandle() : handle_(curl_easy_init()) {
    if (handle_ != nullptr) ConfigureHandle(handle_, error_buffer_);
  }

  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;

  ~ThreadHandle() {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }

  CURL* get() { return handle_; }
  char* error_buffer() { return error_buffer_; }

 private:
  CURL* handle_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

ThreadHandle& HandleOfThisThread() {
  thread_local ThreadHandle handle;
  return handle;
}

// The user information ("user:password") of an absolute URL, empty when it has none.
std::string_view UserInfo(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  return at == std::string_view::npos ? std::string_view() : rest.substr(0, at);
}

void ReplaceAll(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
}

// An error text fit to show: URLs in it lose their user information, and the URL's
// credentials do not appear anywhere else in it either.
std::string ScrubError(std::string error, const std::string& url) {
  error = RedactUrlCredentials(error);
  std::string_view user_info = UserInfo(url);
  ReplaceAll(error, user_info, "***");
  size_t colon = user_info.find(':');
  if (colon != std::string_view::npos) ReplaceAll(error, user_info.substr(colon + 1), "***");
  return error;
}

// curl's detail with the figures that change from call to call taken out ("after 103 ms",
// "with 0 bytes received"), so that the same failure reads the same every time and a
// fan-out can count calls by error text.
std::string StableDetail(const std::string& detail) {
  static const std::regex kFigures(
      R"( after [0-9]+ (ms|milliseconds)| with [0-9]+( out of -?[0-9]+)? bytes received)");
  return std::regex_replace(detail, kFigures, "");
}

// "<curl's reason>: <detail>", or the detail alone when it already ends with the reason.
std::string ErrorText(CURLcode code, const char* error_buffer) {
  std::string reason = curl_easy_strerror(code);
  if (error_buffer[0] == '\0') return reason;
  std::string detail = StableDetail(error_buffer);
  if (detail.size() >= reason.size() &&
      detail.compare(detail.size() - reason.size(), reason.size(), reason) == 0) {
    return detail;
  }
  return reason + ": " + detail;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// --- GetRepeatedly on the multi interface -------------------------------------------------

// What the event loops of one GetRepeatedly share.
struct RepeatedRun {
  const RepeatedGet& plan;
  const AnswerSink& on_answer;
  int64_t total;
  std::atomic<int64_t> claimed{0};  // calls started or about to start, may pass `total`
  std::atomic<bool> stop{false};    // set when on_answer said no or threw

  RepeatedRun(const RepeatedGet& p, const AnswerSink& sink, int64_t calls)
      : plan(p), on_answer(sink), total(calls) {}

  // Whether the plan's cancel flag reads true.
  bool Cancelled() const { return plan.cancel != nullptr && plan.cancel->load(); }

  // Takes the right to start one more call; false when no call may start.
  bool ClaimCall() {
    return !stop.load(std::memory_order_relaxed) && !Cancelled() && claimed.fetch_add(1) < total;
  }
};

// One easy handle of an event loop, with the state of the call it is making. Its lane
// number is the one reported to on_answer. Not movable: curl keeps pointers into it.
struct Lane {
  int number = 0;
  CURL* easy = nullptr;
  bool in_flight = false;
  std::chrono::steady_clock::time_point started;
  CallState state;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// One curl multi handle driving a fixed set of lanes with curl_multi_socket_action and
// epoll, from the thread that calls Run. Each lane's easy handle is configured once,
// with the URL parsed once, and re-added after each call so it keeps its connection.
// Limitation: the connections end with the loop, so each run opens its own; a multi handle
// kept by the client from run to run (one run at a time) would carry them over.
class EventLoop {
 public:
  // Lanes [first_lane, first_lane + lanes). ok() tells whether every handle was created.
  EventLoop(RepeatedRun* run, int first_lane, int lanes)
      : run_(run), lanes_(static_cast<size_t>(lanes)) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    multi_ = curl_multi_init();
    url_ = curl_url();
    if (epoll_fd_ < 0 || multi_ == nullptr || url_ == nullptr) return;
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EventLoop::OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);

    // A URL curl's parser refuses is given as text instead, so that each call fails with the
    // same error Get reports for it.
    bool parsed = curl_url_set(url_, CURLUPART_URL, run_->plan.url.c_str(), 0) == CURLUE_OK;
    for (size_t i = 0; i < lanes_.size(); ++i) {
      Lane& lane = lanes_[i];
      lane.number = first_lane + static_cast<int>(i);
      lane.easy = curl_easy_init();
      if (lane.easy == nullptr) return;
      ConfigureHandle(lane.easy, lane.error_buffer);
      if (parsed) {
        curl_easy_setopt(lane.easy, CURLOPT_CURLU, url_);
      } else {
        curl_easy_setopt(lane.easy, CURLOPT_URL, run_->plan.url.c_str());
      }
      curl_easy_setopt(lane.easy, CURLOPT_TIMEOUT_MS, TimeoutMillis(run_->plan.timeout));
      curl_easy_setopt(lane.easy, CURLOPT_HEADERDATA, &lane.state);
      curl_easy_setopt(lane.easy, CURLOPT_PRIVATE, &lane);
      curl_easy_setopt(lane.easy, CURLOPT_OPENSOCKETFUNCTION, &EventLoop::OnOpenSocket);
      curl_easy_setopt(lane.easy, CURLOPT_OPENSOCKETDATA, this);
      curl_easy_setopt(lane.easy, CURLOPT_CLOSESOCKETFUNCTION, &EventLoop::OnCloseSocket);
      curl_easy_setopt(lane.easy, CURLOPT_CLOSESOCKETDATA, this);
    }
    ok_ = true;
  }

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  ~EventLoop() {
    for (Lane& lane : lanes_) {
      if (lane.easy == nullptr) continue;
      if (lane.in_flight) curl_multi_remove_handle(multi_, lane.easy);
      curl_easy_cleanup(lane.easy);
    }
    if (multi_ != nullptr) curl_multi_cleanup(multi_);  // closes the kept connections
    if (url_ != nullptr) curl_url_cleanup(url_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  bool ok() const { return ok_; }

  // Makes calls on every lane until none is left to start and none is in flight; returns
  // the number made. An exception from on_answer leaves at once; the destructor then
  // abandons the calls in flight. Once the plan's cancel flag reads true, the calls still in
  // flight kCancelGrace later are abandoned and reported as cancelled.
  int64_t Run() {
    for (Lane& lane : lanes_) {
      if (!Start(lane)) break;
    }

    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    while (in_flight_ > 0) {
      int wait_ms = MillisToTimer();
      int ready = 0;
      if (wait_ms != 0) {
        ready = ::epoll_wait(epoll_fd_, events, kMaxEvents, wait_ms);
        if (ready < 0) ready = 0;  // EINTR: look at the timer and wait again
      }
      int running = 0;
      if (ready == 0) {
        // Nothing happened on the sockets: curl looks at its deadlines.
        if (timer_set_ && std::chrono::steady_clock::now() >= timer_) timer_set_ = false;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      for (int i = 0; i < ready; ++i) {
        int socket = events[i].data.fd;
        Registration& registration = RegistrationOf(socket);
        if (!registration.watched) {
          // An idle connection's socket (the server closing it, say): curl looks at it when
          // it takes the connection again.
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
          registration.in_epoll = false;
          continue;
        }
        int flags = 0;
        if (events[i].events & EPOLLIN) flags |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi_, socket, flags, &running);
      }
      if (timer_set_ && std::chrono::steady_clock::now() >= timer_) {
        timer_set_ = false;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      FinishEndedCalls();
      auto now = std::chrono::steady_clock::now();
      if (ready == 0 || now >= next_overdue_check_) {
        next_overdue_check_ = now + std::chrono::milliseconds(MaxWaitMillis());
        FailOverdueCalls(now);
      }
      if (run_->Cancelled()) {
        // Calls that end within the grace are reported as they ended: the receivers may
        // already have counted them, and a run's succeeded calls should match its counts.
        if (!cancel_seen_) {
          cancel_seen_ = true;
          abandon_at_ = now + kCancelGrace;
        } else if (now >= abandon_at_) {
          AbandonCallsInFlight();
        }
      }
    }
    return made_;
  }

 private:
  // Claims a call and starts it on `lane`; false when no call may start.
  bool Start(Lane& lane) {
    if (!run_->ClaimCall()) return false;
    lane.error_buffer[0] = '\0';
    lane.state.instance.clear();
    lane.started = std::chrono::steady_clock::now();
    CURLMcode added = curl_multi_add_handle(multi_, lane.easy);
    if (added != CURLM_OK) {
      // Not expected with a handle that was just removed; the run ends with this call.
      run_->stop = true;
      HttpResponse response;
      response.error = std::string("curl could not start a call: ") + curl_multi_strerror(added);
      Report(lane, response);
      return false;
    }
    lane.in_flight = true;
    ++in_flight_;
    return true;
  }

  // Reports every call curl says has ended and starts the next call on its lane.
  void FinishEndedCalls() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      CURLcode code = message->data.result;
      char* lane_ptr = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &lane_ptr);
      Lane& lane = *reinterpret_cast<Lane*>(lane_ptr);

      long status = 0;
      if (code == CURLE_OK) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      // Removed before the next call is added: the connection goes back to the multi
      // handle's cache, from which the next call takes it again.
      HttpResponse response = EndCall(lane);
      if (code != CURLE_OK) {
        response.error = ScrubError(ErrorText(code, lane.error_buffer), run_->plan.url);
      } else {
        response.status = static_cast<int>(status);
        response.instance = std::move(lane.state.instance);
      }
      if (Report(lane, response)) Start(lane);
    }
  }

  // Fails every call in flight for longer than the plan's timeout and a little grace, as
  // curl does not always do it itself: 7.88 let calls with a 1 ms timeout run ~200 ms, to
  // the next timer it had set for other reasons. The grace lets curl report the timeout
  // first, with its own error, whenever it does enforce it.
  void FailOverdueCalls(std::chrono::steady_clock::time_point now) {
    constexpr std::chrono::milliseconds kGrace{5};
    const auto limit = std::chrono::milliseconds(TimeoutMillis(run_->plan.timeout)) + kGrace;
    for (Lane& lane : lanes_) {
      if (!lane.in_flight || now - lane.started < limit) continue;
      HttpResponse response = EndCall(lane);
      response.error =
          std::string(curl_easy_strerror(CURLE_OPERATION_TIMEDOUT)) + ": Operation timed out";
      if (Report(lane, response)) Start(lane);
    }
  }

  // Takes every call in flight off the multi handle (curl closes its connection) and
  // reports it as failed with kCancelledError; no call starts after it.
  void AbandonCallsInFlight() {
    run_->stop = true;
    for (Lane& lane : lanes_) {
      if (!lane.in_flight) continue;
      HttpResponse response = EndCall(lane);
      response.error = kCancelledError;
      Report(lane, response);
    }
  }

  // Takes the lane's call off the multi handle; its answer, with only the latency filled in
  // so far. REQUIRES: lane.in_flight.
  HttpResponse EndCall(Lane& lane) {
    curl_multi_remove_handle(multi_, lane.easy);
    lane.in_flight = false;
    --in_flight_;
    HttpResponse response;
    response.latency_ms = MillisSince(lane.started);
    return response;
  }

  // Passes a call that ended to on_answer; false when it asks for no further call.
  bool Report(const Lane& lane, const HttpResponse& response) {
    ++made_;
    bool more;
    try {
      more = run_->on_answer(lane.number, response);
    } catch (...) {
      run_->stop = true;
      throw;
    }
    if (!more) run_->stop = true;
    return more;
  }

  // The longest epoll may wait: a second should a socket be forgotten, no more than a
  // call's timeout should curl not enforce it (FailOverdueCalls), and no more than
  // kCancelCheckMs when the run can be cancelled.
  int MaxWaitMillis() const {
    constexpr int64_t kLongestWaitMs = 1000;
    constexpr int64_t kCancelCheckMs = 100;
    int64_t cap = std::clamp<int64_t>(run_->plan.timeout.count(), 1, kLongestWaitMs);
    if (run_->plan.cancel != nullptr) cap = std::min(cap, kCancelCheckMs);
    return static_cast<int>(cap);
  }

  // Milliseconds epoll may wait: 0 when curl's timer is due, at most MaxWaitMillis().
  int MillisToTimer() const {
    const int max_wait_ms = MaxWaitMillis();
    if (!timer_set_) return max_wait_ms;
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(timer_ - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, max_wait_ms));
  }

  // CURLMOPT_SOCKETFUNCTION: curl names a socket and what to wait for on it.
  //
  // A connection's socket curl stops watching stays in the epoll set: curl gives up the
  // socket of a kept-alive connection when its call ends and asks for it again, with the
  // same events, when the lane's next call starts, and leaving it there saves two epoll_ctl
  // calls per call. It leaves the set when curl closes it (OnCloseSocket) or when an event
  // arrives while curl does not watch it (Run). This holds only for the sockets of
  // connections, which curl opens and closes through OnOpenSocket and OnCloseSocket; any
  // other socket (the resolver's, say) may be closed without a word, so it leaves the set
  // as soon as curl stops watching it and is never assumed to be in it.
  static int OnSocket(CURL* /*easy*/, curl_socket_t socket, int what, void* loop_ptr,
                      void* /*socket_ptr*/) {
    auto* loop = static_cast<EventLoop*>(loop_ptr);
    Registration& registration = loop->RegistrationOf(socket);
    if (what == CURL_POLL_REMOVE) {
      if (registration.connection) {
        registration.watched = false;
      } else {
        if (registration.in_epoll) ::epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
        registration = Registration{};
      }
      return 0;
    }
    uint32_t events = ((what & CURL_POLL_IN) ? uint32_t{EPOLLIN} : 0u) |
                      ((what & CURL_POLL_OUT) ? uint32_t{EPOLLOUT} : 0u);
    if (!registration.connection || !registration.in_epoll || registration.events != events) {
      epoll_event event{};
      event.events = events;
      event.data.fd = socket;
      int op = registration.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
      if (::epoll_ctl(loop->epoll_fd_, op, socket, &event) != 0) {
        int other = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (::epoll_ctl(loop->epoll_fd_, other, socket, &event) != 0) return -1;
      }
    }
    registration.in_epoll = true;
    registration.watched = true;
    registration.events = events;
    return 0;
  }

  // CURLOPT_OPENSOCKETFUNCTION: a connection's socket, as curl would open it, marked as one.
  static curl_socket_t OnOpenSocket(void* loop_ptr, curlsocktype /*purpose*/,
                                    curl_sockaddr* address) {
    auto* loop = static_cast<EventLoop*>(loop_ptr);
    int socket = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (socket < 0) return CURL_SOCKET_BAD;
    Registration& registration = loop->RegistrationOf(socket);
    registration = Registration{};  // a socket of that number closed unseen is forgotten
    registration.connection = true;
    return socket;
  }

  // CURLOPT_CLOSESOCKETFUNCTION: the socket leaves the epoll set before it is closed, so
  // that a new socket given the same number starts unregistered.
  static int OnCloseSocket(void* loop_ptr, curl_socket_t socket) {
    auto* loop = static_cast<EventLoop*>(loop_ptr);
    Registration& registration = loop->RegistrationOf(socket);
    if (registration.in_epoll) ::epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
    registration = Registration{};
    return ::close(socket);
  }

  // What the loop knows of a socket number.
  struct Registration {
    bool connection = false;  // opened by OnOpenSocket, to be closed by OnCloseSocket
    bool in_epoll = false;
    bool watched = false;  // curl waits for `events` on it
    uint32_t events = 0;
  };

  Registration& RegistrationOf(curl_socket_t socket) {
    auto index = static_cast<size_t>(socket);
    if (index >= registrations_.size()) registrations_.resize(index + 1);
    return registrations_[index];
  }

  // CURLMOPT_TIMERFUNCTION: when curl wants to be called with CURL_SOCKET_TIMEOUT.
  static int OnTimer(CURLM* /*multi*/, long timeout_ms, void* loop_ptr) {
    auto* loop = static_cast<EventLoop*>(loop_ptr);
    loop->timer_set_ = timeout_ms >= 0;
    if (loop->timer_set_) {
      loop->timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  RepeatedRun* run_;
  std::vector<Lane> lanes_;
  int epoll_fd_ = -1;
  CURLM* multi_ = nullptr;
  CURLU* url_ = nullptr;
  bool ok_ = false;
  int in_flight_ = 0;
  int64_t made_ = 0;
  bool timer_set_ = false;
  std::chrono::steady_clock::time_point timer_;
  std::vector<Registration> registrations_;  // by socket number
  std::chrono::steady_clock::time_point next_overdue_check_;
  bool cancel_seen_ = false;                          // the plan's cancel flag was seen true
  std::chrono::steady_clock::time_point abandon_at_;  // when calls still in flight are dropped
};

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient() { InitCurlOnce(); }

  HttpResponse Get(const std::string& url, std::chrono::milliseconds timeout) override {
    HttpResponse response;
    if (curl_global_result != CURLE_OK) {
      response.error =
          std::string("curl could not be initialised: ") + curl_easy_strerror(curl_global_result);
      return response;
    }
    ThreadHandle& thread_handle = HandleOfThisThread();
    CURL* curl = thread_handle.get();
    if (curl == nullptr) {
      response.error = "curl could not create a handle";
      return response;
    }

    CallState state;
    char* error_buffer = thread_handle.error_buffer();
    error_buffer[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, TimeoutMillis(timeout));
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &state);

    auto start = std::chrono::steady_clock::now();
    CURLcode code = curl_easy_perform(curl);
    response.latency_ms = MillisSince(start);

    // Nothing of this call may outlive it in the reused handle.
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, nullptr);

    if (code != CURLE_OK) {
      response.error = ScrubError(ErrorText(code, error_buffer), url);
      return response;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    response.instance = std::move(state.instance);
    return response;
  }

  int64_t GetRepeatedly(const RepeatedGet& plan, const AnswerSink& on_answer) override {
    const int64_t total = std::max<int64_t>(plan.calls, 0);
    if (total == 0) return 0;
    const int lanes = static_cast<int>(std::clamp<int64_t>(plan.concurrency, 1, total));
    if (curl_global_result != CURLE_OK) return HttpClient::GetRepeatedly(plan, on_answer);

    RepeatedRun run(plan, on_answer, total);
    if (LoopsFor(lanes) == 2) {
      std::optional<int64_t> made = RunOnTwoLoops(run, lanes);
      if (made) return *made;
    }
    EventLoop loop(&run, 0, lanes);
    // Without its handles the run falls back to Get on threads, which fails each call with
    // the reason if curl is truly out of resources.
    if (!loop.ok()) return HttpClient::GetRepeatedly(plan, on_answer);
    return loop.Run();
  }

 private:
  // Runs the lanes split over two event loops, the second on a thread of its own; empty,
  // before any call, when the handles or the thread cannot be had.
  static std::optional<int64_t> RunOnTwoLoops(RepeatedRun& run, int lanes) {
    const int first_half = lanes / 2;
    EventLoop mine(&run, 0, first_half);
    EventLoop other(&run, first_half, lanes - first_half);
    if (!mine.ok() || !other.ok()) return std::nullopt;

    int64_t other_made = 0;
    std::exception_ptr other_failure;
    std::thread other_thread;
    try {
      other_thread = std::thread([&] {
        try {
          other_made = other.Run();
        } catch (...) {
          other_failure = std::current_exception();
        }
      });
    } catch (const std::system_error&) {
      return std::nullopt;
    }
    int64_t made = 0;
    try {
      made = mine.Run();
    } catch (...) {
      other_thread.join();  // on_answer threw: `other` starts no further call
      throw;
    }
    other_thread.join();
    if (other_failure) std::rethrow_exception(other_failure);
    return made + other_made;
  }

  // Event loops for a run of `lanes` lanes: two when there are two lanes and two CPUs.
  //
  // One loop costs 15 to 20 us of CPU per call against nginx on loopback, about half of it
  // in the kernel and most of the rest in curl's per-transfer work, so one loop tops out
  // near the speed of one CPU: 1 / 15 us is 67000 calls/s. Measured on a 2-CPU machine
  // against nginx `return 200` on the same machine, 200000 calls a run, one loop and two
  // alternated three times: concurrency 8 made 49000 to 67000 calls/s with one loop and
  // 55000 to 69000 with two; concurrency 256, 38000 to 45000 with one and 54000 to 68000
  // with two, at the same CPU per call. Even with the server taking its share of the two
  // CPUs, the second loop gets the client the CPU time the server leaves idle; it costs one
  // thread.
  // Limitation: on machines with more CPUs a run still uses at most two loops; a loop per
  // CPU, up to the number of lanes, would be the next step if one client must go faster.
  static int LoopsFor(int lanes) {
    return lanes >= 2 && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  }
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient() {
  return std::make_unique<CurlHttpClient>();
}

std::string RedactUrlCredentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos) break;
    size_t authority = scheme_end + 3;
    out.append(text.substr(pos, authority - pos));

    // The authority ends at the first '/', '?', '#' or whitespace; user information is
    // everything before its last '@'.
    size_t authority_end = authority;
    while (authority_end < text.size() &&
           std::string_view("/?# \t\r\n\"'<>").find(text[authority_end]) ==
               std::string_view::npos) {
      ++authority_end;
    }
    std::string_view host_part = text.substr(authority, authority_end - authority);
    size_t at = host_part.rfind('@');
    if (at != std::string_view::npos) {
      out.append("***@");
      out.append(host_part.substr(at + 1));
    } else {
      out.append(host_part);
    }
    pos = authority_end;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace pcfdemo
