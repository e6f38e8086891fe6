#include <stdio.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/crypto/rsa.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/trust/certificates.h"
#include "service/trust/pem.h"
#include "service/trust/trust_store.h"

namespace mikey {
namespace service {
namespace trust {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<uint8_t> Der(const PemBlock& b) {
  return std::vector<uint8_t>(b.der.span().begin(), b.der.span().end());
}

// ---------------------------------------------------------------------------
// PEM.

TEST(PemTest, BlocksInOrderWithTextAround) {
  // "AAEC" is base64 of 00 01 02; "/w==" of ff; "3q2+7w==" of de ad be ef.
  const std::string text =
      "Certificate:\n    Data: ...\n"
      "-----BEGIN CERTIFICATE-----\r\nAAEC\r\n-----END CERTIFICATE-----\r\n"
      "between\n"
      "  -----BEGIN PRIVATE KEY-----\n /w\n == \n-----END PRIVATE KEY-----\n"
      "-----BEGIN X-----\n3q2+\n7w==\n-----END X-----";
  absl::StatusOr<std::vector<PemBlock>> b = ParsePem(text, "t");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 3u);
  EXPECT_EQ((*b)[0].label, "CERTIFICATE");
  EXPECT_EQ(Der((*b)[0]), (std::vector<uint8_t>{0x00, 0x01, 0x02}));
  EXPECT_EQ((*b)[1].label, "PRIVATE KEY");
  EXPECT_EQ(Der((*b)[1]), (std::vector<uint8_t>{0xff}));
  EXPECT_EQ((*b)[2].label, "X");
  EXPECT_EQ(Der((*b)[2]), (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  // No block: an empty list (the caller says what it expected).
  b = ParsePem("just text\n", "t");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
}

TEST(PemTest, Refusals) {
  struct Case {
    std::string text;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"-----BEGIN A-----\nAAEC\n", "has no END line"},
      {"-----BEGIN A-----\nAAEC\n-----END B-----\n", "does not match"},
      {"-----BEGIN A-----\nAA*C\n-----END A-----\n", "line 2"},
      {"-----BEGIN A-----\nAAE\n-----END A-----\n", "not valid base64"},
      {"-----BEGIN A-----\n-----END A-----\n", "empty"},
      {"-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END A-----\n",
       "headers"},
      {"-----BEGIN A-----\nAAEC\n-----BEGIN B-----\n", "not closed"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<PemBlock>> b = ParsePem(c.text, "f.pem");
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(b.status().message(), HasSubstr(c.what));
    EXPECT_THAT(b.status().message(), HasSubstr("f.pem"));
    // The contents are never echoed.
    EXPECT_THAT(b.status().message(), Not(HasSubstr("AAEC")));
  }
  std::string many;
  for (size_t i = 0; i <= kMaxPemBlocks; ++i) {
    many += "-----BEGIN A-----\nAAEC\n-----END A-----\n";
  }
  EXPECT_THAT(ParsePem(many, "f").status().message(),
              HasSubstr("more than 256 PEM blocks"));
}

// ---------------------------------------------------------------------------
// Certificates and keys.

std::string Pem(const std::string& label, absl::Span<const uint8_t> der) {
  return absl::StrCat(
      "-----BEGIN ", label, "-----\n",
      absl::Base64Escape(absl::string_view(
          reinterpret_cast<const char*>(der.data()), der.size())),
      "\n-----END ", label, "-----\n");
}

using pki::testing::CertSpec;
using pki::testing::Issued;

CertSpec Leaf(const std::string& cn, long serial) {
  CertSpec s;
  s.common_name = cn;
  s.san_uris = {"sip:" + cn + "@example.org"};
  s.serial = serial;
  return s;
}

// Two CAs, a leaf of each, and a self-signed leaf; made once.
struct Pki {
  Issued ca, other_ca, leaf, other_leaf, self_signed;
  static const Pki& Get() {
    static const Pki* p = new Pki();
    return *p;
  }

 private:
  Pki()
      : ca(*pki::testing::Issue(pki::testing::CaSpec("Trust Test CA"),
                                nullptr)),
        other_ca(
            *pki::testing::Issue(pki::testing::CaSpec("Other CA"), nullptr)),
        leaf(*pki::testing::Issue(Leaf("alice", 2), &ca)),
        other_leaf(*pki::testing::Issue(Leaf("bob", 3), &other_ca)),
        self_signed(*pki::testing::Issue(Leaf("carol", 4), nullptr)) {}
};

std::string CertPem(const pki::Certificate& c) {
  return Pem("CERTIFICATE", c.der());
}

std::string AsString(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

TEST(CertificatesTest, PemChainOrDer) {
  const Pki& p = Pki::Get();
  absl::StatusOr<std::vector<pki::Certificate>> c = ParseCertificates(
      CertPem(p.leaf.cert) + CertPem(p.ca.cert), "peer_certificate");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].der(), p.leaf.cert.der());
  EXPECT_EQ((*c)[1].der(), p.ca.cert.der());
  c = ParseCertificates(AsString(p.leaf.cert.der()), "peer_certificate");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].der(), p.leaf.cert.der());

