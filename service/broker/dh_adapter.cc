// MODE_DH over core/exchange/dh.h (RFC 3830 §3.3): Diffie-Hellman signed
// with each side's RSA credential.
//
// Initiate returns no keys: they exist only once the R_MESSAGE arrives. The
// state holds core's serialized DhInitiatorState, which contains the DH
// PRIVATE value: it only ever leaves this process sealed in the state token
// (the Broker seals every adapter state). It also holds the Responder's
// certificate chain when the request gave one (peer_certificate), for an
// R_MESSAGE without CERT payloads.
//
// Respond signs with the newest version of the credential (or the pinned
// one); the Initiator's certificate comes from its CERT payloads and is
// verified with the trust configured for the Responder's key id.
//
// State: format(1) || DhInitiatorState(2-octet length) || chain (see
// pubkey_support.h).

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/dh.h"
#include "service/broker/adapters.h"
#include "service/broker/pubkey_support.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr uint8_t kStateFormat = 1;

class DhAdapter final : public ModeAdapter {
 public:
  DhAdapter() {
    traits_.mode = pb::MODE_DH;
    traits_.initiate_needs_key = true;
    traits_.key_kind = Traits::KeyKind::kCredential;
    traits_.uses_peer_certificate = true;
    traits_.i_message_data_types = {data_type::kDhInit};
  }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    if (req.v_flag()) {
      return absl::InvalidArgumentError(
          "v_flag: DH always has an R_MESSAGE; the V flag is for PSK and "
          "PUBLIC_KEY");
    }
    if (req.dh_group() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dh_group: ", req.dh_group(), " is not a DH-Group number"));
    }
    exchange::DhInitiatorOptions o;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    o.prf_func = params.prf_func;
    o.dh_group = static_cast<uint8_t>(req.dh_group());
    absl::StatusOr<KeyValidity> kv = MkiValidityOf(req);
    if (!kv.ok()) return kv.status();
    o.tgk_validity = *std::move(kv);
    absl::StatusOr<RequestIds> ids = IdsOf(req);
    if (!ids.ok()) return ids.status();
    o.id_i = std::move(ids->id_i);
    o.id_r = std::move(ids->id_r);
    o.credential = CredentialOf(*params.key);
    absl::StatusOr<std::vector<pki::Certificate>> peer = PeerChainOf(req);
    if (!peer.ok()) return peer.status();

    absl::StatusOr<exchange::DhInitiation> init =
        exchange::InitiateDh(o, *env.clock, *env.rng);
    if (!init.ok()) return init.status();
    absl::StatusOr<HeaderPeek> header =
        PeekHeader(init->i_message, "I_MESSAGE");
    if (!header.ok()) return absl::InternalError(header.status().message());
    absl::StatusOr<SecretBytes> dh_state =
        exchange::SerializeDhInitiatorState(init->state);
    if (!dh_state.ok()) return dh_state.status();

    Writer w;
    // Reserved up front: no reallocation leaves a copy of the private
    // value behind.
    w.Reserve(1 + 2 + dh_state->size() + EncodedChainSize(*peer));
    w.AddU8(kStateFormat);
    absl::Status s = w.AddU16LengthPrefixed("DH state", dh_state->span());
    if (s.ok()) s = EncodeChain(*peer, &w);
    SecretBytes state = FinishSecret(std::move(w));
    if (!s.ok()) return s;
    Initiation out;
    out.csb_id = header->csb_id;
    out.i_message = std::move(init->i_message);
    out.state = std::move(state);
    return out;
  }

  Response Respond(absl::Span<const uint8_t> i_message,
                   const RespondParams& params,
                   const ExchangeEnv& env) const override {
    const pb::RespondRequest& req = *params.request;
    Response out;
    out.mode = pb::MODE_DH;
    if (params.keys->empty()) {
      out.status = absl::InvalidArgumentError(
          "key: required (the Responder's RSA credential: it signs the "
          "R_MESSAGE)");
      return out;
    }
    const ResolvedKey& key = params.keys->front();
    exchange::DhResponderOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.replay_cache = env.replay_cache;
    o.verifier = &VerifierFor(env, key);
    o.credential = CredentialOf(key);
    o.allowed_suites = params.allowed_suites;
    absl::StatusOr<std::vector<pki::Certificate>> initiator_chain =
        PeerChainOf(req);
    if (!initiator_chain.ok()) {
      out.status = initiator_chain.status();
      return out;
    }
    // Used by core only when the I_MESSAGE carries no CERT.
    o.initiator_chain = *std::move(initiator_chain);
    absl::StatusOr<std::optional<IdPayload>> id_r =
        IdPayloadFrom(req.responder_id(), "responder_id");
    if (!id_r.ok()) {
      out.status = id_r.status();
      return out;
    }
    o.id_r = *std::move(id_r);
    absl::StatusOr<std::vector<uint8_t>> groups = AllowedDhGroupsOf(req);
    if (!groups.ok()) {
      out.status = groups.status();
      return out;
    }
    if (!groups->empty()) o.allowed_dh_groups = *std::move(groups);
    return ToResponse(pb::MODE_DH,
                      exchange::RespondDh(i_message, o, *env.clock, *env.rng),
                      &key, env);
  }

  absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const override {
    if (key == nullptr) return absl::InternalError("DH state without key");
    Reader r(state, 0, "DH adapter state");
    uint8_t format = 0;
    uint16_t length = 0;
    absl::Span<const uint8_t> dh_state;
    absl::Status s = r.ReadU8("format", &format);
    if (s.ok() && format != kStateFormat) {
      s = r.Error("format", "unknown value");
    }
    if (s.ok()) s = r.ReadU16("DH state length", &length);
    if (s.ok()) s = r.ReadBytes("DH state", length, &dh_state);
    if (!s.ok()) return absl::InternalError(s.message());
    absl::StatusOr<std::vector<pki::Certificate>> peer = DecodeChain(&r);
    if (!peer.ok()) return peer.status();
    absl::StatusOr<exchange::DhInitiatorState> st =
        exchange::ParseDhInitiatorState(dh_state);
    if (!st.ok()) return absl::InternalError(st.status().message());

    exchange::DhCompleteOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.verifier = &VerifierFor(env, *key);
    o.responder_chain = *std::move(peer);
    absl::StatusOr<exchange::KeyResult> keys =
        exchange::CompleteDh(response_message, *st, o, *env.clock);
    if (!keys.ok()) return WithTrustHint(keys.status(), env, *key);
    return keys;
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewDhAdapter() {
  return std::make_unique<DhAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
