// Writes metrics in the Prometheus text exposition format (version 0.0.4): a HELP and a
// TYPE line per family, then its samples. Label values are escaped as the format requires.
//
// Not thread-safe: one writer builds one scrape's text.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pcfdemo {

class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family. `type` is "counter", "gauge" or "untyped".
  // REQUIRES: `name` is a valid metric name; each family is started once.
  void Family(const std::string& name, const std::string& type, const std::string& help);

  // One sample of the family started last (its name, or the name with a suffix).
  void Sample(const std::string& name, const Labels& labels, double value);
  void Sample(const std::string& name, double value) { Sample(name, {}, value); }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace pcfdemo
