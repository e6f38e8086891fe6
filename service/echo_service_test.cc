#include "service/echo_service.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/echo.grpc.pb.h"
#include "mikey/broker/v1/echo.pb.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {
namespace {

namespace pb = ::mikey::broker::v1;

class FakeCallGuard : public CallGuard {
 public:
  absl::StatusOr<CallerIdentity> Authenticate(
      const grpc::ServerContextBase&) override {
    ++authenticated;
    if (!authenticate_status.ok()) return authenticate_status;
    return CallerIdentity{"spiffe://test/client", true};
  }
  absl::Status Authorize(const CallerIdentity&, absl::string_view,
                         absl::string_view) override {
    return absl::InternalError("Echo must not ask for authorization");
  }
  void Record(const CallRecord&) override { ++recorded; }

  absl::Status authenticate_status;
  int authenticated = 0;
  int recorded = 0;
};

class EchoServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<EchoService>(&guard_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ =
        pb::Echo::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  FakeCallGuard guard_;
  std::unique_ptr<EchoService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Echo::Stub> stub_;
};

TEST_F(EchoServiceTest, ReturnsThePayload) {
  pb::EchoRequest request;
  request.set_payload(std::string("\x00\x01payload\xff", 10));
  pb::EchoResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->Echo(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.payload(), std::string("\x00\x01payload\xff", 10));
  EXPECT_EQ(guard_.authenticated, 1);
  EXPECT_EQ(guard_.recorded, 0);  // no audit line for the baseline
}

TEST_F(EchoServiceTest, ResponseSizeGivesThatManyZeroOctets) {
  pb::EchoRequest request;
  request.set_payload("ignored");
  request.set_response_size(300);
  pb::EchoResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Echo(&context, request, &response).ok());
  EXPECT_EQ(response.payload(), std::string(300, '\0'));
}

TEST_F(EchoServiceTest, ResponseSizeOverTheLimitIsInvalidArgument) {
  pb::EchoRequest request;
  request.set_response_size(EchoService::kMaxResponseSize + 1);
  pb::EchoResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->Echo(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("response_size: 65537"),
            std::string::npos)
      << status.error_message();

  request.set_response_size(EchoService::kMaxResponseSize);
  grpc::ClientContext context2;
  ASSERT_TRUE(stub_->Echo(&context2, request, &response).ok());
  EXPECT_EQ(response.payload().size(), EchoService::kMaxResponseSize);
}

TEST_F(EchoServiceTest, ServerWorkIsSpentAndBounded) {
  pb::EchoRequest request;
  request.set_payload("w");
  request.set_server_work_us(EchoService::kMaxServerWorkMicros);
  pb::EchoResponse response;
  grpc::ClientContext context;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(stub_->Echo(&context, request, &response).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::microseconds(EchoService::kMaxServerWorkMicros));
  EXPECT_EQ(response.payload(), "w");

  request.set_server_work_us(EchoService::kMaxServerWorkMicros + 1);
  grpc::ClientContext context2;
  grpc::Status status = stub_->Echo(&context2, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("server_work_us: 101"),
            std::string::npos)
      << status.error_message();
}

TEST_F(EchoServiceTest, UnauthenticatedCallerIsRefused) {
  guard_.authenticate_status =
      absl::UnauthenticatedError("no client certificate");
  pb::EchoRequest request;
  request.set_payload("x");
  pb::EchoResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->Echo(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(response.payload().empty());
}

TEST_F(EchoServiceTest, RequestThatIsNotProtobufIsInvalidArgument) {
  grpc::GenericStub generic(
      server_->InProcessChannel(grpc::ChannelArguments()));
  // Field 1, wire type 2, length 5, but only two octets follow.
  const std::string bad("\x0a\x05\x01\x02", 4);
  grpc::Slice slice(bad);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  grpc::Status status;
  bool done = false;
  absl::Mutex mu;
  generic.UnaryCall(&context, "/mikey.broker.v1.Echo/Echo", grpc::StubOptions(),
                    &request, &response, [&](grpc::Status s) {
                      absl::MutexLock lock(&mu);
                      status = s;
                      done = true;
                    });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&done));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("EchoRequest"), std::string::npos)
      << status.error_message();
}

}  // namespace
}  // namespace service
}  // namespace mikey
