#include "core/pki/certificate.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "core/message/message.h"

namespace mikey {
namespace pki {
namespace {

constexpr char kFailurePayloadUrl[] = "type.mikey/pki.CertFailure";

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct Asn1TimeFree {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::string Asn1String(const ASN1_STRING* s) {
  if (s == nullptr) return "";
  const unsigned char* d = ASN1_STRING_get0_data(s);
  const int n = ASN1_STRING_length(s);
  if (d == nullptr || n <= 0) return "";
  return std::string(reinterpret_cast<const char*>(d), static_cast<size_t>(n));
}

// An ASN1_TIME as absl::Time (through its difference to the Unix epoch).
std::optional<absl::Time> ToTime(const ASN1_TIME* t) {
  std::unique_ptr<ASN1_TIME, Asn1TimeFree> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0, secs = 0;
  if (epoch == nullptr || t == nullptr ||
      ASN1_TIME_diff(&days, &secs, epoch.get(), t) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return absl::UnixEpoch() + absl::Hours(24) * days + absl::Seconds(secs);
}

// SHA-256 of the certificate's SubjectPublicKeyInfo, re-encoded from the
// parsed X509_PUBKEY (algorithm and key bits as the certificate carries
// them). Not i2d_PUBKEY of the decoded key: in OpenSSL 3 that builds an
// OSSL_ENCODER context per call, which costs about as much as an RSA-2048
// signature check. For an RSA key both encodings are the same octets
// (certificate_test checks the pin against RsaPublicKey::ToSpkiDer).
absl::StatusOr<Sha256Digest> SpkiDigestOf(X509* x) {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(x);
  uint8_t* der = nullptr;
  const int n = spki == nullptr ? 0 : i2d_X509_PUBKEY(spki, &der);
  if (n <= 0) {
    ERR_clear_error();
    return CertError(CertFailure::kMalformed,
                     "certificate: subject public key cannot be encoded");
  }
  Sha256Digest d = SpkiSha256(absl::MakeConstSpan(der, static_cast<size_t>(n)));
  OPENSSL_free(der);
  return d;
}

CertFailure FailureFromVerifyError(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertFailure::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertFailure::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return CertFailure::kUnknownSigner;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return CertFailure::kBadSignature;
    default:
      return CertFailure::kOther;
  }
}

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

}  // namespace

const char* CertFailureName(CertFailure f) {
  switch (f) {
    case CertFailure::kMalformed:
      return "malformed certificate";
    case CertFailure::kUnknownSigner:
      return "unknown signer";
    case CertFailure::kExpired:
      return "certificate expired";
    case CertFailure::kNotYetValid:
      return "certificate not yet valid";
    case CertFailure::kBadSignature:
      return "bad certificate signature";
    case CertFailure::kPinMismatch:
      return "pin mismatch";
    case CertFailure::kWrongKeyUsage:
      return "wrong key usage";
    case CertFailure::kIdentityMismatch:
      return "identity mismatch";
    case CertFailure::kOther:
      return "certificate chain error";
  }
  return "certificate error";
}

uint8_t MikeyErrorNo(CertFailure f) {
  return f == CertFailure::kIdentityMismatch ? error_no::kInvalidId
                                             : error_no::kInvalidCert;
}

absl::Status CertError(CertFailure failure, absl::string_view message) {
  absl::Status s = failure == CertFailure::kMalformed
                       ? absl::InvalidArgumentError(message)
                       : absl::FailedPreconditionError(absl::StrCat(
                             CertFailureName(failure), ": ", message));
  s.SetPayload(kFailurePayloadUrl,
               absl::Cord(std::string(1, static_cast<char>(failure))));
  return s;
}

std::optional<CertFailure> GetCertFailure(const absl::Status& status) {
  auto p = status.GetPayload(kFailurePayloadUrl);
  if (!p.has_value() || p->size() != 1) return std::nullopt;
  const int v = static_cast<unsigned char>(std::string(*p)[0]);
  if (v > static_cast<int>(CertFailure::kOther)) return std::nullopt;
  return static_cast<CertFailure>(v);
}

Sha256Digest SpkiSha256(absl::Span<const uint8_t> spki_der) {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_Digest(spki_der.data(), spki_der.size(), d.data(), &len, EVP_sha256(),
             nullptr);
  return d;
}

// ---------------------------------------------------------------------------
// Certificate

absl::StatusOr<Certificate> Certificate::FromDer(
    absl::Span<const uint8_t> der) {
  if (der.empty() || der.size() > static_cast<size_t>(INT_MAX)) {
    return CertError(CertFailure::kMalformed, "certificate: empty or too long");
  }
  const uint8_t* p = der.data();
  X509* raw = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (raw == nullptr) {
    ERR_clear_error();
    return CertError(CertFailure::kMalformed,
                     "certificate: not a valid DER X.509 certificate");
  }
  Certificate c;
  c.x509_ = std::shared_ptr<x509_st>(raw, X509Free());
  if (p != der.data() + der.size()) {
    return CertError(CertFailure::kMalformed,
                     absl::StrCat("certificate: ", der.data() + der.size() - p,
                                  " trailing octets after the DER structure"));
  }
  c.der_ = std::make_shared<const std::vector<uint8_t>>(der.begin(), der.end());
  absl::StatusOr<Sha256Digest> spki = SpkiDigestOf(raw);
  if (!spki.ok()) return spki.status();
  c.spki_sha256_ = *spki;

  std::optional<absl::Time> nb = ToTime(X509_get0_notBefore(raw));
  std::optional<absl::Time> na = ToTime(X509_get0_notAfter(raw));
  if (!nb || !na) {
    return CertError(CertFailure::kMalformed,
                     "certificate: unreadable validity period");
  }
  c.not_before_ = *nb;
  c.not_after_ = *na;

  // subjectAltName. A critical-but-unparseable extension is an error; an
  // absent one is fine.
  int crit = -1;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(raw, NID_subject_alt_name, &crit, nullptr)));
  if (names == nullptr && crit != -1) {
    ERR_clear_error();
    return CertError(CertFailure::kMalformed,
                     "certificate: unreadable subjectAltName extension");
  }
  if (names != nullptr) {
    const size_t n = static_cast<size_t>(sk_GENERAL_NAME_num(names.get()));
    for (size_t i = 0; i < n; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      switch (gn->type) {
        case GEN_URI:
          c.identities_.uris.push_back(
              Asn1String(gn->d.uniformResourceIdentifier));
          break;
        case GEN_EMAIL:
          c.identities_.emails.push_back(Asn1String(gn->d.rfc822Name));
          break;
        case GEN_DNS:
          c.identities_.dns_names.push_back(Asn1String(gn->d.dNSName));
          break;
        default:
          break;
      }
    }
  }
  X509_NAME* subject = X509_get_subject_name(raw);
  for (int i = -1; subject != nullptr;) {
    i = X509_NAME_get_index_by_NID(subject, NID_commonName, i);
    if (i < 0) break;
    X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    c.identities_.common_names.push_back(
        Asn1String(X509_NAME_ENTRY_get_data(e)));
  }
  ERR_clear_error();
  return c;
}

absl::StatusOr<RsaPublicKey> Certificate::rsa_public_key() const {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(X509_get_pubkey(x509_.get()));
  if (key == nullptr) {
    ERR_clear_error();
    return CertError(CertFailure::kMalformed,
                     "certificate: subject public key cannot be decoded");
  }
  absl::StatusOr<RsaPublicKey> pub = RsaPublicKey::FromEvpPkey(key.get());
  if (!pub.ok()) {
    return CertError(
        CertFailure::kMalformed,
        absl::StrCat("certificate ", Describe(), ": ", pub.status().message()));
  }
  return pub;
}

absl::Status Certificate::CheckKeyUsage(KeyUsage usage) const {
  const uint32_t ku = X509_get_key_usage(x509_.get());
  ERR_clear_error();
  if (ku == UINT32_MAX) return absl::OkStatus();  // no keyUsage extension
  const uint32_t need = usage == KeyUsage::kDigitalSignature
                            ? KU_DIGITAL_SIGNATURE
                            : KU_KEY_ENCIPHERMENT;
  if ((ku & need) != 0) return absl::OkStatus();
  return CertError(
      CertFailure::kWrongKeyUsage,
      absl::StrCat("certificate ", Describe(), " lacks keyUsage ",
                   usage == KeyUsage::kDigitalSignature ? "digitalSignature"
                                                        : "keyEncipherment"));
}

std::string Certificate::Describe() const {
  std::vector<std::string> parts;
  for (const std::string& cn : identities_.common_names) {
    parts.push_back(absl::StrCat("CN=", cn));
  }
  for (const std::string& u : identities_.uris) {
    parts.push_back(absl::StrCat("URI:", u));
  }
  for (const std::string& e : identities_.emails) {
    parts.push_back(absl::StrCat("email:", e));
  }
  for (const std::string& d : identities_.dns_names) {
    parts.push_back(absl::StrCat("DNS:", d));
  }
  if (parts.empty()) return "(no subject name)";
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

bool CertificateNamesId(const Certificate& cert, uint8_t id_type,
                        absl::Span<const uint8_t> id) {
  const std::string s(id.begin(), id.end());
  if (s.empty()) return false;
  const CertIdentities& ids = cert.identities();
  auto in = [](const std::vector<std::string>& v, const std::string& x,
               bool ignore_case) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& y) {
      return ignore_case ? EqualsIgnoreCase(x, y) : x == y;
    });
  };
  bool match = false;
  switch (id_type) {
    case id_type::kUri: {
      match = in(ids.uris, s, false);
      for (absl::string_view scheme : {"sip:", "sips:", "mailto:"}) {
        if (!match && absl::StartsWithIgnoreCase(s, scheme)) {
          match = in(ids.emails, s.substr(scheme.size()), true);
        }
      }
      break;
    }
    case id_type::kNai:
      match = in(ids.emails, s, true) || in(ids.uris, s, false);
      break;
    case id_type::kByteString:
      match = in(ids.uris, s, false) || in(ids.emails, s, true) ||
              in(ids.dns_names, s, true);
      break;
    default:
      return false;
  }
  if (match) return true;
  const bool no_san =
      ids.uris.empty() && ids.emails.empty() && ids.dns_names.empty();
  return no_san && in(ids.common_names, s, false);
}

