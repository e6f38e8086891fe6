// MIKEY-RSA-R (RFC 4738). See rsa_r.h for the message shapes and the RFC
// text they follow, pubkey_common.h for SIGN / KEMAC details shared with PK
// mode.

#include "core/exchange/rsa_r.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/hmac.h"
#include "core/exchange/internal.h"
#include "core/exchange/pubkey_common.h"
#include "core/kdf/kdf.h"

namespace mikey {
namespace exchange {

using exchange_internal::BuildPlainError;
using exchange_internal::CertChainOf;
using exchange_internal::CheckIdBinding;
using exchange_internal::CheckNtpWindow;
using exchange_internal::CheckPrfFunc;
using exchange_internal::CheckRandLength;
using exchange_internal::ChooseCsbId;
using exchange_internal::CommitReplayId;
using exchange_internal::DecryptKemacData;
using exchange_internal::DefaultMacAlg;
using exchange_internal::DeriveMessageKeys;
using exchange_internal::DeriveStreams;
using exchange_internal::EncryptKemacData;
using exchange_internal::ErrorList;
using exchange_internal::FirstTimestamp;
using exchange_internal::IdFromCertificate;
using exchange_internal::IvTimestamp;
using exchange_internal::KemacMacInput;
using exchange_internal::KemacMacPieces;
using exchange_internal::KemacPlain;
using exchange_internal::kMaxEnvelopeKeyLength;
using exchange_internal::kMaxTgkLength;
using exchange_internal::kMinEnvelopeKeyLength;
using exchange_internal::kMinRandLength;
using exchange_internal::kMinTgkLength;
using exchange_internal::MacHash;
using exchange_internal::MacLength;
using exchange_internal::MessageKeys;
using exchange_internal::ParseIdAndKeyData;
using exchange_internal::PolicyFor;
using exchange_internal::ReceivedPrf;
using exchange_internal::Refusal;
using exchange_internal::Refuse;
using exchange_internal::RefuseCert;
using exchange_internal::SecurityPolicies;
using exchange_internal::SerializeIdAndKeyData;
using exchange_internal::SerializeKemacAndSign;
using exchange_internal::SerializeSigned;
using exchange_internal::StreamPolicies;
using exchange_internal::SupportedPrf;
using exchange_internal::TimestampWire;
using exchange_internal::VerifySigned;

namespace {

// The payloads of an RSA-R message as indices.
struct Parsed {
  Message m;
  MessageLayout layout;
  std::optional<size_t> t, rand, id_i, id_r, kemac, pke, sign;
  std::optional<uint32_t> group_csb_id;  // GenExt(CSB_ID), R_MESSAGE only

