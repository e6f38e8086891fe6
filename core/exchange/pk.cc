// MIKEY public-key mode (RFC 3830 §3.2). Readings of RFC 3830 this file
// relies on, each checked against the RFC text:
//
// Message shapes (§3.2): "I_MESSAGE = HDR, T, RAND, [IDi|CERTi], [IDr],
// {SP}, KEMAC, [CHASH], PKE, SIGNi"; "R_MESSAGE = HDR, T, [IDr], V";
// "PKE = E(PKr, env_key)"; "KEMAC = E(encr_key, IDi || {TGK}) || MAC".
//
// KEMAC (§3.2, §5.2, §6.2; see pubkey_common.h): the encrypted part is
// IDi || {TGK}; "The encrypted IDi MUST always be verified to be equal with
// the expected IDi" -- a KEMAC without it is refused, and it must equal the
// clear IDi when there is one and name the signer's certificate when
// identity binding is on. The MAC: "calculated over the entire Key data
// transport payload except the MAC field. Before calculating the MAC, the
// Next payload field is set to zero" (§5.2). "The encr_key and the auth_key
// are derived from the envelope key, env_key, as specified in Section
// 4.1.4" (§3.2).
//
// Envelope key encryption (§4.2.5): "The public key encryption algorithm
// applied is defined by, and dependent on the certificate used. It is
// MANDATORY to support RSA PKCS#1, v1.5" -- RSAES-PKCS1-v1_5 here (minisip
// sends the same). The envelope key length is not fixed by the RFC; 16
// octets by default (the PSK minimum).
//
// Signature (§5.2): "Calculate the MAC/signature over the entire MIKEY
// message, except the MAC/Signature field"; see pubkey_common.h.
//
// CHASH (§6.8): hash of the Responder's certificate, function 0 SHA-1
// (20 octets) or 1 MD5 (16 octets, refused here); computed over the DER
// certificate.
//
// Verification message (§3.2): "V is calculated in the same way as in the
// pre-shared key mode" -- data type 3, HDR, T, [IDr], V, the V MAC keyed
// with the auth_key derived from env_key: R_MESSAGE minus the MAC field ||
// IDi || IDr || T_i, IDi / IDr being the data of the clear ID payloads
// (empty when absent). T is the Initiator's T payload (§5.2: "The Responder
// does not create a new timestamp, but uses the timestamp used by the
// Initiator"), in the R_MESSAGE and in Error messages ("HDR, T, {ERR},
// {SP}, [V|SIGNr]", §5.1.2).

#include "core/exchange/pk.h"

#include <openssl/evp.h>

#include <algorithm>
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

using exchange_internal::AppendSupportedPolicies;
using exchange_internal::AuthKey;
using exchange_internal::BuildPlainError;
using exchange_internal::CertChainOf;
using exchange_internal::CheckIdBinding;
using exchange_internal::CheckKemacAlgs;
using exchange_internal::CheckNtpWindow;
using exchange_internal::CheckPrfFunc;
using exchange_internal::CheckRandLength;
using exchange_internal::CheckReceivedKemac;
using exchange_internal::CheckTgkLength;
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
using exchange_internal::MacInput;
using exchange_internal::MacLength;
using exchange_internal::MaxMasterKeyLength;
using exchange_internal::MessageKeys;
using exchange_internal::ParseIdAndKeyData;
using exchange_internal::PolicyFor;
using exchange_internal::ReceivedKemacAlgs;
using exchange_internal::Refusal;
using exchange_internal::Refuse;
using exchange_internal::RefuseCert;
using exchange_internal::ResponderTimestamp;
using exchange_internal::SecurityPolicies;
using exchange_internal::SerializeIdAndKeyData;
using exchange_internal::SerializeKemacAndSign;
using exchange_internal::SerializeWithTrailingMac;
using exchange_internal::SplitAtMac;
using exchange_internal::StreamPolicies;
using exchange_internal::SupportedPrf;
using exchange_internal::TimestampWire;
using exchange_internal::VerifySigned;

namespace {

constexpr size_t kSha1Length = 20;

Bytes Sha1(absl::Span<const uint8_t> data) {
  Bytes out(kSha1Length);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha1(), nullptr);
  return out;
}

