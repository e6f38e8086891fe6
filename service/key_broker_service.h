// The KeyBroker gRPC service: a thin adapter from RPCs to the converters in
// service/ (and, through them, to core). No parsing or cryptography here.

#ifndef MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
#define MIKEY_SERVICE_KEY_BROKER_SERVICE_H_

#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {

class KeyBrokerService final : public broker::v1::KeyBroker::Service {
 public:
  // INVALID_ARGUMENT, with core's error text, for input that is not a
  // well-formed MIKEY message.
  grpc::Status Decode(grpc::ServerContext* context,
                      const broker::v1::DecodeRequest* request,
                      broker::v1::DecodeResponse* response) override;
};

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
