// mikeyd: the mikey-broker gRPC server.
//
//   mikeyd [--listen=HOST:PORT]
//
// Serves mikey.broker.v1.KeyBroker, the standard health service
// (grpc.health.v1.Health) and server reflection. Runs on its embedded default
// configuration: plaintext gRPC on loopback. Prints "mikeyd listening on
// HOST:PORT" on stdout once it accepts connections (with the real port when
// --listen asked for port 0), logs to stderr, and on SIGTERM or SIGINT stops
// accepting, lets in-flight RPCs finish (up to a grace period) and exits 0.

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/address.h"
#include "service/config.h"
#include "service/key_broker_service.h"

ABSL_FLAG(std::string, listen, mikey::service::DefaultServerConfig().listen,
          "Address to listen on, HOST:PORT or [IPV6]:PORT (port 0: any free "
          "port). Must be a loopback address while TLS is not configured.");
ABSL_FLAG(std::string, config, "",
          "Configuration file. Not supported yet: mikeyd runs on its embedded "
          "default configuration (loopback, plaintext).");

namespace mikey {
namespace service {
namespace {

constexpr char kServiceName[] = "mikey.broker.v1.KeyBroker";

int Fail(const absl::Status& status, int exit_code) {
  std::cerr << "mikeyd: " << status.message() << std::endl;
  return exit_code;
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

  absl::SetProgramUsageMessage(
      "mikey-broker gRPC server.\n  mikeyd [--listen=HOST:PORT]");
  // Unknown flags make ParseCommandLine print an error and exit.
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    return Fail(absl::InvalidArgumentError(
                    absl::StrCat("unexpected argument '", args[1],
                                 "' (mikeyd takes only flags; see --help)")),
                2);
  }
  if (!absl::GetFlag(FLAGS_config).empty()) {
    return Fail(absl::UnimplementedError(
                    "--config: configuration files are not supported yet; "
                    "run without --config to use the embedded default "
                    "(loopback, plaintext)"),
                2);
  }

  ServerConfig config = DefaultServerConfig();
  config.listen = absl::GetFlag(FLAGS_listen);
  if (absl::Status s = ValidateServerConfig(config); !s.ok()) {
    return Fail(s, 2);
  }
  // Validated above, so this parses.
  HostPort address = *ParseHostPort(config.listen);

  std::cerr << StartupBanner(config, /*from_file=*/false) << std::endl;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  KeyBrokerService key_broker;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(&key_broker);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Fail(absl::UnavailableError(
                    absl::StrCat("cannot listen on ", config.listen,
                                 " (address in use or not available?)")),
                1);
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health != nullptr) health->SetServingStatus(kServiceName, true);

  address.port = static_cast<uint16_t>(selected_port);
  std::cout << "mikeyd listening on " << address.ToString() << std::endl;

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
            << ", shutting down (grace "
            << absl::FormatDuration(config.shutdown_grace) << ")" << std::endl;
  // Health checks report NOT_SERVING from here on.
  if (health != nullptr) health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(config.shutdown_grace));
  server->Wait();
  std::cerr << "mikeyd: stopped" << std::endl;
  return 0;
}

}  // namespace
}  // namespace service
}  // namespace mikey

int main(int argc, char** argv) { return mikey::service::Run(argc, argv); }
