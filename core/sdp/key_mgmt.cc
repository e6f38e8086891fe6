#include "core/sdp/key_mgmt.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

// Grammar (RFC 4567 §3.1, §3.2):
//
//   key-mgmt-attribute = "key-mgmt" ":" key-mgmt-att-value
//   key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data
//   prtcl-id           = KMPID            ; "mikey" (§4)
//   keymgmt-data       = base64
//
//   KeyMgmt       = "KeyMgmt" ":" key-mgmt-spec 0*("," key-mgmt-spec)
//   key-mgmt-spec = "prot" "=" KMPID ";" ["uri" "=" %x22 URI %x22 ";"]
//                   "data" "=" <base64 data>
//
// (The SDP attribute grammar was checked against RFC 4567 text quoted in
// other implementations; the KeyMgmt grammar's "data" production could not be
// re-read here, hence the tolerance for both quoted and bare data below.)
//
// What deployed peers send, and so what this file accepts beyond the letter
// of the grammar:
//  - Live555 and GStreamer write `prot=mikey; uri="..."; data="..."` (a space
//    after each ';'); gortsplib writes `prot=mikey;uri="...";data="..."`; ONVIF
//    cameras (and VLC talking to them) send `uri=""`. So whitespace around
//    ';', ',' and '=' is optional, `data` is accepted quoted (what every
//    peer sends) or as a bare token, `uri` may be empty or absent,
//    and parameters may come in any order.
//  - Header and parameter names and the protocol id are compared without
//    regard to case (RTSP header names are case-insensitive; so are ABNF
//    literals).
//  - Unknown RTSP parameters are ignored; a repeated parameter is an error.
//  - Base64 padding: every deployed encoder seen (Live555 base64Encode,
//    GLib g_base64_encode used by GStreamer, Go's base64.StdEncoding used by
//    gortsplib, Java's Base64 encoder, Qt's toBase64 in camera clients) pads.
//    Live555's decoder silently drops an unpadded final group and gortsplib's
//    decoder rejects it, so unpadded data would already fail with major peers.
//    Decoding therefore stays strict: missing '=' padding is an error.

