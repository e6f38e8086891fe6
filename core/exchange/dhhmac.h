// MIKEY DHHMAC: HMAC-authenticated Diffie-Hellman (RFC 4650, data types 7 and
// 8). See dh_common.h for what it shares with DH mode.
//
//   I_MESSAGE = HDR, T, RAND, [IDi], IDr, {SP}, DHi, KEMAC   ->
//          <-  R_MESSAGE = HDR, T, [IDr], IDi, DHr, DHi, KEMAC
//          <-  or Error = HDR, T, {ERR}, {SP}, [V]
// (RFC 4650 §3; T in the R_MESSAGE and Error is the Initiator's.)
//
// Readings this code relies on (RFC 4650 §3, §4; see dhhmac.cc for which
// were checked against what):
//   - the KEMAC carries no key: encryption algorithm NULL, empty Encr data,
//     and a MAC (HMAC-SHA-1-160; HMAC-SHA-256-256 with PRF-HMAC-SHA-256)
//     over the whole message except the MAC field itself, MAC alg octet
//     included, as in PSK mode;
//   - both messages are MACed with auth_key = PRF(PSK, 0x2D22AC75 || 0xFF ||
//     CSB ID || RAND) (RFC 3830 §4.1.4), RAND being the I_MESSAGE's (the
//     R_MESSAGE has none);
//   - TGK = g^(xi * xr), the fixed-length shared secret as it is;
//   - an Error message is protected by a V payload keyed with the same
//     auth_key, its MAC input followed by IDi || IDr || T_i as in PSK mode.
//
// Timestamps: NTP-UTC (sent) and NTP (accepted); COUNTER is not supported in
// the DH modes. The Responder needs a replay cache as in PSK mode.

#ifndef MIKEY_CORE_EXCHANGE_DHHMAC_H_
#define MIKEY_CORE_EXCHANGE_DHHMAC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

struct DhhmacInitiatorOptions {
  std::vector<DhStreamSpec> streams;     // 1 to 255
  std::optional<uint32_t> csb_id;        // random when absent
  uint8_t prf_func = prf_func::kMikey1;  // kMikey1 or kMikey256
  // Absent: HMAC-SHA-1-160 for MIKEY-1, HMAC-SHA-256-256 for MIKEY-256.
  std::optional<uint8_t> mac_alg;
  // dh_group::kOakley5 (default), kOakley2, kOakley1, or kX25519Private
  // (non-standard: only for peers that agreed to it).
  uint8_t dh_group = dh_group::kOakley5;
  // RFC 4650 §3: "[IDi], IDr". IDi is optional (the Responder echoes it);
  // IDr is required by the RFC ("The initiator SHALL always include the
  // recipient's identity") and must be given with id_i. (Without either,
  // the I_MESSAGE carries no ID payload: accepted here for callers whose
  // peers know each other by other means, but not RFC 4650 conformant.)
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;
  size_t rand_length = 16;  // 16 to 255
  // Key validity carried in DHi (and echoed in DHr): an SPI becomes every
  // stream's MKI.
  KeyValidity tgk_validity;
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;
};

struct DhhmacInitiation {
  Bytes i_message;
  DhInitiatorState state;  // for CompleteDhhmac; holds the DH private key
};

// Builds an I_MESSAGE with a fresh DH key pair, RAND and CSB ID from `rng`.
// `psk` must be at least 16 octets.
absl::StatusOr<DhhmacInitiation> InitiateDhhmac(
    const DhhmacInitiatorOptions& options, absl::Span<const uint8_t> psk,
    const Clock& clock, RandomSource& rng);

struct DhhmacResponderOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  // Required unless skip_replay_check (see PskResponderOptions).
  replay::ReplayCache* replay_cache = nullptr;
  bool skip_replay_check = false;
  // IDr in the R_MESSAGE.
  std::optional<IdPayload> id_r;
  // IDi for the R_MESSAGE when the I_MESSAGE carries none (the R_MESSAGE
  // shape has a mandatory IDi; without either it is left out).
  std::optional<IdPayload> peer_id_i;
  // If not empty, only these suites are accepted.
  std::vector<const srtp::CryptoSuite*> allowed_suites;
  // DH-Group numbers accepted.
  std::vector<uint8_t> allowed_dh_groups = DefaultAllowedDhGroups();
};

// Processes an I_MESSAGE: structure, algorithms, the KEMAC MAC (constant
// time, before anything else is looked at), the timestamp window, the DH
// group and DHi; then a fresh key pair from `rng`, the keys and the
// R_MESSAGE. The replay cache is updated only as the last step of a fully
// successful call.
DhResponse RespondDhhmac(absl::Span<const uint8_t> i_message,
                         absl::Span<const uint8_t> psk,
                         const DhhmacResponderOptions& options,
                         const Clock& clock, RandomSource& rng);

// The Initiator's last step: verifies the R_MESSAGE (MAC, CSB ID, DHi = ours,
// IDi, timestamp, DHr) and derives the keys the Responder derived. An Error
// message is FAILED_PRECONDITION naming its error numbers and whether its V
// verified.
absl::StatusOr<KeyResult> CompleteDhhmac(
    absl::Span<const uint8_t> r_message, const DhInitiatorState& state,
    absl::Span<const uint8_t> psk, const Clock& clock,
    absl::Duration max_clock_skew = kDefaultMaxClockSkew);

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_DHHMAC_H_
