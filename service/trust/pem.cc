#include "service/trust/pem.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mikey {
namespace service {
namespace trust {
namespace {

constexpr absl::string_view kBegin = "-----BEGIN ";
constexpr absl::string_view kEnd = "-----END ";
constexpr absl::string_view kDashes = "-----";

// A base64 buffer that is wiped when it goes (it may hold a private key).
class WipedString {
 public:
  WipedString() = default;
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  ~WipedString() { Clear(); }
  std::string& get() { return s_; }
  void Clear() {
    SecureWipe(s_.data(), s_.size());
    s_.clear();
  }

 private:
  std::string s_;
};

bool IsBase64Char(char c) {
  return absl::ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
}

// The label of a "-----BEGIN X-----" / "-----END X-----" line, or false.
bool Label(absl::string_view line, absl::string_view prefix,
           absl::string_view* label) {
  if (!absl::StartsWith(line, prefix) || !absl::EndsWith(line, kDashes) ||
      line.size() < prefix.size() + kDashes.size()) {
    return false;
  }
  *label =
      line.substr(prefix.size(), line.size() - prefix.size() - kDashes.size());
  return true;
}

}  // namespace

absl::StatusOr<std::vector<PemBlock>> ParsePem(absl::string_view text,
                                               absl::string_view what) {
  std::vector<PemBlock> out;
  bool inside = false;
  std::string label;
  size_t begin_line = 0;
  WipedString base64;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == absl::string_view::npos) eol = text.size();
    const absl::string_view line =
        absl::StripAsciiWhitespace(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    absl::string_view l;
    if (!inside) {
      if (Label(line, kBegin, &l)) {
        if (out.size() == kMaxPemBlocks) {
          return absl::InvalidArgumentError(
              absl::StrCat(what, ": more than ", kMaxPemBlocks, " PEM blocks"));
        }
        inside = true;
        label = std::string(l);
        begin_line = line_no;
        base64.Clear();
      }
      continue;
    }
    if (Label(line, kEnd, &l)) {
      if (l != label) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": line ", line_no, ": END label '",
                         absl::CHexEscape(l), "' does not match BEGIN '",
                         absl::CHexEscape(label), "' of line ", begin_line));
      }
      PemBlock block;
      block.label = label;
      std::string der;
      // Padded base64 only (RFC 7468 §3): a whole number of 4-character
      // groups.
      const bool decoded = base64.get().size() % 4 == 0 &&
                           absl::Base64Unescape(base64.get(), &der);
      block.der = SecretBytes(absl::MakeConstSpan(
          reinterpret_cast<const uint8_t*>(der.data()), der.size()));
      SecureWipe(der.data(), der.size());
      if (!decoded) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": PEM block '", absl::CHexEscape(label),
                         "' of line ", begin_line, ": not valid base64"));
      }
      if (block.der.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": PEM block '", absl::CHexEscape(label),
                         "' of line ", begin_line, ": empty"));
      }
      out.push_back(std::move(block));
      inside = false;
      continue;
    }
    if (absl::StartsWith(line, kBegin) || absl::StartsWith(line, kEnd)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": line ", line_no, ": PEM block '", absl::CHexEscape(label),
          "' of line ", begin_line, " is not closed"));
    }
    if (line.find(':') != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": PEM block '", absl::CHexEscape(label),
                       "' of line ", begin_line,
                       ": has headers (a legacy encrypted key?); only plain, "
                       "unencrypted PEM is supported"));
    }
    for (char c : line) {
      if (absl::ascii_isspace(c)) continue;
      if (!IsBase64Char(c)) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": line ", line_no, ": PEM block '", absl::CHexEscape(label),
            "' of line ", begin_line, ": not base64"));
      }
      base64.get().push_back(c);
    }
  }
  if (inside) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": PEM block '", absl::CHexEscape(label),
                     "' of line ", begin_line, " has no END line"));
  }
  return out;
}

}  // namespace trust
}  // namespace service
}  // namespace mikey
