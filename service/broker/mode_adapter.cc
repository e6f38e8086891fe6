#include "service/broker/mode_adapter.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/message/message.h"

namespace mikey {
namespace service {
namespace keybroker {

Response ModeAdapter::Respond(absl::Span<const uint8_t> i_message,
                              const RespondParams& params,
                              const ExchangeEnv& env) const {
  Response out;
  out.mode = traits().mode;
  out.status = absl::UnimplementedError(absl::StrCat(
      "mode ", ModeName(traits().mode), ": Respond is not implemented"));
  return out;
}

absl::StatusOr<exchange::KeyResult> ModeAdapter::Complete(
    absl::Span<const uint8_t> response_message, absl::Span<const uint8_t> state,
    const ResolvedKey* key, const ExchangeEnv& env) const {
  return absl::UnimplementedError(absl::StrCat(
      "mode ", ModeName(traits().mode), ": Complete is not implemented"));
}

Response TryEachKey(
    const std::vector<ResolvedKey>& keys,
    const std::function<Response(const ResolvedKey&)>& attempt) {
  Response first_failure;
  bool failed = false;
  for (const ResolvedKey& key : keys) {
    Response r = attempt(key);
    if (r.status.ok() || r.error_no != error_no::kAuthFailure) return r;
    if (!failed) {
      first_failure = std::move(r);
      failed = true;
    }
  }
  if (!failed) {
    first_failure.status = absl::InternalError("TryEachKey: no keys");
  }
  return first_failure;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
