#include "service/auth/guard.h"

#include <iostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/auth/identity.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

// A caller-supplied name as it appears in an error message: escaped, cut.
std::string Quoted(absl::string_view text) {
  constexpr size_t kMax = 200;
  std::string out = absl::CHexEscape(text.substr(0, kMax));
  if (text.size() > kMax) out += "...";
  return absl::StrCat("'", out, "'");
}

}  // namespace

ServiceCallGuard::ServiceCallGuard(Options options)
    : options_(std::move(options)) {}

absl::StatusOr<CallerIdentity> ServiceCallGuard::Authenticate(
    const grpc::ServerContextBase& context) {
  return AuthenticatePeer(context.auth_context().get());
}

absl::StatusOr<CallerIdentity> ServiceCallGuard::AuthenticatePeer(
    const grpc::AuthContext* auth_context) {
  if (refusing_.load()) {
    return absl::UnavailableError(
        "mikeyd cannot write its audit log and refuses calls");
  }
  if (draining_.load()) {
    return absl::UnavailableError(
        "mikeyd is shutting down; retry with another server");
  }
  CallerIdentity caller = IdentityFromAuthContext(auth_context);
  if (options_.require_client_cert && !caller.authenticated) {
    if (options_.metrics != nullptr) {
      options_.metrics->auth_failures->Increment({"unauthenticated"});
    }
    return absl::UnauthenticatedError(
        "a client certificate verified by the server's client CA is "
        "required");
  }
  return caller;
}

absl::Status ServiceCallGuard::Authorize(const CallerIdentity& caller,
                                         absl::string_view rpc,
                                         absl::string_view key_id) {
  if (options_.policy == nullptr ||
      options_.policy->Allows(caller, rpc, key_id)) {
    return absl::OkStatus();
  }
  absl::Status denied = absl::PermissionDeniedError(
      key_id.empty()
          ? absl::StrCat("caller ", Quoted(caller.name), " may not call ", rpc)
          : absl::StrCat("caller ", Quoted(caller.name), " may not use key id ",
                         Quoted(key_id), " in ", rpc));
  if (options_.metrics != nullptr) {
    options_.metrics->auth_failures->Increment({"permission_denied"});
  }
  WriteAudit(
      telemetry::DenialLine(caller, rpc, key_id, denied, options_.now()));
  return denied;
}

void ServiceCallGuard::Record(const CallRecord& record) {
  if (options_.metrics != nullptr) {
    const std::string code(absl::StatusCodeToString(record.outcome.code()));
    options_.metrics->requests->Increment({record.rpc, code});
    options_.metrics->latency->Observe({record.rpc},
                                       absl::ToDoubleSeconds(record.latency));
  }
  WriteAudit(telemetry::CallLine(record, options_.now()));
}

void ServiceCallGuard::WriteAudit(absl::string_view line) {
  absl::Status status = options_.audit->Write(line);
  if (status.ok()) return;
  if (options_.metrics != nullptr) {
    options_.metrics->audit_write_failures->Increment({});
  }
  if (!refusing_.exchange(true)) {
    std::cerr << "mikeyd: " << status.message()
              << "; refusing every call from now on" << std::endl;
    if (options_.on_audit_failure) options_.on_audit_failure(status);
  }
}

}  // namespace auth
}  // namespace service
}  // namespace mikey
