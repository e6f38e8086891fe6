// MIKEY-NULL: the dialect GStreamer (rtspsrc, rtsp-server), Live555,
// gortsplib and ONVIF cameras exchange over RTSPS. It is a PSK I_MESSAGE
// (data type 0) whose KEMAC has NULL encryption and a NULL MAC and carries
// the SRTP master key and salt in clear: confidentiality and integrity come
// only from the TLS around RTSP. Nothing in it is authenticated, so it is
// accepted only when the caller asks (PskResponderOptions::allow_mikey_null
// or AcceptNull below), and its keys are taken straight from the key data
// (no PRF, no RAND needed).
//
// Accepted variants (deployed peers disagree on all of these):
//   - key data type TEK (2) holding key || salt concatenated (30 octets for
//     AES-CM-128 suites), or TEK+SALT (3) with the salt separate;
//   - key validity NULL or SPI/MKI (any length; becomes StreamKeys::mki), or
//     an interval (ignored);
//   - one key data sub-payload shared by every stream, or one per stream;
//   - SP "session auth key length" (type 3) = 20 (RFC) or 10/4 (the tag
//     length, as GStreamer and gortsplib write it);
//   - no RAND payload;
//   - a T payload holding a Windows FILETIME instead of NTP time: the
//     timestamp check can be turned off (check_timestamp = false);
//   - an SRTP-ID map with no entries (one stream with SSRC 0 is assumed).
// No Error message is ever produced for MIKEY-NULL input: GStreamer's parser
// hangs on ERR payloads, and an unauthenticated error helps nobody.
//
// Sending (InitiateNull) produces the form Live555 — the strictest receiver
// (liveMedia/MIKEY.cpp) — accepts and GStreamer also reads: HDR (V=0, PRF
// MIKEY-1, SRTP-ID map), T (NTP-UTC), RAND (16 octets), SP, KEMAC (NULL,
// NULL) holding one TEK key data (type 2, key || salt) with key validity
// SPI/MKI of 4 octets. Live555 takes only AES-CM-128 suites (30-octet key
// data, tag length 10) and reads only the first key data; other suites are
// written the same way with their own lengths. The SP's "session auth key
// length" (type 3) is written per suite by default (srtp::SpDialect::
// kInteropNull) so that every receiver reads the suite sent: 20 (RFC 3830,
// what Live555 requires) for 80-bit tags, the tag length 4 for the _32
// suites (GStreamer and gortsplib read type 3 as the tag length and would
// take 20 for an 80-bit tag).

#ifndef MIKEY_CORE_EXCHANGE_NULL_MODE_H_
#define MIKEY_CORE_EXCHANGE_NULL_MODE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

struct NullStreamSpec {
  uint32_t ssrc = 0;
  uint32_t roc = 0;
  srtp::SrtpPolicy policy;  // policy.suite required
};

struct NullInitiatorOptions {
  std::vector<NullStreamSpec> streams;  // 1 to 255
  std::optional<uint32_t> csb_id;       // random when absent
  // The MKI (SPI) in the key validity data: 4 random octets when absent; an
  // empty value writes no key validity (Live555 then refuses the message).
  std::optional<Bytes> mki;
  // One key data (with fresh keys) per stream instead of one shared by all.
  // Without it every stream's suite must have the same key and salt lengths.
  bool per_stream_keys = false;
  // How the SP payloads write the session auth key length (type 3); the
  // default suits every known receiver (see above).
  srtp::SpDialect sp_dialect = srtp::SpDialect::kInteropNull;
};

// Builds a MIKEY-NULL I_MESSAGE with fresh random master keys and salts.
absl::StatusOr<PskInitiation> InitiateNull(const NullInitiatorOptions& options,
                                           const Clock& clock,
                                           RandomSource& rng);

struct NullResponderOptions {
  bool check_timestamp = true;
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  std::vector<const srtp::CryptoSuite*> allowed_suites;  // empty: all
};

// Reads the SRTP keys out of a MIKEY-NULL I_MESSAGE. A PSK message that is
// not NULL/NULL is INVALID_ARGUMENT (use RespondPsk).
absl::StatusOr<KeyResult> AcceptNull(absl::Span<const uint8_t> i_message,
                                     const NullResponderOptions& options,
                                     const Clock& clock);

namespace exchange_internal {
// The part of AcceptNull after parsing, shared with RespondPsk.
absl::StatusOr<KeyResult> KeysFromNullMessage(
    const Message& m, const MessageLayout& layout,
    const NullResponderOptions& options, const Clock& clock);
}  // namespace exchange_internal

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_NULL_MODE_H_
