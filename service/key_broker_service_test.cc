#include "service/key_broker_service.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/broker.h"
#include "service/call_guard.h"
#include "service/keystore/keystore.h"

namespace mikey {
namespace service {
namespace {

namespace pb = ::mikey::broker::v1;
using ::mikey::testutil::Hex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string Str(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

// Records what the handlers ask and report.
class FakeCallGuard : public CallGuard {
 public:
  absl::StatusOr<CallerIdentity> Authenticate(
      const grpc::ServerContextBase&) override {
    absl::SleepFor(authenticate_delay);
    if (!authenticate_status.ok()) return authenticate_status;
    return CallerIdentity{"spiffe://test/client", true};
  }
  absl::Status Authorize(const CallerIdentity& caller, absl::string_view rpc,
                         absl::string_view key_id) override {
    absl::MutexLock lock(&mu_);
    authorized_.emplace_back(std::string(rpc), std::string(key_id));
    if (caller.name != "spiffe://test/client") {
      return absl::InternalError("caller not passed through");
    }
    return key_id == denied_key ? absl::PermissionDeniedError("not allowed")
                                : absl::OkStatus();
  }
  void Record(const CallRecord& record) override {
    absl::MutexLock lock(&mu_);
    records_.push_back(record);
  }

  std::vector<CallRecord> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }
  std::vector<std::pair<std::string, std::string>> authorized() {
    absl::MutexLock lock(&mu_);
    return authorized_;
  }
  // Waits until `n` records arrived (the handler may finish after the
  // client gave up on a deadline).
  bool WaitForRecords(size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (records().size() >= n) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  absl::Status authenticate_status;
  absl::Duration authenticate_delay;
  std::string denied_key = "forbidden";

 private:
  absl::Mutex mu_;
  std::vector<CallRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> authorized_
      ABSL_GUARDED_BY(mu_);
};

class KeyBrokerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = std::make_shared<keystore::KeySnapshot>();
    ASSERT_TRUE(snapshot
                    ->Add("psk", 1,
                          Hex("000102030405060708090a0b0c0d0e0f"
                              "101112131415161718191a1b1c1d1e1f"))
                    .ok());
    ASSERT_TRUE(
        snapshot->Add("forbidden", 1, Hex("000102030405060708090a0b0c0d0e0f"))
            .ok());
    ASSERT_TRUE(snapshot
                    ->Add("state-key", 1,
                          Hex("202122232425262728292a2b2c2d2e2f"
                              "303132333435363738393a3b3c3d3e3f"))
                    .ok());
    keybroker::BrokerParts parts;
    parts.keys = std::make_unique<keystore::StaticKeyStore>(snapshot);
    broker_ = std::make_unique<keybroker::Broker>(
        keybroker::DefaultBrokerOptions(), std::move(parts));
    service_ = std::make_unique<KeyBrokerService>(broker_.get(), &guard_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = pb::KeyBroker::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  pb::InitiateRequest PskRequest(bool v_flag) {
    pb::InitiateRequest r;
    r.set_mode(pb::MODE_PSK);
    r.set_suite("AES_CM_128_HMAC_SHA1_80");
    r.add_streams()->set_ssrc(1234);
    r.set_v_flag(v_flag);
    r.mutable_key()->set_key_id("psk");
    return r;
  }

  FakeCallGuard guard_;
  std::unique_ptr<keybroker::Broker> broker_;
  std::unique_ptr<KeyBrokerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::KeyBroker::Stub> stub_;
};

TEST_F(KeyBrokerServiceTest, ExchangeRecordsEachCallOnce) {
  grpc::ClientContext c1, c2, c3;
  pb::InitiateResponse init;
  grpc::Status s = stub_->Initiate(&c1, PskRequest(true), &init);
  ASSERT_TRUE(s.ok()) << s.error_message();
  pb::RespondRequest rr;
  rr.mutable_input()->set_text(init.key_mgmt());
  rr.mutable_key()->set_key_id("psk");
  pb::RespondResponse resp;
  s = stub_->Respond(&c2, rr, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.streams_size(), 1);
  EXPECT_EQ(resp.streams(0).master_key(), init.streams(0).master_key());
  EXPECT_EQ(resp.streams(0).master_salt(), init.streams(0).master_salt());
  pb::CompleteRequest cr;
  cr.set_state(init.state());
  cr.mutable_input()->set_message(resp.r_message());
  pb::CompleteResponse done;
  s = stub_->Complete(&c3, cr, &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.streams(0).master_key(), init.streams(0).master_key());

  ASSERT_TRUE(guard_.WaitForRecords(3));
  std::vector<CallRecord> records = guard_.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].rpc, "Initiate");
  EXPECT_EQ(records[1].rpc, "Respond");
  EXPECT_EQ(records[2].rpc, "Complete");
  for (const CallRecord& r : records) {
    EXPECT_TRUE(r.outcome.ok()) << r.rpc;
    EXPECT_EQ(r.mode, "PSK") << r.rpc;
    EXPECT_EQ(r.key_id, "psk") << r.rpc;
    EXPECT_EQ(r.key_version, 1) << r.rpc;
    EXPECT_EQ(r.stream_count, 1) << r.rpc;
    ASSERT_TRUE(r.csb_id.has_value()) << r.rpc;
    EXPECT_EQ(*r.csb_id, init.csb_id()) << r.rpc;
    EXPECT_EQ(r.caller.name, "spiffe://test/client");
    EXPECT_GE(r.latency, absl::ZeroDuration());
  }
  EXPECT_THAT(guard_.authorized(),
              ElementsAre(Pair("Initiate", "psk"), Pair("Respond", "psk"),
                          Pair("Complete", ""), Pair("Complete", "psk")));
}

TEST_F(KeyBrokerServiceTest, Unauthenticated) {
  guard_.authenticate_status =
      absl::UnauthenticatedError("no client certificate");
  grpc::ClientContext c;
  pb::InitiateResponse init;
  grpc::Status s = stub_->Initiate(&c, PskRequest(false), &init);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(guard_.WaitForRecords(1));
  EXPECT_EQ(guard_.records()[0].outcome.code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(guard_.authorized().empty());
}

TEST_F(KeyBrokerServiceTest, PermissionDenied) {
  pb::InitiateRequest req = PskRequest(false);
  req.mutable_key()->set_key_id("forbidden");
  grpc::ClientContext c;
  pb::InitiateResponse init;
  grpc::Status s = stub_->Initiate(&c, req, &init);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(init.i_message(), "");
  ASSERT_TRUE(guard_.WaitForRecords(1));
  EXPECT_EQ(guard_.records()[0].outcome.code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(guard_.records()[0].key_id, "");  // never resolved
}

TEST_F(KeyBrokerServiceTest, RespondErrorInStatusDetails) {
  grpc::ClientContext c1, c2;
  pb::InitiateResponse init;
  ASSERT_TRUE(stub_->Initiate(&c1, PskRequest(false), &init).ok());
  pb::RespondRequest rr;
  rr.mutable_input()->set_message(init.i_message());
  rr.mutable_key()->set_inline_key(
      Str(Hex("ffffffffffffffffffffffffffffffff")));
  pb::RespondResponse resp;
  grpc::Status s = stub_->Respond(&c2, rr, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("MAC"));
  pb::RpcStatus details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(details.message(), s.error_message());
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(),
            "type.googleapis.com/mikey.broker.v1.RespondError");
  pb::RespondError error;
  ASSERT_TRUE(details.details(0).UnpackTo(&error));
  EXPECT_EQ(error.error_name(), "Authentication failure");
  // Byte 1 of a MIKEY message is its data type: 6, Error.
  ASSERT_GE(error.error_message().size(), 2u);
  EXPECT_EQ(error.error_message()[1], 6);
  ASSERT_TRUE(guard_.WaitForRecords(2));
  EXPECT_EQ(guard_.records()[1].outcome.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(guard_.records()[1].outcome.GetPayload(
                "type.googleapis.com/mikey.broker.v1.RespondError"),
            absl::nullopt);
}

TEST_F(KeyBrokerServiceTest, DeadlineCheckedBeforeWork) {
  guard_.authenticate_delay = absl::Milliseconds(300);
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() +
                 std::chrono::milliseconds(100));
  pb::InitiateResponse init;
  grpc::Status s = stub_->Initiate(&c, PskRequest(false), &init);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(guard_.WaitForRecords(1));
  const absl::StatusCode code = guard_.records()[0].outcome.code();
  EXPECT_TRUE(code == absl::StatusCode::kDeadlineExceeded ||
              code == absl::StatusCode::kCancelled)
      << code;
  // Stopped before authorizing or touching a key.
  EXPECT_TRUE(guard_.authorized().empty());
}

TEST_F(KeyBrokerServiceTest, DecodeAndDeriveGoThroughTheGuard) {
  grpc::ClientContext c1, c2;
  pb::DecodeRequest d;
  d.mutable_input()->set_message(Str(Hex("02")));
  pb::DecodeResponse dr;
  EXPECT_EQ(stub_->Decode(&c1, d, &dr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  pb::DeriveSessionKeysRequest k;
  k.set_suite("AES_CM_128_HMAC_SHA1_80");
  k.set_master_key(Str(Hex("E1F97A0D3E018BE0D64FA32C06DE4139")));
  k.set_master_salt(Str(Hex("0EC675AD498AFEEBB6960B3AABE6")));
  pb::DeriveSessionKeysResponse kr;
  ASSERT_TRUE(stub_->DeriveSessionKeys(&c2, k, &kr).ok());
  // RFC 3711 B.3.
  EXPECT_EQ(kr.srtp().encryption_key(),
            Str(Hex("C61E7A93744F39EE10734AFE3FF7A087")));
  ASSERT_TRUE(guard_.WaitForRecords(2));
  EXPECT_EQ(guard_.records()[0].rpc, "Decode");
  EXPECT_EQ(guard_.records()[0].outcome.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(guard_.records()[1].rpc, "DeriveSessionKeys");
  EXPECT_THAT(guard_.authorized(),
              ElementsAre(Pair("Decode", ""), Pair("DeriveSessionKeys", "")));
}

}  // namespace
}  // namespace service
}  // namespace mikey
