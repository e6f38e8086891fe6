#include "core/bytes/reader.h"

#include "absl/strings/str_cat.h"

namespace mikey {

void LazyName::AppendTo(std::string* out) const {
  if (indexed_) {
    absl::StrAppend(out, prefix_, index_, suffix_);
  } else {
    absl::StrAppend(out, prefix_);
  }
}

std::string LazyName::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

absl::Status Reader::ErrorAt(size_t absolute_offset, const LazyName& field,
                             absl::string_view what) const {
  std::string text;
  context_.AppendTo(&text);
  text.append(": ");
  field.AppendTo(&text);
  absl::StrAppend(&text, " at offset ", absolute_offset, ": ", what);
  return absl::InvalidArgumentError(text);
}

absl::Status Reader::Error(const LazyName& field,
                           absl::string_view what) const {
  return ErrorAt(offset(), field, what);
}

absl::Status Reader::Truncated(const LazyName& field, size_t n) const {
  return Error(field,
               absl::StrCat("truncated: needs ", n, " octet", n == 1 ? "" : "s",
                            ", ", remaining(), " left"));
}

absl::Status Reader::Truncated(const char* field, size_t n) const {
  return Truncated(LazyName(field), n);
}

absl::Span<const uint8_t> Reader::ReadRest() {
  absl::Span<const uint8_t> rest = data_.subspan(pos_);
  pos_ = data_.size();
  return rest;
}

}  // namespace mikey
