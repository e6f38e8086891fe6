// Fuzzes MIKEY-NULL reception (core/exchange/null_mode.h): AcceptNull on
// arbitrary bytes, the way deployed RTSP peers' messages arrive.
//
// The first input octet selects (bit flags):
//   0x01  check the timestamp (NullResponderOptions::check_timestamp);
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  only AES_CM_128_HMAC_SHA1_80 allowed;
//   0x08  a short clock skew (1 s) instead of the default.
//
// Properties: no crash; an accepted message yields at least one stream, each
// with a suite and a master key and salt of that suite's lengths; MKIs are
// at most 255 octets (the wire's 8-bit length).

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/exchange/null_mode.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mikey;  // NOLINT: a fuzz entry point
  const fuzz::Split in = fuzz::SplitInput(data, size);
  exchange::NullResponderOptions o;
  o.check_timestamp = (in.flags & 0x01) != 0;
  if (in.flags & 0x04) {
    o.allowed_suites = {*srtp::FindSuite("AES_CM_128_HMAC_SHA1_80")};
  }
  if (in.flags & 0x08) o.max_clock_skew = absl::Seconds(1);
  exchange::FixedClock clock(fuzz::FuzzNow());
  if (in.flags & 0x02) {
    if (absl::StatusOr<Message> m = ParseMessage(in.data); m.ok()) {
      clock = fuzz::ClockAtTimestamp(*m, fuzz::FuzzNow());
    }
  }
  absl::StatusOr<exchange::KeyResult> keys =
      exchange::AcceptNull(in.data, o, clock);
  fuzz::Report("AcceptNull", keys.status());
  if (keys.ok()) {
    fuzz::CheckKeyResult(*keys);
    for (const exchange::StreamKeys& s : keys->streams) {
      FUZZ_CHECK(s.mki.size() <= 255, "an MKI longer than its wire field");
    }
  }
  return 0;
}
