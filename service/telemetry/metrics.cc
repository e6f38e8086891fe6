#include "service/telemetry/metrics.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/telemetry/heap_usage.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

bool ValidName(absl::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok =
        absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
        (allow_colon && c == ':') ||
        (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

// HELP text: backslash and newline escaped.
std::string EscapeHelp(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label values: backslash, double quote and newline escaped.
std::string EscapeLabelValue(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="x",b="y"} (with `extra` appended as one more pair, already formatted),
// or "" when there are no labels at all.
std::string LabelText(const std::vector<std::string>& names,
                      const LabelValues& values, absl::string_view extra = "") {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    pairs.push_back(
        absl::StrCat(names[i], "=\"", EscapeLabelValue(values[i]), "\""));
  }
  if (!extra.empty()) pairs.emplace_back(extra);
  if (pairs.empty()) return "";
  return absl::StrCat("{", absl::StrJoin(pairs, ","), "}");
}

void RenderHeader(absl::string_view name, absl::string_view help,
                  absl::string_view type, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n");
  absl::StrAppend(out, "# TYPE ", name, " ", type, "\n");
}

}  // namespace

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

Family::Family(std::string name, std::string help,
               std::vector<std::string> labels, MetricsRegistry* registry)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(labels)),
      registry_(registry) {}

bool Family::LabelsOk(absl::Span<const std::string> values) const {
  if (values.size() == label_names_.size()) return true;
  if (registry_ != nullptr) registry_->LabelError();
  return false;
}

void Counter::Increment(const LabelValues& labels, double by) {
  if (!LabelsOk(labels) || !(by >= 0)) return;
  absl::MutexLock lock(&mu_);
  values_[labels] += by;
}

