#include "service/config.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/json_proto.h"

namespace mikey {
namespace service {
namespace {

using ::absl::StatusCode;

// A message contains all of `parts`.
void ExpectMessage(const absl::Status& status, StatusCode code,
                   std::initializer_list<absl::string_view> parts) {
  EXPECT_EQ(status.code(), code) << status;
  for (absl::string_view part : parts) {
    EXPECT_NE(status.message().find(part), absl::string_view::npos)
        << "'" << part << "' not in: " << status.message();
  }
}

constexpr char kFull[] = R"({
  "listen": "0.0.0.0:8443",
  "tls": {"cert_file": "tls/server.pem", "key_file": "/abs/server.key",
          "client_ca_file": "ca.pem", "require_client_cert": true},
  "policy_file": "policy.json",
  "audit": {"path": "/var/log/mikeyd/audit.jsonl"},
  "metrics": {"listen": "0.0.0.0:9464", "heap_stats": true},
  "health": {"listen": "0.0.0.0:8081"},
  "keystore": {"dir": "keys", "reload_interval": "10s"},
  "state": {"key_id": "state-key", "ttl": "120s"},
  "inline_keys_allowed": false,
  "replay": {"max_skew": "30.5s"},
  "shutdown_drain": "2.5s",
  "shutdown_grace": "15s"
})";

TEST(ConfigFileTest, EveryFieldMapped) {
  absl::StatusOr<ServerConfig> c =
      ParseServerConfig(kFull, "/etc/mikeyd/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config_file, "/etc/mikeyd/config.json");
  EXPECT_EQ(c->listen, "0.0.0.0:8443");
  EXPECT_FALSE(c->plaintext);
  // Relative paths are relative to the configuration file's directory.
  EXPECT_EQ(c->tls.cert_file, "/etc/mikeyd/tls/server.pem");
  EXPECT_EQ(c->tls.key_file, "/abs/server.key");
  EXPECT_EQ(c->tls.client_ca_file, "/etc/mikeyd/ca.pem");
  EXPECT_TRUE(c->tls.require_client_cert);
  EXPECT_EQ(c->policy_file, "/etc/mikeyd/policy.json");
  EXPECT_EQ(c->audit_path, "/var/log/mikeyd/audit.jsonl");
  EXPECT_EQ(c->metrics_listen, "0.0.0.0:9464");
  EXPECT_TRUE(c->metrics_heap_stats);
  EXPECT_EQ(c->health_listen, "0.0.0.0:8081");
  EXPECT_EQ(c->keystore_dir, "/etc/mikeyd/keys");
  EXPECT_EQ(c->keystore_reload_interval, absl::Seconds(10));
  EXPECT_EQ(c->state_key_id, "state-key");
  EXPECT_EQ(c->state_ttl, absl::Minutes(2));
  EXPECT_FALSE(c->inline_keys_allowed);
  EXPECT_EQ(c->replay_max_skew, absl::Milliseconds(30500));
  EXPECT_EQ(c->shutdown_drain, absl::Milliseconds(2500));
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(15));
  EXPECT_TRUE(ValidateServerConfig(*c).ok()) << ValidateServerConfig(*c);
}

TEST(ConfigFileTest, CamelCaseNamesAlsoWork) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintextLoopbackOk": true, "inlineKeysAllowed": true})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->plaintext);
  EXPECT_TRUE(c->inline_keys_allowed);
}