// The fields of a PK I_MESSAGE, as indices into its payloads.
struct PkIMessage {
  Message m;
  MessageLayout layout;
  std::optional<size_t> t, rand, id_i, id_r, chash;
  size_t kemac = 0, pke = 0, sign = 0;

  const TimestampPayload& T() const {
    return std::get<TimestampPayload>(m.payloads[*t]);
  }
  const KemacPayload& Kemac() const {
    return std::get<KemacPayload>(m.payloads[kemac]);
  }
  const PkePayload& Pke() const {
    return std::get<PkePayload>(m.payloads[pke]);
  }
  const SignPayload& Sign() const {
    return std::get<SignPayload>(m.payloads[sign]);
  }
  absl::Span<const uint8_t> Rand() const {
    if (!rand) return {};
    return std::get<RandPayload>(m.payloads[*rand]).rand;
  }
  const IdPayload* IdI() const {
    return id_i ? &std::get<IdPayload>(m.payloads[*id_i]) : nullptr;
  }
  const IdPayload* IdR() const {
    return id_r ? &std::get<IdPayload>(m.payloads[*id_r]) : nullptr;
  }
  absl::Span<const uint8_t> IdIData() const {
    return IdI() ? absl::MakeConstSpan(IdI()->data)
                 : absl::Span<const uint8_t>();
  }
  absl::Span<const uint8_t> IdRData() const {
    return IdR() ? absl::MakeConstSpan(IdR()->data)
                 : absl::Span<const uint8_t>();
  }
  size_t EncrDataOffset() const { return layout.payloads[kemac].begin + 4; }
};

absl::StatusOr<PkIMessage> ParsePkIMessage(absl::Span<const uint8_t> wire,
                                           bool* wrong_data_type) {
  PkIMessage im;
  absl::StatusOr<Message> m = ParseMessage(wire, &im.layout);
  if (!m.ok()) return m.status();
  im.m = *std::move(m);
  if (im.m.header.data_type != data_type::kPkInit) {
    if (wrong_data_type != nullptr) *wrong_data_type = true;
    return absl::InvalidArgumentError(absl::StrCat(
        "HDR: data type ", static_cast<int>(im.m.header.data_type), " (",
        DataTypeName(im.m.header.data_type), "), expected 2 (PK I_MESSAGE)"));
  }
  std::optional<size_t> kemac, pke, sign;
  bool seen_cert = false;
  for (size_t i = 0; i < im.m.payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(im.m.payloads[i]);
    const std::string where =
        absl::StrCat(PayloadName(type), " payload #", i + 1, " at offset ",
                     im.layout.payloads[i].begin);
    auto once = [&](std::optional<size_t>& slot) -> absl::Status {
      if (slot) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": repeated in a PK I_MESSAGE"));
      }
      slot = i;
      return absl::OkStatus();
    };
    absl::Status s;
    switch (type) {
      case payload_type::kT:
        s = once(im.t);
        break;
      case payload_type::kRand:
        s = once(im.rand);
        break;
      case payload_type::kId:
        // [IDi|CERTi], [IDr]: an ID before any CERT and before another ID is
        // IDi; the next one (or one after the CERTs) is IDr.
        if (!im.id_i && !seen_cert) {
          im.id_i = i;
        } else {
          s = once(im.id_r);
        }
        break;
      case payload_type::kCert:
        seen_cert = true;
        break;
      case payload_type::kKemac:
        s = once(kemac);
        break;
      case payload_type::kChash:
        s = once(im.chash);
        break;
      case payload_type::kPke:
        s = once(pke);
        break;
      case payload_type::kSign:
        s = once(sign);
        break;
      case payload_type::kSp:
      case payload_type::kIdr:
      case payload_type::kGeneralExtension:
        break;
      default:
        s = absl::InvalidArgumentError(absl::StrCat(
            where,
            ": not allowed in a PK I_MESSAGE (HDR, T, RAND, [IDi|CERTi], "
            "[IDr], {SP}, KEMAC, [CHASH], PKE, SIGNi)"));
    }
    if (!s.ok()) return s;
  }
  if (!im.t) return absl::InvalidArgumentError("PK I_MESSAGE: no T payload");
  if (!kemac)
    return absl::InvalidArgumentError("PK I_MESSAGE: no KEMAC payload");
  if (!pke) return absl::InvalidArgumentError("PK I_MESSAGE: no PKE payload");
  if (!sign) return absl::InvalidArgumentError("PK I_MESSAGE: no SIGN payload");
  im.kemac = *kemac;
  im.pke = *pke;
  im.sign = *sign;
  return im;
}

