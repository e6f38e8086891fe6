#include "core/exchange/internal.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/hmac.h"
#include "core/kdf/kdf.h"
#include "core/kdf/prf.h"

namespace mikey {
namespace exchange {
namespace exchange_internal {

const char* ErrorName(uint8_t error_no) {
  switch (error_no) {
    case error_no::kAuthFailure:
      return "Auth failure";
    case error_no::kInvalidTs:
      return "Invalid TS";
    case error_no::kInvalidPrf:
      return "Invalid PRF";
    case error_no::kInvalidMac:
      return "Invalid MAC";
    case error_no::kInvalidEa:
      return "Invalid EA";
    case error_no::kInvalidHa:
      return "Invalid HA";
    case error_no::kInvalidDh:
      return "Invalid DH";
    case error_no::kInvalidId:
      return "Invalid ID";
    case error_no::kInvalidCert:
      return "Invalid Cert";
    case error_no::kInvalidSp:
      return "Invalid SP";
    case error_no::kInvalidSpPar:
      return "Invalid SPpar";
    case error_no::kInvalidDt:
      return "Invalid DT";
    case error_no::kUnspecified:
      return "Unspecified error";
    default:
      return "unknown error";
  }
}

std::optional<HashAlg> MacHash(uint8_t mac_alg) {
  switch (mac_alg) {
    case mac_alg::kHmacSha1_160:
      return HashAlg::kSha1;
    case mac_alg::kHmacSha256_256:
      return HashAlg::kSha256;
    default:
      return std::nullopt;
  }
}

size_t MacLength(uint8_t mac_alg) {
  std::optional<HashAlg> h = MacHash(mac_alg);
  return h ? DigestLength(*h) : 0;
}

Bytes TimestampWire(const TimestampPayload& t) {
  const bool short_ts =
      t.ts_type == ts_type::kCounter || t.ts_type == ts_type::kNtpUtc32;
  const int n = short_ts ? 4 : 8;
  Bytes out(n);
  for (int i = 0; i < n; ++i) {
    out[i] = static_cast<uint8_t>(t.value >> (8 * (n - 1 - i)));
  }
  return out;
}

uint64_t IvTimestamp(const TimestampPayload& t) {
  if (t.ts_type == ts_type::kNtpUtc32) return (t.value & 0xFFFFFFFFu) << 32;
  if (t.ts_type == ts_type::kCounter) return t.value & 0xFFFFFFFFu;
  return t.value;
}

TimestampPayload ResponderTimestamp(const TimestampPayload* initiator_t,
                                    const Clock& clock) {
  if (initiator_t != nullptr) return *initiator_t;
  return TimestampPayload{ts_type::kNtpUtc, clock.NowNtp()};
}

const TimestampPayload* FirstTimestamp(const Message& m) {
  return m.Find<TimestampPayload>();
}

void AppendSupportedPolicies(Message* m, uint8_t error_no,
                             absl::Span<const srtp::CryptoSuite* const> allowed,
                             srtp::SpDialect dialect) {
  if (allowed.empty() || (error_no != error_no::kInvalidSp &&
                          error_no != error_no::kInvalidSpPar)) {
    return;
  }
  std::vector<srtp::SrtpPolicy> policies;
  for (const srtp::CryptoSuite* suite : allowed) {
    if (suite == nullptr) continue;
    srtp::SrtpPolicy p;
    p.suite = suite;
    policies.push_back(p);
  }
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  SecurityPolicies(policies, dialect, &sps, &policy_nos);
  for (SecurityPolicyPayload& sp : sps) m->payloads.push_back(std::move(sp));
}

std::optional<Refusal> CheckNtpWindow(const TimestampPayload& t,
                                      const Clock& clock, absl::Duration skew,
                                      absl::string_view what) {
  if (t.ts_type != ts_type::kNtpUtc && t.ts_type != ts_type::kNtp) {
    return Refuse(absl::UnimplementedError(absl::StrCat(
                      what, ": T payload: timestamp type ",
                      static_cast<int>(t.ts_type), " not supported here")),
                  error_no::kInvalidTs);
  }
  const absl::Duration diff = NtpDifference(t.value, clock.NowNtp());
  if (diff > skew || diff < -skew) {
    return Refuse(
        absl::FailedPreconditionError(absl::StrCat(
            what, ": T payload: timestamp is ",
            absl::FormatDuration(diff < absl::ZeroDuration() ? -diff : diff),
            diff < absl::ZeroDuration() ? " in the past" : " in the future",
            ", outside the allowed clock skew of ",
            absl::FormatDuration(skew))),
        error_no::kInvalidTs);
  }
  return std::nullopt;
}

absl::StatusOr<srtp::SrtpPolicy> PolicyFor(
    const Message& m, uint8_t policy_no,
    absl::Span<const srtp::CryptoSuite* const> allowed,
    std::optional<uint8_t>* error_no) {
  const SecurityPolicyPayload* sp = nullptr;
  for (const SecurityPolicyPayload* p : m.FindAll<SecurityPolicyPayload>()) {
    if (p->policy_no != policy_no) continue;
    if (sp != nullptr) {
      *error_no = error_no::kInvalidSp;
      return absl::InvalidArgumentError(absl::StrCat(
          "two SP payloads with policy number ", static_cast<int>(policy_no)));
    }
    sp = p;
  }
  std::vector<srtp::SrtpPolicyParam> params;
  if (sp != nullptr) {
    if (sp->prot_type != sp_prot_type::kSrtp) {
      *error_no = error_no::kInvalidSp;
      return absl::UnimplementedError(absl::StrCat(
          "SP payload with policy number ", static_cast<int>(policy_no),
          ": protocol type ", static_cast<int>(sp->prot_type),
          " (only 0, SRTP, is supported)"));
    }
    params.reserve(sp->params.size());
    for (const PolicyParam& p : sp->params) params.push_back({p.type, p.value});
  }
  absl::StatusOr<srtp::SrtpPolicy> policy = srtp::SuiteFromPolicy(params);
  if (!policy.ok()) {
    *error_no = error_no::kInvalidSpPar;
    return absl::Status(policy.status().code(),
                        absl::StrCat("SP payload with policy number ",
                                     static_cast<int>(policy_no), ": ",
                                     policy.status().message()));
  }
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(),
                                    policy->suite) == allowed.end()) {
    *error_no = error_no::kInvalidSpPar;
    return absl::FailedPreconditionError(absl::StrCat(
        "SP payload with policy number ", static_cast<int>(policy_no),
        ": SRTP suite ", policy->suite->name, " not allowed by local policy"));
  }
  return policy;
}

void SecurityPolicies(absl::Span<const srtp::SrtpPolicy> policies,
                      srtp::SpDialect dialect,
                      std::vector<SecurityPolicyPayload>* sps,
                      std::vector<uint8_t>* policy_nos) {
  std::vector<std::vector<srtp::SrtpPolicyParam>> seen;
  for (const srtp::SrtpPolicy& policy : policies) {
    std::vector<srtp::SrtpPolicyParam> params =
        srtp::PolicyFromSuite(policy, dialect);
    auto it = std::find(seen.begin(), seen.end(), params);
    if (it != seen.end()) {
      policy_nos->push_back(static_cast<uint8_t>(it - seen.begin()));
      continue;
    }
    SecurityPolicyPayload sp;
    sp.policy_no = static_cast<uint8_t>(seen.size());
    sp.prot_type = sp_prot_type::kSrtp;
    sp.params.reserve(params.size());
    for (const srtp::SrtpPolicyParam& p : params) {
      sp.params.push_back(PolicyParam{p.type, p.value});
    }
    policy_nos->push_back(sp.policy_no);
    sps->push_back(std::move(sp));
    seen.push_back(std::move(params));
  }
}

absl::StatusOr<Bytes> Mac(
    uint8_t mac_alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> pieces) {
  std::optional<HashAlg> h = MacHash(mac_alg);
  if (!h) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MAC algorithm ", static_cast<int>(mac_alg), " cannot be computed"));
  }
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(*h, key);
  if (!ctx.ok()) return ctx.status();
  for (absl::Span<const uint8_t> p : pieces) {
    if (absl::Status s = ctx->Update(p); !s.ok()) return s;
  }
  return ctx->Finish();
}

