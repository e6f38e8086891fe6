#include "service/broker/rpc_errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/grpc_status.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

constexpr absl::string_view kApiTypeUrlPrefix =
    "type.googleapis.com/mikey.broker.v1.";

}  // namespace

grpc::Status ToGrpcStatusWithDetails(const absl::Status& status) {
  grpc::Status plain = ToGrpcStatus(status);
  if (status.ok()) return plain;
  broker::v1::RpcStatus details;
  status.ForEachPayload(
      [&details](absl::string_view type_url, const absl::Cord& value) {
        if (!absl::StartsWith(type_url, kApiTypeUrlPrefix)) return;
        google::protobuf::Any* any = details.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(value));
      });
  if (details.details_size() == 0) return plain;
  details.set_code(static_cast<int>(plain.error_code()));
  details.set_message(plain.error_message());
  return grpc::Status(plain.error_code(), plain.error_message(),
                      details.SerializeAsString());
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
