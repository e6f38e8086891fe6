#include "service/config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "service/address.h"
#include "service/config.pb.h"
#include "service/json_proto.h"

namespace mikey {
namespace service {
namespace {

constexpr absl::Duration kMaxShutdownGrace = absl::Hours(1);
constexpr absl::Duration kMinReloadInterval = absl::Seconds(1);
constexpr absl::Duration kMaxRedisTimeout = absl::Minutes(1);

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// `path` as written in the configuration file at `config_file`: relative
// paths are relative to the file's directory.
std::string Resolve(const std::string& config_file, const std::string& path) {
  if (path.empty() || path == "-" || absl::StartsWith(path, "/")) return path;
  const size_t slash = config_file.rfind('/');
  if (slash == std::string::npos) return path;
  return absl::StrCat(config_file.substr(0, slash + 1), path);
}

// The replay section. Settings of the backend not chosen are errors, so a
// configuration cannot look as if it used Redis while it does not.
absl::Status ParseReplay(const mikeyd::v1::Replay& proto,
                         const std::string& path, replay::ReplayConfig* out) {
  auto error = [&path](absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": replay.", field, ": ", what));
  };
  if (proto.backend().empty() || proto.backend() == "memory") {
    out->kind = replay::ReplayConfig::Kind::kMemory;
  } else if (proto.backend() == "redis") {
    out->kind = replay::ReplayConfig::Kind::kRedis;
  } else {
    return error("backend",
                 absl::StrCat("'", absl::CHexEscape(proto.backend()),
                              "': expected \"memory\" or \"redis\""));
  }
  const bool redis = out->kind == replay::ReplayConfig::Kind::kRedis;
  const bool redis_fields =
      !proto.redis_address().empty() || proto.has_redis_connect_timeout() ||
      proto.has_redis_command_timeout() ||
      proto.has_redis_reconnect_backoff() || proto.redis_pool_size() != 0 ||
      !proto.redis_key_prefix().empty() || proto.redis_database() != 0 ||
      !proto.redis_username().empty() || !proto.redis_password_file().empty();
  if (!redis && redis_fields) {
    return error("backend",
                 "redis_* settings are given but the backend is \"memory\" "
                 "(set backend: \"redis\" to use Redis)");
  }
  if (redis && proto.memory_capacity() != 0) {
    return error("memory_capacity",
                 "only for backend \"memory\" (the backend is \"redis\")");
  }
  if (proto.memory_capacity() != 0) {
    out->memory_capacity = static_cast<size_t>(proto.memory_capacity());
  }
  replay::RedisReplayOptions& r = out->redis;
  r.address = proto.redis_address();
  if (proto.has_redis_connect_timeout()) {
    r.connect_timeout = FromProto(proto.redis_connect_timeout());
  }
  if (proto.has_redis_command_timeout()) {
    r.command_timeout = FromProto(proto.redis_command_timeout());
  }
  if (proto.has_redis_reconnect_backoff()) {
    r.reconnect_backoff = FromProto(proto.redis_reconnect_backoff());
  }
  if (proto.redis_pool_size() != 0) r.pool_size = proto.redis_pool_size();
  if (!proto.redis_key_prefix().empty()) {
    r.key_prefix = proto.redis_key_prefix();
  }
  r.database = proto.redis_database();
  r.username = proto.redis_username();
  r.password_file = Resolve(path, proto.redis_password_file());
  return absl::OkStatus();
}

}  // namespace

ServerConfig DefaultServerConfig() { return ServerConfig(); }

