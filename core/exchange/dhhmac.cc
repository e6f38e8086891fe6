// MIKEY DHHMAC (RFC 4650). Readings, each checked against the RFC text:
//
// Message shapes (RFC 4650 §3, Figure 1): "I_message = HDR, T, RAND, [IDi],
// IDr, {SP}, DHi, KEMAC"; "R_message = HDR, T, [IDr], IDi, DHr, DHi, KEMAC";
// data types 7 / 8 (§4.1, Table 4.1.a). "The initiator SHALL always include
// the recipient's identity" (so a lone ID payload in an I_MESSAGE is IDr);
// "The responder SHALL always include the initiator's identity IDi
// regardless of whether the I_message conveyed any IDi" (the Responder uses
// DhhmacResponderOptions::peer_id_i when the I_MESSAGE has none). CERT is not
// among the payloads of Table 4.1.b ("Other defined next payload values
// defined in [2] SHALL not be applied to DHHMAC"; §4.3: "this payload SHALL
// only hold a non-certificate-based identity"), so it is refused.
//
// KEMAC (§4.2): "KEMAC SHALL not convey any encrypted data; thus, Encr alg
// SHALL be set to 2 (NULL), Encr data len SHALL be set to 0, and Encr data
// SHALL be left empty. The AES key wrap method ... SHALL not be applied".
// The numbers in RFC 4650's text (Encr alg "2 (NULL)"; its Table 4.2.a,
// HMAC-SHA-1 = 0, NULL = 1) contradict the registry RFC 3830 §6.2 created
// and RFC 4650 §7 says it reuses ("does not define its own new name
// spaces"): there NULL encryption is 0, AES-KW-128 is 2, NULL MAC is 0 and
// HMAC-SHA-1-160 is 1. This code follows the registry (NULL = 0, MAC 1 or
// 2), as minisip does.
//
// MAC (§3, §4.2): "The HMAC SHALL be computed over the entire message,
// excluding the MAC field using auth_key"; "The HMAC is then calculated over
// the entire MIKEY message, excluding the MAC field using auth_key as
// described in [2] section 5.2" -- the MAC alg octet and everything before
// the MAC are covered, the KEMAC being the last payload.
//
// auth_key (§1.1): "The authentication key auth_key is derived from the
// pre-shared secret s using the pseudo-random function PRF; see [2] sections
// 4.1.3 and 4.1.5." RFC 3830 has no §4.1.5; its §4.1.4 ("Generating keys for
// MIKEY messages from an envelope/pre-shared key", label "constant || 0xFF
// || csb_id || RAND", authentication key constant 0x2D22AC75) is the
// derivation from a pre-shared key, so auth_key = PRF(s, 0x2D22AC75 || 0xFF
// || CSB ID || RAND) with the I_MESSAGE's CSB ID and RAND, for both messages
// (the R_MESSAGE has no RAND; minisip does the same).
//
// Timestamp (§3): the Responder "sends an HMACed message including g^(xr)
// and the timestamp", and RFC 3830 §3.3 / §5.2: the R_MESSAGE carries the
// Initiator's T. TGK = g^(xi * xr) ("Processing of the TGK SHALL be
// accomplished as described in MIKEY [2] section 4"): the fixed-length
// shared secret, keeping its leading zero octets, split into 256-bit PRF
// blocks (RFC 3830 §4.1.2; minisip's PRF bug gives different keys: see
// MIKEY-NOTES "Deployed dialects").
//
// Errors (§4.1: "In case of a decoding error or of a failed HMAC
// authentication verification, the responder SHALL apply the Error payload
// data type"): RFC 3830 §5.1.2's "HDR, T, {ERR}, {SP}, [V|SIGNr]", with a V
// keyed with auth_key as in PSK mode.

