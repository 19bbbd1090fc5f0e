// GET /metrics
//
// Prometheus text format: requests by route and status, calls the receiver counted by
// strategy, runs triggered and refused, the in-process request worker's progress, the
// in-process CPU burner's achieved utilisation, and whether each backend answered its
// last probe.
#include <sstream>

#include "pcfdemo/latency_histogram.h"
#include "pcfdemo/prometheus_text.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {
namespace {

// The fan-out's call latencies as a Prometheus histogram. A histogram bucket of the library
// (at most ~3 % wide) is counted under the first bound it lies wholly below.
void WriteCallLatency(const LatencyHistogram& latency, PrometheusText& text) {
  static constexpr double kBoundsSeconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  const char* name = "pcfdemo_fanout_call_latency_seconds";
  text.Family(name, "histogram", "Latency of the calls this process's request worker made.");
  int index = 0;
  int64_t cumulative = 0;
  for (double bound : kBoundsSeconds) {
    const int64_t bound_micros = static_cast<int64_t>(bound * 1e6);
    for (; index < LatencyHistogram::kBucketCount &&
           LatencyHistogram::BucketUpper(index) <= bound_micros;
         ++index) {
      cumulative += latency.BucketCount(index);
    }
    std::ostringstream le;
    le << bound;
    text.Sample(std::string(name) + "_bucket", {{"le", le.str()}}, static_cast<double>(cumulative));
  }
  text.Sample(std::string(name) + "_bucket", {{"le", "+Inf"}},
              static_cast<double>(latency.Count()));
  text.Sample(std::string(name) + "_sum", latency.MeanMicros() * latency.Count() / 1e6);
  text.Sample(std::string(name) + "_count", static_cast<double>(latency.Count()));
}

}  // namespace

void RegisterMetrics(Pistache::Rest::Router& router, App& app) {
  AddRoute(
      router, app, Pistache::Http::Method::Get, "/metrics", [&app](const Pistache::Rest::Request&) {
        PrometheusText text;
        text.Family("pcfdemo_info", "gauge", "This instance; the value is always 1.");
        text.Sample("pcfdemo_info",
                    {{"instance", app.instance}, {"version", app.version}, {"mode", app.mode()}},
                    1);

        text.Family("pcfdemo_http_requests_total", "counter",
                    "HTTP requests answered, by route and status.");
        for (const RouteCounters* route : app.metrics.routes()) {
          for (int status = 100; status < 600; ++status) {
            uint64_t count = route->by_status[status].load(std::memory_order_relaxed);
            if (count == 0) continue;
            text.Sample("pcfdemo_http_requests_total",
                        {{"route", route->route}, {"status", std::to_string(status)}},
                        static_cast<double>(count));
          }
        }

        text.Family("pcfdemo_receiver_calls_total", "counter",
                    "Calls the receiver counted, by update strategy.");
        for (Strategy strategy : kAllStrategies) {
          text.Sample("pcfdemo_receiver_calls_total",
                      {{"strategy", std::string(StrategyName(strategy))}},
                      static_cast<double>(app.metrics.received(strategy)));
        }

        text.Family("pcfdemo_runs_triggered_total", "counter",
                    "Request runs triggered through this instance.");
        text.Sample("pcfdemo_runs_triggered_total",
                    static_cast<double>(app.metrics.runs_triggered.load()));
        text.Family("pcfdemo_runs_refused_busy_total", "counter",
                    "Run triggers refused because a run was pending or running.");
        text.Sample("pcfdemo_runs_refused_busy_total",
                    static_cast<double>(app.metrics.runs_refused_busy.load()));

        if (app.request_worker) {
          FanoutProgress progress = app.request_worker->progress();
          text.Family("pcfdemo_request_worker_calls_done", "gauge",
                      "Calls done in the run this process's worker is making.");
          text.Sample("pcfdemo_request_worker_calls_done", static_cast<double>(progress.done));
          text.Family("pcfdemo_request_worker_calls_total", "gauge",
                      "Calls planned in the run this process's worker is making.");
          text.Sample("pcfdemo_request_worker_calls_total", static_cast<double>(progress.total));
          WriteCallLatency(app.request_worker->call_latency(), text);
        }
        if (app.cpu_load_worker) {
          text.Family("pcfdemo_cpu_burner_achieved_percent", "gauge",
                      "CPU utilisation the in-process burner achieved, per thread.");
          text.Sample("pcfdemo_cpu_burner_achieved_percent",
                      app.cpu_load_worker->achieved_percent());
        }

        text.Family("pcfdemo_backend_up", "gauge",
                    "1 if the backend answered its last probe, else 0.");
        text.Sample("pcfdemo_backend_up", {{"backend", "store"}},
                    app.health.store_up.load() ? 1 : 0);
        text.Sample("pcfdemo_backend_up", {{"backend", "runs"}}, app.health.runs_up.load() ? 1 : 0);

        Reply reply;
        reply.body = text.text();
        reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return reply;
      });
}

}  // namespace pcfdemo::web
