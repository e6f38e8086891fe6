#include "core/kdf/prf.h"

#include <algorithm>

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

absl::StatusOr<SecretBytes> MikeyPrf(HashAlg hash,
                                     absl::Span<const uint8_t> inkey,
                                     absl::Span<const uint8_t> label,
                                     size_t outkey_len) {
  if (inkey.empty()) {
    return absl::InvalidArgumentError("PRF: empty inkey");
  }
  if (outkey_len > kMaxPrfOutputLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("PRF: output of ", outkey_len, " octets exceeds ",
                     kMaxPrfOutputLength));
  }
  const size_t in_block = PrfInkeyBlockLength(hash);
  const size_t out_block = PrfOutputBlockLength(hash);
  const size_t m = (outkey_len + out_block - 1) / out_block;

  SecretBytes acc(m * out_block);  // XOR of the P(s_i, label, m).
  SecretBytes a(out_block);        // A_j
  SecretBytes block(out_block);    // HMAC(s, A_j || label)
  for (size_t off = 0; off < inkey.size(); off += in_block) {
    absl::Span<const uint8_t> s =
        inkey.subspan(off, std::min(in_block, inkey.size() - off));
    absl::StatusOr<HmacContext> ctx = HmacContext::Create(hash, s);
    if (!ctx.ok()) return ctx.status();
    // A_1 = HMAC(s, A_0), A_0 = label.
    absl::Status st = ctx->Update(label);
    if (st.ok()) st = ctx->Finish(a.mutable_span());
    for (size_t j = 0; st.ok() && j < m; ++j) {
      st = ctx->Update(a.span());
      if (st.ok()) st = ctx->Update(label);
      if (st.ok()) st = ctx->Finish(block.mutable_span());
      if (!st.ok()) break;
      for (size_t k = 0; k < out_block; ++k) acc[j * out_block + k] ^= block[k];
      if (j + 1 < m) {  // A_{j+1} = HMAC(s, A_j).
        st = ctx->Update(a.span());
        if (st.ok()) st = ctx->Finish(a.mutable_span());
      }
    }
    if (!st.ok()) return st;
  }
  return SecretBytes(acc.span().first(outkey_len));
}

}  // namespace mikey