#include "core/exchange/dhhmac.h"

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
#include "core/bytes/secret_bytes.h"
#include "core/crypto/dh.h"
#include "core/crypto/hmac.h"
#include "core/exchange/dh_internal.h"
#include "core/exchange/internal.h"

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
using exchange_internal::AuthKey;
using exchange_internal::DefaultMacAlg;
using exchange_internal::ErrorName;
using exchange_internal::kMinPskLength;
using exchange_internal::kMinRandLength;
using exchange_internal::MacHash;
using exchange_internal::MacInput;
using exchange_internal::MacLength;
using exchange_internal::Refusal;
using exchange_internal::SerializeWithTrailingMac;
using exchange_internal::SplitAtMac;
using exchange_internal::SupportedPrf;
using exchange_internal::TimestampWire;

namespace {

constexpr char kReplayPrefix[] = "mikey-dhhmac:";

// A KEMAC that carries only a MAC (to be filled by SerializeWithTrailingMac).
KemacPayload MacOnlyKemac(uint8_t mac) {
  KemacPayload k;
  k.encr_alg = encr_alg::kNull;
  k.mac_alg = mac;
  k.mac = Bytes(MacLength(mac), 0);
  return k;
}

// The KEMAC of a DHHMAC message: NULL encryption, no key data, a MAC this
// code computes.
absl::Status CheckKemac(const KemacPayload& k, absl::string_view where,
                        Refusal* refusal) {
  if (k.encr_alg != encr_alg::kNull) {
    return RefuseWith(refusal,
                      absl::FailedPreconditionError(absl::StrCat(
                          where, ": KEMAC encryption algorithm ",
                          static_cast<int>(k.encr_alg),
                          " (DHHMAC carries no key: 0 NULL expected)")),
                      error_no::kInvalidEa);
  }
  if (!k.encr_data.empty()) {
    return RefuseWith(refusal,
                      absl::InvalidArgumentError(absl::StrCat(
                          where, ": KEMAC Encr data of ", k.encr_data.size(),
                          " octets (DHHMAC carries no key: empty expected)")),
                      error_no::kUnspecified);
  }
  if (!MacHash(k.mac_alg)) {
    return RefuseWith(
        refusal,
        absl::FailedPreconditionError(absl::StrCat(
            where, ": KEMAC MAC algorithm ", static_cast<int>(k.mac_alg),
            " not accepted (1 HMAC-SHA-1-160, 2 "
            "HMAC-SHA-256-256)")),
        error_no::kInvalidMac);
  }
  return absl::OkStatus();
}

// Checks the MAC ending the payload at `index` (a KEMAC or V).
bool MacVerifies(absl::Span<const uint8_t> wire, const MessageLayout& layout,
                 size_t index, uint8_t mac_alg, absl::Span<const uint8_t> key,
                 std::initializer_list<absl::Span<const uint8_t>> suffix) {
  const MacInput in = SplitAtMac(wire, layout, index, MacLength(mac_alg));
  std::vector<absl::Span<const uint8_t>> pieces = {in.before, in.after};
  pieces.insert(pieces.end(), suffix.begin(), suffix.end());
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(*MacHash(mac_alg), key);
  if (!ctx.ok()) return false;
  for (absl::Span<const uint8_t> p : pieces) {
    if (!ctx->Update(p).ok()) return false;
  }
  absl::StatusOr<Bytes> mac = ctx->Finish();
  return mac.ok() && ConstantTimeEquals(*mac, in.mac);
}

// The Error message answering `im`: HDR, T, ERR, and V when the
// authentication key can be derived.
absl::StatusOr<Bytes> BuildErrorMessage(
    const DhIMessage& im, uint8_t err, absl::Span<const uint8_t> psk,
    absl::Span<const srtp::CryptoSuite* const> allowed, const Clock& clock) {
  Message e = ErrorMessageSkeleton(im, err, allowed, clock);
  std::optional<HashAlg> prf = SupportedPrf(im.m.header.prf_func);
  if (!prf || im.Rand().size() < kMinRandLength || psk.size() < kMinPskLength) {
    return SerializeMessage(e);
  }
  const uint8_t i_mac = std::get<KemacPayload>(im.m.payloads[im.auth]).mac_alg;
  const uint8_t mac =
      MacHash(i_mac) ? i_mac : DefaultMacAlg(im.m.header.prf_func);
  absl::StatusOr<SecretBytes> key =
      AuthKey(*prf, psk, im.m.header.csb_id, im.Rand(), mac);
  if (!key.ok()) return key.status();
  e.payloads.push_back(VerificationPayload{mac, Bytes(MacLength(mac), 0)});
  const Bytes t_i = TimestampWire(im.T());
  return SerializeWithTrailingMac(e, mac, key->span(),
                                  {im.IdIData(), im.IdRData(), t_i});
}

// What the Initiator makes of an Error message answering its I_MESSAGE.
absl::Status ErrorFromResponder(absl::Span<const uint8_t> wire,
                                const DhIMessage& im,
                                absl::Span<const uint8_t> psk) {
  MessageLayout layout;
  absl::StatusOr<Message> e = ParseMessage(wire, &layout);
  if (!e.ok()) return e.status();
  if (e->header.csb_id != im.m.header.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("Error message: HDR: CSB ID ", e->header.csb_id,
                     " does not match the I_MESSAGE's ", im.m.header.csb_id));
  }
  std::string list;
  std::optional<size_t> v;
  for (size_t i = 0; i < e->payloads.size(); ++i) {
    if (const auto* err = std::get_if<ErrorPayload>(&e->payloads[i])) {
      absl::StrAppend(&list, list.empty() ? "" : ", ", ErrorName(err->error_no),
                      " (", static_cast<int>(err->error_no), ")");
    } else if (std::holds_alternative<VerificationPayload>(e->payloads[i])) {
      v = i;
    }
  }
  bool verified = false;
  std::optional<HashAlg> prf = SupportedPrf(im.m.header.prf_func);
  if (v && prf) {
    const auto& vp = std::get<VerificationPayload>(e->payloads[*v]);
    if (MacHash(vp.auth_alg)) {
      absl::StatusOr<SecretBytes> key =
          AuthKey(*prf, psk, im.m.header.csb_id, im.Rand(), vp.auth_alg);
      const Bytes t_i = TimestampWire(im.T());
      verified =
          key.ok() && MacVerifies(wire, layout, *v, vp.auth_alg, key->span(),
                                  {im.IdIData(), im.IdRData(), t_i});
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "peer answered with a MIKEY Error message: ",
      list.empty() ? "no ERR payload" : list,
      verified ? "" : " [unauthenticated: no V payload that verifies]"));
}