absl::StatusOr<Bytes> SerializeWithTrailingMac(
    const Message& m, uint8_t mac_alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> suffix) {
  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  if (!wire.ok()) return wire.status();
  const size_t n = MacLength(mac_alg);
  if (n == 0 || wire->size() < n) {
    return absl::InternalError("message has no MAC field to fill");
  }
  const size_t covered = wire->size() - n;
  std::optional<HashAlg> h = MacHash(mac_alg);
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(*h, key);
  if (!ctx.ok()) return ctx.status();
  if (absl::Status s = ctx->Update(absl::MakeConstSpan(wire->data(), covered));
      !s.ok()) {
    return s;
  }
  for (absl::Span<const uint8_t> p : suffix) {
    if (absl::Status s = ctx->Update(p); !s.ok()) return s;
  }
  if (absl::Status s = ctx->Finish(absl::MakeSpan(wire->data() + covered, n));
      !s.ok()) {
    return s;
  }
  return wire;
}

MacInput SplitAtMac(absl::Span<const uint8_t> wire, const MessageLayout& layout,
                    size_t index, size_t mac_len) {
  const size_t mac_end = layout.payloads[index].end;
  const size_t mac_begin = mac_end - mac_len;
  MacInput in;
  in.before = wire.subspan(0, mac_begin);
  in.mac = wire.subspan(mac_begin, mac_len);
  in.after = wire.subspan(mac_end);
  return in;
}

