// The KeyBroker gRPC service: a thin adapter from RPCs to the converters in
// service/ and the broker (service/broker). No parsing or cryptography here.
//
// Every RPC: CallGuard::Authenticate, a deadline check, the work (which asks
// CallGuard::Authorize for the RPC and the key it uses), then exactly one
// CallGuard::Record with what the call did and how it ended.
//
// Threading: gRPC's callback API. A call runs to completion on the gRPC
// thread that received it: no hand-off to a second thread and no context
// switch per call, which is what lets a MIKEY exchange (a few microseconds
// of cryptography) run close to the cost of gRPC itself (the synchronous
// API's queue-and-wake per call cost more than the exchange). The one thing
// that must not run there is waiting on the network: with an `offload`
// pool, Respond and Complete (the RPCs that consult the replay cache, which
// may be Redis) run on that pool instead.
//
// Messages: the raw (ByteBuffer) form of the callback API, so that this
// adapter owns the protobuf step. A request that is not a valid protobuf is
// INVALID_ARGUMENT saying so (and audited like any call), where gRPC's
// callback layer would answer a bare UNIMPLEMENTED. Request and response live
// in a per-call protobuf arena whose blocks are wiped before they are freed:
// responses carry SRTP master keys.

#ifndef MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
#define MIKEY_SERVICE_KEY_BROKER_SERVICE_H_

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/broker.h"
#include "service/call_guard.h"
#include "service/worker_pool.h"

namespace mikey {
namespace service {

using KeyBrokerRawService = broker::v1::KeyBroker::WithRawCallbackMethod_Decode<
    broker::v1::KeyBroker::WithRawCallbackMethod_Initiate<
        broker::v1::KeyBroker::WithRawCallbackMethod_Respond<
            broker::v1::KeyBroker::WithRawCallbackMethod_Complete<
                broker::v1::KeyBroker::WithRawCallbackMethod_DeriveSessionKeys<
                    broker::v1::KeyBroker::Service>>>>>;

class KeyBrokerService final : public KeyBrokerRawService {
 public:
  // All must outlive the service. `offload` may be null (everything runs on
  // gRPC's threads: right when the replay cache is in memory).
  KeyBrokerService(keybroker::Broker* broker, CallGuard* guard,
                   WorkerPool* offload = nullptr)
      : broker_(broker), guard_(guard), offload_(offload) {}

  // INVALID_ARGUMENT, with core's error text, for input that is not a
  // well-formed MIKEY message.
  grpc::ServerUnaryReactor* Decode(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Initiate(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeriveSessionKeys(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  // Parses the request, runs `work(request, response, call)` between
  // Authenticate and Record, serializes the response; here or (may_block
  // and an offload pool) on the pool; finishes the call.
  template <typename Request, typename Response, typename Work>
  grpc::ServerUnaryReactor* Serve(const char* rpc,
                                  grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request_bytes,
                                  grpc::ByteBuffer* response_bytes,
                                  bool may_block, Work work);
  template <typename Request, typename Response, typename Work>
  grpc::Status ServeNow(const char* rpc, grpc::CallbackServerContext* context,
                        const grpc::ByteBuffer& request_bytes,
                        grpc::ByteBuffer* response_bytes, Work& work);

  keybroker::Broker* const broker_;
  CallGuard* const guard_;
  WorkerPool* const offload_;
};

// CANCELLED if the client cancelled, DEADLINE_EXCEEDED if the call's
// deadline has passed, else OK.
absl::Status CheckCallDeadline(const grpc::ServerContextBase& context);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_KEY_BROKER_SERVICE_H_
