// MIKEY DH mode (RFC 3830 §3.3). Readings, each checked against the RFC
// text:
//
// Message shapes (§3.3): "I_MESSAGE = HDR, T, RAND, [IDi|CERTi],[IDr] {SP},
// DHi, SIGNi"; "R_MESSAGE = HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr";
// "Both parties calculate the TGK, g^(xi*xr) from the exchanged DH-values".
// The DH payload and its group numbers are §6.4 (Table 6.4: 0 OAKLEY 5,
// 1536 bits, Mandatory; 1 OAKLEY 1, 768; 2 OAKLEY 2, 1024); 255 (X25519) is
// this project's, in the range §10 reserves "for Private Use" (241-255).
//
// SIGN coverage: §3.3, "The SIGNi is a signature covering the Initiator's
// MIKEY message, I_MESSAGE" (SIGNr likewise the R_MESSAGE), "see Section 5.2
// for the exact definition", and §5.2: "create and concatenate the
// MAC/signature payload without the MAC/signature field filled in ...
// Calculate the MAC/signature over the entire MIKEY message, except the
// MAC/Signature field". So the signature covers everything up to and
// including the SIGN payload's S type / Signature len header
// (pubkey_common.h); nothing is appended to it in DH mode (unlike RSA-R's
// SIGNr, RFC 4738 §3.6). minisip signs the same span.
//
// The Responder's timestamp: §3.3, "The timestamp that is included in the
// answer is the same as the one included in the Initiator's message" (and
// §5.2). Error messages ("HDR, T, {ERR}, {SP}, [V|SIGNr]", §5.1.2) carry it
// too and are signed. CompleteDh accepts the echoed T_i and, from peers
// that make their own (minisip), a fresh one within the clock skew.
//
// The R_MESSAGE needs an IDi; when the I_MESSAGE carried only CERTi, the
// Responder writes the identity the verified certificate names.

#include "core/exchange/dh.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/dh.h"
#include "core/exchange/dh_internal.h"
#include "core/exchange/internal.h"
#include "core/exchange/pubkey_common.h"

namespace mikey {
namespace exchange {

using dh_internal::BuildIMessage;
using dh_internal::BuildRMessage;
using dh_internal::CheckIMessageBasics;
using dh_internal::CommitReplay;
using dh_internal::CompleteAgreement;
using dh_internal::DhIMessage;
using dh_internal::DhInitiatorCommon;
using dh_internal::DhRMessage;
using dh_internal::ErrorMessageSkeleton;
using dh_internal::InvalidDataTypeReply;
using dh_internal::MakeInitiatorState;
using dh_internal::ParseDhIMessage;
using dh_internal::ParseDhRMessage;
using dh_internal::RefuseWith;
using dh_internal::RespondAgreement;
using dh_internal::ResponderAgreement;
using dh_internal::ResponderLimits;
using dh_internal::RestoredInitiator;
using dh_internal::RestoreInitiator;
using exchange_internal::CertChainOf;
using exchange_internal::CheckIdBinding;
using exchange_internal::ErrorList;
using exchange_internal::IdFromCertificate;
using exchange_internal::Refusal;
using exchange_internal::RefuseCert;
using exchange_internal::SerializeSigned;
using exchange_internal::SignTypeOf;
using exchange_internal::VerifySigned;

namespace {

constexpr char kReplayPrefix[] = "mikey-dh:";

// A SIGN payload for SerializeSigned to fill.
SignPayload SignPlaceholder(const RsaSignatureParams& params) {
  SignPayload s;
  s.type = SignTypeOf(params.scheme);
  return s;
}

absl::Status CheckCredential(const PkCredential& c, bool send_certificate,
                             absl::string_view caller) {
  if (c.key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(caller, ": no private key to sign with"));
  }
  if (send_certificate && c.chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(caller, ": no certificate to send"));
  }
  return absl::OkStatus();
}

std::vector<Bytes> ChainDer(const PkCredential& c, bool send) {
  std::vector<Bytes> out;
  if (!send) return out;
  for (const pki::Certificate& cert : c.chain) out.push_back(cert.der());
  return out;
}

// The peer's certificate chain (from the message's CERT payloads, else
// `configured`), verified for signing at the clock's time.
absl::StatusOr<pki::VerifiedPeer> VerifyPeer(
    const Message& m, const MessageLayout& layout,
    const std::vector<pki::Certificate>& configured,
    const pki::CertificateVerifier& verifier, size_t min_rsa_bits,
    const Clock& clock, Refusal* refusal) {
  absl::StatusOr<std::vector<pki::Certificate>> chain =
      CertChainOf(m, layout, &verifier);
  if (!chain.ok()) {
    *refusal = RefuseCert(chain.status());
    return chain.status();
  }
  if (chain->empty()) *chain = configured;
  if (chain->empty()) {
    return RefuseWith(refusal,
                      absl::FailedPreconditionError(
                          "no CERT payload and no configured certificate for "
                          "the signer"),
                      error_no::kInvalidCert);
  }
  absl::StatusOr<pki::VerifiedPeer> peer = verifier.Verify(
      *chain, clock.Now(), pki::KeyUsage::kDigitalSignature, min_rsa_bits);
  if (!peer.ok()) {
    *refusal = RefuseCert(peer.status());
    return peer.status();
  }
  return peer;
}

// The Error message answering `im`: HDR, T, ERR, SIGN (signed by our key).
absl::StatusOr<Bytes> BuildSignedError(const DhIMessage& im, uint8_t err,
                                       const DhResponderOptions& options,
                                       const Clock& clock) {
  Message e = ErrorMessageSkeleton(im, err, options.allowed_suites, clock);
  if (options.credential.key == nullptr) return SerializeMessage(e);
  e.payloads.push_back(SignPlaceholder(options.signature));
  return SerializeSigned(std::move(e), *options.credential.key,
                         options.signature);
}

// What the Initiator makes of an Error message answering its I_MESSAGE.
absl::Status ErrorFromResponder(absl::Span<const uint8_t> wire,
                                const DhIMessage& im,
                                const DhCompleteOptions& options,
                                const Clock& clock) {
  MessageLayout layout;
  absl::StatusOr<Message> e = ParseMessage(wire, &layout);
  if (!e.ok()) return e.status();
  if (e->header.csb_id != im.m.header.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("Error message: HDR: CSB ID ", e->header.csb_id,
                     " does not match the I_MESSAGE's ", im.m.header.csb_id));
  }
  bool verified = false;
  const SignPayload* sign = e->payloads.empty()
                                ? nullptr
                                : std::get_if<SignPayload>(&e->payloads.back());
  if (sign != nullptr) {
    Refusal ignored;
    absl::StatusOr<pki::VerifiedPeer> peer =
        VerifyPeer(*e, layout, options.responder_chain, *options.verifier,
                   options.min_rsa_bits, clock, &ignored);
    verified = peer.ok() && VerifySigned(wire, *sign, peer->public_key,
                                         options.signature_hashes)
                                .ok();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "peer answered with a MIKEY Error message: ", ErrorList(*e),
      verified ? "" : " [unauthenticated: no SIGN payload that verifies]"));
}

