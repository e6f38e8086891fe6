#include "service/broker/key_resolver.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace mikey {
namespace service {
namespace keybroker {

namespace pb = ::mikey::broker::v1;

namespace {

ResolvedKey FromVersion(absl::string_view id, const keystore::KeyVersion& v) {
  ResolvedKey out;
  out.key_id = std::string(id);
  out.version = v.version;
  out.material = v.material;
  out.credential = v.credential;
  return out;
}

}  // namespace

absl::Status KeyResolver::CheckKeyId(const pb::KeyReference& ref,
                                     absl::string_view field) const {
  if (!keystore::IsValidKeyId(ref.key_id())) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".key_id: not a key id (1 to ", keystore::kMaxKeyIdLength,
        " characters of [A-Za-z0-9._-], not starting with '.')"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedKey> KeyResolver::Inline(const pb::KeyReference& ref,
                                                absl::string_view field) const {
  if (!inline_keys_allowed_) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ".inline_key: this server does not accept inline keys; name a "
        "keystore key with ",
        field, ".key_id"));
  }
  if (ref.version() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".version: only meaningful with ", field,
                     ".key_id, not with an inline key"));
  }
  const std::string& key = ref.inline_key();
  if (key.size() < kMinInlineKeyLength || key.size() > kMaxInlineKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".inline_key: ", key.size(), " octets (expected ",
                     kMinInlineKeyLength, " to ", kMaxInlineKeyLength, ")"));
  }
  ResolvedKey out;
  out.material = SecretBytes(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  return out;
}

absl::StatusOr<ResolvedKey> KeyResolver::ForNewExchange(
    const pb::KeyReference& ref, absl::string_view field) const {
  switch (ref.key_case()) {
    case pb::KeyReference::kInlineKey:
      return Inline(ref, field);
    case pb::KeyReference::kKeyId: {
      if (absl::Status s = CheckKeyId(ref, field); !s.ok()) return s;
      std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
      absl::StatusOr<const keystore::KeyVersion*> v =
          ref.version() == 0 ? snapshot->Newest(ref.key_id())
                             : snapshot->Get(ref.key_id(), ref.version());
      if (!v.ok()) return v.status();
      return FromVersion(ref.key_id(), **v);
    }
    case pb::KeyReference::KEY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": required (", field, ".key_id or ", field, ".inline_key)"));
}

absl::StatusOr<std::vector<ResolvedKey>> KeyResolver::ForVerification(
    const pb::KeyReference& ref, absl::string_view field) const {
  std::vector<ResolvedKey> out;
  if (ref.key_case() == pb::KeyReference::kKeyId && ref.version() == 0) {
    if (absl::Status s = CheckKeyId(ref, field); !s.ok()) return s;
    std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
    const keystore::Key* key = snapshot->Find(ref.key_id());
    if (key == nullptr || key->versions.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "key_id '", ref.key_id(), "': no such key in the keystore"));
    }
    for (const keystore::KeyVersion& v : key->versions) {
      out.push_back(FromVersion(ref.key_id(), v));
    }
    return out;
  }
  absl::StatusOr<ResolvedKey> one = ForNewExchange(ref, field);
  if (!one.ok()) return one.status();
  out.push_back(*std::move(one));
  return out;
}

absl::StatusOr<ResolvedKey> KeyResolver::Exact(absl::string_view key_id,
                                               uint32_t version) const {
  std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
  absl::StatusOr<const keystore::KeyVersion*> v =
      snapshot->Get(key_id, version);
  if (!v.ok()) return v.status();
  return FromVersion(key_id, **v);
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
