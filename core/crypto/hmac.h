// HMAC (RFC 2104) over SHA-1 and SHA-2, on the low-level SHA functions that
// OpenSSL 3 and BoringSSL both provide (see hmac.cc for why not HMAC_CTX).
//
// MIKEY MACs cover a message assembled from pieces (RFC 3830 §5.2: the
// message up to the MAC field, then for V payloads the initiator's
// timestamp), so besides one-shot Hmac() there is an incremental
// HmacContext and HmacConcat() over several spans.

#ifndef MIKEY_CORE_CRYPTO_HMAC_H_
#define MIKEY_CORE_CRYPTO_HMAC_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {

struct HmacKeyedState;  // hmac.cc

enum class HashAlg { kSha1, kSha256, kSha384, kSha512 };

// Output length of the hash in octets: 20, 32, 48, 64.
size_t DigestLength(HashAlg alg);
// Input block length of the hash in octets: 64 (SHA-1/256), 128 (SHA-384/512).
size_t HashBlockLength(HashAlg alg);
// "SHA-1", "SHA-256", ... for messages.
absl::string_view HashAlgName(HashAlg alg);

inline constexpr size_t kMaxDigestLength = 64;

// Incremental HMAC. Finish() resets the context to its key, so one context
// computes many MACs under the same key (the MIKEY PRF does exactly that).
// The key's padded blocks are hashed once per key: restarting after Finish()
// copies the keyed inner state, and Rekey() reuses the context's one
// allocation (wiped when freed) for another key.
class HmacContext {
 public:
  static absl::StatusOr<HmacContext> Create(HashAlg alg,
                                            absl::Span<const uint8_t> key);

  HmacContext(HmacContext&& other) noexcept;
  HmacContext& operator=(HmacContext&& other) noexcept;
  HmacContext(const HmacContext&) = delete;
  HmacContext& operator=(const HmacContext&) = delete;
  ~HmacContext();

  HashAlg alg() const { return alg_; }
  size_t digest_length() const { return DigestLength(alg_); }

  absl::Status Update(absl::Span<const uint8_t> data);
  // Writes the MAC to `out`, which must be exactly digest_length() octets,
  // then restarts the context with the same key.
  absl::Status Finish(absl::Span<uint8_t> out);
  absl::StatusOr<std::vector<uint8_t>> Finish();

  // Starts over with another key (same hash), dropping any data fed so far.
  absl::Status Rekey(absl::Span<const uint8_t> key);

 private:
  HmacContext(HashAlg alg, HmacKeyedState* state) : alg_(alg), state_(state) {}

  HashAlg alg_;
  HmacKeyedState* state_;  // Owned; keyed hash states, wiped when freed.
};

// One-shot HMAC of `data`.
absl::StatusOr<std::vector<uint8_t>> Hmac(HashAlg alg,
                                          absl::Span<const uint8_t> key,
                                          absl::Span<const uint8_t> data);

// HMAC of the concatenation of `pieces`, without building it.
absl::StatusOr<std::vector<uint8_t>> HmacConcat(
    HashAlg alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> pieces);

// Checks `mac` against the HMAC of the concatenation of `pieces` in constant
// time. `mac` may be a truncation (RFC 2104 §5) of at least 4 octets (SRTP's
// 32-bit tags); it is compared with the leading octets of the full HMAC.
// A mismatch is INVALID_ARGUMENT "MAC mismatch"; a malformed `mac` length is
// INVALID_ARGUMENT naming the length.
absl::Status VerifyHmac(HashAlg alg, absl::Span<const uint8_t> key,
                        std::initializer_list<absl::Span<const uint8_t>> pieces,
                        absl::Span<const uint8_t> mac);

}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_HMAC_H_
