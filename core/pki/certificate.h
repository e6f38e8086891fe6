// X.509 certificates for MIKEY's public-key modes (RFC 3830 §3.2, §3.3, §6.7;
// RFC 4738): parsing DER certificates from CERT payloads, verifying a peer's
// chain against configured trust anchors and/or SPKI pins at a GIVEN time
// (core reads no clock), checking key usage, and reading the identities an
// ID / IDR payload is bound to.
//
// Trust (TrustConfig):
//   - trust anchors only: the chain must verify up to an anchor (X509_STORE,
//     X509_VERIFY_PARAM_set_time);
//   - pins only (SHA-256 of the DER SubjectPublicKeyInfo, RFC 7469 style):
//     the leaf's SPKI must be pinned; no CA is involved, so a self-signed
//     peer certificate works. Its validity period and key usage still apply;
//   - both: the chain must verify AND the leaf or a certificate of the
//     verified chain must be pinned.
//
// Every failure is FAILED_PRECONDITION (INVALID_ARGUMENT for undecodable
// input) with a message naming the check that failed, and carries a
// CertFailure (GetCertFailure()) that maps to a MIKEY error number
// (MikeyErrorNo()): Invalid Cert (8) for certificate problems, Invalid ID (7)
// for an identity mismatch.

#ifndef MIKEY_CORE_PKI_CERTIFICATE_H_
#define MIKEY_CORE_PKI_CERTIFICATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/rsa.h"

struct x509_st;  // X509 in both OpenSSL and BoringSSL.

namespace mikey {
namespace pki {

using Sha256Digest = std::array<uint8_t, 32>;

// Why a certificate was refused.
enum class CertFailure {
  kMalformed,         // not DER X.509, or an unusable key
  kUnknownSigner,     // no path to a trust anchor (unknown CA, self-signed)
  kExpired,           // notAfter before the verification time
  kNotYetValid,       // notBefore after the verification time
  kBadSignature,      // a certificate signature in the chain does not verify
  kPinMismatch,       // no pinned SPKI in the chain
  kWrongKeyUsage,     // keyUsage lacks the bit the operation needs
  kIdentityMismatch,  // the ID payload is not an identity of the certificate
  kOther,             // any other chain error (named in the message)
};

const char* CertFailureName(CertFailure f);
// The MIKEY error number (RFC 3830 §6.12) to report: Invalid ID (7) for
// kIdentityMismatch, Invalid Cert (8) otherwise.
uint8_t MikeyErrorNo(CertFailure f);
// The failure a status from this file carries, if any.
std::optional<CertFailure> GetCertFailure(const absl::Status& status);

// The key usage an operation needs (RFC 5280 §4.2.1.3). A certificate without
// a keyUsage extension allows every usage.
enum class KeyUsage {
  kDigitalSignature,  // SIGN payloads
  kKeyEncipherment,   // PKE envelope keys encrypted to the subject
};

// Identities a certificate names: subjectAltName URIs, rfc822Names (e-mail)
// and dNSNames, and the subject's commonName(s).
struct CertIdentities {
  std::vector<std::string> uris;
  std::vector<std::string> emails;
  std::vector<std::string> dns_names;
  std::vector<std::string> common_names;
};

// An immutable parsed certificate. Copies share the underlying X509.
class Certificate {
 public:
  // One DER certificate, exactly (trailing octets are refused).
  static absl::StatusOr<Certificate> FromDer(absl::Span<const uint8_t> der);

  const std::vector<uint8_t>& der() const { return *der_; }
  // SHA-256 of the DER SubjectPublicKeyInfo: the pin.
  const Sha256Digest& spki_sha256() const { return spki_sha256_; }
  const CertIdentities& identities() const { return identities_; }
  absl::Time not_before() const { return not_before_; }
  absl::Time not_after() const { return not_after_; }
  // The subject's RSA public key (INVALID_ARGUMENT for other key types).
  absl::StatusOr<RsaPublicKey> rsa_public_key() const;
  // OK if `usage` is allowed (no keyUsage extension allows all); else
  // FAILED_PRECONDITION with kWrongKeyUsage.
  absl::Status CheckKeyUsage(KeyUsage usage) const;
  // A one-line description for messages ("CN=..., SAN URI ...").
  std::string Describe() const;

