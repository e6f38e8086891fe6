#include "service/json_proto.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace mikey {
namespace service {
namespace {

// A JSON key as protobuf's parser matches it to a field: lowerCamelCase
// ("plaintext_loopback_ok" and "plaintextLoopbackOk" are the same field).
std::string FieldKey(absl::string_view key) {
  std::string out;
  bool upper_next = false;
  for (char c : key) {
    if (c == '_') {
      upper_next = true;
      continue;
    }
    out += upper_next ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c;
    upper_next = false;
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class StrictJsonChecker {
 public:
  explicit StrictJsonChecker(absl::string_view text) : s_(text) {}

  absl::Status Check() {
    enum class State { kValue, kValueOrEnd, kKeyOrEnd, kKey, kAfterValue };
    State state = State::kValue;
    while (true) {
      SkipWhitespace();
      switch (state) {
        case State::kValue: {
          if (pos_ >= s_.size())
            return Error("unexpected end, expected a value");
          const char c = s_[pos_];
          if (c == '{' || c == '[') {
            if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
              return Error(absl::StrCat("nested deeper than ", kMaxJsonDepth));
            }
            stack_.push_back(Frame{c == '{', {}, "", 0});
            ++pos_;
            state = c == '{' ? State::kKeyOrEnd : State::kValueOrEnd;
          } else if (c == '"') {
            if (absl::Status st = String(nullptr); !st.ok()) return st;
            state = State::kAfterValue;
          } else if (c == '-' ||
                     absl::ascii_isdigit(static_cast<unsigned char>(c))) {
            if (absl::Status st = Number(); !st.ok()) return st;
            state = State::kAfterValue;
          } else if (Literal("true") || Literal("false") || Literal("null")) {
            state = State::kAfterValue;
          } else {
            return Error("expected a value");
          }
          break;
        }
        case State::kValueOrEnd:
          if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            stack_.pop_back();
            state = State::kAfterValue;
          } else {
            state = State::kValue;
          }
          break;
        case State::kKeyOrEnd:
          if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            stack_.pop_back();
            state = State::kAfterValue;
          } else {
            state = State::kKey;
          }
          break;
        case State::kKey: {
          if (pos_ >= s_.size() || s_[pos_] != '"') {
            return Error("expected a key (a string in double quotes)");
          }
          std::string key;
          if (absl::Status st = String(&key); !st.ok()) return st;
          Frame& top = stack_.back();
          top.key = key;
          if (!top.keys.insert(FieldKey(key)).second) {
            return Error("key given twice");
          }
          SkipWhitespace();
          if (pos_ >= s_.size() || s_[pos_] != ':')
            return Error("expected ':'");
          ++pos_;
          state = State::kValue;
          break;
        }
        case State::kAfterValue: {
          if (stack_.empty()) {
            if (pos_ < s_.size()) return Error("unexpected text after the end");
            return absl::OkStatus();
          }
          Frame& top = stack_.back();
          const char c = pos_ < s_.size() ? s_[pos_] : '\0';
          if (c == ',') {
            ++pos_;
            if (top.object) {
              state = State::kKey;
            } else {
              ++top.index;
              state = State::kValue;
            }
          } else if (c == (top.object ? '}' : ']')) {
            ++pos_;
            stack_.pop_back();
          } else {
            return Error(top.object ? "expected ',' or '}'"
                                    : "expected ',' or ']'");
          }
          break;
        }
      }
    }
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;  // the current key (objects)
    int index;        // the current element (arrays)
  };

  void SkipWhitespace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status Number() {
    const auto digit = [this] {
      return pos_ < s_.size() &&
             absl::ascii_isdigit(static_cast<unsigned char>(s_[pos_]));
    };
    if (s_[pos_] == '-') ++pos_;
    if (!digit()) return Error("malformed number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digit()) return Error("malformed number");
      while (digit()) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digit()) return Error("malformed number");
      while (digit()) ++pos_;
    }
    return absl::OkStatus();
  }

  // Four hex digits at pos_, as a number; -1 if they are not there.
  int Hex4() {
    if (s_.size() - pos_ < 4) return -1;
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_ + i];
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return -1;
      }
      value = value * 16 + digit;
    }
    pos_ += 4;
    return value;
  }

  // A string at pos_ (on its opening quote); its decoded value to `out`.
  absl::Status String(std::string* out) {
    std::string value;
    ++pos_;
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) return Error("control character in a string (escape it)");
      if (c != '\\') {
        value += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return Error("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          value += e;
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'n':
          value += '\n';
          break;
        case 'r':
          value += '\r';
          break;
        case 't':
          value += '\t';
          break;
        case 'u': {
          int cp = Hex4();
          if (cp < 0) return Error("malformed \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            const size_t save = pos_;
            pos_ += 2;
            const int low = Hex4();
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate
          AppendUtf8(static_cast<uint32_t>(cp), &value);
          break;
        }
        default:
          --pos_;
          return Error("unknown escape in a string");
      }
    }
    if (out != nullptr) *out = std::move(value);
    return absl::OkStatus();
  }

  absl::Status Error(absl::string_view what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string path;
    for (const Frame& f : stack_) {
      if (f.object) {
        if (f.key.empty()) break;
        absl::StrAppend(&path, path.empty() ? "" : ".",
                        absl::CHexEscape(f.key));
      } else {
        absl::StrAppend(&path, "[", f.index, "]");
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ", column ", column, ": ", what,
                     path.empty() ? "" : absl::StrCat(" (at ", path, ")")));
  }

  const absl::string_view s_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
};

// Protobuf's messages can span lines (a caret under the error): one line.
std::string OneLine(absl::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

absl::Status CheckStrictJson(absl::string_view json) {
  return StrictJsonChecker(json).Check();
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes) {
  auto fail = [&path](absl::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot read: ", why));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rbe"),
                                             &std::fclose);
  if (file == nullptr) return fail(std::strerror(errno));
  std::string data;
  char buffer[8192];
  while (true) {
    const size_t n = std::fread(buffer, 1, sizeof(buffer), file.get());
    data.append(buffer, n);
    if (data.size() > max_bytes) {
      return fail(absl::StrCat("larger than ", max_bytes, " bytes"));
    }
    if (n < sizeof(buffer)) {
      if (std::ferror(file.get())) return fail(std::strerror(errno));
      break;
    }
  }
  return data;
}

absl::Status ParseJsonMessage(absl::string_view json, absl::string_view source,
                              google::protobuf::Message* message) {
  message->Clear();
  if (absl::Status s = CheckStrictJson(json); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not valid JSON: ", s.message()));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not a valid ", message->GetDescriptor()->name(), " (JSON): ",
        OneLine(absl::string_view(status.message().data(),
                                  status.message().size()))));
  }
  return absl::OkStatus();
}

}  // namespace service
}  // namespace mikey
