// MIKEY carriage in SDP and RTSP (RFC 4567): the `a=key-mgmt:mikey <base64>`
// attribute, the RTSP `KeyMgmt:` header, and finding or inserting the
// attribute in a whole session description.
//
// Pure text processing: no I/O. Errors are INVALID_ARGUMENT and name the line
// and column (or base64 position) where the input went wrong.

#ifndef MIKEY_CORE_SDP_KEY_MGMT_H_
#define MIKEY_CORE_SDP_KEY_MGMT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mikey {
namespace sdp {

using Bytes = std::vector<uint8_t>;

// Standard base64 (RFC 4648 §4) with padding. Decoding is strict: it rejects
// characters outside the alphabet, bad padding and non-zero trailing bits,
// naming the position; surrounding whitespace is ignored.
std::string EncodeBase64(absl::Span<const uint8_t> data);
absl::StatusOr<Bytes> DecodeBase64(absl::string_view text);

// "mikey <base64>": the attribute value an SDP offer carries.
std::string FormatKeyMgmtValue(absl::Span<const uint8_t> mikey);
// "a=key-mgmt:mikey <base64>" (no line terminator).
std::string FormatKeyMgmtAttribute(absl::Span<const uint8_t> mikey);

// Parses one attribute: "a=key-mgmt:mikey X", "key-mgmt:mikey X" or the bare
// value "mikey X". A protocol other than mikey is an error naming it.
absl::StatusOr<Bytes> ParseKeyMgmtAttribute(absl::string_view line);

// A key-mgmt attribute found in an SDP.
struct FoundKeyMgmt {
  std::string protocol;  // "mikey" (others are reported, not decoded)
  Bytes data;            // decoded message (empty for other protocols)
  int media_index = -1;  // -1 for session level, else 0-based m= section
  int line_number = 0;   // 1-based line in the SDP
};

// Every key-mgmt attribute of a whole SDP, session- and media-level, in order.
// Accepts CRLF or LF line ends. Fails if a mikey attribute's base64 is bad.
absl::StatusOr<std::vector<FoundKeyMgmt>> FindKeyMgmtInSdp(
    absl::string_view sdp);

// Returns `sdp` with "a=key-mgmt:mikey <base64>" inserted at session level,
// just before the first m= line (at the end when there is none), keeping the
// SDP's line terminator style. Fails if `sdp` does not start with "v=" or
// already has a session-level key-mgmt attribute.
absl::StatusOr<std::string> InsertKeyMgmtInSdp(absl::string_view sdp,
                                               absl::Span<const uint8_t> mikey);

// RTSP `KeyMgmt: prot=mikey; uri="..."; data="..."` (RFC 4567 §3.2).
struct RtspKeyMgmt {
  std::string uri;
  Bytes data;
};
// Accepts the header line with or without the "KeyMgmt:" name.
absl::StatusOr<RtspKeyMgmt> ParseRtspKeyMgmt(absl::string_view header);
// The header value (without "KeyMgmt: ").
std::string FormatRtspKeyMgmt(absl::string_view uri,
                              absl::Span<const uint8_t> mikey);

// Finds the MIKEY message in whatever text a user hands us: bare base64, an
// attribute line or value, an RTSP KeyMgmt header, or a whole SDP (which
// must hold exactly one mikey attribute, else the error says how many).
absl::StatusOr<Bytes> ExtractMikeyFromText(absl::string_view text);

}  // namespace sdp
}  // namespace mikey

#endif  // MIKEY_CORE_SDP_KEY_MGMT_H_
