#include "core/kdf/kdf.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/kdf/prf.h"

namespace mikey {

namespace {

// A label on the stack for the usual RAND lengths (16 to 55 octets).
using LabelBuffer = absl::InlinedVector<uint8_t, 64>;

void WriteLabel(uint32_t constant, uint8_t cs_id, uint32_t csb_id,
                absl::Span<const uint8_t> rand, LabelBuffer* label) {
  label->resize(9 + rand.size());
  uint8_t* p = label->data();
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(constant >> (24 - 8 * i));
  p[4] = cs_id;
  for (int i = 0; i < 4; ++i)
    p[5 + i] = static_cast<uint8_t>(csb_id >> (24 - 8 * i));
  std::copy(rand.begin(), rand.end(), p + 9);
}

}  // namespace

std::vector<uint8_t> KdfLabel(uint32_t constant, uint8_t cs_id, uint32_t csb_id,
                              absl::Span<const uint8_t> rand) {
  LabelBuffer label;
  WriteLabel(constant, cs_id, csb_id, rand, &label);
  return std::vector<uint8_t>(label.begin(), label.end());
}

absl::StatusOr<SecretBytes> DeriveKey(HashAlg prf,
                                      absl::Span<const uint8_t> inkey,
                                      uint32_t constant, uint8_t cs_id,
                                      uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len) {
  LabelBuffer label;
  WriteLabel(constant, cs_id, csb_id, rand, &label);
  return MikeyPrf(prf, inkey, label, len);
}

absl::StatusOr<SecretBytes> DeriveKey(MikeyPrfKey& prf, uint32_t constant,
                                      uint8_t cs_id, uint32_t csb_id,
                                      absl::Span<const uint8_t> rand,
                                      size_t len) {
  LabelBuffer label;
  WriteLabel(constant, cs_id, csb_id, rand, &label);
  return prf.Derive(label, len);
}

absl::Status DeriveKeyInto(MikeyPrfKey& prf, uint32_t constant, uint8_t cs_id,
                           uint32_t csb_id, absl::Span<const uint8_t> rand,
                           absl::Span<uint8_t> out) {
  LabelBuffer label;
  WriteLabel(constant, cs_id, csb_id, rand, &label);
  return prf.Derive(label, out);
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
  uint8_t mask[kKemacSaltLength] = {};
  for (int i = 0; i < 4; ++i) {
    mask[2 + i] = static_cast<uint8_t>(csb_id >> (24 - 8 * i));
  }
  for (int i = 0; i < 8; ++i) {
    mask[6 + i] = static_cast<uint8_t>(t >> (56 - 8 * i));
  }
  std::array<uint8_t, 16> iv{};  // The trailing 0x0000 stays zero.
  for (size_t i = 0; i < kKemacSaltLength; ++i) iv[i] = salt[i] ^ mask[i];
  return iv;
}

}  // namespace mikey
