#include "service/telemetry/metrics.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "service/telemetry/heap_usage.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

// Every family of a registry in text form, without the always-present
// label-error counter (tested separately).
std::string Render(const MetricsRegistry& registry) {
  std::string text = registry.RenderText();
  const std::string errors =
      "# HELP mikeyd_metrics_label_errors_total Metric updates dropped "
      "because they had the wrong number of label values (a bug in mikeyd).\n"
      "# TYPE mikeyd_metrics_label_errors_total counter\n"
      "mikeyd_metrics_label_errors_total 0\n";
  const size_t at = text.find(errors);
  if (at != std::string::npos) text.erase(at, errors.size());
  return text;
}

TEST(MetricsTest, CounterTextFormat) {
  MetricsRegistry registry;
  absl::StatusOr<Counter*> c = registry.AddCounter(
      "rpcs_total", "Calls by method and code.", {"method", "code"});
  ASSERT_TRUE(c.ok()) << c.status();
  (*c)->Increment({"Decode", "OK"});
  (*c)->Increment({"Decode", "OK"});
  (*c)->Increment({"Decode", "INVALID_ARGUMENT"}, 3);
  (*c)->Increment({"Respond", "OK"}, 0.5);
  // Series sorted by label values; integers without a fraction.
  EXPECT_EQ(Render(registry),
            "# HELP rpcs_total Calls by method and code.\n"
            "# TYPE rpcs_total counter\n"
            "rpcs_total{method=\"Decode\",code=\"INVALID_ARGUMENT\"} 3\n"
            "rpcs_total{method=\"Decode\",code=\"OK\"} 2\n"
            "rpcs_total{method=\"Respond\",code=\"OK\"} 0.5\n");
  EXPECT_EQ((*c)->Value({"Decode", "OK"}), 2);
  EXPECT_EQ((*c)->Value({"Complete", "OK"}), 0);
}

TEST(MetricsTest, CountersOnlyGoUp) {
  MetricsRegistry registry;
  Counter* c = *registry.AddCounter("c_total", "h");
  c->Increment({}, 2);
  c->Increment({}, -1);
  c->Increment({}, std::nan(""));
  EXPECT_EQ(c->Value({}), 2);
}

TEST(MetricsTest, UnlabelledFamiliesStartAtZero) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddCounter("a_total", "A.").ok());
  ASSERT_TRUE(registry.AddGauge("b", "B.").ok());
  ASSERT_TRUE(registry.AddCounter("c_total", "C.", {"x"}).ok());
  EXPECT_EQ(Render(registry),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
            "# HELP b B.\n# TYPE b gauge\nb 0\n"
            "# HELP c_total C.\n# TYPE c_total counter\n");
}

TEST(MetricsTest, GaugeSetAndAdd) {
  MetricsRegistry registry;
  Gauge* g = *registry.AddGauge("keys", "Keys.");
  g->Set({}, 5);
  g->Add({}, -2);
  EXPECT_EQ(g->Value({}), 3);
  EXPECT_EQ(Render(registry), "# HELP keys Keys.\n# TYPE keys gauge\nkeys 3\n");
}

