#include "core/pki/testing/test_pki.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mikey {
namespace pki {
namespace testing {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};

absl::Status Fail(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("test PKI: ", what));
}

absl::Status AddExt(X509* subject, X509* issuer, int nid,
                    const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return Fail(absl::StrCat("extension ", value));
  const int ok = X509_add_ext(subject, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return Fail("X509_add_ext");
  return absl::OkStatus();
}

}  // namespace

absl::Time TestNow() {
  return absl::FromCivil(absl::CivilSecond(2030, 6, 1, 12, 0, 0),
                         absl::UTCTimeZone());
}

CertSpec CaSpec(const std::string& name) {
  CertSpec s;
  s.common_name = name;
  s.is_ca = true;
  s.digital_signature = false;
  s.key_encipherment = false;
  s.key_cert_sign = true;
  s.not_before = TestNow() - absl::Hours(24 * 365);
  s.not_after = TestNow() + absl::Hours(24 * 365 * 5);
  return s;
}

absl::StatusOr<Certificate> IssueFor(const RsaPrivateKey& key,
                                     const CertSpec& spec,
                                     const Issued* issuer) {
  std::unique_ptr<X509, X509Free> x(X509_new());
  if (x == nullptr) return Fail("X509_new");
  if (X509_set_version(x.get(), 2) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(x.get()), spec.serial) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()),
                    absl::ToTimeT(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()),
                    absl::ToTimeT(spec.not_after)) == nullptr ||
      X509_set_pubkey(x.get(), key.evp_pkey()) != 1) {
    return Fail("certificate fields");
  }
  X509_NAME* name = X509_get_subject_name(x.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
          -1, 0) != 1) {
    return Fail("subject name");
  }
  X509* issuer_x509 = issuer != nullptr ? issuer->cert.x509() : x.get();
  if (X509_set_issuer_name(x.get(), X509_get_subject_name(issuer_x509)) != 1) {
    return Fail("issuer name");
  }
  absl::Status s = AddExt(x.get(), issuer_x509, NID_basic_constraints,
                          spec.is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (!s.ok()) return s;
  std::vector<std::string> ku;
  if (spec.digital_signature) ku.push_back("digitalSignature");
  if (spec.key_encipherment) ku.push_back("keyEncipherment");
  if (spec.key_cert_sign || spec.is_ca) ku.push_back("keyCertSign");
  if (!ku.empty()) {
    s = AddExt(x.get(), issuer_x509, NID_key_usage,
               absl::StrCat("critical,", absl::StrJoin(ku, ",")));
    if (!s.ok()) return s;
  }
  std::vector<std::string> san;
  for (const std::string& u : spec.san_uris) san.push_back("URI:" + u);
  for (const std::string& e : spec.san_emails) san.push_back("email:" + e);
  for (const std::string& d : spec.san_dns) san.push_back("DNS:" + d);
  if (!san.empty()) {
    s = AddExt(x.get(), issuer_x509, NID_subject_alt_name,
               absl::StrJoin(san, ","));
    if (!s.ok()) return s;
  }
  EVP_PKEY* signer =
      issuer != nullptr ? issuer->key.evp_pkey() : key.evp_pkey();
  if (X509_sign(x.get(), signer, EVP_sha256()) <= 0) return Fail("X509_sign");
  uint8_t* der = nullptr;
  const int n = i2d_X509(x.get(), &der);
  if (n <= 0) return Fail("i2d_X509");
  absl::StatusOr<Certificate> cert =
      Certificate::FromDer(absl::MakeConstSpan(der, static_cast<size_t>(n)));
  OPENSSL_free(der);
  return cert;
}

absl::StatusOr<Issued> Issue(const CertSpec& spec, const Issued* issuer,
                             size_t bits) {
  absl::StatusOr<RsaPrivateKey> key = RsaPrivateKey::Generate(bits);
  if (!key.ok()) return key.status();
  absl::StatusOr<Certificate> cert = IssueFor(*key, spec, issuer);
  if (!cert.ok()) return cert.status();
  return Issued{*std::move(key), *std::move(cert)};
}

}  // namespace testing
}  // namespace pki
}  // namespace mikey
