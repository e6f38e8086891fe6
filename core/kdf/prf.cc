#include "core/kdf/prf.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mikey {

size_t PrfInkeyBlockLength(HashAlg hash) { return HashBlockLength(hash) / 2; }

size_t PrfOutputBlockLength(HashAlg hash) { return DigestLength(hash); }

absl::StatusOr<HashAlg> PrfHashFromFunc(uint8_t prf_func) {
  switch (prf_func) {
    case 0:
      return HashAlg::kSha1;
    case 1:
      return HashAlg::kSha256;
    case 2:
      return HashAlg::kSha384;
    case 3:
      return HashAlg::kSha512;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("common header: PRF func ", prf_func, " is unknown"));
  }
}

absl::StatusOr<MikeyPrfKey> MikeyPrfKey::Create(
    HashAlg hash, absl::Span<const uint8_t> inkey) {
  if (inkey.empty()) {
    return absl::InvalidArgumentError("PRF: empty inkey");
  }
  const size_t in_block = PrfInkeyBlockLength(hash);
  std::vector<HmacContext> blocks;
  blocks.reserve((inkey.size() + in_block - 1) / in_block);
  for (size_t off = 0; off < inkey.size(); off += in_block) {
    absl::StatusOr<HmacContext> ctx = HmacContext::Create(
        hash, inkey.subspan(off, std::min(in_block, inkey.size() - off)));
    if (!ctx.ok()) return ctx.status();
    blocks.push_back(*std::move(ctx));
  }
  return MikeyPrfKey(hash, std::move(blocks));
}

absl::Status MikeyPrfKey::Derive(absl::Span<const uint8_t> label,
                                 absl::Span<uint8_t> out) {
  const size_t outkey_len = out.size();
  if (outkey_len > kMaxPrfOutputLength) {
    SecureWipe(out.data(), out.size());
    return absl::InvalidArgumentError(
        absl::StrCat("PRF: output of ", outkey_len, " octets exceeds ",
                     kMaxPrfOutputLength));
  }
  const size_t out_block = PrfOutputBlockLength(hash_);
  const size_t m = (outkey_len + out_block - 1) / out_block;
  std::fill(out.begin(), out.end(), 0);  // the XOR of the P(s_i, label, m)
  uint8_t a_buf[kMaxDigestLength];       // A_j
  uint8_t block_buf[kMaxDigestLength];   // HMAC(s, A_j || label)
  const absl::Span<uint8_t> a(a_buf, out_block);
  const absl::Span<uint8_t> block(block_buf, out_block);
  absl::Status st;
  for (HmacContext& ctx : blocks_) {
    // A_1 = HMAC(s, A_0), A_0 = label.
    st = ctx.Update(label);
    if (st.ok()) st = ctx.Finish(a);
    for (size_t j = 0; st.ok() && j < m; ++j) {
      st = ctx.Update(a);
      if (st.ok()) st = ctx.Update(label);
      if (st.ok()) st = ctx.Finish(block);
      if (!st.ok()) break;
      // Only the octets that fall inside the output (the last block may be
      // truncated).
      const size_t n = std::min(out_block, outkey_len - j * out_block);
      uint8_t* o = out.data() + j * out_block;
      for (size_t k = 0; k < n; ++k) o[k] ^= block_buf[k];
      if (j + 1 < m) {  // A_{j+1} = HMAC(s, A_j).
        st = ctx.Update(a);
        if (st.ok()) st = ctx.Finish(a);
      }
    }
    if (!st.ok()) break;
  }
  SecureWipe(a_buf, sizeof(a_buf));
  SecureWipe(block_buf, sizeof(block_buf));
  if (!st.ok()) SecureWipe(out.data(), out.size());
  return st;
}

absl::StatusOr<SecretBytes> MikeyPrfKey::Derive(absl::Span<const uint8_t> label,
                                                size_t outkey_len) {
  if (outkey_len > kMaxPrfOutputLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("PRF: output of ", outkey_len, " octets exceeds ",
                     kMaxPrfOutputLength));
  }
  SecretBytes out(outkey_len);
  if (absl::Status s = Derive(label, out.mutable_span()); !s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> MikeyPrf(HashAlg hash,
                                     absl::Span<const uint8_t> inkey,
                                     absl::Span<const uint8_t> label,
                                     size_t outkey_len) {
  absl::StatusOr<MikeyPrfKey> key = MikeyPrfKey::Create(hash, inkey);
  if (!key.ok()) return key.status();
  return key->Derive(label, outkey_len);
}

}  // namespace mikey
