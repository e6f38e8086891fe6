// mikeyd: the mikey-broker gRPC server.
//
//   mikeyd [--config=FILE] [--listen=HOST:PORT] [--metrics_listen=HOST:PORT]
//          [--health_listen=HOST:PORT] [--audit_log=FILE]
//
// Serves mikey.broker.v1.KeyBroker, the standard health service
// (grpc.health.v1.Health) and server reflection; with --echo_service also
// mikey.broker.v1.Echo, the trivial RPC the load benchmarks compare with. With
// health.listen it also serves grpc.health.v1.Health alone, in plaintext, on a
// second port (for the kubelet's gRPC probes, which cannot do TLS). Without
// --config it runs on its embedded default configuration: plaintext gRPC on
// loopback, every call allowed, a generated demo keystore. With --config it
// reads a JSON configuration file (docs/CONFIG.md): TLS or mutual TLS, an
// authorization policy, an audit log file, a Prometheus endpoint, trust for
// peers' certificates, a replay cache shared through Redis. Flags override the
// file's fields. Everything is checked before anything listens; a bad
// configuration exits with status 2, an environment problem (an audit log
// that cannot be opened, an address in use) with status 1.
//
// Prints "mikeyd listening on HOST:PORT" on stdout once it accepts
// connections (the real port when port 0 was asked for), then, with a
// metrics endpoint, "mikeyd metrics on HOST:PORT", then, with a health port,
// "mikeyd health on HOST:PORT". Logs to stderr. On
// SIGTERM or SIGINT it drains (health service and /healthz report
// NOT_SERVING, new calls get UNAVAILABLE) for shutdown_drain, then stops
// accepting connections, lets in-flight calls finish (up to shutdown_grace)
// and exits 0.

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "service/address.h"
#include "service/auth/guard.h"
#include "service/auth/policy.h"
#include "service/auth/tls.h"
#include "service/broker/broker.h"
#include "service/config.h"
#include "service/echo_service.h"
#include "service/key_broker_service.h"
#include "service/keystore/keystore.h"
#include "service/replay/redis_replay_cache.h"
#include "service/replay/replay_cache_factory.h"
#include "service/telemetry/audit.h"
#include "service/telemetry/grpc_log.h"
#include "service/telemetry/http_server.h"
#include "service/telemetry/metrics.h"
#include "service/trust/trust_store.h"
#include "service/worker_pool.h"

ABSL_FLAG(std::string, config, "",
          "JSON configuration file (docs/CONFIG.md). Without it mikeyd runs on "
          "its embedded default: loopback, plaintext, every call allowed, a "
          "generated demo keystore.");
ABSL_FLAG(std::string, listen, "",
          "Address to listen on, HOST:PORT or [IPV6]:PORT (port 0: any free "
          "port). Overrides the configuration's listen; default "
          "127.0.0.1:50051. Must be a loopback address without TLS.");
ABSL_FLAG(std::string, metrics_listen, "",
          "Address of the HTTP endpoint for Prometheus (/metrics) and "
          "/healthz, HOST:PORT; 'off' for none. Overrides the "
          "configuration's metrics.listen; default: none.");
ABSL_FLAG(std::string, health_listen, "",
          "Address of a plaintext gRPC port serving only "
          "grpc.health.v1.Health (for probes that cannot do TLS), "
          "HOST:PORT; 'off' for none. Overrides the configuration's "
          "health.listen; default: none.");
ABSL_FLAG(bool, core_dumps, false,
          "allow core dumps (off by default: a core file of mikeyd holds the "
          "keystore's keys and every key in flight)");
ABSL_FLAG(bool, echo_service, false,
          "also serve mikey.broker.v1.Echo, the trivial RPC (no MIKEY work, "
          "audit or metrics) that tests/load/ratio.sh measures the KeyBroker "
          "RPCs against");
