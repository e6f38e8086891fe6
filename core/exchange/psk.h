// MIKEY pre-shared key mode (RFC 3830 §3.1, §4.1.4, §4.2.3, §5), and the
// MIKEY-NULL dialect deployed peers speak (see null_mode.h), which shares its
// message layout.
//
//   Initiator                              Responder
//   I_MESSAGE = HDR, T, RAND, [IDi], [IDr], {SP}, KEMAC   ->
//                                 <-  R_MESSAGE = HDR, T, [IDr], V   (V flag)
//                                 <-  or Error = HDR, T, {ERR}, {SP}, [V]
//   (T in the answers is the Initiator's T payload: RFC 3830 §5.2)
//
// KEMAC carries the TGK, encrypted with AES-CM-128 (IV per §4.2.3) or AES key
// wrap (RFC 3394, IV = the 64-bit salt per §4.2.3), under keys derived from
// the PSK (§4.1.4, cs_id 0xFF); its
// MAC covers the whole I_MESSAGE except the MAC field itself (the MAC alg
// octet included). SRTP master keys and salts are then derived per crypto
// session from the TGK (§4.1.3): cs_id = the 1-based index in the SRTP-ID map.
//
// PRF func 0 (MIKEY-1, HMAC-SHA-1) and 1 (PRF-HMAC-SHA-256, RFC 6043) are
// supported. MAC algorithms: 1 HMAC-SHA-1-160 (20-octet key and MAC) and 2
// HMAC-SHA-256-256 (RFC 6043 §6.2: 32-octet key and MAC); MIKEY-1 defaults to
// the former and PRF-HMAC-SHA-256 to the latter.
//
// Status codes (the contract with service/):
//   INVALID_ARGUMENT    the message is malformed or inconsistent (names
//                       payload, field and offset; never key material);
//   FAILED_PRECONDITION the message is well-formed but fails verification:
//                       wrong MAC (e.g. another PSK), timestamp outside the
//                       clock-skew window, replay, refused by local policy
//                       (MIKEY-NULL not enabled, suite not allowed), or the
//                       peer answered with an Error message;
//   UNIMPLEMENTED       a known feature this code does not support (PRF
//                       funcs 2/3, GENERIC-ID maps, several TGKs, ...);
//   RESOURCE_EXHAUSTED  the replay cache / counter store is full.

#ifndef MIKEY_CORE_EXCHANGE_PSK_H_
#define MIKEY_CORE_EXCHANGE_PSK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/counter_store.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

// Default allowed difference between the Initiator's timestamp and the
// Responder's clock, either way. RFC 3830 §5.4 leaves the value to local
// policy; see the comment in psk.cc.
inline constexpr absl::Duration kDefaultMaxClockSkew = absl::Minutes(5);

// ---------------------------------------------------------------------------
// Initiator.

struct PskStreamSpec {
  uint32_t ssrc = 0;  // 0: chosen by the Responder (RFC 3830 §6.1.1)
  uint32_t roc = 0;
  // The suite and SP switches (policy.suite must be set). Streams with equal
  // policies share one SP payload.
  srtp::SrtpPolicy policy;
};

struct PskInitiatorOptions {
  std::vector<PskStreamSpec> streams;      // 1 to 255
  std::optional<uint32_t> csb_id;          // random when absent
  uint8_t prf_func = prf_func::kMikey1;    // kMikey1 or kMikey256
  uint8_t encr_alg = encr_alg::kAesCm128;  // or kAesKw128
  // Absent: HMAC-SHA-1-160 for MIKEY-1, HMAC-SHA-256-256 for MIKEY-256.
  std::optional<uint8_t> mac_alg;
  bool v_flag = false;  // ask for a verification message
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;  // only with id_i (the first ID is IDi)
  size_t rand_length = 16;  // 16 to 255 octets (§6.11: at least 128 bits)
  // TGK octets; 0: the longest master key among the streams' suites.
  size_t tgk_length = 0;
  // Key validity of the TGK: an SPI becomes every stream's MKI.
  KeyValidity tgk_validity;
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;
  // A COUNTER timestamp (§6.6, type 2) instead of NTP-UTC from the clock;
  // the Responder then needs a CounterStore. The caller keeps it increasing.
  std::optional<uint32_t> counter;
};

