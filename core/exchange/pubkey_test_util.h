// FOR TESTS ONLY: a small PKI (one CA, an Initiator and a Responder) and
// helpers shared by pk_test and rsa_r_test.

#ifndef MIKEY_CORE_EXCHANGE_PUBKEY_TEST_UTIL_H_
#define MIKEY_CORE_EXCHANGE_PUBKEY_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/exchange/pk.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/srtp/suite.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace testing {

using pki::testing::CertSpec;
using pki::testing::Issued;

// Keys are generated once per test binary (2048-bit generation is slow).
struct TestPki {
  Issued ca, alice, bob, other_ca, mallory;
  std::unique_ptr<pki::CertificateVerifier> verifier;

  static const TestPki& Get() {
    static const TestPki* pki = new TestPki();
    return *pki;
  }

  static CertSpec Leaf(const std::string& cn, const std::string& uri,
                       long serial) {
    CertSpec s;
    s.common_name = cn;
    s.san_uris = {uri};
    s.serial = serial;
    return s;
  }

 private:
  TestPki()
      : ca(*pki::testing::Issue(pki::testing::CaSpec("Test CA"), nullptr)),
        alice(*pki::testing::Issue(Leaf("alice", "sip:alice@example.com", 2),
                                   &ca)),
        bob(*pki::testing::Issue(Leaf("bob", "sip:bob@example.com", 3), &ca)),
        other_ca(
            *pki::testing::Issue(pki::testing::CaSpec("Other CA"), nullptr)),
        mallory(*pki::testing::Issue(
            Leaf("mallory", "sip:alice@example.com", 4), &other_ca)) {
    pki::TrustConfig tc;
    tc.trust_anchors = {ca.cert};
    verifier = std::make_unique<pki::CertificateVerifier>(tc);
  }
};

inline const srtp::CryptoSuite* Suite(const char* name) {
  return *srtp::FindSuite(name);
}

inline PskStreamSpec Stream(const char* suite, uint32_t ssrc) {
  PskStreamSpec s;
  s.ssrc = ssrc;
  s.policy.suite = Suite(suite);
  return s;
}

inline IdPayload Uri(const std::string& s) {
  return IdPayload{id_type::kUri, Bytes(s.begin(), s.end())};
}

inline std::string TmpDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

inline void WriteFile(const std::string& path, absl::Span<const uint8_t> data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), data.size());
}

// Verifies with the openssl CLI that the message's last `sig_len` octets are
// a signature of everything before them, followed by `suffix`, by `key`
// (SHA-256; PSS when asked).
inline int OpenSslVerifyTrailingSignature(
    absl::Span<const uint8_t> wire, size_t sig_len, const RsaPublicKey& key,
    bool pss, const std::string& tag, absl::Span<const uint8_t> suffix = {}) {
  const std::string dir = TmpDir();
  const std::string data = absl::StrCat(dir, "/", tag, ".signed");
  const std::string sig = absl::StrCat(dir, "/", tag, ".sig");
  const std::string pub = absl::StrCat(dir, "/", tag, ".pub.der");
  Bytes signed_data(wire.begin(), wire.end() - sig_len);
  signed_data.insert(signed_data.end(), suffix.begin(), suffix.end());
  WriteFile(data, signed_data);
  WriteFile(sig, wire.last(sig_len));
  WriteFile(pub, *key.ToSpkiDer());
  const std::string cmd = absl::StrCat(
      "openssl dgst -sha256 -keyform DER -verify ", pub,
      pss ? " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" : "",
      " -signature ", sig, " ", data, " >/dev/null 2>&1");
  return std::system(cmd.c_str());
}

inline void ExpectSameKeys(const KeyResult& a, const KeyResult& b) {
  ASSERT_EQ(a.streams.size(), b.streams.size());
  EXPECT_EQ(a.csb_id, b.csb_id);
  for (size_t i = 0; i < a.streams.size(); ++i) {
    EXPECT_EQ(a.streams[i].ssrc, b.streams[i].ssrc);
    EXPECT_EQ(a.streams[i].cs_id, b.streams[i].cs_id);
    EXPECT_EQ(a.streams[i].suite, b.streams[i].suite);
    EXPECT_EQ(a.streams[i].master_key, b.streams[i].master_key);
    EXPECT_EQ(a.streams[i].master_salt, b.streams[i].master_salt);
    EXPECT_EQ(a.streams[i].mki, b.streams[i].mki);
    EXPECT_EQ(a.streams[i].master_key.size(),
              a.streams[i].suite->master_key_length);
  }
}

}  // namespace testing
}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_PUBKEY_TEST_UTIL_H_
