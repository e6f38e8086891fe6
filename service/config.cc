#include "service/config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "service/address.h"

namespace mikey {
namespace service {

ServerConfig DefaultServerConfig() { return ServerConfig(); }

absl::Status ValidateServerConfig(const ServerConfig& config) {
  absl::StatusOr<HostPort> address = ParseHostPort(config.listen);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: ", address.status().message()));
  }
  if (config.plaintext && !IsLoopbackHost(address->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen: refusing to serve plaintext (no TLS) on non-loopback address ",
        config.listen,
        ": MIKEY messages and SRTP keys would cross the network unencrypted. "
        "Listen on 127.0.0.1, [::1] or localhost (TLS is not supported yet)"));
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("shutdown_grace: negative");
  }
  return absl::OkStatus();
}

std::string StartupBanner(const ServerConfig& config, bool from_file) {
  return absl::StrCat(
      "mikeyd: configuration: ",
      from_file ? "from file" : "embedded default (no --config)", "\n",
      "mikeyd: transport: ",
      config.plaintext
          ? "PLAINTEXT gRPC, no TLS and no client authentication: loopback "
            "only, for local use and testing"
          : "TLS",
      "\n", "mikeyd: listen: ", config.listen);
}

}  // namespace service
}  // namespace mikey
