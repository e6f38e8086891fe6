// The seam between the RPC handlers (what a call does) and the transport and
// operations side of mikeyd (who may call, and what is recorded about it).
//
// Handlers are thin: each RPC method asks its CallGuard who the caller is,
// whether that caller may use the key it names, and hands it one CallRecord
// when the call ends. The guard's implementation owns authentication (mTLS
// identity), the authorization policy, the audit log and metrics, so handlers
// never format a log line or touch a counter, and tests can plug in a fake.

#ifndef MIKEY_SERVICE_CALL_GUARD_H_
#define MIKEY_SERVICE_CALL_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"

namespace mikey {
namespace service {

// Who is calling, as established by the transport.
struct CallerIdentity {
  // The client certificate's URI/DNS SAN or, failing that, its CN; "anonymous"
  // on a plaintext loopback listener.
  std::string name;
  bool authenticated = false;  // true only for a verified client certificate
};

// What one call did, for the audit log and metrics. Never key material.
struct CallRecord {
  std::string rpc;  // "Initiate", "Respond", ...
  CallerIdentity caller;
  std::string mode;     // "PSK", "PSK_NULL", ... (empty where none)
  std::string key_id;   // keystore key used, if any
  int key_version = 0;  // its version (0: none / inline key)
  std::optional<uint32_t> csb_id;
  int stream_count = 0;
  absl::Status outcome;  // as returned to the caller
  absl::Duration latency;
};

class CallGuard {
 public:
  virtual ~CallGuard() = default;

  // The caller of this RPC. UNAUTHENTICATED when the transport requires a
  // client certificate and none was verified.
  virtual absl::StatusOr<CallerIdentity> Authenticate(
      const grpc::ServerContextBase& context) = 0;

  // Whether `caller` may call `rpc` (and use `key_id`, when not empty).
  // PERMISSION_DENIED otherwise; the guard audits the denial itself.
  virtual absl::Status Authorize(const CallerIdentity& caller,
                                 absl::string_view rpc,
                                 absl::string_view key_id) = 0;

  // Called exactly once per RPC, when it ends (success or not).
  virtual void Record(const CallRecord& record) = 0;
};

// Lets every authenticated-or-not caller do everything and records nothing:
// the embedded default configuration on loopback, and unit tests.
class AllowAllCallGuard final : public CallGuard {
 public:
  absl::StatusOr<CallerIdentity> Authenticate(
      const grpc::ServerContextBase&) override {
    return CallerIdentity{"anonymous", false};
  }
  absl::Status Authorize(const CallerIdentity&, absl::string_view,
                         absl::string_view) override {
    return absl::OkStatus();
  }
  void Record(const CallRecord&) override {}
};

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_CALL_GUARD_H_