namespace mikey {
namespace sdp {
namespace {

constexpr absl::string_view kMikey = "mikey";
constexpr absl::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// How many located items an error message lists before summarising.
constexpr size_t kMaxListed = 8;

// ---------------------------------------------------------------------------
// Small text helpers.

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

// [begin, end) of `text` without surrounding whitespace.
std::pair<size_t, size_t> TrimmedRange(absl::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && IsWhitespace(text[begin])) ++begin;
  while (end > begin && IsWhitespace(text[end - 1])) --end;
  return {begin, end};
}

// A short, printable rendering of untrusted text for error messages. Never
// used on key management data itself, which may carry keys in clear.
std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 32;
  bool cut = text.size() > kMax;
  if (cut) text = text.substr(0, kMax);
  return absl::StrCat("'", absl::CHexEscape(text), cut ? "...'" : "'");
}

std::string DescribeChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return absl::StrFormat("'%c'", c);
  return absl::StrFormat("0x%02X", u);
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// ---------------------------------------------------------------------------
// Base64 core: decodes `b64` exactly (no trimming). On failure returns false
// and sets `*pos` to the index in `b64` where it went wrong and `*what` to
// the reason.

bool DecodeBase64Exact(absl::string_view b64, Bytes* out, size_t* pos,
                       std::string* what) {
  out->clear();
  const size_t n = b64.size();
  size_t pad_start = n;  // index of the first '=' (n when none)
  for (size_t i = 0; i < n; ++i) {
    char c = b64[i];
    if (c == '=') {
      // Padding fills only the third and fourth place of the final group.
      if (i % 4 < 2) {
        *pos = i;
        *what = "padding '=' where a data character is required";
        return false;
      }
      if (pad_start == n) pad_start = i;
      continue;
    }
    if (pad_start != n) {
      *pos = i;
      *what = absl::StrCat("character ", DescribeChar(c), " after '=' padding");
      return false;
    }
    if (Base64Value(c) < 0) {
      *pos = i;
      if (c == '-' || c == '_') {
        *what = absl::StrCat("invalid character ", DescribeChar(c),
                             " (base64url alphabet; standard base64 "
                             "expected)");
      } else if (IsWhitespace(c)) {
        *what =
            absl::StrCat("whitespace ", DescribeChar(c), " inside base64 data");
      } else {
        *what = absl::StrCat("invalid character ", DescribeChar(c));
      }
      return false;
    }
  }
  if (n % 4 != 0) {
    *pos = n;
    *what = pad_start == n
                ? absl::StrCat("length ", n,
                               " is not a multiple of 4 (missing '=' padding)")
                : absl::StrCat("length ", n,
                               " is not a multiple of 4 (wrong '=' padding)");
    return false;
  }
  // 0, 1 or 2: every '=' sits in the third or fourth place of a group and
  // nothing but '=' follows the first one, so all of them share the last group.
  const size_t pad = n - pad_start;
  if (pad > 0) {
    const size_t last = pad_start - 1;
    const int v = Base64Value(b64[last]);
    const int mask = pad == 2 ? 0x0f : 0x03;
    if ((v & mask) != 0) {
      *pos = last;
      *what = absl::StrCat("character ", DescribeChar(b64[last]),
                           " has non-zero trailing bits before '=' padding");
      return false;
    }
  }
  out->reserve(n / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < pad_start; ++i) {
    acc = (acc << 6) | static_cast<uint32_t>(Base64Value(b64[i]));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// key-mgmt attribute values.

// A parsed `key-mgmt-att-value`; offsets are into the text handed to
// ParseAttValue.
struct AttValue {
  absl::string_view protocol;
  size_t protocol_offset = 0;
  absl::string_view data;
  size_t data_offset = 0;
};

// `where(offset)` renders a location ("line 3, column 12") for error
// messages; `offset` indexes `value`.
template <typename Where>
absl::Status ParseAttValue(absl::string_view value, const Where& where,
                           AttValue* out) {
  size_t i = 0;
  // The grammar allows one optional SP; tabs and more spaces are tolerated.
  while (i < value.size() && IsSpaceOrTab(value[i])) ++i;
  size_t p = i;
  while (i < value.size() && !IsWhitespace(value[i])) ++i;
  if (i == p) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(p), ": key-mgmt attribute has no protocol id"));
  }
  out->protocol = value.substr(p, i - p);
  out->protocol_offset = p;
  while (i < value.size() && IsSpaceOrTab(value[i])) ++i;
  size_t end = value.size();
  while (end > i && IsWhitespace(value[end - 1])) --end;
  if (i == end) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(i), ": key-mgmt attribute for protocol ",
                     Quote(out->protocol), " has no data"));
  }
  out->data = value.substr(i, end - i);
  out->data_offset = i;
  return absl::OkStatus();
}

template <typename Where>
absl::Status DecodeMikeyData(absl::string_view data, size_t data_offset,
                             const Where& where, Bytes* out) {
  size_t pos = 0;
  std::string what;
  if (!DecodeBase64Exact(data, out, &pos, &what)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(data_offset + pos),
                     ": MIKEY data: base64 character ", pos, ": ", what));
  }
  if (out->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(data_offset), ": MIKEY data is empty"));
  }
  return absl::OkStatus();
}

