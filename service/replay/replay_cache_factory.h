// Chooses mikeyd's ReplayCache from configuration: in-memory for a single
// replica, Redis for several replicas sharing one replay memory.
//
// With several replicas and the in-memory cache, a message replayed to a
// different replica than the one that accepted it is accepted again: run
// kind = kRedis whenever replicas > 1.

#ifndef MIKEY_SERVICE_REPLAY_REPLAY_CACHE_FACTORY_H_
#define MIKEY_SERVICE_REPLAY_REPLAY_CACHE_FACTORY_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "core/replay/replay_cache.h"
#include "service/replay/redis_replay_cache.h"

namespace mikey {
namespace service {
namespace replay {

struct ReplayConfig {
  enum class Kind { kMemory, kRedis };
  Kind kind = Kind::kMemory;
  // kMemory: most unexpired entries held (InMemoryReplayCache fails closed
  // with RESOURCE_EXHAUSTED beyond it). Size as peak accepted messages per
  // second x twice the allowed clock skew in seconds.
  size_t memory_capacity = 1 << 20;
  // kRedis: see RedisReplayOptions (address required).
  RedisReplayOptions redis;
};

// INVALID_ARGUMENT naming the bad field (memory_capacity 0, a malformed Redis
// address, ...); FAILED_PRECONDITION when redis.password_file cannot be read.
// Does not contact Redis (see RedisReplayCache::Create).
absl::StatusOr<std::unique_ptr<mikey::replay::ReplayCache>> MakeReplayCache(
    const ReplayConfig& config);

}  // namespace replay
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_REPLAY_REPLAY_CACHE_FACTORY_H_