struct Accepted {
  KeyResult keys;
  Bytes reply;
  pki::Certificate peer;
};

absl::StatusOr<Accepted> RespondParsed(const DhIMessage& im,
                                       absl::Span<const uint8_t> wire,
                                       const DhResponderOptions& options,
                                       const Clock& clock, RandomSource& rng,
                                       Refusal* refusal) {
  if (absl::Status s = CheckIMessageBasics(im, refusal); !s.ok()) return s;
  absl::StatusOr<pki::VerifiedPeer> peer =
      VerifyPeer(im.m, im.layout, options.initiator_chain, *options.verifier,
                 options.min_rsa_bits, clock, refusal);
  if (!peer.ok()) return peer.status();
  // SIGNi before anything else is acted on.
  const SignPayload& sign = std::get<SignPayload>(im.m.payloads[im.auth]);
  if (absl::Status s =
          VerifySigned(wire, sign, peer->public_key, options.signature_hashes);
      !s.ok()) {
    return RefuseWith(refusal, s, error_no::kAuthFailure);
  }
  if (options.require_identity_binding && im.IdI() != nullptr) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*im.IdI(), peer->leaf, "IDi")) {
      *refusal = *r;
      return r->status;
    }
  }

  ResponderLimits limits{options.max_clock_skew, options.allowed_suites,
                         options.allowed_dh_groups};
  absl::StatusOr<ResponderAgreement> agreement =
      RespondAgreement(im, limits, clock, rng, refusal);
  if (!agreement.ok()) return agreement.status();

  Message r =
      BuildRMessage(im, data_type::kDhResp, *agreement->key_pair, options.id_r,
                    ChainDer(options.credential, options.send_certificate),
                    IdFromCertificate(peer->leaf), clock);
  r.payloads.push_back(SignPlaceholder(options.signature));
  absl::StatusOr<Bytes> reply =
      SerializeSigned(std::move(r), *options.credential.key, options.signature);
  if (!reply.ok()) return RefuseWith(refusal, reply.status(), std::nullopt);

  if (absl::Status s = CommitReplay(
          im, kReplayPrefix, sign.signature,
          options.skip_replay_check ? nullptr : options.replay_cache,
          options.max_clock_skew, clock, refusal);
      !s.ok()) {
    return s;
  }
  return Accepted{std::move(agreement->keys), *std::move(reply), peer->leaf};
}

}  // namespace

