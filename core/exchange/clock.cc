#include "core/exchange/clock.h"

#include <cstdint>
#include <limits>

#include "absl/time/time.h"

namespace mikey {
namespace exchange {
namespace {

// 1900-01-01 00:00:00 UTC, the NTP prime epoch.
absl::Time NtpEpoch() { return absl::FromUnixSeconds(-2208988800LL); }

constexpr uint64_t kNanosPerSecond = 1000000000ULL;

// floor(ns * 2^32 / 10^9) for 0 <= ns < 10^9: the NTP fraction.
uint32_t FractionFromNanos(uint64_t ns) {
  return static_cast<uint32_t>((ns << 32) / kNanosPerSecond);
}

// ceil(frac * 10^9 / 2^32): the inverse of FractionFromNanos, exact on its
// outputs (the fraction unit, 0.23 ns, is finer than a nanosecond).
uint64_t NanosFromFraction(uint32_t frac) {
  return (static_cast<uint64_t>(frac) * kNanosPerSecond + 0xFFFFFFFFULL) >> 32;
}

}  // namespace

uint64_t NtpFromTime(absl::Time t) {
  const absl::Duration d = t - NtpEpoch();
  if (d < absl::ZeroDuration()) return 0;
  const int64_t secs = absl::ToInt64Seconds(d);  // d >= 0: truncation = floor
  const int64_t ns = absl::ToInt64Nanoseconds(d - absl::Seconds(secs));
  const uint64_t era_secs = static_cast<uint64_t>(secs) & 0xFFFFFFFFULL;
  return (era_secs << 32) | FractionFromNanos(static_cast<uint64_t>(ns));
}

absl::Duration NtpDifference(uint64_t a, uint64_t b) {
  const int64_t d = static_cast<int64_t>(a - b);  // modulo 2^64
  // Arithmetic shift: floor of the seconds, fraction always non-negative.
  const int64_t secs = d >> 32;
  const uint32_t frac = static_cast<uint32_t>(d & 0xFFFFFFFF);
  return absl::Seconds(secs) +
         absl::Nanoseconds(static_cast<int64_t>(NanosFromFraction(frac)));
}

absl::Time TimeFromNtp(uint64_t ntp, absl::Time pivot) {
  return pivot + NtpDifference(ntp, NtpFromTime(pivot));
}

uint64_t NtpUnitsFromDuration(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  const int64_t secs = absl::ToInt64Seconds(d);
  if (secs >= (int64_t{1} << 31)) {
    return static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  }
  const int64_t ns = absl::ToInt64Nanoseconds(d - absl::Seconds(secs));
  return (static_cast<uint64_t>(secs) << 32) |
         FractionFromNanos(static_cast<uint64_t>(ns));
}

FixedClock FixedClock::FromNtp(uint64_t ntp) {
  // The era that puts the value within 68 years of 2000-01-01, i.e.
  // between 1932 and 2068.
  return FixedClock(TimeFromNtp(ntp, absl::FromUnixSeconds(946684800)));
}

}  // namespace exchange
}  // namespace mikey
