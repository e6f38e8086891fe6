// A small metrics registry rendered in the Prometheus text exposition format
// (version 0.0.4): counters, gauges and histograms, each a family of series
// keyed by label values.
//
// No globals: mikeyd makes one MetricsRegistry and passes it by pointer to
// whatever records metrics (the call guard, the keystore). Families are
// registered once, at start, and recording is thread-safe.
//
//   telemetry::MetricsRegistry registry;
//   absl::StatusOr<telemetry::Counter*> reloads = registry.AddCounter(
//       "mikeyd_keystore_reloads_total", "Keystore reloads.", {"outcome"});
//   (*reloads)->Increment({"ok"});

#ifndef MIKEY_SERVICE_TELEMETRY_METRICS_H_
#define MIKEY_SERVICE_TELEMETRY_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace mikey {
namespace service {
namespace telemetry {

using LabelValues = std::vector<std::string>;

// One metric family. Recording with the wrong number of label values records
// nothing (and counts the mistake in mikeyd_metrics_label_errors_total).
class Family {
 public:
  virtual ~Family() = default;
  const std::string& name() const { return name_; }

 protected:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, std::vector<std::string> labels,
         class MetricsRegistry* registry);
  bool LabelsOk(absl::Span<const std::string> values) const;
  virtual void Render(std::string* out) const = 0;
  virtual const char* type() const = 0;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  MetricsRegistry* const registry_;
  mutable absl::Mutex mu_;
};

// Goes only up.
class Counter final : public Family {
 public:
  // `by` must not be negative (negative increments are ignored).
  void Increment(const LabelValues& labels, double by = 1);
  // The current value of one series (0 if never recorded). For tests.
  double Value(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  using Family::Family;
  void Render(std::string* out) const override;
  const char* type() const override { return "counter"; }
  std::map<LabelValues, double> values_ ABSL_GUARDED_BY(mu_);
};

// Goes up and down.
class Gauge final : public Family {
 public:
  void Set(const LabelValues& labels, double value);
  void Add(const LabelValues& labels, double delta);
  double Value(const LabelValues& labels) const;

 private:
  friend class MetricsRegistry;
  using Family::Family;
  void Render(std::string* out) const override;
  const char* type() const override { return "gauge"; }
  std::map<LabelValues, double> values_ ABSL_GUARDED_BY(mu_);
};

// Counts observations into buckets with the given upper bounds (cumulative in
// the output, plus +Inf), and keeps their sum and count.
class Histogram final : public Family {
 public:
  void Observe(const LabelValues& labels, double value);

 private:
  friend class MetricsRegistry;
  Histogram(std::string name, std::string help, std::vector<std::string> labels,
            MetricsRegistry* registry, std::vector<double> bounds);
  void Render(std::string* out) const override;
  const char* type() const override { return "histogram"; }
  struct Series {
    std::vector<uint64_t> buckets;  // per bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  const std::vector<double> bounds_;
  std::map<LabelValues, Series> series_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family, or returns the one already registered under `name`
  // if it has the same type and label names (so independent parts of the
  // service can ask for the same metric). INVALID_ARGUMENT for a name or
  // label name outside [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no ':', not "le"
  // nor starting "__"), or a clash with an existing family.
  absl::StatusOr<Counter*> AddCounter(absl::string_view name,
                                      absl::string_view help,
                                      std::vector<std::string> labels = {});
  absl::StatusOr<Gauge*> AddGauge(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<std::string> labels = {});
  // `bounds`: strictly increasing, finite, at least one.
  absl::StatusOr<Histogram*> AddHistogram(absl::string_view name,
                                          absl::string_view help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds);

  // Every family, sorted by name, in the text exposition format.
  std::string RenderText() const;

 private:
  friend class Family;
  absl::Status CheckNew(absl::string_view name,
                        const std::vector<std::string>& labels) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  template <typename T>
  absl::StatusOr<T*> Existing(absl::string_view name,
                              const std::vector<std::string>& labels) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LabelError() const;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
  Counter* label_errors_ = nullptr;
};

// Prometheus number formatting: shortest round-trip text, "+Inf", "-Inf",
// "NaN".
std::string FormatMetricValue(double value);

// The metrics mikeyd's own parts record, registered together.
struct ServiceMetrics {
  // KeyBroker calls by method and gRPC status code name ("OK",
  // "INVALID_ARGUMENT", ...).
  Counter* requests = nullptr;   // mikeyd_requests_total{method,code}
  Histogram* latency = nullptr;  // mikeyd_request_duration_seconds{method}
  // Calls refused by the call guard: reason "unauthenticated" or
  // "permission_denied".
  Counter* auth_failures = nullptr;  // mikeyd_auth_failures_total{reason}
  // TLS handshakes that failed, from gRPC's log (grpc_log.h): reason
  // "no_client_certificate", "untrusted_certificate", "not_tls", "other".
  Counter* tls_handshake_failures = nullptr;
  // ^ mikeyd_tls_handshake_failures_total{reason}
  Counter* audit_write_failures = nullptr;  // mikeyd_audit_write_failures_total
  // For the keystore: keys loaded, versions across them, reloads by outcome
  // ("ok", "error").
  Gauge* keystore_keys = nullptr;       // mikeyd_keystore_keys
  Gauge* keystore_versions = nullptr;   // mikeyd_keystore_key_versions
  Counter* keystore_reloads = nullptr;  // mikeyd_keystore_reloads_total
  Gauge* serving = nullptr;             // mikeyd_serving (1 or 0)
  Gauge* start_time = nullptr;          // mikeyd_start_time_seconds
};

// Registers ServiceMetrics in `registry`.
absl::StatusOr<ServiceMetrics> RegisterServiceMetrics(
    MetricsRegistry* registry);

// The allocator's figures (heap_usage.h), registered only when asked for
// (config metrics.heap_stats): reading them is slow under a large heap.
struct HeapMetrics {
  Gauge* in_use = nullptr;  // mikeyd_heap_in_use_bytes
  Gauge* held = nullptr;    // mikeyd_heap_held_bytes
};
absl::StatusOr<HeapMetrics> RegisterHeapMetrics(MetricsRegistry* registry);

// Sets the gauges from ReadHeapUsage() (at each scrape); leaves them unset
// where the allocator has no statistics.
void RecordHeapUsage(const HeapMetrics& metrics);

// Latency bucket bounds (seconds) for mikeyd_request_duration_seconds.
std::vector<double> LatencyBuckets();

}  // namespace telemetry
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TELEMETRY_METRICS_H_
