// AES modes MIKEY and SRTP need, on the EVP/AES API that OpenSSL 3 and
// BoringSSL share:
//   - AES-CM: AES in counter mode with a full 128-bit counter block
//     (RFC 3711 §4.1.1; MIKEY KEMAC encryption, RFC 3830 §4.2.3);
//   - AES-KW: the AES key wrap of RFC 3394 (MIKEY KEMAC encr alg 2);
//   - AES-GCM with a 96-bit IV and 128-bit tag (RFC 7714 SRTP, state tokens).
//
// Keys are 16, 24 or 32 octets (AES-128/192/256). Anything decrypted may be
// key material and comes back as SecretBytes.

#ifndef MIKEY_CORE_CRYPTO_AES_H_
#define MIKEY_CORE_CRYPTO_AES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"

namespace mikey {

inline constexpr size_t kAesBlockLength = 16;

// ---------------------------------------------------------------------------
// AES-CM. The keystream is E(k, IV) || E(k, IV + 1 mod 2^128) || ...; it is
// XORed onto `in`. Encryption and decryption are the same operation.

// Writes in XOR keystream to `out` (out.size() == in.size(); `out` may be the
// same buffer as `in`, but must not otherwise overlap it).
absl::Status AesCmXor(absl::Span<const uint8_t> key,
                      absl::Span<const uint8_t> iv,
                      absl::Span<const uint8_t> in, absl::Span<uint8_t> out);

absl::StatusOr<std::vector<uint8_t>> AesCmEncrypt(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> plaintext);

absl::StatusOr<SecretBytes> AesCmDecrypt(absl::Span<const uint8_t> key,
                                         absl::Span<const uint8_t> iv,
                                         absl::Span<const uint8_t> ciphertext);

// The first `length` octets of keystream (the SRTP AES-CM PRF, RFC 3711
// §4.3.3, is exactly this).
absl::StatusOr<SecretBytes> AesCmKeystream(absl::Span<const uint8_t> key,
                                           absl::Span<const uint8_t> iv,
                                           size_t length);

// ---------------------------------------------------------------------------
// AES-KW (RFC 3394). The initial value is the default A6A6A6A6A6A6A6A6
// (RFC 3394 §2.2.3.1) unless an 8-octet `iv` is given (MIKEY sets it to a
// derived salt, RFC 3830 §4.2.3).

inline constexpr size_t kAesKwIvLength = 8;

// `key_data` must be a multiple of 8 octets, at least 16. Output is 8 octets
// longer. `iv`, when not empty, must be 8 octets.
absl::StatusOr<std::vector<uint8_t>> AesKwWrap(
    absl::Span<const uint8_t> kek, absl::Span<const uint8_t> key_data,
    absl::Span<const uint8_t> iv = {});

// `wrapped` must be a multiple of 8 octets, at least 24. A failed integrity
// check (including an initial value other than `iv` / the default) is
// INVALID_ARGUMENT and releases no plaintext.
absl::StatusOr<SecretBytes> AesKwUnwrap(absl::Span<const uint8_t> kek,
                                        absl::Span<const uint8_t> wrapped,
                                        absl::Span<const uint8_t> iv = {});

// ---------------------------------------------------------------------------
// AES-GCM, 12-octet IV, 16-octet tag.

inline constexpr size_t kGcmIvLength = 12;
inline constexpr size_t kGcmTagLength = 16;

// Returns ciphertext || tag.
absl::StatusOr<std::vector<uint8_t>> AesGcmSeal(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> aad, absl::Span<const uint8_t> plaintext);

// Opens ciphertext || tag. A wrong tag is INVALID_ARGUMENT "AES-GCM:
// authentication failed" and releases no plaintext.
absl::StatusOr<SecretBytes> AesGcmOpen(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> aad,
    absl::Span<const uint8_t> ciphertext_and_tag);

}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_AES_H_
