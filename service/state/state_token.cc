#include "service/state/state_token.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/crypto/aes.h"
#include "core/crypto/hmac.h"

namespace mikey {
namespace service {
namespace state {
namespace {

constexpr uint8_t kMagic[4] = {'M', 'K', 'S', 'T'};
constexpr uint8_t kFormat = 1;
constexpr size_t kSaltLength = 16;
constexpr char kKdfLabel[] = "mikey-broker state token v1";

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// The per-token AES-256-GCM key.
absl::StatusOr<SecretBytes> TokenKey(absl::Span<const uint8_t> state_key,
                                     absl::Span<const uint8_t> salt) {
  absl::StatusOr<std::vector<uint8_t>> mac =
      HmacConcat(HashAlg::kSha256, state_key, {AsBytes(kKdfLabel), salt});
  if (!mac.ok()) return mac.status();
  SecretBytes key(mac->size());
  for (size_t i = 0; i < mac->size(); ++i) key[i] = (*mac)[i];
  SecureWipe(mac->data(), mac->size());
  return key;
}

std::vector<uint8_t> Aad(absl::Span<const uint8_t> header, uint32_t csb_id,
                         absl::string_view key_id) {
  Writer w;
  w.AddBytes(header);
  w.AddU32(csb_id);
  w.AddBytes(AsBytes(key_id));
  return std::move(w).Finish();
}

absl::Status CheckStateKey(const keystore::KeyVersion& v,
                           absl::string_view key_id) {
  if (v.material.size() < kMinStateKeyLength) {
    return absl::FailedPreconditionError(
        absl::StrCat("state key '", key_id, "' version ", v.version, ": ",
                     v.material.size(), " octets; state tokens need at least ",
                     kMinStateKeyLength, " (fix the keystore)"));
  }
  return absl::OkStatus();
}

}  // namespace

StateSealer::StateSealer(const keystore::KeyStore* keys, std::string key_id,
                         absl::Duration ttl)
    : keys_(keys), key_id_(std::move(key_id)), ttl_(ttl) {}

absl::StatusOr<SealedState> StateSealer::Seal(const Binding& binding,
                                              absl::Span<const uint8_t> payload,
                                              absl::Time now,
                                              RandomSource& rng) const {
  if (payload.size() > kMaxTokenSize - kHeaderSize - kGcmTagLength) {
    return absl::InternalError(absl::StrCat(
        "state: payload of ", payload.size(), " octets too large"));
  }
  std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
  absl::StatusOr<const keystore::KeyVersion*> key = snapshot->Newest(key_id_);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("state key '", key_id_,
                     "' is not in the keystore: this server cannot hand out "
                     "state tokens (fix the keystore)"));
  }
  if (absl::Status s = CheckStateKey(**key, key_id_); !s.ok()) return s;

  SealedState out;
  out.key_version = (*key)->version;
  const int64_t expiry = absl::ToUnixSeconds(now + ttl_);
  out.expires = absl::FromUnixSeconds(expiry);
  uint8_t salt_and_iv[kSaltLength + kGcmIvLength];
  if (absl::Status s = rng.Fill(absl::MakeSpan(salt_and_iv)); !s.ok()) {
    return s;
  }
  const absl::Span<const uint8_t> salt(salt_and_iv, kSaltLength);
  const absl::Span<const uint8_t> iv(salt_and_iv + kSaltLength, kGcmIvLength);

  Writer header;
  header.AddBytes(kMagic);
  header.AddU8(kFormat);
  header.AddU8(binding.mode);
  header.AddU32(out.key_version);
  header.AddU64(static_cast<uint64_t>(expiry));
  header.AddBytes(salt);
  header.AddBytes(iv);

