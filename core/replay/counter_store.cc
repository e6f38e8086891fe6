#include "core/replay/counter_store.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mikey {
namespace replay {

InMemoryCounterStore::InMemoryCounterStore(size_t max_peers)
    : max_peers_(max_peers == 0 ? 1 : max_peers) {}

size_t InMemoryCounterStore::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return last_.size();
}

absl::Status InMemoryCounterStore::CheckLocked(absl::string_view peer,
                                               uint32_t counter) const {
  if (peer.empty() || peer.size() > kMaxPeerLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("counter store: peer id of ", peer.size(),
                     " octets (expected 1 to ", kMaxPeerLength, ")"));
  }
  auto it = last_.find(peer);
  if (it == last_.end()) {
    if (last_.size() >= max_peers_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "counter store full: ", max_peers_, " peers; refusing a new one"));
    }
    return absl::OkStatus();
  }
  if (counter <= it->second) {
    return absl::AlreadyExistsError(absl::StrCat(
        "COUNTER timestamp ", counter, " not above the last accepted (",
        it->second, "): replayed or reordered message"));
  }
  return absl::OkStatus();
}

absl::Status InMemoryCounterStore::Check(absl::string_view peer,
                                         uint32_t counter) const {
  absl::ReaderMutexLock lock(&mu_);
  return CheckLocked(peer, counter);
}

absl::Status InMemoryCounterStore::CheckAndAdvance(absl::string_view peer,
                                                   uint32_t counter) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckLocked(peer, counter); !s.ok()) return s;
  last_[std::string(peer)] = counter;
  return absl::OkStatus();
}

}  // namespace replay
}  // namespace mikey
