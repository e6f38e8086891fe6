// MODE_DHHMAC over core/exchange/dhhmac.h (RFC 4650): Diffie-Hellman
// authenticated by HMACs keyed from a pre-shared key.
//
// Initiate returns no keys: they exist only once the R_MESSAGE arrives, so
// the state (the I_MESSAGE and the DH private value, core's serialized
// DhInitiatorState) always goes to Complete. Respond tries the key's
// versions newest first, as the PSK adapter does.

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/exchange/dhhmac.h"
#include "service/broker/adapters.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

absl::StatusOr<std::vector<uint8_t>> DhGroups(
    const google::protobuf::RepeatedField<uint32_t>& groups) {
  std::vector<uint8_t> out;
  for (int i = 0; i < groups.size(); ++i) {
    if (groups[i] > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_dh_groups[", i, "]: ", groups[i],
                       " is not a DH-Group number (0 to 255)"));
    }
    out.push_back(static_cast<uint8_t>(groups[i]));
  }
  return out;
}

class DhhmacAdapter final : public ModeAdapter {
 public:
  DhhmacAdapter() {
    traits_.mode = pb::MODE_DHHMAC;
    traits_.initiate_needs_key = true;
    traits_.i_message_data_types = {data_type::kDhhmacInit};
  }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    if (req.v_flag()) {
      return absl::InvalidArgumentError(
          "v_flag: DHHMAC always has an R_MESSAGE; the V flag is for PSK");
    }
    if (req.dh_group() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dh_group: ", req.dh_group(), " is not a DH-Group number"));
    }
    exchange::DhhmacInitiatorOptions o;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    o.prf_func = params.prf_func;
    o.dh_group = static_cast<uint8_t>(req.dh_group());
    absl::StatusOr<std::optional<IdPayload>> id_i =
        IdPayloadFrom(req.initiator_id(), "initiator_id");
    if (!id_i.ok()) return id_i.status();
    absl::StatusOr<std::optional<IdPayload>> id_r =
        IdPayloadFrom(req.responder_id(), "responder_id");
    if (!id_r.ok()) return id_r.status();
    if (*id_i && !*id_r) {
      // RFC 4650 §3: I_message = HDR, T, RAND, [IDi], IDr, ... ("The
      // initiator SHALL always include the recipient's identity"): a single
      // ID payload is IDr.
      return absl::InvalidArgumentError(
          "initiator_id: needs responder_id too in DHHMAC (RFC 4650 §3: IDr "
          "is mandatory, IDi optional)");
    }
    o.id_i = *std::move(id_i);
    o.id_r = *std::move(id_r);
    if (req.has_mki() && !req.mki().empty()) {
      if (req.mki().size() > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("mki: ", req.mki().size(), " octets (at most 255)"));
      }
      o.tgk_validity.type = key_validity::kSpi;
      o.tgk_validity.spi.assign(req.mki().begin(), req.mki().end());
    }
    absl::StatusOr<exchange::DhhmacInitiation> init = exchange::InitiateDhhmac(
        o, params.key->material.span(), *env.clock, *env.rng);
    if (!init.ok()) return init.status();
    absl::StatusOr<HeaderPeek> header =
        PeekHeader(init->i_message, "I_MESSAGE");
    if (!header.ok()) return absl::InternalError(header.status().message());
    absl::StatusOr<SecretBytes> state =
        exchange::SerializeDhInitiatorState(init->state);
    if (!state.ok()) return state.status();
    Initiation out;
    out.csb_id = header->csb_id;
    out.i_message = std::move(init->i_message);
    out.state = *std::move(state);
    return out;
  }

  Response Respond(absl::Span<const uint8_t> i_message,
                   const RespondParams& params,
                   const ExchangeEnv& env) const override {
    const pb::RespondRequest& req = *params.request;
    Response out;
    out.mode = pb::MODE_DHHMAC;
    if (params.keys->empty()) {
      out.status = absl::InvalidArgumentError(
          "key: required (the pre-shared key of the DHHMAC exchange)");
      return out;
    }
    exchange::DhhmacResponderOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.replay_cache = env.replay_cache;
    o.allowed_suites = params.allowed_suites;
    absl::StatusOr<std::optional<IdPayload>> id_r =
        IdPayloadFrom(req.responder_id(), "responder_id");
    if (!id_r.ok()) {
      out.status = id_r.status();
      return out;
    }
    o.id_r = *std::move(id_r);
    if (req.allowed_dh_groups_size() > 0) {
      absl::StatusOr<std::vector<uint8_t>> groups =
          DhGroups(req.allowed_dh_groups());
      if (!groups.ok()) {
        out.status = groups.status();
        return out;
      }
      o.allowed_dh_groups = *std::move(groups);
    }
    return TryEachKey(*params.keys, [&](const ResolvedKey& key) {
      exchange::DhResponse r = exchange::RespondDhhmac(
          i_message, key.material.span(), o, *env.clock, *env.rng);
      Response attempt;
      attempt.status = r.status;
      attempt.mode = pb::MODE_DHHMAC;
      attempt.keys = std::move(r.keys);
      attempt.reply = std::move(r.reply);
      attempt.error_no = r.error_no;
      attempt.key = &key;
      return attempt;
    });
  }

  absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const override {
    if (key == nullptr) return absl::InternalError("DHHMAC state without key");
    absl::StatusOr<exchange::DhInitiatorState> st =
        exchange::ParseDhInitiatorState(state);
    if (!st.ok()) return absl::InternalError(st.status().message());
    return exchange::CompleteDhhmac(response_message, *st, key->material.span(),
                                    *env.clock, env.max_clock_skew);
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewDhhmacAdapter() {
  return std::make_unique<DhhmacAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
