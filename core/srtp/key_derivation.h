// SRTP/SRTCP session keys from a master key and salt: RFC 3711 §4.3 with
// the AES-CM PRF (§4.3.3), for 128-bit and (RFC 6188 §5.1) 256-bit master
// keys, and for the AEAD suites of RFC 7714.
//
//   r      = index DIV kdr (0 when kdr is 0), 48 bits
//   key_id = label (8 bits) || r
//   x      = key_id XOR master_salt, right-aligned, 112 bits
//   key    = first n octets of AES-CM(master_key, IV = x * 2^16)
//
// 96-bit (AEAD) master salts: RFC 7714 §12 keeps the AES-CM PRF but does not
// say how a 96-bit salt fills the 112-bit x. This code pads it with two zero
// octets on the right (salt || 0x0000, then the usual right-aligned XOR), as
// libsrtp 2 and WebRTC stacks do; key_id therefore lands at the same octets
// as for 112-bit salts. A literal right-alignment of the 96-bit salt would
// shift the salt two octets and interoperate with nobody we know of.

#ifndef MIKEY_CORE_SRTP_KEY_DERIVATION_H_
#define MIKEY_CORE_SRTP_KEY_DERIVATION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace srtp {

// Key derivation labels (RFC 3711 §4.3.1, §4.3.2).
namespace kdf_label {
inline constexpr uint8_t kSrtpEncryption = 0x00;
inline constexpr uint8_t kSrtpAuthentication = 0x01;
inline constexpr uint8_t kSrtpSalt = 0x02;
inline constexpr uint8_t kSrtcpEncryption = 0x03;
inline constexpr uint8_t kSrtcpAuthentication = 0x04;
inline constexpr uint8_t kSrtcpSalt = 0x05;
}  // namespace kdf_label

// One derived key of `length` octets. `master_key` is 16, 24 or 32 octets;
// `master_salt` 14, or 12 (padded as described above); `index` is the 48-bit
// SRTP index or the 31-bit SRTCP index; `kdr` is 0 or a power of 2 up to
// 2^24.
absl::StatusOr<SecretBytes> DeriveSessionKey(
    absl::Span<const uint8_t> master_key, absl::Span<const uint8_t> master_salt,
    uint8_t label, uint64_t index, uint32_t kdr, size_t length);

// The keys of one direction-independent context (SRTP or SRTCP). A key the
// suite does not use (NULL cipher's encryption key and salt, AEAD's
// authentication key) is empty.
struct SessionKeys {
  SecretBytes encr_key;
  SecretBytes auth_key;
  SecretBytes salt;
};

struct SrtpSessionKeys {
  SessionKeys srtp;
  SessionKeys srtcp;
};

// Session keys for `suite`; the master key and salt must have the suite's
// lengths.
absl::StatusOr<SessionKeys> DeriveSrtpKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt, uint64_t index = 0,
    uint32_t kdr = 0);
absl::StatusOr<SessionKeys> DeriveSrtcpKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt, uint32_t srtcp_index = 0,
    uint32_t kdr = 0);

// Both, at index 0 (all that is needed when kdr is 0, libsrtp's only mode).
absl::StatusOr<SrtpSessionKeys> DeriveSessionKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt);

}  // namespace srtp
}  // namespace mikey

#endif  // MIKEY_CORE_SRTP_KEY_DERIVATION_H_
