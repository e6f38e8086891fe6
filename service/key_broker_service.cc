#include "service/key_broker_service.h"

#include <chrono>
#include <cstddef>
#include <new>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/bytes/secret_bytes.h"
#include "google/protobuf/arena.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "service/broker/rpc_errors.h"
#include "service/decode.h"

namespace mikey {
namespace service {

namespace pb = ::mikey::broker::v1;

absl::Status CheckCallDeadline(const grpc::ServerContextBase& context) {
  if (context.IsCancelled()) {
    return absl::CancelledError("the call was cancelled");
  }
  if (context.deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the call's deadline has passed");
  }
  return absl::OkStatus();
}

namespace {

// The arena of one call. Its first block is part of this object (a typical
// request and response fit, so a call allocates no arena memory); further
// blocks come from the heap. Every block is wiped before it is released.
class CallArena {
 public:
  CallArena() { arena_.emplace(Options()); }
  ~CallArena() {
    arena_.reset();
    SecureWipe(first_block_, sizeof(first_block_));
  }
  CallArena(const CallArena&) = delete;
  CallArena& operator=(const CallArena&) = delete;

  google::protobuf::Arena* get() { return &*arena_; }

 private:
  static constexpr size_t kFirstBlock = 4096;
  static void* AllocateBlock(size_t n) { return ::operator new(n); }
  static void WipeAndFreeBlock(void* p, size_t n) {
    SecureWipe(p, n);
    ::operator delete(p);
  }
  google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions o;
    o.initial_block = first_block_;
    o.initial_block_size = sizeof(first_block_);
    o.block_alloc = &AllocateBlock;
    o.block_dealloc = &WipeAndFreeBlock;
    return o;
  }

  alignas(16) char first_block_[kFirstBlock];
  std::optional<google::protobuf::Arena> arena_;
};

template <typename Message>
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, Message* message) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; the reader consumes
  grpc::ProtoBufferReader reader(&copy);
  if (!reader.status().ok() || !message->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request (", bytes.Length(), " octets) is not a valid ",
        message->GetTypeName(), " protobuf"));
  }
  return absl::OkStatus();
}

}  // namespace

template <typename Request, typename Response, typename Work>
grpc::Status KeyBrokerService::ServeNow(const char* rpc,
                                        grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer& request_bytes,
                                        grpc::ByteBuffer* response_bytes,
                                        Work& work) {
  const absl::Time start = absl::Now();
  CallArena arena;
  Response* response =
      google::protobuf::Arena::CreateMessage<Response>(arena.get());
  CallRecord record;
  record.rpc = rpc;
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<CallerIdentity> caller = guard_->Authenticate(*context);
    if (!caller.ok()) return caller.status();
    record.caller = *caller;
    if (absl::Status s = CheckCallDeadline(*context); !s.ok()) return s;
    Request* request =
        google::protobuf::Arena::CreateMessage<Request>(arena.get());
    if (absl::Status s = ParseRequest(request_bytes, request); !s.ok()) {
      return s;
    }
    keybroker::CallContext call;
    call.authorize = [this, &record, rpc](absl::string_view key_id) {
      return guard_->Authorize(record.caller, rpc, key_id);
    };
    call.check_deadline = [context] { return CheckCallDeadline(*context); };
    call.record = &record;
    return work(*request, response, call);
  }();
  if (status.ok()) {
    bool own_buffer = false;
    grpc::Status s = grpc::SerializationTraits<Response>::Serialize(
        *response, response_bytes, &own_buffer);
    if (!s.ok()) status = absl::InternalError("cannot serialize the response");
  }
  // The record gets code and message only (not the error details).
  record.outcome = absl::Status(status.code(), status.message());
  record.latency = absl::Now() - start;
  guard_->Record(record);
  return keybroker::ToGrpcStatusWithDetails(status);
}

template <typename Request, typename Response, typename Work>
grpc::ServerUnaryReactor* KeyBrokerService::Serve(
    const char* rpc, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request_bytes, grpc::ByteBuffer* response_bytes,
    bool may_block, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (may_block && offload_ != nullptr) {
    // Request, response and context stay valid until Finish.
    offload_->Schedule([this, rpc, context, request_bytes, response_bytes,
                        reactor, work]() mutable {
      reactor->Finish(ServeNow<Request, Response>(rpc, context, *request_bytes,
                                                  response_bytes, work));
    });
  } else {
    reactor->Finish(ServeNow<Request, Response>(rpc, context, *request_bytes,
                                                response_bytes, work));
  }
  return reactor;
}

grpc::ServerUnaryReactor* KeyBrokerService::Decode(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<pb::DecodeRequest, pb::DecodeResponse>(
      "Decode", context, request, response, /*may_block=*/false,
      [](const pb::DecodeRequest& req, pb::DecodeResponse* resp,
         const keybroker::CallContext& call) {
        if (absl::Status s = call.authorize(""); !s.ok()) return s;
        return DecodeInput(req.input(), resp);
      });
}

grpc::ServerUnaryReactor* KeyBrokerService::Initiate(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<pb::InitiateRequest, pb::InitiateResponse>(
      "Initiate", context, request, response, /*may_block=*/false,
      [this](const pb::InitiateRequest& req, pb::InitiateResponse* resp,
             const keybroker::CallContext& call) {
        return broker_->Initiate(req, resp, call);
      });
}

grpc::ServerUnaryReactor* KeyBrokerService::Respond(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<pb::RespondRequest, pb::RespondResponse>(
      "Respond", context, request, response, /*may_block=*/true,
      [this](const pb::RespondRequest& req, pb::RespondResponse* resp,
             const keybroker::CallContext& call) {
        return broker_->Respond(req, resp, call);
      });
}

grpc::ServerUnaryReactor* KeyBrokerService::Complete(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<pb::CompleteRequest, pb::CompleteResponse>(
      "Complete", context, request, response, /*may_block=*/true,
      [this](const pb::CompleteRequest& req, pb::CompleteResponse* resp,
             const keybroker::CallContext& call) {
        return broker_->Complete(req, resp, call);
      });
}

grpc::ServerUnaryReactor* KeyBrokerService::DeriveSessionKeys(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<pb::DeriveSessionKeysRequest, pb::DeriveSessionKeysResponse>(
      "DeriveSessionKeys", context, request, response, /*may_block=*/false,
      [this](const pb::DeriveSessionKeysRequest& req,
             pb::DeriveSessionKeysResponse* resp,
             const keybroker::CallContext& call) {
        return broker_->DeriveSessionKeys(req, resp, call);
      });
}

}  // namespace service
}  // namespace mikey
