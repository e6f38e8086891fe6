// MIKEY Diffie-Hellman mode with signatures (RFC 3830 §3.3, data types 4 and
// 5). See dh_common.h for what it shares with DHHMAC.
//
//   I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi   ->
//          <-  R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr
//          <-  or Error = HDR, T, {ERR}, {SP}, [SIGN]
//   (T in the answers is the Initiator's: RFC 3830 §3.3, §5.2)
//
// SIGNi / SIGNr: RSA PKCS#1 v1.5 (S type 0) or RSA-PSS (S type 1) by the
// sender's certificate key over the whole message except the Signature field
// itself, i.e. including the SIGN payload's S type / Signature len octets
// (RFC 3830 §5.2 / §6.5; pubkey_common.h has the details and the hash
// choice). Certificates come from CERT payloads (leaf first) or from
// configuration, and are checked with a pki::CertificateVerifier (chain
// and/or SPKI pins, validity at the clock's time, keyUsage
// digitalSignature). An IDi / IDr in the message must name the certificate's
// subject unless identity binding is turned off.
//
// The Responder checks, in order: structure and data type; PRF, RAND and the
// CS map; the Initiator's certificate; SIGNi (before anything else is acted
// on); IDi binding; the timestamp window; the DH group (allowed by policy)
// and DHi (1 < y < p-1, in the prime-order subgroup); the security policies.
// Only then does it draw its key pair and derive keys; the replay cache is
// updated as the last step. Errors it reports: Invalid Cert (8), Invalid ID
// (7), Auth failure (0) for a bad signature, Invalid TS (1), Invalid DH (6),
// Invalid SP / SPpar, Invalid PRF. Error messages are signed with the
// Responder's key.

#ifndef MIKEY_CORE_EXCHANGE_DH_H_
#define MIKEY_CORE_EXCHANGE_DH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh_common.h"
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

struct DhInitiatorOptions {
  std::vector<DhStreamSpec> streams;     // 1 to 255
  std::optional<uint32_t> csb_id;        // random when absent
  uint8_t prf_func = prf_func::kMikey1;  // kMikey1 or kMikey256
  // dh_group::kOakley5 (default), kOakley2, kOakley1, or kX25519Private
  // (non-standard: only for peers that agreed to it).
  uint8_t dh_group = dh_group::kOakley5;
  size_t rand_length = 16;
  KeyValidity tgk_validity;  // in DHi; an SPI becomes every stream's MKI
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;

  // Signer: CERTi payloads carry `credential.chain` (unless send_certificate
  // is false: the Responder then knows it already); SIGNi uses its key.
  PkCredential credential;
  bool send_certificate = true;
  RsaSignatureParams signature;
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;
};

struct DhInitiation {
  Bytes i_message;
  DhInitiatorState state;  // for CompleteDh; holds the DH private key
};

absl::StatusOr<DhInitiation> InitiateDh(const DhInitiatorOptions& options,
                                        const Clock& clock, RandomSource& rng);

// How the Initiator checks the R_MESSAGE.
struct DhCompleteOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  // Trust for the Responder's certificate (required).
  const pki::CertificateVerifier* verifier = nullptr;
  // Used when the R_MESSAGE carries no CERT payload.
  std::vector<pki::Certificate> responder_chain;
  size_t min_rsa_bits = 2048;
  // Hashes accepted in SIGNr; add kSha1 for old peers.
  std::vector<HashAlg> signature_hashes = {HashAlg::kSha256};
  // Require IDr (if present) to name the certificate's subject.
  bool require_identity_binding = true;
};

// Verifies the R_MESSAGE (certificate, SIGNr, CSB ID, DHi = ours, IDi,
// timestamp, DHr) and derives the keys the Responder derived. An Error
// message is FAILED_PRECONDITION naming its errors and whether its SIGN
// verified (against `responder_chain` or its own CERT payloads).
absl::StatusOr<KeyResult> CompleteDh(absl::Span<const uint8_t> r_message,
                                     const DhInitiatorState& state,
                                     const DhCompleteOptions& options,
                                     const Clock& clock);

// ---------------------------------------------------------------------------
// Responder.

struct DhResponderOptions {
  absl::Duration max_clock_skew = kDefaultMaxClockSkew;
  replay::ReplayCache* replay_cache = nullptr;  // required unless skipped
  bool skip_replay_check = false;
  // Trust for the Initiator's certificate (required).
  const pki::CertificateVerifier* verifier = nullptr;
  // Used when the I_MESSAGE carries no CERT payload.
  std::vector<pki::Certificate> initiator_chain;
  size_t min_rsa_bits = 2048;
  // Hashes accepted in SIGNi; add kSha1 for old peers.
  std::vector<HashAlg> signature_hashes = {HashAlg::kSha256};
  // Require IDi (if present) to name the certificate's subject.
  bool require_identity_binding = true;

  // Own certificate chain and key: CERTr (unless send_certificate is false)
  // and SIGNr (required).
  PkCredential credential;
  bool send_certificate = true;
  RsaSignatureParams signature;
  std::optional<IdPayload> id_r;  // IDr in the R_MESSAGE

  std::vector<const srtp::CryptoSuite*> allowed_suites;  // empty: all
  std::vector<uint8_t> allowed_dh_groups = DefaultAllowedDhGroups();
};

struct DhModeResponse : DhResponse {
  // The Initiator's verified leaf certificate (set iff status is OK).
  std::optional<pki::Certificate> peer_certificate;
};

// Processes a DH I_MESSAGE (see the order of checks above). The R_MESSAGE's
// IDi is the I_MESSAGE's IDi, else the identity the Initiator's certificate
// names (its first SAN URI or e-mail).
DhModeResponse RespondDh(absl::Span<const uint8_t> i_message,
                         const DhResponderOptions& options, const Clock& clock,
                         RandomSource& rng);

}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_DH_H_
