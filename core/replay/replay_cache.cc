#include "core/replay/replay_cache.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mikey {
namespace replay {

InMemoryReplayCache::InMemoryReplayCache(size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

size_t InMemoryReplayCache::size() const {
  absl::MutexLock lock(&mu_);
  return expiry_.size();
}

void InMemoryReplayCache::PurgeExpiredLocked(absl::Time now) {
  while (!by_expiry_.empty() && by_expiry_.front().at <= now) {
    std::pop_heap(by_expiry_.begin(), by_expiry_.end(), LaterFirst());
    expiry_.erase(by_expiry_.back().id);
    by_expiry_.pop_back();
  }
}

absl::Status InMemoryReplayCache::CheckAndInsert(absl::string_view id,
                                                 absl::Time now,
                                                 absl::Time expires_at) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay cache: message id of ", id.size(),
                     " octets (expected 1 to ", kMaxIdLength, ")"));
  }
  if (expires_at <= now) {
    return absl::InvalidArgumentError(
        "replay cache: entry would expire immediately (expiry not after now)");
  }
  absl::MutexLock lock(&mu_);
  PurgeExpiredLocked(now);
  // After the purge, whatever is left has not expired.
  if (expiry_.contains(id)) {
    return absl::AlreadyExistsError(
        "replayed message: an identical message was already accepted within "
        "the clock-skew window");
  }
  if (expiry_.size() >= capacity_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "replay cache full: ", capacity_,
        " unexpired entries; refusing rather than forgetting one"));
  }
  std::string key(id);
  by_expiry_.push_back(Expiry{expires_at, key});
  std::push_heap(by_expiry_.begin(), by_expiry_.end(), LaterFirst());
  expiry_.emplace(std::move(key), expires_at);
  return absl::OkStatus();
}

}  // namespace replay
}  // namespace mikey