  const TimestampPayload& T() const {
    return std::get<TimestampPayload>(m.payloads[*t]);
  }
  absl::Span<const uint8_t> Rand() const {
    if (!rand) return {};
    return std::get<RandPayload>(m.payloads[*rand]).rand;
  }
  const IdPayload* Id(const std::optional<size_t>& i) const {
    return i ? &std::get<IdPayload>(m.payloads[*i]) : nullptr;
  }
  const SignPayload& Sign() const {
    return std::get<SignPayload>(m.payloads[*sign]);
  }
  absl::Span<const uint8_t> IdData(const std::optional<size_t>& i) const {
    return i ? absl::MakeConstSpan(std::get<IdPayload>(m.payloads[*i]).data)
             : absl::Span<const uint8_t>();
  }
};

// I_MESSAGE (type 9): T, [RAND], [IDi|CERTi], [IDr], {SP}, SIGNi.
// R_MESSAGE (type 10): [GenExt(CSB_ID)], T, [RAND], [IDr|CERTr], [SP], KEMAC,
// PKE, SIGNr.
absl::StatusOr<Parsed> ParseRsaR(absl::Span<const uint8_t> wire,
                                 uint8_t expected_type, bool* wrong_data_type) {
  Parsed p;
  absl::StatusOr<Message> m = ParseMessage(wire, &p.layout);
  if (!m.ok()) return m.status();
  p.m = *std::move(m);
  const bool init = expected_type == data_type::kRsaRInit;
  const char* name = init ? "RSA-R I_MESSAGE" : "RSA-R R_MESSAGE";
  if (p.m.header.data_type != expected_type) {
    if (wrong_data_type != nullptr) *wrong_data_type = true;
    return absl::InvalidArgumentError(
        absl::StrCat("HDR: data type ", static_cast<int>(p.m.header.data_type),
                     " (", DataTypeName(p.m.header.data_type), "), expected ",
                     static_cast<int>(expected_type), " (", name, ")"));
  }
  bool seen_cert = false;
  for (size_t i = 0; i < p.m.payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(p.m.payloads[i]);
    const std::string where =
        absl::StrCat(PayloadName(type), " payload #", i + 1, " at offset ",
                     p.layout.payloads[i].begin);
    auto once = [&](std::optional<size_t>& slot) -> absl::Status {
      if (slot) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": repeated in an ", name));
      }
      slot = i;
      return absl::OkStatus();
    };
    absl::Status s;
    switch (type) {
      case payload_type::kT:
        s = once(p.t);
        break;
      case payload_type::kRand:
        s = once(p.rand);
        break;
      case payload_type::kId:
        if (init && !p.id_i && !seen_cert) {
          p.id_i = i;
        } else {
          s = once(p.id_r);
        }
        break;
      case payload_type::kCert:
        seen_cert = true;
        break;
      case payload_type::kSign:
        s = once(p.sign);
        break;
      case payload_type::kKemac:
        if (init) {
          s = absl::InvalidArgumentError(
              absl::StrCat(where, ": not allowed in an ", name));
        } else {
          s = once(p.kemac);
        }
        break;
      case payload_type::kPke:
        if (init) {
          s = absl::InvalidArgumentError(
              absl::StrCat(where, ": not allowed in an ", name));
        } else {
          s = once(p.pke);
        }
        break;
      case payload_type::kGeneralExtension: {
        const auto& g = std::get<GeneralExtensionPayload>(p.m.payloads[i]);
        if (g.type != gen_ext_type::kCsbId) break;
        if (init) {
          s = absl::InvalidArgumentError(absl::StrCat(
              where,
              ": a CSB_ID General Extension (the Responder's group "
              "CSB ID) in an ",
              name));
        } else if (p.group_csb_id) {
          s = absl::InvalidArgumentError(
              absl::StrCat(where, ": a second CSB_ID General Extension"));
        } else if (g.data.size() != 4) {
          s = absl::InvalidArgumentError(
              absl::StrCat(where, ": CSB_ID General Extension of ",
                           g.data.size(), " octets (expected 4)"));
        } else {
          p.group_csb_id = (uint32_t{g.data[0]} << 24) |
                           (uint32_t{g.data[1]} << 16) |
                           (uint32_t{g.data[2]} << 8) | g.data[3];
        }
        break;
      }
      case payload_type::kSp:
      case payload_type::kIdr:
        break;
      default:
        s = absl::InvalidArgumentError(
            absl::StrCat(where, ": not allowed in an ", name));
    }
    if (!s.ok()) return s;
  }
  if (!p.t) return absl::InvalidArgumentError(absl::StrCat(name, ": no T"));
  if (!p.sign) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no SIGN payload"));
  }
  if (!init && (!p.kemac || !p.pke)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": KEMAC and PKE payloads are mandatory"));
  }
  return p;
}

// Verifies the sender's certificate (for `usage` and, for the Initiator's,
// keyEncipherment too), its signature and its clear ID.
absl::StatusOr<pki::VerifiedPeer> VerifySender(
    const Parsed& p, absl::Span<const uint8_t> wire,
    const std::vector<pki::Certificate>& configured_chain,
    const pki::CertificateVerifier& verifier, size_t min_rsa_bits,
    absl::Span<const HashAlg> hashes, bool need_encipherment,
    bool identity_binding, const IdPayload* clear_id, const Clock& clock,
    Refusal* refusal,
    std::initializer_list<absl::Span<const uint8_t>> sign_suffix = {}) {
  absl::StatusOr<std::vector<pki::Certificate>> chain =
      CertChainOf(p.m, p.layout, &verifier);
  if (!chain.ok()) {
    *refusal = RefuseCert(chain.status());
    return chain.status();
  }
  if (chain->empty()) *chain = configured_chain;
  if (chain->empty()) {
    *refusal = Refuse(absl::FailedPreconditionError(
                          "no CERT payload and no certificate of the peer is "
                          "configured"),
                      error_no::kInvalidCert);
    return refusal->status;
  }
  absl::StatusOr<pki::VerifiedPeer> peer = verifier.Verify(
      *chain, clock.Now(), pki::KeyUsage::kDigitalSignature, min_rsa_bits);
  if (!peer.ok()) {
    *refusal = RefuseCert(peer.status());
    return peer.status();
  }
  if (need_encipherment) {
    if (absl::Status s =
            peer->leaf.CheckKeyUsage(pki::KeyUsage::kKeyEncipherment);
        !s.ok()) {
      *refusal = RefuseCert(s);
      return s;
    }
  }
  if (absl::Status s =
          VerifySigned(wire, p.Sign(), peer->public_key, hashes, sign_suffix);
      !s.ok()) {
    *refusal = Refuse(s, error_no::kAuthFailure);
    return s;
  }
  if (identity_binding && clear_id != nullptr) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*clear_id, peer->leaf, "ID payload")) {
      *refusal = *r;
      return r->status;
    }
  }
  return peer;
}

