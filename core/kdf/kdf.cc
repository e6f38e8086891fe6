#include "core/kdf/kdf.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/writer.h"
#include "core/kdf/prf.h"

namespace mikey {

std::vector<uint8_t> KdfLabel(uint32_t constant, uint8_t cs_id, uint32_t csb_id,
                              absl::Span<const uint8_t> rand) {
  Writer w;
  w.AddU32(constant);
  w.AddU8(cs_id);
  w.AddU32(csb_id);
  w.AddBytes(rand);
  return std::move(w).Finish();
}

absl::StatusOr<SecretBytes> DeriveKey(HashAlg prf,
                                      absl::Span<const uint8_t> inkey,
                                      uint32_t constant, uint8_t cs_id,
                                      uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len) {
  const std::vector<uint8_t> label = KdfLabel(constant, cs_id, csb_id, rand);
  return MikeyPrf(prf, inkey, label, len);
}

absl::StatusOr<SecretBytes> DeriveTek(HashAlg prf,
                                      absl::Span<const uint8_t> tgk,
                                      uint8_t cs_id, uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len) {
  return DeriveKey(prf, tgk, kdf_constant::kTek, cs_id, csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveSalt(HashAlg prf,
                                       absl::Span<const uint8_t> tgk,
                                       uint8_t cs_id, uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       size_t len) {
  return DeriveKey(prf, tgk, kdf_constant::kTgkSalt, cs_id, csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveTgkAuthKey(HashAlg prf,
                                             absl::Span<const uint8_t> tgk,
                                             uint8_t cs_id, uint32_t csb_id,
                                             absl::Span<const uint8_t> rand,
                                             size_t len) {
  return DeriveKey(prf, tgk, kdf_constant::kTgkAuth, cs_id, csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveTgkEncrKey(HashAlg prf,
                                             absl::Span<const uint8_t> tgk,
                                             uint8_t cs_id, uint32_t csb_id,
                                             absl::Span<const uint8_t> rand,
                                             size_t len) {
  return DeriveKey(prf, tgk, kdf_constant::kTgkEncr, cs_id, csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveKemacEncrKey(HashAlg prf,
                                               absl::Span<const uint8_t> key,
                                               uint32_t csb_id,
                                               absl::Span<const uint8_t> rand,
                                               size_t len) {
  return DeriveKey(prf, key, kdf_constant::kMessageEncr, kMessageKeyCsId,
                   csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveKemacAuthKey(HashAlg prf,
                                               absl::Span<const uint8_t> key,
                                               uint32_t csb_id,
                                               absl::Span<const uint8_t> rand,
                                               size_t len) {
  return DeriveKey(prf, key, kdf_constant::kMessageAuth, kMessageKeyCsId,
                   csb_id, rand, len);
}

absl::StatusOr<SecretBytes> DeriveKemacSalt(HashAlg prf,
                                            absl::Span<const uint8_t> key,
                                            uint32_t csb_id,
                                            absl::Span<const uint8_t> rand,
                                            size_t len) {
  return DeriveKey(prf, key, kdf_constant::kMessageSalt, kMessageKeyCsId,
                   csb_id, rand, len);
}

absl::StatusOr<std::array<uint8_t, 16>> KemacAesCmIv(
    absl::Span<const uint8_t> salt, uint32_t csb_id, uint64_t t) {
  if (salt.size() != kKemacSaltLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEMAC AES-CM IV: salt of ", salt.size(), " octets (expected 14)"));
  }
  // 0x0000 || CSB ID || T: 2 + 4 + 8 = 14 octets, aligned with S.
  Writer w;
  w.AddU16(0);
  w.AddU32(csb_id);
  w.AddU64(t);
  const std::vector<uint8_t>& mask = w.data();
  std::array<uint8_t, 16> iv{};  // The trailing 0x0000 stays zero.
  for (size_t i = 0; i < kKemacSaltLength; ++i) iv[i] = salt[i] ^ mask[i];
  return iv;
}

}  // namespace mikey
