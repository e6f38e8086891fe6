// Whole-message parsing and serialization: the common header, then the
// payload chain walked iteratively through next-payload fields.

#include "core/message/message.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/message/internal.h"

namespace mikey {

using message_internal::CheckHeader;
using message_internal::CheckPayloads;
using message_internal::HeaderWireSize;
using message_internal::ParseHeader;
using message_internal::ParsePayloadChain;
using message_internal::WriteHeader;
using message_internal::WritePayloads;

namespace {

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

  if (auto s = ParsePayloadChain(
          type, &r, &m.payloads,
          out_layout != nullptr ? &out_layout->payloads : nullptr);
      !s.ok()) {
    return s;
  }
  if (layout != nullptr) *layout = std::move(local_layout);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Message> ParseMessage(absl::Span<const uint8_t> wire,
                                     MessageLayout* layout) {
  // Default-initialized, which runs only the members' initializers: the
  // value-initialization of an in-place StatusOr<Message> would first clear
  // the whole object, with a block clear that costs more than moving the
  // parsed message into the result.
  Message message;
  if (absl::Status s = ParseInto(wire, &message, layout); !s.ok()) return s;
  return message;
}

absl::StatusOr<Bytes> SerializeMessage(const Message& message) {
  // First every check, in message order, which also gives the size; then one
  // allocation for the output, of exactly that size, and the parts written
  // into it.
  if (auto s = CheckHeader(message.header); !s.ok()) return s;
  size_t payloads_size = 0;
  if (auto s = CheckPayloads(message.payloads, &payloads_size); !s.ok()) {
    return s;
  }
  const size_t header_size = HeaderWireSize(message.header);
  Bytes out(header_size + payloads_size);
  const absl::Span<uint8_t> buffer = absl::MakeSpan(out);
  const uint8_t first = message.payloads.empty()
                            ? payload_type::kLast
                            : PayloadTypeOf(message.payloads.front());
  // The writers check nothing part by part; each says only whether it filled
  // exactly the size found above (always, short of a bug in the writers).
  if (!WriteHeader(message.header, first, buffer.first(header_size)) ||
      !WritePayloads(message.payloads, buffer.subspan(header_size))) {
    return absl::InternalError("message: serialized size mismatch");
  }
  return out;
}

}  // namespace mikey
