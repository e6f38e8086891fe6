// Helpers shared by the DH (dh.cc) and DHHMAC (dhhmac.cc) translation units:
// message shapes, the key agreement on both sides, replay bookkeeping. Not
// API.

#ifndef MIKEY_CORE_EXCHANGE_DH_INTERNAL_H_
#define MIKEY_CORE_EXCHANGE_DH_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/dh.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/internal.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {
namespace dh_internal {

using exchange_internal::Refusal;

// MIKEY DH-Group numbers (RFC 3830 §6.4; 255 is this project's X25519).
std::optional<DhGroup> DhGroupFromWire(uint8_t group);
uint8_t WireDhGroup(DhGroup group);

// A parsed I_MESSAGE of either mode:
//   DH:     HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi
//   DHHMAC: HDR, T, RAND, [IDi], IDr, {SP}, DHi, KEMAC (RFC 4650 §3: no CERT,
//           a single ID payload is IDr)
// (SP, IDR and general extension payloads may sit anywhere before the last
// payload; the authentication payload must be last).
struct DhIMessage {
  Message m;
  MessageLayout layout;
  size_t t = 0;
  size_t rand = 0;
  size_t dh = 0;
  size_t auth = 0;  // the SIGN or KEMAC payload: always the last
  std::optional<size_t> id_i;
  std::optional<size_t> id_r;
  std::vector<size_t> certs;

  const TimestampPayload& T() const;
  absl::Span<const uint8_t> Rand() const;
  const DhPayload& Dh() const;
  const IdPayload* IdI() const;  // null when absent
  const IdPayload* IdR() const;
  absl::Span<const uint8_t> IdIData() const;  // empty when absent
  absl::Span<const uint8_t> IdRData() const;
  std::vector<Bytes> CertData() const;  // CERT payload data, in order
};

// Parses and checks the payload set. A data type other than `data_type` sets
// *wrong_data_type (when given) and fails; `auth_payload` is
// payload_type::kSign or kKemac.
absl::StatusOr<DhIMessage> ParseDhIMessage(absl::Span<const uint8_t> wire,
                                           uint8_t data_type,
                                           uint8_t auth_payload,
                                           bool* wrong_data_type);

// A parsed R_MESSAGE: HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr (DH) or
// HDR, T, [IDr], IDi, DHr, DHi, KEMAC (DHHMAC, no CERT).
// The first DH payload is DHr, the second DHi. With two ID payloads the first
// is IDr and the second IDi; a single one is IDi.
struct DhRMessage {
  Message m;
  MessageLayout layout;
  size_t t = 0;
  size_t dh_r = 0;
  size_t dh_i = 0;
  size_t auth = 0;
  std::optional<size_t> id_i;
  std::optional<size_t> id_r;
  std::vector<size_t> certs;

