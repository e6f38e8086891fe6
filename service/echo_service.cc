#include "service/echo_service.h"

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/status.h"
#include "mikey/broker/v1/echo.pb.h"
#include "service/grpc_status.h"

namespace mikey {
namespace service {

namespace pb = ::mikey::broker::v1;

namespace {

grpc::Status EchoNow(CallGuard& guard, grpc::CallbackServerContext& context,
                     const grpc::ByteBuffer& request_bytes,
                     grpc::ByteBuffer* response_bytes) {
  absl::StatusOr<CallerIdentity> caller = guard.Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  pb::EchoRequest request;
  grpc::ByteBuffer copy(request_bytes);  // shares the slices
  grpc::ProtoBufferReader reader(&copy);
  if (!reader.status().ok() || !request.ParseFromZeroCopyStream(&reader)) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the request (", request_bytes.Length(),
                     " octets) is not a valid mikey.broker.v1.EchoRequest "
                     "protobuf"));
  }
  if (request.response_size() > EchoService::kMaxResponseSize) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("response_size: ", request.response_size(),
                     " is over the limit of ", EchoService::kMaxResponseSize));
  }
  if (request.server_work_us() > EchoService::kMaxServerWorkMicros) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("server_work_us: ", request.server_work_us(),
                     " is over the limit of ",
                     EchoService::kMaxServerWorkMicros));
  }
  if (request.server_work_us() > 0) {
    // Busy, not asleep: the point is to occupy this thread like real work.
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::microseconds(request.server_work_us());
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  pb::EchoResponse response;
  if (request.response_size() > 0) {
    response.mutable_payload()->assign(request.response_size(), '\0');
  } else {
    response.set_payload(std::move(*request.mutable_payload()));
  }
  bool own_buffer = false;
  return grpc::SerializationTraits<pb::EchoResponse>::Serialize(
      response, response_bytes, &own_buffer);
}

}  // namespace

grpc::ServerUnaryReactor* EchoService::Echo(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(EchoNow(*guard_, *context, *request, response));
  return reactor;
}

}  // namespace service
}  // namespace mikey