std::string ReplayId(const PkIMessage& im) {
  std::string id = "mikey-pk:";
  const uint32_t csb = im.m.header.csb_id;
  for (int i = 3; i >= 0; --i) id.push_back(static_cast<char>(csb >> (8 * i)));
  const Bytes t = TimestampWire(im.T());
  id.append(t.begin(), t.end());
  id.push_back(static_cast<char>(im.Rand().size()));
  id.append(im.Rand().begin(), im.Rand().end());
  const Bytes& mac = im.Kemac().mac;
  id.append(mac.begin(), mac.end());
  return id;
}

// HDR, T, {ERR}, [V]; V when the authentication key is known.
absl::StatusOr<Bytes> BuildPkError(const PkIMessage& im, uint8_t err,
                                   const SecretBytes* envelope_key,
                                   const PkResponderOptions& options,
                                   const Clock& clock) {
  std::optional<HashAlg> prf = SupportedPrf(im.m.header.prf_func);
  if (envelope_key == nullptr || !prf || im.Rand().size() < kMinRandLength) {
    return BuildPlainError(im.m.header, err, &im.T(), clock,
                           options.allowed_suites);
  }
  Message e;
  e.header = im.m.header;
  e.header.data_type = data_type::kError;
  e.header.v_flag = false;
  e.payloads.push_back(ResponderTimestamp(&im.T(), clock));
  e.payloads.push_back(ErrorPayload{err, 0});
  AppendSupportedPolicies(&e, err, options.allowed_suites,
                          srtp::SpDialect::kRfc3830);
  const uint8_t mac = MacHash(im.Kemac().mac_alg).has_value()
                          ? im.Kemac().mac_alg
                          : DefaultMacAlg(im.m.header.prf_func);
  absl::StatusOr<SecretBytes> key =
      AuthKey(*prf, envelope_key->span(), im.m.header.csb_id, im.Rand(), mac);
  if (!key.ok()) return key.status();
  e.payloads.push_back(VerificationPayload{mac, Bytes(MacLength(mac), 0)});
  const Bytes t_i = TimestampWire(im.T());
  return SerializeWithTrailingMac(e, mac, key->span(),
                                  {im.IdIData(), im.IdRData(), t_i});
}

struct Accepted {
  KeyResult keys;
  Bytes reply;
  pki::Certificate peer;
};

