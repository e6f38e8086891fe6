// FOR TESTS ONLY: issues throw-away RSA keys and X.509 certificates at test
// time (nothing private is committed), on the X509 API that OpenSSL 3 and
// BoringSSL share. Validity periods are absolute times, so tests that verify
// "at" a given time do not depend on the real clock.

#ifndef MIKEY_CORE_PKI_TESTING_TEST_PKI_H_
#define MIKEY_CORE_PKI_TESTING_TEST_PKI_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/crypto/rsa.h"
#include "core/pki/certificate.h"

namespace mikey {
namespace pki {
namespace testing {

// A fixed "now" for tests: 2030-06-01 12:00:00 UTC.
absl::Time TestNow();

struct CertSpec {
  std::string common_name = "test";
  std::vector<std::string> san_uris;
  std::vector<std::string> san_emails;
  std::vector<std::string> san_dns;
  absl::Time not_before = TestNow() - absl::Hours(24 * 30);
  absl::Time not_after = TestNow() + absl::Hours(24 * 365);
  bool is_ca = false;
  // keyUsage bits to set; none of them set = no keyUsage extension.
  bool digital_signature = true;
  bool key_encipherment = true;
  bool key_cert_sign = false;  // implied for is_ca
  long serial = 1;
};

struct Issued {
  RsaPrivateKey key;
  Certificate cert;
};

// A key of `bits` and a certificate for it, signed by `issuer` (or
// self-signed when null) with SHA-256.
absl::StatusOr<Issued> Issue(const CertSpec& spec, const Issued* issuer,
                             size_t bits = 2048);

// Like Issue() but for an existing key (the certificate is signed by
// `issuer`, or self-signed with `key`).
absl::StatusOr<Certificate> IssueFor(const RsaPrivateKey& key,
                                     const CertSpec& spec,
                                     const Issued* issuer);

// A CA spec: self-signed, CA:TRUE, keyCertSign, long validity.
CertSpec CaSpec(const std::string& name);

}  // namespace testing
}  // namespace pki
}  // namespace mikey

#endif  // MIKEY_CORE_PKI_TESTING_TEST_PKI_H_
