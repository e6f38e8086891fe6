// The caller's identity, from the verified client certificate gRPC saw.

#ifndef MIKEY_SERVICE_AUTH_IDENTITY_H_
#define MIKEY_SERVICE_AUTH_IDENTITY_H_

#include "grpcpp/security/auth_context.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {
namespace auth {

// For a peer whose certificate gRPC verified (AuthContext says the peer is
// authenticated), the identity is, in this order of preference:
//   - its first URI SAN, as written ("spiffe://example.org/ns/a/sa/b");
//   - its first DNS SAN, as "DNS:<name>";
//   - its subject common name, as "CN=<name>";
//   - its subject, as "SUBJECT=<subject>" (a certificate naming nothing else).
// Any other peer (no context, plaintext, no or unverified certificate) is
// {"anonymous", authenticated = false}.
CallerIdentity IdentityFromAuthContext(const grpc::AuthContext* context);

}  // namespace auth
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_AUTH_IDENTITY_H_
