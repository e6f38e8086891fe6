#include "core/exchange/pubkey_common.h"

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/crypto/aes.h"

namespace mikey {
namespace exchange {
namespace exchange_internal {

std::optional<RsaSignatureScheme> SchemeOfSignType(uint8_t s_type) {
  if (s_type == sign_type::kRsaPkcs1) return RsaSignatureScheme::kPkcs1v15;
  if (s_type == sign_type::kRsaPss) return RsaSignatureScheme::kPss;
  return std::nullopt;
}

uint8_t SignTypeOf(RsaSignatureScheme scheme) {
  return scheme == RsaSignatureScheme::kPss ? sign_type::kRsaPss
                                            : sign_type::kRsaPkcs1;
}

namespace {

// The signed data: wire[0, size - sig_len) followed by `suffix`.
Bytes SignedData(absl::Span<const uint8_t> covered,
                 std::initializer_list<absl::Span<const uint8_t>> suffix) {
  size_t n = covered.size();
  for (absl::Span<const uint8_t> p : suffix) n += p.size();
  Bytes out;
  out.reserve(n);
  out.insert(out.end(), covered.begin(), covered.end());
  for (absl::Span<const uint8_t> p : suffix) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// Signs wire[0, size - sig_len) || suffix and writes the signature into the
// tail.
absl::Status SignInPlace(
    Bytes& wire, const RsaPrivateKey& key, const RsaSignatureParams& params,
    std::initializer_list<absl::Span<const uint8_t>> suffix) {
  const size_t n = key.modulus_length();
  if (wire.size() < n) return absl::InternalError("no signature field");
  const absl::Span<const uint8_t> covered =
      absl::MakeConstSpan(wire.data(), wire.size() - n);
  absl::StatusOr<Bytes> sig =
      suffix.size() == 0 ? key.Sign(params, covered)
                         : key.Sign(params, SignedData(covered, suffix));
  if (!sig.ok()) return sig.status();
  if (sig->size() != n) return absl::InternalError("signature length");
  std::copy(sig->begin(), sig->end(), wire.end() - n);
  return absl::OkStatus();
}

absl::StatusOr<Bytes> PrepareSigned(Message& m, const RsaPrivateKey& key,
                                    const RsaSignatureParams& params) {
  if (m.payloads.empty() ||
      !std::holds_alternative<SignPayload>(m.payloads.back())) {
    return absl::InternalError("message does not end with a SIGN payload");
  }
  SignPayload& sign = std::get<SignPayload>(m.payloads.back());
  sign.type = SignTypeOf(params.scheme);
  sign.signature.assign(key.modulus_length(), 0);
  return SerializeMessage(m);
}

}  // namespace

absl::StatusOr<Bytes> SerializeSigned(
    Message m, const RsaPrivateKey& key, const RsaSignatureParams& params,
    std::initializer_list<absl::Span<const uint8_t>> suffix) {
  absl::StatusOr<Bytes> wire = PrepareSigned(m, key, params);
  if (!wire.ok()) return wire.status();
  if (absl::Status s = SignInPlace(*wire, key, params, suffix); !s.ok()) {
    return s;
  }
  return wire;
}

absl::StatusOr<Bytes> SerializeKemacAndSign(
    Message m, size_t kemac_index, absl::Span<const uint8_t> auth_key,
    const RsaPrivateKey& key, const RsaSignatureParams& params,
    std::initializer_list<absl::Span<const uint8_t>> suffix) {
  if (kemac_index >= m.payloads.size() ||
      !std::holds_alternative<KemacPayload>(m.payloads[kemac_index])) {
    return absl::InternalError("no KEMAC payload at the given index");
  }
  KemacPayload& kemac = std::get<KemacPayload>(m.payloads[kemac_index]);
  const uint8_t mac_alg = kemac.mac_alg;
  const size_t mac_len = MacLength(mac_alg);
  if (mac_len == 0) return absl::InternalError("KEMAC without a MAC");
  kemac.mac.assign(mac_len, 0);
  absl::StatusOr<Bytes> wire = PrepareSigned(m, key, params);
  if (!wire.ok()) return wire.status();
  // Locate the KEMAC in the bytes just written.
  MessageLayout layout;
  absl::StatusOr<Message> parsed = ParseMessage(*wire, &layout);
  if (!parsed.ok()) return parsed.status();
  const KemacMacPieces in = KemacMacInput(*wire, layout, kemac_index, mac_len);
  absl::StatusOr<Bytes> mac =
      Mac(mac_alg, auth_key, {in.next_payload, in.rest});
  if (!mac.ok()) return mac.status();
  std::copy(mac->begin(), mac->end(),
            wire->begin() + (layout.payloads[kemac_index].end - mac_len));
  if (absl::Status s = SignInPlace(*wire, key, params, suffix); !s.ok()) {
    return s;
  }
  return wire;
}

absl::Status VerifySigned(
    absl::Span<const uint8_t> wire, const SignPayload& sign,
    const RsaPublicKey& key, absl::Span<const HashAlg> hashes,
    std::initializer_list<absl::Span<const uint8_t>> suffix) {
  std::optional<RsaSignatureScheme> scheme = SchemeOfSignType(sign.type);
  if (!scheme) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SIGN payload: signature type ", static_cast<int>(sign.type),
        " not supported (0 RSA PKCS#1 v1.5, 1 RSA-PSS)"));
  }
  const size_t n = sign.signature.size();
  if (n > wire.size()) return absl::InternalError("signature field");
  absl::Span<const uint8_t> covered = wire.first(wire.size() - n);
  Bytes with_suffix;
  if (suffix.size() != 0) {
    with_suffix = SignedData(covered, suffix);
    covered = with_suffix;
  }
  for (HashAlg h : hashes) {
    if (key.Verify({*scheme, h}, covered, sign.signature).ok()) {
      return absl::OkStatus();
    }
  }
  std::string names;
  for (HashAlg h : hashes) {
    absl::StrAppend(&names, names.empty() ? "" : " / ", HashAlgName(h));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "SIGN payload: ",
      *scheme == RsaSignatureScheme::kPss ? "RSA-PSS" : "RSA PKCS#1 v1.5",
      " signature with ", names,
      " does not verify with the signer's certificate key (altered message "
      "or other key)"));
}