absl::StatusOr<uint32_t> ChooseCsbId(std::optional<uint32_t> given,
                                     RandomSource& rng) {
  if (given.has_value()) return *given;
  uint8_t b[4];
  uint32_t id = 0;
  // Zero is legal but looks like "unset" in logs; draw again (at most a few
  // times in practice; bounded anyway).
  for (int tries = 0; tries < 8 && id == 0; ++tries) {
    if (absl::Status s = rng.Fill(absl::MakeSpan(b)); !s.ok()) return s;
    id = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
         (uint32_t{b[2]} << 8) | b[3];
  }
  return id;
}

// The PRF hash for the PRF funcs this mode supports (0 and 1).
std::optional<HashAlg> SupportedPrf(uint8_t prf_func) {
  if (prf_func == prf_func::kMikey1) return HashAlg::kSha1;
  if (prf_func == prf_func::kMikey256) return HashAlg::kSha256;
  return std::nullopt;
}

uint8_t DefaultMacAlg(uint8_t prf_func) {
  return prf_func == prf_func::kMikey256 ? mac_alg::kHmacSha256_256
                                         : mac_alg::kHmacSha1_160;
}

size_t MaxMasterKeyLength(absl::Span<const srtp::SrtpPolicy> policies) {
  size_t max_key = 0;
  for (const srtp::SrtpPolicy& p : policies) {
    max_key = std::max(max_key, p.suite->master_key_length);
  }
  return max_key;
}

absl::StatusOr<HashAlg> CheckPrfFunc(absl::string_view caller,
                                     uint8_t prf_func) {
  if (std::optional<HashAlg> prf = SupportedPrf(prf_func)) return *prf;
  return absl::InvalidArgumentError(
      absl::StrCat(caller, ": PRF func ", static_cast<int>(prf_func),
                   " not supported (0 MIKEY-1, 1 PRF-HMAC-SHA-256)"));
}

absl::Status CheckRandLength(absl::string_view caller, size_t rand_length) {
  if (rand_length >= kMinRandLength && rand_length <= 255) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(caller, ": RAND length ",
                                                 rand_length, " (expected ",
                                                 kMinRandLength, " to 255)"));
}

absl::Status CheckTgkLength(absl::string_view caller, size_t tgk_length) {
  if (tgk_length >= kMinTgkLength && tgk_length <= kMaxTgkLength) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(caller, ": TGK length ", tgk_length, " (expected ",
                   kMinTgkLength, " to ", kMaxTgkLength, ")"));
}

absl::StatusOr<uint8_t> CheckKemacAlgs(absl::string_view caller,
                                       uint8_t encr_alg,
                                       std::optional<uint8_t> mac_alg,
                                       uint8_t prf_func) {
  if (encr_alg != encr_alg::kAesCm128 && encr_alg != encr_alg::kAesKw128) {
    return absl::InvalidArgumentError(absl::StrCat(
        caller, ": KEMAC encryption algorithm ", static_cast<int>(encr_alg),
        " (expected 1 AES-CM-128 or 2 AES-KW-128)"));
  }
  const uint8_t mac = mac_alg.value_or(DefaultMacAlg(prf_func));
  if (!MacHash(mac)) {
    return absl::InvalidArgumentError(
        absl::StrCat(caller, ": MAC algorithm ", static_cast<int>(mac),
                     " (expected 1 HMAC-SHA-1-160 or 2 HMAC-SHA-256-256)"));
  }
  return mac;
}

absl::StatusOr<HashAlg> ReceivedPrf(const CommonHeader& hdr, Refusal* refusal) {
  if (std::optional<HashAlg> prf = SupportedPrf(hdr.prf_func)) return *prf;
  absl::Status s = absl::UnimplementedError(
      absl::StrCat("HDR: PRF func ", static_cast<int>(hdr.prf_func),
                   " not supported (0 MIKEY-1, 1 PRF-HMAC-SHA-256)"));
  *refusal = Refuse(s, error_no::kInvalidPrf);
  return s;
}

