// Hex helpers for tests: known-answer vectors are written in hex as the RFCs
// print them (spaces and line breaks allowed), and failures print hex.

#ifndef MIKEY_CORE_TESTING_HEX_H_
#define MIKEY_CORE_TESTING_HEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {
namespace testutil {

// Hex digits to bytes; whitespace is skipped. The input must be well formed:
// it is test data typed in by hand.
inline std::vector<uint8_t> Hex(absl::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') digits.push_back(c);
  }
  const std::string bytes = absl::HexStringToBytes(digits);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

// Bytes to lower-case hex.
inline std::string ToHex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace testutil
}  // namespace mikey

#endif  // MIKEY_CORE_TESTING_HEX_H_
