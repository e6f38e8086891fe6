// The audit log: one JSON object per line for every KeyBroker call and every
// authorization denial, written to stderr or appended to a file.
//
// A call line (fields always present, in this order):
//   {"time":"2026-01-02T03:04:05.678Z","event":"call","rpc":"Respond",
//    "caller":"spiffe://example.org/cam","authenticated":true,"mode":"PSK",
//    "key_id":"cam-1","key_version":3,"csb_id":305419896,"streams":2,
//    "code":"OK","message":"","latency_ms":0.412}
// csb_id is null when the call had none; key_version 0 means no keystore key.
// A denial line ("event":"denied") has time, event, rpc, caller,
// authenticated, key_id, code ("PERMISSION_DENIED") and message.
//
// Nothing in a line is key material: CallRecord carries none, and the status
// messages written are the ones the caller received (core's errors name
// payloads, fields and offsets, never key bytes). Strings are JSON-escaped
// (invalid UTF-8 becomes U+FFFD) and cut to a bounded length, so a caller
// cannot forge lines or grow them without limit.

#ifndef MIKEY_SERVICE_TELEMETRY_AUDIT_H_
#define MIKEY_SERVICE_TELEMETRY_AUDIT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {
namespace telemetry {

// The longest string value written (longer ones end in "...").
inline constexpr size_t kMaxAuditStringBytes = 512;

// `text` as a JSON string literal, quotes included, cut to `max_bytes` of
// input (at a UTF-8 character boundary, then "...").
std::string JsonString(absl::string_view text,
                       size_t max_bytes = kMaxAuditStringBytes);
// The same, appended to `out`.
void AppendJsonString(std::string* out, absl::string_view text,
                      size_t max_bytes = kMaxAuditStringBytes);

// "2026-01-02T03:04:05.678Z".
std::string AuditTime(absl::Time time);

// The JSON line (without the newline) for a finished call.
std::string CallLine(const CallRecord& record, absl::Time now);

// The JSON line for a call the policy refused.
std::string DenialLine(const CallerIdentity& caller, absl::string_view rpc,
                       absl::string_view key_id, const absl::Status& status,
                       absl::Time now);

// Where audit lines go. Each line is one write(2) of "line\n" under a mutex
// (no user-space buffering, so nothing is lost if the process dies; not
// fsync'ed). A file is opened O_APPEND, so copytruncate-style rotation works.
class AuditLog {
 public:
  // `path` "" or "-": stderr. Otherwise the file is created (mode 0600) or
  // appended to. FAILED_PRECONDITION naming the path and the reason when it
  // cannot be opened for writing: mikeyd then refuses to start, because a key
  // service that cannot audit must not serve.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path);
  ~AuditLog();

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes one line. An error (disk full, file gone read-only, stderr
  // closed) is returned, and the caller decides what to refuse.
  absl::Status Write(absl::string_view line);

  const std::string& description() const { return description_; }

 private:
  AuditLog(int fd, bool owned, std::string description);

  absl::Mutex mu_;
  const int fd_;
  const bool owned_;
  const std::string description_;
};

}  // namespace telemetry
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TELEMETRY_AUDIT_H_
