// The PRF is checked against OpenSSL 3's TLS1-PRF: with a single digest
// (not MD5+SHA-1), TLS1-PRF(secret, seed) is P_hash(secret, seed), the same
// construction as RFC 3830's P(s, label, m). For inkeys longer than one
// block the reference is the XOR of TLS1-PRF over each block, built here.
// Expected labels and IVs are written out by hand from the RFC layout.

#include "core/kdf/kdf.h"

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/kdf/prf.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using ::mikey::testutil::Hex;
using ::mikey::testutil::ToHex;

const EVP_MD* Md(HashAlg h) {
  switch (h) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}

// P_hash(secret, seed) truncated to `len`, by OpenSSL's TLS1-PRF.
std::vector<uint8_t> TlsPHash(HashAlg h, absl::Span<const uint8_t> secret,
                              absl::Span<const uint8_t> seed, size_t len) {
  std::vector<uint8_t> out(len);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, nullptr);
  EXPECT_NE(ctx, nullptr);
  size_t out_len = len;
  const bool ok =
      EVP_PKEY_derive_init(ctx) == 1 &&
      EVP_PKEY_CTX_set_tls1_prf_md(ctx, Md(h)) == 1 &&
      EVP_PKEY_CTX_set1_tls1_prf_secret(ctx, secret.data(),
                                        static_cast<int>(secret.size())) == 1 &&
      EVP_PKEY_CTX_add1_tls1_prf_seed(ctx, seed.data(),
                                      static_cast<int>(seed.size())) == 1 &&
      EVP_PKEY_derive(ctx, out.data(), &out_len) == 1 && out_len == len;
  EVP_PKEY_CTX_free(ctx);
  EXPECT_TRUE(ok) << "TLS1-PRF reference failed";
  return out;
}

// The RFC 3830 PRF assembled from the reference: XOR over inkey blocks.
std::vector<uint8_t> ReferencePrf(HashAlg h, size_t inkey_block,
                                  absl::Span<const uint8_t> inkey,
                                  absl::Span<const uint8_t> label, size_t len) {
  std::vector<uint8_t> acc(len, 0);
  for (size_t off = 0; off < inkey.size(); off += inkey_block) {
    const size_t n = std::min(inkey_block, inkey.size() - off);
    const std::vector<uint8_t> p =
        TlsPHash(h, inkey.subspan(off, n), label, len);
    for (size_t i = 0; i < len; ++i) acc[i] ^= p[i];
  }
  return acc;
}

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + 37 * i);
  return v;
}

// A realistic label: 0x2AD01C64 || cs_id 1 || CSB ID || 16-octet RAND.
const std::vector<uint8_t> kLabel =
    Hex("2ad01c64"
        "01"
        "12345678"
        "00112233445566778899aabbccddeeff");

TEST(PrfTest, MikeyOneMatchesTlsPSha1ForAllLengths) {
  // inkey 1..100 octets (1..4 blocks of 32, last short or full),
  // outkey 1..200 octets (1..10 output blocks of 20).
  for (size_t in_len = 1; in_len <= 100; ++in_len) {
    const std::vector<uint8_t> inkey =
        Pattern(in_len, static_cast<uint8_t>(in_len));
    // The reference for the longest output; shorter outputs are prefixes of
    // P_hash, which the PRF must reproduce too.
    const std::vector<uint8_t> ref =
        ReferencePrf(HashAlg::kSha1, 32, inkey, kLabel, 200);
    for (size_t out_len = 1; out_len <= 200; ++out_len) {
      absl::StatusOr<SecretBytes> got =
          MikeyPrf(HashAlg::kSha1, inkey, kLabel, out_len);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(ToHex(got->span()),
                ToHex(absl::MakeConstSpan(ref).first(out_len)))
          << "inkey " << in_len << " outkey " << out_len;
    }
  }
}

TEST(PrfTest, ReferenceIsPrefixConsistent) {
  // Guards the shortcut above: TLS1-PRF output for a shorter length is the
  // prefix of the longer one, for single and multi-block keys.
  for (size_t in_len : {20, 32, 33, 77}) {
    const std::vector<uint8_t> inkey = Pattern(in_len, 9);
    const std::vector<uint8_t> full =
        ReferencePrf(HashAlg::kSha1, 32, inkey, kLabel, 200);
    for (size_t out_len : {1, 19, 20, 21, 59, 60, 61, 199}) {
      EXPECT_EQ(ReferencePrf(HashAlg::kSha1, 32, inkey, kLabel, out_len),
                std::vector<uint8_t>(full.begin(), full.begin() + out_len));
    }
  }
}

