// The MIKEY PRF (RFC 3830 §4.1.2), parameterised by hash.
//
//   inkey = s_1 || ... || s_n, blocks of `inkey_block` octets, the last
//           possibly shorter;
//   A_0 = label, A_i = HMAC(s, A_{i-1});
//   P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label);
//   PRF(inkey, label) = the first outkey_len octets of
//                       P(s_1, label, m) XOR ... XOR P(s_n, label, m),
//   m = ceil(outkey_len / output block).
//
// RFC 3830 §4.1.2: "let n = inkey_len / 256, rounded up ... split the inkey
// into n blocks, inkey = s_1 || ... || s_n, where all s_i, except possibly
// s_n, are 256 bits each ... let m = outkey_len / 160, rounded up" ("The
// values "256" and "160" equals half the input block-size and full output
// hash size, respectively, of the SHA-1 hash"). RFC 6043 §6.1 (Table 6.3,
// PRF func 1): "The new PRF SHALL be constructed as described in Section
// 4.1.2 of [RFC3830] with the differences that HMAC-SHA-256 ... SHALL be used
// instead of HMAC-SHA-1 and the value 256 SHALL be used instead of 160": the
// input blocks stay 256 bits (also half of SHA-256's 512-bit block), the
// output blocks become 256 bits. Inkeys longer than 32 octets (64-octet
// envelope keys, 96- to 192-octet DH secrets) are therefore split into
// 32-octet blocks for both, the last one possibly shorter (and never empty).
// PRF funcs 2 and 3 (HMAC-SHA-384/512) are defined by neither RFC 3830 (only
// 0, MIKEY-1) nor RFC 6043 (1); this file extends the rule as half the
// block / full output (512 / 384 or 512 bits) for callers that need them.
// The exchange modes accept only 0 and 1 (exchange_internal::SupportedPrf).

#ifndef MIKEY_CORE_KDF_PRF_H_
#define MIKEY_CORE_KDF_PRF_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"

namespace mikey {

// Block sizes, in octets, of the PRF over `hash`.
size_t PrfInkeyBlockLength(HashAlg hash);   // HashBlockLength / 2
size_t PrfOutputBlockLength(HashAlg hash);  // DigestLength

// Upper bound on outkey_len: keys are at most a few dozen octets, and the
// length may come from the wire.
inline constexpr size_t kMaxPrfOutputLength = 1024;

// The hash behind a common-header PRF func value: 0 MIKEY-1 (HMAC-SHA-1,
// RFC 3830 Table 6.1.c), 1 PRF-HMAC-SHA-256 (RFC 6043 Table 6.3), 2 and 3
// HMAC-SHA-384/512 (not in RFC 3830 / RFC 6043: numbered as deployed
// MIKEY-SAKKE code does). Others are INVALID_ARGUMENT.
absl::StatusOr<HashAlg> PrfHashFromFunc(uint8_t prf_func);

// PRF(inkey, label) truncated to outkey_len octets. An empty inkey is
// INVALID_ARGUMENT (it would XOR nothing and yield zeros); so is an
// outkey_len above kMaxPrfOutputLength.
absl::StatusOr<SecretBytes> MikeyPrf(HashAlg hash,
                                     absl::Span<const uint8_t> inkey,
                                     absl::Span<const uint8_t> label,
                                     size_t outkey_len);

// The PRF keyed with one inkey, for deriving several keys from it (RFC 3830
// derives 2 or 3 keys per inkey, with different labels): the HMAC key of
// each inkey block is set up once, not once per key, and Derive() into a
// span allocates nothing itself. Derive(label, n) == MikeyPrf(hash, inkey,
// label, n).
class MikeyPrfKey {
 public:
  // An empty inkey is INVALID_ARGUMENT, as for MikeyPrf.
  static absl::StatusOr<MikeyPrfKey> Create(HashAlg hash,
                                            absl::Span<const uint8_t> inkey);

  HashAlg hash() const { return hash_; }

  // PRF(inkey, label) truncated to out.size() octets (at most
  // kMaxPrfOutputLength), written to `out`; on failure `out` is zeroed.
  absl::Status Derive(absl::Span<const uint8_t> label, absl::Span<uint8_t> out);
  absl::StatusOr<SecretBytes> Derive(absl::Span<const uint8_t> label,
                                     size_t outkey_len);

 private:
  MikeyPrfKey(HashAlg hash, std::vector<HmacContext> blocks)
      : hash_(hash), blocks_(std::move(blocks)) {}

  HashAlg hash_;
  // One keyed HMAC per inkey block s_i (one for inkeys up to 32 octets).
  std::vector<HmacContext> blocks_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_KDF_PRF_H_