absl::StatusOr<DhInitiation> InitiateDh(const DhInitiatorOptions& options,
                                        const Clock& clock, RandomSource& rng) {
  if (absl::Status s = CheckCredential(options.credential,
                                       options.send_certificate, "InitiateDh");
      !s.ok()) {
    return s;
  }
  if (options.id_r && !options.id_i && !options.send_certificate) {
    return absl::InvalidArgumentError(
        "InitiateDh: IDr without IDi or CERTi (the first ID payload is IDi)");
  }
  DhInitiatorCommon common;
  common.streams = options.streams;
  common.csb_id = options.csb_id;
  common.prf_func = options.prf_func;
  common.dh_group = options.dh_group;
  common.id_i = options.id_i;
  common.id_r = options.id_r;
  common.certs_i = ChainDer(options.credential, options.send_certificate);
  common.rand_length = options.rand_length;
  common.tgk_validity = options.tgk_validity;
  common.sp_dialect = options.sp_dialect;
  std::optional<DhKeyPair> key_pair;
  absl::StatusOr<Message> m = BuildIMessage(
      common, data_type::kDhInit, "InitiateDh", clock, rng, &key_pair);
  if (!m.ok()) return m.status();
  m->payloads.push_back(SignPlaceholder(options.signature));
  absl::StatusOr<Bytes> wire = SerializeSigned(
      *std::move(m), *options.credential.key, options.signature);
  if (!wire.ok()) return wire.status();
  DhInitiation out;
  out.i_message = *wire;
  absl::StatusOr<DhInitiatorState> state =
      MakeInitiatorState(data_type::kDhInit, *std::move(wire), *key_pair);
  if (!state.ok()) return state.status();
  out.state = *std::move(state);
  return out;
}

DhModeResponse RespondDh(absl::Span<const uint8_t> i_message,
                         const DhResponderOptions& options, const Clock& clock,
                         RandomSource& rng) {
  DhModeResponse out;
  bool wrong_data_type = false;
  absl::StatusOr<DhIMessage> im = ParseDhIMessage(
      i_message, data_type::kDhInit, payload_type::kSign, &wrong_data_type);
  if (!im.ok()) {
    out.status = im.status();
    if (wrong_data_type) {
      out.reply = InvalidDataTypeReply(i_message, clock);
      if (!out.reply.empty()) out.error_no = error_no::kInvalidDt;
    }
    return out;
  }
  if (options.verifier == nullptr) {
    out.status =
        absl::InvalidArgumentError("RespondDh: no certificate verifier given");
    return out;
  }
  if (absl::Status s = CheckCredential(options.credential,
                                       options.send_certificate, "RespondDh");
      !s.ok()) {
    out.status = s;
    return out;
  }
  if (options.replay_cache == nullptr && !options.skip_replay_check) {
    out.status = absl::InvalidArgumentError(
        "RespondDh: no replay cache given (RFC 3830 §5.4 requires one; set "
        "skip_replay_check only if the caller provides replay protection)");
    return out;
  }
  Refusal refusal;
  absl::StatusOr<Accepted> accepted =
      RespondParsed(*im, i_message, options, clock, rng, &refusal);
  if (accepted.ok()) {
    out.keys = std::move(accepted->keys);
    out.reply = std::move(accepted->reply);
    out.peer_certificate = std::move(accepted->peer);
    return out;
  }
  out.status = refusal.status.ok() ? accepted.status() : refusal.status;
  if (refusal.error_no) {
    absl::StatusOr<Bytes> err =
        BuildSignedError(*im, *refusal.error_no, options, clock);
    if (err.ok()) {
      out.reply = *std::move(err);
      out.error_no = refusal.error_no;
    }
  }
  return out;
}

absl::StatusOr<KeyResult> CompleteDh(absl::Span<const uint8_t> r_message,
                                     const DhInitiatorState& state,
                                     const DhCompleteOptions& options,
                                     const Clock& clock) {
  absl::StatusOr<RestoredInitiator> init =
      RestoreInitiator(state, data_type::kDhInit, payload_type::kSign);
  if (!init.ok()) return init.status();
  if (options.verifier == nullptr) {
    return absl::InvalidArgumentError(
        "CompleteDh: no certificate verifier given");
  }
  // The data type is the header's second octet.
  if (r_message.size() >= 2 && r_message[1] == data_type::kError) {
    return ErrorFromResponder(r_message, init->im, options, clock);
  }
  absl::StatusOr<DhRMessage> rm =
      ParseDhRMessage(r_message, data_type::kDhResp, payload_type::kSign);
  if (!rm.ok()) return rm.status();
  Refusal ignored;
  absl::StatusOr<pki::VerifiedPeer> peer =
      VerifyPeer(rm->m, rm->layout, options.responder_chain, *options.verifier,
                 options.min_rsa_bits, clock, &ignored);
  if (!peer.ok()) return peer.status();
  const SignPayload& sign = std::get<SignPayload>(rm->m.payloads[rm->auth]);
  if (absl::Status s = VerifySigned(r_message, sign, peer->public_key,
                                    options.signature_hashes);
      !s.ok()) {
    return s;
  }
  if (options.require_identity_binding && rm->IdR() != nullptr) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*rm->IdR(), peer->leaf, "IDr")) {
      return r->status;
    }
  }
  return CompleteAgreement(*init, *rm, clock, options.max_clock_skew);
}

}  // namespace exchange
}  // namespace mikey
