// What mikeyd's main (or a test) decides about the key exchange RPCs. Plain
// values, filled from the configuration (service/config.h ServerConfig);
// Broker::Create turns them into a running broker.

#ifndef MIKEY_SERVICE_BROKER_BROKER_OPTIONS_H_
#define MIKEY_SERVICE_BROKER_BROKER_OPTIONS_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "core/exchange/psk.h"
#include "core/replay/replay_cache.h"
#include "service/keystore/keystore.h"
#include "service/trust/trust_store.h"

namespace mikey {
namespace service {
namespace keybroker {

struct BrokerOptions {
  // Directory of key files (service/keystore/keystore.h describes the
  // layout: <key_id>.v<N> holding hex, a Kubernetes Secret volume works
  // as is). Empty: a demo keystore generated in memory at start, holding
  // `demo_key_id` and `state_key_id` (32 random octets each, version 1).
  std::string keystore_dir;
  // How often the directory is checked for changes (0: never).
  absl::Duration keystore_reload_interval = absl::Seconds(30);
  // Called after each reload attempt of the directory (from the polling
  // thread), e.g. to count reloads in metrics. Broker::Create also logs
  // each attempt to stderr.
  std::function<void(const keystore::ReloadEvent&)> on_keystore_reload;

  // The keystore key that seals state tokens (at least 32 octets; all
  // replicas must share it). Its newest version seals, any version held
  // opens.
  std::string state_key_id = "state-key";
  // How long a state token (Initiate -> Complete) stays valid.
  absl::Duration state_ttl = absl::Minutes(5);

  // Whether requests may carry keys (KeyReference.inline_key) instead of
  // naming keystore keys.
  bool inline_keys_allowed = false;

  // Largest accepted difference between a MIKEY timestamp and this server's
  // clock (RFC 3830 section 5.4), for I_MESSAGEs and R_MESSAGEs.
  absl::Duration replay_max_skew = exchange::kDefaultMaxClockSkew;
  // Entries of the in-memory replay cache: size it as peak accepted
  // I_MESSAGEs per second x 2 x replay_max_skew. It is per process: with
  // several replicas, a message replayed to another replica is not caught;
  // pass a shared cache as replay_cache instead (mikeyd: replay.backend
  // "redis").
  size_t replay_cache_capacity = 1 << 20;
  // A replay cache to use instead of the in-memory one (e.g. one shared by
  // all replicas, service/replay). Not owned; must outlive the broker.
  replay::ReplayCache* replay_cache = nullptr;

  // Trust for peers' certificates in the public-key modes (DH, PUBLIC_KEY,
  // RSA_R). Not owned; must outlive the broker. Null: nothing is trusted
  // (every peer certificate is refused).
  const trust::TrustStore* trust = nullptr;

  // Demo keystore only: the id of the generated pre-shared key.
  std::string demo_key_id = "demo-psk";
};

// The embedded default: demo keystore in memory, inline keys allowed.
inline BrokerOptions DefaultBrokerOptions() {
  BrokerOptions options;
  options.inline_keys_allowed = true;
  return options;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_BROKER_OPTIONS_H_