std::string ReplayId(const Parsed& p) {
  std::string id = "mikey-rsa-r:";
  const uint32_t csb = p.m.header.csb_id;
  for (int i = 3; i >= 0; --i) id.push_back(static_cast<char>(csb >> (8 * i)));
  const Bytes t = TimestampWire(p.T());
  id.append(t.begin(), t.end());
  id.push_back(static_cast<char>(p.Rand().size()));
  id.append(p.Rand().begin(), p.Rand().end());
  const Bytes& sig = p.Sign().signature;
  id.append(sig.begin(), sig.begin() + std::min<size_t>(sig.size(), 64));
  return id;
}

absl::StatusOr<std::vector<srtp::SrtpPolicy>> Policies(
    const Message& m, absl::Span<const SrtpCsEntry> entries,
    absl::Span<const srtp::CryptoSuite* const> allowed, Refusal* refusal) {
  std::vector<srtp::SrtpPolicy> policies;
  for (const SrtpCsEntry& e : entries) {
    std::optional<uint8_t> err;
    absl::StatusOr<srtp::SrtpPolicy> p =
        PolicyFor(m, e.policy_no, allowed, &err);
    if (!p.ok()) {
      *refusal = Refuse(p.status(), err);
      return p.status();
    }
    policies.push_back(*p);
  }
  return policies;
}

// The SP payloads of `m` that its CS map uses, in order of first use.
std::vector<SecurityPolicyPayload> UsedPolicies(const Message& m) {
  std::vector<SecurityPolicyPayload> out;
  std::vector<uint8_t> seen;
  for (const SrtpCsEntry& e : m.header.srtp_map) {
    if (std::find(seen.begin(), seen.end(), e.policy_no) != seen.end()) {
      continue;
    }
    seen.push_back(e.policy_no);
    for (const SecurityPolicyPayload* sp : m.FindAll<SecurityPolicyPayload>()) {
      if (sp->policy_no == e.policy_no) {
        out.push_back(*sp);
        break;
      }
    }
  }
  return out;
}

bool SamePolicy(const srtp::SrtpPolicy& a, const srtp::SrtpPolicy& b) {
  return a.suite == b.suite && a.key_derivation_rate == b.key_derivation_rate &&
         a.srtp_encryption == b.srtp_encryption &&
         a.srtcp_encryption == b.srtcp_encryption &&
         a.srtp_authentication == b.srtp_authentication;
}

