// Diffie-Hellman for MIKEY's DH and DHHMAC modes (RFC 3830 §3.3, §6.4;
// RFC 4650), on the API OpenSSL 3 and BoringSSL share: BIGNUM arithmetic
// (BoringSSL has no EVP-level finite-field DH) and the EVP X25519 keys.
//
// Groups, all with generator 2:
//   - OAKLEY 1, the 768-bit MODP group of RFC 2409 §6.1 (96-octet values);
//   - OAKLEY 2, the 1024-bit MODP group of RFC 2409 §6.2 (128 octets);
//   - OAKLEY 5, the 1536-bit MODP group of RFC 3526 §2 (192 octets);
//   - X25519 (RFC 7748, 32 octets). Not a MIKEY group: this project carries
//     it under the private-use DH-Group number 255, and the exchange layer
//     only uses it when the caller asks for it explicitly.
// The primes are the RFCs' constants (p = 2^n - 2^(n-64) - 1 +
// 2^64 * (floor(2^(n-130) pi) + c)); the tests compare them with the copies
// in the crypto library.
//
// Every MODP value (public values, shared secrets, private exponents) is a
// big-endian integer of exactly the group's length, leading zero octets kept:
// stripping them (as minisip does) breaks about one exchange in 256.
//
// Private keys are fresh per exchange and drawn from a RandomSource: for the
// MODP groups x is uniform in [2, q-1], q = (p-1)/2 the order of the subgroup
// 2 generates (the primes are safe primes and 2 is a quadratic residue, as
// p = 7 mod 8); for X25519 the 32 octets are the RFC 7748 scalar, clamped by
// the library.

#ifndef MIKEY_CORE_CRYPTO_DH_H_
#define MIKEY_CORE_CRYPTO_DH_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"

namespace mikey {

enum class DhGroup {
  kModp768,   // OAKLEY 1, RFC 2409 §6.1
  kModp1024,  // OAKLEY 2, RFC 2409 §6.2
  kModp1536,  // OAKLEY 5, RFC 3526 §2
  kX25519,    // RFC 7748; non-standard in MIKEY
};

// Octets of a public value and of the shared secret: 96, 128, 192, 32.
size_t DhValueOctets(DhGroup group);
// "OAKLEY 1 (768-bit MODP)", ..., "X25519", for messages.
absl::string_view DhGroupName(DhGroup group);
// The prime of a MODP group, big-endian (DhValueOctets octets). Empty for
// X25519.
std::vector<uint8_t> DhGroupPrime(DhGroup group);

// Checks a peer's public value: the group's length, and for MODP groups
// 1 < y < p-1 and y^q = 1 (mod p), so that y lies in the prime-order
// subgroup (RFC 2631 §2.1.5). As p = 2q + 1 is a safe prime, y^q mod p is the
// Legendre symbol (y/p), which is what is computed: the same answer for a
// fraction of the cost of the exponentiation. X25519 values are checked for
// length here; a
// low-order point shows when the shared secret comes out all zero, which
// SharedSecret() refuses. Failures are INVALID_ARGUMENT saying what is wrong
// (never the value).
absl::Status ValidateDhPublicValue(DhGroup group,
                                   absl::Span<const uint8_t> value);

// The shared secret of a private value (as DhKeyPair::private_value() gives
// it) with a peer's public value: exactly what DhKeyPair::SharedSecret()
// computes, for a caller that kept only the private value (no public value
// is recomputed). INVALID_ARGUMENT for a private value of the wrong length or
// range and for an invalid public value (ValidateDhPublicValue).
absl::StatusOr<SecretBytes> DhSharedSecret(
    DhGroup group, absl::Span<const uint8_t> private_value,
    absl::Span<const uint8_t> peer_public);

// A 16-octet tag binding a private value to its public value: the first
// 16 octets of SHA-256("MIKEY DH key check" || G || x || y), G one octet, the
// IKE group number (1, 2, 5; 31 for X25519). For a caller that
// stores both and must later tell that they still belong together without
// recomputing g^x, a full modular exponentiation: a pair altered after it
// was tagged no longer matches its tag. It proves nothing about a pair it
// was not computed from. MODP and X25519 values of the group's length only.
inline constexpr size_t kDhKeyCheckOctets = 16;
absl::StatusOr<std::vector<uint8_t>> DhKeyCheck(
    DhGroup group, absl::Span<const uint8_t> private_value,
    absl::Span<const uint8_t> public_value);

// One side's ephemeral key pair.
class DhKeyPair {
 public:
  // A fresh key pair with its private key drawn from `rng`.
  static absl::StatusOr<DhKeyPair> Generate(DhGroup group, RandomSource& rng);
  // The key pair of a private key previously returned by private_value()
  // (an Initiator restores its key pair from its sealed state this way).
  // INVALID_ARGUMENT when the length or range is wrong.
  static absl::StatusOr<DhKeyPair> FromPrivateValue(
      DhGroup group, absl::Span<const uint8_t> private_value);

  DhKeyPair(DhKeyPair&&) = default;
  DhKeyPair& operator=(DhKeyPair&&) = default;
  DhKeyPair(const DhKeyPair&) = default;
  DhKeyPair& operator=(const DhKeyPair&) = default;

  DhGroup group() const { return group_; }
  // g^x mod p (or the X25519 public key): DhValueOctets(group) octets.
  const std::vector<uint8_t>& public_value() const { return public_; }
  // x as DhValueOctets(group) octets big-endian (MODP), or the 32-octet
  // X25519 private key.
  const SecretBytes& private_value() const { return private_; }

  // The shared secret with a peer's public value: g^(x*y) as
  // DhValueOctets(group) octets big-endian, leading zeros kept (the TGK of
  // RFC 3830 §3.3 / RFC 4650). Validates `peer_public` first
  // (ValidateDhPublicValue); an invalid value, or an all-zero X25519 result,
  // is INVALID_ARGUMENT.
  absl::StatusOr<SecretBytes> SharedSecret(
      absl::Span<const uint8_t> peer_public) const;

 private:
  DhKeyPair(DhGroup group, std::vector<uint8_t> public_value,
            SecretBytes private_value)
      : group_(group),
        public_(std::move(public_value)),
        private_(std::move(private_value)) {}

  DhGroup group_;
  std::vector<uint8_t> public_;
  SecretBytes private_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_DH_H_
