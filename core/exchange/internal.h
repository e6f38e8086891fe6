// Helpers shared by the exchange modes' translation units. Not API.

#ifndef MIKEY_CORE_EXCHANGE_INTERNAL_H_
#define MIKEY_CORE_EXCHANGE_INTERNAL_H_

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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
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

}  // namespace exchange_internal
}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_INTERNAL_H_
