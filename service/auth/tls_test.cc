#include "service/auth/tls.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "openssl/bio.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

// Keys and certificates are made here, at test time (nothing committed).
std::string KeyPem(EVP_PKEY* key, bool encrypted = false) {
  BIO* bio = BIO_new(BIO_s_mem());
  char password[] = "password";
  PEM_write_bio_PrivateKey(
      bio, key, encrypted ? EVP_aes_128_cbc() : nullptr,
      encrypted ? reinterpret_cast<unsigned char*>(password) : nullptr,
      encrypted ? 8 : 0, nullptr, nullptr);
  char* data;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string CertPem(EVP_PKEY* key, const char* cn, long not_before_s,
                    long not_after_s) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1,
                             0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(x);
  return out;
}

std::string Write(const std::string& name, const std::string& content,
                  mode_t mode = 0600) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = EVP_EC_gen("P-256");
    other_key_ = EVP_EC_gen("P-256");
    ASSERT_NE(key_, nullptr);
    cert_ = Write("server.pem", CertPem(key_, "server", -60, 86400));
    key_file_ = Write("server.key", KeyPem(key_));
    ca_ = Write("ca.pem", CertPem(other_key_, "ca", -60, 86400));
  }
  void TearDown() override {
    EVP_PKEY_free(key_);
    EVP_PKEY_free(other_key_);
  }

  void ExpectError(const TlsFiles& files, absl::StatusCode code,
                   std::initializer_list<absl::string_view> parts) {
    absl::StatusOr<TlsCredentials> c = LoadTlsCredentials(files, absl::Now());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), code) << c.status();
    for (absl::string_view part : parts) {
      EXPECT_NE(c.status().message().find(part), absl::string_view::npos)
          << "'" << part << "' not in: " << c.status().message();
    }
  }

  EVP_PKEY* key_ = nullptr;
  EVP_PKEY* other_key_ = nullptr;
  std::string cert_, key_file_, ca_;
};

TEST_F(TlsTest, ServerOnly) {
  absl::StatusOr<TlsCredentials> c =
      LoadTlsCredentials({cert_, key_file_, "", false}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(c->credentials, nullptr);
  EXPECT_TRUE(c->warnings.empty());
  EXPECT_NE(c->description.find("server authentication only"),
            std::string::npos);
}

TEST_F(TlsTest, OptionalAndRequiredClientCertificates) {
  absl::StatusOr<TlsCredentials> c =
      LoadTlsCredentials({cert_, key_file_, ca_, false}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(c->description.find("optional"), std::string::npos);
  c = LoadTlsCredentials({cert_, key_file_, ca_, true}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(c->description.find("mutual TLS"), std::string::npos);
}

TEST_F(TlsTest, MissingAndUnreadableFiles) {
  ExpectError({"", key_file_, "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.cert_file: required"});
  ExpectError({cert_, "", "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.key_file: required"});
  ExpectError({"/nonexistent/c.pem", key_file_, "", false},
              absl::StatusCode::kFailedPrecondition,
              {"tls.cert_file: /nonexistent/c.pem: cannot read"});
  ExpectError({cert_, "/nonexistent/k.pem", "", false},
              absl::StatusCode::kFailedPrecondition,
              {"tls.key_file: /nonexistent/k.pem: cannot read"});
  ExpectError({cert_, key_file_, "/nonexistent/ca.pem", true},
              absl::StatusCode::kFailedPrecondition,
              {"tls.client_ca_file: /nonexistent/ca.pem: cannot read"});
}

TEST_F(TlsTest, WrongContents) {
  const std::string junk = Write("junk.pem", "not a certificate\n");
  ExpectError({junk, key_file_, "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.cert_file: ", "no PEM certificate"});
  // The files swapped.
  ExpectError({key_file_, cert_, "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.cert_file: ", "no PEM certificate"});
  ExpectError({cert_, cert_, "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.key_file: ", "no unencrypted PEM private key"});
  const std::string encrypted = Write("enc.key", KeyPem(key_, true));
  ExpectError({cert_, encrypted, "", false}, absl::StatusCode::kInvalidArgument,
              {"tls.key_file: ", "no unencrypted PEM private key"});
  const std::string other = Write("other.key", KeyPem(other_key_));
  ExpectError(
      {cert_, other, "", false}, absl::StatusCode::kInvalidArgument,
      {"tls.key_file: ", "is not the key of the certificate in", cert_});
  ExpectError({cert_, key_file_, junk, false},
              absl::StatusCode::kInvalidArgument,
              {"tls.client_ca_file: ", "no PEM certificate"});
  ExpectError({cert_, key_file_, "", true}, absl::StatusCode::kInvalidArgument,
              {"tls.require_client_cert: needs tls.client_ca_file"});
}

TEST_F(TlsTest, Warnings) {
  const std::string expired =
      Write("expired.pem", CertPem(key_, "server", -86400, -3600));
  absl::StatusOr<TlsCredentials> c =
      LoadTlsCredentials({expired, key_file_, "", false}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("expired"), std::string::npos);

  const std::string future =
      Write("future.pem", CertPem(key_, "server", 86400, 2 * 86400));
  c = LoadTlsCredentials({future, key_file_, "", false}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("not valid before"), std::string::npos);

  const std::string readable = Write("readable.key", KeyPem(key_), 0644);
  c = LoadTlsCredentials({cert_, readable, "", false}, absl::Now());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("readable by group or others"),
            std::string::npos);
}

}  // namespace
}  // namespace auth
}  // namespace service
}  // namespace mikey