double Counter::Value(const LabelValues& labels) const {
  absl::MutexLock lock(&mu_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void Counter::Render(std::string* out) const {
  absl::MutexLock lock(&mu_);
  RenderHeader(name_, help_, type(), out);
  if (values_.empty() && label_names_.empty()) {
    absl::StrAppend(out, name_, " 0\n");
  }
  for (const auto& [labels, value] : values_) {
    absl::StrAppend(out, name_, LabelText(label_names_, labels), " ",
                    FormatMetricValue(value), "\n");
  }
}

void Gauge::Set(const LabelValues& labels, double value) {
  if (!LabelsOk(labels)) return;
  absl::MutexLock lock(&mu_);
  values_[labels] = value;
}

void Gauge::Add(const LabelValues& labels, double delta) {
  if (!LabelsOk(labels)) return;
  absl::MutexLock lock(&mu_);
  values_[labels] += delta;
}

double Gauge::Value(const LabelValues& labels) const {
  absl::MutexLock lock(&mu_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void Gauge::Render(std::string* out) const {
  absl::MutexLock lock(&mu_);
  RenderHeader(name_, help_, type(), out);
  if (values_.empty() && label_names_.empty()) {
    absl::StrAppend(out, name_, " 0\n");
  }
  for (const auto& [labels, value] : values_) {
    absl::StrAppend(out, name_, LabelText(label_names_, labels), " ",
                    FormatMetricValue(value), "\n");
  }
}

Histogram::Histogram(std::string name, std::string help,
                     std::vector<std::string> labels, MetricsRegistry* registry,
                     std::vector<double> bounds)
    : Family(std::move(name), std::move(help), std::move(labels), registry),
      bounds_(std::move(bounds)) {}

void Histogram::Observe(const LabelValues& labels, double value) {
  if (!LabelsOk(labels) || std::isnan(value)) return;
  absl::MutexLock lock(&mu_);
  Series& series = series_[labels];
  if (series.buckets.empty()) series.buckets.resize(bounds_.size());
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++series.buckets[i];
      break;
    }
  }
  ++series.count;
  series.sum += value;
}

void Histogram::Render(std::string* out) const {
  absl::MutexLock lock(&mu_);
  RenderHeader(name_, help_, type(), out);
  for (const auto& [labels, series] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += series.buckets[i];
      absl::StrAppend(
          out, name_, "_bucket",
          LabelText(label_names_, labels,
                    absl::StrCat("le=\"", FormatMetricValue(bounds_[i]), "\"")),
          " ", cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_bucket",
                    LabelText(label_names_, labels, "le=\"+Inf\""), " ",
                    series.count, "\n");
    absl::StrAppend(out, name_, "_sum", LabelText(label_names_, labels), " ",
                    FormatMetricValue(series.sum), "\n");
    absl::StrAppend(out, name_, "_count", LabelText(label_names_, labels), " ",
                    series.count, "\n");
  }
}

MetricsRegistry::MetricsRegistry() {
  // Registered first, without the lock, so LabelError() always has it.
  auto errors = std::unique_ptr<Counter>(new Counter(
      "mikeyd_metrics_label_errors_total",
      "Metric updates dropped because they had the wrong number of label "
      "values (a bug in mikeyd).",
      {}, nullptr));
  label_errors_ = errors.get();
  absl::MutexLock lock(&mu_);
  families_.emplace(errors->name(), std::move(errors));
}

void MetricsRegistry::LabelError() const { label_errors_->Increment({}); }

absl::Status MetricsRegistry::CheckNew(
    absl::string_view name, const std::vector<std::string>& labels) const {
  if (!ValidName(name, /*allow_colon=*/true)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metric name '", name, "' is not [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& label = labels[i];
    if (!ValidName(label, /*allow_colon=*/false) || label == "le" ||
        absl::StartsWith(label, "__")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric ", name, ": label name '", label, "' is not allowed"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j] == label) {
        return absl::InvalidArgumentError(absl::StrCat(
            "metric ", name, ": label name '", label, "' given twice"));
      }
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T*> MetricsRegistry::Existing(
    absl::string_view name, const std::vector<std::string>& labels) const {
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  T* family = dynamic_cast<T*>(it->second.get());
  if (family == nullptr || family->label_names_ != labels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metric ", name,
        " is already registered with another type or other labels"));
  }
  return family;
}

absl::StatusOr<Counter*> MetricsRegistry::AddCounter(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> labels) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  absl::StatusOr<Counter*> existing = Existing<Counter>(name, labels);
  if (!existing.ok() || *existing != nullptr) return existing;
  auto family = std::unique_ptr<Counter>(new Counter(
      std::string(name), std::string(help), std::move(labels), this));
  Counter* raw = family.get();
  families_.emplace(std::string(name), std::move(family));
  return raw;
}

absl::StatusOr<Gauge*> MetricsRegistry::AddGauge(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> labels) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  absl::StatusOr<Gauge*> existing = Existing<Gauge>(name, labels);
  if (!existing.ok() || *existing != nullptr) return existing;
  auto family = std::unique_ptr<Gauge>(
      new Gauge(std::string(name), std::string(help), std::move(labels), this));
  Gauge* raw = family.get();
  families_.emplace(std::string(name), std::move(family));
  return raw;
}

absl::StatusOr<Histogram*> MetricsRegistry::AddHistogram(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> labels, std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  if (bounds.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("histogram ", name, ": no bucket bounds"));
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "histogram ", name, ": bucket bounds must be finite and increasing"));
    }
  }
  absl::StatusOr<Histogram*> existing = Existing<Histogram>(name, labels);
  if (!existing.ok()) return existing;
  if (*existing != nullptr) {
    if ((*existing)->bounds_ != bounds) {
      return absl::InvalidArgumentError(absl::StrCat(
          "histogram ", name, " is already registered with other buckets"));
    }
    return existing;
  }
  auto family = std::unique_ptr<Histogram>(
      new Histogram(std::string(name), std::string(help), std::move(labels),
                    this, std::move(bounds)));
  Histogram* raw = family.get();
  families_.emplace(std::string(name), std::move(family));
  return raw;
}

std::string MetricsRegistry::RenderText() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,   0.25,   0.5,   1,    2.5};
}

