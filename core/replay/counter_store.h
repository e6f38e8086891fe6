// Per-peer state for COUNTER timestamps (RFC 3830 §6.6, TS type 2): the
// Responder accepts a message only if its counter is larger than the last
// one accepted from the same peer.

#ifndef MIKEY_CORE_REPLAY_COUNTER_STORE_H_
#define MIKEY_CORE_REPLAY_COUNTER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace mikey {
namespace replay {

class CounterStore {
 public:
  virtual ~CounterStore() = default;

  // Whether `counter` would be accepted from `peer` now: OK if the peer is
  // unknown or `counter` exceeds its last accepted counter, ALREADY_EXISTS
  // otherwise. Changes nothing; for failing early.
  virtual absl::Status Check(absl::string_view peer,
                             uint32_t counter) const = 0;

  // Atomically: the same test, and on success records `counter` as the
  // peer's last accepted counter.
  virtual absl::Status CheckAndAdvance(absl::string_view peer,
                                       uint32_t counter) = 0;
};

// An in-memory CounterStore holding at most `max_peers` peers. Thread-safe;
// O(1) per call. A new peer beyond the limit is RESOURCE_EXHAUSTED: dropping
// a known peer's counter would let its old messages be replayed, so the store
// fails closed instead.
class InMemoryCounterStore final : public CounterStore {
 public:
  static constexpr size_t kMaxPeerLength = 1024;

  explicit InMemoryCounterStore(size_t max_peers);

  absl::Status Check(absl::string_view peer, uint32_t counter) const override;
  absl::Status CheckAndAdvance(absl::string_view peer,
                               uint32_t counter) override;

  size_t size() const;

 private:
  absl::Status CheckLocked(absl::string_view peer, uint32_t counter) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const size_t max_peers_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace replay
}  // namespace mikey

#endif  // MIKEY_CORE_REPLAY_COUNTER_STORE_H_
