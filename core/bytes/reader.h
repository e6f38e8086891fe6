// Bounds-checked reading of big-endian wire data, in the spirit of
// BoringSSL's CBS: a Reader is a cursor over bytes it does not own, every read
// checks the remaining length first, and a failed read consumes nothing.
//
// Unlike CBS, reads return absl::Status naming the field and the absolute
// offset in the enclosing message, so codec errors say what and where without
// each caller formatting its own messages.

#ifndef MIKEY_CORE_BYTES_READER_H_
#define MIKEY_CORE_BYTES_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {

class Reader {
 public:
  // `base_offset` is the absolute offset of data[0] in the whole message;
  // `context` must outlive the reader (callers pass string literals);
  // `context` names what is being read (e.g. "KEMAC payload") in errors.
  explicit Reader(absl::Span<const uint8_t> data, size_t base_offset = 0,
                  absl::string_view context = "message")
      : data_(data), base_offset_(base_offset), context_(context) {}

  // Absolute offset of the next unread byte.
  size_t offset() const { return base_offset_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  absl::string_view context() const { return context_; }
  void set_context(absl::string_view context) { context_ = context; }

  absl::Status ReadU8(absl::string_view field, uint8_t* out);
  absl::Status ReadU16(absl::string_view field, uint16_t* out);
  absl::Status ReadU32(absl::string_view field, uint32_t* out);
  absl::Status ReadU64(absl::string_view field, uint64_t* out);

  // Reads `n` bytes as a view into the underlying data.
  absl::Status ReadBytes(absl::string_view field, size_t n,
                         absl::Span<const uint8_t>* out);
  // Reads `n` bytes as a sub-reader whose offsets stay absolute.
  absl::Status ReadSubReader(absl::string_view field, size_t n,
                             absl::string_view sub_context, Reader* out);
  // Peeks at the next byte without consuming it.
  absl::Status PeekU8(absl::string_view field, uint8_t* out) const;

  // Everything not read yet; consumes it.
  absl::Span<const uint8_t> ReadRest();

  // An INVALID_ARGUMENT error "<context>: <field> at offset N: <what>".
  absl::Status Error(absl::string_view field, absl::string_view what) const;
  absl::Status ErrorAt(size_t absolute_offset, absl::string_view field,
                       absl::string_view what) const;

 private:
  absl::Status Need(absl::string_view field, size_t n) const;

  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t base_offset_;
  absl::string_view context_;  // A literal in practice: never owned.
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_READER_H_
