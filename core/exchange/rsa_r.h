// MIKEY-RSA-R (RFC 4738): the public-key mode in reverse. The Initiator asks;
// the Responder generates the TGK and returns it under the Initiator's
// public key (member-initiated group key download, call forwarding: the
// Initiator need not know the Responder's key in advance).
//
//   Initiator                              Responder
//   I_MESSAGE (data type 9) =
//     HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, SIGNi             ->
//                       <-  R_MESSAGE (data type 10) =
//                           HDR, T, [RAND], [IDr|CERTr], [SP], KEMAC, PKE,
//                           SIGNr
//                       <-  or Error = HDR, T, {ERR}
//
//   PKE   = E(PKi, env_key), RSAES-PKCS1-v1_5 under the key of the
//           Initiator's certificate (so that certificate must allow
//           keyEncipherment as well as digitalSignature);
//   KEMAC = E(encr_key, IDr || {TGK}) || MAC, keys from env_key (§4.1.4 of
//           RFC 3830, cs_id 0xFF) with the RAND in use and the CSB ID; the
//           AES-CM IV uses the R_MESSAGE's timestamp (the message carrying
//           the KEMAC); the MAC covers the KEMAC payload as in PK mode.
// RAND in use: the R_MESSAGE's RAND if it has one (the Responder sets it to
// give every group member the same keys), else the I_MESSAGE's.
// Policies: the R_MESSAGE's SP payloads if it has any, else the
// I_MESSAGE's. The R_MESSAGE's CS ID map (the Responder may fill SSRCs) must
// have as many entries as the I_MESSAGE's.
//
// Readings (RFC 4738 text could not be retrieved while this was written;
// shapes checked against the authors' MSEC slides, IETF 62, "R_MESSAGE ...
// PKE encrypted with Initiator public key (PKi); KEMAC includes encrypted
// Identity of responder (IDr) & TGKs, plus a MAC; also includes responder
// CERTr or IDr"; the rest is memory of the RFC plus minisip's
// MikeyMessageRSAR): the Initiator's certificate is needed by the Responder
// (to encrypt), so it is sent unless the Responder is configured with it.
//
// Status codes and error numbers as in pk.h. The Responder's Error messages
// carry no V (no key is shared yet).

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
  // A group RAND for the R_MESSAGE (16 to 255 octets); empty: none, the
  // I_MESSAGE's RAND is used.
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