// ---------------------------------------------------------------------------
// CertificateVerifier

struct CertificateVerifier::Remembered {
  absl::Mutex mu;
  // DER octets -> the parsed certificate.
  absl::flat_hash_map<std::string, Certificate> by_der ABSL_GUARDED_BY(mu);
};

CertificateVerifier::CertificateVerifier(TrustConfig config)
    : config_(std::move(config)), remembered_(std::make_shared<Remembered>()) {}

absl::StatusOr<Certificate> CertificateVerifier::ParseCertificate(
    absl::Span<const uint8_t> der) const {
  const absl::string_view key(reinterpret_cast<const char*>(der.data()),
                              der.size());
  {
    absl::MutexLock lock(&remembered_->mu);
    auto it = remembered_->by_der.find(key);
    if (it != remembered_->by_der.end()) return it->second;
  }
  return Certificate::FromDer(der);
}

void CertificateVerifier::Remember(absl::Span<const Certificate> chain) const {
  absl::MutexLock lock(&remembered_->mu);
  for (const Certificate& c : chain) {
    const std::vector<uint8_t>& der = c.der();
    std::string key(der.begin(), der.end());
    if (remembered_->by_der.contains(key)) continue;
    if (remembered_->by_der.size() >= kMaxRememberedCertificates) {
      remembered_->by_der.clear();
    }
    remembered_->by_der.emplace(std::move(key), c);
  }
}

