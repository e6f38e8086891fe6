#include "tests/fuzz/fuzz_util.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "core/crypto/aes.h"
#include "core/kdf/kdf.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace fuzz {

SecretBytes FuzzPsk() {
  Bytes psk(32);
  for (size_t i = 0; i < psk.size(); ++i) psk[i] = static_cast<uint8_t>(i);
  return SecretBytes(psk);
}

absl::Time FuzzNow() { return pki::testing::TestNow(); }

uint64_t FuzzNowNtp() { return exchange::NtpFromTime(FuzzNow()); }

Bytes StateKeyMaterial(uint32_t version) {
  return Bytes(version == 1 ? 32 : 48, static_cast<uint8_t>(0xA0 + version));
}

IdPayload UriId(const char* uri) {
  const std::string s(uri);
  return IdPayload{id_type::kUri, Bytes(s.begin(), s.end())};
}

std::vector<exchange::PskStreamSpec> FuzzStreams() {
  std::vector<exchange::PskStreamSpec> streams(2);
  streams[0].ssrc = 0x11223344;
  streams[0].policy.suite = *srtp::FindSuite("AES_CM_128_HMAC_SHA1_80");
  streams[1].ssrc = 0x55667788;
  streams[1].roc = 7;
  streams[1].policy.suite = *srtp::FindSuite("AEAD_AES_256_GCM");
  return streams;
}

namespace {

pki::testing::CertSpec LongLived(const std::string& cn, const char* uri,
                                 long serial) {
  pki::testing::CertSpec s;
  s.common_name = cn;
  if (uri != nullptr) s.san_uris = {uri};
  s.serial = serial;
  s.not_before =
      absl::FromCivil(absl::CivilDay(1950, 1, 1), absl::UTCTimeZone());
  s.not_after =
      absl::FromCivil(absl::CivilDay(2099, 1, 1), absl::UTCTimeZone());
  return s;
}

pki::testing::Issued MustIssue(const pki::testing::CertSpec& spec,
                               const pki::testing::Issued* issuer) {
  absl::StatusOr<pki::testing::Issued> issued =
      pki::testing::Issue(spec, issuer, kFuzzRsaBits);
  FUZZ_CHECK(issued.ok(), issued.status().ToString());
  return *std::move(issued);
}

pki::testing::CertSpec CaSpec() {
  pki::testing::CertSpec s = pki::testing::CaSpec("Fuzz CA");
  pki::testing::CertSpec l = LongLived("Fuzz CA", nullptr, 1);
  s.not_before = l.not_before;
  s.not_after = l.not_after;
  return s;
}

}  // namespace

FuzzPki::FuzzPki()
    : ca(MustIssue(CaSpec(), nullptr)),
      initiator(MustIssue(LongLived("alice", kInitiatorUri, 2), &ca)),
      responder(MustIssue(LongLived("bob", kResponderUri, 3), &ca)) {
  pki::TrustConfig tc;
  tc.trust_anchors = {ca.cert};
  verifier = std::make_unique<pki::CertificateVerifier>(tc);
}

const FuzzPki& FuzzPki::Get() {
  static const FuzzPki* pki = new FuzzPki();
  return *pki;
}

exchange::PkCredential FuzzPki::InitiatorCredential() const {
  return exchange::PkCredential{{initiator.cert}, &initiator.key};
}

exchange::PkCredential FuzzPki::ResponderCredential() const {
  return exchange::PkCredential{{responder.cert}, &responder.key};
}

Split SplitInput(const uint8_t* data, size_t size) {
  Split s;
  if (size == 0) return s;
  s.flags = data[0];
  s.data = absl::MakeConstSpan(data + 1, size - 1);
  return s;
}

exchange::FixedClock ClockAtTimestamp(const Message& m, absl::Time fallback) {
  for (const Payload& p : m.payloads) {
    if (const auto* t = std::get_if<TimestampPayload>(&p)) {
      if (t->ts_type == ts_type::kNtpUtc || t->ts_type == ts_type::kNtp) {
        return exchange::FixedClock::FromNtp(t->value);
      }
      break;
    }
  }
  return exchange::FixedClock(fallback);
}

std::optional<HashAlg> PrfHash(uint8_t prf_func) {
  if (prf_func == prf_func::kMikey1) return HashAlg::kSha1;
  if (prf_func == prf_func::kMikey256) return HashAlg::kSha256;
  return std::nullopt;
}

std::optional<HashAlg> MacHashOf(uint8_t mac_alg) {
  if (mac_alg == mac_alg::kHmacSha1_160) return HashAlg::kSha1;
  if (mac_alg == mac_alg::kHmacSha256_256) return HashAlg::kSha256;
  return std::nullopt;
}

