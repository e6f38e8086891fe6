// One MIKEY mode behind the exchange RPCs. Each mode is one adapter (one
// file, psk_adapter.cc, null_adapter.cc, ...) registered in registry.cc; the
// Broker does everything mode-independent around it: request validation,
// key lookup and authorization, sealing and opening state tokens, SDP, and
// building the responses.
//
// Adapters speak core's types (core/exchange), never protos for their
// results, and hold no state between calls: what Complete needs, Initiate
// returns as `state` bytes, which the Broker seals into the token (with the
// key reference) and hands back to Complete opened.

#ifndef MIKEY_SERVICE_BROKER_MODE_ADAPTER_H_
#define MIKEY_SERVICE_BROKER_MODE_ADAPTER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/types.h"
#include "core/replay/replay_cache.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/convert.h"
#include "service/broker/key_resolver.h"
#include "service/trust/trust_store.h"

namespace mikey {
namespace service {
namespace keybroker {

// What adapters may use. Shared by concurrent calls: all of it is
// thread-safe.
struct ExchangeEnv {
  const exchange::Clock* clock = nullptr;
  RandomSource* rng = nullptr;
  replay::ReplayCache* replay_cache = nullptr;
  absl::Duration max_clock_skew;
  // Trust for peers' certificates (public-key modes). Never null.
  const trust::TrustStore* trust = nullptr;
};

// Initiate's request, with the mode-independent parts already checked.
struct InitiateParams {
  const broker::v1::InitiateRequest* request = nullptr;
  std::vector<StreamParams> streams;  // 1 to 255
  uint8_t prf_func = 0;               // wire value
  // The key, when the adapter's traits say it uses one.
  const ResolvedKey* key = nullptr;
};

struct Initiation {
  Bytes i_message;
  uint32_t csb_id = 0;
  // The keys, when the Initiator knows them now.
  std::optional<exchange::KeyResult> keys;
  // Set when the exchange has a second half: what Complete will need.
  std::optional<SecretBytes> state;
};

// The Responder's side. `status` OK: `keys` set, `reply` the R_MESSAGE (may
// be empty). Not OK: `reply`, if not empty, is the MIKEY Error message for
// the peer.
struct Response {
  absl::Status status;
  broker::v1::Mode mode = broker::v1::MODE_UNSPECIFIED;
  std::optional<exchange::KeyResult> keys;
  Bytes reply;
  std::optional<uint8_t> error_no;
  // The key that verified the message (or was tried last); null if none.
  const ResolvedKey* key = nullptr;
};

struct RespondParams {
  const broker::v1::RespondRequest* request = nullptr;
  // Keys to try, newest first (empty when the request named none).
  const std::vector<ResolvedKey>* keys = nullptr;
  std::vector<const srtp::CryptoSuite*> allowed_suites;
};

class ModeAdapter {
 public:
  struct Traits {
    broker::v1::Mode mode = broker::v1::MODE_UNSPECIFIED;
    // Initiate needs InitiateRequest.key.
    bool initiate_needs_key = false;
    // What InitiateRequest.key and RespondRequest.key must name: a
    // symmetric key (PSK, DHHMAC) or an RSA credential of the keystore (the
    // public-key modes; inline keys are refused). The Broker checks it.
    enum class KeyKind { kSymmetric, kCredential };
    KeyKind key_kind = KeyKind::kSymmetric;
    // Initiate reads InitiateRequest.peer_certificate.
    bool uses_peer_certificate = false;
    // I_MESSAGE data types whose Respond this adapter handles (a data type
    // may belong to one adapter only).
    std::vector<uint8_t> i_message_data_types;
  };

  virtual ~ModeAdapter() = default;

  virtual const Traits& traits() const = 0;

  virtual absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                              const ExchangeEnv& env) const = 0;

  // Called only for the data types in traits(). Default: UNIMPLEMENTED.
  virtual Response Respond(absl::Span<const uint8_t> i_message,
                           const RespondParams& params,
                           const ExchangeEnv& env) const;

  // Checks the peer's answer against the exchange's state (as Initiate
  // returned it) and returns the Initiator's keys. `key` is the key
  // Initiate used (null if none). Default: UNIMPLEMENTED.
  virtual absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const;
};

// Runs `attempt` with each of `keys` (newest first) until one verifies the
// message: returns the first response that is OK or failed for a reason other
// than a MAC mismatch (ERR "Auth failure", which another key version may
// fix), else the newest key's failure. `keys` must not be empty.
Response TryEachKey(const std::vector<ResolvedKey>& keys,
                    const std::function<Response(const ResolvedKey&)>& attempt);

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_MODE_ADAPTER_H_
