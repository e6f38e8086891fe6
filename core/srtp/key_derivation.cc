#include "core/srtp/key_derivation.h"

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/aes.h"

namespace mikey {
namespace srtp {
namespace {

constexpr uint64_t kMaxSrtpIndex = (uint64_t{1} << 48) - 1;

absl::StatusOr<SessionKeys> DeriveKeys(const CryptoSuite& suite,
                                       absl::Span<const uint8_t> master_key,
                                       absl::Span<const uint8_t> master_salt,
                                       uint64_t index, uint32_t kdr,
                                       uint8_t encr_label, uint8_t auth_label,
                                       uint8_t salt_label) {
  if (master_key.size() != suite.master_key_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(suite.name, ": master key of ", master_key.size(),
                     " octets (expected ", suite.master_key_length, ")"));
  }
  if (master_salt.size() != suite.master_salt_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(suite.name, ": master salt of ", master_salt.size(),
                     " octets (expected ", suite.master_salt_length, ")"));
  }
  SessionKeys keys;
  struct Job {
    size_t length;
    uint8_t label;
    SecretBytes* out;
  };
  const Job jobs[] = {
      {suite.session_encr_key_length, encr_label, &keys.encr_key},
      {suite.session_auth_key_length, auth_label, &keys.auth_key},
      {suite.session_salt_length, salt_label, &keys.salt},
  };
  for (const Job& job : jobs) {
    if (job.length == 0) continue;
    absl::StatusOr<SecretBytes> k = DeriveSessionKey(
        master_key, master_salt, job.label, index, kdr, job.length);
    if (!k.ok()) return k.status();
    *job.out = std::move(*k);
  }
  return keys;
}

}  // namespace

absl::StatusOr<SecretBytes> DeriveSessionKey(
    absl::Span<const uint8_t> master_key, absl::Span<const uint8_t> master_salt,
    uint8_t label, uint64_t index, uint32_t kdr, size_t length) {
  if (master_key.size() != 16 && master_key.size() != 24 &&
      master_key.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP KDF: master key of ", master_key.size(),
                     " octets (expected 16, 24 or 32)"));
  }
  if (master_salt.size() != 14 && master_salt.size() != 12) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP KDF: master salt of ", master_salt.size(),
                     " octets (expected 14, or 12 for AEAD)"));
  }
  if (index > kMaxSrtpIndex) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP KDF: index ", index, " exceeds 48 bits"));
  }
  if (kdr != 0 && ((kdr & (kdr - 1)) != 0 || kdr > (1u << 24))) {
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP KDF: key derivation rate ", kdr,
                     " (expected 0 or a power of 2 up to 2^24)"));
  }
  const uint64_t r = kdr == 0 ? 0 : index / kdr;

  // IV = (label || r) XOR salt, right-aligned in 112 bits, then * 2^16.
  // A 12-octet salt occupies iv[0..11] (padded on the right; see header).
  std::array<uint8_t, 16> iv{};
  std::copy(master_salt.begin(), master_salt.end(), iv.begin());
  iv[7] ^= label;
  for (int i = 0; i < 6; ++i) {
    iv[8 + i] ^= static_cast<uint8_t>(r >> (40 - 8 * i));
  }
  absl::StatusOr<SecretBytes> key = AesCmKeystream(master_key, iv, length);
  SecureWipe(iv.data(), iv.size());
  return key;
}

absl::StatusOr<SessionKeys> DeriveSrtpKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt, uint64_t index, uint32_t kdr) {
  return DeriveKeys(suite, master_key, master_salt, index, kdr,
                    kdf_label::kSrtpEncryption, kdf_label::kSrtpAuthentication,
                    kdf_label::kSrtpSalt);
}

absl::StatusOr<SessionKeys> DeriveSrtcpKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt, uint32_t srtcp_index, uint32_t kdr) {
  if (srtcp_index > 0x7FFFFFFFu) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SRTP KDF: SRTCP index ", srtcp_index, " exceeds 31 bits"));
  }
  return DeriveKeys(suite, master_key, master_salt, srtcp_index, kdr,
                    kdf_label::kSrtcpEncryption,
                    kdf_label::kSrtcpAuthentication, kdf_label::kSrtcpSalt);
}

absl::StatusOr<SrtpSessionKeys> DeriveSessionKeys(
    const CryptoSuite& suite, absl::Span<const uint8_t> master_key,
    absl::Span<const uint8_t> master_salt) {
  absl::StatusOr<SessionKeys> rtp =
      DeriveSrtpKeys(suite, master_key, master_salt);
  if (!rtp.ok()) return rtp.status();
  absl::StatusOr<SessionKeys> rtcp =
      DeriveSrtcpKeys(suite, master_key, master_salt);
  if (!rtcp.ok()) return rtcp.status();
  return SrtpSessionKeys{std::move(*rtp), std::move(*rtcp)};
}

}  // namespace srtp
}  // namespace mikey