ABSL_FLAG(std::string, audit_log, "",
          "File to append the audit log (JSON lines) to; '-' for stderr. "
          "Overrides the configuration's audit.path; default: stderr.");

namespace mikey {
namespace service {
namespace {

constexpr char kServiceName[] = "mikey.broker.v1.KeyBroker";
// The largest request accepted; gRPC itself refuses larger ones with
// RESOURCE_EXHAUSTED before any handler runs. MIKEY messages and SDP
// descriptions are a few kilobytes.
constexpr int kMaxReceiveMessageBytes = 1 << 20;
// Threads for Respond/Complete with the Redis replay cache: each waits one
// Redis round trip at a time, so more threads than cores.
constexpr size_t kRedisWorkerThreads = 16;

constexpr int kExitConfig = 2;
constexpr int kExitEnvironment = 1;

// A ServerBuilder option removing every builder plugin (server reflection is
// one), for the health-only port.
class NoServerPlugins : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->clear();
  }
};

int Fail(const absl::Status& status, int exit_code) {
  std::cerr << "mikeyd: " << status.message() << std::endl;
  return exit_code;
}

// The configuration: the file or the embedded default, then the flags.
absl::StatusOr<ServerConfig> BuildConfig() {
  ServerConfig config;
  const std::string file = absl::GetFlag(FLAGS_config);
  if (file.empty()) {
    config = DefaultServerConfig();
  } else {
    absl::StatusOr<ServerConfig> loaded = LoadServerConfig(file);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  if (std::string listen = absl::GetFlag(FLAGS_listen); !listen.empty()) {
    config.listen = listen;
    config.overridden_by_flag["listen"] = "--listen";
  }
  if (std::string metrics = absl::GetFlag(FLAGS_metrics_listen);
      !metrics.empty()) {
    config.metrics_listen = metrics == "off" ? "" : metrics;
    config.overridden_by_flag["metrics.listen"] = "--metrics_listen";
  }
  if (std::string health = absl::GetFlag(FLAGS_health_listen);
      !health.empty()) {
    config.health_listen = health == "off" ? "" : health;
    config.overridden_by_flag["health.listen"] = "--health_listen";
  }
  if (std::string audit = absl::GetFlag(FLAGS_audit_log); !audit.empty()) {
    config.audit_path = audit;
    config.overridden_by_flag["audit.path"] = "--audit_log";
  }
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) return s;
  return config;
}

int Run(int argc, char** argv) {
  // Block the shutdown signals first, so every thread gRPC starts inherits
  // the mask and the signals wait for sigwait() below instead of killing the
  // process at an arbitrary point.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  if (int err = pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr)) {
    std::cerr << "mikeyd: pthread_sigmask: " << std::strerror(err) << std::endl;
    return 1;
  }
  // A closed stderr or audit pipe is a write error to handle, not a death.
  signal(SIGPIPE, SIG_IGN);

