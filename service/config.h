// mikeyd's configuration: the embedded default, or a JSON configuration file
// (mikey.mikeyd.v1.MikeydConfig, service/config.proto; docs/CONFIG.md), with
// command-line flags overriding single fields. Checked once, at start, with
// messages that name the file and field ("FILE: tls.key_file: required") or
// the flag ("--listen: ...").

#ifndef MIKEY_SERVICE_CONFIG_H_
#define MIKEY_SERVICE_CONFIG_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/replay/replay_cache_factory.h"
#include "service/trust/trust_options.h"

namespace mikey {
namespace service {

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  bool require_client_cert = false;
};

struct ServerConfig {
  // The configuration file it came from; empty for the embedded default.
  std::string config_file;
  // Where to listen: HOST:PORT or [IPV6]:PORT. Port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
  // No TLS. Only allowed on loopback addresses: Decode inputs can carry
  // MIKEY-NULL keys in clear, and the exchange RPCs return SRTP keys.
  bool plaintext = true;
  // With plaintext false: certificate, key and client CA files.
  TlsConfig tls;
  // Authorization policy file; empty: every call allowed (plaintext only).
  std::string policy_file;
  // Audit log file; empty (or "-"): stderr.
  std::string audit_path;
  // Prometheus/health HTTP address; empty: no HTTP endpoint.
  std::string metrics_listen;
  // Export the allocator's heap figures on /metrics (slow; see config.proto).
  bool metrics_heap_stats = false;
  // Plaintext gRPC listener serving only grpc.health.v1.Health (for probes
  // that cannot do TLS); empty: none.
  std::string health_listen;
  // Keystore directory. Empty only in the embedded default, which generates
  // an in-memory demo keystore instead; required in a configuration file.
  std::string keystore_dir;
  absl::Duration keystore_reload_interval = absl::Seconds(30);
  // Keystore key that seals Initiate's state tokens; empty: the broker's
  // default id ("state-key").
  std::string state_key_id;
  absl::Duration state_ttl = absl::Minutes(5);
  // Whether requests may carry keys instead of keystore key ids.
  bool inline_keys_allowed = true;
  // Largest accepted MIKEY timestamp difference to the server's clock.
  absl::Duration replay_max_skew = absl::Minutes(5);
  // The replay cache: in memory, per process (the default), or in a Redis
  // shared by every replica.
  replay::ReplayConfig replay{replay::ReplayConfig::Kind::kMemory,
                              size_t{1} << 20};
  // Trust for peers' certificates (public-key modes); loaded and checked at
  // start (service/trust/trust_store.h).
  trust::TrustOptions trust;
  // On SIGTERM/SIGINT: how long to report NOT_SERVING and refuse new calls
  // (UNAVAILABLE) before closing the port, then how long in-flight calls get
  // to finish.
  absl::Duration shutdown_drain = absl::Seconds(1);
  absl::Duration shutdown_grace = absl::Seconds(5);

  // Fields set from the command line: field name -> flag ("listen" ->
  // "--listen"), so errors name what the operator typed.
  std::map<std::string, std::string> overridden_by_flag;
};

// The configuration built into the binary: loopback, plaintext, no policy
// (every call allowed), audit to stderr, no metrics endpoint, a generated
// demo keystore, inline keys allowed.
ServerConfig DefaultServerConfig();

// Reads a configuration file. Fields it does not set take the defaults of
// docs/CONFIG.md, which for a file are the safe ones: no plaintext unless
// plaintext_loopback_ok, no inline keys unless inline_keys_allowed, and a
// keystore directory is required (no demo keystore). Relative paths in it are
// taken relative to the file's directory. INVALID_ARGUMENT "FILE: field: what
// is wrong" (or FAILED_PRECONDITION when the file cannot be read).
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);

// Same, from the file's text (`path` names it in messages and anchors
// relative paths).
absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view json,
                                               const std::string& path);

// How errors name `field` of `config`: "--flag", "FILE: field" or "field".
std::string ConfigFieldName(const ServerConfig& config,
                            absl::string_view field);

// Checks a configuration without touching files or sockets: well-formed
// addresses (listen, metrics.listen, health.listen, none the same); plaintext
// only on a loopback address; with TLS, a certificate,
// a key and a policy; client CA for required client certificates; a
// keystore directory when from a file; sane durations; a Redis address and
// sane Redis settings for the Redis replay cache. INVALID_ARGUMENT saying
// what to change otherwise. (Trust files and pins are checked when they are
// loaded, trust_store.h.)
absl::Status ValidateServerConfig(const ServerConfig& config);

// The startup banner (several lines, no trailing newline), saying plainly
// which configuration is in force and whether traffic is encrypted.
std::string StartupBanner(const ServerConfig& config, bool from_file);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_CONFIG_H_