// If `line` is an SDP `a=key-mgmt:` attribute, sets `*value_offset` to the
// index just after the ':' and returns true.
bool IsKeyMgmtAttributeLine(absl::string_view line, size_t* value_offset) {
  constexpr absl::string_view kPrefix = "a=key-mgmt:";
  if (line.size() < kPrefix.size() ||
      !absl::EqualsIgnoreCase(line.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  *value_offset = kPrefix.size();
  return true;
}

// ---------------------------------------------------------------------------
// SDP line scanning.

struct SdpLine {
  absl::string_view text;  // without terminator
  size_t offset = 0;       // offset of text[0] in the SDP
  int number = 0;          // 1-based
};

// Calls `fn(const SdpLine&)` for each line; stops early when it returns
// false. Lines end at LF; a CR just before the LF is dropped.
template <typename Fn>
void ForEachLine(absl::string_view sdp, const Fn& fn) {
  size_t pos = 0;
  int number = 0;
  while (pos < sdp.size()) {
    size_t nl = sdp.find('\n', pos);
    size_t end = nl == absl::string_view::npos ? sdp.size() : nl;
    size_t text_end = end;
    if (nl != absl::string_view::npos && text_end > pos &&
        sdp[text_end - 1] == '\r') {
      --text_end;
    }
    SdpLine line;
    line.text = sdp.substr(pos, text_end - pos);
    line.offset = pos;
    line.number = ++number;
    if (!fn(line)) return;
    pos = nl == absl::string_view::npos ? sdp.size() : nl + 1;
  }
}

std::string DescribeFound(const FoundKeyMgmt& found) {
  if (found.media_index < 0) {
    return absl::StrCat("line ", found.line_number, " (session level)");
  }
  return absl::StrCat("line ", found.line_number, " (media index ",
                      found.media_index, ")");
}

std::string ListFound(const std::vector<const FoundKeyMgmt*>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) {
    if (i > 0) absl::StrAppend(&out, ", ");
    absl::StrAppend(&out, DescribeFound(*items[i]));
  }
  if (items.size() > kMaxListed) {
    absl::StrAppend(&out, " and ", items.size() - kMaxListed, " more");
  }
  return out;
}

// ---------------------------------------------------------------------------
// RTSP KeyMgmt header.

struct RtspParam {
  std::string name;   // as written
  std::string value;  // unquoted and unescaped
  size_t name_offset = 0;
  size_t value_offset = 0;  // first character of the value's content
  bool escaped = false;     // value held backslash escapes
};

struct RtspSpec {
  std::vector<RtspParam> params;
  size_t offset = 0;
};

bool IsParamNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == '.';
}

// Skips RTSP linear whitespace: SP, HT, and a line fold (CRLF or LF followed
// by SP or HT).
size_t SkipLws(absl::string_view s, size_t i) {
  while (i < s.size()) {
    if (IsSpaceOrTab(s[i])) {
      ++i;
    } else if (s[i] == '\r' && i + 2 < s.size() && s[i + 1] == '\n' &&
               IsSpaceOrTab(s[i + 2])) {
      i += 3;
    } else if (s[i] == '\n' && i + 1 < s.size() && IsSpaceOrTab(s[i + 1])) {
      i += 2;
    } else {
      break;
    }
  }
  return i;
}

std::string Column(size_t offset) {
  return absl::StrCat("KeyMgmt header, column ", offset + 1);
}

// Parses the specs of a header value spanning [begin, end) of `header`.
// Offsets stay relative to `header`.
absl::Status ParseRtspSpecs(absl::string_view header, size_t begin, size_t end,
                            std::vector<RtspSpec>* specs) {
  absl::string_view s = header.substr(0, end);
  size_t i = begin;
  while (true) {
    RtspSpec spec;
    spec.offset = SkipLws(s, i);
    while (true) {
      i = SkipLws(s, i);
      if (i >= s.size() || s[i] == ',') break;
      if (s[i] == ';') {  // empty parameter, e.g. a trailing ';'
        ++i;
        continue;
      }
      RtspParam param;
      param.name_offset = i;
      while (i < s.size() && IsParamNameChar(s[i])) ++i;
      if (i == param.name_offset) {
        return absl::InvalidArgumentError(
            absl::StrCat(Column(i), ": expected a parameter name, found ",
                         DescribeChar(s[i])));
      }
      param.name =
          std::string(s.substr(param.name_offset, i - param.name_offset));
      i = SkipLws(s, i);
      if (i >= s.size() || s[i] != '=') {
        return absl::InvalidArgumentError(
            absl::StrCat(Column(param.name_offset), ": parameter ",
                         Quote(param.name), " has no '=' and value"));
      }
      i = SkipLws(s, i + 1);
      if (i < s.size() && s[i] == '"') {
        const size_t open = i;
        param.value_offset = ++i;
        bool closed = false;
        while (i < s.size()) {
          char c = s[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c == '\\' && i + 1 < s.size()) {
            param.escaped = true;
            param.value.push_back(s[i + 1]);
            i += 2;
            continue;
          }
          if (c == '\r' || c == '\n') break;
          param.value.push_back(c);
          ++i;
        }
        if (!closed) {
          return absl::InvalidArgumentError(
              absl::StrCat(Column(open), ": quoted value of parameter ",
                           Quote(param.name), " is not terminated"));
        }
      } else {
        param.value_offset = i;
        while (i < s.size() && !IsWhitespace(s[i]) && s[i] != ';' &&
               s[i] != ',' && s[i] != '"') {
          ++i;
        }
        param.value =
            std::string(s.substr(param.value_offset, i - param.value_offset));
      }
      spec.params.push_back(std::move(param));
      i = SkipLws(s, i);
      if (i >= s.size() || s[i] == ',') break;
      if (s[i] != ';') {
        return absl::InvalidArgumentError(absl::StrCat(
            Column(i), ": expected ';' or ',' after parameter ",
            Quote(spec.params.back().name), ", found ", DescribeChar(s[i])));
      }
      ++i;
    }
    specs->push_back(std::move(spec));
    if (i >= s.size()) break;
    ++i;  // the ','
  }
  return absl::OkStatus();
}

