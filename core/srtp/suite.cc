#include "core/srtp/suite.h"

#include <array>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mikey {
namespace srtp {
namespace {

// SP parameter types for SRTP (RFC 3830 §6.10.1; 20 from RFC 7714 §14.1).
// Mirrors core/message's srtp_param namespace.
enum ParamType : uint8_t {
  kEncrAlg = 0,
  kEncrKeyLen = 1,
  kAuthAlg = 2,
  kAuthKeyLen = 3,
  kSaltKeyLen = 4,
  kPrf = 5,
  kKeyDerivationRate = 6,
  kSrtpEncr = 7,
  kSrtcpEncr = 8,
  kFecOrder = 9,
  kSrtpAuth = 10,
  kAuthTagLen = 11,
  kSrtpPrefixLen = 12,
  kAeadAuthTagLen = 20,
};
constexpr size_t kNumTracked = 21;  // Types 0..20.
// The most parameters PolicyFromSuite writes: types 0 to 8, 10 and 11 for an
// HMAC suite with a key derivation rate (AEAD suites write fewer).
constexpr size_t kMaxPolicyParams = 11;

// Wire values.
constexpr uint8_t kEncrNull = 0, kEncrAesCm = 1, kEncrAesF8 = 2,
                  kEncrAesGcm = 6;
constexpr uint8_t kAuthNull = 0, kAuthHmacSha1 = 1;

const CryptoSuite kSuites[] = {
    // name, cipher, auth, mkey, msalt, ekey, akey, ssalt, srtp tag, srtcp tag,
    // aead tag
    {"AES_CM_128_HMAC_SHA1_80", Cipher::kAesCm, Auth::kHmacSha1, 16, 14, 16, 20,
     14, 10, 10, 0},
    {"AES_CM_128_HMAC_SHA1_32", Cipher::kAesCm, Auth::kHmacSha1, 16, 14, 16, 20,
     14, 4, 10, 0},
    {"AES_256_CM_HMAC_SHA1_80", Cipher::kAesCm, Auth::kHmacSha1, 32, 14, 32, 20,
     14, 10, 10, 0},
    {"AES_256_CM_HMAC_SHA1_32", Cipher::kAesCm, Auth::kHmacSha1, 32, 14, 32, 20,
     14, 4, 10, 0},
    {"AEAD_AES_128_GCM", Cipher::kAesGcm, Auth::kNull, 16, 12, 16, 0, 12, 0, 0,
     16},
    {"AEAD_AES_256_GCM", Cipher::kAesGcm, Auth::kNull, 32, 12, 32, 0, 12, 0, 0,
     16},
    {"NULL_HMAC_SHA1_80", Cipher::kNull, Auth::kHmacSha1, 16, 14, 0, 20, 0, 10,
     10, 0},
    {"NULL_HMAC_SHA1_32", Cipher::kNull, Auth::kHmacSha1, 16, 14, 0, 20, 0, 4,
     10, 0},
};

const char* ParamName(uint8_t type) {
  switch (type) {
    case kEncrAlg:
      return "encryption algorithm";
    case kEncrKeyLen:
      return "session encryption key length";
    case kAuthAlg:
      return "authentication algorithm";
    case kAuthKeyLen:
      return "session authentication key length";
    case kSaltKeyLen:
      return "session salt key length";
    case kPrf:
      return "SRTP PRF";
    case kKeyDerivationRate:
      return "key derivation rate";
    case kSrtpEncr:
      return "SRTP encryption";
    case kSrtcpEncr:
      return "SRTCP encryption";
    case kFecOrder:
      return "FEC order";
    case kSrtpAuth:
      return "SRTP authentication";
    case kAuthTagLen:
      return "authentication tag length";
    case kSrtpPrefixLen:
      return "SRTP prefix length";
    case kAeadAuthTagLen:
      return "AEAD authentication tag length";
    default:
      return "parameter";
  }
}

// The parameter types SuiteFromPolicy interprets.
bool IsTracked(uint8_t type) {
  return type <= kSrtpPrefixLen || type == kAeadAuthTagLen;
}

std::string Where(uint8_t type, uint32_t value) {
  return absl::StrCat("SP parameter ", type, " (", ParamName(type),
                      ") = ", value);
}

absl::Status Invalid(uint8_t type, uint32_t value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(Where(type, value), ": ", why));
}

absl::Status Unsupported(uint8_t type, uint32_t value, absl::string_view why) {
  return absl::UnimplementedError(absl::StrCat(Where(type, value), ": ", why));
}

SrtpPolicyParam U8(uint8_t type, uint8_t v) { return {type, {v}}; }

bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

absl::Span<const CryptoSuite> AllSuites() { return kSuites; }

absl::StatusOr<const CryptoSuite*> FindSuite(absl::string_view name) {
  for (const CryptoSuite& s : kSuites) {
    if (s.name == name) return &s;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown SRTP crypto suite \"", name, "\""));
}

