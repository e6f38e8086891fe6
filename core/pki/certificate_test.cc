#include "core/pki/certificate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/rsa.h"
#include "core/message/message.h"
#include "core/pki/testing/test_pki.h"
#include "gtest/gtest.h"

namespace mikey {
namespace pki {
namespace {

using testing::CaSpec;
using testing::CertSpec;
using testing::Issue;
using testing::Issued;
using testing::TestNow;

struct Pki {
  Issued root = *Issue(CaSpec("Root"), nullptr);
  Issued inter = *Issue(
      [] {
        CertSpec s = CaSpec("Intermediate");
        s.serial = 2;
        return s;
      }(),
      &root);
  Issued leaf = *Issue(
      [] {
        CertSpec s;
        s.common_name = "device-17";
        s.san_uris = {"sip:cam17@studio.example"};
        s.san_emails = {"Cam17@Studio.Example"};
        s.san_dns = {"cam17.studio.example"};
        s.serial = 3;
        return s;
      }(),
      &inter);
  static const Pki& Get() {
    static const Pki* p = new Pki();
    return *p;
  }
};

CertificateVerifier Anchored(const Certificate& anchor) {
  TrustConfig tc;
  tc.trust_anchors = {anchor};
  return CertificateVerifier(tc);
}

TEST(CertificateTest, ParsesIdentitiesAndPin) {
  const Pki& p = Pki::Get();
  const CertIdentities& ids = p.leaf.cert.identities();
  EXPECT_EQ(ids.uris, std::vector<std::string>{"sip:cam17@studio.example"});
  EXPECT_EQ(ids.emails, std::vector<std::string>{"Cam17@Studio.Example"});
  EXPECT_EQ(ids.dns_names, std::vector<std::string>{"cam17.studio.example"});
  EXPECT_EQ(ids.common_names, std::vector<std::string>{"device-17"});
  // The pin is SHA-256 over the DER SPKI of the key the cert was issued for.
  EXPECT_EQ(p.leaf.cert.spki_sha256(),
            SpkiSha256(*p.leaf.key.PublicKey()->ToSpkiDer()));
  EXPECT_NE(p.leaf.cert.spki_sha256(), p.inter.cert.spki_sha256());
  EXPECT_TRUE(p.leaf.cert.rsa_public_key()->Equals(*p.leaf.key.PublicKey()));
  EXPECT_LT(p.leaf.cert.not_before(), TestNow());
  EXPECT_GT(p.leaf.cert.not_after(), TestNow());
  absl::StatusOr<Certificate> again = Certificate::FromDer(p.leaf.cert.der());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->der(), p.leaf.cert.der());
}

TEST(CertificateTest, MalformedDer) {
  const Pki& p = Pki::Get();
  Bytes der = p.leaf.cert.der();
  der.push_back(0);
  absl::StatusOr<Certificate> c = Certificate::FromDer(der);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetCertFailure(c.status()), CertFailure::kMalformed);
  EXPECT_FALSE(Certificate::FromDer(Bytes(der.begin(), der.begin() + 50)).ok());
  EXPECT_FALSE(Certificate::FromDer(Bytes()).ok());
  EXPECT_FALSE(Certificate::FromDer(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}).ok());
}

// ParseCertificate parses as FromDer does, and answers from memory (the very
// X509 object) for the certificates of chains the verifier accepted.
TEST(CertificateVerifierTest, RemembersCertificatesOfAcceptedChains) {
  const Pki& p = Pki::Get();
  CertificateVerifier v = Anchored(p.root.cert);
  absl::StatusOr<Certificate> before = v.ParseCertificate(p.leaf.cert.der());
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->der(), p.leaf.cert.der());
  EXPECT_EQ(before->identities().uris, p.leaf.cert.identities().uris);
  EXPECT_NE(before->x509(), p.leaf.cert.x509());  // parsed afresh
  // A refused chain is not remembered.
  ASSERT_FALSE(
      v.Verify({p.leaf.cert}, TestNow(), KeyUsage::kDigitalSignature).ok());
  EXPECT_NE(v.ParseCertificate(p.leaf.cert.der())->x509(), p.leaf.cert.x509());
  ASSERT_TRUE(v.Verify({p.leaf.cert, p.inter.cert}, TestNow(),
                       KeyUsage::kDigitalSignature)
                  .ok());
  for (const Certificate* c : {&p.leaf.cert, &p.inter.cert}) {
    absl::StatusOr<Certificate> again = v.ParseCertificate(c->der());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->x509(), c->x509());
  }
  // Copies share the memory.
  CertificateVerifier copy = v;
  EXPECT_EQ(copy.ParseCertificate(p.leaf.cert.der())->x509(),
            p.leaf.cert.x509());
  // Other octets are parsed, and refused, as FromDer refuses them.
  Bytes der = p.leaf.cert.der();
  der.push_back(0);
  EXPECT_EQ(GetCertFailure(v.ParseCertificate(der).status()),
            CertFailure::kMalformed);
}