// RFC 4738 §3.7: "If the SP payload contains a policy not specified in the
// SP message, if present, in the I_MESSAGE, such an R_MESSAGE MUST be
// discarded silently."
absl::Status CheckOfferedPolicies(const Message& im, const Message& rm) {
  const std::vector<const SecurityPolicyPayload*> offered =
      im.FindAll<SecurityPolicyPayload>();
  if (offered.empty()) return absl::OkStatus();
  for (const SecurityPolicyPayload* r : rm.FindAll<SecurityPolicyPayload>()) {
    std::optional<uint8_t> ignored;
    absl::StatusOr<srtp::SrtpPolicy> got =
        PolicyFor(rm, r->policy_no, {}, &ignored);
    bool found = false;
    for (const SecurityPolicyPayload* o : offered) {
      absl::StatusOr<srtp::SrtpPolicy> want =
          PolicyFor(im, o->policy_no, {}, &ignored);
      if (got.ok() && want.ok() && SamePolicy(*got, *want)) {
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::FailedPreconditionError(absl::StrCat(
          "RSA-R R_MESSAGE: SP payload with policy number ",
          static_cast<int>(r->policy_no),
          " is not one the I_MESSAGE offered (RFC 4738 §3.7: discarded)"));
    }
  }
  return absl::OkStatus();
}

struct Accepted {
  KeyResult keys;
  Bytes reply;
  pki::Certificate peer;
};

absl::StatusOr<Accepted> RespondParsed(const Parsed& im,
                                       absl::Span<const uint8_t> wire,
                                       const RsaRResponderOptions& options,
                                       const Clock& clock, RandomSource& rng,
                                       Refusal* refusal) {
  auto refuse = [&](absl::Status s, std::optional<uint8_t> err) {
    *refusal = Refuse(s, err);
    return s;
  };
  const CommonHeader& hdr = im.m.header;
  absl::StatusOr<pki::VerifiedPeer> peer =
      VerifySender(im, wire, options.initiator_chain, *options.verifier,
                   options.min_rsa_bits, options.signature_hashes,
                   /*need_encipherment=*/true, options.require_identity_binding,
                   im.Id(im.id_i), clock, refusal);
  if (!peer.ok()) return peer.status();

  absl::StatusOr<HashAlg> prf = ReceivedPrf(hdr, refusal);
  if (!prf.ok()) return prf.status();
  const bool group = options.group_csb_id.has_value();
  if (im.rand && !group && im.Rand().size() < kMinRandLength) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "RAND payload: ", im.Rand().size(), " octets, at least ",
                      kMinRandLength, " needed")),
                  std::nullopt);
  }
  if (hdr.cs_id_map_type != cs_id_map_type::kSrtpId || hdr.srtp_map.empty()) {
    return refuse(absl::UnimplementedError(
                      "HDR: only a non-empty SRTP-ID CS ID map is supported"),
                  error_no::kUnspecified);
  }
  if (std::optional<Refusal> r = CheckNtpWindow(
          im.T(), clock, options.max_clock_skew, "RSA-R I_MESSAGE")) {
    *refusal = *r;
    return r->status;
  }
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> policies =
      Policies(im.m, hdr.srtp_map, options.allowed_suites, refusal);
  if (!policies.ok()) return policies.status();

  // The R_MESSAGE's SP payloads (§3.6): the policies in use when the
  // I_MESSAGE had SP payloads (and always in group mode): the I_MESSAGE's,
  // as its CS map numbers them.
  std::vector<SecurityPolicyPayload> sps = UsedPolicies(im.m);
  if (group && sps.empty()) {
    // No SP for the CS map's policies (as §3.2 wants of group members):
    // one SP per policy number of the CS map, describing the policy in use
    // (the RFC 3830 defaults).
    std::vector<uint8_t> used;
    for (size_t n = 0; n < hdr.srtp_map.size(); ++n) {
      const uint8_t no = hdr.srtp_map[n].policy_no;
      if (std::find(used.begin(), used.end(), no) != used.end()) continue;
      used.push_back(no);
      SecurityPolicyPayload sp;
      sp.policy_no = no;
      sp.prot_type = sp_prot_type::kSrtp;
      for (const srtp::SrtpPolicyParam& p :
           srtp::PolicyFromSuite((*policies)[n], srtp::SpDialect::kRfc3830)) {
        sp.params.push_back(PolicyParam{p.type, p.value});
      }
      sps.push_back(std::move(sp));
    }
    // §3.7: the Initiator discards an R_MESSAGE with a policy its
    // I_MESSAGE's SP payloads, if any, did not offer. An I_MESSAGE that
    // offers SPs but whose CS map uses none of them would get exactly that
    // answer in group mode: refuse it, rather than send what the Initiator
    // must drop without a word.
    if (im.m.Find<SecurityPolicyPayload>() != nullptr) {
      Message answer;
      for (const SecurityPolicyPayload& sp : sps) answer.payloads.push_back(sp);
      if (absl::Status s = CheckOfferedPolicies(im.m, answer); !s.ok()) {
        return refuse(
            absl::InvalidArgumentError(absl::StrCat(
                "RSA-R I_MESSAGE: group mode, and the CS map uses policy ",
                static_cast<int>(hdr.srtp_map.front().policy_no),
                ", which none of its SP payloads defines: the R_MESSAGE "
                "would have to describe a policy the Initiator did not "
                "offer, which RFC 4738 §3.7 makes it discard")),
            error_no::kInvalidSp);
      }
    }
  }

  // Keys: TGK, envelope key, RAND in use.
  size_t max_key = 0;
  for (const srtp::SrtpPolicy& p : *policies) {
    max_key = std::max(max_key, p.suite->master_key_length);
  }
  absl::StatusOr<SecretBytes> tgk = options.group_tgk;
  if (options.group_tgk.empty()) {
    tgk = RandomSecret(rng,
                       options.tgk_length == 0 ? max_key : options.tgk_length);
  }
  if (!tgk.ok()) return refuse(tgk.status(), std::nullopt);
  if (tgk->size() < kMinTgkLength || tgk->size() > kMaxTgkLength) {
    return refuse(absl::InvalidArgumentError(
                      absl::StrCat("RespondRsaR: TGK length ", tgk->size())),
                  std::nullopt);
  }
  absl::StatusOr<SecretBytes> env =
      RandomSecret(rng, options.envelope_key_length);
  if (!env.ok()) return refuse(env.status(), std::nullopt);
  // RAND (§3.5, §3.6): group mode, the group's; unicast, the I_MESSAGE's if
  // it has one (then none is sent), else a fresh one that is sent.
  Bytes r_rand;
  if (group) {
    r_rand = options.group_rand;
  } else if (!im.rand) {
    absl::StatusOr<Bytes> fresh = RandomBytes(rng, kMinRandLength);
    if (!fresh.ok()) return refuse(fresh.status(), std::nullopt);
    r_rand = *std::move(fresh);
  }
  const absl::Span<const uint8_t> rand =
      r_rand.empty() ? im.Rand() : absl::MakeConstSpan(r_rand);
  // The CSB ID for every derivation: the group's (§3.6), else the HDR's.
  const uint32_t csb_id = group ? *options.group_csb_id : hdr.csb_id;
  const uint8_t mac = options.mac_alg.value_or(DefaultMacAlg(hdr.prf_func));
  // §3.6: "The T payload is exactly the same as that received in the
  // I_MESSAGE."
  const TimestampPayload& t_r = im.T();
  absl::StatusOr<MessageKeys> keys = DeriveMessageKeys(
      *prf, env->span(), csb_id, rand, IvTimestamp(t_r), options.encr_alg, mac);
  if (!keys.ok()) return refuse(keys.status(), std::nullopt);

  // §3.6: "KEMAC = E(encr_key, IDr || {TGK}) || MAC".
  std::optional<IdPayload> kemac_id = options.id_r;
  if (!kemac_id) kemac_id = IdFromCertificate(options.credential.chain.front());
  if (!kemac_id) {
    return refuse(absl::FailedPreconditionError(
                      "RespondRsaR: no identity for the KEMAC's IDr (set id_r; "
                      "the certificate has no SAN URI or e-mail)"),
                  std::nullopt);
  }
  KeyDataPayload kd;
  kd.type = key_data_type::kTgk;
  kd.key = *tgk;
  kd.validity = options.tgk_validity;
  absl::StatusOr<SecretBytes> plain =
      SerializeIdAndKeyData(&*kemac_id, absl::MakeConstSpan(&kd, 1));
  if (!plain.ok()) return refuse(plain.status(), std::nullopt);
  KemacPayload kemac;
  kemac.encr_alg = options.encr_alg;
  kemac.mac_alg = mac;
  absl::StatusOr<Bytes> encr =
      EncryptKemacData(options.encr_alg, *keys, *plain);
  if (!encr.ok()) return refuse(encr.status(), std::nullopt);
  kemac.encr_data = *std::move(encr);
  absl::StatusOr<Bytes> pke =
      peer->public_key.Encrypt(RsaEncryptionScheme::kPkcs1v15, env->span());
  if (!pke.ok()) return refuse(pke.status(), std::nullopt);

  // R_MESSAGE = HDR, [GenExt(CSB_ID)], T, [RAND], [IDr], {CERTr}, {SP},
  // KEMAC, PKE, SIGNr.
  Message r;
  r.header = hdr;
  r.header.data_type = data_type::kRsaRResp;
  r.header.v_flag = false;
  if (group) {
    const uint32_t g = *options.group_csb_id;
    r.payloads.push_back(GeneralExtensionPayload{
        gen_ext_type::kCsbId,
        Bytes{static_cast<uint8_t>(g >> 24), static_cast<uint8_t>(g >> 16),
              static_cast<uint8_t>(g >> 8), static_cast<uint8_t>(g)}});
  }
  r.payloads.push_back(t_r);
  if (!r_rand.empty()) r.payloads.push_back(RandPayload{r_rand});
  if (options.id_r) r.payloads.push_back(*options.id_r);
  if (options.send_certificate) {
    for (const pki::Certificate& c : options.credential.chain) {
      r.payloads.push_back(CertPayload{cert_type::kX509v3, c.der()});
    }
  }
  for (SecurityPolicyPayload& sp : sps) r.payloads.push_back(std::move(sp));
  const size_t kemac_index = r.payloads.size();
  r.payloads.push_back(std::move(kemac));
  r.payloads.push_back(PkePayload{0, *std::move(pke)});
  r.payloads.push_back(SignPayload{});
  // SIGNr: R_MESSAGE (except the Signature field) || IDi || IDr || T.
  const absl::Span<const uint8_t> sig_id_r =
      options.id_r ? absl::MakeConstSpan(options.id_r->data)
                   : im.IdData(im.id_r);
  const Bytes t_wire = TimestampWire(t_r);
  absl::StatusOr<Bytes> wire_r = SerializeKemacAndSign(
      std::move(r), kemac_index, keys->auth_key.span(), *options.credential.key,
      options.signature, {im.IdData(im.id_i), sig_id_r, t_wire});
  if (!wire_r.ok()) return refuse(wire_r.status(), std::nullopt);

  const Bytes mki =
      kd.validity.type == key_validity::kSpi ? kd.validity.spi : Bytes();
  absl::StatusOr<KeyResult> result = DeriveStreams(
      *prf, tgk->span(), csb_id, rand, hdr.srtp_map, *policies, mki);
  if (!result.ok()) return refuse(result.status(), std::nullopt);

  // Commit: the last step.
  if (!options.skip_replay_check) {
    if (absl::Status commit = CommitReplayId(
            *options.replay_cache, ReplayId(im), im.T().value,
            options.max_clock_skew, clock, "RSA-R I_MESSAGE", refusal);
        !commit.ok()) {
      return commit;
    }
  }
  return Accepted{*std::move(result), *std::move(wire_r), peer->leaf};
}

}  // namespace