TEST(ConfigFileTest, FileDefaultsAreTheSafeOnes) {
  absl::StatusOr<ServerConfig> c =
      ParseServerConfig(R"({"plaintext_loopback_ok": true,
                            "keystore": {"dir": "/keys"}})",
                        "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:50051");
  EXPECT_TRUE(c->plaintext);
  EXPECT_FALSE(c->inline_keys_allowed);
  EXPECT_EQ(c->metrics_listen, "");
  EXPECT_FALSE(c->metrics_heap_stats);  // slow under a large heap: opt-in
  EXPECT_EQ(c->health_listen, "");      // no health-only port unless asked for
  EXPECT_EQ(c->audit_path, "");
  EXPECT_EQ(c->policy_file, "");
  EXPECT_EQ(c->keystore_reload_interval, absl::Seconds(30));
  EXPECT_EQ(c->state_ttl, absl::Minutes(5));
  EXPECT_EQ(c->replay_max_skew, absl::Minutes(5));
  EXPECT_EQ(c->shutdown_drain, absl::Seconds(1));
  EXPECT_EQ(c->shutdown_grace, absl::Seconds(5));
  EXPECT_TRUE(ValidateServerConfig(*c).ok());
  // No demo keystore from a file.
  c->keystore_dir = "";
  ExpectMessage(ValidateServerConfig(*c), StatusCode::kInvalidArgument,
                {"c.json: keystore.dir: required in a configuration file"});
}

TEST(ConfigFileTest, RelativePathsInAFileWithoutDirectory) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "policy_file": "p.json",
          "audit": {"path": "-"}})",
      "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->policy_file, "p.json");
  EXPECT_EQ(c->audit_path, "-");
}

TEST(ConfigFileTest, UnknownFieldsAreErrors) {
  ExpectMessage(
      ParseServerConfig(R"({"plaintext_loopback_ok": true, "lissen": "x"})",
                        "c.json")
          .status(),
      StatusCode::kInvalidArgument, {"c.json", "lissen"});
  ExpectMessage(ParseServerConfig(
                    R"({"tls": {"cert_file": "a", "kye_file": "b"}})", "c.json")
                    .status(),
                StatusCode::kInvalidArgument, {"c.json", "tls", "kye_file"});
}

TEST(ConfigFileTest, WrongTypesAreErrors) {
  ExpectMessage(ParseServerConfig(R"({"listen": 5})", "c.json").status(),
                StatusCode::kInvalidArgument, {"c.json", "listen"});
  ExpectMessage(
      ParseServerConfig(
          R"({"plaintext_loopback_ok": true, "shutdown_grace": 5})", "c.json")
          .status(),
      StatusCode::kInvalidArgument, {"c.json", "shutdown_grace"});
  ExpectMessage(ParseServerConfig(
                    R"({"plaintext_loopback_ok": true, "tls": []})", "c.json")
                    .status(),
                StatusCode::kInvalidArgument, {"c.json", "tls"});
  ExpectMessage(ParseServerConfig(R"([])", "c.json").status(),
                StatusCode::kInvalidArgument, {"c.json"});
}

TEST(ConfigFileTest, MalformedJsonNamesLineAndColumn) {
  ExpectMessage(
      ParseServerConfig("{\n  \"listen\": \"x\"\n  \"tls\": {}\n}", "c.json")
          .status(),
      StatusCode::kInvalidArgument,
      {"c.json", "line 3, column 3", "expected ',' or '}'"});
  ExpectMessage(ParseServerConfig("", "c.json").status(),
                StatusCode::kInvalidArgument, {"c.json", "line 1, column 1"});
}

TEST(ConfigFileTest, DuplicateKeysAreErrors) {
  // Protobuf's parser would keep the second and lose require_client_cert.
  ExpectMessage(ParseServerConfig(R"({"tls": {"cert_file": "a", "key_file": "b",
                                    "require_client_cert": true,
                                    "requireClientCert": false}})",
                                  "c.json")
                    .status(),
                StatusCode::kInvalidArgument,
                {"c.json", "key given twice", "tls"});
}

TEST(ConfigFileTest, PlaintextMustBeAskedFor) {
  ExpectMessage(
      ParseServerConfig(R"({"listen": "127.0.0.1:1"})", "c.json").status(),
      StatusCode::kInvalidArgument,
      {"c.json: tls: not set", "plaintext_loopback_ok"});
  ExpectMessage(ParseServerConfig(R"({"plaintext_loopback_ok": true,
                            "tls": {"cert_file": "a", "key_file": "b"}})",
                                  "c.json")
                    .status(),
                StatusCode::kInvalidArgument,
                {"c.json: plaintext_loopback_ok:"});
}

