// MIKEY public-key mode (RFC 3830 §3.2, §4.1.4, §5.2, §6.3).
//
//   Initiator                              Responder
//   I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, KEMAC, [CHASH],
//               PKE, SIGNi                                         ->
//                                 <-  R_MESSAGE = HDR, T, [IDr], V   (V flag)
//                                 <-  or Error = HDR, T, {ERR}, {SP}, [V]
//   (T in the answers is the Initiator's: RFC 3830 §5.2)
//
//   PKE   = E(PKr, env_key): a fresh envelope key encrypted with RSAES-
//           PKCS1-v1_5 under the Responder's certificate key;
//   KEMAC = E(encr_key, IDi || {TGK}) || MAC, encr_key / auth_key / salt
//           derived from env_key exactly as PSK mode derives them from the
//           PSK (§4.1.4, cs_id 0xFF); the MAC covers the KEMAC payload
//           minus the MAC field, its Next payload taken as zero (§5.2); the
//           encrypted IDi is required and checked (§3.2);
//   CHASH = SHA-1 of the Responder's DER certificate, when the Initiator
//           names which of the Responder's certificates it used;
//   SIGNi = RSA signature by the Initiator over the message up to the
//           Signature field (SIGN header included).
// See pubkey_common.h and pk.cc for the readings of the RFC this relies on.
//
// The Responder checks, in order: structure and data type; the Initiator's
// certificate (chain and/or pin at the clock's time, keyUsage
// digitalSignature); SIGNi — before anything is decrypted; IDi binding to the
// certificate; the timestamp window; then decrypts PKE, checks the KEMAC MAC,
// decrypts the KEMAC and derives per-stream keys as PSK does. The replay
// cache is updated only as the last step of a successful call.
//
// Status codes as in psk.h: INVALID_ARGUMENT malformed, FAILED_PRECONDITION
// verification failures (certificate, signature, MAC, timestamp, replay,
// policy), UNIMPLEMENTED unsupported features. Errors the peer is told
// about: Invalid Cert (8) for certificate failures, Invalid ID (7) for an
// identity that the certificate does not name, Auth failure (0) for a bad
// signature or MAC, Invalid TS (1), Invalid SP / SPpar, Invalid PRF / EA /
// MAC. Only an Error sent after the envelope key was recovered carries a V
// payload.

#ifndef MIKEY_CORE_EXCHANGE_PK_H_
#define MIKEY_CORE_EXCHANGE_PK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {

// One's own certificate chain (leaf first) and the leaf's private key. The
// key is borrowed: it must outlive the call.
struct PkCredential {
  std::vector<pki::Certificate> chain;
  const RsaPrivateKey* key = nullptr;
};

// ---------------------------------------------------------------------------
// Initiator.

struct PkInitiatorOptions {
  std::vector<PskStreamSpec> streams;      // 1 to 255
  std::optional<uint32_t> csb_id;          // random when absent
  uint8_t prf_func = prf_func::kMikey1;    // kMikey1 or kMikey256
  uint8_t encr_alg = encr_alg::kAesCm128;  // or kAesKw128
  std::optional<uint8_t> mac_alg;          // default as in PSK mode
  bool v_flag = false;
  size_t rand_length = 16;
  size_t tgk_length = 0;  // 0: longest master key of the streams' suites
  KeyValidity tgk_validity;
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;
  size_t envelope_key_length = 16;  // 16 to 64 octets

  // Signer: CERTi payloads carry `credential.chain` (unless send_certificate
  // is false: the Responder then knows it already); SIGNi uses its key.
  PkCredential credential;
  bool send_certificate = true;
  RsaSignatureParams signature;
  // IDi in clear (optional) and inside the KEMAC (mandatory in §3.2; taken
  // from id_i, else from the certificate's first SAN URI / e-mail).
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> kemac_id;
  std::optional<IdPayload> id_r;

  // The Responder's certificate: its key encrypts the envelope key. Checked
  // with `responder_verifier` (keyUsage keyEncipherment) when one is given.
  std::optional<pki::Certificate> responder_certificate;
  const pki::CertificateVerifier* responder_verifier = nullptr;
  bool send_chash = false;  // name it in a CHASH payload (SHA-1)
};

struct PkInitiation {
  Bytes i_message;
  KeyResult keys;  // what the Responder will derive
  // Keeps the envelope key to check the Responder's verification message.
  SecretBytes envelope_key;
};

absl::StatusOr<PkInitiation> InitiatePk(const PkInitiatorOptions& options,
                                        const Clock& clock, RandomSource& rng);

// Checks the Responder's answer (data type 3 verification message, or an
// Error message: FAILED_PRECONDITION naming its errors) to `i_message`.
absl::Status VerifyPkResponse(
    absl::Span<const uint8_t> response, absl::Span<const uint8_t> i_message,
    absl::Span<const uint8_t> envelope_key, const Clock& clock,
    absl::Duration max_clock_skew = kDefaultMaxClockSkew);

// ---------------------------------------------------------------------------
// Responder.

struct PkResponderOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  replay::ReplayCache* replay_cache = nullptr;  // required unless skipped
  bool skip_replay_check = false;
  // Trust for the Initiator's certificate (required).
  const pki::CertificateVerifier* verifier = nullptr;
  // Used when the I_MESSAGE carries no CERT payload.
  std::vector<pki::Certificate> initiator_chain;
  size_t min_rsa_bits = 2048;
  // Hashes accepted in SIGNi (both RSA schemes); add kSha1 for old peers.
  std::vector<HashAlg> signature_hashes = {HashAlg::kSha256};
  // Require every IDi (clear and in the KEMAC) to name the certificate's
  // subject (pki::CertificateNamesId).
  bool require_identity_binding = true;
  // Own certificates and keys; CHASH picks one, else the first is used.
  std::vector<PkCredential> credentials;
  std::optional<IdPayload> id_r;  // put in the R_MESSAGE
  std::vector<const srtp::CryptoSuite*> allowed_suites;
};

struct PkResponse {
  absl::Status status;
  std::optional<KeyResult> keys;  // set iff status is OK
  Bytes reply;                    // R_MESSAGE (V flag), Error, or empty
  std::optional<uint8_t> error_no;
  // The Initiator's verified leaf certificate (set iff status is OK).
  std::optional<pki::Certificate> peer_certificate;
};

PkResponse RespondPk(absl::Span<const uint8_t> i_message,
                     const PkResponderOptions& options, const Clock& clock);

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_PK_H_
