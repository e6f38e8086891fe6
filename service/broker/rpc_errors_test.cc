#include "service/broker/rpc_errors.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr char kRespondErrorUrl[] =
    "type.googleapis.com/mikey.broker.v1.RespondError";

TEST(RpcErrorsTest, ApiPayloadsBecomeDetails) {
  pb::RespondError e;
  e.set_error_no(8);
  absl::Status s = absl::FailedPreconditionError("certificate expired");
  s.SetPayload(kRespondErrorUrl, absl::Cord(e.SerializeAsString()));
  // A payload core uses internally (core/pki marks certificate failures).
  s.SetPayload("type.mikey/pki.CertFailure", absl::Cord("\x02"));
  grpc::Status g = ToGrpcStatusWithDetails(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(g.error_message(), "certificate expired");
  pb::RpcStatus details;
  ASSERT_TRUE(details.ParseFromString(g.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), kRespondErrorUrl);
  pb::RespondError back;
  ASSERT_TRUE(details.details(0).UnpackTo(&back));
  EXPECT_EQ(back.error_no(), 8u);
}

TEST(RpcErrorsTest, InternalPayloadsAloneGiveNoDetails) {
  absl::Status s = absl::FailedPreconditionError("untrusted");
  s.SetPayload("type.mikey/pki.CertFailure", absl::Cord("\x01"));
  grpc::Status g = ToGrpcStatusWithDetails(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_TRUE(ToGrpcStatusWithDetails(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace keybroker
}  // namespace service
}  // namespace mikey
