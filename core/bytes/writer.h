// Building big-endian wire data, in the spirit of BoringSSL's CBB: callers
// append fields and never compute an offset; length-prefixed fields check
// that the data fits the prefix and fail cleanly when it does not.

#ifndef MIKEY_CORE_BYTES_WRITER_H_
#define MIKEY_CORE_BYTES_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {

class Writer {
 public:
  Writer() = default;

  void AddU8(uint8_t v) { out_.push_back(v); }
  void AddU16(uint16_t v);
  void AddU32(uint32_t v);
  void AddU64(uint64_t v);
  void AddBytes(absl::Span<const uint8_t> bytes);

  // Adds `bytes` preceded by its length in 1 or 2 octets. Fails, writing
  // nothing, when the length does not fit; `field` names it in the error.
  absl::Status AddU8LengthPrefixed(absl::string_view field,
                                   absl::Span<const uint8_t> bytes);
  absl::Status AddU16LengthPrefixed(absl::string_view field,
                                    absl::Span<const uint8_t> bytes);

  // Checks that `value` fits in `bits` bits, naming `field` otherwise.
  static absl::Status CheckFits(absl::string_view field, uint64_t value,
                                int bits);

  // Reserves room for `n` octets in total, so that writing up to that many
  // never reallocates (and so never leaves a stray copy of secret data in
  // freed memory).
  void Reserve(size_t n) { out_.reserve(n); }

  size_t size() const { return out_.size(); }
  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> Finish() && { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_WRITER_H_
