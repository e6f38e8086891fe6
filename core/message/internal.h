// Internals shared by the message codec's translation units. Not part of the
// package's API: include message.h instead.

#ifndef MIKEY_CORE_MESSAGE_INTERNAL_H_
#define MIKEY_CORE_MESSAGE_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/message/message.h"

namespace mikey {
namespace message_internal {

// Lengths implied by algorithm identifiers; nullopt for unknown values. Inline:
// the parser and the writers ask on every payload.
// KEMAC MAC alg, V auth alg.
inline std::optional<size_t> MacLength(uint8_t mac_alg) {
  switch (mac_alg) {
    case mac_alg::kNull:
      return 0;
    case mac_alg::kHmacSha1_160:
      return 20;
    case mac_alg::kHmacSha256_256:
      return 32;
    default:
      return std::nullopt;
  }
}
// DH group.
inline std::optional<size_t> DhValueLength(uint8_t group) {
  switch (group) {
    case dh_group::kOakley5:
      return 192;
    case dh_group::kOakley1:
      return 96;
    case dh_group::kOakley2:
      return 128;
    case dh_group::kX25519Private:
      return 32;
    default:
      return std::nullopt;
  }
}
// CHASH.
inline std::optional<size_t> HashLength(uint8_t hash_func) {
  switch (hash_func) {
    case hash_func::kSha1:
      return 20;
    case hash_func::kMd5:
      return 16;
    default:
      return std::nullopt;
  }
}
// T.
inline std::optional<size_t> TimestampLength(uint8_t ts_type) {
  switch (ts_type) {
    case ts_type::kNtpUtc:
    case ts_type::kNtp:
      return 8;
    case ts_type::kCounter:
    case ts_type::kNtpUtc32:
      return 4;
    default:
      return std::nullopt;
  }
}

bool IsKnownDataType(uint8_t data_type);

// Returns `status` with its message prefixed by "<context>: " (OK unchanged).
absl::Status WithContext(const LazyName& context, const absl::Status& status);

// An INVALID_ARGUMENT error "<context>: <field>: <what>".
absl::Status FieldError(const LazyName& context, const LazyName& field,
                        absl::string_view what);

// "KEMAC payload #", "SP payload #", ...: with the payload's 1-based index in
// the message, the name errors give a payload ("KEMAC payload #3"). A table
// lookup, as the parser names every payload it reads.
inline absl::string_view PayloadContextPrefix(uint8_t payload_type) {
  static constexpr absl::string_view kUnknown = "UNKNOWN payload #";
  static constexpr absl::string_view kPrefixes[] = {
      "LAST payload #",      // 0
      "KEMAC payload #",     // 1
      "PKE payload #",       // 2
      "DH payload #",        // 3
      "SIGN payload #",      // 4
      "T payload #",         // 5
      "ID payload #",        // 6
      "CERT payload #",      // 7
      "CHASH payload #",     // 8
      "V payload #",         // 9
      "SP payload #",        // 10
      "RAND payload #",      // 11
      "ERR payload #",       // 12
      kUnknown,              // 13
      "IDR payload #",       // 14
      kUnknown,              // 15
      kUnknown,              // 16
      kUnknown,              // 17
      kUnknown,              // 18
      kUnknown,              // 19
      "KEY-DATA payload #",  // 20
      "GEN-EXT payload #",   // 21
      kUnknown,              // 22
      kUnknown,              // 23
      kUnknown,              // 24
      kUnknown,              // 25
      "SAKKE payload #",     // 26
  };
  static_assert(sizeof(kPrefixes) / sizeof(kPrefixes[0]) ==
                payload_type::kSakke + 1);
  return payload_type <= payload_type::kSakke ? kPrefixes[payload_type]
                                              : kUnknown;
}
inline LazyName PayloadContext(uint8_t payload_type, size_t index) {
  return LazyName(PayloadContextPrefix(payload_type), index);
}

// Common header (§6.1). Parsing leaves `r` after the map info and stores the
// header's next-payload field in `*first_payload`.
absl::Status ParseHeader(Reader* r, CommonHeader* header,
                         uint8_t* first_payload);
// Writes the header into a part of `w` of exactly HeaderWireSize(header).
absl::Status SerializeHeader(const CommonHeader& header, uint8_t first_payload,
                             FixedWriter* w);
// The wire size of `header` (exact when SerializeHeader accepts it).
size_t HeaderWireSize(const CommonHeader& header);

// One payload of wire type `type` (not Last, not Key data): parses it from
// its first octet into a payload appended to `*out` (constructed there as the
// right alternative: nothing is moved or copied), storing its next-payload
// field in `*next` (kLast for SIGN, which has none). `r`'s context names the
// payload in errors. On failure `*out` may end with a partial payload.
absl::Status ParsePayload(uint8_t type, Reader* r, std::vector<Payload>* out,
                          uint8_t* next);
// Serializes one payload with the given next-payload value into a part of
// `w` of exactly PayloadWireSize(payload); errors name it by its type and
// 1-based `index` in the message ("SP payload #2").
absl::Status SerializePayload(const Payload& payload, uint8_t next,
                              size_t index, FixedWriter* w);
// The wire size of `payload` (exact when SerializePayload accepts it), for
// sizing the output once.
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
void WriteKeyValidityData(const KeyValidity& kv, FixedWriter* w);
// The size of what WriteKeyValidityData writes.
size_t KeyValidityDataSize(const KeyValidity& kv);

}  // namespace message_internal
}  // namespace mikey

#endif  // MIKEY_CORE_MESSAGE_INTERNAL_H_