absl::StatusOr<Accepted> RespondParsed(const PkIMessage& im,
                                       absl::Span<const uint8_t> wire,
                                       const PkResponderOptions& options,
                                       const Clock& clock, Refusal* refusal,
                                       SecretBytes* envelope_key) {
  auto refuse = [&](absl::Status s, std::optional<uint8_t> err) {
    *refusal = Refuse(s, err);
    return s;
  };
  const CommonHeader& hdr = im.m.header;
  const KemacPayload& kemac = im.Kemac();

  // 1. The Initiator's certificate, then SIGNi, before anything else.
  absl::StatusOr<std::vector<pki::Certificate>> chain =
      CertChainOf(im.m, im.layout, options.verifier);
  if (!chain.ok()) {
    *refusal = RefuseCert(chain.status());
    return chain.status();
  }
  if (chain->empty()) *chain = options.initiator_chain;
  if (chain->empty()) {
    return refuse(absl::FailedPreconditionError(
                      "PK I_MESSAGE: no CERT payload and no certificate of "
                      "the Initiator is configured"),
                  error_no::kInvalidCert);
  }
  absl::StatusOr<pki::VerifiedPeer> peer = options.verifier->Verify(
      *chain, clock.Now(), pki::KeyUsage::kDigitalSignature,
      options.min_rsa_bits);
  if (!peer.ok()) {
    *refusal = RefuseCert(peer.status());
    return peer.status();
  }
  if (absl::Status s = VerifySigned(wire, im.Sign(), peer->public_key,
                                    options.signature_hashes);
      !s.ok()) {
    return refuse(s, error_no::kAuthFailure);
  }
  if (options.require_identity_binding && im.IdI() != nullptr) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*im.IdI(), peer->leaf, "IDi payload")) {
      *refusal = *r;
      return r->status;
    }
  }

  // 2. Algorithms and structure.
  absl::StatusOr<ReceivedKemacAlgs> algs =
      CheckReceivedKemac(hdr, kemac, im.Rand(), im.rand.has_value(), refusal);
  if (!algs.ok()) return algs.status();

  // 3. Timestamp window (committed with the replay cache at the end).
  if (std::optional<Refusal> r = CheckNtpWindow(
          im.T(), clock, options.max_clock_skew, "PK I_MESSAGE")) {
    *refusal = *r;
    return r->status;
  }

  // 4. Which of our keys: CHASH, or the first credential.
  const PkCredential* own = nullptr;
  if (im.chash) {
    const auto& ch = std::get<ChashPayload>(im.m.payloads[*im.chash]);
    if (ch.hash_func != hash_func::kSha1) {
      return refuse(
          absl::UnimplementedError(absl::StrCat("CHASH payload: hash function ",
                                                static_cast<int>(ch.hash_func),
                                                " not supported (0 SHA-1)")),
          error_no::kInvalidHa);
    }
    for (const PkCredential& c : options.credentials) {
      if (!c.chain.empty() && Sha1(c.chain.front().der()) == ch.hash) {
        own = &c;
        break;
      }
    }
    if (own == nullptr) {
      return refuse(absl::FailedPreconditionError(
                        "CHASH payload: names none of this Responder's "
                        "certificates"),
                    error_no::kInvalidCert);
    }
  } else {
    own = &options.credentials.front();
  }

  // 5. The envelope key.
  absl::StatusOr<SecretBytes> env =
      own->key->Decrypt(RsaEncryptionScheme::kPkcs1v15, im.Pke().data);
  if (!env.ok()) {
    return refuse(
        absl::FailedPreconditionError(absl::StrCat(
            "PKE payload at offset ", im.layout.payloads[im.pke].begin,
            ": the envelope key does not decrypt with this "
            "Responder's key")),
        error_no::kUnspecified);
  }
  if (env->size() < kMinEnvelopeKeyLength ||
      env->size() > kMaxEnvelopeKeyLength) {
    return refuse(
        absl::InvalidArgumentError(absl::StrCat(
            "PKE payload: envelope key of ", env->size(), " octets (expected ",
            kMinEnvelopeKeyLength, " to ", kMaxEnvelopeKeyLength, ")")),
        error_no::kUnspecified);
  }
  *envelope_key = *env;

  // 6. KEMAC: MAC first, then decrypt.
  absl::StatusOr<MessageKeys> keys =
      DeriveMessageKeys(algs->prf, env->span(), hdr.csb_id, im.Rand(),
                        IvTimestamp(im.T()), kemac.encr_alg, kemac.mac_alg);
  if (!keys.ok()) return refuse(keys.status(), std::nullopt);
  const size_t mac_len = MacLength(kemac.mac_alg);
  const KemacMacPieces mac_in =
      KemacMacInput(wire, im.layout, im.kemac, mac_len);
  if (!VerifyHmac(algs->mac, keys->auth_key.span(),
                  {mac_in.next_payload, mac_in.rest}, kemac.mac)
           .ok()) {
    return refuse(absl::FailedPreconditionError(
                      "KEMAC: MAC verification failed (the envelope key does "
                      "not match, or the KEMAC was altered)"),
                  error_no::kAuthFailure);
  }
  absl::StatusOr<SecretBytes> plain =
      DecryptKemacData(kemac.encr_alg, *keys, kemac.encr_data);
  if (!plain.ok()) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC: Encr data at offset ", im.EncrDataOffset(),
                      " does not decrypt: ", plain.status().message())),
                  error_no::kUnspecified);
  }
  absl::StatusOr<KemacPlain> kp =
      ParseIdAndKeyData(plain->span(), im.EncrDataOffset(),
                        kemac.encr_alg == encr_alg::kAesKw128);
  if (!kp.ok()) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC (decrypted): ", kp.status().message())),
                  error_no::kUnspecified);
  }
  // §3.2: "The encrypted IDi MUST always be verified to be equal with the
  // expected IDi": the clear IDi if there is one, and (with identity
  // binding) an identity of the signer's certificate.
  if (!kp->id) {
    return refuse(absl::FailedPreconditionError(
                      "KEMAC: no encrypted IDi (RFC 3830 §3.2: KEMAC = "
                      "E(encr_key, IDi || {TGK}) || MAC)"),
                  error_no::kInvalidId);
  }
  if (options.require_identity_binding) {
    if (std::optional<Refusal> r =
            CheckIdBinding(*kp->id, peer->leaf, "KEMAC IDi")) {
      *refusal = *r;
      return r->status;
    }
  }
  if (im.IdI() != nullptr && (kp->id->id_type != im.IdI()->id_type ||
                              kp->id->data != im.IdI()->data)) {
    return refuse(absl::FailedPreconditionError(
                      "KEMAC IDi differs from the IDi payload in clear"),
                  error_no::kInvalidId);
  }
  if (kp->key_data.size() != 1 ||
      kp->key_data.front().type != key_data_type::kTgk) {
    return refuse(absl::UnimplementedError(
                      "KEMAC: exactly one TGK key data sub-payload is "
                      "supported"),
                  error_no::kUnspecified);
  }
  const KeyDataPayload& tgk = kp->key_data.front();
  if (tgk.key.size() < kMinTgkLength || tgk.key.size() > kMaxTgkLength) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC: TGK of ", tgk.key.size(), " octets (expected ",
                      kMinTgkLength, " to ", kMaxTgkLength, ")")),
                  error_no::kUnspecified);
  }

  // 7. Policies and stream keys.
  std::vector<srtp::SrtpPolicy> policies;
  for (const SrtpCsEntry& e : hdr.srtp_map) {
    std::optional<uint8_t> err;
    absl::StatusOr<srtp::SrtpPolicy> p =
        PolicyFor(im.m, e.policy_no, options.allowed_suites, &err);
    if (!p.ok()) return refuse(p.status(), err);
    policies.push_back(*p);
  }
  const Bytes mki =
      tgk.validity.type == key_validity::kSpi ? tgk.validity.spi : Bytes();
  absl::StatusOr<KeyResult> result =
      DeriveStreams(algs->prf, tgk.key.span(), hdr.csb_id, im.Rand(),
                    hdr.srtp_map, policies, mki);
  if (!result.ok()) return refuse(result.status(), std::nullopt);

  // 8. R_MESSAGE = HDR, T, [IDr], V when asked for; T is the Initiator's.
  Accepted accepted{*std::move(result), Bytes(), peer->leaf};
  if (hdr.v_flag) {
    Message r;
    r.header = hdr;
    r.header.data_type = data_type::kPkVerify;
    r.header.v_flag = false;
    r.payloads.push_back(im.T());
    if (options.id_r) r.payloads.push_back(*options.id_r);
    r.payloads.push_back(VerificationPayload{kemac.mac_alg, Bytes(mac_len, 0)});
    const absl::Span<const uint8_t> id_r =
        options.id_r ? absl::MakeConstSpan(options.id_r->data) : im.IdRData();
    const Bytes t_i = TimestampWire(im.T());
    absl::StatusOr<Bytes> wire_r = SerializeWithTrailingMac(
        r, kemac.mac_alg, keys->auth_key.span(), {im.IdIData(), id_r, t_i});
    if (!wire_r.ok()) return refuse(wire_r.status(), std::nullopt);
    accepted.reply = *std::move(wire_r);
  }

  // 9. Commit: the only state change, and the last step.
  if (!options.skip_replay_check) {
    if (absl::Status commit = CommitReplayId(
            *options.replay_cache, ReplayId(im), im.T().value,
            options.max_clock_skew, clock, "PK I_MESSAGE", refusal);
        !commit.ok()) {
      return commit;
    }
  }
  return accepted;
}

}  // namespace

