// TLS server credentials for mikeyd's gRPC port, from PEM files, checked at
// start so a wrong file gives a clear message instead of failing handshakes.

#ifndef MIKEY_SERVICE_AUTH_TLS_H_
#define MIKEY_SERVICE_AUTH_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"

namespace mikey {
namespace service {
namespace auth {

struct TlsFiles {
  std::string cert_file;       // PEM server certificate, then its chain
  std::string key_file;        // PEM private key (unencrypted)
  std::string client_ca_file;  // PEM CA certificate(s) for clients; optional
  bool require_client_cert = false;  // needs client_ca_file
};

struct TlsCredentials {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Things worth saying at start that do not stop mikeyd (an expired or
  // not-yet-valid server certificate, a key file others can read).
  std::vector<std::string> warnings;
  // One line describing the transport, for the banner.
  std::string description;
};

// Reads and checks the files: the certificate and key parse, the key belongs
// to the certificate, the CA file holds at least one certificate. Errors are
// INVALID_ARGUMENT or FAILED_PRECONDITION starting with the config field
// ("tls.key_file: /etc/mikeyd/key.pem: ...").
//
// Client certificates: none requested without client_ca_file; requested and,
// when presented, verified against client_ca_file; with require_client_cert,
// required and verified (mutual TLS) — the handshake fails otherwise, before
// any RPC, so such clients never reach the call guard.
absl::StatusOr<TlsCredentials> LoadTlsCredentials(const TlsFiles& files,
                                                  absl::Time now);

}  // namespace auth
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_AUTH_TLS_H_
