// Copying a few octets (an SP parameter value, a RAND, a MAC) without a call
// to memcpy: for such sizes the call, or the `rep movs` a compiler may expand
// a variable-length copy into, costs more than the copy. Internal to
// core/bytes (InlineBytes, FixedWriter).

#ifndef MIKEY_CORE_BYTES_SHORT_COPY_H_
#define MIKEY_CORE_BYTES_SHORT_COPY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/types/span.h"

namespace mikey {
namespace bytes_internal {

// Copies `src` into the first src.size() octets of `dst`, which the caller
// has checked to be at least that long (hence raw pointers: absl's hardened
// span indexing would check every octet again). The two may overlap: every
// octet is loaded before any is stored. Up to 32 octets this is two loads and
// two stores of at most 16 octets each, covering the range from both ends;
// beyond, memmove.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void CopyShort(
    absl::Span<uint8_t> dst, absl::Span<const uint8_t> src) {
  const size_t n = src.size();
  const uint8_t* const from = src.data();
  uint8_t* const to = dst.data();
  if (n < 4) {
    if (n == 0) return;
    // First, middle and last octet: all of them for n = 1, 2 or 3.
    const uint8_t first = from[0];
    const uint8_t middle = from[n / 2];
    const uint8_t last = from[n - 1];
    to[0] = first;
    to[n / 2] = middle;
    to[n - 1] = last;
  } else if (n < 8) {
    uint32_t head, tail;
    std::memcpy(&head, from, 4);
    std::memcpy(&tail, from + n - 4, 4);
    std::memcpy(to, &head, 4);
    std::memcpy(to + n - 4, &tail, 4);
  } else if (n < 16) {
    uint64_t head, tail;
    std::memcpy(&head, from, 8);
    std::memcpy(&tail, from + n - 8, 8);
    std::memcpy(to, &head, 8);
    std::memcpy(to + n - 8, &tail, 8);
  } else if (n <= 32) {
    uint8_t head[16], tail[16];
    std::memcpy(head, from, 16);
    std::memcpy(tail, from + n - 16, 16);
    std::memcpy(to, head, 16);
    std::memcpy(to + n - 16, tail, 16);
  } else {
    std::memmove(to, from, n);
  }
}

}  // namespace bytes_internal
}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_SHORT_COPY_H_