std::vector<SrtpPolicyParam> PolicyFromSuite(const SrtpPolicy& policy,
                                             SpDialect dialect) {
  std::vector<SrtpPolicyParam> out;
  const CryptoSuite* s = policy.suite;
  if (s == nullptr) return out;
  out.reserve(kMaxPolicyParams);
  const bool hmac = s->auth == Auth::kHmacSha1;
  switch (s->cipher) {
    case Cipher::kNull:
      out.push_back(U8(kEncrAlg, kEncrNull));
      break;
    case Cipher::kAesCm:
      out.push_back(U8(kEncrAlg, kEncrAesCm));
      out.push_back(
          U8(kEncrKeyLen, static_cast<uint8_t>(s->session_encr_key_length)));
      break;
    case Cipher::kAesGcm:
      out.push_back(U8(kEncrAlg, kEncrAesGcm));
      out.push_back(
          U8(kEncrKeyLen, static_cast<uint8_t>(s->session_encr_key_length)));
      break;
  }
  // AEAD: authentication is the cipher's; say NULL rather than leave the
  // HMAC-SHA-1 default standing.
  out.push_back(U8(kAuthAlg, hmac ? kAuthHmacSha1 : kAuthNull));
  if (hmac) {
    const bool tag_in_type3 =
        dialect == SpDialect::kTagLengthInAuthKeyLength ||
        (dialect == SpDialect::kInteropNull && s->srtp_auth_tag_length != 10);
    const size_t v =
        tag_in_type3 ? s->srtp_auth_tag_length : s->session_auth_key_length;
    out.push_back(U8(kAuthKeyLen, static_cast<uint8_t>(v)));
  }
  out.push_back(U8(kSaltKeyLen, static_cast<uint8_t>(s->master_salt_length)));
  out.push_back(U8(kPrf, 0));  // AES-CM PRF
  if (policy.key_derivation_rate != 0) {
    const uint32_t r = policy.key_derivation_rate;
    out.push_back(
        {kKeyDerivationRate,
         {static_cast<uint8_t>(r >> 24), static_cast<uint8_t>(r >> 16),
          static_cast<uint8_t>(r >> 8), static_cast<uint8_t>(r)}});
  }
  if (s->cipher != Cipher::kNull) {
    out.push_back(U8(kSrtpEncr, policy.srtp_encryption ? 1 : 0));
    out.push_back(U8(kSrtcpEncr, policy.srtcp_encryption ? 1 : 0));
  }
  if (hmac) {
    out.push_back(U8(kSrtpAuth, policy.srtp_authentication ? 1 : 0));
    out.push_back(
        U8(kAuthTagLen, static_cast<uint8_t>(s->srtp_auth_tag_length)));
  }
  if (s->cipher == Cipher::kAesGcm) {
    out.push_back(
        U8(kAeadAuthTagLen, static_cast<uint8_t>(s->aead_tag_length)));
  }
  return out;
}

std::vector<SrtpPolicyParam> PolicyFromSuite(const CryptoSuite& suite,
                                             SpDialect dialect) {
  SrtpPolicy p;
  p.suite = &suite;
  return PolicyFromSuite(p, dialect);
}

