// What MIKEY's two Diffie-Hellman modes share: DH with signatures (RFC 3830
// §3.3, dh.h) and DHHMAC, DH with a MAC keyed from a pre-shared key
// (RFC 4650, dhhmac.h).
//
//   Initiator                                   Responder
//   I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi | KEMAC  ->
//          <-  R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr | KEMAC
// (DHHMAC, RFC 4650 §3: [IDi], IDr in the I_MESSAGE and no CERT; the
// R_MESSAGE's T is the Initiator's, RFC 3830 §3.3.)
//
// TGK = g^(xi * xr), the raw shared secret as a fixed-length big-endian
// integer (96, 128 or 192 octets for OAKLEY 1, 2, 5; 32 for X25519), used
// as the PRF inkey as it is. SRTP master keys and salts then follow from the
// TGK per crypto session exactly as in PSK mode (RFC 3830 §4.1.3: cs_id =
// the 1-based index in the SRTP-ID map, the CSB ID and the I_MESSAGE's RAND).
//
// Both modes have the same three steps:
//   Initiate  builds the I_MESSAGE with a fresh key pair and returns a
//             DhInitiatorState: the private key and the I_MESSAGE, which the
//             service seals into a token (it holds a private key: only ever
//             store or send it encrypted and authenticated);
//   Respond   verifies the I_MESSAGE, draws the Responder's fresh key pair,
//             derives the keys and builds the R_MESSAGE (or an Error message);
//   Complete  the Initiator verifies the R_MESSAGE against its state and
//             derives the same keys.
//
// Status codes are those of psk.h: INVALID_ARGUMENT for malformed input (and
// invalid DH public values), FAILED_PRECONDITION for what fails verification
// or local policy, UNIMPLEMENTED for known but unsupported features.

#ifndef MIKEY_CORE_EXCHANGE_DH_COMMON_H_
#define MIKEY_CORE_EXCHANGE_DH_COMMON_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"

namespace mikey {
namespace exchange {

// The streams an Initiator offers (SSRC, ROC, SRTP policy), as in PSK mode.
using DhStreamSpec = PskStreamSpec;

// The DH groups a Responder accepts unless told otherwise: OAKLEY 5 (RFC 3830
// makes it mandatory to support) and OAKLEY 2. OAKLEY 1 (768-bit, within
// reach of well-funded attackers) and this project's private-use X25519
// (255) must be listed explicitly.
std::vector<uint8_t> DefaultAllowedDhGroups();

// What an Initiator keeps between Initiate and Complete.
struct DhInitiatorState {
  uint8_t data_type = data_type::kDhhmacInit;  // kDhInit or kDhhmacInit
  Bytes i_message;                             // exactly as sent
  SecretBytes dh_private;  // the DH private value (see DhKeyPair)
  // Set by Initiate: DhKeyCheck (core/crypto/dh.h) of dh_private and the
  // I_MESSAGE's DH value. Complete compares it to refuse a private key that
  // does not belong to the I_MESSAGE (a corrupted or mixed-up state) without
  // recomputing g^x, a modular exponentiation as costly as the key agreement
  // itself. Empty (a state built by other code, or serialized in version 1):
  // Complete recomputes g^x and compares it with DHi instead.
  Bytes key_check;
};

// A versioned binary form of the state, for sealing into a token. It contains
// the DH private key, hence SecretBytes. Version 2 carries key_check, version
// 1 (still parsed, and written for a state without key_check) does not.
absl::StatusOr<SecretBytes> SerializeDhInitiatorState(
    const DhInitiatorState& state);
// INVALID_ARGUMENT for anything that is not a state this code serialized.
absl::StatusOr<DhInitiatorState> ParseDhInitiatorState(
    absl::Span<const uint8_t> serialized);

// The Responder's result, for both modes.
struct DhResponse {
  absl::Status status;
  // Set iff status is OK.
  std::optional<KeyResult> keys;
  // The R_MESSAGE when status is OK; an Error message (data type 6) when the
  // I_MESSAGE could be parsed but was refused (authenticated by V or SIGN
  // whenever the mode's key allows); possibly empty.
  Bytes reply;
  // The ERR payload's error number when `reply` is an Error message.
  std::optional<uint8_t> error_no;
};

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_DH_COMMON_H_
