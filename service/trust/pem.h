// PEM text (RFC 7468 "textual encodings"): the armor around DER that key and
// certificate files use. Only the text layer: what the DER means is core's
// business (core/crypto/rsa.h, core/pki/certificate.h).
//
//   -----BEGIN <label>-----
//   base64, in lines (whitespace anywhere is ignored)
//   -----END <label>-----
//
// Text outside the blocks is ignored, as RFC 7468 §2 allows (`openssl x509
// -text` output, comments). Headers inside a block (RFC 1421 "Proc-Type:",
// i.e. legacy encrypted keys) are refused: those blocks are not plain
// base64.

#ifndef MIKEY_SERVICE_TRUST_PEM_H_
#define MIKEY_SERVICE_TRUST_PEM_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bytes/secret_bytes.h"

namespace mikey {
namespace service {
namespace trust {

// Most blocks one text may hold (a CA bundle or a long chain).
inline constexpr size_t kMaxPemBlocks = 256;

struct PemBlock {
  std::string label;  // "CERTIFICATE", "PRIVATE KEY", ...
  SecretBytes der;    // the decoded contents (wiped: may be a private key)
};

// Every block of `text`, in order. INVALID_ARGUMENT naming `what` (a file
// name or field) and the block's line for a BEGIN without a matching END, a
// label mismatch, bad base64, an empty block, or more than kMaxPemBlocks
// blocks. No block at all is an empty vector (the caller says what it
// expected). Never echoes the contents.
absl::StatusOr<std::vector<PemBlock>> ParsePem(absl::string_view text,
                                               absl::string_view what);

}  // namespace trust
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TRUST_PEM_H_
