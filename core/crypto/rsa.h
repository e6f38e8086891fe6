// RSA for MIKEY's public-key modes (RFC 3830 §3.2 PK, §3.3 DH-SIGN,
// RFC 4738 RSA-R), on the EVP_PKEY API that OpenSSL 3 and BoringSSL share.
//
// Signatures (the SIGN payload, RFC 3830 §6.5: S type 0 RSA/PKCS#1/1.5,
// 1 RSA/PSS):
//   - RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) over SHA-256 by default. SHA-1 is
//     available for old peers: minisip, the only open implementation of the
//     PK/RSA-R modes, signs PKCS#1 v1.5 with SHA-1 only. RFC 3830 itself does
//     not fix the hash (it says "RSA/PKCS#1/1.5" and "RSA/PSS"), so the two
//     ends must agree by configuration; SHA-1 is accepted only when asked.
//   - RSASSA-PSS (RFC 8017 §8.1) with MGF1 over the same hash and a salt as
//     long as the hash output (the RFC 8017 §9.1 recommendation, and what
//     `openssl pkeyutl -pkeyopt rsa_pss_saltlen:digest` produces). Verification
//     insists on that salt length too.
//
// Encryption (the PKE payload's envelope key, RFC 3830 §4.2.4 / §6.3 and
// RFC 4738): RSAES-PKCS1-v1_5 (RFC 8017 §7.2), which is the scheme RFC 3830
// names for PKE; RSAES-OAEP is offered for deployments that agree on it.
//
// Padding randomness (PKCS#1 v1.5 encryption padding, PSS salts) comes from
// the crypto library's own CSPRNG: EVP gives no way to pass a RandomSource.
// Everything MIKEY itself draws (envelope keys, TGKs, RAND) still comes from
// the caller's RandomSource.
//
// Key sizes: parsing accepts moduli of kMinRsaModulusBits to
// kMaxRsaModulusBits (the upper bound keeps peer-supplied keys from costing
// unbounded CPU); policy about stronger minimums belongs to the caller.
//
// Every fallible call returns a status; no exceptions. A signature that does
// not verify is INVALID_ARGUMENT "RSA signature verification failed"; a
// ciphertext that does not decrypt is INVALID_ARGUMENT (with no detail that
// could serve as a padding oracle).

#ifndef MIKEY_CORE_CRYPTO_RSA_H_
#define MIKEY_CORE_CRYPTO_RSA_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"

struct evp_pkey_st;  // EVP_PKEY in both OpenSSL and BoringSSL.

namespace mikey {

inline constexpr size_t kMinRsaModulusBits = 1024;
inline constexpr size_t kMaxRsaModulusBits = 8192;

enum class RsaSignatureScheme {
  kPkcs1v15,  // SIGN S type 0
  kPss,       // SIGN S type 1
};

struct RsaSignatureParams {
  RsaSignatureScheme scheme = RsaSignatureScheme::kPkcs1v15;
  // kSha1 (old peers, PKCS#1 v1.5 and PSS), kSha256 (default), kSha384,
  // kSha512.
  HashAlg hash = HashAlg::kSha256;
};

enum class RsaEncryptionScheme {
  kPkcs1v15,    // RSAES-PKCS1-v1_5: what RFC 3830 PKE uses
  kOaepSha1,    // RSAES-OAEP, SHA-1 and MGF1-SHA-1, empty label
  kOaepSha256,  // RSAES-OAEP, SHA-256 and MGF1-SHA-256, empty label
};

// "RSA PKCS#1 v1.5 with SHA-256", ... for messages.
std::string RsaSignatureParamsName(const RsaSignatureParams& params);

namespace crypto_internal {
struct EvpPkeyDeleter {
  void operator()(evp_pkey_st* p) const;
};
using EvpPkeyPtr = std::unique_ptr<evp_pkey_st, EvpPkeyDeleter>;
}  // namespace crypto_internal

// An RSA public key. A small value: copies share the (immutable) EVP_PKEY.
class RsaPublicKey {
 public:
  // DER SubjectPublicKeyInfo (the form in certificates and `openssl pkey
  // -pubout -outform DER`). Non-RSA keys, trailing data and moduli outside
  // [kMinRsaModulusBits, kMaxRsaModulusBits] are INVALID_ARGUMENT.
  static absl::StatusOr<RsaPublicKey> FromSpkiDer(
      absl::Span<const uint8_t> der);
  // The subject public key of a DER X.509 certificate (nothing else of the
  // certificate is checked: see core/pki for that).
  static absl::StatusOr<RsaPublicKey> FromCertificateDer(
      absl::Span<const uint8_t> der);
  // Takes a reference to `pkey` (which must be an RSA key of acceptable
  // size); for core/pki, which has the certificate's EVP_PKEY at hand.
  static absl::StatusOr<RsaPublicKey> FromEvpPkey(evp_pkey_st* pkey);