size_t MacLengthOf(uint8_t mac_alg) {
  if (mac_alg == mac_alg::kHmacSha1_160) return 20;
  if (mac_alg == mac_alg::kHmacSha256_256) return 32;
  return 0;
}

absl::StatusOr<SecretBytes> AuthKeyFor(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint8_t mac_alg) {
  if (MacLengthOf(mac_alg) == 0) {
    return absl::InvalidArgumentError("no MAC algorithm");
  }
  return DeriveKemacAuthKey(prf, key, csb_id, rand, MacLengthOf(mac_alg));
}

absl::StatusOr<Bytes> EncryptKemacData(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint64_t t_value, uint8_t encr_alg,
                                       absl::Span<const uint8_t> plain) {
  absl::StatusOr<SecretBytes> encr_key =
      DeriveKemacEncrKey(prf, key, csb_id, rand, kKemacEncrKeyLength);
  if (!encr_key.ok()) return encr_key.status();
  if (encr_alg == encr_alg::kAesCm128) {
    absl::StatusOr<SecretBytes> salt =
        DeriveKemacSalt(prf, key, csb_id, rand, kKemacSaltLength);
    if (!salt.ok()) return salt.status();
    absl::StatusOr<std::array<uint8_t, 16>> iv =
        KemacAesCmIv(salt->span(), csb_id, t_value);
    if (!iv.ok()) return iv.status();
    return AesCmEncrypt(encr_key->span(), *iv, plain);
  }
  if (encr_alg == encr_alg::kAesKw128) {
    // RFC 3830 §4.2.3: "a 64-bit salt, S, ... the key wrap IV is then set to
    // S".
    absl::StatusOr<SecretBytes> s =
        DeriveKemacSalt(prf, key, csb_id, rand, kKemacKwSaltLength);
    if (!s.ok()) return s.status();
    size_t n = std::max<size_t>(plain.size(), 16);
    n = (n + 7) / 8 * 8;
    Bytes padded(n, 0);
    std::copy(plain.begin(), plain.end(), padded.begin());
    return AesKwWrap(encr_key->span(), padded, s->span());
  }
  return absl::InvalidArgumentError("no encryption algorithm");
}

absl::StatusOr<Bytes> DecryptKemacData(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint64_t t_value, uint8_t encr_alg,
                                       absl::Span<const uint8_t> data) {
  if (encr_alg == encr_alg::kAesCm128) {  // XOR with the same keystream
    return EncryptKemacData(prf, key, csb_id, rand, t_value, encr_alg, data);
  }
  if (encr_alg == encr_alg::kAesKw128) {
    absl::StatusOr<SecretBytes> encr_key =
        DeriveKemacEncrKey(prf, key, csb_id, rand, kKemacEncrKeyLength);
    if (!encr_key.ok()) return encr_key.status();
    absl::StatusOr<SecretBytes> s =
        DeriveKemacSalt(prf, key, csb_id, rand, kKemacKwSaltLength);
    if (!s.ok()) return s.status();
    absl::StatusOr<SecretBytes> plain =
        AesKwUnwrap(encr_key->span(), data, s->span());
    if (!plain.ok()) return plain.status();
    return Bytes(plain->span().begin(), plain->span().end());
  }
  return absl::InvalidArgumentError("no encryption algorithm");
}

Bytes TimestampWire(const TimestampPayload& t) {
  const size_t n =
      t.ts_type == ts_type::kCounter || t.ts_type == ts_type::kNtpUtc32 ? 4 : 8;
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<uint8_t>(t.value >> (8 * (n - 1 - i)));
  }
  return out;
}

