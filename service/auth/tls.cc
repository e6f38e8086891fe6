#include "service/auth/tls.h"

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "openssl/bio.h"
#include "openssl/crypto.h"
#include "openssl/err.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "service/json_proto.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Wipes a string holding key material when it goes out of scope.
class WipedString {
 public:
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  ~WipedString() {
    if (!s_.empty()) OPENSSL_cleanse(&s_[0], s_.size());
  }
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

absl::Status FieldError(absl::StatusCode code, absl::string_view field,
                        absl::string_view path, absl::string_view what) {
  return absl::Status(code, absl::StrCat(field, ": ", path, ": ", what));
}

absl::StatusOr<std::string> ReadField(absl::string_view field,
                                      const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  absl::StatusOr<std::string> data = ReadSmallFile(path);
  if (!data.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", data.status().message()));
  }
  return data;
}

// Every certificate in a PEM text, in order.
std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return certs;
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the read that ended the loop failed with "no start
                      // line"
  return certs;
}

// X509 time -> absl::Time.
absl::Time AsTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<TlsCredentials> LoadTlsCredentials(const TlsFiles& files,
                                                  absl::Time now) {
  TlsCredentials out;
  absl::StatusOr<std::string> cert_pem =
      ReadField("tls.cert_file", files.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_read =
      ReadField("tls.key_file", files.key_file);
  if (!key_read.ok()) return key_read.status();
  const WipedString key_pem(std::move(*key_read));

  std::vector<X509Ptr> chain = ReadCertificates(*cert_pem);
  if (chain.empty()) {
    return FieldError(absl::StatusCode::kInvalidArgument, "tls.cert_file",
                      files.cert_file, "no PEM certificate in it");
  }
  PkeyPtr key;
  {
    BioPtr bio(BIO_new_mem_buf(key_pem.get().data(),
                               static_cast<int>(key_pem.get().size())));
    // An empty passphrase callback: encrypted keys fail instead of prompting.
    key.reset(PEM_read_bio_PrivateKey(
        bio.get(), nullptr, [](char*, int, int, void*) -> int { return 0; },
        nullptr));
    ERR_clear_error();
  }
  if (key == nullptr) {
    return FieldError(absl::StatusCode::kInvalidArgument, "tls.key_file",
                      files.key_file, "no unencrypted PEM private key in it");
  }
  if (X509_check_private_key(chain[0].get(), key.get()) != 1) {
    ERR_clear_error();
    return FieldError(
        absl::StatusCode::kInvalidArgument, "tls.key_file", files.key_file,
        absl::StrCat("is not the key of the certificate in ", files.cert_file));
  }
  const absl::Time not_before = AsTime(X509_get0_notBefore(chain[0].get()));
  const absl::Time not_after = AsTime(X509_get0_notAfter(chain[0].get()));
  if (now > not_after) {
    out.warnings.push_back(absl::StrCat(
        "tls.cert_file: ", files.cert_file, ": the certificate expired at ",
        absl::FormatTime(not_after), "; clients will refuse it"));
  } else if (now < not_before) {
    out.warnings.push_back(
        absl::StrCat("tls.cert_file: ", files.cert_file,
                     ": the certificate is not valid before ",
                     absl::FormatTime(not_before), "; clients will refuse it"));
  }
  struct stat st {};
  if (::stat(files.key_file.c_str(), &st) == 0 && (st.st_mode & 0044) != 0) {
    out.warnings.push_back(absl::StrCat("tls.key_file: ", files.key_file,
                                        ": readable by group or others"));
  }

  std::string ca_pem;
  if (!files.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca =
        ReadField("tls.client_ca_file", files.client_ca_file);
    if (!ca.ok()) return ca.status();
    if (ReadCertificates(*ca).empty()) {
      return FieldError(absl::StatusCode::kInvalidArgument,
                        "tls.client_ca_file", files.client_ca_file,
                        "no PEM certificate in it");
    }
    ca_pem = std::move(*ca);
  } else if (files.require_client_cert) {
    return absl::InvalidArgumentError(
        "tls.require_client_cert: needs tls.client_ca_file (the CA client "
        "certificates are verified against)");
  }

  grpc_ssl_client_certificate_request_type request_type =
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  if (files.require_client_cert) {
    request_type = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    out.description =
        "TLS with client certificates required (mutual TLS), verified against "
        "tls.client_ca_file";
  } else if (!ca_pem.empty()) {
    request_type = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    out.description =
        "TLS; client certificates optional, verified against "
        "tls.client_ca_file when presented";
  } else {
    out.description =
        "TLS, server authentication only (no client certificates: every "
        "caller is \"anonymous\")";
  }
  grpc::SslServerCredentialsOptions options(request_type);
  options.pem_root_certs = ca_pem;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  pair.private_key = key_pem.get();
  pair.cert_chain = *cert_pem;
  options.pem_key_cert_pairs.push_back(pair);
  out.credentials = grpc::SslServerCredentials(options);
  OPENSSL_cleanse(&options.pem_key_cert_pairs[0].private_key[0],
                  options.pem_key_cert_pairs[0].private_key.size());
  OPENSSL_cleanse(&pair.private_key[0], pair.private_key.size());
  if (out.credentials == nullptr) {
    return absl::InternalError("tls: gRPC did not accept the credentials");
  }
  return out;
}

}  // namespace auth
}  // namespace service
}  // namespace mikey
