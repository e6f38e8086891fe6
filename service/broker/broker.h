// The key exchange RPCs without the transport: Initiate, Respond, Complete
// and DeriveSessionKeys on protos, with the per-mode work delegated to the
// adapters of a ModeRegistry. service/key_broker_service.cc wraps each in
// the gRPC handler (authentication, deadline, CallGuard::Record).
//
// Stateless: an exchange's second half gets everything it needs from the
// state token (service/state), so any replica sharing the keystore can
// complete any exchange. The only state is the replay cache (per process
// unless BrokerOptions.replay_cache is a shared one, e.g. Redis).

#ifndef MIKEY_SERVICE_BROKER_BROKER_H_
#define MIKEY_SERVICE_BROKER_BROKER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/replay/replay_cache.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/broker_options.h"
#include "service/broker/key_resolver.h"
#include "service/broker/mode_adapter.h"
#include "service/broker/registry.h"
#include "service/broker/thread_random.h"
#include "service/call_guard.h"
#include "service/keystore/keystore.h"
#include "service/state/state_token.h"

namespace mikey {
namespace service {
namespace keybroker {

// Type URL of the RespondError detail attached (as an absl::Status payload)
// to a failed Respond; see rpc_errors.h for how it reaches the client.
inline constexpr char kRespondErrorTypeUrl[] =
    "type.googleapis.com/mikey.broker.v1.RespondError";

// Per-call hooks from the transport.
struct CallContext {
  // Asks the CallGuard whether the caller may use `key_id` ("" for calls
  // that name no keystore key) in this RPC. Required. Each RPC calls it
  // once (Complete: once with "" before opening the state token, then with
  // the token's key id).
  std::function<absl::Status(absl::string_view key_id)> authorize;
  // DEADLINE_EXCEEDED / CANCELLED when the call should stop; checked before
  // heavy work. Optional.
  std::function<absl::Status()> check_deadline;
  // Filled with mode, key, CSB ID and stream count. Optional.
  CallRecord* record = nullptr;
};

// Parts a Broker is built from; null members take defaults (system clock,
// OpenSSL's CSPRNG, an in-memory replay cache of the options' capacity,
// DefaultModeRegistry()).
struct BrokerParts {
  std::unique_ptr<keystore::KeyStore> keys;  // required
  const exchange::Clock* clock = nullptr;
  RandomSource* rng = nullptr;
  replay::ReplayCache* replay_cache = nullptr;
  std::unique_ptr<ModeRegistry> registry;
};

class Broker {
 public:
  // The keystore from options.keystore_dir (failing if it cannot be
  // loaded; then polled) or the demo keystore; defaults for the rest.
  static absl::StatusOr<std::unique_ptr<Broker>> Create(
      const BrokerOptions& options);

  Broker(const BrokerOptions& options, BrokerParts parts);
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  absl::Status Initiate(const broker::v1::InitiateRequest& request,
                        broker::v1::InitiateResponse* response,
                        const CallContext& call);
  // A refused I_MESSAGE with a MIKEY answer carries a RespondError payload
  // (kRespondErrorTypeUrl) on the returned status.
  absl::Status Respond(const broker::v1::RespondRequest& request,
                       broker::v1::RespondResponse* response,
                       const CallContext& call);
  absl::Status Complete(const broker::v1::CompleteRequest& request,
                        broker::v1::CompleteResponse* response,
                        const CallContext& call);
  absl::Status DeriveSessionKeys(
      const broker::v1::DeriveSessionKeysRequest& request,
      broker::v1::DeriveSessionKeysResponse* response, const CallContext& call);

  // Startup lines describing the keystore and state tokens (no trailing
  // newline; never key material), e.g. that demo keys are in use.
  std::string Banner() const;

  // Whether the configuration can serve every RPC: the state key exists and
  // is long enough. FAILED_PRECONDITION saying what to fix otherwise (for
  // a startup warning; Initiate of modes without state works regardless).
  absl::Status CheckStateKey() const;

  const keystore::KeyStore& keystore() const { return *keys_; }
  // The directory keystore (for its reload stats), or null for the demo
  // keystore.
  const keystore::DirectoryKeyStore* directory_keystore() const;
  const BrokerOptions& options() const { return options_; }

 private:
  const BrokerOptions options_;
  std::unique_ptr<keystore::KeyStore> keys_;
  exchange::SystemClock system_clock_;
  PerThreadRandom system_rng_;
  std::unique_ptr<replay::ReplayCache> own_replay_cache_;
  std::unique_ptr<trust::TrustStore> own_trust_;
  std::unique_ptr<ModeRegistry> registry_;
  ExchangeEnv env_;
  KeyResolver resolver_;
  state::StateSealer sealer_;
};

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_BROKER_H_