TEST(ConfigFileTest, PlaintextFromFileStaysOnLoopback) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "listen": "0.0.0.0:1",
          "keystore": {"dir": "k"}})",
      "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  ExpectMessage(ValidateServerConfig(*c), StatusCode::kInvalidArgument,
                {"c.json: listen: ", "non-loopback"});
}

// A valid TLS configuration to break one field at a time.
ServerConfig TlsConfigForTest() {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"listen": "0.0.0.0:8443", "policy_file": "/p.json",
          "keystore": {"dir": "/keys"},
          "tls": {"cert_file": "/c.pem", "key_file": "/k.pem",
                  "client_ca_file": "/ca.pem", "require_client_cert": true}})",
      "/etc/c.json");
  EXPECT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(ValidateServerConfig(*c).ok()) << ValidateServerConfig(*c);
  return *c;
}

TEST(ConfigValidateTest, TlsNeedsCertificateKeyAndPolicy) {
  ServerConfig c = TlsConfigForTest();
  c.tls.cert_file = "";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"/etc/c.json: tls.cert_file: required"});
  c = TlsConfigForTest();
  c.tls.key_file = "";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"/etc/c.json: tls.key_file: required"});
  c = TlsConfigForTest();
  c.tls.client_ca_file = "";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"/etc/c.json: tls.require_client_cert:", "client_ca_file"});
  c.tls.require_client_cert = false;  // TLS without client certificates
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  c = TlsConfigForTest();
  c.policy_file = "";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"/etc/c.json: policy_file: required with TLS"});
}

TEST(ConfigValidateTest, FlagsAreNamedAsFlags) {
  ServerConfig c = TlsConfigForTest();
  c.listen = "nonsense";
  c.overridden_by_flag["listen"] = "--listen";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"--listen: ", "nonsense"});
  EXPECT_EQ(ValidateServerConfig(c).message().find("/etc/c.json"),
            absl::string_view::npos);
}

TEST(ConfigValidateTest, MetricsAddress) {
  ServerConfig c = TlsConfigForTest();
  c.metrics_listen = "9464";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"metrics.listen: "});
  c.metrics_listen = c.listen;
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"metrics.listen: same address as listen"});
  c.metrics_listen = "127.0.0.1:0";
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ConfigValidateTest, HealthAddress) {
  ServerConfig c = TlsConfigForTest();
  c.health_listen = "8081";  // no host
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"/etc/c.json: health.listen: "});
  c.health_listen = "[::1:8081";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"health.listen: "});
  c.health_listen = c.listen;
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"health.listen: same address as listen"});
  c.metrics_listen = "0.0.0.0:9464";
  c.health_listen = "0.0.0.0:9464";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"health.listen: same address as metrics.listen"});
  c.health_listen = "0.0.0.0:8081";
  EXPECT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c);
  // Plaintext, but health only: any address, also with TLS on listen.
  c.health_listen = "[::]:0";
  EXPECT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c);
  c.health_listen = "bad";
  c.overridden_by_flag["health.listen"] = "--health_listen";
  ExpectMessage(ValidateServerConfig(c), StatusCode::kInvalidArgument,
                {"--health_listen: "});
}

TEST(ConfigFileTest, HealthSectionIsStrict) {
  ExpectMessage(ParseServerConfig(R"({"plaintext_loopback_ok": true,
                            "health": {"listen": "127.0.0.1:8081",
                                       "port": 8081}})",
                                  "c.json")
                    .status(),
                StatusCode::kInvalidArgument, {"c.json", "port"});
}

