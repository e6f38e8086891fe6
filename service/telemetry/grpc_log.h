// gRPC's own log lines (gpr_log), routed through mikeyd: written to stderr
// with a "mikeyd: grpc" prefix, and TLS handshake failures counted.
//
// gRPC gives applications no hook for failed handshakes: a client without a
// certificate, with one the client CA did not issue, or speaking plaintext
// to the TLS port never becomes a call, so the call guard cannot see it. The
// server does log each one ("Handshake failed with fatal error SSL_ERROR_SSL:
// ...: peer did not return a certificate"), so mikeyd counts those lines.
// This depends on the wording of gRPC 1.51's messages (a gRPC upgrade could
// change it: the counter would then stay at 0 or count under "other").
//
// gRPC's log sink is one per process, so this is the one process-wide hook
// in mikeyd: main installs it once, with the counter it should feed.

#ifndef MIKEY_SERVICE_TELEMETRY_GRPC_LOG_H_
#define MIKEY_SERVICE_TELEMETRY_GRPC_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/telemetry/metrics.h"

namespace mikey {
namespace service {
namespace telemetry {

// For a gRPC log message reporting a failed TLS handshake, the reason label:
// "no_client_certificate", "untrusted_certificate" (verification failed),
// "not_tls" (plaintext or another protocol on the TLS port), "other".
// Empty for any other message.
std::string HandshakeFailureReason(absl::string_view message);

// Installs the log function. `handshake_failures` (labels: reason) may be
// null: then lines are only forwarded.
void InstallGrpcLogHook(Counter* handshake_failures);

}  // namespace telemetry
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TELEMETRY_GRPC_LOG_H_
