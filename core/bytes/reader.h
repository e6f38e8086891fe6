// Bounds-checked reading of big-endian wire data, in the spirit of
// BoringSSL's CBS: a Reader is a cursor over bytes it does not own, every read
// checks the remaining length first, and a failed read consumes nothing.
//
// Unlike CBS, reads return absl::Status naming the field and the absolute
// offset in the enclosing message, so codec errors say what and where without
// each caller formatting its own messages.
//
// Names cost nothing until an error happens: the context and the field are
// LazyNames (string views plus an optional index, e.g. "KEMAC payload #" 3),
// turned into text only when an error is reported. The success path of a
// parser therefore builds no strings and allocates nothing here.

#ifndef MIKEY_CORE_BYTES_READER_H_
#define MIKEY_CORE_BYTES_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {

// A name for error messages, formatted only when an error is reported:
// either plain text, or `prefix` <decimal index> `suffix` (e.g. "policy
// param " 3 " type", or "KEMAC payload #" 3 ""). It holds views, never
// copies: what it points to must outlive it (callers pass literals, or a
// std::string temporary that lives until the end of the full expression).
class LazyName {
 public:
  // Plain names; implicit, so every call site that passed a string still
  // compiles unchanged.
  constexpr LazyName(const char* name) : prefix_(name) {}        // NOLINT
  constexpr LazyName(absl::string_view name) : prefix_(name) {}  // NOLINT
  LazyName(const std::string& name) : prefix_(name) {}           // NOLINT
  // An indexed name: prefix, the index in decimal, suffix.
  constexpr LazyName(absl::string_view prefix, size_t index,
                     absl::string_view suffix = absl::string_view())
      : prefix_(prefix), suffix_(suffix), index_(index), indexed_(true) {}

  std::string ToString() const;
  // Appends the name to `out`.
  void AppendTo(std::string* out) const;

 private:
  absl::string_view prefix_;
  absl::string_view suffix_;
  size_t index_ = 0;
  bool indexed_ = false;
};

class Reader {
 public:
  // `base_offset` is the absolute offset of data[0] in the whole message;
  // `context` names what is being read (e.g. "KEMAC payload") in errors and
  // must outlive the reader (callers pass string literals).
  explicit Reader(absl::Span<const uint8_t> data, size_t base_offset = 0,
                  LazyName context = "message")
      : data_(data), base_offset_(base_offset), context_(context) {}