absl::StatusOr<Bytes> InitiateRsaR(const RsaRInitiatorOptions& options,
                                   const Clock& clock, RandomSource& rng) {
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> policies =
      StreamPolicies("InitiateRsaR", options.streams);
  if (!policies.ok()) return policies.status();
  if (absl::Status s = CheckPrfFunc("InitiateRsaR", options.prf_func).status();
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRandLength("InitiateRsaR", options.rand_length);
      !s.ok()) {
    return s;
  }
  if (options.credential.key == nullptr || options.credential.chain.empty()) {
    return absl::InvalidArgumentError(
        "InitiateRsaR: a certificate and private key are required");
  }
  absl::StatusOr<uint32_t> csb_id = ChooseCsbId(options.csb_id, rng);
  if (!csb_id.ok()) return csb_id.status();
  absl::StatusOr<Bytes> rand = RandomBytes(rng, options.rand_length);
  if (!rand.ok()) return rand.status();

  Message m;
  m.header.data_type = data_type::kRsaRInit;
  // RFC 4738 §3.4: "The V bit MUST be set to '1' and ignored by the
  // Responder, as a response is MANDATORY in this mode."
  m.header.v_flag = true;
  m.header.prf_func = options.prf_func;
  m.header.csb_id = *csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  SecurityPolicies(*policies, options.sp_dialect, &sps, &policy_nos);
  for (size_t i = 0; i < options.streams.size(); ++i) {
    m.header.srtp_map.push_back(SrtpCsEntry{
        policy_nos[i], options.streams[i].ssrc, options.streams[i].roc});
  }
  m.payloads.push_back(TimestampPayload{ts_type::kNtpUtc, clock.NowNtp()});
  if (options.send_rand) m.payloads.push_back(RandPayload{*rand});
  if (options.id_i) m.payloads.push_back(*options.id_i);
  if (options.send_certificate) {
    for (const pki::Certificate& c : options.credential.chain) {
      m.payloads.push_back(CertPayload{cert_type::kX509v3, c.der()});
    }
  }
  if (options.id_r) m.payloads.push_back(*options.id_r);
  for (SecurityPolicyPayload& sp : sps) m.payloads.push_back(std::move(sp));
  m.payloads.push_back(SignPayload{});
  return SerializeSigned(std::move(m), *options.credential.key,
                         options.signature);
}

