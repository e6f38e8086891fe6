#include "service/auth/policy.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

const CallerIdentity kCam{"spiffe://example.org/ns/media/sa/cam", true};
const CallerIdentity kEncoder{"spiffe://example.org/ns/media/sa/encoder", true};
const CallerIdentity kCn{"CN=monitor", true};
const CallerIdentity kAnon{"anonymous", false};

void ExpectError(absl::string_view json,
                 std::initializer_list<absl::string_view> parts) {
  absl::StatusOr<Policy> p = Policy::Parse(json, "policy.json");
  ASSERT_FALSE(p.ok()) << json;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  for (absl::string_view part : parts) {
    EXPECT_NE(p.status().message().find(part), absl::string_view::npos)
        << "'" << part << "' not in: " << p.status().message();
  }
}

TEST(GlobTest, Matches) {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  } cases[] = {
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "anything", true},
      {"cam-*", "cam-1", true},
      {"cam-*", "cam-", true},
      {"cam-*", "cam", false},
      {"cam-*", "xcam-1", false},
      {"*-1", "cam-1", true},
      {"*-1", "cam-10", false},
      {"c?m", "cam", true},
      {"c?m", "cm", false},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"a*b*c", "abc", true},
      {"a**c", "ac", true},
      {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"spiffe://example.org/*", "spiffe://example.org/ns/a/sa/b", true},
      {"spiffe://example.org/*", "spiffe://example.org.evil/x", false},
      {"exact", "exact", true},
      {"exact", "Exact", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match)
        << c.pattern << " vs " << c.text;
  }
}

TEST(GlobTest, PathologicalPatternIsQuick) {
  // Backtracking on the last star only: quadratic at worst, never
  // exponential.
  const std::string text(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", text));
}

TEST(PolicyTest, RpcNamesComeFromTheService) {
  std::vector<std::string> names = KeyBrokerRpcNames();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "Decode");
}

TEST(PolicyTest, DefaultDenyAndMatching) {
  absl::StatusOr<Policy> p = Policy::Parse(R"({"rules": [
      {"client": "spiffe://example.org/ns/media/sa/cam",
       "rpcs": ["Decode"], "key_ids": ["cam-*"]},
      {"client": "spiffe://example.org/ns/media/*", "rpcs": ["Decode"]},
      {"client": "CN=monitor", "rpcs": ["*"], "key_ids": ["*"]},
      {"client": "anonymous", "rpcs": ["Decode"]}
  ]})",
                                           "policy.json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rules().size(), 4u);
  // Key ids: only through a rule that lists a matching pattern.
  EXPECT_TRUE(p->Allows(kCam, "Decode", "cam-1"));
  EXPECT_FALSE(p->Allows(kCam, "Decode", "other-1"));
  EXPECT_FALSE(p->Allows(kEncoder, "Decode", "cam-1"));
  // Calls naming no key: any rule for the client and RPC.
  EXPECT_TRUE(p->Allows(kCam, "Decode", ""));
  EXPECT_TRUE(p->Allows(kEncoder, "Decode", ""));
  // RPCs not listed: denied.
  EXPECT_FALSE(p->Allows(kCam, "Respond", ""));
  // "*" RPCs and keys.
  EXPECT_TRUE(p->Allows(kCn, "Respond", "anything"));
  // Anonymous callers match only the "anonymous" rule...
  EXPECT_TRUE(p->Allows(kAnon, "Decode", ""));
  EXPECT_FALSE(p->Allows(kAnon, "Decode", "cam-1"));
  EXPECT_FALSE(p->Allows(kAnon, "Respond", ""));
  // ...and nobody else does: an unknown client gets nothing.
  EXPECT_FALSE(p->Allows({"spiffe://other.org/x", true}, "Decode", ""));
  EXPECT_FALSE(p->Allows({"CN=monitor2", true}, "Decode", ""));
}

TEST(PolicyTest, StarMatchesAuthenticatedCallersOnly) {
  absl::StatusOr<Policy> p = Policy::Parse(
      R"({"rules": [{"client": "*", "rpcs": ["*"], "key_ids": ["*"]}]})",
      "policy.json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Allows(kCam, "Decode", "k"));
  EXPECT_TRUE(p->Allows(kCn, "Complete", ""));
  EXPECT_FALSE(p->Allows(kAnon, "Decode", ""));
  // An authenticated caller is never "anonymous" to a rule.
  absl::StatusOr<Policy> anon = Policy::Parse(
      R"({"rules": [{"client": "anonymous", "rpcs": ["Decode"]}]})", "p");
  ASSERT_TRUE(anon.ok());
  EXPECT_FALSE(anon->Allows({"anonymous", true}, "Decode", ""));
}

TEST(PolicyTest, Errors) {
  ExpectError(R"({})", {"policy.json: rules: none given"});
  ExpectError(R"({"rules": []})", {"policy.json: rules: none given"});
  ExpectError(R"({"rules": [{"rpcs": ["Decode"]}]})",
              {"policy.json: rules[0].client: empty"});
  ExpectError(
      R"({"rules": [{"client": "*", "rpcs": ["Decode"]}, {"client": "x"}]})",
      {"rules[1].rpcs: none given", "Decode"});
  ExpectError(R"({"rules": [{"client": "*", "rpcs": ["Decode", "decode"]}]})",
              {"rules[0].rpcs[1]: 'decode' is not a KeyBroker RPC"});
  ExpectError(
      R"({"rules": [{"client": "*", "rpcs": ["*"], "key_ids": ["a", ""]}]})",
      {"rules[0].key_ids[1]: empty"});
  ExpectError(R"({"rules": [{"client": "a\u0001", "rpcs": ["*"]}]})",
              {"rules[0].client:", "control character"});
  ExpectError(R"({"rules": [{"client": "*", "rpcs": ["*"], "key_id": []}]})",
              {"policy.json", "key_id"});  // unknown field
  ExpectError(R"({"rules": {"client": "*"}})", {"policy.json", "rules"});
  ExpectError(R"({"rules": [{"client": "*", "rpcs": {"Decode": 1}}]})",
              {"policy.json", "rpcs"});
  ExpectError(R"({"rules": [{"client": "*", "client": "x", "rpcs": ["*"]}]})",
              {"policy.json", "key given twice", "rules[0]"});
  ExpectError("{\"rules\": [", {"policy.json", "line 1"});
  ExpectError(std::string(R"({"rules": [{"client": ")") +
                  std::string(300, 'a') + R"(", "rpcs": ["*"]}]})",
              {"rules[0].client: longer than 256 bytes"});
}

TEST(PolicyTest, LoadMissingFile) {
  absl::StatusOr<Policy> p = Policy::Load("/nonexistent/policy.json");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("/nonexistent/policy.json"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace auth
}  // namespace service
}  // namespace mikey
