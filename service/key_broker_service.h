// The KeyBroker gRPC service: a thin adapter from RPCs to the converters in
// service/ and the broker (service/broker). No parsing or cryptography here.
//
// Every RPC: CallGuard::Authenticate, a deadline check, the work (which asks
// CallGuard::Authorize for the RPC and the key it uses), then exactly one
// CallGuard::Record with what the call did and how it ended.

#ifndef MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
#define MIKEY_SERVICE_KEY_BROKER_SERVICE_H_

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/broker.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {

class KeyBrokerService final : public broker::v1::KeyBroker::Service {
 public:
  // Both must outlive the service.
  KeyBrokerService(keybroker::Broker* broker, CallGuard* guard)
      : broker_(broker), guard_(guard) {}

  // INVALID_ARGUMENT, with core's error text, for input that is not a
  // well-formed MIKEY message.
  grpc::Status Decode(grpc::ServerContext* context,
                      const broker::v1::DecodeRequest* request,
                      broker::v1::DecodeResponse* response) override;
  grpc::Status Initiate(grpc::ServerContext* context,
                        const broker::v1::InitiateRequest* request,
                        broker::v1::InitiateResponse* response) override;
  grpc::Status Respond(grpc::ServerContext* context,
                       const broker::v1::RespondRequest* request,
                       broker::v1::RespondResponse* response) override;
  grpc::Status Complete(grpc::ServerContext* context,
                        const broker::v1::CompleteRequest* request,
                        broker::v1::CompleteResponse* response) override;
  grpc::Status DeriveSessionKeys(
      grpc::ServerContext* context,
      const broker::v1::DeriveSessionKeysRequest* request,
      broker::v1::DeriveSessionKeysResponse* response) override;

 private:
  template <typename Body>
  grpc::Status Run(const char* rpc, grpc::ServerContext* context, Body body);

  keybroker::Broker* const broker_;
  CallGuard* const guard_;
};

// CANCELLED if the client cancelled, DEADLINE_EXCEEDED if the call's
// deadline has passed, else OK.
absl::Status CheckCallDeadline(const grpc::ServerContext& context);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