struct Accepted {
  KeyResult keys;
  Bytes reply;
};

absl::StatusOr<Accepted> RespondParsed(const DhIMessage& im,
                                       absl::Span<const uint8_t> wire,
                                       absl::Span<const uint8_t> psk,
                                       const DhhmacResponderOptions& options,
                                       const Clock& clock, RandomSource& rng,
                                       Refusal* refusal) {
  if (absl::Status s = CheckIMessageBasics(im, refusal); !s.ok()) return s;
  const KemacPayload& kemac = std::get<KemacPayload>(im.m.payloads[im.auth]);
  if (absl::Status s = CheckKemac(kemac, "DHHMAC I_MESSAGE", refusal);
      !s.ok()) {
    return s;
  }
  const CommonHeader& hdr = im.m.header;
  std::optional<HashAlg> prf = SupportedPrf(hdr.prf_func);
  absl::StatusOr<SecretBytes> key =
      AuthKey(*prf, psk, hdr.csb_id, im.Rand(), kemac.mac_alg);
  if (!key.ok()) return RefuseWith(refusal, key.status(), std::nullopt);
  // The MAC first, in constant time, before anything else is acted on.
  if (!MacVerifies(wire, im.layout, im.auth, kemac.mac_alg, key->span(), {})) {
    return RefuseWith(refusal,
                      absl::FailedPreconditionError(
                          "KEMAC: MAC verification failed (different "
                          "pre-shared key, or the message was altered)"),
                      error_no::kAuthFailure);
  }

  ResponderLimits limits{options.max_clock_skew, options.allowed_suites,
                         options.allowed_dh_groups};
  absl::StatusOr<ResponderAgreement> agreement =
      RespondAgreement(im, limits, clock, rng, refusal);
  if (!agreement.ok()) return agreement.status();

  Message r = BuildRMessage(im, data_type::kDhhmacResp, *agreement->key_pair,
                            options.id_r, {}, options.peer_id_i, clock);
  r.payloads.push_back(MacOnlyKemac(kemac.mac_alg));
  absl::StatusOr<Bytes> reply =
      SerializeWithTrailingMac(r, kemac.mac_alg, key->span(), {});
  if (!reply.ok()) return RefuseWith(refusal, reply.status(), std::nullopt);

  if (absl::Status s = CommitReplay(
          im, kReplayPrefix, kemac.mac,
          options.skip_replay_check ? nullptr : options.replay_cache,
          options.max_clock_skew, clock, refusal);
      !s.ok()) {
    return s;
  }
  return Accepted{std::move(agreement->keys), *std::move(reply)};
}

}  // namespace

