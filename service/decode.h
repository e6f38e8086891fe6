// Conversion of MIKEY input (bytes or text) into the API's DecodeResponse.
//
// Pure conversion, shared by the Decode RPC (service/key_broker_service) and
// the offline `mikeyctl decode`: no gRPC, no I/O. The parsing itself is
// core's (core/sdp finds the message in text, core/message parses it); this
// file only maps core's types to proto fields and names the numbers.
//
// Nothing secret ever reaches the proto: for a KEMAC with NULL encryption
// the key data sub-payloads are described by type, lengths and key validity
// only, and the clear key bytes held by the parsed message are wiped before
// returning.

#ifndef MIKEY_SERVICE_DECODE_H_
#define MIKEY_SERVICE_DECODE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {

// Largest input Decode accepts (bytes, or text octets). MIKEY messages are a
// few hundred octets; an SDP holding one a few kilobytes.
inline constexpr size_t kMaxDecodeInputSize = 1 << 20;

// Finds the MIKEY message in `input`, parses it and fills `response` (which
// is cleared first). Fails with INVALID_ARGUMENT carrying core's error text
// (what is wrong and where) for input that is not a well-formed MIKEY
// message, an empty or oversized input, or a MikeyInput with nothing set.
absl::Status DecodeInput(const broker::v1::MikeyInput& input,
                         broker::v1::DecodeResponse* response);

// Parses the MIKEY message in `wire` and fills `out` (cleared first).
absl::Status DecodeMessage(absl::Span<const uint8_t> wire,
                           broker::v1::DecodedMessage* out);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_DECODE_H_