absl::StatusOr<SrtpPolicy> SuiteFromPolicy(
    absl::Span<const SrtpPolicyParam> params) {
  // Decode the known numeric parameters; later checks read them from here.
  std::array<std::optional<uint32_t>, kNumTracked> v;
  for (const SrtpPolicyParam& p : params) {
    if (!IsTracked(p.type)) {
      continue;  // Unknown or not ours (13 ROC rate, 18, 19, ...): ignored.
    }
    if (p.value.empty() || p.value.size() > 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SP parameter ", p.type, " (", ParamName(p.type), "): value of ",
          p.value.size(), " octets (expected 1 to 4)"));
    }
    if (v[p.type].has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SP parameter ", p.type, " (", ParamName(p.type), ") appears twice"));
    }
    uint32_t x = 0;
    for (uint8_t b : p.value) x = (x << 8) | b;
    v[p.type] = x;
  }
  auto get = [&](uint8_t type, uint32_t def) { return v[type].value_or(def); };

  SrtpPolicy policy;

  // Encryption algorithm and key length.
  const uint32_t encr = get(kEncrAlg, kEncrAesCm);
  Cipher cipher;
  switch (encr) {
    case kEncrNull:
      cipher = Cipher::kNull;
      break;
    case kEncrAesCm:
      cipher = Cipher::kAesCm;
      break;
    case kEncrAesGcm:
      cipher = Cipher::kAesGcm;
      break;
    case kEncrAesF8:
      return Unsupported(kEncrAlg, encr, "AES-F8 is not supported");
    default:
      return Unsupported(kEncrAlg, encr, "unknown encryption algorithm");
  }
  size_t key_len = 16;
  if (cipher != Cipher::kNull) {
    const uint32_t k = get(kEncrKeyLen, 16);
    if (k == 24) return Unsupported(kEncrKeyLen, k, "AES-192 is not supported");
    if (k != 16 && k != 32) return Invalid(kEncrKeyLen, k, "expected 16 or 32");
    key_len = k;
  }

  // Authentication. With AEAD the cipher authenticates: NULL, or the
  // HMAC-SHA-1 default left standing, are both read as "AEAD only".
  const uint32_t auth = get(kAuthAlg, kAuthHmacSha1);
  if (auth >= 2 && auth <= 4) {
    return Unsupported(kAuthAlg, auth,
                       "RCCm modes (RFC 4771) are not supported");
  }
  if (auth != kAuthNull && auth != kAuthHmacSha1) {
    return Unsupported(kAuthAlg, auth, "unknown authentication algorithm");
  }
  size_t tag_len = 0;
  if (cipher != Cipher::kAesGcm) {
    if (auth == kAuthNull) {
      return Unsupported(kAuthAlg, auth,
                         "SRTP without authentication is not supported");
    }
    // Type 3: 20 is the RFC value; 10 or 4 is the tag length as GStreamer
    // and gortsplib write it.
    std::optional<size_t> tag_from_auth_key_len;
    const uint32_t akl = get(kAuthKeyLen, 20);
    if (akl == 10 || akl == 4) {
      tag_from_auth_key_len = akl;
    } else if (akl != 20) {
      return Invalid(kAuthKeyLen, akl,
                     "expected 20 (or a tag length of 10 or 4)");
    }
    if (v[kAuthTagLen].has_value()) {
      const uint32_t t = *v[kAuthTagLen];
      if (t == 10 || t == 80) {
        tag_len = 10;  // 80: the same length in bits.
      } else if (t == 4 || t == 32) {
        tag_len = 4;
      } else {
        return Unsupported(kAuthTagLen, t, "expected 10 or 4 octets");
      }
    } else {
      tag_len = tag_from_auth_key_len.value_or(10);
    }
  }

  // Salt.
  const uint32_t salt_default = cipher == Cipher::kAesGcm ? 12 : 14;
  const uint32_t salt = get(kSaltKeyLen, salt_default);
  if (salt != salt_default) {
    return Invalid(kSaltKeyLen, salt,
                   absl::StrCat("expected ", salt_default, " for this cipher"));
  }

  const uint32_t prf = get(kPrf, 0);
  if (prf != 0)
    return Unsupported(kPrf, prf, "only the AES-CM PRF is supported");

  const uint32_t kdr = get(kKeyDerivationRate, 0);
  if (kdr != 0 && (!IsPowerOfTwo(kdr) || kdr > (1u << 24))) {
    return Invalid(kKeyDerivationRate, kdr,
                   "expected 0 or a power of 2 up to 2^24");
  }
  policy.key_derivation_rate = kdr;

  for (uint8_t flag : {kSrtpEncr, kSrtcpEncr, kSrtpAuth}) {
    const uint32_t f = get(flag, 1);
    if (f > 1) return Invalid(flag, f, "expected 0 (off) or 1 (on)");
  }
  policy.srtp_encryption = get(kSrtpEncr, 1) == 1;
  policy.srtcp_encryption = get(kSrtcpEncr, 1) == 1;
  policy.srtp_authentication = get(kSrtpAuth, 1) == 1;

  const uint32_t fec = get(kFecOrder, 0);
  if (fec != 0)
    return Unsupported(kFecOrder, fec, "only FEC-SRTP (0) is supported");
  const uint32_t prefix = get(kSrtpPrefixLen, 0);
  if (prefix != 0) {
    return Unsupported(kSrtpPrefixLen, prefix,
                       "an SRTP prefix is not supported");
  }

  if (cipher == Cipher::kAesGcm) {
    const uint32_t t = get(kAeadAuthTagLen, 16);
    if (t != 16) return Unsupported(kAeadAuthTagLen, t, "expected 16");
  }

  for (const CryptoSuite& s : kSuites) {
    if (s.cipher == cipher && s.master_key_length == key_len &&
        s.srtp_auth_tag_length == tag_len) {
      policy.suite = &s;
      return policy;
    }
  }
  return absl::InternalError("SP: no suite matches validated parameters");
}

}  // namespace srtp
}  // namespace mikey
