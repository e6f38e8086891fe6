// MIKEY key derivations (RFC 3830 §4.1.3, §4.1.4) and the KEMAC AES-CM IV
// (§4.2.3), all on the PRF of prf.h.
//
//   label = constant (32 bits) || cs_id (8) || csb_id (32) || RAND
//
// Two families that are easy to mix up:
//   §4.1.3, inkey = TGK, cs_id = the crypto session: TEK (the SRTP master
//     key) 0x2AD01C64, authentication key 0x1B5C7973, encryption key
//     0x15798CEF, salting key (the SRTP master salt) 0x39A2C14B;
//   §4.1.4, inkey = pre-shared or envelope key, cs_id = 0xFF: the keys that
//     protect the MIKEY message itself: KEMAC encryption key 0x150533E1,
//     authentication key (KEMAC and V MACs) 0x2D22AC75, salting key (KEMAC
//     AES-CM IV) 0x29B88916.
// The constants are consecutive 9-digit runs of the decimal digits of e.

#ifndef MIKEY_CORE_KDF_KDF_H_
#define MIKEY_CORE_KDF_KDF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/kdf/prf.h"

namespace mikey {

namespace kdf_constant {
// §4.1.3, from the TGK.
inline constexpr uint32_t kTek = 0x2AD01C64;      // 718281828
inline constexpr uint32_t kTgkAuth = 0x1B5C7973;  // 459045235
inline constexpr uint32_t kTgkEncr = 0x15798CEF;  // 360287471
inline constexpr uint32_t kTgkSalt = 0x39A2C14B;  // 966967627
// §4.1.4, from the pre-shared / envelope key.
inline constexpr uint32_t kMessageEncr = 0x150533E1;  // 352662497
inline constexpr uint32_t kMessageAuth = 0x2D22AC75;  // 757247093
inline constexpr uint32_t kMessageSalt = 0x29B88916;  // 699959574
}  // namespace kdf_constant

// The cs_id used in §4.1.4 labels.
inline constexpr uint8_t kMessageKeyCsId = 0xFF;

// Key lengths of the message-protection algorithms (RFC 3830 §4.2.3, §6.2):
// AES-CM-128 / AES-KW-128 encryption key, HMAC-SHA-1-160 authentication key,
// the 112-bit AES-CM salt, and the 64-bit AES-KW salt. RFC 3830 §4.2.3: "S
// is a 112-bit salting key, also derived as in Section 4.1.4" (AES-CM); "The
// 128-bit key and a 64-bit salt, S, are derived in accordance to Section
// 4.1.4 and the key wrap IV is then set to S" (AES-KW).
inline constexpr size_t kKemacEncrKeyLength = 16;
inline constexpr size_t kHmacSha1AuthKeyLength = 20;
inline constexpr size_t kKemacSaltLength = 14;
inline constexpr size_t kKemacKwSaltLength = 8;

// constant || cs_id || csb_id || rand, big-endian.
std::vector<uint8_t> KdfLabel(uint32_t constant, uint8_t cs_id, uint32_t csb_id,
                              absl::Span<const uint8_t> rand);

// PRF(inkey, KdfLabel(...)) with `len` octets of output; `prf` is the hash
// of the common header's PRF func (see PrfHashFromFunc).
absl::StatusOr<SecretBytes> DeriveKey(
    HashAlg prf, absl::Span<const uint8_t> inkey, uint32_t constant,
    uint8_t cs_id, uint32_t csb_id, absl::Span<const uint8_t> rand, size_t len);

// The same with a PRF already keyed with the inkey (prf.h), so that the keys
// derived from one inkey share a single HMAC key setup.
absl::StatusOr<SecretBytes> DeriveKey(MikeyPrfKey& prf, uint32_t constant,
                                      uint8_t cs_id, uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len);
// ... writing the key to `out` (len = out.size()); on failure `out` is zeroed.
absl::Status DeriveKeyInto(MikeyPrfKey& prf, uint32_t constant, uint8_t cs_id,
                           uint32_t csb_id, absl::Span<const uint8_t> rand,
                           absl::Span<uint8_t> out);

// §4.1.3: keys of crypto session `cs_id` from the TGK.
absl::StatusOr<SecretBytes> DeriveTek(HashAlg prf,
                                      absl::Span<const uint8_t> tgk,
                                      uint8_t cs_id, uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len);
absl::StatusOr<SecretBytes> DeriveSalt(HashAlg prf,
                                       absl::Span<const uint8_t> tgk,
                                       uint8_t cs_id, uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       size_t len);
absl::StatusOr<SecretBytes> DeriveTgkAuthKey(HashAlg prf,
                                             absl::Span<const uint8_t> tgk,
                                             uint8_t cs_id, uint32_t csb_id,
                                             absl::Span<const uint8_t> rand,
                                             size_t len);
absl::StatusOr<SecretBytes> DeriveTgkEncrKey(HashAlg prf,
                                             absl::Span<const uint8_t> tgk,
                                             uint8_t cs_id, uint32_t csb_id,
                                             absl::Span<const uint8_t> rand,
                                             size_t len);

// §4.1.4: message-protection keys from the pre-shared or envelope key
// (cs_id 0xFF).
absl::StatusOr<SecretBytes> DeriveKemacEncrKey(
    HashAlg prf, absl::Span<const uint8_t> key, uint32_t csb_id,
    absl::Span<const uint8_t> rand, size_t len = kKemacEncrKeyLength);
absl::StatusOr<SecretBytes> DeriveKemacAuthKey(
    HashAlg prf, absl::Span<const uint8_t> key, uint32_t csb_id,
    absl::Span<const uint8_t> rand, size_t len = kHmacSha1AuthKeyLength);
absl::StatusOr<SecretBytes> DeriveKemacSalt(HashAlg prf,
                                            absl::Span<const uint8_t> key,
                                            uint32_t csb_id,
                                            absl::Span<const uint8_t> rand,
                                            size_t len = kKemacSaltLength);

// §4.2.3: "IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000, where S is a
// 112-bit salting key, also derived as in Section 4.1.4, and where T is the
// 64-bit timestamp sent by the Initiator." A 32-bit COUNTER is passed
// zero-extended (§6.6: "COUNTER SHALL be padded (with leading zeros) to a
// 64-bit value"), an NTP-UTC-32 value as seconds << 32 (RFC 6043 §6.3:
// "padded to a 64-bit NTP-UTC timestamp (with zeroes in the fractional
// second part)"); see exchange_internal::IvTimestamp. `salt` must be 14
// octets.
absl::StatusOr<std::array<uint8_t, 16>> KemacAesCmIv(
    absl::Span<const uint8_t> salt, uint32_t csb_id, uint64_t t);

}  // namespace mikey

#endif  // MIKEY_CORE_KDF_KDF_H_