KemacMacPieces KemacMacInput(absl::Span<const uint8_t> wire,
                             const MessageLayout& layout, size_t index,
                             size_t mac_len) {
  static constexpr uint8_t kZero[1] = {0};
  const PayloadExtent& e = layout.payloads[index];
  KemacMacPieces in;
  in.next_payload = absl::MakeConstSpan(kZero);
  // The payload starts with its Next payload octet; a parsed KEMAC is at
  // least 5 octets (Next payload, Encr alg, Encr data len, MAC alg).
  in.rest = wire.subspan(e.begin + 1, e.end - e.begin - 1 - mac_len);
  return in;
}

absl::StatusOr<std::vector<pki::Certificate>> CertChainOf(
    const Message& m, const MessageLayout& layout,
    const pki::CertificateVerifier* verifier) {
  std::vector<pki::Certificate> chain;
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    const CertPayload* c = std::get_if<CertPayload>(&m.payloads[i]);
    if (c == nullptr) continue;
    const std::string where = absl::StrCat(
        "CERT payload #", i + 1, " at offset ", layout.payloads[i].begin);
    if (c->cert_type != cert_type::kX509v3 &&
        c->cert_type != cert_type::kX509v3Sign &&
        c->cert_type != cert_type::kX509v3Encr) {
      return absl::UnimplementedError(absl::StrCat(
          where, ": certificate type ", static_cast<int>(c->cert_type),
          " not supported (0/2/3 X.509v3 DER)"));
    }
    absl::StatusOr<pki::Certificate> cert =
        verifier != nullptr ? verifier->ParseCertificate(c->data)
                            : pki::Certificate::FromDer(c->data);
    if (!cert.ok()) {
      absl::Status s(cert.status().code(),
                     absl::StrCat(where, ": ", cert.status().message()));
      if (auto p = cert.status().GetPayload("type.mikey/pki.CertFailure")) {
        s.SetPayload("type.mikey/pki.CertFailure", *p);
      }
      return s;
    }
    chain.push_back(*std::move(cert));
  }
  return chain;
}

absl::StatusOr<SecretBytes> SerializeIdAndKeyData(
    const IdPayload* id, absl::Span<const KeyDataPayload> key_data) {
  absl::StatusOr<SecretBytes> kd = SerializeKeyDataList(key_data);
  if (!kd.ok()) return kd.status();
  if (id == nullptr) return kd;
  Writer w;
  w.AddU8(payload_type::kKeyData);
  w.AddU8(id->id_type);
  if (absl::Status s = w.AddU16LengthPrefixed("ID data", id->data); !s.ok()) {
    return s;
  }
  const Bytes head = std::move(w).Finish();
  SecretBytes out(head.size() + kd->size());
  std::copy(head.begin(), head.end(), out.data());
  std::copy(kd->span().begin(), kd->span().end(), out.data() + head.size());
  return out;
}

namespace {

absl::StatusOr<KemacPlain> ParseUnpadded(absl::Span<const uint8_t> plain,
                                         size_t base_offset) {
  KemacPlain out;
  // RFC form: ID payload first, its next payload being Key data.
  {
    Reader r(plain, base_offset, "KEMAC ID sub-payload");
    uint8_t next = 0, type = 0;
    uint16_t len = 0;
    absl::Span<const uint8_t> data;
    if (r.ReadU8("next payload", &next).ok() &&
        next == payload_type::kKeyData && r.ReadU8("ID type", &type).ok() &&
        r.ReadU16("ID len", &len).ok() &&
        r.ReadBytes("ID data", len, &data).ok()) {
      const size_t kd_offset = r.offset();
      absl::StatusOr<std::vector<KeyDataPayload>> kd =
          ParseKeyDataList(r.ReadRest(), kd_offset);
      if (kd.ok()) {
        out.id = IdPayload{type, Bytes(data.begin(), data.end())};
        out.key_data = *std::move(kd);
        return out;
      }
    }
  }
  absl::StatusOr<std::vector<KeyDataPayload>> kd =
      ParseKeyDataList(plain, base_offset);
  if (!kd.ok()) return kd.status();
  out.key_data = *std::move(kd);
  return out;
}

}  // namespace

