// RSA wrapper tests. Independent references: the `openssl` command-line tool
// (a separate process, OpenSSL 3) verifies our signatures, produces
// signatures we verify, and encrypts/decrypts across with us.

#include "core/crypto/rsa.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using Bytes = std::vector<uint8_t>;

const RsaPrivateKey& Key() {
  static const RsaPrivateKey* key =
      new RsaPrivateKey(*RsaPrivateKey::Generate(2048));
  return *key;
}

Bytes Msg(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string TmpDir() {
  const char* d = std::getenv("TEST_TMPDIR");
  return d != nullptr ? d : "/tmp";
}

void WriteFile(const std::string& path, absl::Span<const uint8_t> data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), data.size());
}

Bytes ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

int Shell(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str());
}

TEST(RsaTest, SignVerifyAllSchemes) {
  absl::StatusOr<RsaPublicKey> pub = Key().PublicKey();
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->modulus_bits(), 2048u);
  EXPECT_EQ(pub->modulus_length(), 256u);
  const Bytes m = Msg("MIKEY message to be signed");
  for (RsaSignatureScheme scheme :
       {RsaSignatureScheme::kPkcs1v15, RsaSignatureScheme::kPss}) {
    for (HashAlg h : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha512}) {
      const RsaSignatureParams p{scheme, h};
      SCOPED_TRACE(RsaSignatureParamsName(p));
      absl::StatusOr<Bytes> sig = Key().Sign(p, m);
      ASSERT_TRUE(sig.ok()) << sig.status();
      EXPECT_EQ(sig->size(), 256u);
      EXPECT_TRUE(pub->Verify(p, m, *sig).ok());
      Bytes bad_m = m;
      bad_m[3] ^= 1;
      EXPECT_FALSE(pub->Verify(p, bad_m, *sig).ok());
      Bytes bad_sig = *sig;
      bad_sig[100] ^= 0x40;
      EXPECT_FALSE(pub->Verify(p, m, bad_sig).ok());
      EXPECT_FALSE(
          pub->Verify(p, m, absl::MakeConstSpan(*sig).first(255)).ok());
      // Another scheme or hash must not verify.
      const RsaSignatureParams other{scheme == RsaSignatureScheme::kPss
                                         ? RsaSignatureScheme::kPkcs1v15
                                         : RsaSignatureScheme::kPss,
                                     h};
      EXPECT_FALSE(pub->Verify(other, m, *sig).ok());
      const RsaSignatureParams other_hash{
          scheme, h == HashAlg::kSha256 ? HashAlg::kSha1 : HashAlg::kSha256};
      EXPECT_FALSE(pub->Verify(other_hash, m, *sig).ok());
    }
  }
}

TEST(RsaTest, PkcsV15SignatureIsDeterministic) {
  const Bytes m = Msg("abc");
  const RsaSignatureParams p{RsaSignatureScheme::kPkcs1v15, HashAlg::kSha256};
  EXPECT_EQ(*Key().Sign(p, m), *Key().Sign(p, m));
  const RsaSignatureParams pss{RsaSignatureScheme::kPss, HashAlg::kSha256};
  EXPECT_NE(*Key().Sign(pss, m), *Key().Sign(pss, m));  // random salt
}

TEST(RsaTest, EncryptDecrypt) {
  absl::StatusOr<RsaPublicKey> pub = Key().PublicKey();
  ASSERT_TRUE(pub.ok());
  const Bytes env(16, 0xA5);
  for (RsaEncryptionScheme s :
       {RsaEncryptionScheme::kPkcs1v15, RsaEncryptionScheme::kOaepSha1,
        RsaEncryptionScheme::kOaepSha256}) {
    absl::StatusOr<Bytes> ct = pub->Encrypt(s, env);
    ASSERT_TRUE(ct.ok()) << ct.status();
    EXPECT_EQ(ct->size(), 256u);
    absl::StatusOr<SecretBytes> pt = Key().Decrypt(s, *ct);
    ASSERT_TRUE(pt.ok()) << pt.status();
    EXPECT_EQ(pt->span(), absl::MakeConstSpan(env));
    Bytes bad = *ct;
    bad[7] ^= 1;
    absl::StatusOr<SecretBytes> tampered = Key().Decrypt(s, bad);
    // PKCS#1 v1.5 may (rarely) unpad a tampered block to something else;
    // it must never give back the original.
    if (tampered.ok()) {
      EXPECT_NE(tampered->span(), absl::MakeConstSpan(env));
    }
    EXPECT_FALSE(Key().Decrypt(s, absl::MakeConstSpan(*ct).first(255)).ok());
  }
  EXPECT_FALSE(pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, Bytes(246)).ok());
  EXPECT_TRUE(pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, Bytes(245)).ok());
  EXPECT_FALSE(pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, Bytes()).ok());
}

