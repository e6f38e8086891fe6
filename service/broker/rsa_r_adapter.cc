// MODE_RSA_R over core/exchange/rsa_r.h (RFC 4738): the Initiator asks,
// signing with its credential; the Responder generates the TGK and returns
// it encrypted to the Initiator's certificate.
//
// Initiate returns no keys (the Responder chooses them) and a state for
// Complete: the I_MESSAGE, and the Responder's certificate chain when the
// request gave one (peer_certificate), for an R_MESSAGE without CERT
// payloads:
//   format(1) || I_MESSAGE(2-octet length) || chain (pubkey_support.h)
// Complete decrypts with the Initiator's credential of the exact version
// Initiate used (named in the token). The Initiator's certificate must
// allow keyEncipherment as well as digitalSignature.
//
// Respond signs with the newest version of its credential (or the pinned
// one) and verifies the Initiator with the trust configured for its key id.

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/rsa_r.h"
#include "service/broker/adapters.h"
#include "service/broker/pubkey_support.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr uint8_t kStateFormat = 1;

class RsaRAdapter final : public ModeAdapter {
 public:
  RsaRAdapter() {
    traits_.mode = pb::MODE_RSA_R;
    traits_.initiate_needs_key = true;
    traits_.key_kind = Traits::KeyKind::kCredential;
    traits_.uses_peer_certificate = true;
    traits_.i_message_data_types = {data_type::kRsaRInit};
  }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    if (req.v_flag()) {
      return absl::InvalidArgumentError(
          "v_flag: RSA_R always has an R_MESSAGE; the V flag is for PSK and "
          "PUBLIC_KEY");
    }
    if (req.has_mki()) {
      return absl::InvalidArgumentError(
          "mki: in RSA_R the Responder chooses the keys and their key "
          "validity data");
    }
    exchange::RsaRInitiatorOptions o;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    o.prf_func = params.prf_func;
    absl::StatusOr<RequestIds> ids = IdsOf(req);
    if (!ids.ok()) return ids.status();
    o.id_i = std::move(ids->id_i);
    o.id_r = std::move(ids->id_r);
    o.credential = CredentialOf(*params.key);
    absl::StatusOr<std::vector<pki::Certificate>> peer = PeerChainOf(req);
    if (!peer.ok()) return peer.status();

    absl::StatusOr<Bytes> i_message =
        exchange::InitiateRsaR(o, *env.clock, *env.rng);
    if (!i_message.ok()) return i_message.status();
    absl::StatusOr<HeaderPeek> header = PeekHeader(*i_message, "I_MESSAGE");
    if (!header.ok()) return absl::InternalError(header.status().message());

    Writer w;
    w.Reserve(1 + 2 + i_message->size() + EncodedChainSize(*peer));
    w.AddU8(kStateFormat);
    absl::Status s = w.AddU16LengthPrefixed("I_MESSAGE", *i_message);
    if (s.ok()) s = EncodeChain(*peer, &w);
    SecretBytes state = FinishSecret(std::move(w));
    if (!s.ok()) return s;
    Initiation out;
    out.csb_id = header->csb_id;
    out.i_message = *std::move(i_message);
    out.state = std::move(state);
    return out;
  }

  Response Respond(absl::Span<const uint8_t> i_message,
                   const RespondParams& params,
                   const ExchangeEnv& env) const override {
    const pb::RespondRequest& req = *params.request;
    Response out;
    out.mode = pb::MODE_RSA_R;
    if (params.keys->empty()) {
      out.status = absl::InvalidArgumentError(
          "key: required (the Responder's RSA credential: it signs the "
          "R_MESSAGE)");
      return out;
    }
    const ResolvedKey& key = params.keys->front();
    exchange::RsaRResponderOptions o;
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
    return ToResponse(pb::MODE_RSA_R,
                      exchange::RespondRsaR(i_message, o, *env.clock, *env.rng),
                      &key, env);
  }

  absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const override {
    if (key == nullptr || !key->is_credential()) {
      return absl::InternalError("RSA_R state without a credential");
    }
    Reader r(state, 0, "RSA_R adapter state");
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
    absl::StatusOr<std::vector<pki::Certificate>> peer = DecodeChain(&r);
    if (!peer.ok()) return peer.status();

    exchange::RsaRCompleteOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.verifier = &VerifierFor(env, *key);
    o.responder_chain = *std::move(peer);
    o.key = &key->credential->key;
    absl::StatusOr<exchange::KeyResult> keys =
        exchange::CompleteRsaR(response_message, i_message, o, *env.clock);
    if (!keys.ok()) return WithTrustHint(keys.status(), env, *key);
    return keys;
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewRsaRAdapter() {
  return std::make_unique<RsaRAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
