// Conversions between the API's messages and core's types for the exchange
// RPCs. No gRPC, no cryptography.

#ifndef MIKEY_SERVICE_BROKER_CONVERT_H_
#define MIKEY_SERVICE_BROKER_CONVERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {
namespace keybroker {

// "PSK", "PSK_NULL", "DH", ... ("" for MODE_UNSPECIFIED or unknown values):
// the names CallRecord.mode and error messages use.
const char* ModeName(broker::v1::Mode mode);

// The MIKEY message in `input` (bytes, or text in any form core/sdp finds
// it in). INVALID_ARGUMENT prefixed with `field` for empty, oversized or
// unreadable input. The caller wipes the result when done (MIKEY-NULL
// messages carry keys in clear).
absl::StatusOr<Bytes> ExtractMikey(const broker::v1::MikeyInput& input,
                                   absl::string_view field);

// The fields of a MIKEY common header a dispatcher needs, read without
// parsing the payloads. INVALID_ARGUMENT (prefixed with `field`) if the
// message is too short or not version 1.
struct HeaderPeek {
  uint8_t data_type = 0;
  uint32_t csb_id = 0;
};
absl::StatusOr<HeaderPeek> PeekHeader(absl::Span<const uint8_t> message,
                                      absl::string_view field);

// An SRTP suite by SDES name; INVALID_ARGUMENT naming `field` and listing
// the known names otherwise.
absl::StatusOr<const srtp::CryptoSuite*> SuiteByName(absl::string_view name,
                                                     absl::string_view field);

// The wire PRF func of the enum (UNSPECIFIED: MIKEY-1).
absl::StatusOr<uint8_t> PrfFuncWire(broker::v1::PrfFunc prf);

// One stream to key, as Initiate resolved it from the request.
struct StreamParams {
  uint32_t ssrc = 0;
  uint32_t roc = 0;
  srtp::SrtpPolicy policy;
};

// The request's streams (one SSRC-0 stream when none), each with its suite
// and the key derivation rate. INVALID_ARGUMENT naming the field otherwise.
absl::StatusOr<std::vector<StreamParams>> StreamsFromRequest(
    const broker::v1::InitiateRequest& request);

// An ID payload (URI type) for a non-empty identity; none for "".
// INVALID_ARGUMENT naming `field` if longer than 1024 octets.
absl::StatusOr<std::optional<IdPayload>> IdPayloadFrom(const std::string& id,
                                                       absl::string_view field);

// Copies `keys` into API messages. The key bytes end up in protobuf
// strings, which are not wiped: responses are built as late as possible and
// never logged.
void FillStreamKeys(
    const exchange::KeyResult& keys,
    google::protobuf::RepeatedPtrField<broker::v1::StreamKeys>* out);

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_CONVERT_H_
