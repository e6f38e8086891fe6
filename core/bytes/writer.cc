#include "core/bytes/writer.h"

#include "absl/strings/str_cat.h"

namespace mikey {

void Writer::AddU16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void Writer::AddU32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out_.push_back(static_cast<uint8_t>(v >> shift));
  }
}

void Writer::AddU64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out_.push_back(static_cast<uint8_t>(v >> shift));
  }
}

void Writer::AddBytes(absl::Span<const uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

absl::Status Writer::CheckFits(absl::string_view field, uint64_t value,
                               int bits) {
  if (bits >= 64 || value < (uint64_t{1} << bits)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": value ", value, " does not fit in ", bits, " bits"));
}

absl::Status Writer::AddU8LengthPrefixed(absl::string_view field,
                                         absl::Span<const uint8_t> bytes) {
  if (auto s = CheckFits(field, bytes.size(), 8); !s.ok()) return s;
  AddU8(static_cast<uint8_t>(bytes.size()));
  AddBytes(bytes);
  return absl::OkStatus();
}

absl::Status Writer::AddU16LengthPrefixed(absl::string_view field,
                                          absl::Span<const uint8_t> bytes) {
  if (auto s = CheckFits(field, bytes.size(), 16); !s.ok()) return s;
  AddU16(static_cast<uint16_t>(bytes.size()));
  AddBytes(bytes);
  return absl::OkStatus();
}

}  // namespace mikey
