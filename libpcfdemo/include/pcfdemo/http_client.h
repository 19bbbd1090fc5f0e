// HttpClient makes the calls of a request run: one GET with a timeout, or a run of GETs of
// one URL with a bounded number in flight. Restricted to http and https; redirects are not
// followed to other hosts.
//
// Implementations are safe for concurrent calls from multiple threads; each thread may
// keep its own connections for reuse, and each GetRepeatedly its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace pcfdemo {

// The response header in which a pcfdemo receiver names the instance that answered.
inline constexpr char kInstanceHeader[] = "X-Pcfdemo-Instance";

struct HttpResponse {
  int status = 0;         // HTTP status; 0 when no response arrived
  double latency_ms = 0;  // from the start of the call to the end of the response
  std::string instance;   // the kInstanceHeader value, empty if absent
  std::string error;      // empty on a response; otherwise why none arrived
};

// A run of GETs of one URL, as HttpClient::GetRepeatedly makes them.
struct RepeatedGet {
  std::string url;      // every call GETs this absolute http or https URL
  int64_t calls = 0;    // calls to make at most
  int concurrency = 1;  // calls in flight at once at most, and the number of lanes
  std::chrono::milliseconds timeout{10000};  // of each call
  // When set, read while the run goes on: once it reads true, no further call starts; the
  // calls in flight get kCancelGrace to end on their own (a call a receiver has already
  // counted is then reported as it ended), and those still in flight after it are abandoned
  // where the implementation can interrupt them, each reported to the sink as a failed call
  // with status 0 and error kCancelledError. It must outlive the GetRepeatedly.
  const std::atomic<bool>* cancel = nullptr;
};

// How long calls in flight may still end on their own after RepeatedGet::cancel became true.
inline constexpr std::chrono::milliseconds kCancelGrace{500};

// The error of a call abandoned because RepeatedGet::cancel became true.
inline constexpr char kCancelledError[] = "cancelled before an answer arrived";

// Receives each call of a GetRepeatedly once, when the call ends. `lane` is in
// [0, concurrency): calls reported with the same lane never overlap in time and are
// reported in order, so the receiver may keep per-lane state without a lock; different
// lanes may be reported from different threads at once. Returning false starts no further
// call; the calls in flight still end and are reported.
using AnswerSink = std::function<bool(int lane, const HttpResponse& response)>;

class HttpClient {
 public:
  HttpClient() = default;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  virtual ~HttpClient() = default;

  // GETs `url` and returns what came back. Never throws for network failures: they are
  // reported in `error` with status 0. REQUIRES: url is an absolute http or https URL.
  virtual HttpResponse Get(const std::string& url, std::chrono::milliseconds timeout) = 0;

  // Makes up to plan.calls GETs of plan.url, at most plan.concurrency (and at most
  // plan.calls) at a time, reporting each to `on_answer` as it ends; returns when no call
  // is left to start and none is in flight, with the number of calls made (each reported
  // once). Network failures are calls with status 0, as in Get. If `on_answer` throws, no
  // further call starts and the exception leaves GetRepeatedly once the calls in flight
  // are over (an implementation may abandon them unreported).
  // REQUIRES: plan.url as for Get; plan.calls >= 0; plan.concurrency >= 1.
  //
  // The default implementation calls Get in a loop from plan.concurrency threads, the
  // calling thread being one, one lane each; an exception thrown by Get is reported as a
  // call with status 0 whose error is the exception's message. Implementations that can
  // keep many calls in flight from fewer threads override it.
  // Limitation: the default implementation cannot interrupt a Get, so on plan.cancel it
  // only stops starting calls; the calls in flight end (answer or timeout) and are
  // reported as they come.
  virtual int64_t GetRepeatedly(const RepeatedGet& plan, const AnswerSink& on_answer);
};

}  // namespace pcfdemo