absl::StatusOr<ReceivedKemacAlgs> CheckReceivedKemac(
    const CommonHeader& hdr, const KemacPayload& kemac,
    absl::Span<const uint8_t> rand, bool rand_present, Refusal* refusal) {
  auto refuse = [&](absl::Status s, std::optional<uint8_t> err) {
    *refusal = Refuse(s, err);
    return s;
  };
  absl::StatusOr<HashAlg> prf = ReceivedPrf(hdr, refusal);
  if (!prf.ok()) return prf.status();
  if (kemac.encr_alg == encr_alg::kNull) {
    return refuse(absl::FailedPreconditionError(
                      "KEMAC: NULL encryption with a MAC would carry the TGK "
                      "in clear; refused"),
                  error_no::kInvalidEa);
  }
  if (kemac.encr_alg != encr_alg::kAesCm128 &&
      kemac.encr_alg != encr_alg::kAesKw128) {
    return refuse(
        absl::UnimplementedError(absl::StrCat(
            "KEMAC: encryption algorithm ", static_cast<int>(kemac.encr_alg),
            " not supported (1 AES-CM-128, 2 AES-KW-128)")),
        error_no::kInvalidEa);
  }
  std::optional<HashAlg> mac = MacHash(kemac.mac_alg);
  if (!mac) {
    return refuse(absl::FailedPreconditionError(absl::StrCat(
                      "KEMAC: MAC algorithm ", static_cast<int>(kemac.mac_alg),
                      " not accepted (1 HMAC-SHA-1-160, 2 HMAC-SHA-256-256)")),
                  error_no::kInvalidMac);
  }
  if (rand.size() < kMinRandLength) {
    return refuse(
        absl::InvalidArgumentError(absl::StrCat(
            "RAND payload: ", rand_present ? "" : "missing; ", rand.size(),
            " octets, at least ", kMinRandLength, " needed")),
        std::nullopt);
  }
  if (hdr.cs_id_map_type != cs_id_map_type::kSrtpId) {
    return refuse(
        absl::UnimplementedError(absl::StrCat(
            "HDR: CS ID map type ", static_cast<int>(hdr.cs_id_map_type),
            " not supported (0 SRTP-ID)")),
        error_no::kUnspecified);
  }
  if (hdr.srtp_map.empty()) {
    return refuse(absl::InvalidArgumentError(
                      "HDR: the SRTP-ID map has no crypto session"),
                  error_no::kUnspecified);
  }
  return ReceivedKemacAlgs{*prf, *mac};
}

absl::Status CommitReplayId(replay::ReplayCache& cache, absl::string_view id,
                            uint64_t t_ntp, absl::Duration max_clock_skew,
                            const Clock& clock, absl::string_view what,
                            Refusal* refusal) {
  const absl::Time now = clock.Now();
  const absl::Time expires = std::max(TimeFromNtp(t_ntp, now) + max_clock_skew,
                                      now + absl::Nanoseconds(1));
  return RefuseIfReplayed(cache.CheckAndInsert(id, now, expires), what,
                          refusal);
}

absl::Status RefuseIfReplayed(absl::Status commit, absl::string_view what,
                              Refusal* refusal) {
  if (absl::IsAlreadyExists(commit)) {
    commit = absl::FailedPreconditionError(
        absl::StrCat(what, ": ", commit.message()));
    *refusal = Refuse(commit, error_no::kInvalidTs);
  } else if (!commit.ok()) {
    *refusal = Refuse(commit, std::nullopt);
  }
  return commit;
}

// AES-KW padding: zeros up to a multiple of 8, at least 16 octets.
SecretBytes PadForKeyWrap(const SecretBytes& plain) {
  size_t n = std::max<size_t>(plain.size(), 2 * kAesKwBlock);
  n = (n + kAesKwBlock - 1) / kAesKwBlock * kAesKwBlock;
  SecretBytes out(n);
  std::copy(plain.span().begin(), plain.span().end(), out.data());
  return out;
}

// Parses a key data chain followed by up to 7 zero octets of AES-KW padding.
// The chain's length fields delimit it, so exactly one length parses.
absl::StatusOr<std::vector<KeyDataPayload>> ParsePaddedKeyDataList(
    const SecretBytes& plain, size_t base_offset) {
  absl::Status first_error;
  for (size_t pad = 0; pad < kAesKwBlock && pad < plain.size(); ++pad) {
    const size_t n = plain.size() - pad;
    if (pad > 0 && plain[n] != 0) break;  // padding must be zeros
    absl::StatusOr<std::vector<KeyDataPayload>> kd =
        ParseKeyDataList(plain.span().first(n), base_offset);
    if (kd.ok()) return kd;
    if (pad == 0) first_error = kd.status();
  }
  return first_error;
}