absl::StatusOr<PkInitiation> InitiatePk(const PkInitiatorOptions& options,
                                        const Clock& clock, RandomSource& rng) {
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> checked =
      StreamPolicies("InitiatePk", options.streams);
  if (!checked.ok()) return checked.status();
  const std::vector<srtp::SrtpPolicy> policies = *std::move(checked);
  const absl::StatusOr<HashAlg> prf =
      CheckPrfFunc("InitiatePk", options.prf_func);
  if (!prf.ok()) return prf.status();
  absl::StatusOr<uint8_t> checked_mac = CheckKemacAlgs(
      "InitiatePk", options.encr_alg, options.mac_alg, options.prf_func);
  if (!checked_mac.ok()) return checked_mac.status();
  const uint8_t mac = *checked_mac;
  if (absl::Status s = CheckRandLength("InitiatePk", options.rand_length);
      !s.ok()) {
    return s;
  }
  const size_t tgk_len = options.tgk_length == 0 ? MaxMasterKeyLength(policies)
                                                 : options.tgk_length;
  if (absl::Status s = CheckTgkLength("InitiatePk", tgk_len); !s.ok()) {
    return s;
  }
  if (options.envelope_key_length < kMinEnvelopeKeyLength ||
      options.envelope_key_length > kMaxEnvelopeKeyLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "InitiatePk: envelope key length ", options.envelope_key_length, " (",
        kMinEnvelopeKeyLength, " to ", kMaxEnvelopeKeyLength, ")"));
  }
  if (options.credential.key == nullptr || options.credential.chain.empty()) {
    return absl::InvalidArgumentError(
        "InitiatePk: a signing certificate and private key are required");
  }
  if (!options.responder_certificate) {
    return absl::InvalidArgumentError(
        "InitiatePk: the Responder's certificate is required (its key "
        "encrypts the envelope key)");
  }
  const pki::Certificate& rcert = *options.responder_certificate;
  absl::StatusOr<RsaPublicKey> rkey = rcert.rsa_public_key();
  if (!rkey.ok()) return rkey.status();
  if (options.responder_verifier != nullptr) {
    absl::StatusOr<pki::VerifiedPeer> v = options.responder_verifier->Verify(
        absl::MakeConstSpan(&rcert, 1), clock.Now(),
        pki::KeyUsage::kKeyEncipherment);
    if (!v.ok()) return v.status();
  } else if (absl::Status s =
                 rcert.CheckKeyUsage(pki::KeyUsage::kKeyEncipherment);
             !s.ok()) {
    return s;
  }
  std::optional<IdPayload> kemac_id = options.kemac_id;
  if (!kemac_id) kemac_id = options.id_i;
  if (!kemac_id) kemac_id = IdFromCertificate(options.credential.chain.front());
  if (!kemac_id) {
    return absl::InvalidArgumentError(
        "InitiatePk: no identity for the KEMAC (set id_i or kemac_id; the "
        "certificate has no SAN URI or e-mail)");
  }

  // Fresh values.
  absl::StatusOr<uint32_t> csb_id = ChooseCsbId(options.csb_id, rng);
  if (!csb_id.ok()) return csb_id.status();
  absl::StatusOr<Bytes> rand = RandomBytes(rng, options.rand_length);
  if (!rand.ok()) return rand.status();
  absl::StatusOr<SecretBytes> tgk = RandomSecret(rng, tgk_len);
  if (!tgk.ok()) return tgk.status();
  absl::StatusOr<SecretBytes> env =
      RandomSecret(rng, options.envelope_key_length);
  if (!env.ok()) return env.status();
  const TimestampPayload t{ts_type::kNtpUtc, clock.NowNtp()};

  Message m;
  m.header.data_type = data_type::kPkInit;
  m.header.v_flag = options.v_flag;
  m.header.prf_func = options.prf_func;
  m.header.csb_id = *csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  SecurityPolicies(policies, options.sp_dialect, &sps, &policy_nos);
  for (size_t i = 0; i < options.streams.size(); ++i) {
    m.header.srtp_map.push_back(SrtpCsEntry{
        policy_nos[i], options.streams[i].ssrc, options.streams[i].roc});
  }

  // KEMAC = E(encr_key, IDi || TGK) || MAC.
  absl::StatusOr<MessageKeys> keys = DeriveMessageKeys(
      *prf, env->span(), *csb_id, *rand, IvTimestamp(t), options.encr_alg, mac);
  if (!keys.ok()) return keys.status();
  KeyDataPayload kd;
  kd.type = key_data_type::kTgk;
  kd.key = *tgk;
  kd.validity = options.tgk_validity;
  absl::StatusOr<SecretBytes> plain =
      SerializeIdAndKeyData(&*kemac_id, absl::MakeConstSpan(&kd, 1));
  if (!plain.ok()) return plain.status();
  KemacPayload kemac;
  kemac.encr_alg = options.encr_alg;
  kemac.mac_alg = mac;
  absl::StatusOr<Bytes> encr =
      EncryptKemacData(options.encr_alg, *keys, *plain);
  if (!encr.ok()) return encr.status();
  kemac.encr_data = *std::move(encr);

  // PKE = E(PKr, env_key).
  absl::StatusOr<Bytes> pke =
      rkey->Encrypt(RsaEncryptionScheme::kPkcs1v15, env->span());
  if (!pke.ok()) return pke.status();

  m.payloads.push_back(t);
  m.payloads.push_back(RandPayload{*rand});
  if (options.id_i) m.payloads.push_back(*options.id_i);
  if (options.send_certificate) {
    for (const pki::Certificate& c : options.credential.chain) {
      m.payloads.push_back(CertPayload{cert_type::kX509v3, c.der()});
    }
  }
  if (options.id_r) m.payloads.push_back(*options.id_r);
  for (SecurityPolicyPayload& sp : sps) m.payloads.push_back(std::move(sp));
  const size_t kemac_index = m.payloads.size();
  m.payloads.push_back(std::move(kemac));
  if (options.send_chash) {
    m.payloads.push_back(ChashPayload{hash_func::kSha1, Sha1(rcert.der())});
  }
  m.payloads.push_back(PkePayload{0, *std::move(pke)});
  m.payloads.push_back(SignPayload{});

  absl::StatusOr<Bytes> wire =
      SerializeKemacAndSign(std::move(m), kemac_index, keys->auth_key.span(),
                            *options.credential.key, options.signature);
  if (!wire.ok()) return wire.status();

  PkInitiation out;
  out.i_message = *std::move(wire);
  std::vector<SrtpCsEntry> entries;
  for (size_t i = 0; i < options.streams.size(); ++i) {
    entries.push_back(SrtpCsEntry{policy_nos[i], options.streams[i].ssrc,
                                  options.streams[i].roc});
  }
  const Bytes mki = options.tgk_validity.type == key_validity::kSpi
                        ? options.tgk_validity.spi
                        : Bytes();
  absl::StatusOr<KeyResult> result =
      DeriveStreams(*prf, tgk->span(), *csb_id, *rand, entries, policies, mki);
  if (!result.ok()) return result.status();
  out.keys = *std::move(result);
  out.envelope_key = *std::move(env);
  return out;
}

