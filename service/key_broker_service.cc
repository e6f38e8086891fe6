#include "service/key_broker_service.h"

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/broker/rpc_errors.h"
#include "service/decode.h"

namespace mikey {
namespace service {

namespace pb = ::mikey::broker::v1;

absl::Status CheckCallDeadline(const grpc::ServerContext& context) {
  if (context.IsCancelled()) {
    return absl::CancelledError("the call was cancelled");
  }
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the call's deadline has passed");
  }
  return absl::OkStatus();
}

template <typename Body>
grpc::Status KeyBrokerService::Run(const char* rpc,
                                   grpc::ServerContext* context, Body body) {
  const absl::Time start = absl::Now();
  CallRecord record;
  record.rpc = rpc;
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<CallerIdentity> caller = guard_->Authenticate(*context);
    if (!caller.ok()) return caller.status();
    record.caller = *caller;
    if (absl::Status s = CheckCallDeadline(*context); !s.ok()) return s;
    keybroker::CallContext call;
    call.authorize = [this, &record, rpc](absl::string_view key_id) {
      return guard_->Authorize(record.caller, rpc, key_id);
    };
    call.check_deadline = [context] { return CheckCallDeadline(*context); };
    call.record = &record;
    return body(call);
  }();
  // The record gets code and message only (not the error details).
  record.outcome = absl::Status(status.code(), status.message());
  record.latency = absl::Now() - start;
  guard_->Record(record);
  return keybroker::ToGrpcStatusWithDetails(status);
}

grpc::Status KeyBrokerService::Decode(grpc::ServerContext* context,
                                      const pb::DecodeRequest* request,
                                      pb::DecodeResponse* response) {
  return Run("Decode", context, [&](const keybroker::CallContext& call) {
    if (absl::Status s = call.authorize(""); !s.ok()) return s;
    return DecodeInput(request->input(), response);
  });
}

grpc::Status KeyBrokerService::Initiate(grpc::ServerContext* context,
                                        const pb::InitiateRequest* request,
                                        pb::InitiateResponse* response) {
  return Run("Initiate", context, [&](const keybroker::CallContext& call) {
    return broker_->Initiate(*request, response, call);
  });
}

grpc::Status KeyBrokerService::Respond(grpc::ServerContext* context,
                                       const pb::RespondRequest* request,
                                       pb::RespondResponse* response) {
  return Run("Respond", context, [&](const keybroker::CallContext& call) {
    return broker_->Respond(*request, response, call);
  });
}

grpc::Status KeyBrokerService::Complete(grpc::ServerContext* context,
                                        const pb::CompleteRequest* request,
                                        pb::CompleteResponse* response) {
  return Run("Complete", context, [&](const keybroker::CallContext& call) {
    return broker_->Complete(*request, response, call);
  });
}

grpc::Status KeyBrokerService::DeriveSessionKeys(
    grpc::ServerContext* context, const pb::DeriveSessionKeysRequest* request,
    pb::DeriveSessionKeysResponse* response) {
  return Run("DeriveSessionKeys", context,
             [&](const keybroker::CallContext& call) {
               return broker_->DeriveSessionKeys(*request, response, call);
             });
}

}  // namespace service
}  // namespace mikey