TEST(PrfTest, Sha256MatchesTlsPSha256) {
  ASSERT_EQ(PrfInkeyBlockLength(HashAlg::kSha256), 32u);
  ASSERT_EQ(PrfOutputBlockLength(HashAlg::kSha256), 32u);
  for (size_t in_len = 1; in_len <= 100; ++in_len) {
    const std::vector<uint8_t> inkey =
        Pattern(in_len, static_cast<uint8_t>(3 * in_len));
    const std::vector<uint8_t> ref =
        ReferencePrf(HashAlg::kSha256, 32, inkey, kLabel, 200);
    for (size_t out_len = 1; out_len <= 200; ++out_len) {
      absl::StatusOr<SecretBytes> got =
          MikeyPrf(HashAlg::kSha256, inkey, kLabel, out_len);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(ToHex(got->span()),
                ToHex(absl::MakeConstSpan(ref).first(out_len)))
          << "inkey " << in_len << " outkey " << out_len;
    }
  }
}

TEST(PrfTest, Sha384And512MatchTlsPHashWith64OctetBlocks) {
  for (HashAlg h : {HashAlg::kSha384, HashAlg::kSha512}) {
    ASSERT_EQ(PrfInkeyBlockLength(h), 64u);
    for (size_t in_len : {1, 32, 63, 64, 65, 128, 150}) {
      const std::vector<uint8_t> inkey = Pattern(in_len, 5);
      for (size_t out_len : {1, 16, 47, 48, 49, 64, 65, 200}) {
        absl::StatusOr<SecretBytes> got = MikeyPrf(h, inkey, kLabel, out_len);
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(ToHex(got->span()),
                  ToHex(ReferencePrf(h, 64, inkey, kLabel, out_len)))
            << HashAlgName(h) << " inkey " << in_len << " outkey " << out_len;
      }
    }
  }
}

TEST(PrfTest, FullLastBlockIsNotEmptyKeyed) {
  // minisip gives the last block an empty HMAC key when inkey is a multiple
  // of 32 octets; RFC 3830 does not. For a 64-octet key the right answer is
  // P(s1) XOR P(s2), which differs from P(s1) XOR P(empty).
  const std::vector<uint8_t> inkey = Pattern(64, 1);
  absl::StatusOr<SecretBytes> got = MikeyPrf(HashAlg::kSha1, inkey, kLabel, 16);
  ASSERT_TRUE(got.ok());
  const std::vector<uint8_t> p1 = TlsPHash(
      HashAlg::kSha1, absl::MakeConstSpan(inkey).first(32), kLabel, 16);
  const std::vector<uint8_t> p2 = TlsPHash(
      HashAlg::kSha1, absl::MakeConstSpan(inkey).subspan(32), kLabel, 16);
  std::vector<uint8_t> expected(16);
  for (int i = 0; i < 16; ++i) expected[i] = p1[i] ^ p2[i];
  EXPECT_EQ(ToHex(got->span()), ToHex(expected));
}

TEST(PrfTest, EdgeCases) {
  EXPECT_EQ(MikeyPrf(HashAlg::kSha1, {}, kLabel, 16).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MikeyPrf(HashAlg::kSha1, Pattern(16, 0), kLabel, kMaxPrfOutputLength + 1)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  absl::StatusOr<SecretBytes> empty =
      MikeyPrf(HashAlg::kSha1, Pattern(16, 0), kLabel, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  absl::StatusOr<SecretBytes> max =
      MikeyPrf(HashAlg::kSha1, Pattern(16, 0), kLabel, kMaxPrfOutputLength);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size(), kMaxPrfOutputLength);
}

TEST(PrfTest, PrfFuncMapping) {
  EXPECT_EQ(*PrfHashFromFunc(0), HashAlg::kSha1);
  EXPECT_EQ(*PrfHashFromFunc(1), HashAlg::kSha256);
  EXPECT_EQ(*PrfHashFromFunc(2), HashAlg::kSha384);
  EXPECT_EQ(*PrfHashFromFunc(3), HashAlg::kSha512);
  absl::StatusOr<HashAlg> bad = PrfHashFromFunc(4);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("PRF func 4"));
}

// ---------------------------------------------------------------------------
// Constants, labels, derivations.

