// MODE_PSK over core/exchange/psk.h.
//
// Respond with a keystore key tries its versions newest first and stops at
// the first whose MAC verifies; any refusal other than a MAC mismatch
// (timestamp, replay, policy) does not depend on the key and ends the loop.
// So the cost is one HMAC per version held (normally one or two during a
// rotation), and a message under an unknown key costs every version.
//
// State (V flag only): format(1) || I_MESSAGE(2-octet length) || KeyResult.

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/psk.h"
#include "service/broker/adapters.h"
#include "service/broker/key_result_codec.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr uint8_t kStateFormat = 1;
class PskAdapter final : public ModeAdapter {
 public:
  PskAdapter() {
    traits_.mode = pb::MODE_PSK;
    traits_.initiate_needs_key = true;
    traits_.i_message_data_types = {data_type::kPskInit};
  }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    exchange::PskInitiatorOptions o;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    o.prf_func = params.prf_func;
    o.v_flag = req.v_flag();
    absl::StatusOr<std::optional<IdPayload>> id_i =
        IdPayloadFrom(req.initiator_id(), "initiator_id");
    if (!id_i.ok()) return id_i.status();
    absl::StatusOr<std::optional<IdPayload>> id_r =
        IdPayloadFrom(req.responder_id(), "responder_id");
    if (!id_r.ok()) return id_r.status();
    if (*id_r && !*id_i) {
      return absl::InvalidArgumentError(
          "responder_id: needs initiator_id too (the first ID payload of a "
          "PSK I_MESSAGE is IDi)");
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
    absl::StatusOr<exchange::PskInitiation> init = exchange::InitiatePsk(
        o, params.key->material.span(), *env.clock, *env.rng);
    if (!init.ok()) return init.status();

    Initiation out;
    out.csb_id = init->keys.csb_id;
    if (req.v_flag()) {
      Writer w;
      w.Reserve(1 + 2 + init->i_message.size() +
                EncodedKeyResultSize(init->keys));
      w.AddU8(kStateFormat);
      absl::Status s = w.AddU16LengthPrefixed("I_MESSAGE", init->i_message);
      if (s.ok()) s = EncodeKeyResult(init->keys, &w);
      std::vector<uint8_t> bytes = std::move(w).Finish();
      out.state = SecretBytes(bytes);
      SecureWipe(bytes.data(), bytes.size());
      if (!s.ok()) return s;
    }
    out.i_message = std::move(init->i_message);
    out.keys = std::move(init->keys);
    return out;
  }

  Response Respond(absl::Span<const uint8_t> i_message,
                   const RespondParams& params,
                   const ExchangeEnv& env) const override {
    const pb::RespondRequest& req = *params.request;
    Response out;
    out.mode = pb::MODE_PSK;
    if (params.keys->empty()) {
      if (!req.accept_mikey_null()) {
        out.status = absl::InvalidArgumentError(
            "key: required: name the pre-shared key (key.key_id or "
            "key.inline_key), or set accept_mikey_null to accept a "
            "MIKEY-NULL I_MESSAGE");
        return out;
      }
      exchange::NullResponderOptions o;
      o.check_timestamp = !req.skip_null_timestamp_check();
      o.max_clock_skew = env.max_clock_skew;
      o.allowed_suites = params.allowed_suites;
      absl::StatusOr<exchange::KeyResult> keys =
          exchange::AcceptNull(i_message, o, *env.clock);
      out.mode = pb::MODE_PSK_NULL;
      if (!keys.ok()) {
        out.status = absl::Status(
            keys.status().code(),
            absl::StrCat(keys.status().message(),
                         absl::IsInvalidArgument(keys.status())
                             ? " (no key was given, so only a MIKEY-NULL "
                               "I_MESSAGE can be answered)"
                             : ""));
        return out;
      }
      out.keys = *std::move(keys);
      return out;
    }

    exchange::PskResponderOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.replay_cache = env.replay_cache;
    o.allowed_suites = params.allowed_suites;
    o.allow_mikey_null = req.accept_mikey_null();
    o.null_skip_timestamp_check = req.skip_null_timestamp_check();
    absl::StatusOr<std::optional<IdPayload>> id_r =
        IdPayloadFrom(req.responder_id(), "responder_id");
    if (!id_r.ok()) {
      out.status = id_r.status();
      return out;
    }
    o.id_r = *std::move(id_r);

    return TryEachKey(*params.keys, [&](const ResolvedKey& key) {
      exchange::PskResponse r =
          exchange::RespondPsk(i_message, key.material.span(), o, *env.clock);
      Response attempt;
      attempt.status = r.status;
      attempt.mode = r.mikey_null ? pb::MODE_PSK_NULL : pb::MODE_PSK;
      attempt.keys = std::move(r.keys);
      attempt.reply = std::move(r.reply);
      attempt.error_no = r.error_no;
      attempt.key = r.mikey_null ? nullptr : &key;
      return attempt;
    });
  }

  absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const override {
    if (key == nullptr) {
      return absl::InternalError("PSK state without a key");
    }
    Reader r(state, 0, "PSK state");
    uint8_t format = 0;
    uint16_t length = 0;
    absl::Span<const uint8_t> i_message;
    absl::Status s = r.ReadU8("format", &format);
    if (s.ok() && format != kStateFormat) {
      s = r.Error("format", "unknown value");
    }
    if (s.ok()) s = r.ReadU16("I_MESSAGE length", &length);
    if (s.ok()) s = r.ReadBytes("I_MESSAGE", length, &i_message);
    if (!s.ok()) return absl::InternalError(s.message());
    absl::StatusOr<exchange::KeyResult> keys = DecodeKeyResult(&r);
    if (!keys.ok()) return absl::InternalError(keys.status().message());
    s = exchange::VerifyPskResponse(response_message, i_message,
                                    key->material.span(), *env.clock,
                                    env.max_clock_skew);
    if (!s.ok()) return s;
    return keys;
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewPskAdapter() {
  return std::make_unique<PskAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