const RtspParam* FindParam(const RtspSpec& spec, absl::string_view name) {
  for (const RtspParam& p : spec.params) {
    if (absl::EqualsIgnoreCase(p.name, name)) return &p;
  }
  return nullptr;
}

absl::Status CheckDuplicates(const RtspSpec& spec, size_t spec_number) {
  // Only the parameters this header defines are checked; the list is short.
  for (absl::string_view name : {"prot", "uri", "data"}) {
    const RtspParam* first = nullptr;
    for (const RtspParam& p : spec.params) {
      if (!absl::EqualsIgnoreCase(p.name, name)) continue;
      if (first != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(Column(p.name_offset), ": key-mgmt spec ", spec_number,
                         " repeats parameter '", name, "'"));
      }
      first = &p;
    }
  }
  return absl::OkStatus();
}

// Position of "KeyMgmt" ":" at the start of [begin, end) of `text`: returns
// the index after the ':' or npos.
size_t AfterHeaderName(absl::string_view text, size_t begin, size_t end) {
  constexpr absl::string_view kName = "KeyMgmt";
  if (end - begin < kName.size() ||
      !absl::EqualsIgnoreCase(text.substr(begin, kName.size()), kName)) {
    return absl::string_view::npos;
  }
  size_t i = begin + kName.size();
  while (i < end && IsSpaceOrTab(text[i])) ++i;
  if (i < end && text[i] == ':') return i + 1;
  return absl::string_view::npos;
}

// Whether `text` holds "prot=" at the start or after whitespace, ';' or ','.
// Bare base64 never matches: it cannot start with "prot=" (a '=' in the
// fifth place is invalid) and holds no separators.
bool ContainsProtParam(absl::string_view text) {
  size_t pos = 0;
  while (true) {
    // Case-insensitive search without copying: look for '=' and check the
    // four characters before it.
    pos = text.find('=', pos);
    if (pos == absl::string_view::npos) return false;
    if (pos >= 4 && absl::EqualsIgnoreCase(text.substr(pos - 4, 4), "prot")) {
      size_t start = pos - 4;
      if (start == 0 || IsWhitespace(text[start - 1]) ||
          text[start - 1] == ';' || text[start - 1] == ',') {
        return true;
      }
    }
    ++pos;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Base64.

std::string EncodeBase64(absl::Span<const uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) |
                 uint32_t{data[i + 2]};
    out.push_back(kAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kAlphabet[(v >> 12) & 0x3f]);
    out.push_back(kAlphabet[(v >> 6) & 0x3f]);
    out.push_back(kAlphabet[v & 0x3f]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kAlphabet[(v >> 12) & 0x3f]);
    out.append("==");
  } else if (rest == 2) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 0x3f]);
    out.push_back(kAlphabet[(v >> 12) & 0x3f]);
    out.push_back(kAlphabet[(v >> 6) & 0x3f]);
    out.push_back('=');
  }
  return out;
}

