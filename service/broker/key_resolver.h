// Turns a request's KeyReference into key material: a keystore key (by id,
// newest or a given version) or, if the server allows it, an inline key.

#ifndef MIKEY_SERVICE_BROKER_KEY_RESOLVER_H_
#define MIKEY_SERVICE_BROKER_KEY_RESOLVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/bytes/secret_bytes.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/keystore/keystore.h"

namespace mikey {
namespace service {
namespace keybroker {

inline constexpr size_t kMinInlineKeyLength = keystore::kMinKeyLength;
inline constexpr size_t kMaxInlineKeyLength = keystore::kMaxKeyLength;

struct ResolvedKey {
  std::string key_id;    // empty for an inline key
  uint32_t version = 0;  // 0 for an inline key
  // A symmetric key (PSK, DHHMAC); empty for a credential.
  SecretBytes material;
  // An RSA credential (DH, PUBLIC_KEY, RSA_R); null for a symmetric key.
  // Shared with the keystore snapshot it came from.
  std::shared_ptr<const keystore::Credential> credential;
  bool is_inline() const { return key_id.empty(); }
  bool is_credential() const { return credential != nullptr; }
};

class KeyResolver {
 public:
  // `keys` must outlive the resolver.
  KeyResolver(const keystore::KeyStore* keys, bool inline_keys_allowed)
      : keys_(keys), inline_keys_allowed_(inline_keys_allowed) {}

  // Whether `ref` names a key at all.
  static bool IsSet(const broker::v1::KeyReference& ref) {
    return ref.key_case() != broker::v1::KeyReference::KEY_NOT_SET;
  }

  // The key for a new exchange: the newest version, or the pinned one.
  // INVALID_ARGUMENT (naming `field`) for no key, a malformed id, or an
  // inline key the server does not accept or of a bad length; NOT_FOUND
  // for an unknown key id or version.
  absl::StatusOr<ResolvedKey> ForNewExchange(
      const broker::v1::KeyReference& ref, absl::string_view field) const;

  // The keys to try when verifying: every version held, newest first, or
  // just the pinned version (or the inline key). Errors as above.
  absl::StatusOr<std::vector<ResolvedKey>> ForVerification(
      const broker::v1::KeyReference& ref, absl::string_view field) const;

  // One keystore key version exactly (Complete, from a state token);
  // NOT_FOUND when the keystore no longer holds it.
  absl::StatusOr<ResolvedKey> Exact(absl::string_view key_id,
                                    uint32_t version) const;

  bool inline_keys_allowed() const { return inline_keys_allowed_; }

 private:
  absl::StatusOr<ResolvedKey> Inline(const broker::v1::KeyReference& ref,
                                     absl::string_view field) const;
  absl::Status CheckKeyId(const broker::v1::KeyReference& ref,
                          absl::string_view field) const;

  const keystore::KeyStore* keys_;
  const bool inline_keys_allowed_;
};

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_KEY_RESOLVER_H_
