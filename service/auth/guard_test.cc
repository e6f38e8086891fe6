#include "service/auth/guard.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/auth/policy.h"
#include "service/telemetry/audit.h"
#include "service/telemetry/metrics.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return absl::StrSplit(s.str(), '\n', absl::SkipEmpty());
}

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audit_path_ = TempPath(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::remove(audit_path_.c_str());
    audit_ = *telemetry::AuditLog::Open(audit_path_);
    metrics_ = *telemetry::RegisterServiceMetrics(&registry_);
    policy_ = *Policy::Parse(
        R"({"rules": [{"client": "spiffe://example.org/cam",
                       "rpcs": ["Decode"], "key_ids": ["cam-*"]}]})",
        "policy.json");
  }

  ServiceCallGuard::Options Options() {
    ServiceCallGuard::Options o;
    o.policy = &policy_;
    o.audit = audit_.get();
    o.metrics = &metrics_;
    o.now = [] { return absl::FromUnixSeconds(1767323045); };
    return o;
  }

  std::string audit_path_;
  std::unique_ptr<telemetry::AuditLog> audit_;
  telemetry::MetricsRegistry registry_;
  telemetry::ServiceMetrics metrics_;
  Policy policy_;
};

const CallerIdentity kCam{"spiffe://example.org/cam", true};

TEST_F(GuardTest, PlaintextCallerIsAnonymous) {
  ServiceCallGuard guard(Options());
  absl::StatusOr<CallerIdentity> id = guard.AuthenticatePeer(nullptr);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->name, "anonymous");
  EXPECT_FALSE(id->authenticated);
}

TEST_F(GuardTest, RequiredCertificateMissingIsUnauthenticated) {
  ServiceCallGuard::Options o = Options();
  o.require_client_cert = true;
  ServiceCallGuard guard(o);
  absl::StatusOr<CallerIdentity> id = guard.AuthenticatePeer(nullptr);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(metrics_.auth_failures->Value({"unauthenticated"}), 1);
}

TEST_F(GuardTest, DenialIsPermissionDeniedAuditedAndCounted) {
  ServiceCallGuard guard(Options());
  EXPECT_TRUE(guard.Authorize(kCam, "Decode", "cam-1").ok());
  absl::Status s = guard.Authorize(kCam, "Decode", "studio-1");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "caller 'spiffe://example.org/cam' may not use key id 'studio-1' "
            "in Decode");
  s = guard.Authorize({"CN=x", true}, "Decode", "");
  EXPECT_EQ(s.message(), "caller 'CN=x' may not call Decode");
  EXPECT_EQ(metrics_.auth_failures->Value({"permission_denied"}), 2);
  std::vector<std::string> lines = Lines(audit_path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "{\"time\":\"2026-01-02T03:04:05.000Z\",\"event\":\"denied\","
            "\"rpc\":\"Decode\",\"caller\":\"spiffe://example.org/cam\","
            "\"authenticated\":true,\"key_id\":\"studio-1\","
            "\"code\":\"PERMISSION_DENIED\",\"message\":\"caller "
            "'spiffe://example.org/cam' may not use key id 'studio-1' in "
            "Decode\"}");
}

TEST_F(GuardTest, DenialMessageEscapesCallerControlledText) {
  ServiceCallGuard guard(Options());
  absl::Status s = guard.Authorize(kCam, "Decode", std::string("a'\n\0b", 5));
  EXPECT_EQ(std::string(s.message()),
            "caller 'spiffe://example.org/cam' may not use key id "
            "'a\\'\\n\\x00\\x62' in Decode");
}

TEST_F(GuardTest, NoPolicyAllowsEverything) {
  ServiceCallGuard::Options o = Options();
  o.policy = nullptr;
  ServiceCallGuard guard(o);
  EXPECT_TRUE(guard.Authorize({"anonymous", false}, "Decode", "any").ok());
  EXPECT_TRUE(Lines(audit_path_).empty());
}

TEST_F(GuardTest, RecordCountsAndAudits) {
  ServiceCallGuard guard(Options());
  CallRecord r;
  r.rpc = "Decode";
  r.caller = kCam;
  r.outcome = absl::InvalidArgumentError("bad");
  r.latency = absl::Milliseconds(3);
  guard.Record(r);
  r.outcome = absl::OkStatus();
  guard.Record(r);
  EXPECT_EQ(metrics_.requests->Value({"Decode", "INVALID_ARGUMENT"}), 1);
  EXPECT_EQ(metrics_.requests->Value({"Decode", "OK"}), 1);
  const std::string text = registry_.RenderText();
  EXPECT_NE(text.find("mikeyd_request_duration_seconds_count{method=\"Decode\"}"
                      " 2\n"),
            std::string::npos)
      << text;
  std::vector<std::string> lines = Lines(audit_path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"code\":\"INVALID_ARGUMENT\",\"message\":\"bad\""),
            std::string::npos);
}

TEST_F(GuardTest, DrainingRefusesNewCallsWithUnavailable) {
  ServiceCallGuard guard(Options());
  ASSERT_TRUE(guard.AuthenticatePeer(nullptr).ok());
  EXPECT_FALSE(guard.draining());
  guard.StartDraining();
  EXPECT_TRUE(guard.draining());
  absl::StatusOr<CallerIdentity> id = guard.AuthenticatePeer(nullptr);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(id.status().message().find("shutting down"),
            absl::string_view::npos);
}

TEST_F(GuardTest, AuditFailureRefusesLaterCalls) {
  absl::StatusOr<std::unique_ptr<telemetry::AuditLog>> full =
      telemetry::AuditLog::Open("/dev/full");
  ASSERT_TRUE(full.ok());
  ServiceCallGuard::Options o = Options();
  o.audit = full->get();
  int failures_reported = 0;
  o.on_audit_failure = [&](const absl::Status&) { ++failures_reported; };
  ServiceCallGuard guard(o);
  ASSERT_TRUE(guard.AuthenticatePeer(nullptr).ok());
  CallRecord r;
  r.rpc = "Decode";
  guard.Record(r);
  guard.Record(r);
  EXPECT_EQ(failures_reported, 1);
  EXPECT_TRUE(guard.refusing());
  EXPECT_EQ(metrics_.audit_write_failures->Value({}), 2);
  EXPECT_EQ(guard.AuthenticatePeer(nullptr).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace auth
}  // namespace service
}  // namespace mikey
