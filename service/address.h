// HOST:PORT addresses as mikeyd listens on them and mikeyctl dials them, and
// the loopback test that plaintext (no TLS) mode depends on.

#ifndef MIKEY_SERVICE_ADDRESS_H_
#define MIKEY_SERVICE_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mikey {
namespace service {

struct HostPort {
  std::string host;   // without brackets: "127.0.0.1", "::1", "localhost"
  uint16_t port = 0;  // 0: let the system choose (listening only)

  // "host:port", with brackets around IPv6 literals: "[::1]:50051".
  std::string ToString() const;
};

// Parses "HOST:PORT" or "[IPV6]:PORT". The port is a decimal number from 0
// to 65535. INVALID_ARGUMENT naming what is wrong otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

// Whether `host` certainly means this machine only: "localhost", an IPv4
// address in 127.0.0.0/8, "::1", or an IPv4-mapped 127.x address. Any other
// name is not trusted to be loopback (it could resolve anywhere).
bool IsLoopbackHost(absl::string_view host);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_ADDRESS_H_