  absl::SetProgramUsageMessage(
      "mikey-broker gRPC server.\n  mikeyd [--config=FILE] "
      "[--listen=HOST:PORT] [--metrics_listen=HOST:PORT]\n         "
      "[--health_listen=HOST:PORT] [--audit_log=FILE]");
  // Unknown flags make ParseCommandLine print an error and exit.
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    return Fail(absl::InvalidArgumentError(
                    absl::StrCat("unexpected argument '", args[1],
                                 "' (mikeyd takes only flags; see --help)")),
                kExitConfig);
  }

  if (!absl::GetFlag(FLAGS_core_dumps)) {
    // Before any key is loaded. A crash still gets its stack on stderr.
    const struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
      std::cerr << "mikeyd: WARNING: cannot turn off core dumps: "
                << std::strerror(errno) << std::endl;
    }
  }

  // Every connection is a file descriptor: take all the hard limit allows.
  if (struct rlimit files; getrlimit(RLIMIT_NOFILE, &files) == 0 &&
                           files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  absl::StatusOr<ServerConfig> config_or = BuildConfig();
  if (!config_or.ok()) return Fail(config_or.status(), kExitConfig);
  const ServerConfig config = *std::move(config_or);
  const bool from_file = !config.config_file.empty();
  // Validated above, so this parses.
  HostPort address = *ParseHostPort(config.listen);

  // Everything that can fail is loaded before anything listens.
  std::optional<auth::Policy> policy;
  if (!config.policy_file.empty()) {
    absl::StatusOr<auth::Policy> loaded =
        auth::Policy::Load(config.policy_file);
    if (!loaded.ok()) return Fail(loaded.status(), kExitConfig);
    policy = *std::move(loaded);
  }
  // Trust for peers' certificates in the public-key modes: every CA file
  // read and every pin parsed now.
  absl::StatusOr<std::unique_ptr<trust::TrustStore>> trust_store =
      trust::TrustStore::Load(config.trust);
  if (!trust_store.ok()) {
    return Fail(
        absl::Status(trust_store.status().code(),
                     from_file ? absl::StrCat(config.config_file, ": ",
                                              trust_store.status().message())
                               : trust_store.status().message()),
        kExitConfig);
  }
  // The replay cache: in memory (per process) or Redis (shared by the
  // replicas). Redis is not contacted yet: mikeyd may start before it.
  absl::StatusOr<std::unique_ptr<::mikey::replay::ReplayCache>> replay_cache =
      replay::MakeReplayCache(config.replay);
  if (!replay_cache.ok()) {
    return Fail(
        absl::Status(replay_cache.status().code(),
                     absl::StrCat(ConfigFieldName(config, "replay"), ": ",
                                  replay_cache.status().message())),
        kExitConfig);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  std::string transport;
  if (!config.plaintext) {
    absl::StatusOr<auth::TlsCredentials> tls = auth::LoadTlsCredentials(
        auth::TlsFiles{config.tls.cert_file, config.tls.key_file,
                       config.tls.client_ca_file,
                       config.tls.require_client_cert},
        absl::Now());
    if (!tls.ok()) {
      return Fail(
          absl::Status(tls.status().code(),
                       from_file ? absl::StrCat(config.config_file, ": ",
                                                tls.status().message())
                                 : tls.status().message()),
          kExitConfig);
    }
    for (const std::string& warning : tls->warnings) {
      std::cerr << "mikeyd: warning: " << warning << std::endl;
    }
    credentials = tls->credentials;
    transport = tls->description;
  }
  // No audit log, no service.
  absl::StatusOr<std::unique_ptr<telemetry::AuditLog>> audit =
      telemetry::AuditLog::Open(config.audit_path);
  if (!audit.ok()) return Fail(audit.status(), kExitEnvironment);

  telemetry::MetricsRegistry registry;
  absl::StatusOr<telemetry::ServiceMetrics> metrics =
      telemetry::RegisterServiceMetrics(&registry);
  if (!metrics.ok()) return Fail(metrics.status(), kExitEnvironment);
  std::optional<telemetry::HeapMetrics> heap_metrics;
  if (config.metrics_heap_stats) {
    absl::StatusOr<telemetry::HeapMetrics> heap =
        telemetry::RegisterHeapMetrics(&registry);
    if (!heap.ok()) return Fail(heap.status(), kExitEnvironment);
    heap_metrics = *heap;
  }
  metrics->start_time->Set(
      {}, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  // gRPC's log lines go to stderr through mikeyd, which counts failed TLS
  // handshakes in them (gRPC has no other way to see those).
  telemetry::InstallGrpcLogHook(metrics->tls_handshake_failures);

  // Serving state, shared by the health service, /healthz and the guard.
  std::atomic<bool> serving{false};
  // The health services of the main server and of the health-only port.
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  std::atomic<grpc::HealthCheckServiceInterface*> port_health{nullptr};
  auto stop_serving = [&] {
    serving.store(false);
    metrics->serving->Set({}, 0);
    for (auto* slot : {&health, &port_health}) {
      if (grpc::HealthCheckServiceInterface* h = slot->load()) {
        h->SetServingStatus(false);
      }
    }
  };

  auth::ServiceCallGuard::Options guard_options;
  guard_options.require_client_cert =
      !config.plaintext && config.tls.require_client_cert;
  guard_options.policy = policy.has_value() ? &*policy : nullptr;
  guard_options.audit = audit->get();
  guard_options.metrics = &*metrics;
  guard_options.on_audit_failure = [&](const absl::Status&) { stop_serving(); };
  auth::ServiceCallGuard guard(guard_options);

  std::unique_ptr<telemetry::HttpServer> metrics_server;
  if (!config.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<telemetry::HttpServer>> started =
        telemetry::HttpServer::Start(
            config.metrics_listen, [&](absl::string_view path) {
              telemetry::HttpResponse response;
              if (path == "/metrics") {
                response.content_type =
                    "text/plain; version=0.0.4; charset=utf-8";
                if (heap_metrics.has_value()) {
                  telemetry::RecordHeapUsage(*heap_metrics);
                }
                response.body = registry.RenderText();
              } else if (path == "/healthz") {
                const bool ok = serving.load() && !guard.refusing();
                response.status = ok ? 200 : 503;
                response.body = ok ? "serving\n" : "not serving\n";
              } else {
                response.status = 404;
                response.body = "not found (try /metrics or /healthz)\n";
              }
              return response;
            });
    if (!started.ok()) {
      return Fail(
          absl::Status(started.status().code(),
                       absl::StrCat(ConfigFieldName(config, "metrics.listen"),
                                    ": ", started.status().message())),
          started.status().code() == absl::StatusCode::kInvalidArgument
              ? kExitConfig
              : kExitEnvironment);
    }
    metrics_server = *std::move(started);
  }

  std::cerr << StartupBanner(config, from_file) << std::endl;
  if (!transport.empty()) {
    std::cerr << "mikeyd: TLS: " << transport << std::endl;
  }
  if (policy.has_value()) {
    std::cerr << "mikeyd: policy: " << policy->rules().size() << " rule(s)"
              << std::endl;
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // The health-only port: no services registered, no builder plugins
  // (NoServerPlugins drops server reflection), so it serves the default
  // health service, grpc.health.v1.Health, and nothing else. Without a sync
  // service gRPC needs a polled completion queue to drive the port: one
  // thread waits on it (nothing is ever queued on it) until shutdown.
  std::optional<grpc::ServerBuilder> health_builder;
  std::unique_ptr<grpc::ServerCompletionQueue> health_cq;
  int health_port = 0;
  if (!config.health_listen.empty()) {
    health_builder.emplace();
    health_builder->AddListeningPort(
        config.health_listen, grpc::InsecureServerCredentials(), &health_port);
    health_builder->SetOption(std::make_unique<NoServerPlugins>());
    // Health requests are a service name.
    health_builder->SetMaxReceiveMessageSize(4096);
    health_cq = health_builder->AddCompletionQueue();
  }

  // The exchange RPCs: keystore, state tokens, replay cache.
  keybroker::BrokerOptions broker_options = keybroker::DefaultBrokerOptions();
  broker_options.keystore_dir = config.keystore_dir;
  broker_options.keystore_reload_interval = config.keystore_reload_interval;
  if (!config.state_key_id.empty()) {
    broker_options.state_key_id = config.state_key_id;
  }
  broker_options.state_ttl = config.state_ttl;
  broker_options.inline_keys_allowed = config.inline_keys_allowed;
  broker_options.replay_max_skew = config.replay_max_skew;
  broker_options.replay_cache = replay_cache->get();
  broker_options.trust = trust_store->get();
  // Keystore metrics: reloads by outcome, keys and versions in force. The
  // callback runs on the keystore's polling thread, which starts before
  // Create returns; it reads the broker through `keys_for_metrics`.
  std::atomic<const keystore::KeyStore*> keys_for_metrics{nullptr};
  auto update_key_gauges = [&metrics](const keystore::KeyStore& keys) {
    std::shared_ptr<const keystore::KeySnapshot> snapshot = keys.Current();
    size_t versions = 0;
    for (const std::string& id : snapshot->ids()) {
      if (const keystore::Key* key = snapshot->Find(id)) {
        versions += key->versions.size();
      }
    }
    metrics->keystore_keys->Set({}, static_cast<double>(snapshot->key_count()));
    metrics->keystore_versions->Set({}, static_cast<double>(versions));
  };
  broker_options.on_keystore_reload = [&](const keystore::ReloadEvent& e) {
    metrics->keystore_reloads->Increment({e.status.ok() ? "ok" : "error"});
    if (const keystore::KeyStore* keys = keys_for_metrics.load()) {
      update_key_gauges(*keys);
    }
  };
  absl::StatusOr<std::unique_ptr<keybroker::Broker>> broker =
      keybroker::Broker::Create(broker_options);
  if (!broker.ok()) return Fail(broker.status(), kExitConfig);
  keys_for_metrics.store(&(*broker)->keystore());
  update_key_gauges((*broker)->keystore());
  std::cerr << (*broker)->Banner() << std::endl;
  if (auto* redis =
          dynamic_cast<replay::RedisReplayCache*>(replay_cache->get())) {
    // Readiness only: Respond fails closed (UNAVAILABLE) while Redis cannot
    // be reached, and works as soon as it can.
    absl::Status ping = redis->Ping();
    std::cerr << "mikeyd: replay cache: redis " << config.replay.redis.address
              << (ping.ok() ? ": reachable"
                            : absl::StrCat(": WARNING: not reachable now (",
                                           ping.message(),
                                           "); Respond fails with UNAVAILABLE "
                                           "until it is"))
              << std::endl;
  }
  // Respond and Complete wait on Redis when the replay cache is there: they
  // run on their own threads then, not on gRPC's (see key_broker_service.h).
  std::unique_ptr<WorkerPool> offload;
  if (dynamic_cast<replay::RedisReplayCache*>(replay_cache->get()) != nullptr) {
    offload = std::make_unique<WorkerPool>(kRedisWorkerThreads);
  }
  KeyBrokerService key_broker(broker->get(), &guard, offload.get());
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(config.listen, credentials, &selected_port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // Connections cost a file descriptor each, and gRPC 1.51 stops accepting
  // for good once accept() fails with EMFILE: a connection that never
  // finishes its handshake is dropped after 10 s (not gRPC's 120 s), one
  // that stays idle after 5 minutes (clients reconnect transparently).
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 300000);
  builder.RegisterService(&key_broker);
  std::optional<EchoService> echo;
  if (absl::GetFlag(FLAGS_echo_service)) {
    echo.emplace(&guard);
    builder.RegisterService(&*echo);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Fail(absl::UnavailableError(
                    absl::StrCat("cannot listen on ", config.listen,
                                 " (address in use or not available?)")),
                kExitEnvironment);
  }
  grpc::HealthCheckServiceInterface* health_service =
      server->GetHealthCheckService();
  if (health_service != nullptr) {
    health_service->SetServingStatus(kServiceName, true);
    health_service->SetServingStatus(true);
  }
  health.store(health_service);
  std::unique_ptr<grpc::Server> health_server;
  std::thread health_poller;
  // Stops the health-only port: the server, then its completion queue.
  auto stop_health_port = [&] {
    if (health_server != nullptr) {
      health_server->Shutdown(std::chrono::system_clock::now());
      health_server->Wait();
    }
    if (health_cq != nullptr) health_cq->Shutdown();
    if (health_poller.joinable()) health_poller.join();
  };
  grpc::HealthCheckServiceInterface* port_health_service = nullptr;
  if (health_builder.has_value()) {
    health_server = health_builder->BuildAndStart();
    // Until stop_health_port shuts the queue down (also when the port
    // failed to start: a queue must be shut down and drained).
    health_poller = std::thread([cq = health_cq.get()] {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) {
      }
    });
    if (health_server == nullptr || health_port == 0) {
      stop_health_port();
      server->Shutdown();
      server->Wait();
      return Fail(
          absl::UnavailableError(absl::StrCat(
              ConfigFieldName(config, "health.listen"), ": cannot listen on ",
              config.health_listen, " (address in use or not available?)")),
          kExitEnvironment);
    }
    port_health_service = health_server->GetHealthCheckService();
    if (port_health_service == nullptr) {
      stop_health_port();
      server->Shutdown();
      server->Wait();
      return Fail(absl::InternalError("health.listen: the gRPC library "
                                      "provides no health service"),
                  kExitEnvironment);
    }
    // The same statuses as the main server's.
    port_health_service->SetServingStatus(kServiceName, true);
    port_health_service->SetServingStatus(true);
    port_health.store(port_health_service);
  }
  serving.store(!guard.refusing());
  metrics->serving->Set({}, serving.load() ? 1 : 0);

  address.port = static_cast<uint16_t>(selected_port);
  std::cout << "mikeyd listening on " << address.ToString() << std::endl;
  if (metrics_server != nullptr) {
    HostPort metrics_address = *ParseHostPort(config.metrics_listen);
    metrics_address.port = static_cast<uint16_t>(metrics_server->port());
    std::cout << "mikeyd metrics on " << metrics_address.ToString()
              << std::endl;
  }
  if (health_server != nullptr) {
    HostPort health_address = *ParseHostPort(config.health_listen);
    health_address.port = static_cast<uint16_t>(health_port);
    std::cout << "mikeyd health on " << health_address.ToString() << std::endl;
  }

  int signal_number = 0;
  while (true) {
    int err = sigwait(&shutdown_signals, &signal_number);
    if (err == 0) break;
    if (err != EINTR) {
      std::cerr << "mikeyd: sigwait: " << std::strerror(err) << std::endl;
      break;
    }
  }
  std::cerr << "mikeyd: received "
            << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
            << ", shutting down (drain "
            << absl::FormatDuration(config.shutdown_drain) << ", grace "
            << absl::FormatDuration(config.shutdown_grace) << ")" << std::endl;
  // Drain: health checks and /healthz report NOT_SERVING, and new calls are
  // refused with UNAVAILABLE (which clients retry elsewhere) while load
  // balancers and clients move away; calls already running finish. A second
  // signal ends the drain early.
  stop_serving();
  guard.StartDraining();
  if (config.shutdown_drain > absl::ZeroDuration()) {
    const timespec drain = absl::ToTimespec(config.shutdown_drain);
    while (sigtimedwait(&shutdown_signals, nullptr, &drain) < 0 &&
           errno == EINTR) {
    }
  }
  if (health_service != nullptr) health_service->Shutdown();
  if (port_health_service != nullptr) port_health_service->Shutdown();
  // Stops accepting connections and calls; calls already accepted run to
  // completion until the deadline, after which they are cancelled. (Calls
  // gRPC has received but not yet handed to a handler when this starts are
  // cancelled by gRPC without running: after the drain there are normally
  // none.)
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(config.shutdown_grace));
  server->Wait();
  // The health-only port closes last, answering NOT_SERVING until then (its
  // calls are instant, so no grace).
  stop_health_port();
  metrics_server.reset();
  std::cerr << "mikeyd: stopped" << std::endl;
  return 0;
}

}  // namespace
}  // namespace service
}  // namespace mikey

int main(int argc, char** argv) {
  // Debian builds abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detector on: a lock-order graph update on every lock of every mutex in
  // gRPC and here, several percent of a loaded server's time. The tests keep
  // it on (they never call this), so lock-order cycles still get caught.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return mikey::service::Run(argc, argv);
}
