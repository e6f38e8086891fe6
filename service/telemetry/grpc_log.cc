#include "service/telemetry/grpc_log.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpc/support/log.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

// Set once by InstallGrpcLogHook (see the header for why this is global).
std::atomic<Counter*> handshake_failures{nullptr};

const char* SeverityName(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return "DEBUG";
    case GPR_LOG_SEVERITY_INFO:
      return "INFO";
    case GPR_LOG_SEVERITY_ERROR:
      return "ERROR";
  }
  return "?";
}

void LogFunction(gpr_log_func_args* args) {
  const absl::string_view message =
      args->message != nullptr ? args->message : "";
  if (Counter* counter = handshake_failures.load()) {
    const std::string reason = HandshakeFailureReason(message);
    if (!reason.empty()) counter->Increment({reason});
  }
  absl::string_view file = args->file != nullptr ? args->file : "";
  const size_t slash = file.rfind('/');
  if (slash != absl::string_view::npos) file = file.substr(slash + 1);
  const std::string line =
      absl::StrCat("mikeyd: grpc ", SeverityName(args->severity), " ", file,
                   ":", args->line, ": ", message, "\n");
  // One write, so lines from several threads do not interleave.
  const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

std::string HandshakeFailureReason(absl::string_view message) {
  if (!absl::StrContains(message, "Handshake failed")) return "";
  if (absl::StrContains(message, "peer did not return a certificate")) {
    return "no_client_certificate";
  }
  if (absl::StrContains(message, "certificate verify failed")) {
    return "untrusted_certificate";
  }
  if (absl::StrContains(message, "wrong version number") ||
      absl::StrContains(message, "http request") ||
      absl::StrContains(message, "packet length too long") ||
      absl::StrContains(message, "unknown protocol")) {
    return "not_tls";
  }
  return "other";
}

void InstallGrpcLogHook(Counter* counter) {
  handshake_failures.store(counter);
  gpr_set_log_function(&LogFunction);
}

}  // namespace telemetry
}  // namespace service
}  // namespace mikey
