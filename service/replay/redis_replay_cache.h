// A ReplayCache shared by every mikeyd replica, kept in Redis.
//
// Each accepted message becomes one Redis key, set atomically only if absent:
//
//   SET <key_prefix><hex(id)> <token> NX PX <ttl_ms>
//
// "OK" means the message was not seen before (accepted); a nil reply means
// the key exists, i.e. some replica accepted the same message within the
// clock-skew window: ALREADY_EXISTS, as InMemoryReplayCache answers. Redis
// executes commands one at a time, so two replicas racing with the same
// message cannot both get "OK". Keys expire by themselves (PX), so nothing
// ever has to sweep the keyspace.
//
// Fail closed. Whenever the check cannot be done (Redis unreachable, a
// timeout, an error reply such as OOM, READONLY or NOAUTH, a pool with no free
// connection in time) CheckAndInsert returns UNAVAILABLE, and the exchange
// that asked is refused: a replay check that cannot be made must not be
// treated as "not a replay". Replay protection is worth more than the
// availability of a key exchange, which the caller can retry. A reply lost
// after Redis applied the SET is the one ambiguous case: see the retry below.
//
// Expiry follows Redis's clock, not the caller's: the TTL sent is
// ceil(expires_at - now) in milliseconds (at least 1), relative, so the
// replicas' clocks need not agree with Redis's. `now` is used only for that
// difference.
//
// Connections: a pool of up to `pool_size` hiredis connections, made on
// demand, each used by one call at a time. (One mutex-guarded connection
// would serialise every replay check of a replica behind one network round
// trip: see pool_size for the measurements.) A call waits up to
// `command_timeout` for a free connection. A connection that fails (I/O
// error, timeout, EOF) is closed and never reused; the next call makes a new
// one (DNS is resolved again then, so a Redis Service that moves is followed).
// After a failed connect, calls that find no idle connection fail at once
// with UNAVAILABLE for `reconnect_backoff` instead of each waiting out a
// connect timeout against a dead server.
//
// Retry: when a connection taken from the pool (made by an earlier call)
// fails, the call is retried once on a new connection, so that a Redis restart
// or an idle connection closed by a proxy is invisible to callers. Because the
// first SET may have reached Redis before the connection broke, each call
// stores a value unique to it (`token`); if the retry finds the key present,
// a GET tells whether it holds this call's token (the first attempt was
// applied: accepted) or another's (a replay). A failure on a new connection is
// not retried.
//
// Transport: hiredis 0.14 has no TLS. Keep Redis on a network path only
// mikeyd can reach (a NetworkPolicy, or a TLS tunnel sidecar) and give it a
// password (AUTH): whoever can write to Redis can delete entries (re-opening
// a replay window) or add entries (refusing messages). The ids stored are
// public data (they are taken from the messages), never key material.
//
// Thread-safe.

#ifndef MIKEY_SERVICE_REPLAY_REDIS_REPLAY_CACHE_H_
#define MIKEY_SERVICE_REPLAY_REDIS_REPLAY_CACHE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/replay/replay_cache.h"

struct redisContext;

