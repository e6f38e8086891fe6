// Time for the exchanges, always passed in: core never reads a clock of its
// own. MIKEY timestamps (RFC 3830 §6.6, types NTP-UTC and NTP) are 64-bit
// NTP values: seconds since 1900-01-01 00:00 UTC in the high 32 bits, the
// binary fraction of a second in the low 32 (RFC 5905 §6). The seconds wrap
// in February 2036 (era 1 begins); comparisons here are modular, so a
// difference of less than 68 years is always computed correctly across the
// wrap.

#ifndef MIKEY_CORE_EXCHANGE_CLOCK_H_
#define MIKEY_CORE_EXCHANGE_CLOCK_H_

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mikey {
namespace exchange {

// NTP (era-folded, as on the wire) of `t`. Times before 1900 are clamped to 0.
uint64_t NtpFromTime(absl::Time t);
// The time that the NTP value `ntp` denotes in the era closest to `pivot`.
absl::Time TimeFromNtp(uint64_t ntp, absl::Time pivot);
// `a - b` as a signed duration, modulo 2^64 NTP units (so across an era
// boundary too); exact to a nanosecond.
absl::Duration NtpDifference(uint64_t a, uint64_t b);
// A duration in NTP units (2^-32 s), saturating at INT64_MAX; negative
// durations give 0.
uint64_t NtpUnitsFromDuration(absl::Duration d);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Now() as a 64-bit NTP timestamp.
  uint64_t NowNtp() const { return NtpFromTime(Now()); }
};

// The real clock (absl::Now()), for the service to pass in.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that stands still until told otherwise. For tests and replays of
// recorded traffic. Not thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(absl::Time now) : now_(now) {}
  // At the NTP value `ntp`, read in the era that puts it between 1932 and
  // 2068.
  static FixedClock FromNtp(uint64_t ntp);

  absl::Time Now() const override { return now_; }
  void Set(absl::Time now) { now_ = now; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_;
};

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_CLOCK_H_
