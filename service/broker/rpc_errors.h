// absl::Status -> grpc::Status, keeping the status payloads as error
// details: each payload (type URL -> serialized message) becomes a
// google.protobuf.Any in the details of a google.rpc.Status, sent as the
// grpc-status-details-bin trailer (grpc::Status's binary_error_details), the
// standard gRPC "richer error model". Clients read it with their
// google.rpc.Status type, or with mikey.broker.v1.RpcStatus (same wire
// format).
//
// Only payloads that are API messages (type URL
// "type.googleapis.com/mikey.broker.v1.*") are sent: core marks some
// statuses with payloads of its own (e.g. core/pki's certificate failure
// kind), which are not part of the API.

#ifndef MIKEY_SERVICE_BROKER_RPC_ERRORS_H_
#define MIKEY_SERVICE_BROKER_RPC_ERRORS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace mikey {
namespace service {
namespace keybroker {

grpc::Status ToGrpcStatusWithDetails(const absl::Status& status);

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_RPC_ERRORS_H_