absl::StatusOr<VerifiedPeer> CertificateVerifier::Verify(
    absl::Span<const Certificate> chain, absl::Time at, KeyUsage usage,
    size_t min_rsa_bits) const {
  if (chain.empty()) {
    return CertError(CertFailure::kUnknownSigner, "no certificate presented");
  }
  if (chain.size() - 1 > config_.max_chain_length) {
    return CertError(
        CertFailure::kOther,
        absl::StrCat(chain.size() - 1, " intermediate certificates (at most ",
                     config_.max_chain_length, " accepted)"));
  }
  const Certificate& leaf = chain.front();
  const bool have_anchors = !config_.trust_anchors.empty();
  const bool have_pins = !config_.pinned_spki_sha256.empty();
  if (!have_anchors && !have_pins) {
    return CertError(CertFailure::kUnknownSigner,
                     absl::StrCat("certificate ", leaf.Describe(),
                                  ": no trust anchor or pin is configured"));
  }
  auto pinned = [&](const Sha256Digest& d) {
    return std::find(config_.pinned_spki_sha256.begin(),
                     config_.pinned_spki_sha256.end(),
                     d) != config_.pinned_spki_sha256.end();
  };

  // The subject key: RSA, of acceptable size.
  absl::StatusOr<RsaPublicKey> key = leaf.rsa_public_key();
  if (!key.ok()) return key.status();
  if (key->modulus_bits() < min_rsa_bits) {
    return CertError(
        CertFailure::kMalformed,
        absl::StrCat("certificate ", leaf.Describe(), ": RSA key of ",
                     key->modulus_bits(), " bits (at least ", min_rsa_bits,
                     " required)"));
  }

  bool chain_verified = false;
  bool is_pinned = false;
  if (have_anchors) {
    std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
    std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
    std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
    if (store == nullptr || untrusted == nullptr || ctx == nullptr) {
      ERR_clear_error();
      return absl::InternalError("X.509 verification: out of memory");
    }
    for (const Certificate& a : config_.trust_anchors) {
      if (X509_STORE_add_cert(store.get(), a.x509()) != 1) {
        ERR_clear_error();  // duplicate anchors are harmless
      }
    }
    for (size_t i = 1; i < chain.size(); ++i) {
      if (sk_X509_push(untrusted.get(), chain[i].x509()) == 0) {
        ERR_clear_error();
        return absl::InternalError("X.509 verification: out of memory");
      }
    }
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.x509(),
                            untrusted.get()) != 1) {
      ERR_clear_error();
      return absl::InternalError("X509_STORE_CTX_init failed");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    // A configured intermediate (or the peer's own certificate) may serve as
    // an anchor.
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
    if (X509_verify_cert(ctx.get()) != 1) {
      const int err = X509_STORE_CTX_get_error(ctx.get());
      const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
      ERR_clear_error();
      return CertError(
          FailureFromVerifyError(err),
          absl::StrCat("certificate ", leaf.Describe(), ": chain verification ",
                       "failed at depth ", depth, ": ",
                       X509_verify_cert_error_string(err), " (at ",
                       absl::FormatTime(at), ")"));
    }
    chain_verified = true;
    if (have_pins) {
      STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
      const size_t n =
          verified == nullptr ? 0 : static_cast<size_t>(sk_X509_num(verified));
      for (size_t i = 0; i < n && !is_pinned; ++i) {
        absl::StatusOr<Sha256Digest> d =
            SpkiDigestOf(sk_X509_value(verified, i));
        if (d.ok() && pinned(*d)) is_pinned = true;
      }
    }
    if (have_pins && !is_pinned) {
      return CertError(
          CertFailure::kPinMismatch,
          absl::StrCat("certificate ", leaf.Describe(),
                       ": no SPKI of its verified chain is pinned"));
    }
  } else {
    // Pins only: the pinned key is the trust; the period still applies.
    if (!pinned(leaf.spki_sha256())) {
      return CertError(CertFailure::kPinMismatch,
                       absl::StrCat("certificate ", leaf.Describe(),
                                    ": its SPKI SHA-256 is not pinned"));
    }
    is_pinned = true;
    if (at < leaf.not_before()) {
      return CertError(
          CertFailure::kNotYetValid,
          absl::StrCat("certificate ", leaf.Describe(), " is valid from ",
                       absl::FormatTime(leaf.not_before()), ", checked at ",
                       absl::FormatTime(at)));
    }
    if (at > leaf.not_after()) {
      return CertError(
          CertFailure::kExpired,
          absl::StrCat("certificate ", leaf.Describe(), " expired at ",
                       absl::FormatTime(leaf.not_after()), ", checked at ",
                       absl::FormatTime(at)));
    }
  }
  if (absl::Status s = leaf.CheckKeyUsage(usage); !s.ok()) return s;
  Remember(chain);
  return VerifiedPeer{leaf, *std::move(key), chain_verified, is_pinned};
}

}  // namespace pki
}  // namespace mikey
