// Fuzzes MIKEY's carriage in SDP and RTSP text (core/sdp, RFC 4567): every
// entry point on the same text, with the properties key_mgmt.h promises:
//   - base64 decoding is strict, so what decodes re-encodes to the same text
//     (without surrounding whitespace);
//   - a parsed attribute or KeyMgmt header, formatted again, parses to the
//     same data (and, for URIs needing no percent-encoding, the same URI);
//   - inserting a key-mgmt attribute into an SDP that parses gives an SDP
//     that still parses, with the new attribute at session level and every
//     attribute found before still there.
// The first input octet (mod 64) is the length of the MIKEY data to insert,
// taken from the end of the input; the rest is the text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/sdp/key_mgmt.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace {

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

bool NeedsNoPercentEncoding(absl::string_view uri) {
  for (char c : uri) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

void Fuzz(absl::string_view text, absl::Span<const uint8_t> mikey) {
  (void)sdp::ExtractMikeyFromText(text);

  if (absl::StatusOr<sdp::Bytes> b = sdp::DecodeBase64(text); b.ok()) {
    FUZZ_CHECK(sdp::EncodeBase64(*b) == Trim(text),
               "base64 does not re-encode to its input");
  }

  if (absl::StatusOr<sdp::Bytes> a = sdp::ParseKeyMgmtAttribute(text); a.ok()) {
    FUZZ_CHECK(!a->empty(), "an attribute with empty data parsed");
    absl::StatusOr<sdp::Bytes> again =
        sdp::ParseKeyMgmtAttribute(sdp::FormatKeyMgmtAttribute(*a));
    FUZZ_CHECK(again.ok() && *again == *a,
               "formatted attribute does not parse to the same data");
  }

  if (absl::StatusOr<sdp::RtspKeyMgmt> r = sdp::ParseRtspKeyMgmt(text);
      r.ok()) {
    const std::string header = sdp::FormatRtspKeyMgmt(r->uri, r->data);
    absl::StatusOr<sdp::RtspKeyMgmt> again = sdp::ParseRtspKeyMgmt(header);
    FUZZ_CHECK(again.ok(), absl::StrCat("formatted KeyMgmt does not parse: ",
                                        again.status().ToString()));
    FUZZ_CHECK(again->data == r->data, "KeyMgmt data changed");
    if (NeedsNoPercentEncoding(r->uri)) {
      FUZZ_CHECK(again->uri == r->uri, "KeyMgmt URI changed");
    }
    absl::StatusOr<sdp::Bytes> extracted =
        sdp::ExtractMikeyFromText(absl::StrCat("KeyMgmt: ", header));
    FUZZ_CHECK(extracted.ok() && *extracted == r->data,
               "ExtractMikeyFromText disagrees with ParseRtspKeyMgmt");
  }

  absl::StatusOr<std::vector<sdp::FoundKeyMgmt>> before =
      sdp::FindKeyMgmtInSdp(text);
  absl::StatusOr<std::string> inserted = sdp::InsertKeyMgmtInSdp(text, mikey);
  if (before.ok() && inserted.ok()) {
    absl::StatusOr<std::vector<sdp::FoundKeyMgmt>> after =
        sdp::FindKeyMgmtInSdp(*inserted);
    FUZZ_CHECK(after.ok(), absl::StrCat("SDP with the inserted attribute "
                                        "does not parse: ",
                                        after.status().ToString()));
    FUZZ_CHECK(after->size() == before->size() + 1,
               absl::StrCat(after->size(), " attributes after insertion, ",
                            before->size(), " before"));
    size_t new_ones = 0;
    size_t j = 0;  // walks `before`, which must appear in order
    for (const sdp::FoundKeyMgmt& f : *after) {
      if (j < before->size() && f.protocol == (*before)[j].protocol &&
          f.data == (*before)[j].data &&
          f.media_index == (*before)[j].media_index) {
        ++j;
        continue;
      }
      FUZZ_CHECK(f.media_index == -1 && f.protocol == "mikey" &&
                     absl::MakeConstSpan(f.data) == mikey,
                 "an attribute changed or the new one is not the one given");
      ++new_ones;
    }
    FUZZ_CHECK(new_ones == 1 && j == before->size(),
               "inserted attribute not found exactly once");
  }
}

}  // namespace
}  // namespace mikey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t mikey_len = data[0] % 64;
  if (mikey_len > size - 1) mikey_len = size - 1;
  const size_t text_len = size - 1 - mikey_len;
  const absl::string_view text(reinterpret_cast<const char*>(data + 1),
                               text_len);
  const absl::Span<const uint8_t> mikey(data + 1 + text_len, mikey_len);
  mikey::Fuzz(text, mikey);
  return 0;
}