TEST(KdfConstantTest, ConstantsAreNineDigitRunsOfE) {
  // e = 2.718281828 459045235 360287471 352662497 757247093 699959574
  //       966967627 ...
  const std::string e_digits =
      "718281828459045235360287471352662497757247093699959574966967627";
  std::vector<uint32_t> runs;
  for (size_t i = 0; i + 9 <= e_digits.size(); i += 9) {
    runs.push_back(static_cast<uint32_t>(std::stoul(e_digits.substr(i, 9))));
  }
  ASSERT_EQ(runs.size(), 7u);
  EXPECT_EQ(kdf_constant::kTek, runs[0]);
  EXPECT_EQ(kdf_constant::kTgkAuth, runs[1]);
  EXPECT_EQ(kdf_constant::kTgkEncr, runs[2]);
  EXPECT_EQ(kdf_constant::kMessageEncr, runs[3]);
  EXPECT_EQ(kdf_constant::kMessageAuth, runs[4]);
  EXPECT_EQ(kdf_constant::kMessageSalt, runs[5]);
  EXPECT_EQ(kdf_constant::kTgkSalt, runs[6]);
}

TEST(KdfLabelTest, Layout) {
  const std::vector<uint8_t> rand = Hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0");
  EXPECT_EQ(ToHex(KdfLabel(0x2AD01C64, 0x03, 0xDEADBEEF, rand)),
            "2ad01c6403deadbeefa1a2a3a4a5a6a7a8a9aaabacadaeafb0");
  EXPECT_EQ(ToHex(KdfLabel(0x150533E1, 0xFF, 0x00000001, {})),
            "150533e1ff00000001");
}

struct DeriveCase {
  const char* name;
  absl::StatusOr<SecretBytes> (*fn)(HashAlg, absl::Span<const uint8_t>, uint8_t,
                                    uint32_t, absl::Span<const uint8_t>,
                                    size_t);
  const char* constant_hex;
};

TEST(KdfTest, TgkDerivationsUseTheirLabels) {
  const std::vector<uint8_t> tgk = Pattern(16, 0x40);
  const std::vector<uint8_t> rand = Hex("0102030405060708090a0b0c0d0e0f10");
  const DeriveCase cases[] = {
      {"TEK", &DeriveTek, "2ad01c64"},
      {"salt", &DeriveSalt, "39a2c14b"},
      {"auth", &DeriveTgkAuthKey, "1b5c7973"},
      {"encr", &DeriveTgkEncrKey, "15798cef"},
  };
  for (const DeriveCase& c : cases) {
    for (HashAlg h : {HashAlg::kSha1, HashAlg::kSha256}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(HashAlgName(h)));
      // constant || cs_id 0x02 || CSB ID 0xCAFEBABE || RAND, by hand.
      const std::vector<uint8_t> label =
          Hex(std::string(c.constant_hex) + "02" + "cafebabe" +
              "0102030405060708090a0b0c0d0e0f10");
      for (size_t len : {12, 14, 16, 30, 32}) {
        absl::StatusOr<SecretBytes> got =
            c.fn(h, tgk, 0x02, 0xCAFEBABE, rand, len);
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(ToHex(got->span()),
                  ToHex(ReferencePrf(h, 32, tgk, label, len)));
      }
    }
  }
}

