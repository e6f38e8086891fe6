// Replay protection for received MIKEY messages (RFC 3830 §5.4).
//
// MIKEY has no challenge-response: a Responder rejects an Initiator message
// whose timestamp is outside the allowed clock skew, and remembers the
// messages it accepted for as long as their timestamps stay inside it, so
// that each is accepted once. A ReplayCache is that memory; a CounterStore is
// the per-peer state that COUNTER timestamps (§6.6, type 2) need instead.
//
// Both interfaces are "check and commit" in one atomic call, so that two
// copies of a message racing through two threads cannot both be accepted.
// Exchanges call them only as the very last step of a successful Respond:
// a message that fails verification leaves no trace.
//
// The in-memory implementations here serve one process. A service that runs
// several replicas needs a shared implementation (e.g. Redis SET NX PX) of the
// same interface.

#ifndef MIKEY_CORE_REPLAY_REPLAY_CACHE_H_
#define MIKEY_CORE_REPLAY_REPLAY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mikey {
namespace replay {

class ReplayCache {
 public:
  virtual ~ReplayCache() = default;

  // Atomically: if `id` was inserted before and has not expired at `now`,
  // fails with ALREADY_EXISTS ("replayed message") and changes nothing;
  // otherwise remembers `id` until `expires_at` (exclusive) and returns OK.
  // `id` identifies a message (exchanges pass CSB ID, T, RAND and MAC); it is
  // public data. An `expires_at` not after `now` is INVALID_ARGUMENT (such a
  // message would already be outside the clock-skew window). Implementations
  // that cannot remember more fail with RESOURCE_EXHAUSTED.
  virtual absl::Status CheckAndInsert(absl::string_view id, absl::Time now,
                                      absl::Time expires_at) = 0;
};

// A bounded in-memory ReplayCache. Thread-safe.
//
// Costs: O(log n) per call (a hash map from id to expiry plus a set ordered by
// expiry); expired entries are purged lazily on every call, oldest first.
//
// When every slot holds an unexpired entry, CheckAndInsert fails with
// RESOURCE_EXHAUSTED rather than evicting one: forgetting an unexpired entry
// would silently let that message be replayed, so this cache fails closed
// and trades availability for the guarantee. Entries are only inserted for
// fully verified messages (MAC checked), so only key holders can fill it,
// and capacity should be sized as (peak accepted messages per second) x
// (twice the clock skew), the longest an entry can live.
class InMemoryReplayCache final : public ReplayCache {
 public:
  // Ids longer than this are INVALID_ARGUMENT (MIKEY's are ~50 octets).
  static constexpr size_t kMaxIdLength = 1024;

  // `capacity` >= 1.
  explicit InMemoryReplayCache(size_t capacity);

  absl::Status CheckAndInsert(absl::string_view id, absl::Time now,
                              absl::Time expires_at) override;

  // Entries currently held (expired ones not yet purged included).
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  void PurgeExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Expiry {
    absl::Time at;
    std::string id;
  };
  // Orders a min-heap on `at`.
  struct LaterFirst {
    bool operator()(const Expiry& a, const Expiry& b) const {
      return a.at > b.at;
    }
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> expiry_ ABSL_GUARDED_BY(mu_);
  // Every entry of expiry_, soonest expiry on top: a binary heap in one
  // vector, not a std::set, so an insert allocates no tree node and, since
  // new entries mostly expire after the old ones, rarely sifts far.
  std::vector<Expiry> by_expiry_ ABSL_GUARDED_BY(mu_);
};

}  // namespace replay
}  // namespace mikey

#endif  // MIKEY_CORE_REPLAY_REPLAY_CACHE_H_