RsaRResponse RespondRsaR(absl::Span<const uint8_t> i_message,
                         const RsaRResponderOptions& options,
                         const Clock& clock, RandomSource& rng) {
  RsaRResponse out;
  if (options.verifier == nullptr || options.credential.key == nullptr ||
      options.credential.chain.empty()) {
    out.status = absl::InvalidArgumentError(
        "RespondRsaR: a certificate verifier and an own certificate and key "
        "are required");
    return out;
  }
  if (options.replay_cache == nullptr && !options.skip_replay_check) {
    out.status = absl::InvalidArgumentError(
        "RespondRsaR: no replay cache given (RFC 3830 §5.4 requires one)");
    return out;
  }
  if (options.group_csb_id && (options.group_rand.size() < kMinRandLength ||
                               options.group_rand.size() > 255)) {
    out.status = absl::InvalidArgumentError(
        "RespondRsaR: group mode (group_csb_id) needs a group RAND of 16 to "
        "255 octets (RFC 4738 §3.2: the R_MESSAGE's RAND is not optional)");
    return out;
  }
  if (!options.group_csb_id && !options.group_rand.empty()) {
    out.status = absl::InvalidArgumentError(
        "RespondRsaR: group_rand without group_csb_id (RFC 4738 §3.6: in "
        "unicast the R_MESSAGE carries a RAND only when the I_MESSAGE has "
        "none; a group needs the CSB_ID General Extension)");
    return out;
  }
  bool wrong_data_type = false;
  absl::StatusOr<Parsed> im =
      ParseRsaR(i_message, data_type::kRsaRInit, &wrong_data_type);
  if (!im.ok()) {
    out.status = im.status();
    if (wrong_data_type) {
      absl::StatusOr<Message> m = ParseMessage(i_message);
      if (m.ok()) {
        absl::StatusOr<Bytes> e = BuildPlainError(
            m->header, error_no::kInvalidDt, FirstTimestamp(*m), clock);
        if (e.ok()) {
          out.reply = *std::move(e);
          out.error_no = error_no::kInvalidDt;
        }
      }
    }
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
    absl::StatusOr<Bytes> e =
        BuildPlainError(im->m.header, *refusal.error_no, &im->T(), clock,
                        options.allowed_suites);
    if (e.ok()) {
      out.reply = *std::move(e);
      out.error_no = refusal.error_no;
    }
  }
  return out;
}