PkResponse RespondPk(absl::Span<const uint8_t> i_message,
                     const PkResponderOptions& options, const Clock& clock) {
  PkResponse out;
  if (options.verifier == nullptr || options.credentials.empty()) {
    out.status = absl::InvalidArgumentError(
        "RespondPk: a certificate verifier and at least one own credential "
        "are required");
    return out;
  }
  for (const PkCredential& c : options.credentials) {
    if (c.key == nullptr || c.chain.empty()) {
      out.status = absl::InvalidArgumentError(
          "RespondPk: every credential needs a certificate and a key");
      return out;
    }
  }
  if (options.replay_cache == nullptr && !options.skip_replay_check) {
    out.status = absl::InvalidArgumentError(
        "RespondPk: no replay cache given (RFC 3830 §5.4 requires one)");
    return out;
  }
  bool wrong_data_type = false;
  absl::StatusOr<PkIMessage> im = ParsePkIMessage(i_message, &wrong_data_type);
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
  SecretBytes envelope_key;
  absl::StatusOr<Accepted> accepted =
      RespondParsed(*im, i_message, options, clock, &refusal, &envelope_key);
  if (accepted.ok()) {
    out.keys = std::move(accepted->keys);
    out.reply = std::move(accepted->reply);
    out.peer_certificate = std::move(accepted->peer);
    return out;
  }
  out.status = refusal.status.ok() ? accepted.status() : refusal.status;
  if (refusal.error_no) {
    absl::StatusOr<Bytes> err = BuildPkError(
        *im, *refusal.error_no, envelope_key.empty() ? nullptr : &envelope_key,
        options, clock);
    if (err.ok()) {
      out.reply = *std::move(err);
      out.error_no = refusal.error_no;
    }
  }
  return out;
}

