#include "service/grpc_status.h"

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace mikey {
namespace service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  // Both enumerate the canonical codes 1..16; anything else is UNKNOWN.
  const grpc::StatusCode grpc_code = (code >= grpc::StatusCode::CANCELLED &&
                                      code <= grpc::StatusCode::UNAUTHENTICATED)
                                         ? static_cast<grpc::StatusCode>(code)
                                         : grpc::StatusCode::UNKNOWN;
  return grpc::Status(grpc_code, std::string(status.message()));
}

}  // namespace service
}  // namespace mikey