absl::StatusOr<DhhmacInitiation> InitiateDhhmac(
    const DhhmacInitiatorOptions& options, absl::Span<const uint8_t> psk,
    const Clock& clock, RandomSource& rng) {
  if (psk.size() < kMinPskLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("InitiateDhhmac: pre-shared key of ", psk.size(),
                     " octets; at least ", kMinPskLength, " needed"));
  }
  const uint8_t mac = options.mac_alg.value_or(DefaultMacAlg(options.prf_func));
  if (!MacHash(mac)) {
    return absl::InvalidArgumentError(
        absl::StrCat("InitiateDhhmac: MAC algorithm ", static_cast<int>(mac),
                     " (expected 1 HMAC-SHA-1-160 or 2 HMAC-SHA-256-256)"));
  }
  DhInitiatorCommon common;
  common.streams = options.streams;
  common.csb_id = options.csb_id;
  common.prf_func = options.prf_func;
  common.dh_group = options.dh_group;
  common.id_i = options.id_i;
  common.id_r = options.id_r;
  common.rand_length = options.rand_length;
  common.tgk_validity = options.tgk_validity;
  common.sp_dialect = options.sp_dialect;
  std::optional<DhKeyPair> key_pair;
  absl::StatusOr<Message> m = BuildIMessage(
      common, data_type::kDhhmacInit, "InitiateDhhmac", clock, rng, &key_pair);
  if (!m.ok()) return m.status();
  const RandPayload* rand = m->Find<RandPayload>();
  absl::StatusOr<SecretBytes> key = AuthKey(
      *SupportedPrf(options.prf_func), psk, m->header.csb_id, rand->rand, mac);
  if (!key.ok()) return key.status();
  m->payloads.push_back(MacOnlyKemac(mac));
  absl::StatusOr<Bytes> wire =
      SerializeWithTrailingMac(*m, mac, key->span(), {});
  if (!wire.ok()) return wire.status();
  DhhmacInitiation out;
  out.i_message = *wire;
  absl::StatusOr<DhInitiatorState> state =
      MakeInitiatorState(data_type::kDhhmacInit, *std::move(wire), *key_pair);
  if (!state.ok()) return state.status();
  out.state = *std::move(state);
  return out;
}