  // DER SubjectPublicKeyInfo.
  absl::StatusOr<std::vector<uint8_t>> ToSpkiDer() const;

  size_t modulus_bits() const;
  // Octets of the modulus = length of every signature and ciphertext.
  size_t modulus_length() const;

  // OK iff `signature` is a valid signature of `message` under `params`.
  absl::Status Verify(const RsaSignatureParams& params,
                      absl::Span<const uint8_t> message,
                      absl::Span<const uint8_t> signature) const;

  // Encrypts `plaintext` (for PKCS#1 v1.5 at most modulus_length() - 11
  // octets; for OAEP modulus_length() - 2 * hash length - 2).
  absl::StatusOr<std::vector<uint8_t>> Encrypt(
      RsaEncryptionScheme scheme, absl::Span<const uint8_t> plaintext) const;

  // Same key (modulus and exponent)?
  bool Equals(const RsaPublicKey& other) const;

  // The underlying key, still owned by this object.
  evp_pkey_st* evp_pkey() const { return key_.get(); }

 private:
  explicit RsaPublicKey(std::shared_ptr<evp_pkey_st> key)
      : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// An RSA private key. Move-only; the library wipes the key when it is freed.
class RsaPrivateKey {
 public:
  // A fresh key pair (for tests and tools); `bits` in [2048, 8192] (1024 is
  // allowed too, for tests of legacy peers).
  static absl::StatusOr<RsaPrivateKey> Generate(size_t bits);
  // DER PKCS#8 PrivateKeyInfo (unencrypted), or a DER PKCS#1 RSAPrivateKey.
  static absl::StatusOr<RsaPrivateKey> FromDer(absl::Span<const uint8_t> der);

  RsaPrivateKey(RsaPrivateKey&&) noexcept = default;
  RsaPrivateKey& operator=(RsaPrivateKey&&) noexcept = default;
  RsaPrivateKey(const RsaPrivateKey&) = delete;
  RsaPrivateKey& operator=(const RsaPrivateKey&) = delete;

  // DER PKCS#8 PrivateKeyInfo (unencrypted), as a secret.
  absl::StatusOr<SecretBytes> ToPkcs8Der() const;

  absl::StatusOr<RsaPublicKey> PublicKey() const;
  size_t modulus_bits() const;
  size_t modulus_length() const;

  // The signature of `message` (hashed here with params.hash):
  // modulus_length() octets.
  absl::StatusOr<std::vector<uint8_t>> Sign(
      const RsaSignatureParams& params,
      absl::Span<const uint8_t> message) const;

  // Decrypts `ciphertext` (exactly modulus_length() octets). Any failure is
  // INVALID_ARGUMENT "RSA decryption failed" without further detail.
  absl::StatusOr<SecretBytes> Decrypt(
      RsaEncryptionScheme scheme, absl::Span<const uint8_t> ciphertext) const;

  // The underlying key, still owned by this object (for core/pki and tests
  // that issue certificates).
  evp_pkey_st* evp_pkey() const { return key_.get(); }

 private:
  explicit RsaPrivateKey(crypto_internal::EvpPkeyPtr key)
      : key_(std::move(key)) {}
  crypto_internal::EvpPkeyPtr key_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_RSA_H_