// A PRF keyed once derives, label after label and in any order, what the
// reference derives for each label alone: the restart between keys leaves
// nothing of the previous label behind. Inkeys of 1 to 3 blocks.
TEST(PrfTest, KeyedPrfDerivesManyLabelsFromOneKeySetup) {
  for (HashAlg h : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha512}) {
    const size_t in_block = PrfInkeyBlockLength(h);
    for (size_t in_len : {size_t{16}, in_block, in_block + 1, 3 * in_block}) {
      SCOPED_TRACE(std::string(HashAlgName(h)) + " inkey " +
                   std::to_string(in_len));
      const std::vector<uint8_t> inkey =
          Pattern(in_len, static_cast<uint8_t>(in_len));
      absl::StatusOr<MikeyPrfKey> key = MikeyPrfKey::Create(h, inkey);
      ASSERT_TRUE(key.ok()) << key.status();
      for (int round = 0; round < 2; ++round) {
        for (const char* constant : {"2ad01c64", "39a2c14b", "150533e1"}) {
          const std::vector<uint8_t> label =
              Hex(std::string(constant) + "01cafebabe" +
                  "0102030405060708090a0b0c0d0e0f10");
          for (size_t len : {14, 20, 33, 100}) {
            absl::StatusOr<SecretBytes> got = key->Derive(label, len);
            ASSERT_TRUE(got.ok()) << got.status();
            ASSERT_EQ(ToHex(got->span()),
                      ToHex(ReferencePrf(h, in_block, inkey, label, len)))
                << constant << " len " << len;
          }
        }
      }
    }
  }
  // The keyed DeriveKey is the unkeyed one.
  const std::vector<uint8_t> tgk = Pattern(16, 0x40);
  const std::vector<uint8_t> rand = Hex("0102030405060708090a0b0c0d0e0f10");
  absl::StatusOr<MikeyPrfKey> key = MikeyPrfKey::Create(HashAlg::kSha1, tgk);
  ASSERT_TRUE(key.ok());
  for (uint8_t cs_id = 1; cs_id <= 3; ++cs_id) {
    absl::StatusOr<SecretBytes> keyed =
        DeriveKey(*key, kdf_constant::kTek, cs_id, 0xCAFEBABE, rand, 16);
    absl::StatusOr<SecretBytes> plain =
        DeriveTek(HashAlg::kSha1, tgk, cs_id, 0xCAFEBABE, rand, 16);
    ASSERT_TRUE(keyed.ok() && plain.ok());
    EXPECT_EQ(ToHex(keyed->span()), ToHex(plain->span()));
    uint8_t salt[14];
    ASSERT_TRUE(DeriveKeyInto(*key, kdf_constant::kTgkSalt, cs_id, 0xCAFEBABE,
                              rand, absl::MakeSpan(salt))
                    .ok());
    absl::StatusOr<SecretBytes> want =
        DeriveSalt(HashAlg::kSha1, tgk, cs_id, 0xCAFEBABE, rand, 14);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(ToHex(salt), ToHex(want->span()));
  }
  // Limits as for MikeyPrf; a refused output is left zeroed.
  absl::StatusOr<SecretBytes> none = key->Derive(kLabel, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(MikeyPrfKey::Create(HashAlg::kSha1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> big(kMaxPrfOutputLength + 1, 0xaa);
  EXPECT_EQ(key->Derive(kLabel, absl::MakeSpan(big)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::count(big.begin(), big.end(), 0),
            static_cast<long>(big.size()));
}

TEST(KdfTest, MessageKeysUseCsIdFF) {
  const std::vector<uint8_t> psk = Pattern(20, 0x11);
  const std::vector<uint8_t> rand = Hex("00112233445566778899aabbccddeeff");
  auto label = [](const char* constant) {
    return Hex(std::string(constant) + "ff" + "00000042" +
               "00112233445566778899aabbccddeeff");
  };
  absl::StatusOr<SecretBytes> encr =
      DeriveKemacEncrKey(HashAlg::kSha1, psk, 0x42, rand);
  absl::StatusOr<SecretBytes> auth =
      DeriveKemacAuthKey(HashAlg::kSha1, psk, 0x42, rand);
  absl::StatusOr<SecretBytes> salt =
      DeriveKemacSalt(HashAlg::kSha1, psk, 0x42, rand);
  ASSERT_TRUE(encr.ok() && auth.ok() && salt.ok());
  EXPECT_EQ(encr->size(), 16u);
  EXPECT_EQ(auth->size(), 20u);
  EXPECT_EQ(salt->size(), 14u);
  EXPECT_EQ(ToHex(encr->span()), ToHex(ReferencePrf(HashAlg::kSha1, 32, psk,
                                                    label("150533e1"), 16)));
  EXPECT_EQ(ToHex(auth->span()), ToHex(ReferencePrf(HashAlg::kSha1, 32, psk,
                                                    label("2d22ac75"), 20)));
  EXPECT_EQ(ToHex(salt->span()), ToHex(ReferencePrf(HashAlg::kSha1, 32, psk,
                                                    label("29b88916"), 14)));
  // An empty RAND (MIKEY-NULL peers send none) still derives.
  EXPECT_TRUE(DeriveKemacAuthKey(HashAlg::kSha1, psk, 0x42, {}).ok());
}

TEST(KemacIvTest, Rfc3830Section4_2_3Layout) {
  const std::vector<uint8_t> salt = Hex("000102030405060708090a0b0c0d");
  absl::StatusOr<std::array<uint8_t, 16>> iv =
      KemacAesCmIv(salt, 0x12345678, 0x0102030405060708ull);
  ASSERT_TRUE(iv.ok()) << iv.status();
  // S           = 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d
  // 0||CSB||T   = 00 00 12 34 56 78 01 02 03 04 05 06 07 08
  // XOR || 0000 = 00 01 10 37 52 7d 07 05 0b 0d 0f 0d 0b 05 00 00
  EXPECT_EQ(ToHex(*iv), "00011037527d07050b0d0f0d0b050000");
  EXPECT_EQ(KemacAesCmIv(Hex("0001020304050607"), 1, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mikey