TEST(CertificateVerifierTest, MemoryIsBounded) {
  const Pki& p = Pki::Get();
  CertificateVerifier v = Anchored(p.inter.cert);
  std::vector<Certificate> certs;
  for (size_t i = 0; i <= CertificateVerifier::kMaxRememberedCertificates;
       ++i) {
    CertSpec s;
    s.common_name = absl::StrCat("leaf-", i);
    s.serial = 100 + static_cast<long>(i);
    absl::StatusOr<Certificate> c = testing::IssueFor(p.leaf.key, s, &p.inter);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE(v.Verify({*c}, TestNow(), KeyUsage::kDigitalSignature).ok());
    certs.push_back(*c);
  }
  // The last one made the memory start over: the first is parsed afresh.
  EXPECT_NE(v.ParseCertificate(certs.front().der())->x509(),
            certs.front().x509());
  EXPECT_EQ(v.ParseCertificate(certs.back().der())->x509(),
            certs.back().x509());
}

TEST(CertificateTest, ChainThroughIntermediate) {
  const Pki& p = Pki::Get();
  CertificateVerifier v = Anchored(p.root.cert);
  absl::StatusOr<VerifiedPeer> ok = v.Verify(
      {p.leaf.cert, p.inter.cert}, TestNow(), KeyUsage::kDigitalSignature);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->chain_verified);
  EXPECT_FALSE(ok->pinned);
  // Without the intermediate: unknown signer.
  absl::StatusOr<VerifiedPeer> missing =
      v.Verify({p.leaf.cert}, TestNow(), KeyUsage::kDigitalSignature);
  EXPECT_EQ(GetCertFailure(missing.status()), CertFailure::kUnknownSigner);
  EXPECT_EQ(MikeyErrorNo(CertFailure::kUnknownSigner), error_no::kInvalidCert);
  // The intermediate itself as anchor (partial chain) is enough.
  EXPECT_TRUE(Anchored(p.inter.cert)
                  .Verify({p.leaf.cert}, TestNow(), KeyUsage::kKeyEncipherment)
                  .ok());
}

TEST(CertificateTest, TimeIsTheGivenTime) {
  const Pki& p = Pki::Get();
  CertificateVerifier v = Anchored(p.inter.cert);
  EXPECT_EQ(GetCertFailure(v.Verify({p.leaf.cert},
                                    p.leaf.cert.not_after() + absl::Hours(1),
                                    KeyUsage::kDigitalSignature)
                               .status()),
            CertFailure::kExpired);
  EXPECT_EQ(GetCertFailure(v.Verify({p.leaf.cert},
                                    p.leaf.cert.not_before() - absl::Hours(1),
                                    KeyUsage::kDigitalSignature)
                               .status()),
            CertFailure::kNotYetValid);
}

TEST(CertificateTest, UnknownCaAndSelfSigned) {
  const Pki& p = Pki::Get();
  absl::StatusOr<Issued> other = Issue(CaSpec("Elsewhere"), nullptr);
  ASSERT_TRUE(other.ok());
  CertificateVerifier v = Anchored(other->cert);
  absl::StatusOr<VerifiedPeer> r = v.Verify(
      {p.leaf.cert, p.inter.cert}, TestNow(), KeyUsage::kDigitalSignature);
  EXPECT_EQ(GetCertFailure(r.status()), CertFailure::kUnknownSigner);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("unknown signer"), std::string::npos);
  // Nothing configured trusts nothing.
  CertificateVerifier none{TrustConfig{}};
  EXPECT_EQ(GetCertFailure(none.Verify({p.leaf.cert}, TestNow(),
                                       KeyUsage::kDigitalSignature)
                               .status()),
            CertFailure::kUnknownSigner);
}

TEST(CertificateTest, TamperedSignature) {
  const Pki& p = Pki::Get();
  Bytes der = p.leaf.cert.der();
  der[der.size() - 3] ^= 0x01;  // inside the signature BIT STRING
  absl::StatusOr<Certificate> bad = Certificate::FromDer(der);
  ASSERT_TRUE(bad.ok());
  absl::StatusOr<VerifiedPeer> r =
      Anchored(p.inter.cert)
          .Verify({*bad}, TestNow(), KeyUsage::kDigitalSignature);
  EXPECT_EQ(GetCertFailure(r.status()), CertFailure::kBadSignature)
      << r.status();
}