absl::StatusOr<SecretBytes> AuthKey(HashAlg prf, absl::Span<const uint8_t> psk,
                                    uint32_t csb_id,
                                    absl::Span<const uint8_t> rand,
                                    uint8_t mac) {
  return DeriveKemacAuthKey(prf, psk, csb_id, rand, MacLength(mac));
}

absl::StatusOr<MessageKeys> DeriveMessageKeys(HashAlg prf,
                                              absl::Span<const uint8_t> psk,
                                              uint32_t csb_id,
                                              absl::Span<const uint8_t> rand,
                                              uint64_t t_value, uint8_t encr,
                                              uint8_t mac) {
  // One HMAC key setup for the two or three keys derived from the PSK.
  absl::StatusOr<MikeyPrfKey> prf_key = MikeyPrfKey::Create(prf, psk);
  if (!prf_key.ok()) return prf_key.status();
  MessageKeys k;
  absl::StatusOr<SecretBytes> auth =
      DeriveKey(*prf_key, kdf_constant::kMessageAuth, kMessageKeyCsId, csb_id,
                rand, MacLength(mac));
  if (!auth.ok()) return auth.status();
  k.auth_key = *std::move(auth);
  absl::StatusOr<SecretBytes> encr_key =
      DeriveKey(*prf_key, kdf_constant::kMessageEncr, kMessageKeyCsId, csb_id,
                rand, kKemacEncrKeyLength);
  if (!encr_key.ok()) return encr_key.status();
  k.encr_key = *std::move(encr_key);
  if (encr == encr_alg::kAesKw128) {
    absl::Status s =
        DeriveKeyInto(*prf_key, kdf_constant::kMessageSalt, kMessageKeyCsId,
                      csb_id, rand, absl::MakeSpan(k.kw_iv));
    if (!s.ok()) return s;
  }
  if (encr == encr_alg::kAesCm128) {
    uint8_t salt[kKemacSaltLength];
    absl::Status s =
        DeriveKeyInto(*prf_key, kdf_constant::kMessageSalt, kMessageKeyCsId,
                      csb_id, rand, absl::MakeSpan(salt));
    absl::StatusOr<std::array<uint8_t, 16>> iv =
        s.ok() ? KemacAesCmIv(salt, csb_id, t_value)
               : absl::StatusOr<std::array<uint8_t, 16>>(s);
    SecureWipe(salt, sizeof(salt));
    if (!iv.ok()) return iv.status();
    k.iv = *iv;
  }
  return k;
}

// TEK and salt of every crypto session (§4.1.3).
absl::StatusOr<KeyResult> DeriveStreams(
    HashAlg prf, absl::Span<const uint8_t> tgk, uint32_t csb_id,
    absl::Span<const uint8_t> rand, absl::Span<const SrtpCsEntry> entries,
    absl::Span<const srtp::SrtpPolicy> policies, const Bytes& mki) {
  // One HMAC key setup for every key derived from the TGK.
  absl::StatusOr<MikeyPrfKey> prf_key = MikeyPrfKey::Create(prf, tgk);
  if (!prf_key.ok()) return prf_key.status();
  KeyResult result;
  result.csb_id = csb_id;
  result.streams.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const srtp::CryptoSuite& suite = *policies[i].suite;
    StreamKeys& s = result.streams.emplace_back();
    s.ssrc = entries[i].ssrc;
    s.roc = entries[i].roc;
    s.policy_no = entries[i].policy_no;
    s.cs_id = static_cast<uint8_t>(i + 1);
    s.csb_id = csb_id;
    s.suite = &suite;
    s.policy = policies[i];
    absl::StatusOr<SecretBytes> tek =
        DeriveKey(*prf_key, kdf_constant::kTek, s.cs_id, csb_id, rand,
                  suite.master_key_length);
    if (!tek.ok()) return tek.status();
    absl::StatusOr<SecretBytes> salt =
        DeriveKey(*prf_key, kdf_constant::kTgkSalt, s.cs_id, csb_id, rand,
                  suite.master_salt_length);
    if (!salt.ok()) return salt.status();
    s.master_key = *std::move(tek);
    s.master_salt = *std::move(salt);
    s.mki = mki;
  }
  return result;
}

}  // namespace exchange_internal
}  // namespace exchange
}  // namespace mikey
