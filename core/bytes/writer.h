// Building big-endian wire data, in the spirit of BoringSSL's CBB: callers
// append fields and never compute an offset; length-prefixed fields check
// that the data fits the prefix and fail cleanly when it does not.
//
// Field names are LazyNames (reader.h): formatted only when an error is
// reported.

#ifndef MIKEY_CORE_BYTES_WRITER_H_
#define MIKEY_CORE_BYTES_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"

namespace mikey {

class Writer {
 public:
  Writer() = default;

  void AddU8(uint8_t v) { out_.push_back(v); }
  void AddU16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8),
                          static_cast<uint8_t>(v)};
    out_.insert(out_.end(), b, b + 2);
  }
  void AddU32(uint32_t v) {
    const uint8_t b[4] = {
        static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    out_.insert(out_.end(), b, b + 4);
  }
  void AddU64(uint64_t v) {
    AddU32(static_cast<uint32_t>(v >> 32));
    AddU32(static_cast<uint32_t>(v));
  }
  void AddBytes(absl::Span<const uint8_t> bytes) {
    if (bytes.size() <= kSmall) {
      // Policy values, lengths, SPIs: a few octets, cheaper one by one than
      // through the general range insert.
      for (uint8_t b : bytes) out_.push_back(b);
    } else {
      out_.insert(out_.end(), bytes.begin(), bytes.end());
    }
  }

  // Adds `bytes` preceded by its length in 1 or 2 octets. Fails, writing
  // nothing, when the length does not fit; `field` names it in the error.
  absl::Status AddU8LengthPrefixed(const LazyName& field,
                                   absl::Span<const uint8_t> bytes) {
    if (ABSL_PREDICT_FALSE(bytes.size() > 0xff)) {
      return DoesNotFit(field, bytes.size(), 8);
    }
    AddU8(static_cast<uint8_t>(bytes.size()));
    AddBytes(bytes);
    return absl::OkStatus();
  }
  absl::Status AddU16LengthPrefixed(const LazyName& field,
                                    absl::Span<const uint8_t> bytes) {
    if (ABSL_PREDICT_FALSE(bytes.size() > 0xffff)) {
      return DoesNotFit(field, bytes.size(), 16);
    }
    AddU16(static_cast<uint16_t>(bytes.size()));
    AddBytes(bytes);
    return absl::OkStatus();
  }

  // Checks that `value` fits in `bits` bits, naming `field` otherwise.
  static absl::Status CheckFits(const LazyName& field, uint64_t value,
                                int bits) {
    if (ABSL_PREDICT_TRUE(bits >= 64 || value < (uint64_t{1} << bits))) {
      return absl::OkStatus();
    }
    return DoesNotFit(field, value, bits);
  }

  // Reserves room for `n` octets in total, so that writing up to that many
  // never reallocates (and so never leaves a stray copy of secret data in
  // freed memory).
  void Reserve(size_t n) { out_.reserve(n); }

  size_t size() const { return out_.size(); }
  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> Finish() && { return std::move(out_); }

 private:
  // INVALID_ARGUMENT "<field>: value V does not fit in B bits" (cold path).
  static absl::Status DoesNotFit(const LazyName& field, uint64_t value,
                                 int bits);

  static constexpr size_t kSmall = 4;

  std::vector<uint8_t> out_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_WRITER_H_
