#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/replay/counter_store.h"
#include "core/replay/replay_cache.h"
#include "gtest/gtest.h"

namespace mikey {
namespace replay {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(InMemoryReplayCacheTest, SecondInsertOfSameIdIsReplay) {
  InMemoryReplayCache cache(10);
  EXPECT_TRUE(cache.CheckAndInsert("a", kT0, kT0 + absl::Minutes(5)).ok());
  EXPECT_EQ(
      cache.CheckAndInsert("a", kT0 + absl::Seconds(1), kT0 + absl::Minutes(6))
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(cache.CheckAndInsert("b", kT0, kT0 + absl::Minutes(5)).ok());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(InMemoryReplayCacheTest, EntryExpiresExactlyAtItsExpiry) {
  InMemoryReplayCache cache(10);
  const absl::Time exp = kT0 + absl::Minutes(5);
  ASSERT_TRUE(cache.CheckAndInsert("a", kT0, exp).ok());
  // One nanosecond before expiry: still a replay.
  EXPECT_EQ(cache
                .CheckAndInsert("a", exp - absl::Nanoseconds(1),
                                exp + absl::Minutes(1))
                .code(),
            absl::StatusCode::kAlreadyExists);
  // At expiry (exclusive): gone, accepted again.
  EXPECT_TRUE(cache.CheckAndInsert("a", exp, exp + absl::Minutes(1)).ok());
}

TEST(InMemoryReplayCacheTest, FullCacheEvictsExpiredFirstThenRefuses) {
  InMemoryReplayCache cache(3);
  ASSERT_TRUE(cache.CheckAndInsert("old", kT0, kT0 + absl::Seconds(10)).ok());
  ASSERT_TRUE(cache.CheckAndInsert("b", kT0, kT0 + absl::Minutes(5)).ok());
  ASSERT_TRUE(cache.CheckAndInsert("c", kT0, kT0 + absl::Minutes(5)).ok());
  // Full of unexpired entries: refused, nothing forgotten.
  EXPECT_EQ(
      cache.CheckAndInsert("d", kT0 + absl::Seconds(5), kT0 + absl::Minutes(5))
          .code(),
      absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(
      cache.CheckAndInsert("b", kT0 + absl::Seconds(5), kT0 + absl::Minutes(5))
          .code(),
      absl::StatusCode::kAlreadyExists);
  // Once "old" has expired its slot is reused.
  EXPECT_TRUE(
      cache.CheckAndInsert("d", kT0 + absl::Seconds(10), kT0 + absl::Minutes(5))
          .ok());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(
      cache.CheckAndInsert("c", kT0 + absl::Seconds(11), kT0 + absl::Minutes(5))
          .code(),
      absl::StatusCode::kAlreadyExists);
}

TEST(InMemoryReplayCacheTest, RejectsBadArguments) {
  InMemoryReplayCache cache(3);
  EXPECT_EQ(cache.CheckAndInsert("", kT0, kT0 + absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      cache.CheckAndInsert(std::string(2000, 'x'), kT0, kT0 + absl::Seconds(1))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.CheckAndInsert("a", kT0, kT0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(InMemoryReplayCacheTest, ConcurrentDuplicatesAcceptedExactlyOnce) {
  InMemoryReplayCache cache(100000);
  constexpr int kThreads = 8;
  constexpr int kIds = 500;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIds; ++i) {
        if (cache
                .CheckAndInsert(absl::StrCat("id", i), kT0,
                                kT0 + absl::Minutes(5))
                .ok()) {
          accepted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted.load(), kIds);
}

TEST(InMemoryCounterStoreTest, StrictlyIncreasingPerPeer) {
  InMemoryCounterStore store(10);
  EXPECT_TRUE(store.Check("alice", 5).ok());
  ASSERT_TRUE(store.CheckAndAdvance("alice", 5).ok());
  EXPECT_EQ(store.Check("alice", 5).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.CheckAndAdvance("alice", 4).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store.CheckAndAdvance("bob", 1).ok());  // independent peers
  EXPECT_TRUE(store.CheckAndAdvance("alice", 6).ok());
  EXPECT_EQ(store.CheckAndAdvance("alice", 6).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(InMemoryCounterStoreTest, CheckDoesNotAdvance) {
  InMemoryCounterStore store(10);
  ASSERT_TRUE(store.CheckAndAdvance("p", 1).ok());
  EXPECT_TRUE(store.Check("p", 7).ok());
  EXPECT_TRUE(store.CheckAndAdvance("p", 2).ok());  // 7 was not recorded
}

TEST(InMemoryCounterStoreTest, FullStoreRefusesNewPeersKeepsOld) {
  InMemoryCounterStore store(2);
  ASSERT_TRUE(store.CheckAndAdvance("a", 1).ok());
  ASSERT_TRUE(store.CheckAndAdvance("b", 1).ok());
  EXPECT_EQ(store.CheckAndAdvance("c", 1).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(store.CheckAndAdvance("a", 2).ok());
  EXPECT_EQ(store.CheckAndAdvance("b", 1).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.size(), 2u);
}

}  // namespace
}  // namespace replay
}  // namespace mikey
