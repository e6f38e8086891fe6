// Helpers shared by the exchange modes' translation units. Not API.

#ifndef MIKEY_CORE_EXCHANGE_INTERNAL_H_
#define MIKEY_CORE_EXCHANGE_INTERNAL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace exchange {
namespace exchange_internal {

// A refusal: the status to return and, when the peer should be told, the
// error number for an Error message (RFC 3830 §6.12).
struct Refusal {
  absl::Status status;
  std::optional<uint8_t> error_no;
};

inline Refusal Refuse(absl::Status status,
                      std::optional<uint8_t> error_no = std::nullopt) {
  return Refusal{std::move(status), error_no};
}

// "Auth failure", "Invalid TS", ... for messages.
const char* ErrorName(uint8_t error_no);

// The hash and key/MAC length of a KEMAC MAC alg / V auth alg; nullopt for
// NULL and unknown values.
std::optional<HashAlg> MacHash(uint8_t mac_alg);
size_t MacLength(uint8_t mac_alg);  // 0 for NULL and unknown

// The T payload's value as it is on the wire (8 octets, or 4 for the 32-bit
// types).
Bytes TimestampWire(const TimestampPayload& t);

// The 64-bit T of the KEMAC AES-CM IV (RFC 3830 §4.2.3) for a T payload:
// NTP / NTP-UTC as they are, COUNTER zero-extended (§6.6), NTP-UTC-32 with
// a zero fraction, i.e. shifted left 32 bits (RFC 6043 §6.3).
uint64_t IvTimestamp(const TimestampPayload& t);

// The T payload of a message the Responder sends: RFC 3830 §5.2, "The
// Responder does not create a new timestamp, but uses the timestamp used by
// the Initiator" -- the Initiator's T payload (same type and value) when
// `initiator_t` is known, else (a message too broken to have one) NTP-UTC
// now.
TimestampPayload ResponderTimestamp(const TimestampPayload* initiator_t,
                                    const Clock& clock);

// The first T payload of a parseable message, or null (for answering a
// message of another data type, whose T is still the Initiator's).
const TimestampPayload* FirstTimestamp(const Message& m);

// RFC 3830 §5.1.2: "If the Responder does not support the set of parameters
// suggested by the Initiator, the error message SHOULD include the supported
// parameters" (HDR, T, {ERR}, {SP}, [V|SIGNr]). Appends one SP payload per
// suite of `allowed` when `error_no` is Invalid SP or Invalid SPpar and
// `allowed` is not empty; otherwise does nothing.
void AppendSupportedPolicies(Message* m, uint8_t error_no,
                             absl::Span<const srtp::CryptoSuite* const> allowed,
                             srtp::SpDialect dialect);

// Checks an NTP / NTP-UTC timestamp against `clock` within `skew` either
// way: FAILED_PRECONDITION (with error Invalid TS) outside it. Other types
// are refused too (COUNTER is checked by the caller's store).
std::optional<Refusal> CheckNtpWindow(const TimestampPayload& t,
                                      const Clock& clock, absl::Duration skew,
                                      absl::string_view what);

// The SRTP policy that SP payload `policy_no` of `m` describes (RFC 3830
// defaults when `m` has no such SP), refused with Invalid SP / Invalid SPpar
// when unusable or, if `allowed` is not empty, not in it.
absl::StatusOr<srtp::SrtpPolicy> PolicyFor(
    const Message& m, uint8_t policy_no,
    absl::Span<const srtp::CryptoSuite* const> allowed,
    std::optional<uint8_t>* error_no);

// The SP payloads describing `policies` (one per distinct policy, numbered
// from 0 in order of first use), and the policy number of each input.
void SecurityPolicies(absl::Span<const srtp::SrtpPolicy> policies,
                      srtp::SpDialect dialect,
                      std::vector<SecurityPolicyPayload>* sps,
                      std::vector<uint8_t>* policy_nos);

// HMAC over `pieces` with the hash of `mac_alg` (which must be supported).
absl::StatusOr<Bytes> Mac(
    uint8_t mac_alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> pieces);

// Serializes `m`, whose last payload is a KEMAC or V holding a MAC of the
// right length (contents ignored), then writes into that MAC field the MAC
// of everything before it followed by `suffix` pieces.
absl::StatusOr<Bytes> SerializeWithTrailingMac(
    const Message& m, uint8_t mac_alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> suffix);

// The wire bytes of `wire` except the MAC field [mac_begin, mac_end): the
// part before and the part after.
struct MacInput {
  absl::Span<const uint8_t> before;
  absl::Span<const uint8_t> after;
  absl::Span<const uint8_t> mac;
};
// For the payload at `index` of a parsed message whose MAC field is its last
// `mac_len` octets (KEMAC and V both end with their MAC).
MacInput SplitAtMac(absl::Span<const uint8_t> wire, const MessageLayout& layout,
                    size_t index, size_t mac_len);

// Index of the first payload of type T in `m`, or nullopt.
template <typename T>
std::optional<size_t> IndexOf(const Message& m) {
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    if (std::holds_alternative<T>(m.payloads[i])) return i;
  }
  return std::nullopt;
}

