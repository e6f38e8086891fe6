// MIKEY-RSA-R (RFC 4738): the public-key mode in reverse. The Initiator asks;
// the Responder generates the TGK and returns it under the Initiator's
// public key (member-initiated group key download, call forwarding: the
// Initiator need not know the Responder's key in advance).
//
// RFC 4738 §3.1: "I_MESSAGE = HDR, T, [RAND], [IDi|CERTi], [IDr], {SP},
// SIGNi"; "R_MESSAGE = HDR, [GenExt(CSB_ID)], T, [RAND], [IDr|CERTr], [SP],
// KEMAC, PKE, SIGNr"; data types 9 / 10 (§3.9.1). Or Error = HDR, T, {ERR},
// {SP} (RFC 3830 §5.1.2; unauthenticated: no key is shared yet).
//
//   - I_MESSAGE (§3.4): "The V bit MUST be set to '1' and ignored by the
//     Responder"; RAND "SHOULD be included ... for unicast" (sent unless
//     RsaRInitiatorOptions::send_rand is off); signed as in RFC 3830 §5.2.
//   - T (§3.6): "The T payload is exactly the same as that received in the
//     I_MESSAGE." The KEMAC's AES-CM IV therefore uses the Initiator's T.
//   - RAND (§3.6): "If the I_MESSAGE did not include the RAND payload, it
//     MUST be present in the R_MESSAGE. In case it has been included in the
//     I_MESSAGE, it MUST NOT be present in the R_MESSAGE. In group
//     communication, the Responder always sends the RAND payload". The RAND
//     in use is the one sent; in group mode the Responder's (§3.5: "the
//     R_MESSAGE for multicast communication MUST contain a RAND payload and
//     that RAND payload is used for key computation"). §3.7: the Initiator
//     "MUST silently discard" an R_MESSAGE with a RAND when its I_MESSAGE had
//     one (except in group mode, recognised by GenExt(CSB_ID)), and one
//     without a RAND when its I_MESSAGE had none.
//   - Group mode (§3.2, §3.6): the Responder "MUST include a General
//     Extension Payload containing a new CSB_ID" (type 4, Table 6.15 of
//     §3.9.3; 4 octets here) and "the Initiator and the Responder MUST use
//     that value in key material computation" -- the TEK derivation and the
//     KEMAC keys and IV alike; the HDR keeps the I_MESSAGE's CSB ID. It MUST
//     NOT be present in unicast. Set RsaRResponderOptions::group_csb_id with
//     group_rand (and usually group_tgk) for it.
//   - SP (§3.6): "If an SP payload was in the I_MESSAGE, then the R_MESSAGE
//     MUST contain an SP payload specifying the security policies" -- the
//     Responder returns the I_MESSAGE's SP payloads its CS map uses; §3.7:
//     an R_MESSAGE with a policy not offered in the I_MESSAGE is discarded.
//   - KEMAC (§3.6): "KEMAC = E(encr_key, IDr || {TGK}) || MAC", keys from
//     the envelope key as in RFC 3830 §4.1.4 with the RAND and CSB ID in
//     use; "a MAC, which is calculated over the KEMAC payload" as RFC 3830
//     §6.2 defines it for the public-key case (Next payload taken as zero,
//     pubkey_common.h). PKE = E(PKi, env_key), RSAES-PKCS1-v1_5 under the key
//     of the Initiator's certificate (which must allow keyEncipherment).
//   - SIGNr (§3.6): "the Responder MUST sign: R_MESSAGE (excluding the SIGNr
//     payload itself) || IDi || IDr || T. Note that the added identities and
//     timestamp are identical to those transported in the ID and T
//     payloads." Read with §3.3 ("Preparation and parsing of RSA-R messages
//     are as described in Sections 5.2 and 5.3 of RFC 3830"): everything
//     but the Signature field, as RFC 3830 §5.2 signs (minisip, the one
//     implementation, signs the same span), then the ID data of IDi (the
//     I_MESSAGE's) and IDr (the R_MESSAGE's, else the I_MESSAGE's), empty
//     when absent, then the TS value of T.
//
// Not implemented: an I_MESSAGE with no crypto session (#CS 0, listen-only
// group members, §3.4) -- the Responder needs the I_MESSAGE's CS map; error
// 13 ("Unsupported message type", §3.9.2) for unparseable messages (no reply
// is sent for those).