  struct Case {
    std::string data;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"x", "nor a DER certificate"},
      {AsString(p.leaf.cert.der()) + "x", "nor a DER certificate"},
      {"-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n",
       "only CERTIFICATE blocks"},
      {"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
       "certificate 1"},
  };
  for (const Case& k : cases) {
    c = ParseCertificates(k.data, "peer_certificate");
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << k.what;
    EXPECT_THAT(c.status().message(), HasSubstr(k.what));
    EXPECT_THAT(c.status().message(), HasSubstr("peer_certificate"));
  }
  std::string long_chain;
  for (int i = 0; i < 3; ++i) long_chain += CertPem(p.leaf.cert);
  EXPECT_THAT(ParseCertificates(long_chain, "f", 2).status().message(),
              HasSubstr("more than 2 certificates"));
}

TEST(CertificatesTest, PrivateKeyPemOrDer) {
  const Pki& p = Pki::Get();
  absl::StatusOr<SecretBytes> der = p.leaf.key.ToPkcs8Der();
  ASSERT_TRUE(der.ok());
  absl::StatusOr<RsaPublicKey> want = p.leaf.cert.rsa_public_key();
  ASSERT_TRUE(want.ok());
  for (const std::string& form :
       {Pem("PRIVATE KEY", der->span()),
        std::string(der->span().begin(), der->span().end())}) {
    absl::StatusOr<RsaPrivateKey> k = ParsePrivateKey(form, "key");
    ASSERT_TRUE(k.ok()) << k.status();
    absl::StatusOr<RsaPublicKey> pub = k->PublicKey();
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(pub->Equals(*want));
  }
  const std::string two =
      Pem("PRIVATE KEY", der->span()) + Pem("PRIVATE KEY", der->span());
  EXPECT_THAT(ParsePrivateKey(two, "key").status().message(),
              HasSubstr("2 PEM blocks"));
  EXPECT_THAT(ParsePrivateKey("", "key").status().message(),
              HasSubstr("empty"));
  EXPECT_THAT(ParsePrivateKey(CertPem(p.leaf.cert), "key").status().message(),
              HasSubstr("expected PRIVATE KEY"));
}

// ---------------------------------------------------------------------------
// Pins.

TEST(PinTest, Base64AndHexForms) {
  const Pki& p = Pki::Get();
  const pki::Sha256Digest& d = p.leaf.cert.spki_sha256();
  const std::string raw(d.begin(), d.end());
  absl::StatusOr<pki::Sha256Digest> b64 =
      ParseSpkiPin("sha256/" + absl::Base64Escape(raw), "pins[0]");
  ASSERT_TRUE(b64.ok()) << b64.status();
  EXPECT_EQ(*b64, d);
  absl::StatusOr<pki::Sha256Digest> hex =
      ParseSpkiPin(absl::BytesToHexString(raw), "pins[0]");
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(*hex, d);
  hex = ParseSpkiPin(absl::AsciiStrToUpper(absl::BytesToHexString(raw)), "p");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, d);
  // A known value: 32 octets 00..1f.
  hex = ParseSpkiPin(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "p");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ((*hex)[0], 0x00);
  EXPECT_EQ((*hex)[31], 0x1f);
  for (const std::string& bad :
       {std::string(""), std::string("sha256/"), std::string("sha256/AAEC"),
        std::string("sha1/") + absl::Base64Escape(raw), std::string(63, 'a'),
        std::string(64, 'g'), "sha256/" + absl::Base64Escape(raw) + "!"}) {
    absl::StatusOr<pki::Sha256Digest> r = ParseSpkiPin(bad, "trust.pins[3]");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("trust.pins[3]"));
  }
}

// ---------------------------------------------------------------------------
// TrustStore.

std::string TmpFile(const std::string& name, const std::string& content) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "_", getpid());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  EXPECT_TRUE(f.good());
  return path;
}

std::string PinOf(const pki::Certificate& c) {
  const pki::Sha256Digest& d = c.spki_sha256();
  return "sha256/" + absl::Base64Escape(std::string(d.begin(), d.end()));
}

absl::Status VerifyWith(const TrustStore& t, const std::string& key_id,
                        const Issued& peer) {
  return t.ForKey(key_id)
      .Verify(absl::MakeConstSpan(&peer.cert, 1), pki::testing::TestNow(),
              pki::KeyUsage::kDigitalSignature)
      .status();
}

