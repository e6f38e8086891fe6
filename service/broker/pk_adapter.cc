// MODE_PUBLIC_KEY over core/exchange/pk.h (RFC 3830 §3.2): the Initiator
// sends the TGK in a KEMAC under an envelope key that it encrypts to the
// Responder's certificate (PKE), and signs the message with its own
// credential.
//
// Initiate needs the Responder's certificate (peer_certificate, PEM with
// its chain or DER). It is verified here, with the trust configured for the
// Initiator's key id and for key encipherment, before anything is encrypted
// to it. The I_MESSAGE names it in a CHASH payload, so a Responder holding
// several versions of its credential (a rotation) finds the right one.
// Initiate returns the keys at once; with the V flag it also returns a state
// for Complete to check the verification message:
//   format(1) || I_MESSAGE(2-octet length) || envelope key(1-octet length)
//   || KeyResult (key_result_codec.h)
//
// Respond tries the versions of its credential newest first and stops at the
// first that verifies and decrypts the message (core picks nothing itself
// when given one credential at a time, so the key version that answered is
// known). A refused message leaves no trace in the replay cache, so trying
// another version has no side effect; when none works, the newest version's
// failure is returned.

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/pk.h"
#include "service/broker/adapters.h"
#include "service/broker/key_result_codec.h"
#include "service/broker/pubkey_support.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr uint8_t kStateFormat = 1;

class PkAdapter final : public ModeAdapter {
 public:
  PkAdapter() {
    traits_.mode = pb::MODE_PUBLIC_KEY;
    traits_.initiate_needs_key = true;
    traits_.key_kind = Traits::KeyKind::kCredential;
    traits_.uses_peer_certificate = true;
    traits_.i_message_data_types = {data_type::kPkInit};
  }

  const Traits& traits() const override { return traits_; }

  absl::StatusOr<Initiation> Initiate(const InitiateParams& params,
                                      const ExchangeEnv& env) const override {
    const pb::InitiateRequest& req = *params.request;
    const ResolvedKey& key = *params.key;
    absl::StatusOr<std::vector<pki::Certificate>> peer = PeerChainOf(req);
    if (!peer.ok()) return peer.status();
    if (peer->empty()) {
      return absl::InvalidArgumentError(
          "peer_certificate: required for PUBLIC_KEY (the Responder's "
          "certificate: its key encrypts the envelope key)");
    }
    absl::StatusOr<pki::VerifiedPeer> verified = VerifierFor(env, key).Verify(
        *peer, env.clock->Now(), pki::KeyUsage::kKeyEncipherment);
    if (!verified.ok()) {
      return WithTrustHint(Prefixed(verified.status(), "peer_certificate: "),
                           env, key);
    }

    exchange::PkInitiatorOptions o;
    for (const StreamParams& s : params.streams) {
      o.streams.push_back({s.ssrc, s.roc, s.policy});
    }
    if (req.has_csb_id()) o.csb_id = req.csb_id();
    o.prf_func = params.prf_func;
    o.v_flag = req.v_flag();
    absl::StatusOr<KeyValidity> kv = MkiValidityOf(req);
    if (!kv.ok()) return kv.status();
    o.tgk_validity = *std::move(kv);
    absl::StatusOr<RequestIds> ids = IdsOf(req);
    if (!ids.ok()) return ids.status();
    o.id_i = std::move(ids->id_i);
    o.id_r = std::move(ids->id_r);
    o.credential = CredentialOf(key);
    // Verified above, with its chain (core would check the leaf alone).
    o.responder_certificate = verified->leaf;
    o.responder_verifier = nullptr;
    o.send_chash = true;

    absl::StatusOr<exchange::PkInitiation> init =
        exchange::InitiatePk(o, *env.clock, *env.rng);
    if (!init.ok()) return init.status();

    Initiation out;
    out.csb_id = init->keys.csb_id;
    if (req.v_flag()) {
      Writer w;
      w.Reserve(1 + 2 + init->i_message.size() + 1 + init->envelope_key.size() +
                EncodedKeyResultSize(init->keys));
      w.AddU8(kStateFormat);
      absl::Status s = w.AddU16LengthPrefixed("I_MESSAGE", init->i_message);
      if (s.ok()) {
        s = w.AddU8LengthPrefixed("envelope key", init->envelope_key.span());
      }
      if (s.ok()) s = EncodeKeyResult(init->keys, &w);
      SecretBytes state = FinishSecret(std::move(w));
      if (!s.ok()) return s;
      out.state = std::move(state);
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
    out.mode = pb::MODE_PUBLIC_KEY;
    if (params.keys->empty()) {
      out.status = absl::InvalidArgumentError(
          "key: required (the Responder's RSA credential: its key decrypts "
          "the envelope key)");
      return out;
    }
    exchange::PkResponderOptions o;
    o.max_clock_skew = env.max_clock_skew;
    o.replay_cache = env.replay_cache;
    // Every version of one key id: the same trust.
    o.verifier = &VerifierFor(env, params.keys->front());
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

    std::optional<Response> newest_failure;
    for (const ResolvedKey& key : *params.keys) {
      o.credentials = {CredentialOf(key)};
      Response r =
          ToResponse(pb::MODE_PUBLIC_KEY,
                     exchange::RespondPk(i_message, o, *env.clock), &key, env);
      if (r.status.ok()) return r;
      if (!newest_failure) newest_failure = std::move(r);
    }
    return *std::move(newest_failure);
  }

  absl::StatusOr<exchange::KeyResult> Complete(
      absl::Span<const uint8_t> response_message,
      absl::Span<const uint8_t> state, const ResolvedKey* key,
      const ExchangeEnv& env) const override {
    Reader r(state, 0, "PUBLIC_KEY adapter state");
    uint8_t format = 0;
    uint16_t length = 0;
    uint8_t env_length = 0;
    absl::Span<const uint8_t> i_message;
    absl::Span<const uint8_t> envelope_key;
    absl::Status s = r.ReadU8("format", &format);
    if (s.ok() && format != kStateFormat) {
      s = r.Error("format", "unknown value");
    }
    if (s.ok()) s = r.ReadU16("I_MESSAGE length", &length);
    if (s.ok()) s = r.ReadBytes("I_MESSAGE", length, &i_message);
    if (s.ok()) s = r.ReadU8("envelope key length", &env_length);
    if (s.ok()) s = r.ReadBytes("envelope key", env_length, &envelope_key);
    if (!s.ok()) return absl::InternalError(s.message());
    absl::StatusOr<exchange::KeyResult> keys = DecodeKeyResult(&r);
    if (!keys.ok()) return absl::InternalError(keys.status().message());
    s = exchange::VerifyPkResponse(response_message, i_message, envelope_key,
                                   *env.clock, env.max_clock_skew);
    if (!s.ok()) return s;
    return keys;
  }

 private:
  Traits traits_;
};

}  // namespace

std::unique_ptr<ModeAdapter> NewPkAdapter() {
  return std::make_unique<PkAdapter>();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