TEST(RsaTest, DerRoundTrips) {
  absl::StatusOr<SecretBytes> p8 = Key().ToPkcs8Der();
  ASSERT_TRUE(p8.ok());
  absl::StatusOr<RsaPrivateKey> back = RsaPrivateKey::FromDer(p8->span());
  ASSERT_TRUE(back.ok()) << back.status();
  absl::StatusOr<RsaPublicKey> a = Key().PublicKey();
  absl::StatusOr<RsaPublicKey> b = back->PublicKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->Equals(*b));
  absl::StatusOr<Bytes> spki = a->ToSpkiDer();
  ASSERT_TRUE(spki.ok());
  absl::StatusOr<RsaPublicKey> c = RsaPublicKey::FromSpkiDer(*spki);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Equals(*a));

  absl::StatusOr<RsaPrivateKey> other = RsaPrivateKey::Generate(1024);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->PublicKey()->Equals(*a));

  // Malformed input.
  Bytes trailing = *spki;
  trailing.push_back(0);
  EXPECT_FALSE(RsaPublicKey::FromSpkiDer(trailing).ok());
  EXPECT_FALSE(
      RsaPublicKey::FromSpkiDer(absl::MakeConstSpan(*spki).first(100)).ok());
  EXPECT_FALSE(RsaPublicKey::FromSpkiDer(Bytes()).ok());
  EXPECT_FALSE(RsaPrivateKey::FromDer(Msg("not a key")).ok());
  EXPECT_FALSE(RsaPrivateKey::Generate(512).ok());
  EXPECT_FALSE(RsaPrivateKey::Generate(1000).ok());
}

// Our signatures verified by the openssl CLI, and the CLI's by us.
TEST(RsaTest, OpenSslCliInterop) {
  if (Shell("openssl version") != 0) GTEST_SKIP() << "no openssl CLI";
  const std::string dir = TmpDir();
  const std::string data = dir + "/data", sig = dir + "/sig",
                    pub = dir + "/pub.der", priv = dir + "/priv.der";
  const Bytes m = Msg("HDR T RAND ... SIGN header: the signed part");
  WriteFile(data, m);
  WriteFile(pub, *Key().PublicKey()->ToSpkiDer());
  WriteFile(priv, Key().ToPkcs8Der()->span());

  // PKCS#1 v1.5 / SHA-256 and SHA-1.
  for (const char* h : {"sha256", "sha1"}) {
    const HashAlg alg =
        std::string(h) == "sha1" ? HashAlg::kSha1 : HashAlg::kSha256;
    WriteFile(sig, *Key().Sign({RsaSignatureScheme::kPkcs1v15, alg}, m));
    EXPECT_EQ(Shell(absl::StrCat("openssl dgst -", h, " -keyform DER -verify ",
                                 pub, " -signature ", sig, " ", data)),
              0)
        << h;
  }
  // PSS, salt = digest length.
  WriteFile(sig, *Key().Sign({RsaSignatureScheme::kPss, HashAlg::kSha256}, m));
  EXPECT_EQ(Shell(absl::StrCat(
                "openssl dgst -sha256 -keyform DER -verify ", pub,
                " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest",
                " -signature ", sig, " ", data)),
            0);
  // A tampered message must fail in the CLI too (the check can fail).
  Bytes m2 = m;
  m2[0] ^= 1;
  WriteFile(dir + "/data2", m2);
  EXPECT_NE(Shell(absl::StrCat(
                "openssl dgst -sha256 -keyform DER -verify ", pub,
                " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest",
                " -signature ", sig, " ", dir, "/data2")),
            0);

  // The CLI signs (PSS and PKCS#1), we verify.
  const std::string cli_sig = dir + "/cli_sig";
  ASSERT_EQ(Shell(absl::StrCat("openssl dgst -sha256 -keyform DER -sign ", priv,
                               " -sigopt rsa_padding_mode:pss",
                               " -sigopt rsa_pss_saltlen:digest -out ", cli_sig,
                               " ", data)),
            0);
  EXPECT_TRUE(Key()
                  .PublicKey()
                  ->Verify({RsaSignatureScheme::kPss, HashAlg::kSha256}, m,
                           ReadFile(cli_sig))
                  .ok());
  ASSERT_EQ(Shell(absl::StrCat("openssl dgst -sha256 -keyform DER -sign ", priv,
                               " -out ", cli_sig, " ", data)),
            0);
  EXPECT_TRUE(Key()
                  .PublicKey()
                  ->Verify({RsaSignatureScheme::kPkcs1v15, HashAlg::kSha256}, m,
                           ReadFile(cli_sig))
                  .ok());

  // PKCS#1 v1.5 encryption both ways (the PKE envelope scheme).
  const Bytes env(16, 0x3C);
  WriteFile(dir + "/env", env);
  ASSERT_EQ(Shell(absl::StrCat("openssl pkeyutl -encrypt -pubin -keyform DER",
                               " -inkey ", pub, " -in ", dir, "/env -out ", dir,
                               "/env.ct")),
            0);
  absl::StatusOr<SecretBytes> pt =
      Key().Decrypt(RsaEncryptionScheme::kPkcs1v15, ReadFile(dir + "/env.ct"));
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->span(), absl::MakeConstSpan(env));
  WriteFile(dir + "/ours.ct",
            *Key().PublicKey()->Encrypt(RsaEncryptionScheme::kPkcs1v15, env));
  ASSERT_EQ(
      Shell(absl::StrCat("openssl pkeyutl -decrypt -keyform DER -inkey ", priv,
                         " -in ", dir, "/ours.ct -out ", dir, "/ours.pt")),
      0);
  EXPECT_EQ(ReadFile(dir + "/ours.pt"), env);
}

}  // namespace
}  // namespace mikey
