// mikey.broker.v1.Echo: the trivial RPC that the load benchmarks measure the
// KeyBroker RPCs against (tests/load/ratio.sh). Served only when mikeyd runs
// with --echo_service.
//
// It runs on the same callback path as KeyBroker (raw ByteBuffer, protobuf
// parsed here, the call finished on the gRPC thread that received it) and
// authenticates the caller like every RPC on the port (a client certificate
// when the transport requires one), but does no MIKEY work and writes no
// audit line or metric: what is left is the cost of gRPC, HTTP/2 and the
// kernel for a call that moves the same octets.

#ifndef MIKEY_SERVICE_ECHO_SERVICE_H_
#define MIKEY_SERVICE_ECHO_SERVICE_H_

#include <cstdint>

#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "mikey/broker/v1/echo.grpc.pb.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {

class EchoService final : public broker::v1::Echo::WithRawCallbackMethod_Echo<
                              broker::v1::Echo::Service> {
 public:
  // Larger response_size values are INVALID_ARGUMENT: a small request must
  // not buy a large answer.
  static constexpr uint32_t kMaxResponseSize = 65536;
  // Larger server_work_us values are INVALID_ARGUMENT.
  static constexpr uint32_t kMaxServerWorkMicros = 100;

  // `guard` must outlive the service; only its Authenticate is used.
  explicit EchoService(CallGuard* guard) : guard_(guard) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) override;

 private:
  CallGuard* const guard_;
};

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_ECHO_SERVICE_H_
