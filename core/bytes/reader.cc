#include "core/bytes/reader.h"

#include "absl/strings/str_cat.h"

namespace mikey {

absl::Status Reader::ErrorAt(size_t absolute_offset, absl::string_view field,
                             absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(
      context_, ": ", field, " at offset ", absolute_offset, ": ", what));
}

absl::Status Reader::Error(absl::string_view field,
                           absl::string_view what) const {
  return ErrorAt(offset(), field, what);
}

absl::Status Reader::Need(absl::string_view field, size_t n) const {
  if (remaining() >= n) return absl::OkStatus();
  return Error(field,
               absl::StrCat("truncated: needs ", n, " octet", n == 1 ? "" : "s",
                            ", ", remaining(), " left"));
}

absl::Status Reader::ReadU8(absl::string_view field, uint8_t* out) {
  if (auto s = Need(field, 1); !s.ok()) return s;
  *out = data_[pos_++];
  return absl::OkStatus();
}

absl::Status Reader::PeekU8(absl::string_view field, uint8_t* out) const {
  if (auto s = Need(field, 1); !s.ok()) return s;
  *out = data_[pos_];
  return absl::OkStatus();
}

absl::Status Reader::ReadU16(absl::string_view field, uint16_t* out) {
  if (auto s = Need(field, 2); !s.ok()) return s;
  *out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return absl::OkStatus();
}

absl::Status Reader::ReadU32(absl::string_view field, uint32_t* out) {
  if (auto s = Need(field, 4); !s.ok()) return s;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 4;
  *out = v;
  return absl::OkStatus();
}

absl::Status Reader::ReadU64(absl::string_view field, uint64_t* out) {
  if (auto s = Need(field, 8); !s.ok()) return s;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
  pos_ += 8;
  *out = v;
  return absl::OkStatus();
}

absl::Status Reader::ReadBytes(absl::string_view field, size_t n,
                               absl::Span<const uint8_t>* out) {
  if (auto s = Need(field, n); !s.ok()) return s;
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return absl::OkStatus();
}

absl::Status Reader::ReadSubReader(absl::string_view field, size_t n,
                                   absl::string_view sub_context, Reader* out) {
  size_t start = offset();
  absl::Span<const uint8_t> bytes;
  if (auto s = ReadBytes(field, n, &bytes); !s.ok()) return s;
  *out = Reader(bytes, start, sub_context);
  return absl::OkStatus();
}

absl::Span<const uint8_t> Reader::ReadRest() {
  absl::Span<const uint8_t> rest = data_.subspan(pos_);
  pos_ = data_.size();
  return rest;
}

}  // namespace mikey