TEST(ConfigValidateTest, Durations) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {R"("keystore": {"dir": "k", "reload_interval": "-1s"})",
       "keystore.reload_interval: negative"},
      {R"("keystore": {"dir": "k", "reload_interval": "0.5s"})",
       "keystore.reload_interval: shorter than 1s"},
      {R"("state": {"ttl": "0s"})", "state.ttl: must be positive"},
      {R"("replay": {"max_skew": "-5s"})", "replay.max_skew: must be positive"},
      {R"("shutdown_grace": "-1s")", "shutdown_grace: negative"},
      {R"("shutdown_drain": "-1s")", "shutdown_drain: negative"},
      {R"("shutdown_drain": "7200s")", "shutdown_drain: longer than 1h"},
      {R"("shutdown_grace": "3601s")", "shutdown_grace: longer than 1h"},
  };
  for (const Case& k : cases) {
    absl::StatusOr<ServerConfig> c =
        ParseServerConfig(absl::StrCat(R"({"plaintext_loopback_ok": true, )",
                                       absl::StrContains(k.json, "keystore")
                                           ? ""
                                           : R"("keystore": {"dir": "k"}, )",
                                       k.json, "}"),
                          "c.json");
    ASSERT_TRUE(c.ok()) << c.status();
    ExpectMessage(ValidateServerConfig(*c), StatusCode::kInvalidArgument,
                  {absl::StrCat("c.json: ", k.message)});
  }
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true,
          "keystore": {"dir": "k", "reload_interval": "0s"},
          "shutdown_grace": "0s"})",
      "c.json");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(ValidateServerConfig(*c).ok()) << ValidateServerConfig(*c);
}

TEST(ConfigReplayTest, MemoryByDefault) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "keystore": {"dir": "k"}})", "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->replay.kind, replay::ReplayConfig::Kind::kMemory);
  EXPECT_EQ(c->replay.memory_capacity, size_t{1} << 20);
  EXPECT_NE(StartupBanner(*c, true).find("replay cache: in memory"),
            std::string::npos);
  EXPECT_EQ(DefaultServerConfig().replay.kind,
            replay::ReplayConfig::Kind::kMemory);
  c = ParseServerConfig(R"({"plaintext_loopback_ok": true,
      "keystore": {"dir": "k"},
      "replay": {"backend": "memory", "memory_capacity": 5000}})",
                        "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->replay.memory_capacity, 5000u);
  EXPECT_TRUE(ValidateServerConfig(*c).ok());
}

TEST(ConfigReplayTest, RedisFieldsMapped) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "keystore": {"dir": "k"},
          "replay": {"max_skew": "60s", "backend": "redis",
                     "redis_address": "redis.media.svc:6379",
                     "redis_connect_timeout": "0.25s",
                     "redis_command_timeout": "0.1s",
                     "redis_reconnect_backoff": "1s",
                     "redis_pool_size": 4, "redis_key_prefix": "p:",
                     "redis_database": 2, "redis_username": "mikeyd",
                     "redis_password_file": "secrets/redis"}})",
      "/etc/mikeyd/c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->replay_max_skew, absl::Minutes(1));
  EXPECT_EQ(c->replay.kind, replay::ReplayConfig::Kind::kRedis);
  const replay::RedisReplayOptions& r = c->replay.redis;
  EXPECT_EQ(r.address, "redis.media.svc:6379");
  EXPECT_EQ(r.connect_timeout, absl::Milliseconds(250));
  EXPECT_EQ(r.command_timeout, absl::Milliseconds(100));
  EXPECT_EQ(r.reconnect_backoff, absl::Seconds(1));
  EXPECT_EQ(r.pool_size, 4);
  EXPECT_EQ(r.key_prefix, "p:");
  EXPECT_EQ(r.database, 2);
  EXPECT_EQ(r.username, "mikeyd");
  EXPECT_EQ(r.password_file, "/etc/mikeyd/secrets/redis");
  EXPECT_TRUE(ValidateServerConfig(*c).ok()) << ValidateServerConfig(*c);
  EXPECT_NE(StartupBanner(*c, true).find("redis redis.media.svc:6379"),
            std::string::npos);

  // Defaults of the Redis settings left out: RedisReplayOptions' own.
  c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "keystore": {"dir": "k"},
          "replay": {"backend": "redis", "redis_address": "127.0.0.1:6379"}})",
      "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  const replay::RedisReplayOptions defaults;
  EXPECT_EQ(c->replay.redis.connect_timeout, defaults.connect_timeout);
  EXPECT_EQ(c->replay.redis.command_timeout, defaults.command_timeout);
  EXPECT_EQ(c->replay.redis.pool_size, defaults.pool_size);
  EXPECT_EQ(c->replay.redis.key_prefix, defaults.key_prefix);
  EXPECT_EQ(c->replay.redis.password_file, "");
}

