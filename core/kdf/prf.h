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
// RFC 3830 fixes 256 and 160 bits for MIKEY-1 (HMAC-SHA-1) and explains them
// as half the hash's input block and its output size. RFC 6043 §6.1 defines
// PRF-HMAC-SHA-256 (PRF func 1) as the same PRF over HMAC-SHA-256; following
// that rule its blocks are 256 bits in (half of SHA-256's 512-bit block) and
// 256 bits out. SHA-384/512 likewise get 512-bit input and 384/512-bit
// output blocks. For inkeys up to 32 octets (every TGK, GMK and PSK in
// practice) the input block size makes no difference.

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

// The hash behind a common-header PRF func value: 0 MIKEY-1 (HMAC-SHA-1),
// 1 PRF-HMAC-SHA-256 (RFC 6043), 2 and 3 HMAC-SHA-384/512 (MIKEY-384/512 as
// numbered by deployed MIKEY-SAKKE code). Others are INVALID_ARGUMENT.
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
