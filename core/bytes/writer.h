// Building big-endian wire data, in the spirit of BoringSSL's CBB: callers
// append fields and never compute an offset; length-prefixed fields check
// that the data fits the prefix and fail cleanly when it does not.
//
// Writer grows its own buffer (CBB_init). FixedWriter writes into a buffer of
// known size that the caller owns (CBB_init_fixed): for output sized exactly
// beforehand, such as a serialized message or a key data chain written
// straight into SecretBytes.
//
// Field names are LazyNames (reader.h): formatted only when an error is
// reported.

#ifndef MIKEY_CORE_BYTES_WRITER_H_
#define MIKEY_CORE_BYTES_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/short_copy.h"

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
    if (ABSL_PREDICT_TRUE(Fits(value, bits))) return absl::OkStatus();
    return DoesNotFit(field, value, bits);
  }
  // The same for a plain name, as Reader's reads take one: the name is made
  // a LazyName only on the error path, so that the check alone costs nothing
  // more than a comparison.
  static absl::Status CheckFits(const char* field, uint64_t value, int bits) {
    if (ABSL_PREDICT_TRUE(Fits(value, bits))) return absl::OkStatus();
    return DoesNotFit(LazyName(field), value, bits);
  }
  static absl::Status CheckFits(absl::string_view field, uint64_t value,
                                int bits) {
    if (ABSL_PREDICT_TRUE(Fits(value, bits))) return absl::OkStatus();
    return DoesNotFit(LazyName(field), value, bits);
  }

  // Reserves room for `n` octets in total, so that writing up to that many
  // never reallocates (and so never leaves a stray copy of secret data in
  // freed memory).
  void Reserve(size_t n) { out_.reserve(n); }

  size_t size() const { return out_.size(); }
  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> Finish() && { return std::move(out_); }

 private:
  static bool Fits(uint64_t value, int bits) {
    return bits >= 64 || value < (uint64_t{1} << bits);
  }
  // INVALID_ARGUMENT "<field>: value V does not fit in B bits" (cold path).
  ABSL_ATTRIBUTE_NOINLINE static absl::Status DoesNotFit(const LazyName& field,
                                                         uint64_t value,
                                                         int bits);

  static constexpr size_t kSmall = 4;

  std::vector<uint8_t> out_;
};

// Writes into a caller-owned buffer of fixed size. Every write checks the
// space left; one that does not fit writes nothing and fails the writer for
// good (later writes are dropped too), so callers write a whole structure and
// check ok() or full() once at the end, as with a CBB.
//
// A FixedWriter is a cursor (a span and a position): keep it in a local and
// hand a function a Sub() writer for its part rather than a pointer to a
// long-lived one. A local writer's position stays in a register; one reached
// through a pointer is reloaded after every octet stored, since an octet store
// may alias anything.
class FixedWriter {
 public:
  explicit FixedWriter(absl::Span<uint8_t> out) : out_(out) {}

  void AddU8(uint8_t v) {
    if (uint8_t* p = nullptr; Take(1, &p)) p[0] = v;
  }
  void AddU16(uint16_t v) {
    if (uint8_t* p = nullptr; Take(2, &p)) {
      p[0] = static_cast<uint8_t>(v >> 8);
      p[1] = static_cast<uint8_t>(v);
    }
  }
  void AddU32(uint32_t v) {
    if (uint8_t* p = nullptr; Take(4, &p)) {
      p[0] = static_cast<uint8_t>(v >> 24);
      p[1] = static_cast<uint8_t>(v >> 16);
      p[2] = static_cast<uint8_t>(v >> 8);
      p[3] = static_cast<uint8_t>(v);
    }
  }
  void AddU64(uint64_t v) {
    AddU32(static_cast<uint32_t>(v >> 32));
    AddU32(static_cast<uint32_t>(v));
  }
  // Inline, like the others, so that a local writer stays in registers.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void AddBytes(absl::Span<const uint8_t> bytes) {
    // Policy values, RANDs, MACs: a few octets, copied without a call.
    if (uint8_t* p = nullptr; Take(bytes.size(), &p)) {
      bytes_internal::CopyShort(absl::MakeSpan(p, bytes.size()), bytes);
    }
  }

  // As AddBytes, for key material: copied with memcpy straight into the
  // buffer, never through a temporary (as CopyShort's are), so that no copy
  // is left outside the buffer, which the caller wipes (a SecretBytes).
  void AddSecretBytes(absl::Span<const uint8_t> bytes) {
    if (uint8_t* p = nullptr; Take(bytes.size(), &p)) {
      if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    }
  }

  // A type octet, a length octet and `value`: a TLV such as an SP policy
  // parameter, written with one check of the space left. The caller checks
  // that value.size() fits in 8 bits; a longer value fails the writer.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void AddTypeLengthValue8(
      uint8_t type, absl::Span<const uint8_t> value) {
    if (ABSL_PREDICT_FALSE(value.size() > 0xff)) {
      Fail();
      return;
    }
    if (uint8_t* p = nullptr; Take(2 + value.size(), &p)) {
      p[0] = type;
      p[1] = static_cast<uint8_t>(value.size());
      bytes_internal::CopyShort(absl::MakeSpan(p + 2, value.size()), value);
    }
  }

  // As Writer's: `bytes` preceded by its length in 1 or 2 octets; fails,
  // writing nothing, when the length does not fit, naming `field`.
  absl::Status AddU8LengthPrefixed(const LazyName& field,
                                   absl::Span<const uint8_t> bytes) {
    if (ABSL_PREDICT_FALSE(bytes.size() > 0xff)) {
      return Writer::CheckFits(field, bytes.size(), 8);
    }
    AddU8(static_cast<uint8_t>(bytes.size()));
    AddBytes(bytes);
    return absl::OkStatus();
  }
  absl::Status AddU16LengthPrefixed(const LazyName& field,
                                    absl::Span<const uint8_t> bytes) {
    if (ABSL_PREDICT_FALSE(bytes.size() > 0xffff)) {
      return Writer::CheckFits(field, bytes.size(), 16);
    }
    AddU16(static_cast<uint16_t>(bytes.size()));
    AddBytes(bytes);
    return absl::OkStatus();
  }

  // A writer for the next `n` octets, which this writer moves past: for a
  // part whose size is known. If they do not fit, both writers fail.
  FixedWriter Sub(size_t n) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) {
      Fail();
      FixedWriter failed{absl::Span<uint8_t>()};
      failed.Fail();
      return failed;
    }
    FixedWriter sub(out_.subspan(pos_, n));
    pos_ += n;
    return sub;
  }

  // No write was dropped.
  bool ok() const { return !failed_; }
  // No write was dropped and the buffer is filled exactly.
  bool full() const { return ok() && remaining() == 0; }
  size_t written() const { return pos_; }
  size_t remaining() const { return out_.size() - pos_; }

 private:
  // Sets `*p` to the next `n` octets to fill, after the one check that they
  // fit (so the writes into them are unchecked, like Reader's loads); false,
  // and the writer failed, if they do not. A flag rather than a null pointer,
  // which would cost every write a second test.
  bool Take(size_t n, uint8_t** p) {
    if (ABSL_PREDICT_FALSE(remaining() < n)) {
      Fail();
      return false;
    }
    *p = out_.data() + pos_;
    pos_ += n;
    return true;
  }

  void Fail() {
    out_ = absl::Span<uint8_t>();
    pos_ = 0;
    failed_ = true;
  }

  absl::Span<uint8_t> out_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_WRITER_H_
