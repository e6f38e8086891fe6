// Internals shared by the message codec's translation units. Not part of the
// package's API: include message.h instead.

#ifndef MIKEY_CORE_MESSAGE_INTERNAL_H_
#define MIKEY_CORE_MESSAGE_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/message/message.h"

namespace mikey {
namespace message_internal {

// Lengths implied by algorithm identifiers; nullopt for unknown values.
std::optional<size_t> MacLength(uint8_t mac_alg);  // KEMAC MAC alg, V auth alg
std::optional<size_t> DhValueLength(uint8_t group);      // DH group
std::optional<size_t> HashLength(uint8_t hash_func);     // CHASH
std::optional<size_t> TimestampLength(uint8_t ts_type);  // T

bool IsKnownDataType(uint8_t data_type);

// Returns `status` with its message prefixed by "<context>: " (OK unchanged).
absl::Status WithContext(const LazyName& context, const absl::Status& status);

// An INVALID_ARGUMENT error "<context>: <field>: <what>".
absl::Status FieldError(const LazyName& context, const LazyName& field,
                        absl::string_view what);

// "KEMAC payload #", "SP payload #", ...: with the payload's 1-based index in
// the message, the name errors give a payload ("KEMAC payload #3").
const char* PayloadContextPrefix(uint8_t payload_type);
inline LazyName PayloadContext(uint8_t payload_type, size_t index) {
  return LazyName(PayloadContextPrefix(payload_type), index);
}

// Common header (§6.1). Parsing leaves `r` after the map info and stores the
// header's next-payload field in `*first_payload`.
absl::Status ParseHeader(Reader* r, CommonHeader* header,
                         uint8_t* first_payload);
absl::Status SerializeHeader(const CommonHeader& header, uint8_t first_payload,
                             Writer* w);
// The wire size of `header` (exact when SerializeHeader accepts it).
size_t HeaderWireSize(const CommonHeader& header);

// One payload of wire type `type` (not Last, not Key data): parses it from
// its first octet, storing its next-payload field in `*next` (kLast for
// SIGN, which has none). `r`'s context names the payload in errors.
absl::Status ParsePayload(uint8_t type, Reader* r, Payload* out, uint8_t* next);
// Serializes one payload with the given next-payload value; `context` names
// it ("SP payload #2") in errors.
absl::Status SerializePayload(const Payload& payload, uint8_t next,
                              const LazyName& context, Writer* w);
// An upper bound on the wire size of `payload` (exact for most payloads), for
// reserving the output once.
size_t PayloadWireSize(const Payload& payload);

// Key validity data (§6.14) of the given KV type, as found after a Key data
// sub-payload's salt or after a DH payload's KV nibble. `kv_offset` is the
// absolute offset of the octet holding the KV nibble, for errors.
absl::Status ParseKeyValidity(uint8_t kv_type, size_t kv_offset, Reader* r,
                              KeyValidity* out);
// Checks that `kv` can be written (known type, no data of another type,
// lengths fit), naming `context` otherwise; then WriteKeyValidityData writes
// the KV data (not the KV nibble, which shares an octet with another field).
absl::Status CheckKeyValidity(const KeyValidity& kv, const LazyName& context);
void WriteKeyValidityData(const KeyValidity& kv, Writer* w);

}  // namespace message_internal
}  // namespace mikey

#endif  // MIKEY_CORE_MESSAGE_INTERNAL_H_