struct PskInitiation {
  Bytes i_message;
  KeyResult keys;  // what the Responder will derive
};

// Builds an I_MESSAGE with a fresh TGK and RAND from `rng`, timestamped
// NTP-UTC from `clock`. `psk` must be at least 16 octets.
absl::StatusOr<PskInitiation> InitiatePsk(const PskInitiatorOptions& options,
                                          absl::Span<const uint8_t> psk,
                                          const Clock& clock,
                                          RandomSource& rng);

// Checks the Responder's answer to `i_message` (which this side built):
// an R_MESSAGE whose V MAC and timestamp verify is OK. An Error message is
// FAILED_PRECONDITION naming the error numbers, and says whether its V
// verified (an Error without a valid V may be forged). Malformed input is
// INVALID_ARGUMENT; a wrong MAC, a foreign CSB ID or a timestamp outside
// `max_clock_skew` is FAILED_PRECONDITION.
absl::Status VerifyPskResponse(
    absl::Span<const uint8_t> response, absl::Span<const uint8_t> i_message,
    absl::Span<const uint8_t> psk, const Clock& clock,
    absl::Duration max_clock_skew = kDefaultMaxClockSkew);

// ---------------------------------------------------------------------------
// Responder.

struct PskResponderOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  // Required for NTP / NTP-UTC timestamps unless skip_replay_check is set
  // (the caller then takes over replay protection, e.g. with the replay id
  // from PskResponse).
  replay::ReplayCache* replay_cache = nullptr;
  bool skip_replay_check = false;
  // Required for COUNTER timestamps; `counter_peer` names the peer (default:
  // the data of the IDi payload, which must then be present).
  replay::CounterStore* counter_store = nullptr;
  std::string counter_peer;
  // Put in the R_MESSAGE as IDr (and covered by its V MAC).
  std::optional<IdPayload> id_r;
  // If not empty, only these suites are accepted (by pointer, from
  // srtp::AllSuites()).
  std::vector<const srtp::CryptoSuite*> allowed_suites;

  // MIKEY-NULL: a PSK I_MESSAGE whose KEMAC has NULL encryption and NULL
  // MAC, carrying the SRTP keys in clear (see null_mode.h). Refused unless
  // enabled here.
  bool allow_mikey_null = false;
  // MIKEY-NULL only: skip the timestamp window (deployed peers send Windows
  // FILETIME values in an NTP-UTC field). Replay protection is meaningless
  // for unauthenticated messages and is not applied to them.
  bool null_skip_timestamp_check = false;
};

struct PskResponse {
  absl::Status status;
  // Set iff status is OK.
  std::optional<KeyResult> keys;
  // The message to send back, possibly empty: the R_MESSAGE when status is
  // OK and the I_MESSAGE set V; an Error message (data type 6) when the
  // I_MESSAGE could be parsed but was refused. The Error carries a V payload
  // whenever the authentication key could be derived.
  Bytes reply;
  // The ERR payload's error number when `reply` is an Error message.
  std::optional<uint8_t> error_no;
  // True when the keys came from an unauthenticated MIKEY-NULL message.
  bool mikey_null = false;
};

// Processes an I_MESSAGE. Checks, in order: structure and data type, the
// KEMAC MAC (constant time, before anything is decrypted), the timestamp
// window, then decrypts and derives; the replay cache (or counter store) is
// updated only as the last step of a fully successful call, so a failed call
// changes no state.
PskResponse RespondPsk(absl::Span<const uint8_t> i_message,
                       absl::Span<const uint8_t> psk,
                       const PskResponderOptions& options, const Clock& clock);

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_PSK_H_