  // Absolute offset of the next unread byte.
  size_t offset() const { return base_offset_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  const LazyName& context() const { return context_; }
  void set_context(LazyName context) { context_ = context; }

  // Each read takes the field's name either as a LazyName or, for the usual
  // string literal, as a plain pointer, so that the success path does not
  // even build the LazyName.
  absl::Status ReadU8(const LazyName& field, uint8_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 1)) return Truncated(field, 1);
    *out = LoadU8();
    return absl::OkStatus();
  }
  absl::Status ReadU8(const char* field, uint8_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 1)) return Truncated(field, 1);
    *out = LoadU8();
    return absl::OkStatus();
  }
  absl::Status ReadU16(const LazyName& field, uint16_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 2)) return Truncated(field, 2);
    *out = LoadU16();
    return absl::OkStatus();
  }
  absl::Status ReadU16(const char* field, uint16_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 2)) return Truncated(field, 2);
    *out = LoadU16();
    return absl::OkStatus();
  }
  absl::Status ReadU32(const LazyName& field, uint32_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 4)) return Truncated(field, 4);
    *out = LoadU32();
    return absl::OkStatus();
  }
  absl::Status ReadU32(const char* field, uint32_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 4)) return Truncated(field, 4);
    *out = LoadU32();
    return absl::OkStatus();
  }
  absl::Status ReadU64(const LazyName& field, uint64_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 8)) return Truncated(field, 8);
    *out = LoadU64();
    return absl::OkStatus();
  }
  absl::Status ReadU64(const char* field, uint64_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 8)) return Truncated(field, 8);
    *out = LoadU64();
    return absl::OkStatus();
  }

  // Reads `n` bytes as a view into the underlying data.
  absl::Status ReadBytes(const LazyName& field, size_t n,
                         absl::Span<const uint8_t>* out) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) return Truncated(field, n);
    *out = TakeBytes(n);
    return absl::OkStatus();
  }
  absl::Status ReadBytes(const char* field, size_t n,
                         absl::Span<const uint8_t>* out) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) return Truncated(field, n);
    *out = TakeBytes(n);
    return absl::OkStatus();
  }
  // Reads `n` bytes as a sub-reader whose offsets stay absolute.
  absl::Status ReadSubReader(const LazyName& field, size_t n,
                             LazyName sub_context, Reader* out) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) return Truncated(field, n);
    const size_t start = offset();
    *out = Reader(TakeBytes(n), start, sub_context);
    return absl::OkStatus();
  }
  // Reads for hot loops, in the manner of BoringSSL's CBS_get_*: false,
  // consuming nothing, when the data runs out. They build no error, so a
  // loop made of them never hands the reader's address to out-of-line code,
  // and the compiler can keep a local reader in registers. On false the
  // caller reports the error with the Status read of the same field, made on
  // a copy of the reader.
  bool TryReadU8(uint8_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 1)) return false;
    *out = LoadU8();
    return true;
  }
  bool TryReadU16(uint16_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 2)) return false;
    *out = LoadU16();
    return true;
  }
  bool TryReadU32(uint32_t* out) {
    if (ABSL_PREDICT_FALSE(remaining() < 4)) return false;
    *out = LoadU32();
    return true;
  }
  bool TryReadBytes(size_t n, absl::Span<const uint8_t>* out) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) return false;
    *out = TakeBytes(n);
    return true;
  }

  // Peeks at the next byte without consuming it.
  absl::Status PeekU8(const LazyName& field, uint8_t* out) const {
    if (ABSL_PREDICT_FALSE(remaining() < 1)) return Truncated(field, 1);
    *out = data_.data()[pos_];
    return absl::OkStatus();
  }
  absl::Status PeekU8(const char* field, uint8_t* out) const {
    if (ABSL_PREDICT_FALSE(remaining() < 1)) return Truncated(field, 1);
    *out = data_.data()[pos_];
    return absl::OkStatus();
  }

  // Everything not read yet; consumes it.
  absl::Span<const uint8_t> ReadRest();

  // An INVALID_ARGUMENT error "<context>: <field> at offset N: <what>".
  absl::Status Error(const LazyName& field, absl::string_view what) const;
  absl::Status ErrorAt(size_t absolute_offset, const LazyName& field,
                       absl::string_view what) const;

 private:
  // The error of a read of `n` octets that does not fit (cold path).
  ABSL_ATTRIBUTE_NOINLINE absl::Status Truncated(const LazyName& field,
                                                 size_t n) const;
  ABSL_ATTRIBUTE_NOINLINE absl::Status Truncated(const char* field,
                                                 size_t n) const;

  // Unchecked loads and takes, after the length check (absl's hardened span
  // indexing would check again).
  uint8_t LoadU8() { return data_.data()[pos_++]; }
  uint16_t LoadU16() {
    const uint8_t* p = data_.data() + pos_;
    pos_ += 2;
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
  }
  uint32_t LoadU32() {
    const uint8_t* p = data_.data() + pos_;
    pos_ += 4;
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
           (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  }
  uint64_t LoadU64() {
    const uint64_t hi = LoadU32();
    return (hi << 32) | LoadU32();
  }
  absl::Span<const uint8_t> TakeBytes(size_t n) {
    absl::Span<const uint8_t> bytes(data_.data() + pos_, n);
    pos_ += n;
    return bytes;
  }

  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t base_offset_;
  LazyName context_;  // Views into literals in practice: never owned.
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_READER_H_