absl::StatusOr<KeyResult> CompleteRsaR(absl::Span<const uint8_t> r_message,
                                       absl::Span<const uint8_t> i_message,
                                       const RsaRCompleteOptions& options,
                                       const Clock& clock) {
  if (options.verifier == nullptr || options.key == nullptr) {
    return absl::InvalidArgumentError(
        "CompleteRsaR: a certificate verifier and the Initiator's key are "
        "required");
  }
  absl::StatusOr<Parsed> im =
      ParseRsaR(i_message, data_type::kRsaRInit, nullptr);
  if (!im.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("I_MESSAGE: ", im.status().message()));
  }
  {
    absl::StatusOr<Message> any = ParseMessage(r_message);
    if (!any.ok()) return any.status();
    if (any->header.data_type == data_type::kError) {
      if (any->header.csb_id != im->m.header.csb_id) {
        return absl::FailedPreconditionError(
            "Error message for another CSB ID");
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "peer answered with a MIKEY Error message: ", ErrorList(*any),
          " [unauthenticated]"));
    }
  }
  absl::StatusOr<Parsed> rm =
      ParseRsaR(r_message, data_type::kRsaRResp, nullptr);
  if (!rm.ok()) return rm.status();
  const CommonHeader& hdr = rm->m.header;
  if (hdr.csb_id != im->m.header.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("HDR: CSB ID ", hdr.csb_id,
                     " does not match the I_MESSAGE's ", im->m.header.csb_id));
  }
  if (hdr.prf_func != im->m.header.prf_func) {
    return absl::InvalidArgumentError(
        "HDR: PRF func differs from the I_MESSAGE's");
  }
  if (hdr.cs_id_map_type != cs_id_map_type::kSrtpId ||
      hdr.srtp_map.size() != im->m.header.srtp_map.size()) {
    return absl::InvalidArgumentError(
        "HDR: the CS ID map differs in type or size from the I_MESSAGE's");
  }
  // SIGNr covers R_MESSAGE || IDi || IDr || T (§3.6).
  const absl::Span<const uint8_t> sig_id_r =
      rm->id_r ? rm->IdData(rm->id_r) : im->IdData(im->id_r);
  const Bytes t_wire = TimestampWire(rm->T());
  Refusal refusal;
  absl::StatusOr<pki::VerifiedPeer> peer =
      VerifySender(*rm, r_message, options.responder_chain, *options.verifier,
                   options.min_rsa_bits, options.signature_hashes,
                   /*need_encipherment=*/false,
                   options.require_identity_binding, rm->Id(rm->id_r), clock,
                   &refusal, {im->IdData(im->id_i), sig_id_r, t_wire});
  if (!peer.ok()) return peer.status();
  // T: the I_MESSAGE's echoed (§3.6), or a fresh one from a Responder that
  // makes its own (minisip); an NTP value within the skew either way.
  if (std::optional<Refusal> r = CheckNtpWindow(
          rm->T(), clock, options.max_clock_skew, "RSA-R R_MESSAGE")) {
    return r->status;
  }
  std::optional<HashAlg> prf = SupportedPrf(hdr.prf_func);
  if (!prf) return absl::UnimplementedError("HDR: PRF func not supported");

  // RAND and CSB ID in use (§3.5 - §3.7).
  const bool group = rm->group_csb_id.has_value();
  if (group && !rm->rand) {
    return absl::FailedPreconditionError(
        "RSA-R R_MESSAGE: group mode (CSB_ID General Extension) without a "
        "RAND payload (RFC 4738 §3.2: not optional)");
  }
  if (!group && im->rand && rm->rand) {
    return absl::FailedPreconditionError(
        "RSA-R R_MESSAGE: a RAND payload although the I_MESSAGE had one (RFC "
        "4738 §3.7: discarded)");
  }
  if (!im->rand && !rm->rand) {
    return absl::FailedPreconditionError(
        "RSA-R R_MESSAGE: no RAND payload although the I_MESSAGE had none "
        "(RFC 4738 §3.7: discarded)");
  }
  const absl::Span<const uint8_t> rand = rm->rand ? rm->Rand() : im->Rand();
  if (rand.size() < kMinRandLength) {
    return absl::InvalidArgumentError("RAND: fewer than 16 octets");
  }
  const uint32_t csb_id = group ? *rm->group_csb_id : hdr.csb_id;
  if (absl::Status s = CheckOfferedPolicies(im->m, rm->m); !s.ok()) return s;

  const PkePayload& pke = std::get<PkePayload>(rm->m.payloads[*rm->pke]);
  absl::StatusOr<SecretBytes> env =
      options.key->Decrypt(RsaEncryptionScheme::kPkcs1v15, pke.data);
  if (!env.ok()) {
    return absl::FailedPreconditionError(
        "PKE payload: the envelope key does not decrypt with the "
        "Initiator's key");
  }
  if (env->size() < kMinEnvelopeKeyLength ||
      env->size() > kMaxEnvelopeKeyLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("PKE payload: envelope key of ", env->size(), " octets"));
  }
  const KemacPayload& kemac =
      std::get<KemacPayload>(rm->m.payloads[*rm->kemac]);
  std::optional<HashAlg> mac_hash = MacHash(kemac.mac_alg);
  if (!mac_hash || (kemac.encr_alg != encr_alg::kAesCm128 &&
                    kemac.encr_alg != encr_alg::kAesKw128)) {
    return absl::FailedPreconditionError(
        "KEMAC: unsupported encryption or MAC algorithm");
  }
  // The AES-CM IV's T is the R_MESSAGE's, which is the Initiator's (§3.6).
  absl::StatusOr<MessageKeys> keys =
      DeriveMessageKeys(*prf, env->span(), csb_id, rand, IvTimestamp(rm->T()),
                        kemac.encr_alg, kemac.mac_alg);
  if (!keys.ok()) return keys.status();
  const size_t mac_len = MacLength(kemac.mac_alg);
  const KemacMacPieces mac_in =
      KemacMacInput(r_message, rm->layout, *rm->kemac, mac_len);
  if (!VerifyHmac(*mac_hash, keys->auth_key.span(),
                  {mac_in.next_payload, mac_in.rest}, kemac.mac)
           .ok()) {
    return absl::FailedPreconditionError(
        "KEMAC: MAC verification failed (the envelope key does not match, "
        "or the KEMAC was altered)");
  }
  const size_t encr_offset = rm->layout.payloads[*rm->kemac].begin + 4;
  absl::StatusOr<SecretBytes> plain =
      DecryptKemacData(kemac.encr_alg, *keys, kemac.encr_data);
  if (!plain.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEMAC: Encr data does not decrypt: ", plain.status().message()));
  }
  absl::StatusOr<KemacPlain> kp = ParseIdAndKeyData(
      plain->span(), encr_offset, kemac.encr_alg == encr_alg::kAesKw128);
  if (!kp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEMAC (decrypted): ", kp.status().message()));
  }
  // §3.6: "KEMAC = E(encr_key, IDr || {TGK}) || MAC"; the encrypted IDr is
  // checked as RFC 3830 §3.2 checks the encrypted IDi.
  if (!kp->id) {
    return absl::FailedPreconditionError(
        "KEMAC: no encrypted IDr (RFC 4738 §3.6: KEMAC = E(encr_key, IDr || "
        "{TGK}) || MAC)");
  }
  if (options.require_identity_binding) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*kp->id, peer->leaf, "KEMAC IDr")) {
      return r->status;
    }
  }
  const IdPayload* clear_idr = rm->Id(rm->id_r);
  if (clear_idr != nullptr && (kp->id->id_type != clear_idr->id_type ||
                               kp->id->data != clear_idr->data)) {
    return absl::FailedPreconditionError(
        "KEMAC IDr differs from the IDr payload in clear");
  }
  if (kp->key_data.size() != 1 ||
      kp->key_data.front().type != key_data_type::kTgk) {
    return absl::UnimplementedError(
        "KEMAC: exactly one TGK key data sub-payload is supported");
  }
  const KeyDataPayload& tgk = kp->key_data.front();
  if (tgk.key.size() < kMinTgkLength || tgk.key.size() > kMaxTgkLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEMAC: TGK of ", tgk.key.size(), " octets"));
  }
  const Message& sp_source =
      rm->m.Find<SecurityPolicyPayload>() != nullptr ? rm->m : im->m;
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> policies =
      Policies(sp_source, hdr.srtp_map, options.allowed_suites, &refusal);
  if (!policies.ok()) return policies.status();
  const Bytes mki =
      tgk.validity.type == key_validity::kSpi ? tgk.validity.spi : Bytes();
  return DeriveStreams(*prf, tgk.key.span(), csb_id, rand, hdr.srtp_map,
                       *policies, mki);
}

}  // namespace exchange
}  // namespace mikey
