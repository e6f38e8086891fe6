#include "core/exchange/clock.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

// Unix epoch 1970-01-01 is NTP second 2208988800 = 0x83AA7E80 (RFC 5905).
TEST(NtpTest, UnixEpoch) {
  EXPECT_EQ(NtpFromTime(absl::UnixEpoch()), 0x83AA7E80ULL << 32);
}

TEST(NtpTest, HalfSecondIsHalfTheFraction) {
  EXPECT_EQ(NtpFromTime(absl::UnixEpoch() + absl::Milliseconds(500)),
            (0x83AA7E80ULL << 32) | 0x80000000ULL);
}

// 2036-02-07 06:28:16 UTC is where NTP era 1 starts: seconds wrap to 0.
TEST(NtpTest, EraWrap) {
  const absl::Time era1 = absl::FromUnixSeconds(2085978496);
  EXPECT_EQ(NtpFromTime(era1), 0u);
  EXPECT_EQ(NtpFromTime(era1 - absl::Seconds(1)), 0xFFFFFFFFULL << 32);
  // Differences are modular: one second apart across the wrap.
  EXPECT_EQ(
      NtpDifference(NtpFromTime(era1), NtpFromTime(era1 - absl::Seconds(1))),
      absl::Seconds(1));
  EXPECT_EQ(TimeFromNtp(0, era1 - absl::Hours(1)), era1);
}

TEST(NtpTest, RoundTripsToTheNanosecond) {
  const absl::Time pivot = absl::FromUnixSeconds(1700000000);
  for (int64_t ns : {0LL, 1LL, 999LL, 123456789LL, 999999999LL}) {
    const absl::Time t = pivot + absl::Nanoseconds(ns);
    EXPECT_EQ(TimeFromNtp(NtpFromTime(t), pivot), t) << ns;
  }
}

TEST(NtpTest, SignedDifference) {
  const uint64_t a = 0x0000000500000000ULL;
  const uint64_t b = 0x0000000700000000ULL;
  EXPECT_EQ(NtpDifference(a, b), absl::Seconds(-2));
  EXPECT_EQ(NtpDifference(b, a), absl::Seconds(2));
  EXPECT_EQ(NtpUnitsFromDuration(absl::Seconds(2)), 0x0000000200000000ULL);
  EXPECT_EQ(NtpUnitsFromDuration(-absl::Seconds(2)), 0u);
}

TEST(FixedClockTest, FromNtpAndAdvance) {
  FixedClock c = FixedClock::FromNtp(0x83AA7E80ULL << 32);
  EXPECT_EQ(c.Now(), absl::UnixEpoch());
  c.Advance(absl::Seconds(3));
  EXPECT_EQ(c.NowNtp(), (0x83AA7E80ULL + 3) << 32);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