std::string ConfigFieldName(const ServerConfig& config,
                            absl::string_view field) {
  auto it = config.overridden_by_flag.find(std::string(field));
  if (it != config.overridden_by_flag.end()) return it->second;
  if (!config.config_file.empty()) {
    return absl::StrCat(config.config_file, ": ", field);
  }
  return std::string(field);
}

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view json,
                                               const std::string& path) {
  mikeyd::v1::MikeydConfig proto;
  if (absl::Status s = ParseJsonMessage(json, path, &proto); !s.ok()) {
    return s;
  }
  auto error = [&path](absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", field, ": ", what));
  };

  ServerConfig config;
  config.config_file = path;
  if (!proto.listen().empty()) config.listen = proto.listen();

  if (proto.has_tls()) {
    if (proto.plaintext_loopback_ok()) {
      return error("plaintext_loopback_ok",
                   "true together with tls: choose one (remove "
                   "plaintext_loopback_ok to serve TLS)");
    }
    config.plaintext = false;
    config.tls.cert_file = Resolve(path, proto.tls().cert_file());
    config.tls.key_file = Resolve(path, proto.tls().key_file());
    config.tls.client_ca_file = Resolve(path, proto.tls().client_ca_file());
    config.tls.require_client_cert = proto.tls().require_client_cert();
  } else if (proto.plaintext_loopback_ok()) {
    config.plaintext = true;
  } else {
    return error("tls",
                 "not set: configure TLS (tls.cert_file, tls.key_file), or "
                 "set plaintext_loopback_ok: true to serve plaintext on a "
                 "loopback address");
  }

  config.policy_file = Resolve(path, proto.policy_file());
  config.audit_path = Resolve(path, proto.audit().path());
  config.metrics_listen = proto.metrics().listen();
  config.metrics_heap_stats = proto.metrics().heap_stats();
  config.health_listen = proto.health().listen();

  config.keystore_dir = Resolve(path, proto.keystore().dir());
  if (proto.keystore().has_reload_interval()) {
    config.keystore_reload_interval =
        FromProto(proto.keystore().reload_interval());
  }
  config.state_key_id = proto.state().key_id();
  if (proto.state().has_ttl())
    config.state_ttl = FromProto(proto.state().ttl());
  config.inline_keys_allowed = proto.inline_keys_allowed();
  if (proto.replay().has_max_skew()) {
    config.replay_max_skew = FromProto(proto.replay().max_skew());
  }
  if (absl::Status s = ParseReplay(proto.replay(), path, &config.replay);
      !s.ok()) {
    return s;
  }
  const mikeyd::v1::Trust& trust = proto.trust();
  for (const std::string& f : trust.ca_files()) {
    config.trust.global.ca_files.push_back(Resolve(path, f));
  }
  config.trust.global.pins.assign(trust.pins().begin(), trust.pins().end());
  for (const auto& [key_id, set] : trust.per_key()) {
    trust::TrustSources& sources = config.trust.per_key[key_id];
    for (const std::string& f : set.ca_files()) {
      sources.ca_files.push_back(Resolve(path, f));
    }
    sources.pins.assign(set.pins().begin(), set.pins().end());
  }
  if (proto.has_shutdown_drain()) {
    config.shutdown_drain = FromProto(proto.shutdown_drain());
  }
  if (proto.has_shutdown_grace()) {
    config.shutdown_grace = FromProto(proto.shutdown_grace());
  }
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  return ParseServerConfig(*text, path);
}

absl::Status ValidateServerConfig(const ServerConfig& config) {
  auto error = [&config](absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(ConfigFieldName(config, field), ": ", what));
  };

  absl::StatusOr<HostPort> address = ParseHostPort(config.listen);
  if (!address.ok()) return error("listen", address.status().message());
  if (config.plaintext && !IsLoopbackHost(address->host)) {
    return error(
        "listen",
        absl::StrCat(
            "refusing to serve plaintext (no TLS) on non-loopback address ",
            config.listen,
            ": MIKEY messages and SRTP keys would cross the network "
            "unencrypted. Listen on 127.0.0.1, [::1] or localhost, or "
            "configure TLS (--config, docs/CONFIG.md)"));
  }
  if (!config.plaintext) {
    if (config.tls.cert_file.empty()) {
      return error("tls.cert_file", "required with TLS");
    }
    if (config.tls.key_file.empty()) {
      return error("tls.key_file", "required with TLS");
    }
    if (config.tls.require_client_cert && config.tls.client_ca_file.empty()) {
      return error("tls.require_client_cert",
                   "needs tls.client_ca_file (the CA that client "
                   "certificates are verified against)");
    }
    if (config.policy_file.empty()) {
      return error("policy_file",
                   "required with TLS: without a policy every call is denied "
                   "(a policy may allow \"*\" explicitly)");
    }
  }
  if (!config.config_file.empty() && config.keystore_dir.empty()) {
    return error("keystore.dir",
                 "required in a configuration file (the generated demo "
                 "keystore is for the embedded default only)");
  }
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<HostPort> metrics = ParseHostPort(config.metrics_listen);
    if (!metrics.ok()) {
      return error("metrics.listen", metrics.status().message());
    }
    if (metrics->port != 0 && metrics->port == address->port &&
        metrics->host == address->host) {
      return error("metrics.listen", absl::StrCat("same address as listen (",
                                                  config.listen, ")"));
    }
  }
  if (!config.health_listen.empty()) {
    absl::StatusOr<HostPort> health = ParseHostPort(config.health_listen);
    if (!health.ok()) {
      return error("health.listen", health.status().message());
    }
    if (health->port != 0 && health->port == address->port &&
        health->host == address->host) {
      return error("health.listen", absl::StrCat("same address as listen (",
                                                 config.listen, ")"));
    }
    if (!config.metrics_listen.empty()) {
      const HostPort metrics = *ParseHostPort(config.metrics_listen);
      if (health->port != 0 && health->port == metrics.port &&
          health->host == metrics.host) {
        return error("health.listen",
                     absl::StrCat("same address as metrics.listen (",
                                  config.metrics_listen, ")"));
      }
    }
  }
  if (config.keystore_reload_interval < absl::ZeroDuration()) {
    return error("keystore.reload_interval", "negative");
  }
  if (config.keystore_reload_interval > absl::ZeroDuration() &&
      config.keystore_reload_interval < kMinReloadInterval) {
    return error("keystore.reload_interval",
                 "shorter than 1s (use 0s for no reloading)");
  }
  if (config.state_ttl <= absl::ZeroDuration()) {
    return error("state.ttl", "must be positive");
  }
  if (config.replay_max_skew <= absl::ZeroDuration()) {
    return error("replay.max_skew", "must be positive");
  }
  if (config.replay.kind == replay::ReplayConfig::Kind::kMemory) {
    if (config.replay.memory_capacity == 0) {
      return error("replay.memory_capacity", "must be at least 1");
    }
  } else {
    const replay::RedisReplayOptions& r = config.replay.redis;
    if (r.address.empty()) {
      return error("replay.redis_address",
                   "required with backend \"redis\" (HOST:PORT)");
    }
    absl::StatusOr<HostPort> redis = ParseHostPort(r.address);
    if (!redis.ok()) {
      return error("replay.redis_address", redis.status().message());
    }
    if (redis->port == 0) return error("replay.redis_address", "port 0");
    for (const auto& [field, d] :
         {std::pair<const char*, absl::Duration>{"replay.redis_connect_timeout",
                                                 r.connect_timeout},
          {"replay.redis_command_timeout", r.command_timeout}}) {
      if (d <= absl::ZeroDuration()) return error(field, "must be positive");
      if (d > kMaxRedisTimeout) return error(field, "longer than 1m");
    }
    if (r.reconnect_backoff < absl::ZeroDuration()) {
      return error("replay.redis_reconnect_backoff", "negative");
    }
    if (r.reconnect_backoff > kMaxRedisTimeout) {
      return error("replay.redis_reconnect_backoff", "longer than 1m");
    }
    if (r.pool_size < 1 || r.pool_size > 64) {
      return error("replay.redis_pool_size",
                   absl::StrCat(r.pool_size, " (expected 1 to 64)"));
    }
    if (r.database < 0) return error("replay.redis_database", "negative");
  }
  if (config.shutdown_drain < absl::ZeroDuration()) {
    return error("shutdown_drain", "negative");
  }
  if (config.shutdown_drain > kMaxShutdownGrace) {
    return error("shutdown_drain", "longer than 1h");
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return error("shutdown_grace", "negative");
  }
  if (config.shutdown_grace > kMaxShutdownGrace) {
    return error("shutdown_grace", "longer than 1h");
  }
  return absl::OkStatus();
}