  absl::StatusOr<SecretBytes> token_key =
      TokenKey((*key)->material.span(), salt);
  if (!token_key.ok()) return token_key.status();
  const std::vector<uint8_t> aad = Aad(header.data(), binding.csb_id, key_id_);
  absl::StatusOr<std::vector<uint8_t>> sealed =
      AesGcmSeal(token_key->span(), iv, aad, payload);
  if (!sealed.ok()) return sealed.status();
  Writer token;
  token.Reserve(header.size() + sealed->size());
  token.AddBytes(header.data());
  token.AddBytes(*sealed);
  out.token = std::move(token).Finish();
  return out;
}

absl::StatusOr<OpenedState> StateSealer::Open(absl::Span<const uint8_t> token,
                                              uint32_t csb_id,
                                              absl::Time now) const {
  if (token.empty()) {
    return absl::InvalidArgumentError("state: empty");
  }
  if (token.size() > kMaxTokenSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("state: ", token.size(), " octets, more than the ",
                     kMaxTokenSize, " a state token can have"));
  }
  if (token.size() < kHeaderSize + kGcmTagLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("state: ", token.size(),
                     " octets, too short to be a state token (at least ",
                     kHeaderSize + kGcmTagLength, ")"));
  }
  Reader r(token, 0, "state token");
  absl::Span<const uint8_t> magic;
  uint8_t format = 0;
  OpenedState out;
  uint64_t expiry = 0;
  absl::Span<const uint8_t> salt, iv;
  if (absl::Status s = r.ReadBytes("magic", 4, &magic); !s.ok()) return s;
  if (magic != absl::MakeConstSpan(kMagic)) {
    return absl::InvalidArgumentError(
        "state: not a state token (bad magic at offset 0; pass the `state` "
        "field of an InitiateResponse unchanged)");
  }
  if (absl::Status s = r.ReadU8("format", &format); !s.ok()) return s;
  if (format != kFormat) {
    return absl::InvalidArgumentError(absl::StrCat("state: token format ",
                                                   format,
                                                   " at offset 4 (this "
                                                   "server reads format ",
                                                   kFormat, ")"));
  }
  if (absl::Status s = r.ReadU8("mode", &out.mode); !s.ok()) return s;
  if (absl::Status s = r.ReadU32("key version", &out.key_version); !s.ok()) {
    return s;
  }
  if (absl::Status s = r.ReadU64("expiry", &expiry); !s.ok()) return s;
  if (absl::Status s = r.ReadBytes("salt", kSaltLength, &salt); !s.ok()) {
    return s;
  }
  if (absl::Status s = r.ReadBytes("IV", kGcmIvLength, &iv); !s.ok()) return s;
  const absl::Span<const uint8_t> sealed = r.ReadRest();
  const absl::Span<const uint8_t> header = token.subspan(0, kHeaderSize);

  std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
  if (snapshot->Find(key_id_) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("state key '", key_id_,
                     "' is not in the keystore: this server cannot open "
                     "state tokens (fix the keystore)"));
  }
  absl::StatusOr<const keystore::KeyVersion*> key =
      snapshot->Get(key_id_, out.key_version);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "state: sealed under state key '", key_id_, "' version ",
        out.key_version,
        ", which this server does not hold (a token of another deployment, "
        "or of a retired key version)"));
  }
  if (absl::Status s = CheckStateKey(**key, key_id_); !s.ok()) return s;
  absl::StatusOr<SecretBytes> token_key =
      TokenKey((*key)->material.span(), salt);
  if (!token_key.ok()) return token_key.status();
  const std::vector<uint8_t> aad = Aad(header, csb_id, key_id_);
  absl::StatusOr<SecretBytes> payload =
      AesGcmOpen(token_key->span(), iv, aad, sealed);
  if (!payload.ok()) {
    return absl::InvalidArgumentError(
        "state: does not authenticate: altered, or belongs to another "
        "exchange (the MIKEY message's CSB ID must be the one of the "
        "I_MESSAGE this state came with)");
  }
  // Authentic: now the expiry can be believed.
  if (expiry > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("state: expiry out of range");
  }
  out.expires = absl::FromUnixSeconds(static_cast<int64_t>(expiry));
  if (now >= out.expires) {
    return absl::FailedPreconditionError(
        absl::StrCat("state: expired at ",
                     absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", out.expires,
                                      absl::UTCTimeZone()),
                     " (", absl::ToInt64Seconds(now - out.expires),
                     " s ago): start a new exchange"));
  }
  out.payload = *std::move(payload);
  return out;
}

}  // namespace state
}  // namespace service
}  // namespace mikey
