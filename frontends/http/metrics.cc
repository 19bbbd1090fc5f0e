// GET /metrics
//
// Prometheus text format: requests by route and status, calls the receiver counted by
// strategy, runs triggered and refused, the in-process request worker's progress, the
// in-process CPU burner's achieved utilisation, and whether each backend answered its
// last probe.
#include "pcfdemo/prometheus_text.h"
#include "routes.h"
#include "routing.h"

namespace pcfdemo::web {

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
