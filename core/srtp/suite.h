// SRTP crypto suites by their SDES names (RFC 4568 §6.2, RFC 6188 §7.1,
// RFC 7714 §14.2; NULL-cipher suites as named by RFC 5764 / libsrtp), and
// their mapping to and from MIKEY Security Policy parameters
// (RFC 3830 §6.10.1; type 20 from RFC 7714 §14.1 / TS 33.180).

#ifndef MIKEY_CORE_SRTP_SUITE_H_
#define MIKEY_CORE_SRTP_SUITE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/inline_vector.h"

namespace mikey {
namespace srtp {

enum class Cipher { kNull, kAesCm, kAesGcm };
enum class Auth { kNull, kHmacSha1 };

struct CryptoSuite {
  absl::string_view name;  // SDES crypto-suite name.
  Cipher cipher;
  Auth auth;
  size_t master_key_length;  // Octets: 16 or 32 (NULL cipher: 16, for the KDF).
  size_t master_salt_length;       // 14 (AES-CM PRF) or 12 (AEAD).
  size_t session_encr_key_length;  // 0 for the NULL cipher.
  size_t session_auth_key_length;  // 20 for HMAC-SHA-1, else 0.
  size_t session_salt_length;      // 14, 12 for AEAD, 0 for the NULL cipher.
  size_t srtp_auth_tag_length;     // HMAC tag octets on SRTP: 10 or 4.
  size_t srtcp_auth_tag_length;    // On SRTCP: always 10 (RFC 4568 §6.2.2).
  size_t aead_tag_length;          // 16 for AEAD, else 0.
};

// All suites this library knows, in preference order.
absl::Span<const CryptoSuite> AllSuites();

// By SDES name (exact, case-sensitive as in RFC 4568); NOT_FOUND otherwise.
absl::StatusOr<const CryptoSuite*> FindSuite(absl::string_view name);

// ---------------------------------------------------------------------------
// MIKEY SP payload parameters for protocol type SRTP.

struct SrtpPolicyParam {
  uint8_t type;
  // 1 octet for all but the key derivation rate (4): held inline, so that
  // building or reading a policy allocates only for the list.
  InlineBytes<8> value;
  bool operator==(const SrtpPolicyParam& o) const {
    return type == o.type && value == o.value;
  }
};

// A suite plus the per-session switches the SP payload can carry.
struct SrtpPolicy {
  const CryptoSuite* suite = nullptr;
  // RFC 3711 key derivation rate: 0 (derive once) or a power of 2 up to 2^24.
  uint32_t key_derivation_rate = 0;
  bool srtp_encryption = true;
  bool srtcp_encryption = true;
  bool srtp_authentication = true;
};

// How to write the session authentication key length (type 3).
enum class SpDialect {
  // RFC 3830: type 3 = 20 (the HMAC-SHA-1 key), type 11 = the tag length.
  kRfc3830,
  // GStreamer (rtsp-server, rtspsrc) and gortsplib put the tag length (10 or
  // 4) in type 3 and read type 3 that way; they ignore type 11.
  kTagLengthInAuthKeyLength,
  // Chosen per suite so that every deployed MIKEY-NULL receiver reads the
  // suite that was sent: kRfc3830 for 80-bit SRTP tags (type 3 = 20, the
  // only value Live555, the strictest receiver, accepts; GStreamer and
  // gortsplib read any type 3 but 4 as an 80-bit tag), and
  // kTagLengthInAuthKeyLength otherwise (type 3 = 4 for the _32 suites:
  // GStreamer and gortsplib read the 32-bit tag there, while the RFC form's
  // 20 makes them expect 80-bit tags; Live555 has no _32 suite). Type 11
  // carries the tag length either way, for RFC 3830 readers.
  kInteropNull,
};

// The SP parameters describing `policy`, in type order. Defaults are written
// explicitly except key derivation rate 0, which is omitted. One allocation:
// the list is reserved at its largest size.
std::vector<SrtpPolicyParam> PolicyFromSuite(
    const SrtpPolicy& policy, SpDialect dialect = SpDialect::kRfc3830);
std::vector<SrtpPolicyParam> PolicyFromSuite(
    const CryptoSuite& suite, SpDialect dialect = SpDialect::kRfc3830);

// Reads SP parameters, missing ones taking RFC 3830 defaults (AES-CM,
// 16-octet keys, HMAC-SHA-1, 14-octet salt, 10-octet tag, everything on).
// Tolerated deployed variants: type 3 = 10 or 4 (tag length, GStreamer /
// gortsplib), tag lengths in bits (80/32), a missing salt length with GCM,
// numeric values of 1 to 4 octets; unknown types are ignored. Values that
// contradict every suite are INVALID_ARGUMENT naming the parameter; known
// but unsupported features (AES-F8, AES-192, RCCm, FEC, SRTP prefix, a
// non-AES-CM SRTP PRF) are UNIMPLEMENTED.
absl::StatusOr<SrtpPolicy> SuiteFromPolicy(
    absl::Span<const SrtpPolicyParam> params);

}  // namespace srtp
}  // namespace mikey

#endif  // MIKEY_CORE_SRTP_SUITE_H_