TEST(ConfigReplayTest, Refusals) {
  struct Case {
    const char* replay;
    const char* message;
  } parse_cases[] = {
      {R"({"backend": "memcached"})", "replay.backend: 'memcached'"},
      {R"({"redis_address": "127.0.0.1:6379"})",
       "replay.backend: redis_* settings are given but the backend is "
       "\"memory\""},
      {R"({"backend": "memory", "redis_pool_size": 2})",
       "replay.backend: redis_* settings"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "memory_capacity": 10})",
       "replay.memory_capacity: only for backend \"memory\""},
  };
  for (const Case& k : parse_cases) {
    ExpectMessage(
        ParseServerConfig(absl::StrCat(R"({"plaintext_loopback_ok": true,
                                       "keystore": {"dir": "k"}, "replay": )",
                                       k.replay, "}"),
                          "c.json")
            .status(),
        StatusCode::kInvalidArgument, {absl::StrCat("c.json: ", k.message)});
  }
  Case validate_cases[] = {
      {R"({"backend": "redis"})", "replay.redis_address: required"},
      {R"({"backend": "redis", "redis_address": "redis"})",
       "replay.redis_address: "},
      {R"({"backend": "redis", "redis_address": "h:0"})",
       "replay.redis_address: port 0"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "redis_command_timeout": "0s"})",
       "replay.redis_command_timeout: must be positive"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "redis_connect_timeout": "120s"})",
       "replay.redis_connect_timeout: longer than 1m"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "redis_reconnect_backoff": "-1s"})",
       "replay.redis_reconnect_backoff: negative"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "redis_pool_size": 65})",
       "replay.redis_pool_size: 65 (expected 1 to 64)"},
      {R"({"backend": "redis", "redis_address": "h:1",
           "redis_database": -1})",
       "replay.redis_database: negative"},
  };
  for (const Case& k : validate_cases) {
    absl::StatusOr<ServerConfig> c =
        ParseServerConfig(absl::StrCat(R"({"plaintext_loopback_ok": true,
                         "keystore": {"dir": "k"}, "replay": )",
                                       k.replay, "}"),
                          "c.json");
    ASSERT_TRUE(c.ok()) << k.replay << ": " << c.status();
    ExpectMessage(ValidateServerConfig(*c), StatusCode::kInvalidArgument,
                  {absl::StrCat("c.json: ", k.message)});
  }
}

TEST(ConfigTrustTest, GlobalAndPerKeyMapped) {
  absl::StatusOr<ServerConfig> c = ParseServerConfig(
      R"({"plaintext_loopback_ok": true, "keystore": {"dir": "k"},
          "trust": {"ca_files": ["ca/root.pem", "/abs/other.pem"],
                    "pins": ["sha256/abc="],
                    "per_key": {
                      "cam-1": {"pins": ["00ff"]},
                      "studio": {"ca_files": ["studio-ca.pem"]}}}})",
      "/etc/mikeyd/c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  const trust::TrustOptions& t = c->trust;
  EXPECT_EQ(
      t.global.ca_files,
      (std::vector<std::string>{"/etc/mikeyd/ca/root.pem", "/abs/other.pem"}));
  // Pins are kept as written (trust_store.h parses them at start).
  EXPECT_EQ(t.global.pins, (std::vector<std::string>{"sha256/abc="}));
  ASSERT_EQ(t.per_key.size(), 2u);
  EXPECT_TRUE(t.per_key.at("cam-1").ca_files.empty());
  EXPECT_EQ(t.per_key.at("cam-1").pins, (std::vector<std::string>{"00ff"}));
  EXPECT_EQ(t.per_key.at("studio").ca_files,
            (std::vector<std::string>{"/etc/mikeyd/studio-ca.pem"}));
  EXPECT_TRUE(ValidateServerConfig(*c).ok());
  // None: empty.
  EXPECT_TRUE(DefaultServerConfig().trust.empty());
  // Misspelt fields are errors like everywhere else.
  ExpectMessage(ParseServerConfig(R"({"plaintext_loopback_ok": true,
                                      "trust": {"ca_file": ["x"]}})",
                                  "c.json")
                    .status(),
                StatusCode::kInvalidArgument, {"c.json", "ca_file"});
}

