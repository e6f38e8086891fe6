#include "service/telemetry/heap_usage.h"

#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

constexpr size_t kBlocks = 64;
constexpr size_t kBlockSize = 64 * 1024;  // 4 MiB in all
constexpr uint64_t kTotal = kBlocks * kBlockSize;

TEST(HeapUsageTest, FollowsAllocationsAndFrees) {
  std::optional<HeapUsage> before = ReadHeapUsage();
  ASSERT_TRUE(before.has_value()) << "no allocator statistics on this build";
  EXPECT_GE(before->held, before->in_use);

  std::vector<std::unique_ptr<char[]>> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.emplace_back(new char[kBlockSize]);
    // Touch the block, so nothing can elide the allocation.
    std::memset(blocks.back().get(), static_cast<int>(i), kBlockSize);
  }
  std::optional<HeapUsage> during = ReadHeapUsage();
  ASSERT_TRUE(during.has_value());
  EXPECT_GE(during->in_use, before->in_use + kTotal);
  EXPECT_GE(during->held, during->in_use);

  blocks.clear();
  std::optional<HeapUsage> after = ReadHeapUsage();
  ASSERT_TRUE(after.has_value());
  // Back to where it was, give or take the vector and gtest's own
  // allocations (far less than one block).
  EXPECT_LT(after->in_use, before->in_use + kBlockSize);
  EXPECT_LE(after->in_use + kTotal, during->in_use);
}

}  // namespace
}  // namespace telemetry
}  // namespace service
}  // namespace mikey
