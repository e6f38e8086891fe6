// mikeyd's CallGuard: who is calling (the verified client certificate), may
// they (the policy), and what happened (audit log and metrics).

#ifndef MIKEY_SERVICE_AUTH_GUARD_H_
#define MIKEY_SERVICE_AUTH_GUARD_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "service/auth/policy.h"
#include "service/call_guard.h"
#include "service/telemetry/audit.h"
#include "service/telemetry/metrics.h"

namespace mikey {
namespace service {
namespace auth {

class ServiceCallGuard final : public CallGuard {
 public:
  struct Options {
    // Authenticate() refuses callers without a verified client certificate
    // (UNAUTHENTICATED). With mutual TLS the handshake already refuses them;
    // this keeps the guarantee if the transport is ever set up otherwise.
    bool require_client_cert = false;
    // nullptr: every call is allowed (plaintext loopback without a policy).
    const Policy* policy = nullptr;
    // Required.
    telemetry::AuditLog* audit = nullptr;
    // nullptr: no metrics.
    const telemetry::ServiceMetrics* metrics = nullptr;
    // Called once, from the failing call's thread, when an audit line cannot
    // be written (mikeyd sets health NOT_SERVING). From then on every call
    // is refused with UNAVAILABLE.
    std::function<void(const absl::Status&)> on_audit_failure;
    // The clock for audit timestamps.
    std::function<absl::Time()> now = [] { return absl::Now(); };
  };

  explicit ServiceCallGuard(Options options);

  // The caller, from the AuthContext. UNAVAILABLE after an audit failure or
  // while draining; UNAUTHENTICATED when a certificate is required and none
  // was verified.
  absl::StatusOr<CallerIdentity> Authenticate(
      const grpc::ServerContextBase& context) override;
  // Same, from an AuthContext directly (tests; nullptr: no transport
  // security).
  absl::StatusOr<CallerIdentity> AuthenticatePeer(
      const grpc::AuthContext* auth_context);

  // PERMISSION_DENIED "caller C may not call RPC" / "... may not use key id
  // K in RPC" unless the policy allows it; a denial is written to the audit
  // log ("event":"denied") and counted.
  absl::Status Authorize(const CallerIdentity& caller, absl::string_view rpc,
                         absl::string_view key_id) override;

  // Counts the call (requests, latency) and writes its audit line.
  void Record(const CallRecord& record) override;

  // Whether calls are refused because the audit log failed.
  bool refusing() const { return refusing_.load(); }

  // From now on Authenticate refuses every call with UNAVAILABLE (mikeyd is
  // shutting down; the client should retry elsewhere). Calls already past
  // Authenticate run to completion.
  void StartDraining() { draining_.store(true); }
  bool draining() const { return draining_.load(); }

 private:
  void WriteAudit(absl::string_view line);

  const Options options_;
  std::atomic<bool> refusing_{false};
  std::atomic<bool> draining_{false};
};

}  // namespace auth
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_AUTH_GUARD_H_
