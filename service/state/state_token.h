// State tokens: what Complete needs from Initiate, handed to the caller
// sealed, so that mikeyd keeps no per-exchange state and any replica can
// complete any exchange.
//
// A token is sealed with AES-256-GCM under a key derived from a keystore key
// every replica shares (the "state key", one key id with versions): the
// newest version seals, any version the keystore holds opens. Layout (all
// integers big-endian):
//
//   offset  size
//   0       4    magic "MKST"
//   4       1    format, 1
//   5       1    mode (mikey.broker.v1.Mode number)
//   6       4    state key version
//   10      8    expiry, seconds since the Unix epoch
//   18      16   salt (random)
//   34      12   GCM IV (random)
//   46      n+16 AES-256-GCM ciphertext and tag of the payload
//
// The GCM key is HMAC-SHA-256(state key, "mikey-broker state token v1" ||
// salt): a fresh key per token, so the number of tokens one key version may
// seal is not limited by GCM's random-IV bound. The additional authenticated
// data is the 46-octet header followed by the exchange binding, CSB ID (4
// octets) || state key id, so the mode, expiry and key version cannot be
// changed, and a token is only accepted together with a MIKEY message of the
// same exchange (same CSB ID).
//
// Errors (the contract with the RPC handlers):
//   INVALID_ARGUMENT    malformed token; altered; sealed under a state key
//                       version this server does not hold (another
//                       deployment's, or retired); or presented with a
//                       message of another exchange (CSB ID);
//   FAILED_PRECONDITION an authentic token past its expiry; or the server
//                       has no usable state key (configuration).
// Messages never include payload content.

#ifndef MIKEY_SERVICE_STATE_STATE_TOKEN_H_
#define MIKEY_SERVICE_STATE_STATE_TOKEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "service/keystore/keystore.h"

namespace mikey {
namespace service {
namespace state {

// Largest token (and so payload) accepted.
inline constexpr size_t kMaxTokenSize = 64 * 1024;
inline constexpr size_t kHeaderSize = 46;
// Minimum state key length (the HMAC key of the derivation).
inline constexpr size_t kMinStateKeyLength = 32;

// The exchange a token belongs to: the parts of it the peer's message shows.
struct Binding {
  uint8_t mode = 0;
  uint32_t csb_id = 0;
};

struct SealedState {
  std::vector<uint8_t> token;
  absl::Time expires;
  uint32_t key_version = 0;
};

struct OpenedState {
  uint8_t mode = 0;
  uint32_t key_version = 0;
  absl::Time expires;
  // Wiped when this is destroyed.
  SecretBytes payload;
};

class StateSealer {
 public:
  // `keys` must outlive the sealer. `ttl` > 0.
  StateSealer(const keystore::KeyStore* keys, std::string key_id,
              absl::Duration ttl);

  // Seals `payload` for `binding`, valid until `now` + ttl (rounded down to
  // a second).
  absl::StatusOr<SealedState> Seal(const Binding& binding,
                                   absl::Span<const uint8_t> payload,
                                   absl::Time now, RandomSource& rng) const;

  // Opens `token` for the exchange with CSB ID `csb_id`. The mode is read
  // from the (authenticated) header.
  absl::StatusOr<OpenedState> Open(absl::Span<const uint8_t> token,
                                   uint32_t csb_id, absl::Time now) const;

  const std::string& key_id() const { return key_id_; }
  absl::Duration ttl() const { return ttl_; }

 private:
  const keystore::KeyStore* keys_;
  const std::string key_id_;
  const absl::Duration ttl_;
};

}  // namespace state
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_STATE_STATE_TOKEN_H_
