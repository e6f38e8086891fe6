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
#include "absl/types/span.h"
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
// Serializing, in two passes. CheckHeader checks that `header` can be
// written; WriteHeader then writes it into `out`, HeaderWireSize(header)
// octets, and returns whether it filled them exactly (always, short of a
// bug).
absl::Status CheckHeader(const CommonHeader& header);
bool WriteHeader(const CommonHeader& header, uint8_t first_payload,
                 absl::Span<uint8_t> out);
// The wire size of `header` (exact when CheckHeader accepts it).
size_t HeaderWireSize(const CommonHeader& header);

// The payload chain (§6) that follows the common header, whose next-payload
// field gave `type`: parses every payload to the end of `r` into `*out`,
// walking the next-payload fields, and when `extents` is not null records
// where each lies. Fails naming the payload, field and offset (and for an
// unknown or misplaced payload type, the field that named it); on failure
// `*out` may end with a partial payload.
absl::Status ParsePayloadChain(uint8_t type, Reader* r,
                               std::vector<Payload>* out,
                               std::vector<PayloadExtent>* extents);
// Serializing the payload chain, in two passes, with every next-payload
// field the type of the payload after it (Last for the last one).
// CheckPayloads checks that each payload can be written there (errors name
// the first that cannot by its type and 1-based index in the message, "SP
// payload #2") and gives their total wire size in `*size`; WritePayloads
// then writes them into `out`, of that size, and returns whether they filled
// it exactly (always, short of a bug). That is checked once, for all of
// them: not payload by payload.
absl::Status CheckPayloads(absl::Span<const Payload> payloads, size_t* size);
bool WritePayloads(absl::Span<const Payload> payloads, absl::Span<uint8_t> out);

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