absl::StatusOr<Bytes> DecodeBase64(absl::string_view text) {
  auto [begin, end] = TrimmedRange(text);
  Bytes out;
  size_t pos = 0;
  std::string what;
  if (!DecodeBase64Exact(text.substr(begin, end - begin), &out, &pos, &what)) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: offset ", begin + pos, ": ", what));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Attribute.

std::string FormatKeyMgmtValue(absl::Span<const uint8_t> mikey) {
  return absl::StrCat(kMikey, " ", EncodeBase64(mikey));
}

std::string FormatKeyMgmtAttribute(absl::Span<const uint8_t> mikey) {
  return absl::StrCat("a=key-mgmt:", FormatKeyMgmtValue(mikey));
}

absl::StatusOr<Bytes> ParseKeyMgmtAttribute(absl::string_view line) {
  auto [begin, end] = TrimmedRange(line);
  auto where = [](size_t offset) {
    return absl::StrCat("key-mgmt attribute, column ", offset + 1);
  };
  if (begin == end) {
    return absl::InvalidArgumentError("key-mgmt attribute: empty text");
  }
  absl::string_view body = line.substr(0, end);
  size_t value_begin = begin;
  absl::string_view rest = body.substr(begin);
  size_t prefix = 0;
  if (IsKeyMgmtAttributeLine(rest, &prefix)) {
    value_begin = begin + prefix;
  } else if (absl::StartsWithIgnoreCase(rest, "key-mgmt:")) {
    value_begin = begin + 9;
  } else if (absl::StartsWith(rest, "a=")) {
    size_t colon = rest.find(':');
    absl::string_view name = rest.substr(
        2, colon == absl::string_view::npos ? rest.size() - 2 : colon - 2);
    if (colon == absl::string_view::npos &&
        absl::EqualsIgnoreCase(name, "key-mgmt")) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(end), ": key-mgmt attribute has no ':' and value"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        where(begin), ": attribute ", Quote(name), " is not key-mgmt"));
  }
  AttValue value;
  absl::string_view value_text = body.substr(value_begin);
  auto value_where = [&](size_t offset) { return where(value_begin + offset); };
  if (auto s = ParseAttValue(value_text, value_where, &value); !s.ok()) {
    return s;
  }
  if (!absl::EqualsIgnoreCase(value.protocol, kMikey)) {
    return absl::InvalidArgumentError(
        absl::StrCat(value_where(value.protocol_offset), ": key-mgmt protocol ",
                     Quote(value.protocol), " is not mikey"));
  }
  Bytes out;
  if (auto s =
          DecodeMikeyData(value.data, value.data_offset, value_where, &out);
      !s.ok()) {
    return s;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Whole SDP.

absl::StatusOr<std::vector<FoundKeyMgmt>> FindKeyMgmtInSdp(
    absl::string_view sdp) {
  std::vector<FoundKeyMgmt> found;
  absl::Status status;
  int media_index = -1;
  ForEachLine(sdp, [&](const SdpLine& line) {
    if (absl::StartsWith(line.text, "m=")) {
      ++media_index;
      return true;
    }
    size_t value_offset = 0;
    if (!IsKeyMgmtAttributeLine(line.text, &value_offset)) return true;
    auto where = [&](size_t offset) {
      return absl::StrCat("SDP line ", line.number, ", column ",
                          value_offset + offset + 1);
    };
    AttValue value;
    status = ParseAttValue(line.text.substr(value_offset), where, &value);
    if (!status.ok()) return false;
    FoundKeyMgmt item;
    item.media_index = media_index;
    item.line_number = line.number;
    if (absl::EqualsIgnoreCase(value.protocol, kMikey)) {
      item.protocol = std::string(kMikey);
      status =
          DecodeMikeyData(value.data, value.data_offset, where, &item.data);
      if (!status.ok()) return false;
    } else {
      item.protocol = std::string(value.protocol);
    }
    found.push_back(std::move(item));
    return true;
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::string> InsertKeyMgmtInSdp(
    absl::string_view sdp, absl::Span<const uint8_t> mikey) {
  if (!absl::StartsWith(sdp, "v=")) {
    return absl::InvalidArgumentError(
        "SDP line 1, column 1: an SDP must start with \"v=\"");
  }
  if (mikey.empty()) {
    return absl::InvalidArgumentError(
        "key-mgmt: refusing to insert an empty MIKEY message");
  }
  // Terminator style follows the first line.
  absl::string_view terminator = "\r\n";
  size_t first_nl = sdp.find('\n');
  if (first_nl != absl::string_view::npos &&
      (first_nl == 0 || sdp[first_nl - 1] != '\r')) {
    terminator = "\n";
  }
  size_t media_offset = absl::string_view::npos;
  absl::Status status;
  ForEachLine(sdp, [&](const SdpLine& line) {
    if (absl::StartsWith(line.text, "m=")) {
      media_offset = line.offset;
      return false;
    }
    size_t value_offset = 0;
    if (IsKeyMgmtAttributeLine(line.text, &value_offset)) {
      absl::string_view value = line.text.substr(value_offset);
      size_t p = 0;
      while (p < value.size() && IsSpaceOrTab(value[p])) ++p;
      size_t q = p;
      while (q < value.size() && !IsWhitespace(value[q])) ++q;
      status = absl::InvalidArgumentError(
          absl::StrCat("SDP line ", line.number,
                       ": a session-level key-mgmt attribute (protocol ",
                       Quote(value.substr(p, q - p)), ") is already present"));
      return false;
    }
    return true;
  });
  if (!status.ok()) return status;

  const std::string attribute = FormatKeyMgmtAttribute(mikey);
  std::string out;
  out.reserve(sdp.size() + attribute.size() + 2 * terminator.size());
  if (media_offset != absl::string_view::npos) {
    absl::StrAppend(&out, sdp.substr(0, media_offset), attribute, terminator,
                    sdp.substr(media_offset));
  } else {
    out.append(sdp.data(), sdp.size());
    if (!absl::EndsWith(sdp, "\n"))
      out.append(terminator.data(), terminator.size());
    absl::StrAppend(&out, attribute, terminator);
  }
  return out;
}

// ---------------------------------------------------------------------------
// RTSP.

absl::StatusOr<RtspKeyMgmt> ParseRtspKeyMgmt(absl::string_view header) {
  auto [begin, end] = TrimmedRange(header);
  size_t value_begin = begin;
  size_t after_name = AfterHeaderName(header, begin, end);
  if (after_name != absl::string_view::npos) value_begin = after_name;
  if (SkipLws(header.substr(0, end), value_begin) >= end) {
    return absl::InvalidArgumentError(
        absl::StrCat(Column(value_begin), ": KeyMgmt header has no value"));
  }
  std::vector<RtspSpec> specs;
  if (auto s = ParseRtspSpecs(header, value_begin, end, &specs); !s.ok()) {
    return s;
  }

  std::vector<size_t> mikey_specs;
  std::string other_protocols;
  size_t others = 0;
  for (size_t k = 0; k < specs.size(); ++k) {
    const RtspSpec& spec = specs[k];
    if (spec.params.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Column(spec.offset), ": key-mgmt spec ", k + 1, " is empty"));
    }
    if (auto s = CheckDuplicates(spec, k + 1); !s.ok()) return s;
    const RtspParam* prot = FindParam(spec, "prot");
    if (prot == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(Column(spec.offset), ": key-mgmt spec ", k + 1,
                       " has no 'prot' parameter"));
    }
    if (absl::EqualsIgnoreCase(prot->value, kMikey)) {
      mikey_specs.push_back(k);
    } else if (++others <= kMaxListed) {
      if (!other_protocols.empty()) absl::StrAppend(&other_protocols, ", ");
      absl::StrAppend(&other_protocols, Quote(prot->value), " at column ",
                      prot->value_offset + 1);
    }
  }
  if (others > kMaxListed) {
    absl::StrAppend(&other_protocols, " and ", others - kMaxListed, " more");
  }
  if (mikey_specs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KeyMgmt header: no prot=mikey key-mgmt spec (found ",
                     other_protocols, ")"));
  }
  if (mikey_specs.size() > 1) {
    std::string where;
    for (size_t j = 0; j < mikey_specs.size() && j < kMaxListed; ++j) {
      if (j > 0) absl::StrAppend(&where, ", ");
      absl::StrAppend(&where, "column ", specs[mikey_specs[j]].offset + 1);
    }
    if (mikey_specs.size() > kMaxListed) {
      absl::StrAppend(&where, " and ", mikey_specs.size() - kMaxListed,
                      " more");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "KeyMgmt header: ", mikey_specs.size(),
        " prot=mikey key-mgmt specs, expected exactly one (at ", where, ")"));
  }

  const RtspSpec& spec = specs[mikey_specs[0]];
  const size_t spec_number = mikey_specs[0] + 1;
  const RtspParam* data = FindParam(spec, "data");
  if (data == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(Column(spec.offset), ": key-mgmt spec ", spec_number,
                     " has no 'data' parameter"));
  }
  RtspKeyMgmt result;
  if (const RtspParam* uri = FindParam(spec, "uri"); uri != nullptr) {
    result.uri = uri->value;
  }
  // Surrounding whitespace inside the quotes is tolerated like elsewhere.
  const std::pair<size_t, size_t> trimmed = TrimmedRange(data->value);
  const size_t dbegin = trimmed.first;
  absl::string_view b64 =
      absl::string_view(data->value).substr(dbegin, trimmed.second - dbegin);
  // Offsets map back onto the header exactly unless the value held escapes
  // (which no base64 needs); then they are approximate.
  auto where = [&](size_t offset) {
    return Column(data->value_offset + dbegin + offset);
  };
  if (auto s = DecodeMikeyData(b64, 0, where, &result.data); !s.ok()) {
    return s;
  }
  return result;
}

