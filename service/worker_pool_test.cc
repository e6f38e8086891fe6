#include "service/worker_pool.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace {

TEST(WorkerPoolTest, RunsEveryClosureOnAPoolThread) {
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  const std::thread::id caller = std::this_thread::get_id();
  {
    WorkerPool pool(3);
    EXPECT_EQ(pool.size(), 3u);
    for (int i = 0; i < 1000; ++i) {
      pool.Schedule([&] {
        if (std::this_thread::get_id() == caller) ++on_caller;
        ++ran;
      });
    }
  }  // The destructor drains the queue before joining.
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_EQ(on_caller.load(), 0);
}

TEST(WorkerPoolTest, ABlockedClosureDoesNotStopTheOthers) {
  WorkerPool pool(2);
  absl::Notification release, other_ran;
  pool.Schedule([&] { release.WaitForNotification(); });
  pool.Schedule([&] { other_ran.Notify(); });
  EXPECT_TRUE(other_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release.Notify();
}

TEST(WorkerPoolTest, ZeroThreadsMeansOne) {
  absl::Notification ran;
  WorkerPool pool(0);
  EXPECT_EQ(pool.size(), 1u);
  pool.Schedule([&] { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

}  // namespace
}  // namespace service
}  // namespace mikey
