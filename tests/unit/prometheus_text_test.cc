#include "pcfdemo/prometheus_text.h"

#include <gtest/gtest.h>

namespace pcfdemo {
namespace {

TEST(PrometheusText, WritesHelpTypeAndSamplesWithLabels) {
  PrometheusText text;
  text.Family("pcfdemo_http_requests_total", "counter", "HTTP requests answered.");
  text.Sample("pcfdemo_http_requests_total", {{"route", "GET /receiver"}, {"status", "200"}}, 12);
  text.Family("pcfdemo_cpu", "gauge", "CPU.");
  text.Sample("pcfdemo_cpu", 42.5);
  EXPECT_EQ(text.text(),
            "# HELP pcfdemo_http_requests_total HTTP requests answered.\n"
            "# TYPE pcfdemo_http_requests_total counter\n"
            "pcfdemo_http_requests_total{route=\"GET /receiver\",status=\"200\"} 12\n"
            "# HELP pcfdemo_cpu CPU.\n"
            "# TYPE pcfdemo_cpu gauge\n"
            "pcfdemo_cpu 42.5\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  PrometheusText text;
  text.Family("m", "gauge", "line\nbreak \\ here");
  text.Sample("m", {{"instance", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(text.text(),
            "# HELP m line\\nbreak \\\\ here\n# TYPE m gauge\nm{instance=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(PrometheusText, LargeCountersStayExactIntegers) {
  PrometheusText text;
  text.Sample("c", 123456789012.0);
  EXPECT_EQ(text.text(), "c 123456789012\n");
}

}  // namespace
}  // namespace pcfdemo