std::string StartupBanner(const ServerConfig& config, bool from_file) {
  std::string keys;
  if (!config.keystore_dir.empty()) {
    keys = absl::StrCat("keystore ", config.keystore_dir);
  } else if (config.config_file.empty()) {
    keys =
        "GENERATED DEMO KEYSTORE (random keys in memory, lost on exit: for "
        "trying mikeyd out, not for production)";
  } else {
    keys = "no keystore";
  }
  absl::StrAppend(&keys, config.inline_keys_allowed ? "; inline keys ALLOWED"
                                                    : "; inline keys refused");
  return absl::StrCat(
      "mikeyd: configuration: ",
      from_file ? absl::StrCat("file ", config.config_file)
                : "embedded default (no --config)",
      "\n", "mikeyd: transport: ",
      config.plaintext
          ? "PLAINTEXT gRPC, no TLS and no client authentication: loopback "
            "only, for local use and testing"
          : "TLS",
      "\n", "mikeyd: listen: ", config.listen, "\n", "mikeyd: authorization: ",
      config.policy_file.empty()
          ? "none, every call allowed (no policy_file)"
          : absl::StrCat("policy ", config.policy_file, " (default deny)"),
      "\n", "mikeyd: audit log: ",
      config.audit_path.empty() || config.audit_path == "-" ? "stderr"
                                                            : config.audit_path,
      "\n", "mikeyd: metrics: ",
      config.metrics_listen.empty()
          ? "off"
          : absl::StrCat("http://", config.metrics_listen, "/metrics"),
      "\n", "mikeyd: health port: ",
      config.health_listen.empty()
          ? "off"
          : absl::StrCat(config.health_listen,
                         " (plaintext gRPC, grpc.health.v1.Health only)"),
      "\n", "mikeyd: keys: ", keys, "\n", "mikeyd: replay cache: ",
      config.replay.kind == replay::ReplayConfig::Kind::kRedis
          ? absl::StrCat("redis ", config.replay.redis.address,
                         " (shared by every replica)")
          : absl::StrCat("in memory, ", config.replay.memory_capacity,
                         " entries (per process: a message replayed to "
                         "another replica is not caught; use backend "
                         "\"redis\" with several replicas)"));
}

}  // namespace service
}  // namespace mikey