// A non-zero random CSB ID unless one is given.
absl::StatusOr<uint32_t> ChooseCsbId(std::optional<uint32_t> given,
                                     RandomSource& rng);

// ---------------------------------------------------------------------------
// Shared by the modes that carry a KEMAC (PSK, PK, RSA-R): limits, the
// message-protection keys of §4.1.4 / §4.2.3, AES-KW padding and the
// per-crypto-session derivation of §4.1.3.

inline constexpr size_t kMinPskLength = 16;
inline constexpr size_t kMinTgkLength = 16;
inline constexpr size_t kMaxTgkLength = 256;
inline constexpr size_t kMinRandLength = 16;
inline constexpr size_t kAesKwBlock = 8;

// The PRF hash for the PRF funcs the modes support (0 and 1).
std::optional<HashAlg> SupportedPrf(uint8_t prf_func);
// HMAC-SHA-256-256 for PRF-HMAC-SHA-256, HMAC-SHA-1-160 otherwise.
uint8_t DefaultMacAlg(uint8_t prf_func);

// Argument checks every Initiate* makes the same way. `caller` names the
// function in the INVALID_ARGUMENT text ("InitiatePsk: RAND length 8 ...").
//
// The SRTP policy of each stream: 1 to 255 streams (the CS ID map's count
// is one octet), each with a suite. `Streams` is a vector of any of the
// modes' stream types (each has a `policy`).
template <typename Streams>
absl::StatusOr<std::vector<srtp::SrtpPolicy>> StreamPolicies(
    absl::string_view caller, const Streams& streams);
// The longest master key among `policies` (the default TGK length).
size_t MaxMasterKeyLength(absl::Span<const srtp::SrtpPolicy> policies);
// The PRF hash of `prf_func`, or INVALID_ARGUMENT.
absl::StatusOr<HashAlg> CheckPrfFunc(absl::string_view caller,
                                     uint8_t prf_func);
absl::Status CheckRandLength(absl::string_view caller, size_t rand_length);
absl::Status CheckTgkLength(absl::string_view caller, size_t tgk_length);
// The KEMAC's encryption (AES-CM-128 or AES-KW-128) and MAC algorithms;
// returns the MAC algorithm, `mac_alg` or the PRF's default.
absl::StatusOr<uint8_t> CheckKemacAlgs(absl::string_view caller,
                                       uint8_t encr_alg,
                                       std::optional<uint8_t> mac_alg,
                                       uint8_t prf_func);