absl::StatusOr<Bytes> SerializeFixed(Message m, const MacFix* mac,
                                     const RsaPrivateKey* signer,
                                     absl::Span<const uint8_t> sign_suffix) {
  const SignPayload* sign = nullptr;
  if (signer != nullptr && !m.payloads.empty()) {
    if (auto* s = std::get_if<SignPayload>(&m.payloads.back())) {
      if (s->type == sign_type::kRsaPkcs1 || s->type == sign_type::kRsaPss) {
        s->signature.assign(signer->modulus_length(), 0);
        sign = s;
      }
    }
  }
  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  if (!wire.ok()) return wire.status();

  // What SerializeMessage writes, ParseMessage must read back as it was.
  MessageLayout layout;
  absl::StatusOr<Message> back = ParseMessage(*wire, &layout);
  FUZZ_CHECK(back.ok(), absl::StrCat("serialized message does not parse: ",
                                     back.status().ToString()));
  FUZZ_CHECK(*back == m, "serialized message parses to another message");
  FUZZ_CHECK(layout.payloads.size() == m.payloads.size(), "layout size");

  if (mac != nullptr) {
    const size_t mac_len = MacLengthOf(mac->mac_alg);
    std::optional<HashAlg> hash = MacHashOf(mac->mac_alg);
    if (!hash || mac->index >= layout.payloads.size()) {
      return absl::InvalidArgumentError("MAC fix-up does not apply");
    }
    const PayloadExtent e = layout.payloads[mac->index];
    if (e.end - e.begin < mac_len) {
      return absl::InvalidArgumentError("payload shorter than its MAC");
    }
    const size_t mac_begin = e.end - mac_len;
    const absl::Span<const uint8_t> w(*wire);
    absl::StatusOr<HmacContext> ctx = HmacContext::Create(*hash, mac->key);
    if (!ctx.ok()) return ctx.status();
    if (mac->payload_only) {
      // RFC 3830 §5.2: "Before calculating the MAC, the Next payload field
      // is set to zero."
      static constexpr uint8_t kZero[1] = {0};
      (void)ctx->Update(kZero);
      (void)ctx->Update(w.subspan(e.begin + 1, mac_begin - e.begin - 1));
    } else {
      (void)ctx->Update(w.first(mac_begin));
      (void)ctx->Update(w.subspan(e.end));
      for (const Bytes& piece : mac->suffix) (void)ctx->Update(piece);
    }
    absl::StatusOr<std::vector<uint8_t>> out = ctx->Finish();
    if (!out.ok()) return out.status();
    std::copy(out->begin(), out->end(), wire->begin() + mac_begin);
  }

  if (sign != nullptr) {
    const size_t n = signer->modulus_length();
    RsaSignatureParams params;
    params.scheme = sign->type == sign_type::kRsaPss
                        ? RsaSignatureScheme::kPss
                        : RsaSignatureScheme::kPkcs1v15;
    params.hash = HashAlg::kSha256;
    Bytes signed_data(wire->begin(), wire->end() - n);
    signed_data.insert(signed_data.end(), sign_suffix.begin(),
                       sign_suffix.end());
    absl::StatusOr<std::vector<uint8_t>> sig =
        signer->Sign(params, signed_data);
    if (!sig.ok()) return sig.status();
    std::copy(sig->begin(), sig->end(), wire->end() - n);
  }
  return wire;
}

void ReplaceCerts(Message* m, absl::Span<const pki::Certificate> chain) {
  if (chain.empty()) return;
  size_t k = 0;
  for (Payload& p : m->payloads) {
    if (auto* c = std::get_if<CertPayload>(&p)) {
      c->data = chain[std::min(k, chain.size() - 1)].der();
      ++k;
    }
  }
}

bool SameKeys(const exchange::KeyResult& a, const exchange::KeyResult& b) {
  if (a.csb_id != b.csb_id || a.streams.size() != b.streams.size()) {
    return false;
  }
  for (size_t i = 0; i < a.streams.size(); ++i) {
    const exchange::StreamKeys& x = a.streams[i];
    const exchange::StreamKeys& y = b.streams[i];
    if (x.ssrc != y.ssrc || x.cs_id != y.cs_id || x.suite != y.suite ||
        !(x.master_key == y.master_key) || !(x.master_salt == y.master_salt) ||
        x.mki != y.mki) {
      return false;
    }
  }
  return true;
}

void CheckKeyResult(const exchange::KeyResult& keys) {
  FUZZ_CHECK(!keys.streams.empty(), "a result without streams");
  for (const exchange::StreamKeys& s : keys.streams) {
    FUZZ_CHECK(s.suite != nullptr, "a stream without a suite");
    FUZZ_CHECK(s.policy.suite == s.suite, "policy.suite differs from suite");
    FUZZ_CHECK(s.master_key.size() == s.suite->master_key_length,
               absl::StrCat("master key of ", s.master_key.size(),
                            " octets for ", s.suite->name));
    FUZZ_CHECK(s.master_salt.size() == s.suite->master_salt_length,
               absl::StrCat("master salt of ", s.master_salt.size(),
                            " octets for ", s.suite->name));
  }
}

void Report(const char* what, const absl::Status& status) {
  static const bool verbose = std::getenv("MIKEY_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
}

bool WriteFile(const std::string& path, absl::Span<const uint8_t> data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), data.size());
  return static_cast<bool>(f);
}

}  // namespace fuzz
}  // namespace mikey
