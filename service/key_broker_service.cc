#include "service/key_broker_service.h"

#include "service/decode.h"
#include "service/grpc_status.h"

namespace mikey {
namespace service {

grpc::Status KeyBrokerService::Decode(grpc::ServerContext* context,
                                      const broker::v1::DecodeRequest* request,
                                      broker::v1::DecodeResponse* response) {
  return ToGrpcStatus(DecodeInput(request->input(), response));
}

}  // namespace service
}  // namespace mikey