DhResponse RespondDhhmac(absl::Span<const uint8_t> i_message,
                         absl::Span<const uint8_t> psk,
                         const DhhmacResponderOptions& options,
                         const Clock& clock, RandomSource& rng) {
  DhResponse out;
  bool wrong_data_type = false;
  absl::StatusOr<DhIMessage> im =
      ParseDhIMessage(i_message, data_type::kDhhmacInit, payload_type::kKemac,
                      &wrong_data_type);
  if (!im.ok()) {
    out.status = im.status();
    if (wrong_data_type) {
      // MIKEY has no method negotiation but this unauthenticated answer.
      out.reply = InvalidDataTypeReply(i_message, clock);
      if (!out.reply.empty()) out.error_no = error_no::kInvalidDt;
    }
    return out;
  }
  if (psk.size() < kMinPskLength) {
    out.status = absl::InvalidArgumentError(
        absl::StrCat("RespondDhhmac: pre-shared key of ", psk.size(),
                     " octets; at least ", kMinPskLength, " needed"));
    return out;
  }
  if (options.replay_cache == nullptr && !options.skip_replay_check) {
    out.status = absl::InvalidArgumentError(
        "RespondDhhmac: no replay cache given (RFC 3830 §5.4 requires one; "
        "set skip_replay_check only if the caller provides replay "
        "protection)");
    return out;
  }
  Refusal refusal;
  absl::StatusOr<Accepted> accepted =
      RespondParsed(*im, i_message, psk, options, clock, rng, &refusal);
  if (accepted.ok()) {
    out.keys = std::move(accepted->keys);
    out.reply = std::move(accepted->reply);
    return out;
  }
  out.status = refusal.status.ok() ? accepted.status() : refusal.status;
  if (refusal.error_no) {
    absl::StatusOr<Bytes> err = BuildErrorMessage(
        *im, *refusal.error_no, psk, options.allowed_suites, clock);
    if (err.ok()) {
      out.reply = *std::move(err);
      out.error_no = refusal.error_no;
    }
  }
  return out;
}

absl::StatusOr<KeyResult> CompleteDhhmac(absl::Span<const uint8_t> r_message,
                                         const DhInitiatorState& state,
                                         absl::Span<const uint8_t> psk,
                                         const Clock& clock,
                                         absl::Duration max_clock_skew) {
  absl::StatusOr<RestoredInitiator> init =
      RestoreInitiator(state, data_type::kDhhmacInit, payload_type::kKemac);
  if (!init.ok()) return init.status();
  if (psk.size() < kMinPskLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("CompleteDhhmac: pre-shared key of ", psk.size(),
                     " octets; at least ", kMinPskLength, " needed"));
  }
  const DhIMessage& im = init->im;
  // The data type is the header's second octet: an Error message is read
  // as such, anything else must be the R_MESSAGE.
  if (r_message.size() >= 2 && r_message[1] == data_type::kError) {
    return ErrorFromResponder(r_message, im, psk);
  }
  absl::StatusOr<DhRMessage> rm =
      ParseDhRMessage(r_message, data_type::kDhhmacResp, payload_type::kKemac);
  if (!rm.ok()) return rm.status();
  const KemacPayload& kemac = std::get<KemacPayload>(rm->m.payloads[rm->auth]);
  Refusal ignored;
  if (absl::Status s = CheckKemac(kemac, "DHHMAC R_MESSAGE", &ignored);
      !s.ok()) {
    return s;
  }
  const uint8_t i_mac = std::get<KemacPayload>(im.m.payloads[im.auth]).mac_alg;
  if (kemac.mac_alg != i_mac) {
    return absl::FailedPreconditionError(absl::StrCat(
        "DHHMAC R_MESSAGE: KEMAC MAC algorithm ",
        static_cast<int>(kemac.mac_alg), " differs from the I_MESSAGE's ",
        static_cast<int>(i_mac)));
  }
  // The R_MESSAGE's CSB ID is checked against ours after the MAC; the key
  // uses ours, so a foreign CSB ID fails the MAC anyway.
  absl::StatusOr<SecretBytes> key =
      AuthKey(*SupportedPrf(im.m.header.prf_func), psk, im.m.header.csb_id,
              im.Rand(), i_mac);
  if (!key.ok()) return key.status();
  if (!MacVerifies(r_message, rm->layout, rm->auth, i_mac, key->span(), {})) {
    return absl::FailedPreconditionError(
        "DHHMAC R_MESSAGE: KEMAC MAC verification failed (different "
        "pre-shared key, or the message was altered)");
  }
  return CompleteAgreement(*init, *rm, clock, max_clock_skew);
}

}  // namespace exchange
}  // namespace mikey
