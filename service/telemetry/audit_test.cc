#include "service/telemetry/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Parses a line with protobuf's JSON parser (independent of the writer).
Struct ParseLine(const std::string& line) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(line, &s);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
  return s;
}

std::vector<std::string> KeysInOrder(const std::string& line) {
  // Top-level keys, in the order written: every "key": at depth 1 (the lines
  // have no nested objects).
  std::vector<std::string> keys;
  size_t pos = 0;
  while ((pos = line.find("\":", pos)) != std::string::npos) {
    size_t start = line.rfind("\"", pos - 1);
    keys.push_back(line.substr(start + 1, pos - start - 1));
    pos += 2;
  }
  return keys;
}

const absl::Time kNow = absl::FromUnixMillis(1767323045678);

CallRecord FullRecord() {
  CallRecord r;
  r.rpc = "Respond";
  r.caller = CallerIdentity{"spiffe://example.org/cam", true};
  r.mode = "PSK";
  r.key_id = "cam-1";
  r.key_version = 3;
  r.csb_id = 0x12345678;
  r.stream_count = 2;
  r.outcome = absl::OkStatus();
  r.latency = absl::Microseconds(412);
  return r;
}

TEST(AuditTest, TimeIsRfc3339UtcMilliseconds) {
  EXPECT_EQ(AuditTime(kNow), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(AuditTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000Z");
}

TEST(AuditTest, CallLineShape) {
  const std::string line = CallLine(FullRecord(), kNow);
  EXPECT_EQ(line,
            "{\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"call\","
            "\"rpc\":\"Respond\",\"caller\":\"spiffe://example.org/cam\","
            "\"authenticated\":true,\"mode\":\"PSK\",\"key_id\":\"cam-1\","
            "\"key_version\":3,\"csb_id\":305419896,\"streams\":2,"
            "\"code\":\"OK\",\"message\":\"\",\"latency_ms\":0.412}");
  Struct s = ParseLine(line);
  const auto& f = s.fields();
  EXPECT_EQ(f.size(), 13u);
  EXPECT_EQ(f.at("event").string_value(), "call");
  EXPECT_EQ(f.at("authenticated").bool_value(), true);
  EXPECT_EQ(f.at("key_version").number_value(), 3);
  EXPECT_EQ(f.at("csb_id").number_value(), 305419896);
  EXPECT_EQ(f.at("streams").number_value(), 2);
  EXPECT_DOUBLE_EQ(f.at("latency_ms").number_value(), 0.412);
  EXPECT_EQ(KeysInOrder(line),
            (std::vector<std::string>{"time", "event", "rpc", "caller",
                                      "authenticated", "mode", "key_id",
                                      "key_version", "csb_id", "streams",
                                      "code", "message", "latency_ms"}));
}

TEST(AuditTest, CallLineWithoutCsbAndWithError) {
  CallRecord r;
  r.rpc = "Decode";
  r.caller = CallerIdentity{"anonymous", false};
  r.outcome = absl::InvalidArgumentError(
      "KEMAC payload at offset 78: \"key data\" truncated");
  r.latency = absl::Milliseconds(2);
  const std::string line = CallLine(r, kNow);
  Struct s = ParseLine(line);
  const auto& f = s.fields();
  EXPECT_EQ(f.size(), 13u);
  EXPECT_EQ(f.at("csb_id").kind_case(), Value::kNullValue);
  EXPECT_EQ(f.at("key_version").number_value(), 0);
  EXPECT_EQ(f.at("mode").string_value(), "");
  EXPECT_EQ(f.at("authenticated").bool_value(), false);
  EXPECT_EQ(f.at("code").string_value(), "INVALID_ARGUMENT");
  EXPECT_EQ(f.at("message").string_value(),
            "KEMAC payload at offset 78: \"key data\" truncated");
  EXPECT_EQ(f.at("latency_ms").number_value(), 2);
}

TEST(AuditTest, DenialLineShape) {
  const std::string line =
      DenialLine(CallerIdentity{"CN=cam", true}, "Respond", "other-*",
                 absl::PermissionDeniedError("no"), kNow);
  EXPECT_EQ(line,
            "{\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"denied\","
            "\"rpc\":\"Respond\",\"caller\":\"CN=cam\",\"authenticated\":true,"
            "\"key_id\":\"other-*\",\"code\":\"PERMISSION_DENIED\","
            "\"message\":\"no\"}");
  EXPECT_EQ(ParseLine(line).fields().size(), 8u);
}

TEST(AuditTest, HostileStringsStayOneValidLine) {
  CallRecord r = FullRecord();
  // A caller-chosen key id trying to end the line and forge another one,
  // with control characters, invalid UTF-8 and valid non-ASCII text.
  r.key_id =
      std::string("x\",\"code\":\"OK\"}\n{\"event\":\"call\x01\x7f", 33) +
      "\xff\xc0\xaf"
      "\xed\xa0\x80"
      "caf\xc3\xa9 \xf0\x9f\x94\x91";
  const std::string line = CallLine(r, kNow);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  Struct s = ParseLine(line);
  // Each invalid byte became U+FFFD; valid UTF-8 passed through.
  EXPECT_EQ(s.fields().at("key_id").string_value(),
            std::string("x\",\"code\":\"OK\"}\n{\"event\":\"call\x01\x7f", 33) +
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                "caf\xc3\xa9 \xf0\x9f\x94\x91");
  EXPECT_EQ(s.fields().at("code").string_value(), "OK");
}

TEST(AuditTest, JsonStringEscapes) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x00\x1f\x7f", 3)),
            "\"\\u0000\\u001f\\u007f\"");
  EXPECT_EQ(JsonString("\xc3\xa9"), "\"\xc3\xa9\"");
  EXPECT_EQ(JsonString("\xc3"), "\"\\ufffd\"");  // truncated sequence
  EXPECT_EQ(JsonString("\xc0\x80"), "\"\\ufffd\\ufffd\"");  // overlong NUL
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"),                 // above U+10FFFF
            "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(AuditTest, LongStringsAreCutAtACharacterBoundary) {
  EXPECT_EQ(JsonString("abcdef", 4), "\"abcd...\"");
  EXPECT_EQ(JsonString("abcd", 4), "\"abcd\"");
  // A 2-byte character straddling the limit is kept whole.
  EXPECT_EQ(JsonString("abc\xc3\xa9z", 4), "\"abc\xc3\xa9...\"");
  CallRecord r = FullRecord();
  r.outcome = absl::InvalidArgumentError(std::string(100000, 'x'));
  EXPECT_LT(CallLine(r, kNow).size(), 2 * kMaxAuditStringBytes);
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(AuditLogTest, AppendsLinesToAFile) {
  const std::string path = TempPath("audit.jsonl");
  ::unlink(path.c_str());
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Write("{\"a\":1}").ok());
  }
  {
    // Reopening appends.
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Write("{\"b\":2}").ok());
  }
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "{\"a\":1}\n{\"b\":2}\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AuditLogTest, RefusesWhatCannotBeOpened) {
  absl::StatusOr<std::unique_ptr<AuditLog>> log =
      AuditLog::Open("/nonexistent-dir/audit.jsonl");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(log.status().message().find("/nonexistent-dir/audit.jsonl"),
            absl::string_view::npos);
  // A directory is not a log file either.
  EXPECT_FALSE(AuditLog::Open(TempPath("")).ok());
}

TEST(AuditLogTest, WriteErrorsAreReported) {
  // /dev/full opens for writing and fails every write with ENOSPC.
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open("/dev/full");
  ASSERT_TRUE(log.ok()) << log.status();
  absl::Status s = (*log)->Write("{}");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("/dev/full"), absl::string_view::npos) << s;
}

TEST(AuditLogTest, DashAndEmptyMeanStderr) {
  for (const char* path : {"", "-"}) {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ((*log)->description(), "stderr");
  }
}

}  // namespace
}  // namespace telemetry
}  // namespace service
}  // namespace mikey
