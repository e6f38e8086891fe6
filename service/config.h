// mikeyd's configuration. For now only the embedded default exists (loopback,
// plaintext); a configuration file (--config) and TLS come later.

#ifndef MIKEY_SERVICE_CONFIG_H_
#define MIKEY_SERVICE_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mikey {
namespace service {

struct ServerConfig {
  // Where to listen: HOST:PORT or [IPV6]:PORT. Port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
  // No TLS. Only allowed on loopback addresses: Decode inputs can carry
  // MIKEY-NULL keys in clear, and later RPCs return SRTP keys.
  bool plaintext = true;
  // How long in-flight RPCs get to finish on SIGTERM/SIGINT.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

// The configuration built into the binary.
ServerConfig DefaultServerConfig();

// Checks a configuration: a well-formed listen address, and a loopback one
// while in plaintext mode. INVALID_ARGUMENT saying what to change otherwise.
absl::Status ValidateServerConfig(const ServerConfig& config);

// The startup banner (several lines, no trailing newline), saying plainly
// which configuration is in force and that traffic is not encrypted.
std::string StartupBanner(const ServerConfig& config, bool from_file);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_CONFIG_H_