absl::StatusOr<KemacPlain> ParseIdAndKeyData(absl::Span<const uint8_t> plain,
                                             size_t base_offset,
                                             bool key_wrap_padding) {
  absl::Status first_error;
  const size_t max_pad = key_wrap_padding ? kAesKwBlock - 1 : 0;
  for (size_t pad = 0; pad <= max_pad && pad < plain.size(); ++pad) {
    const size_t n = plain.size() - pad;
    if (pad > 0 && plain[n] != 0) break;  // padding must be zeros
    absl::StatusOr<KemacPlain> kp = ParseUnpadded(plain.first(n), base_offset);
    if (kp.ok()) return kp;
    if (pad == 0) first_error = kp.status();
  }
  if (first_error.ok()) {
    return absl::InvalidArgumentError("KEMAC: empty key data");
  }
  return first_error;
}

absl::StatusOr<Bytes> EncryptKemacData(uint8_t encr_alg, const MessageKeys& k,
                                       const SecretBytes& plain) {
  if (encr_alg == encr_alg::kAesCm128) {
    return AesCmEncrypt(k.encr_key.span(), k.iv, plain.span());
  }
  if (encr_alg == encr_alg::kAesKw128) {
    return AesKwWrap(k.encr_key.span(), PadForKeyWrap(plain).span(), k.kw_iv);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("KEMAC encryption algorithm ", static_cast<int>(encr_alg),
                   " (expected 1 AES-CM-128 or 2 AES-KW-128)"));
}

absl::StatusOr<SecretBytes> DecryptKemacData(uint8_t encr_alg,
                                             const MessageKeys& k,
                                             absl::Span<const uint8_t> data) {
  if (encr_alg == encr_alg::kAesCm128) {
    return AesCmDecrypt(k.encr_key.span(), k.iv, data);
  }
  if (encr_alg == encr_alg::kAesKw128) {
    absl::StatusOr<SecretBytes> plain =
        AesKwUnwrap(k.encr_key.span(), data, k.kw_iv);
    if (!plain.ok()) return plain.status();
    return plain;  // zero padding: see ParseIdAndKeyData
  }
  return absl::InvalidArgumentError(absl::StrCat("KEMAC encryption algorithm ",
                                                 static_cast<int>(encr_alg),
                                                 " not supported"));
}

std::optional<IdPayload> IdFromCertificate(const pki::Certificate& cert) {
  const pki::CertIdentities& ids = cert.identities();
  if (!ids.uris.empty()) {
    return IdPayload{id_type::kUri,
                     Bytes(ids.uris.front().begin(), ids.uris.front().end())};
  }
  if (!ids.emails.empty()) {
    return IdPayload{id_type::kNai, Bytes(ids.emails.front().begin(),
                                          ids.emails.front().end())};
  }
  return std::nullopt;
}

std::optional<Refusal> CheckIdBinding(const IdPayload& id,
                                      const pki::Certificate& cert,
                                      absl::string_view what) {
  if (pki::CertificateNamesId(cert, id.id_type, id.data)) return std::nullopt;
  return Refuse(
      pki::CertError(
          pki::CertFailure::kIdentityMismatch,
          absl::StrCat(what, " \"", std::string(id.data.begin(), id.data.end()),
                       "\" (type ", static_cast<int>(id.id_type),
                       ") is not an identity of certificate ",
                       cert.Describe())),
      error_no::kInvalidId);
}

Refusal RefuseCert(const absl::Status& status) {
  std::optional<pki::CertFailure> f = pki::GetCertFailure(status);
  return Refuse(status, f ? pki::MikeyErrorNo(*f) : error_no::kInvalidCert);
}

absl::StatusOr<Bytes> BuildPlainError(
    const CommonHeader& hdr, uint8_t err, const TimestampPayload* initiator_t,
    const Clock& clock, absl::Span<const srtp::CryptoSuite* const> allowed,
    srtp::SpDialect dialect) {
  Message e;
  e.header = hdr;
  e.header.data_type = data_type::kError;
  e.header.v_flag = false;
  e.payloads.push_back(ResponderTimestamp(initiator_t, clock));
  e.payloads.push_back(ErrorPayload{err, 0});
  AppendSupportedPolicies(&e, err, allowed, dialect);
  return SerializeMessage(e);
}

std::string ErrorList(const Message& m) {
  std::string list;
  for (const ErrorPayload* e : m.FindAll<ErrorPayload>()) {
    absl::StrAppend(&list, list.empty() ? "" : ", ", ErrorName(e->error_no),
                    " (", static_cast<int>(e->error_no), ")");
  }
  return list.empty() ? "no ERR payload" : list;
}

}  // namespace exchange_internal
}  // namespace exchange
}  // namespace mikey