TEST(MetricsTest, HistogramTextFormat) {
  MetricsRegistry registry;
  Histogram* h =
      *registry.AddHistogram("lat_seconds", "Latency.", {"method"}, {0.5, 1});
  // Binary fractions, so the sum is exact.
  h->Observe({"Decode"}, 0.25);
  h->Observe({"Decode"}, 0.5);  // on a bound: counted in that bucket
  h->Observe({"Decode"}, 0.75);
  h->Observe({"Decode"}, 7);
  EXPECT_EQ(Render(registry),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{method=\"Decode\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{method=\"Decode\",le=\"1\"} 3\n"
            "lat_seconds_bucket{method=\"Decode\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{method=\"Decode\"} 8.5\n"
            "lat_seconds_count{method=\"Decode\"} 4\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  Counter* c =
      *registry.AddCounter("x_total", "Back\\slash\nnewline \"q\"", {"v"});
  c->Increment({"a\"b\\c\nd"});
  EXPECT_EQ(Render(registry),
            "# HELP x_total Back\\\\slash\\nnewline \"q\"\n"
            "# TYPE x_total counter\n"
            "x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, WrongLabelCountIsDroppedAndCounted) {
  MetricsRegistry registry;
  Counter* c = *registry.AddCounter("x_total", "X.", {"a", "b"});
  c->Increment({"only-one"});
  c->Increment({"1", "2", "3"});
  EXPECT_EQ(c->Value({"only-one"}), 0);
  const std::string text = registry.RenderText();
  EXPECT_NE(text.find("mikeyd_metrics_label_errors_total 2\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("x_total{"), std::string::npos) << text;
}

TEST(MetricsTest, RegistrationRules) {
  MetricsRegistry registry;
  EXPECT_FALSE(registry.AddCounter("", "h").ok());
  EXPECT_FALSE(registry.AddCounter("1abc", "h").ok());
  EXPECT_FALSE(registry.AddCounter("a-b", "h").ok());
  EXPECT_TRUE(registry.AddCounter("ns:a_b1", "h").ok());
  EXPECT_FALSE(registry.AddCounter("l_total", "h", {"le"}).ok());
  EXPECT_FALSE(registry.AddCounter("l_total", "h", {"__x"}).ok());
  EXPECT_FALSE(registry.AddCounter("l_total", "h", {"a:b"}).ok());
  EXPECT_FALSE(registry.AddCounter("l_total", "h", {"a", "a"}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "h", {}, {}).ok());
  EXPECT_FALSE(registry.AddHistogram("h", "h", {}, {1, 1}).ok());
  EXPECT_FALSE(
      registry
          .AddHistogram("h", "h", {}, {std::numeric_limits<double>::infinity()})
          .ok());

  // Asking again for the same family gives the same object...
  Counter* a = *registry.AddCounter("same_total", "h", {"x"});
  absl::StatusOr<Counter*> again =
      registry.AddCounter("same_total", "h", {"x"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, a);
  // ...but another type or other labels clash.
  EXPECT_FALSE(registry.AddGauge("same_total", "h", {"x"}).ok());
  EXPECT_FALSE(registry.AddCounter("same_total", "h", {"y"}).ok());
  ASSERT_TRUE(registry.AddHistogram("hh", "h", {}, {1, 2}).ok());
  EXPECT_FALSE(registry.AddHistogram("hh", "h", {}, {1, 3}).ok());
}

TEST(MetricsTest, FormatMetricValue) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(42), "42");
  EXPECT_EQ(FormatMetricValue(-3), "-3");
  EXPECT_EQ(FormatMetricValue(0.0005), "0.0005");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(2.5), "2.5");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()),
            "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

TEST(MetricsTest, ServiceMetricsRegisterOnceAndRender) {
  MetricsRegistry registry;
  absl::StatusOr<ServiceMetrics> m = RegisterServiceMetrics(&registry);
  ASSERT_TRUE(m.ok()) << m.status();
  m->requests->Increment({"Decode", "OK"});
  m->latency->Observe({"Decode"}, 0.0007);
  m->auth_failures->Increment({"permission_denied"});
  m->keystore_reloads->Increment({"ok"});
  const std::string text = registry.RenderText();
  for (const char* line : {
           "mikeyd_requests_total{method=\"Decode\",code=\"OK\"} 1\n",
           "mikeyd_request_duration_seconds_bucket{method=\"Decode\","
           "le=\"0.0005\"} 0\n",
           "mikeyd_request_duration_seconds_bucket{method=\"Decode\","
           "le=\"0.001\"} 1\n",
           "mikeyd_request_duration_seconds_count{method=\"Decode\"} 1\n",
           "mikeyd_auth_failures_total{reason=\"permission_denied\"} 1\n",
           "mikeyd_audit_write_failures_total 0\n",
           "mikeyd_keystore_reloads_total{outcome=\"ok\"} 1\n",
           "# TYPE mikeyd_keystore_keys gauge\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // A second registration (another part of mikeyd) gets the same families.
  absl::StatusOr<ServiceMetrics> again = RegisterServiceMetrics(&registry);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->requests, m->requests);
}

TEST(MetricsTest, HeapGaugesComeFromTheAllocator) {
  MetricsRegistry registry;
  ASSERT_TRUE(RegisterServiceMetrics(&registry).ok());
  // Not part of the service metrics: registered only when asked for.
  EXPECT_EQ(registry.RenderText().find("mikeyd_heap_"), std::string::npos);
  absl::StatusOr<HeapMetrics> m = RegisterHeapMetrics(&registry);
  ASSERT_TRUE(m.ok()) << m.status();
  std::optional<HeapUsage> before = ReadHeapUsage();
  ASSERT_TRUE(before.has_value());
  // 8 MiB held across the scrape: the gauge must see it, whatever else the
  // test process allocates meanwhile (far less).
  std::vector<char> held(8 << 20, 'x');
  RecordHeapUsage(*m);
  EXPECT_GE(m->in_use->Value({}), before->in_use + held.size());
  EXPECT_GE(m->held->Value({}), m->in_use->Value({}));
  EXPECT_NE(registry.RenderText().find("# TYPE mikeyd_heap_in_use_bytes "
                                       "gauge\n"),
            std::string::npos);
}

TEST(MetricsTest, ConcurrentIncrements) {
  MetricsRegistry registry;
  Counter* c = *registry.AddCounter("n_total", "h", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([c] {
      for (int i = 0; i < 10000; ++i) c->Increment({"x"});
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c->Value({"x"}), 40000);
}

}  // namespace
}  // namespace telemetry
}  // namespace service
}  // namespace mikey
