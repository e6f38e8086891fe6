// MODE_PSK_NULL over core/exchange/null_mode.h: builds MIKEY-NULL
// I_MESSAGEs (SRTP keys in clear, for peers protected by TLS around RTSP).
// Answering them is the PSK adapter's job (same data type), when the
// request sets accept_mikey_null.

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/exchange/null_mode.h"
#include "service/broker/adapters.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

class NullAdapter final : public ModeAdapter {
 public:
  NullAdapter() { traits_.mode = pb::MODE_PSK_NULL; }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    if (req.v_flag()) {
      return absl::InvalidArgumentError(
          "v_flag: a MIKEY-NULL exchange has no verification message");
    }
    if (params.prf_func != prf_func::kMikey1) {
      return absl::InvalidArgumentError(
          "prf_func: MIKEY-NULL messages are written with MIKEY-1 (their "
          "keys are not derived, so the PRF does not matter)");
    }
    if (!req.initiator_id().empty() || !req.responder_id().empty()) {
      return absl::InvalidArgumentError(
          "initiator_id/responder_id: not carried in MIKEY-NULL messages");
    }
    exchange::NullInitiatorOptions o;
    size_t key_len = params.streams.front().policy.suite->master_key_length;
    size_t salt_len = params.streams.front().policy.suite->master_salt_length;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
      if (s.policy.suite->master_key_length != key_len ||
          s.policy.suite->master_salt_length != salt_len) {
        // One shared key data cannot fit suites of different lengths.
        o.per_stream_keys = true;
      }
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    if (req.has_mki()) {
      if (req.mki().size() > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("mki: ", req.mki().size(), " octets (at most 255)"));
      }
      o.mki = Bytes(req.mki().begin(), req.mki().end());
    }
    absl::StatusOr<exchange::PskInitiation> init =
        exchange::InitiateNull(o, *env.clock, *env.rng);
    if (!init.ok()) return init.status();
    Initiation out;
    out.csb_id = init->keys.csb_id;
    out.i_message = std::move(init->i_message);
    out.keys = std::move(init->keys);
    return out;
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewNullAdapter() {
  return std::make_unique<NullAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