absl::StatusOr<ServiceMetrics> RegisterServiceMetrics(
    MetricsRegistry* registry) {
  ServiceMetrics m;
  absl::Status status;
  auto take = [&status](auto result, auto** field) {
    if (!result.ok()) {
      if (status.ok()) status = result.status();
      return;
    }
    *field = *result;
  };
  take(registry->AddCounter(
           "mikeyd_requests_total",
           "KeyBroker RPCs handled, by method and gRPC status code.",
           {"method", "code"}),
       &m.requests);
  take(registry->AddHistogram("mikeyd_request_duration_seconds",
                              "Time spent handling KeyBroker RPCs, by method.",
                              {"method"}, LatencyBuckets()),
       &m.latency);
  take(registry->AddCounter(
           "mikeyd_auth_failures_total",
           "Calls refused by authentication (reason=\"unauthenticated\") or "
           "the authorization policy (reason=\"permission_denied\"). TLS "
           "handshakes that fail (no or untrusted client certificate) never "
           "become calls: see mikeyd_tls_handshake_failures_total.",
           {"reason"}),
       &m.auth_failures);
  take(registry->AddCounter(
           "mikeyd_tls_handshake_failures_total",
           "TLS handshakes refused on the gRPC port, by reason "
           "(no_client_certificate, untrusted_certificate, not_tls, other), "
           "as gRPC logs them (best effort: see service/telemetry/grpc_log.h).",
           {"reason"}),
       &m.tls_handshake_failures);
  take(registry->AddCounter(
           "mikeyd_audit_write_failures_total",
           "Audit lines that could not be written. After the first one "
           "mikeyd refuses calls (UNAVAILABLE) and reports NOT_SERVING."),
       &m.audit_write_failures);
  take(registry->AddGauge("mikeyd_keystore_keys",
                          "Keys in the keystore, as last loaded."),
       &m.keystore_keys);
  take(registry->AddGauge(
           "mikeyd_keystore_key_versions",
           "Key versions in the keystore (all keys), as last loaded."),
       &m.keystore_versions);
  take(registry->AddCounter("mikeyd_keystore_reloads_total",
                            "Keystore directory reloads after the first load, "
                            "by outcome (ok, error; after an error the "
                            "previous keys stay in force).",
                            {"outcome"}),
       &m.keystore_reloads);
  take(registry->AddGauge(
           "mikeyd_serving",
           "1 while mikeyd serves, 0 while it drains or refuses calls."),
       &m.serving);
  take(registry->AddGauge("mikeyd_start_time_seconds",
                          "Start time of the process, Unix seconds."),
       &m.start_time);
  if (!status.ok()) return status;
  return m;
}

absl::StatusOr<HeapMetrics> RegisterHeapMetrics(MetricsRegistry* registry) {
  HeapMetrics m;
  absl::StatusOr<Gauge*> in_use = registry->AddGauge(
      "mikeyd_heap_in_use_bytes",
      "Heap bytes allocated and not yet freed, from the allocator (glibc "
      "mallinfo2), read at each scrape. Unlike RSS it comes back down when "
      "memory is freed into the allocator's arenas, so steady growth of this "
      "gauge is a leak.");
  if (!in_use.ok()) return in_use.status();
  absl::StatusOr<Gauge*> held = registry->AddGauge(
      "mikeyd_heap_held_bytes",
      "Bytes the allocator holds from the system for the heap, in use or "
      "free, read at each scrape.");
  if (!held.ok()) return held.status();
  m.in_use = *in_use;
  m.held = *held;
  return m;
}

void RecordHeapUsage(const HeapMetrics& metrics) {
  std::optional<HeapUsage> usage = ReadHeapUsage();
  if (!usage.has_value()) return;
  metrics.in_use->Set({}, static_cast<double>(usage->in_use));
  metrics.held->Set({}, static_cast<double>(usage->held));
}

}  // namespace telemetry
}  // namespace service
}  // namespace mikey