// The algorithms and structure of a received I_MESSAGE that carries a
// KEMAC (PSK, PK), checked before any key is touched: the PRF func (Invalid
// PRF), the KEMAC encryption (AES-CM-128 or AES-KW-128; NULL is refused
// because with a MAC it would carry the TGK in clear: Invalid EA), its MAC
// (Invalid MA), RAND of at least 16 octets (`rand_present` false when the
// payload is missing) and a non-empty SRTP-ID CS ID map. Returns the hashes
// to use, or sets *refusal.
// The PRF hash of a received message's HDR, or UNIMPLEMENTED with error
// Invalid PRF (*refusal set).
absl::StatusOr<HashAlg> ReceivedPrf(const CommonHeader& hdr, Refusal* refusal);
struct ReceivedKemacAlgs {
  HashAlg prf;
  HashAlg mac;
};
absl::StatusOr<ReceivedKemacAlgs> CheckReceivedKemac(
    const CommonHeader& hdr, const KemacPayload& kemac,
    absl::Span<const uint8_t> rand, bool rand_present, Refusal* refusal);

// The Responder's commit, the last step of every mode: records `id` in
// `cache` until the I_MESSAGE's NTP time `t_ntp` plus `max_clock_skew` (and
// at least until just after now, so a message at the edge of the window is
// still held). A replay (ALREADY_EXISTS from the cache) is refused with
// FAILED_PRECONDITION and error Invalid TS, naming `what` ("PSK I_MESSAGE");
// other cache errors are passed on without an error number.
absl::Status CommitReplayId(replay::ReplayCache& cache, absl::string_view id,
                            uint64_t t_ntp, absl::Duration max_clock_skew,
                            const Clock& clock, absl::string_view what,
                            Refusal* refusal);
// The same mapping for a store's answer `commit` (the RFC 6043 counter
// store's CheckAndAdvance): OK stays OK, and *refusal is set otherwise.
absl::Status RefuseIfReplayed(absl::Status commit, absl::string_view what,
                              Refusal* refusal);

// AES-KW padding: zeros up to a multiple of 8, at least 16 octets.
SecretBytes PadForKeyWrap(const SecretBytes& plain);
// Parses a key data chain followed by up to 7 zero octets of AES-KW padding.
absl::StatusOr<std::vector<KeyDataPayload>> ParsePaddedKeyDataList(
    const SecretBytes& plain, size_t base_offset);

// §4.1.4 / §4.2.3 message keys from a pre-shared or envelope key.
struct MessageKeys {
  SecretBytes auth_key;
  SecretBytes encr_key;
  std::array<uint8_t, 16> iv{};    // AES-CM only
  std::array<uint8_t, 8> kw_iv{};  // AES-KW only: the 64-bit salt S
};
absl::StatusOr<SecretBytes> AuthKey(HashAlg prf, absl::Span<const uint8_t> psk,
                                    uint32_t csb_id,
                                    absl::Span<const uint8_t> rand,
                                    uint8_t mac);
// `t_value` is the IvTimestamp of the Initiator's T payload (AES-CM only).
// For AES-KW, kw_iv is the 64-bit salt (§4.2.3: "the key wrap IV is then set
// to S"), from the salt constant 0x29B88916 like the AES-CM salt.
absl::StatusOr<MessageKeys> DeriveMessageKeys(HashAlg prf,
                                              absl::Span<const uint8_t> psk,
                                              uint32_t csb_id,
                                              absl::Span<const uint8_t> rand,
                                              uint64_t t_value, uint8_t encr,
                                              uint8_t mac);

// TEK and salt of every crypto session (§4.1.3).
absl::StatusOr<KeyResult> DeriveStreams(
    HashAlg prf, absl::Span<const uint8_t> tgk, uint32_t csb_id,
    absl::Span<const uint8_t> rand, absl::Span<const SrtpCsEntry> entries,
    absl::Span<const srtp::SrtpPolicy> policies, const Bytes& mki);

template <typename Streams>
absl::StatusOr<std::vector<srtp::SrtpPolicy>> StreamPolicies(
    absl::string_view caller, const Streams& streams) {
  if (streams.empty() || streams.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        caller, ": ", streams.size(), " streams (expected 1 to 255)"));
  }
  std::vector<srtp::SrtpPolicy> policies;
  policies.reserve(streams.size());
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].policy.suite == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(caller, ": stream ", i, " has no SRTP suite"));
    }
    policies.push_back(streams[i].policy);
  }
  return policies;
}

}  // namespace exchange_internal
}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_INTERNAL_H_