#ifndef MIKEY_CORE_EXCHANGE_RSA_R_H_
#define MIKEY_CORE_EXCHANGE_RSA_R_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/pk.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

// ---------------------------------------------------------------------------
// Initiator.

struct RsaRInitiatorOptions {
  std::vector<PskStreamSpec> streams;  // 1 to 255: CS ID map and SPs
  std::optional<uint32_t> csb_id;      // random when absent
  uint8_t prf_func = prf_func::kMikey1;
  size_t rand_length = 16;
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;
  PkCredential credential;  // CERTi and the key for SIGNi (and PKE)
  bool send_certificate = true;
  RsaSignatureParams signature;
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;
  // RFC 4738 §3.4: RAND "SHOULD be included in the I_MESSAGE when MIKEY-RSA-R
  // mode is used for unicast"; a group member may leave it out (the
  // Responder then sends one).
  bool send_rand = true;
};

absl::StatusOr<Bytes> InitiateRsaR(const RsaRInitiatorOptions& options,
                                   const Clock& clock, RandomSource& rng);

struct RsaRCompleteOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  // Trust for the Responder's certificate (required).
  const pki::CertificateVerifier* verifier = nullptr;
  // Used when the R_MESSAGE carries no CERT payload.
  std::vector<pki::Certificate> responder_chain;
  size_t min_rsa_bits = 2048;
  std::vector<HashAlg> signature_hashes = {HashAlg::kSha256};
  bool require_identity_binding = true;
  // The Initiator's own private key (decrypts PKE).
  const RsaPrivateKey* key = nullptr;
  std::vector<const srtp::CryptoSuite*> allowed_suites;
};

// Checks the Responder's R_MESSAGE (or Error: FAILED_PRECONDITION naming its
// errors) to `i_message` and returns the keys it carries.
absl::StatusOr<KeyResult> CompleteRsaR(absl::Span<const uint8_t> r_message,
                                       absl::Span<const uint8_t> i_message,
                                       const RsaRCompleteOptions& options,
                                       const Clock& clock);

// ---------------------------------------------------------------------------
// Responder.

struct RsaRResponderOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  replay::ReplayCache* replay_cache = nullptr;  // required unless skipped
  bool skip_replay_check = false;
  const pki::CertificateVerifier* verifier = nullptr;  // required
  std::vector<pki::Certificate> initiator_chain;       // if no CERTi is sent
  size_t min_rsa_bits = 2048;
  std::vector<HashAlg> signature_hashes = {HashAlg::kSha256};
  bool require_identity_binding = true;
  std::vector<const srtp::CryptoSuite*> allowed_suites;

  PkCredential credential;  // CERTr and the key for SIGNr
  bool send_certificate = true;
  RsaSignatureParams signature;
  // IDr in clear (optional) and inside the KEMAC (from id_r, else the
  // certificate's first SAN URI / e-mail, else none).
  std::optional<IdPayload> id_r;
  uint8_t encr_alg = encr_alg::kAesCm128;
  std::optional<uint8_t> mac_alg;  // default from the PRF, as in PSK mode
  size_t tgk_length = 0;           // 0: longest master key of the suites
  KeyValidity tgk_validity;
  size_t envelope_key_length = 16;
  // Group mode (RFC 4738 §3.2): the CSB ID every member uses, sent in a
  // General Extension payload (type 4) and used for all key derivation; the
  // R_MESSAGE then always carries `group_rand` (required with it, 16 to 255
  // octets) and SP payloads. Without it (unicast) group_rand must be empty:
  // the RAND is the I_MESSAGE's, or a fresh one when it has none.
  std::optional<uint32_t> group_csb_id;
  Bytes group_rand;
  // A group TGK to hand out instead of a fresh one (must then be given for
  // every member so they all get the same keys); empty: fresh.
  SecretBytes group_tgk;
};

struct RsaRResponse {
  absl::Status status;
  std::optional<KeyResult> keys;  // set iff status is OK
  Bytes reply;                    // R_MESSAGE, Error, or empty
  std::optional<uint8_t> error_no;
  std::optional<pki::Certificate> peer_certificate;
};

RsaRResponse RespondRsaR(absl::Span<const uint8_t> i_message,
                         const RsaRResponderOptions& options,
                         const Clock& clock, RandomSource& rng);

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_RSA_R_H_