TEST(CertificateTest, Pins) {
  const Pki& p = Pki::Get();
  absl::StatusOr<Issued> self = Issue(
      [] {
        CertSpec s;
        s.common_name = "standalone";
        s.serial = 9;
        return s;
      }(),
      nullptr);
  ASSERT_TRUE(self.ok());
  TrustConfig only_pin;
  only_pin.pinned_spki_sha256 = {self->cert.spki_sha256()};
  CertificateVerifier pinned(only_pin);
  absl::StatusOr<VerifiedPeer> r =
      pinned.Verify({self->cert}, TestNow(), KeyUsage::kDigitalSignature);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->pinned);
  EXPECT_FALSE(r->chain_verified);
  // Pins do not override the validity period.
  EXPECT_EQ(GetCertFailure(pinned
                               .Verify({self->cert},
                                       self->cert.not_after() + absl::Hours(1),
                                       KeyUsage::kDigitalSignature)
                               .status()),
            CertFailure::kExpired);
  // Another key: pin mismatch.
  EXPECT_EQ(
      GetCertFailure(
          pinned.Verify({p.leaf.cert}, TestNow(), KeyUsage::kDigitalSignature)
              .status()),
      CertFailure::kPinMismatch);
  // CA and pin: the pin may name the intermediate of the verified chain...
  TrustConfig both;
  both.trust_anchors = {p.root.cert};
  both.pinned_spki_sha256 = {p.inter.cert.spki_sha256()};
  EXPECT_TRUE(CertificateVerifier(both)
                  .Verify({p.leaf.cert, p.inter.cert}, TestNow(),
                          KeyUsage::kDigitalSignature)
                  .ok());
  // ...but a chain-valid certificate with no pinned key is refused.
  both.pinned_spki_sha256 = {self->cert.spki_sha256()};
  EXPECT_EQ(GetCertFailure(CertificateVerifier(both)
                               .Verify({p.leaf.cert, p.inter.cert}, TestNow(),
                                       KeyUsage::kDigitalSignature)
                               .status()),
            CertFailure::kPinMismatch);
}

TEST(CertificateTest, KeyUsage) {
  const Pki& p = Pki::Get();
  CertSpec sign_only;
  sign_only.key_encipherment = false;
  sign_only.serial = 20;
  CertSpec encr_only;
  encr_only.digital_signature = false;
  encr_only.serial = 21;
  absl::StatusOr<Issued> s = Issue(sign_only, &p.inter);
  absl::StatusOr<Issued> e = Issue(encr_only, &p.inter);
  ASSERT_TRUE(s.ok() && e.ok());
  CertificateVerifier v = Anchored(p.inter.cert);
  EXPECT_TRUE(v.Verify({s->cert}, TestNow(), KeyUsage::kDigitalSignature).ok());
  EXPECT_EQ(
      GetCertFailure(
          v.Verify({s->cert}, TestNow(), KeyUsage::kKeyEncipherment).status()),
      CertFailure::kWrongKeyUsage);
  EXPECT_TRUE(v.Verify({e->cert}, TestNow(), KeyUsage::kKeyEncipherment).ok());
  EXPECT_EQ(
      GetCertFailure(
          v.Verify({e->cert}, TestNow(), KeyUsage::kDigitalSignature).status()),
      CertFailure::kWrongKeyUsage);
  // A CA certificate (keyCertSign only) cannot sign MIKEY messages.
  EXPECT_EQ(
      GetCertFailure(p.inter.cert.CheckKeyUsage(KeyUsage::kDigitalSignature)),
      CertFailure::kWrongKeyUsage);
}

TEST(CertificateTest, MinimumKeySize) {
  const Pki& p = Pki::Get();
  CertSpec small;
  small.serial = 30;
  absl::StatusOr<Issued> s = Issue(small, &p.inter, 1024);
  ASSERT_TRUE(s.ok());
  CertificateVerifier v = Anchored(p.inter.cert);
  EXPECT_FALSE(
      v.Verify({s->cert}, TestNow(), KeyUsage::kDigitalSignature).ok());
  EXPECT_TRUE(
      v.Verify({s->cert}, TestNow(), KeyUsage::kDigitalSignature, 1024).ok());
}

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(CertificateTest, IdentityBinding) {
  const Certificate& c = Pki::Get().leaf.cert;
  EXPECT_TRUE(
      CertificateNamesId(c, id_type::kUri, B("sip:cam17@studio.example")));
  EXPECT_FALSE(
      CertificateNamesId(c, id_type::kUri, B("sip:cam18@studio.example")));
  EXPECT_FALSE(
      CertificateNamesId(c, id_type::kUri, B("sip:cam17@studio.example.org")));
  // mailto:/sip: URIs match an e-mail SAN, case-blind.
  EXPECT_TRUE(
      CertificateNamesId(c, id_type::kUri, B("mailto:cam17@studio.example")));
  EXPECT_TRUE(CertificateNamesId(c, id_type::kNai, B("cam17@STUDIO.example")));
  EXPECT_TRUE(
      CertificateNamesId(c, id_type::kByteString, B("cam17.studio.example")));
  // CN only when the certificate has no SAN identity.
  EXPECT_FALSE(CertificateNamesId(c, id_type::kByteString, B("device-17")));
  EXPECT_FALSE(CertificateNamesId(c, id_type::kUri, B("")));
  CertSpec cn_only;
  cn_only.common_name = "sip:legacy@example.com";
  cn_only.serial = 40;
  absl::StatusOr<Issued> l = Issue(cn_only, &Pki::Get().inter);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(
      CertificateNamesId(l->cert, id_type::kUri, B("sip:legacy@example.com")));
  EXPECT_EQ(MikeyErrorNo(CertFailure::kIdentityMismatch), error_no::kInvalidId);
  EXPECT_EQ(MikeyErrorNo(CertFailure::kExpired), error_no::kInvalidCert);
}

}  // namespace
}  // namespace pki
}  // namespace mikey
