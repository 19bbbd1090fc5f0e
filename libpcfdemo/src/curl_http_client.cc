#include "pcfdemo/curl_http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <string>

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

// Called once per header line, the status line included.
size_t ReadHeader(char* data, size_t size, size_t count, void* state_ptr) {
  auto* state = static_cast<CallState*>(state_ptr);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = kInstanceHeader;

  if (line.size() >= 5 && line.compare(0, 5, "HTTP/") == 0) {
    state->instance.clear();  // a new response (after a 1xx): forget the previous one's
  } else if (line.size() > kName.size() && line[kName.size()] == ':' &&
             strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    state->instance = std::string(Trim(line.substr(kName.size() + 1)));
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

// One easy handle per thread, created on the thread's first call and kept, with its
// connection cache, until the thread ends.
// Limitation: RequestFanout starts new caller threads for every run, so kept-alive
// connections are reused within a run but not from one run to the next; a pool of handles
// owned by the client and lent to threads would carry them over.
class ThreadHandle {
 public:
  ThreadHandle() : handle_(curl_easy_init()) {
    if (handle_ == nullptr) return;
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    AllowOnlyHttp(handle_);
    curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(handle_, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &DiscardBody);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &ReadHeader);
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(handle_, CURLOPT_NOPROXY, NoProxyList().c_str());
  }

  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;

  ~ThreadHandle() {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }

  CURL* get() { return handle_; }
  char* error_buffer() { return error_buffer_; }

 private:
  // The environment's no_proxy list with loopback added.
  static const std::string& NoProxyList() {
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
    long timeout_ms = timeout.count() > 0 ? static_cast<long>(timeout.count()) : 1L;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
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