  const TimestampPayload& T() const;
  const DhPayload& DhR() const;
  const DhPayload& DhI() const;
  const IdPayload* IdI() const;
  const IdPayload* IdR() const;
  std::vector<Bytes> CertData() const;
};

absl::StatusOr<DhRMessage> ParseDhRMessage(absl::Span<const uint8_t> wire,
                                           uint8_t data_type,
                                           uint8_t auth_payload);

// ---------------------------------------------------------------------------
// Initiator.

struct DhInitiatorCommon {
  std::vector<DhStreamSpec> streams;
  std::optional<uint32_t> csb_id;
  uint8_t prf_func = prf_func::kMikey1;
  uint8_t dh_group = dh_group::kOakley5;
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;
  std::vector<Bytes> certs_i;  // CERT payloads (DH mode), leaf first
  size_t rand_length = 16;
  KeyValidity tgk_validity;
  srtp::SpDialect sp_dialect = srtp::SpDialect::kRfc3830;
};

// Checks the options (naming `caller` in errors) and builds the I_MESSAGE
// without its authentication payload, with a fresh key pair in *key_pair.
absl::StatusOr<Message> BuildIMessage(const DhInitiatorCommon& options,
                                      uint8_t data_type,
                                      absl::string_view caller,
                                      const Clock& clock, RandomSource& rng,
                                      std::optional<DhKeyPair>* key_pair);

// The Initiator's state after Initiate: the I_MESSAGE, the private value of
// `key_pair` and their key check (DhKeyCheck).
absl::StatusOr<DhInitiatorState> MakeInitiatorState(uint8_t data_type,
                                                    Bytes i_message,
                                                    const DhKeyPair& key_pair);

// Restores the Initiator's parsed I_MESSAGE and private value from its state,
// checking that they belong together: by the state's key check, or, for a
// state without one, by recomputing g^x.
struct RestoredInitiator {
  DhIMessage im;
  DhGroup group;
  SecretBytes private_value;
};
absl::StatusOr<RestoredInitiator> RestoreInitiator(
    const DhInitiatorState& state, uint8_t data_type, uint8_t auth_payload);

// Checks everything about an (already authenticated) R_MESSAGE except its
// authentication, and derives the keys: CSB ID, PRF and CS map against the
// I_MESSAGE, DHi = ours, IDi = ours if we sent one, the timestamp window,
// DHr; then TGK = DHr^x and the per-stream keys.
absl::StatusOr<KeyResult> CompleteAgreement(const RestoredInitiator& init,
                                            const DhRMessage& rm,
                                            const Clock& clock,
                                            absl::Duration max_clock_skew);

// ---------------------------------------------------------------------------
// Responder.

struct ResponderLimits {
  absl::Duration max_clock_skew;
  std::vector<const srtp::CryptoSuite*> allowed_suites;
  std::vector<uint8_t> allowed_dh_groups;
};

// Responder-side checks that need no key: PRF supported, RAND long enough,
// SRTP-ID map with at least one entry. Sets *refusal.
absl::Status CheckIMessageBasics(const DhIMessage& im, Refusal* refusal);

// The key agreement on an authenticated I_MESSAGE: the timestamp window, the
// DH group (allowed?) and DHi (valid?), the security policies; then a fresh
// key pair, the TGK and the per-stream keys. Sets *refusal on failure.
struct ResponderAgreement {
  KeyResult keys;
  std::optional<DhKeyPair> key_pair;
};
absl::StatusOr<ResponderAgreement> RespondAgreement(
    const DhIMessage& im, const ResponderLimits& limits, const Clock& clock,
    RandomSource& rng, Refusal* refusal);

// The R_MESSAGE without its authentication payload:
//   HDR (data type `data_type`, V=0), T (the I_MESSAGE's, RFC 3830 §3.3 /
//   §5.2), [IDr], CERTr..., [IDi], DHr, DHi (copied from the I_MESSAGE).
// IDi is the I_MESSAGE's IDi, else `id_i_fallback`; when neither exists the
// R_MESSAGE carries no IDi.
Message BuildRMessage(const DhIMessage& im, uint8_t data_type,
                      const DhKeyPair& key_pair,
                      const std::optional<IdPayload>& id_r,
                      const std::vector<Bytes>& certs_r,
                      const std::optional<IdPayload>& id_i_fallback,
                      const Clock& clock);

// HDR (data type 6, V=0), T (the I_MESSAGE's, RFC 3830 §5.2), ERR, {SP}
// (the `allowed` suites for Invalid SP / SPpar, §5.1.2): the start of an
// Error message answering `im` (HDR, T, {ERR}, {SP}, [V|SIGNr]).
Message ErrorMessageSkeleton(const DhIMessage& im, uint8_t error_no,
                             absl::Span<const srtp::CryptoSuite* const> allowed,
                             const Clock& clock);

// The unauthenticated Invalid DT answer to a parseable message of another
// data type, or empty.
Bytes InvalidDataTypeReply(absl::Span<const uint8_t> wire, const Clock& clock);

// Replay protection (RFC 3830 §5.4), the last step of a successful Respond:
// records CSB ID, T, RAND and the first octets of `auth_field` under
// `prefix` until T + skew. ALREADY_EXISTS becomes FAILED_PRECONDITION with
// error Invalid TS in *refusal.
absl::Status CommitReplay(const DhIMessage& im, absl::string_view prefix,
                          absl::Span<const uint8_t> auth_field,
                          replay::ReplayCache* cache,
                          absl::Duration max_clock_skew, const Clock& clock,
                          Refusal* refusal);

// Refusal helper: stores the refusal and returns its status.
absl::Status RefuseWith(Refusal* refusal, absl::Status status,
                        std::optional<uint8_t> error_no);

}  // namespace dh_internal
}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_DH_INTERNAL_H_
