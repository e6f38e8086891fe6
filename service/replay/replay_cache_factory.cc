#include "service/replay/replay_cache_factory.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/replay/replay_cache.h"
#include "service/replay/redis_replay_cache.h"

namespace mikey {
namespace service {
namespace replay {

absl::StatusOr<std::unique_ptr<mikey::replay::ReplayCache>> MakeReplayCache(
    const ReplayConfig& config) {
  switch (config.kind) {
    case ReplayConfig::Kind::kMemory:
      if (config.memory_capacity == 0) {
        return absl::InvalidArgumentError(
            "replay memory_capacity: must be at least 1");
      }
      return std::make_unique<mikey::replay::InMemoryReplayCache>(
          config.memory_capacity);
    case ReplayConfig::Kind::kRedis: {
      absl::StatusOr<std::unique_ptr<RedisReplayCache>> redis =
          RedisReplayCache::Create(config.redis);
      if (!redis.ok()) return redis.status();
      return std::unique_ptr<mikey::replay::ReplayCache>(std::move(*redis));
    }
  }
  return absl::InvalidArgumentError("replay kind: unknown");
}

}  // namespace replay
}  // namespace service
}  // namespace mikey