TEST(TrustStoreTest, GlobalAndPerKey) {
  const Pki& p = Pki::Get();
  TrustOptions o;
  o.global.ca_files = {TmpFile("ca.pem", CertPem(p.ca.cert))};
  o.global.pins = {PinOf(p.self_signed.cert)};
  // "bob-only": trusts the other CA's leaf by CA, nothing else.
  o.per_key["bob-only"].ca_files = {
      TmpFile("other_ca.pem", "# other\n" + CertPem(p.other_ca.cert))};
  // "pinned": the self-signed peer by pin only.
  o.per_key["pinned"].pins = {PinOf(p.self_signed.cert)};
  absl::StatusOr<std::unique_ptr<TrustStore>> t = TrustStore::Load(o);
  ASSERT_TRUE(t.ok()) << t.status();

  // Global: anchors and pins together mean chain AND pin (core/pki), so the
  // CA's leaf (not pinned) is refused and so is the self-signed one (no
  // chain).
  EXPECT_EQ(VerifyWith(**t, "any", p.leaf).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*t)->HasTrustFor("any"));
  // Per key: replaces the global set.
  EXPECT_TRUE(VerifyWith(**t, "bob-only", p.other_leaf).ok());
  EXPECT_EQ(VerifyWith(**t, "bob-only", p.leaf).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(VerifyWith(**t, "pinned", p.self_signed).ok());
  EXPECT_EQ(VerifyWith(**t, "pinned", p.leaf).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*t)->Describe(), HasSubstr("1 trust anchor(s), 1 pin(s)"));
  EXPECT_THAT((*t)->Describe(), HasSubstr("2 key id(s)"));
}

TEST(TrustStoreTest, AnchorsOnlyAndNothing) {
  const Pki& p = Pki::Get();
  TrustOptions o;
  o.global.ca_files = {TmpFile(
      "two_cas.pem", CertPem(p.ca.cert) + "\n" + CertPem(p.other_ca.cert))};
  absl::StatusOr<std::unique_ptr<TrustStore>> t = TrustStore::Load(o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(VerifyWith(**t, "k", p.leaf).ok());
  EXPECT_TRUE(VerifyWith(**t, "k", p.other_leaf).ok());
  EXPECT_EQ(VerifyWith(**t, "k", p.self_signed).code(),
            absl::StatusCode::kFailedPrecondition);

  // Nothing configured: nothing trusted.
  absl::StatusOr<std::unique_ptr<TrustStore>> none =
      TrustStore::Load(TrustOptions());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)->HasTrustFor("k"));
  EXPECT_EQ(VerifyWith(**none, "k", p.leaf).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*none)->Describe(), HasSubstr("nothing trusted"));
}

TEST(TrustStoreTest, LoadErrorsNameTheField) {
  const Pki& p = Pki::Get();
  const std::string good = TmpFile("good_ca.pem", CertPem(p.ca.cert));
  struct Case {
    TrustOptions options;
    absl::StatusCode code;
    const char* what;
  };
  std::vector<Case> cases;
  {
    TrustOptions o;
    o.global.ca_files = {good, "/nonexistent/ca.pem"};
    cases.push_back(
        {o, absl::StatusCode::kFailedPrecondition, "trust.ca_files[1]: "});
  }
  {
    TrustOptions o;
    o.global.ca_files = {TmpFile("not_pem.pem", "hello\n")};
    cases.push_back(
        {o, absl::StatusCode::kInvalidArgument, "trust.ca_files[0]: "});
  }
  {
    TrustOptions o;
    o.global.ca_files = {""};
    cases.push_back(
        {o, absl::StatusCode::kInvalidArgument, "trust.ca_files[0]: empty"});
  }
  {
    TrustOptions o;
    o.global.pins = {PinOf(p.leaf.cert), "nope"};
    cases.push_back({o, absl::StatusCode::kInvalidArgument, "trust.pins[1]"});
  }
  {
    TrustOptions o;
    o.per_key["cam-1"].pins = {"sha256/AAEC"};
    cases.push_back({o, absl::StatusCode::kInvalidArgument,
                     "trust.per_key['cam-1'].pins[0]"});
  }
  {
    TrustOptions o;
    o.per_key["cam-1"];
    cases.push_back({o, absl::StatusCode::kInvalidArgument,
                     "trust.per_key['cam-1']: neither ca_files nor pins"});
  }
  {
    TrustOptions o;
    o.per_key["bad id"].ca_files = {good};
    cases.push_back({o, absl::StatusCode::kInvalidArgument,
                     "trust.per_key['bad id']: not a key id"});
  }
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<TrustStore>> t = TrustStore::Load(c.options);
    EXPECT_EQ(t.status().code(), c.code) << c.what << ": " << t.status();
    EXPECT_THAT(t.status().message(), HasSubstr(c.what));
  }
}

}  // namespace
}  // namespace trust
}  // namespace service
}  // namespace mikey
