// Certificates and RSA private keys from the forms operators and callers
// hand them to mikeyd in: PEM text (pem.h) or DER. The parsing of the DER
// itself is core's (core/pki/certificate.h, core/crypto/rsa.h); this only
// finds it.

#ifndef MIKEY_SERVICE_TRUST_CERTIFICATES_H_
#define MIKEY_SERVICE_TRUST_CERTIFICATES_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/rsa.h"
#include "core/pki/certificate.h"

namespace mikey {
namespace service {
namespace trust {

// Most certificates accepted in one chain (leaf and intermediates) from a
// caller or a credential file.
inline constexpr size_t kMaxChainCertificates = 10;

// The certificates of `data`: PEM holding one or more "CERTIFICATE" blocks
// (in order; other text around them is ignored), or exactly one DER
// certificate. INVALID_ARGUMENT naming `what` for anything else: no
// certificate, a PEM block of another label, undecodable DER, more than
// `max_count` certificates.
absl::StatusOr<std::vector<pki::Certificate>> ParseCertificates(
    absl::string_view data, absl::string_view what,
    size_t max_count = kMaxChainCertificates);

// An RSA private key from `data`: PEM "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE
// KEY" (PKCS#1), exactly one block; or the same as DER. Encrypted keys
// ("ENCRYPTED PRIVATE KEY", legacy Proc-Type headers) and other key types
// are INVALID_ARGUMENT naming `what`. Intermediate copies of the key are
// wiped; messages never include the contents.
absl::StatusOr<RsaPrivateKey> ParsePrivateKey(absl::string_view data,
                                              absl::string_view what);

}  // namespace trust
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TRUST_CERTIFICATES_H_
