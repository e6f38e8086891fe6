#include "service/telemetry/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 if it
// does not start with one (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t length;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// Appends `value` in decimal, zero-padded to `width` digits.
void AppendDigits(std::string* out, int64_t value, int width) {
  char buf[24];
  int n = 0;
  uint64_t v = value < 0 ? 0 - static_cast<uint64_t>(value)
                         : static_cast<uint64_t>(value);
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < width) buf[n++] = '0';
  if (value < 0) out->push_back('-');
  while (n > 0) out->push_back(buf[--n]);
}

void AppendAuditTime(std::string* out, absl::Time time) {
  // Written by hand, not with absl::FormatTime: a line per call, and the
  // general formatter cost more than the rest of the line.
  const absl::CivilSecond cs = absl::ToCivilSecond(time, absl::UTCTimeZone());
  int64_t millis = absl::ToUnixMillis(time) % 1000;
  if (millis < 0) millis += 1000;
  AppendDigits(out, cs.year(), 4);
  out->push_back('-');
  AppendDigits(out, cs.month(), 2);
  out->push_back('-');
  AppendDigits(out, cs.day(), 2);
  out->push_back('T');
  AppendDigits(out, cs.hour(), 2);
  out->push_back(':');
  AppendDigits(out, cs.minute(), 2);
  out->push_back(':');
  AppendDigits(out, cs.second(), 2);
  out->push_back('.');
  AppendDigits(out, millis, 3);
  out->push_back('Z');
}

}  // namespace

std::string JsonString(absl::string_view text, size_t max_bytes) {
  std::string out;
  AppendJsonString(&out, text, max_bytes);
  return out;
}

void AppendJsonString(std::string* out_ptr, absl::string_view text,
                      size_t max_bytes) {
  std::string& out = *out_ptr;
  // Fast path: nothing to escape or cut (identifiers, codes, most messages).
  if (text.size() <= max_bytes) {
    bool plain = true;
    for (char ch : text) {
      const uint8_t c = static_cast<uint8_t>(ch);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      out.push_back('"');
      out.append(text.data(), text.size());
      out.push_back('"');
      return;
    }
  }
  out += "\"";
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos >= max_bytes) {
      out += "...";
      break;
    }
    const uint8_t c = static_cast<uint8_t>(text[pos]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += absl::StrFormat("\\u%04x", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      const size_t n = Utf8SequenceLength(text.substr(pos));
      if (n == 0) {
        out += "\\ufffd";
        ++pos;
        continue;
      }
      out.append(text.data() + pos, n);
      pos += n;
      continue;
    }
    ++pos;
  }
  out += "\"";
}

std::string AuditTime(absl::Time time) {
  std::string out;
  AppendAuditTime(&out, time);
  return out;
}

std::string CallLine(const CallRecord& record, absl::Time now) {
  // One buffer, appended to (this runs once per call).
  std::string line;
  line.reserve(256 + record.outcome.message().size());
  line += "{\"time\":\"";
  AppendAuditTime(&line, now);
  line += "\",\"event\":\"call\",\"rpc\":";
  AppendJsonString(&line, record.rpc);
  line += ",\"caller\":";
  AppendJsonString(&line, record.caller.name);
  line += record.caller.authenticated ? ",\"authenticated\":true"
                                      : ",\"authenticated\":false";
  line += ",\"mode\":";
  AppendJsonString(&line, record.mode);
  line += ",\"key_id\":";
  AppendJsonString(&line, record.key_id);
  line += ",\"key_version\":";
  absl::StrAppend(&line, record.key_version);
  line += ",\"csb_id\":";
  if (record.csb_id.has_value()) {
    absl::StrAppend(&line, *record.csb_id);
  } else {
    line += "null";
  }
  line += ",\"streams\":";
  absl::StrAppend(&line, record.stream_count);
  line += ",\"code\":";
  AppendJsonString(&line, absl::StatusCodeToString(record.outcome.code()));
  line += ",\"message\":";
  AppendJsonString(&line, record.outcome.message());
  // Milliseconds with three decimals, rounded to the microsecond.
  const int64_t us = std::max<int64_t>(
      0, absl::ToInt64Microseconds(record.latency + absl::Nanoseconds(500)));
  line += ",\"latency_ms\":";
  AppendDigits(&line, us / 1000, 1);
  line.push_back('.');
  AppendDigits(&line, us % 1000, 3);
  line += "}";
  return line;
}

std::string DenialLine(const CallerIdentity& caller, absl::string_view rpc,
                       absl::string_view key_id, const absl::Status& status,
                       absl::Time now) {
  return absl::StrCat(
      "{\"time\":", JsonString(AuditTime(now)), ",\"event\":\"denied\"",
      ",\"rpc\":", JsonString(rpc), ",\"caller\":", JsonString(caller.name),
      ",\"authenticated\":", caller.authenticated ? "true" : "false",
      ",\"key_id\":", JsonString(key_id),
      ",\"code\":", JsonString(absl::StatusCodeToString(status.code())),
      ",\"message\":", JsonString(status.message()), "}");
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<AuditLog>(
        new AuditLog(STDERR_FILENO, false, "stderr"));
  }
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "audit log ", path, ": cannot open for appending: ",
        std::strerror(errno), " (mikeyd does not serve without an audit log)"));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(fd, true, path));
}

AuditLog::AuditLog(int fd, bool owned, std::string description)
    : fd_(fd), owned_(owned), description_(std::move(description)) {}

AuditLog::~AuditLog() {
  if (owned_) ::close(fd_);
}

absl::Status AuditLog::Write(absl::string_view line) {
  std::string buffer = absl::StrCat(line, "\n");
  absl::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::write(fd_, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("audit log ", description_,
                       ": write failed: ", std::strerror(errno)));
    }
    if (n == 0) {
      return absl::UnavailableError(
          absl::StrCat("audit log ", description_, ": write wrote nothing"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace telemetry
}  // namespace service
}  // namespace mikey