absl::Status VerifyPkResponse(absl::Span<const uint8_t> response,
                              absl::Span<const uint8_t> i_message,
                              absl::Span<const uint8_t> envelope_key,
                              const Clock& clock,
                              absl::Duration max_clock_skew) {
  absl::StatusOr<PkIMessage> im = ParsePkIMessage(i_message, nullptr);
  if (!im.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("I_MESSAGE: ", im.status().message()));
  }
  std::optional<HashAlg> prf = SupportedPrf(im->m.header.prf_func);
  const uint8_t i_mac = im->Kemac().mac_alg;
  if (!prf || !MacHash(i_mac) || im->Rand().size() < kMinRandLength) {
    return absl::InvalidArgumentError(
        "I_MESSAGE: unsupported PRF or MAC, or no RAND");
  }
  MessageLayout layout;
  absl::StatusOr<Message> r = ParseMessage(response, &layout);
  if (!r.ok()) return r.status();
  const bool is_error = r->header.data_type == data_type::kError;
  if (!is_error && r->header.data_type != data_type::kPkVerify) {
    return absl::InvalidArgumentError(
        absl::StrCat("HDR: data type ", static_cast<int>(r->header.data_type),
                     " (", DataTypeName(r->header.data_type),
                     "), expected 3 (PK verification message) or 6 (Error)"));
  }
  if (r->header.csb_id != im->m.header.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("HDR: CSB ID ", r->header.csb_id,
                     " does not match the I_MESSAGE's ", im->m.header.csb_id));
  }
  std::optional<size_t> t, id_r, v;
  for (size_t i = 0; i < r->payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(r->payloads[i]);
    if (type == payload_type::kT && !t) {
      t = i;
    } else if (type == payload_type::kId && !id_r && !is_error) {
      id_r = i;
    } else if (type == payload_type::kV && !v) {
      v = i;
    } else if (!((type == payload_type::kErr || type == payload_type::kSp) &&
                 is_error) &&
               type != payload_type::kGeneralExtension) {
      return absl::InvalidArgumentError(absl::StrCat(
          PayloadName(type), " payload #", i + 1, " at offset ",
          layout.payloads[i].begin, ": not allowed (or repeated) here"));
    }
  }
  if (!t) return absl::InvalidArgumentError("response: no T payload");
  bool verified = false;
  if (v) {
    const auto& vp = std::get<VerificationPayload>(r->payloads[*v]);
    std::optional<HashAlg> h = MacHash(vp.auth_alg);
    if (!h || (!is_error && vp.auth_alg != i_mac)) {
      return absl::FailedPreconditionError(
          absl::StrCat("V payload: auth alg ", static_cast<int>(vp.auth_alg),
                       " not accepted"));
    }
    absl::StatusOr<SecretBytes> key = AuthKey(
        *prf, envelope_key, im->m.header.csb_id, im->Rand(), vp.auth_alg);
    if (!key.ok()) return key.status();
    const MacInput in =
        SplitAtMac(response, layout, *v, MacLength(vp.auth_alg));
    const absl::Span<const uint8_t> idr =
        id_r ? absl::MakeConstSpan(std::get<IdPayload>(r->payloads[*id_r]).data)
             : im->IdRData();
    const Bytes t_i = TimestampWire(im->T());
    verified =
        VerifyHmac(*h, key->span(),
                   {in.before, in.after, im->IdIData(), idr, t_i}, in.mac)
            .ok();
  }
  if (is_error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "peer answered with a MIKEY Error message: ", ErrorList(*r),
        verified ? "" : " [unauthenticated: no V payload that verifies]"));
  }
  if (!v) {
    return absl::InvalidArgumentError("PK verification message: no V payload");
  }
  if (!verified) {
    return absl::FailedPreconditionError(
        "V payload: MAC verification failed (other envelope key, or the "
        "message was altered)");
  }
  // T: the Initiator's own echoed (§5.2), or a Responder's fresh one; an
  // NTP value either way, within the skew (see psk.cc).
  const auto& tp = std::get<TimestampPayload>(r->payloads[*t]);
  if (std::optional<Refusal> refusal = CheckNtpWindow(
          tp, clock, max_clock_skew, "PK verification message")) {
    return refusal->status;
  }
  return absl::OkStatus();
}

}  // namespace exchange
}  // namespace mikey