std::string FormatRtspKeyMgmt(absl::string_view uri,
                              absl::Span<const uint8_t> mikey) {
  // Characters that may not appear in a URI (controls, space, '"', '\\',
  // non-ASCII) are percent-encoded, so the quoted string needs no escapes
  // and a CR or LF can never end the header early.
  std::string safe_uri;
  safe_uri.reserve(uri.size());
  for (char c : uri) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      absl::StrAppendFormat(&safe_uri, "%%%02X", u);
    } else {
      safe_uri.push_back(c);
    }
  }
  return absl::StrCat("prot=mikey; uri=\"", safe_uri, "\"; data=\"",
                      EncodeBase64(mikey), "\"");
}

// ---------------------------------------------------------------------------
// Whatever text a user hands us.

absl::StatusOr<Bytes> ExtractMikeyFromText(absl::string_view text) {
  auto [begin, end] = TrimmedRange(text);
  if (begin == end) {
    return absl::InvalidArgumentError(
        "MIKEY text: empty (expected base64, a key-mgmt attribute, a KeyMgmt "
        "header or an SDP)");
  }
  absl::string_view body = text.substr(begin, end - begin);

  // A whole SDP.
  if (absl::StartsWith(body, "v=")) {
    absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(text);
    if (!found.ok()) return found.status();
    std::vector<const FoundKeyMgmt*> mikey;
    std::vector<const FoundKeyMgmt*> others;
    for (const FoundKeyMgmt& f : *found) {
      (f.protocol == kMikey ? mikey : others).push_back(&f);
    }
    if (mikey.size() == 1) return mikey[0]->data;
    if (mikey.empty()) {
      std::string message =
          "SDP: found 0 a=key-mgmt:mikey attributes, expected exactly one";
      if (!others.empty()) {
        absl::StrAppend(&message, " (key-mgmt for other protocols at ",
                        ListFound(others), ")");
      }
      return absl::InvalidArgumentError(message);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("SDP: found ", mikey.size(),
                     " a=key-mgmt:mikey attributes, expected exactly one: at ",
                     ListFound(mikey)));
  }

  // An RTSP header named as such.
  if (AfterHeaderName(text, begin, end) != absl::string_view::npos) {
    absl::StatusOr<RtspKeyMgmt> parsed = ParseRtspKeyMgmt(text);
    if (!parsed.ok()) return parsed.status();
    return std::move(parsed->data);
  }

  // An attribute line or value.
  if (absl::StartsWithIgnoreCase(body, "a=key-mgmt") ||
      absl::StartsWithIgnoreCase(body, "key-mgmt:") ||
      (body.size() > kMikey.size() &&
       absl::StartsWithIgnoreCase(body, kMikey) &&
       IsSpaceOrTab(body[kMikey.size()]))) {
    return ParseKeyMgmtAttribute(text);
  }

  // An RTSP header value without its name.
  if (ContainsProtParam(body)) {
    absl::StatusOr<RtspKeyMgmt> parsed = ParseRtspKeyMgmt(text);
    if (!parsed.ok()) return parsed.status();
    return std::move(parsed->data);
  }

  // Bare base64.
  Bytes out;
  size_t pos = 0;
  std::string what;
  if (!DecodeBase64Exact(body, &out, &pos, &what)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MIKEY text is not an SDP, KeyMgmt header or key-mgmt attribute, and "
        "not valid base64: offset ",
        begin + pos, ": ", what));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("MIKEY text: no MIKEY data");
  }
  return out;
}

}  // namespace sdp
}  // namespace mikey
