// Whole-message parsing and serialization: the common header, then the
// payload chain walked iteratively through next-payload fields.

#include "core/message/message.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/message/internal.h"

namespace mikey {

using message_internal::HeaderWireSize;
using message_internal::ParseHeader;
using message_internal::ParsePayload;
using message_internal::PayloadContext;
using message_internal::PayloadWireSize;
using message_internal::SerializeHeader;
using message_internal::SerializePayload;

namespace {

// Payload types ParseMessage knows how to read at the top level.
bool IsTopLevelPayload(uint8_t type) {
  switch (type) {
    case payload_type::kKemac:
    case payload_type::kPke:
    case payload_type::kDh:
    case payload_type::kSign:
    case payload_type::kT:
    case payload_type::kId:
    case payload_type::kCert:
    case payload_type::kChash:
    case payload_type::kV:
    case payload_type::kSp:
    case payload_type::kRand:
    case payload_type::kErr:
    case payload_type::kIdr:
    case payload_type::kGeneralExtension:
    case payload_type::kSakke:
      return true;
    default:
      return false;
  }
}

// Every payload takes at least 2 octets; messages rarely have more than 8.
constexpr size_t kMinPayloadSize = 2;
constexpr size_t kTypicalPayloadCount = 8;

// ParseMessage's work, into an empty `*message`.
absl::Status ParseInto(absl::Span<const uint8_t> wire, Message* message,
                       MessageLayout* layout) {
  Message& m = *message;
  Reader r(wire, 0, "HDR");
  uint8_t type = payload_type::kLast;
  if (auto s = ParseHeader(&r, &m.header, &type); !s.ok()) return s;
  // Filled only when the caller wants it, and handed over only on success.
  MessageLayout local_layout;
  MessageLayout* const out_layout = layout != nullptr ? &local_layout : nullptr;
  const size_t reserve =
      std::min(r.remaining() / kMinPayloadSize, kTypicalPayloadCount);
  m.payloads.reserve(reserve);
  if (out_layout != nullptr) {
    out_layout->header_end = r.offset();
    out_layout->payloads.reserve(reserve);
  }

  // The field that named the payload being parsed, for errors: the next
  // payload octet of the header (index 0) or of payload #named_by_index.
  size_t named_at = 2;  // the header's next-payload octet
  uint8_t named_by_type = payload_type::kLast;
  size_t named_by_index = 0;
  auto named_by = [&]() -> std::string {
    return named_by_index == 0
               ? std::string("HDR")
               : PayloadContext(named_by_type, named_by_index).ToString();
  };
  for (size_t index = 1; type != payload_type::kLast; ++index) {
    const size_t begin = r.offset();
    if (ABSL_PREDICT_FALSE(type == payload_type::kKeyData)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload #", index, " at offset ", begin,
          ": Key data (20) named by the next payload field of ", named_by(),
          " at offset ", named_at,
          ": a Key data sub-payload may only appear inside a KEMAC"));
    }
    if (ABSL_PREDICT_FALSE(!IsTopLevelPayload(type))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload #", index, " at offset ", begin, ": unknown payload type ",
          static_cast<int>(type), " named by the next payload field of ",
          named_by(), " at offset ", named_at));
    }
    r.set_context(PayloadContext(type, index));
    uint8_t next = payload_type::kLast;
    if (auto s = ParsePayload(type, &r, &m.payloads, &next); !s.ok()) {
      return s;
    }
    if (out_layout != nullptr) {
      out_layout->payloads.push_back(PayloadExtent{begin, r.offset()});
    }
    if (type == payload_type::kSign) {
      if (!r.empty()) {
        return r.Error(
            "end of message",
            absl::StrCat(r.remaining(),
                         " octets follow SIGN, which must be the last "
                         "payload (it has no next payload field)"));
      }
      break;
    }
    named_at = begin;  // every payload but SIGN opens with next payload
    named_by_type = type;
    named_by_index = index;
    type = next;
  }
  if (!r.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message: ", r.remaining(), " trailing octets at offset ",
                     r.offset(), " after the Last payload (", named_by(),
                     " ends the chain with next payload 0)"));
  }
  if (layout != nullptr) *layout = std::move(local_layout);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Message> ParseMessage(absl::Span<const uint8_t> wire,
                                     MessageLayout* layout) {
  // Parsed in place in the result, which every path returns by name so that
  // the message is never moved.
  absl::StatusOr<Message> result(absl::in_place);
  if (absl::Status s = ParseInto(wire, &*result, layout); !s.ok()) {
    result = std::move(s);
  }
  return result;
}

absl::StatusOr<Bytes> SerializeMessage(const Message& message) {
  // One allocation for the output, of exactly its size; every part is then
  // written into its own slice of it.
  size_t size = HeaderWireSize(message.header);
  for (const Payload& p : message.payloads) size += PayloadWireSize(p);
  Bytes out(size);
  FixedWriter w(absl::MakeSpan(out));
  const uint8_t first = message.payloads.empty()
                            ? payload_type::kLast
                            : PayloadTypeOf(message.payloads.front());
  if (auto s = SerializeHeader(message.header, first, &w); !s.ok()) return s;
  for (size_t i = 0; i < message.payloads.size(); ++i) {
    const uint8_t next = i + 1 < message.payloads.size()
                             ? PayloadTypeOf(message.payloads[i + 1])
                             : payload_type::kLast;
    if (auto s = SerializePayload(message.payloads[i], next, i + 1, &w);
        !s.ok()) {
      return s;
    }
  }
  if (!w.full()) {
    return absl::InternalError("message: serialized size mismatch");
  }
  return out;
}

}  // namespace mikey