TEST(ConfigFileTest, UnreadableFile) {
  ExpectMessage(LoadServerConfig("/nonexistent/mikeyd.json").status(),
                StatusCode::kFailedPrecondition,
                {"/nonexistent/mikeyd.json", "cannot read"});
}

TEST(ConfigBannerTest, SaysWhatIsInForce) {
  std::string banner = StartupBanner(DefaultServerConfig(), false);
  for (const char* part :
       {"embedded default", "PLAINTEXT", "every call allowed",
        "audit log: stderr", "metrics: off", "health port: off",
        "GENERATED DEMO KEYSTORE", "inline keys ALLOWED"}) {
    EXPECT_NE(banner.find(part), std::string::npos) << part << "\n" << banner;
  }
  ServerConfig c = TlsConfigForTest();
  c.audit_path = "/var/log/a.jsonl";
  c.metrics_listen = "127.0.0.1:9464";
  c.health_listen = "0.0.0.0:8081";
  banner = StartupBanner(c, true);
  for (const char* part :
       {"file /etc/c.json", "transport: TLS", "policy /p.json (default deny)",
        "audit log: /var/log/a.jsonl", "http://127.0.0.1:9464/metrics",
        "keystore /keys", "inline keys refused",
        "health port: 0.0.0.0:8081 (plaintext gRPC, grpc.health.v1.Health "
        "only)"}) {
    EXPECT_NE(banner.find(part), std::string::npos) << part << "\n" << banner;
  }
  EXPECT_EQ(banner.find("PLAINTEXT"), std::string::npos) << banner;
}

TEST(StrictJsonTest, AcceptsWellFormedJson) {
  for (const char* json : {
           "{}",
           "[]",
           "0",
           "-0.5e+3",
           "\"\"",
           "true",
           "null",
           " [ 1 , 2 ] ",
           R"({"a": [1, -0.5E-3, true, false, null, "x\u00e9\ud83d\ude00\n"],
               "b": {"c": {}}, "d": "\/\\\""})",
       }) {
    EXPECT_TRUE(CheckStrictJson(json).ok())
        << json << ": " << CheckStrictJson(json);
  }
}

TEST(StrictJsonTest, RejectsMalformedJson) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {"", "line 1, column 1: unexpected end"},
      {"{", "expected a key"},
      {"{\"a\" 1}", "expected ':'"},
      {"{\"a\": 01}", "expected ',' or '}' (at a)"},
      {"{\"a\": 1,}", "expected a key"},
      {"[1 2]", "expected ',' or ']'"},
      {"[1,]", "expected a value"},
      {"{'a': 1}", "expected a key"},
      {"\"\\x\"", "unknown escape"},
      {"\"\\u12\"", "malformed \\u escape"},
      {"\"a\tb\"", "control character"},
      {"\"abc", "unterminated string"},
      {"1 2", "unexpected text after the end"},
      {"-", "malformed number"},
      {"1.", "malformed number"},
      {"1e", "malformed number"},
      {"tru", "expected a value"},
      {"{\"a\": 1, \"a\": 2}", "key given twice"},
      {"{\"a_b\": 1, \"aB\": 2}", "key given twice"},
      {"{\"r\": [{\"x\": 1}, {\"y\": ?}]}", "(at r[1].y)"},
      {"{\"a\": 1}\n\n  x", "line 3, column 3"},
  };
  for (const Case& k : cases) {
    ExpectMessage(CheckStrictJson(k.json), StatusCode::kInvalidArgument,
                  {k.message});
  }
  // Nesting is bounded (and checked without recursion).
  std::string deep(kMaxJsonDepth, '[');
  deep += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(CheckStrictJson(deep).ok());
  std::string deeper(100000, '[');
  ExpectMessage(CheckStrictJson(deeper), StatusCode::kInvalidArgument,
                {"nested deeper than 32"});
}

}  // namespace
}  // namespace service
}  // namespace mikey