namespace mikey {
namespace service {
namespace replay {

struct RedisReplayOptions {
  // Redis server, HOST:PORT or [IPV6]:PORT (HOST may be a DNS name, e.g. a
  // Kubernetes Service: "redis.media.svc.cluster.local:6379"). Required.
  std::string address;
  // Limit for establishing a TCP connection (name resolution excluded: it
  // follows the system resolver's own timeouts).
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // Limit for each command's send and reply, and for waiting for a free
  // pooled connection. A call takes at most about
  // 2 x (connect_timeout + command_timeout) (one retry) plus the wait.
  absl::Duration command_timeout = absl::Milliseconds(500);
  // After a failed connect, how long calls fail fast before connecting again.
  absl::Duration reconnect_backoff = absl::Milliseconds(200);
  // Most connections open at once (1 to 64). Each carries one call at a
  // time, so a replica does at most about pool_size / RTT calls per second:
  // measured (redis_replay_cache_bench --rtt_us=300, 16 caller threads) 2.2k/s
  // with 1 connection, 7.8k/s with 4, 14k/s with 8.
  int pool_size = 8;
  // Prepended to every key, so one Redis can serve several deployments.
  std::string key_prefix = "mikey:replay:";
  // Redis database number (SELECT), 0 to 15 on a default Redis.
  int database = 0;
  // Redis 6 ACL user name; "" for the default user.
  std::string username;
  // File holding the Redis password (AUTH); one trailing newline is ignored.
  // "" for a Redis without a password. Read once, by Create().
  std::string password_file;
};

class RedisReplayCache final : public mikey::replay::ReplayCache {
 public:
  // Counters since creation, for metrics and tests.
  struct Stats {
    uint64_t connects = 0;          // connections established
    uint64_t connect_failures = 0;  // failed connects (incl. AUTH/SELECT)
    uint64_t io_failures = 0;       // connections dropped after an I/O error
    uint64_t error_replies = 0;     // Redis error replies (OOM, READONLY, ...)
    uint64_t retries = 0;           // calls retried on a new connection
  };

  // Checks `options` (INVALID_ARGUMENT naming the field) and reads the
  // password file (FAILED_PRECONDITION if unreadable). Does not connect:
  // mikeyd may start before Redis does; calls fail with UNAVAILABLE until
  // Redis can be reached, and Ping() tells readiness.
  static absl::StatusOr<std::unique_ptr<RedisReplayCache>> Create(
      RedisReplayOptions options);

  ~RedisReplayCache() override;
  RedisReplayCache(const RedisReplayCache&) = delete;
  RedisReplayCache& operator=(const RedisReplayCache&) = delete;

  // See the file comment. INVALID_ARGUMENT for an empty id, an id longer
  // than InMemoryReplayCache::kMaxIdLength, or expires_at <= now (nothing is
  // sent then); ALREADY_EXISTS for a replay; UNAVAILABLE when the check could
  // not be made.
  absl::Status CheckAndInsert(absl::string_view id, absl::Time now,
                              absl::Time expires_at) override;

  // OK if Redis answers PING on a pooled connection; UNAVAILABLE otherwise.
  absl::Status Ping();

  Stats stats() const;

  // The Redis key for a message id (key_prefix + lowercase hex of the id).
  std::string KeyFor(absl::string_view id) const;

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
  struct Lease {
    ContextPtr context;
    bool reused = false;  // taken from the pool rather than made for this call
  };
  enum class SetResult { kInserted, kExists };

  RedisReplayCache(RedisReplayOptions options, std::string host, int port,
                   std::string password);

  absl::StatusOr<Lease> Acquire();
  void Release(ContextPtr context);
  void Discard();
  absl::StatusOr<ContextPtr> Connect();
  bool CanAcquire() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NextToken();

  // One SET NX PX (and, if `check_token` and the key exists, a GET) on
  // `lease`. On an I/O failure the connection is discarded and `*io_failure`
  // set; UNAVAILABLE is returned either way.
  absl::StatusOr<SetResult> SetIfAbsent(Lease& lease, const std::string& key,
                                        const std::string& token,
                                        int64_t ttl_ms, bool check_token,
                                        bool* io_failure);

  const RedisReplayOptions options_;
  const std::string host_;
  const int port_;
  const std::string password_;
  const std::string token_prefix_;
  std::atomic<uint64_t> token_counter_{0};

  mutable absl::Mutex mu_;
  std::vector<ContextPtr> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased
  std::chrono::steady_clock::time_point connect_not_before_
      ABSL_GUARDED_BY(mu_);
  std::string last_connect_error_ ABSL_GUARDED_BY(mu_);

  std::atomic<uint64_t> connects_{0};
  std::atomic<uint64_t> connect_failures_{0};
  std::atomic<uint64_t> io_failures_{0};
  std::atomic<uint64_t> error_replies_{0};
  std::atomic<uint64_t> retries_{0};
};

}  // namespace replay
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_REPLAY_REDIS_REPLAY_CACHE_H_