  x509_st* x509() const { return x509_.get(); }

 private:
  Certificate() = default;
  std::shared_ptr<x509_st> x509_;
  std::shared_ptr<const std::vector<uint8_t>> der_;
  Sha256Digest spki_sha256_{};
  CertIdentities identities_;
  absl::Time not_before_;
  absl::Time not_after_;
};

// SHA-256 of a DER SubjectPublicKeyInfo (e.g. RsaPublicKey::ToSpkiDer()).
Sha256Digest SpkiSha256(absl::Span<const uint8_t> spki_der);

// Whether `id` (the data of a MIKEY ID/IDR payload of `id_type`, RFC 3830
// §6.7 / RFC 6043 §6.6) names the subject of `cert`:
//   URI (1): equal to a SAN URI (exact), or, for "sip:"/"sips:"/"mailto:"
//            URIs, their user@host part equal to a SAN e-mail (case-blind);
//   NAI (0): equal to a SAN e-mail (case-blind) or SAN URI (exact);
//   byte string (2): equal to any SAN entry;
// and, only when the certificate has no subjectAltName identities at all,
// equal to a subject commonName (RFC 6125 §6.4.4 fallback).
bool CertificateNamesId(const Certificate& cert, uint8_t id_type,
                        absl::Span<const uint8_t> id);

struct TrustConfig {
  std::vector<Certificate> trust_anchors;
  std::vector<Sha256Digest> pinned_spki_sha256;
  // Most intermediate certificates accepted in a presented chain.
  size_t max_chain_length = 8;
};

struct VerifiedPeer {
  Certificate leaf;
  RsaPublicKey public_key;
  bool chain_verified = false;  // a trust anchor vouched for it
  bool pinned = false;          // its (or its chain's) SPKI is pinned
};

// Thread-safe; copies share the cache of ParseCertificate().
class CertificateVerifier {
 public:
  // Most certificates ParseCertificate() remembers.
  static constexpr size_t kMaxRememberedCertificates = 256;

  // An empty config (no anchor, no pin) trusts nothing; Verify then fails
  // with kUnknownSigner.
  explicit CertificateVerifier(TrustConfig config);

  // Verifies `chain` (leaf first, then intermediates in any order) at time
  // `at` for `usage`. The leaf must carry an RSA key of at least
  // `min_rsa_bits`. On success the chain's certificates are remembered for
  // ParseCertificate().
  absl::StatusOr<VerifiedPeer> Verify(absl::Span<const Certificate> chain,
                                      absl::Time at, KeyUsage usage,
                                      size_t min_rsa_bits = 2048) const;

  // Certificate::FromDer(der), answered from memory when `der` is, octet for
  // octet, a certificate of a chain this verifier accepted before (a peer
  // sends the same CERT payloads in every exchange, and in OpenSSL 3 parsing
  // one costs about a third of an RSA-2048 signature: its key goes through
  // an OSSL_DECODER). Only certificates that verified are remembered, at
  // most kMaxRememberedCertificates (then the memory starts over), so what
  // peers send cannot fill it. A remembered certificate is verified again by
  // every Verify() like any other.
  absl::StatusOr<Certificate> ParseCertificate(
      absl::Span<const uint8_t> der) const;

  const TrustConfig& config() const { return config_; }

 private:
  struct Remembered;
  void Remember(absl::Span<const Certificate> chain) const;

  TrustConfig config_;
  std::shared_ptr<Remembered> remembered_;
};

// A failure status carrying `failure` (for code building its own checks on
// top of this file, e.g. identity binding).
absl::Status CertError(CertFailure failure, absl::string_view message);

}  // namespace pki
}  // namespace mikey

#endif  // MIKEY_CORE_PKI_CERTIFICATE_H_
