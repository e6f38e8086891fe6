// absl::Status -> grpc::Status for the RPC adapters.

#ifndef MIKEY_SERVICE_GRPC_STATUS_H_
#define MIKEY_SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace mikey {
namespace service {

// Same code (absl and gRPC share the canonical code numbers), same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_GRPC_STATUS_H_
