// Known answers come from the RFCs and NIST documents named at each test
// (RFC 2202, RFC 4231, RFC 3711 B.2, NIST SP 800-38A, RFC 3394, the GCM
// specification's test cases, RFC 7714 §16.1.1), each re-checked with
// Python's hmac/cryptography modules, never from this code.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/aes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using ::mikey::testutil::Hex;
using ::mikey::testutil::ToHex;

using ::testing::HasSubstr;

std::vector<uint8_t> Str(absl::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// ---------------------------------------------------------------------------
// HMAC

struct HmacVector {
  HashAlg alg;
  std::vector<uint8_t> key;
  std::vector<uint8_t> data;
  const char* mac;
};

TEST(HmacTest, Rfc2202AndRfc4231Vectors) {
  const std::vector<uint8_t> k0b(20, 0x0b);
  const std::vector<uint8_t> hi = Str("Hi There");
  const std::vector<uint8_t> jefe = Str("Jefe");
  const std::vector<uint8_t> want = Str("what do ya want for nothing?");
  const std::vector<HmacVector> vectors = {
      // RFC 2202 §3 test cases 1 and 2.
      {HashAlg::kSha1, k0b, hi, "b617318655057264e28bc0b6fb378c8ef146be00"},
      {HashAlg::kSha1, jefe, want, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      // RFC 4231 §4.2 test case 1.
      {HashAlg::kSha256, k0b, hi,
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {HashAlg::kSha384, k0b, hi,
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6"},
      {HashAlg::kSha512, k0b, hi,
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      // RFC 4231 §4.3 test case 2.
      {HashAlg::kSha256, jefe, want,
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {HashAlg::kSha384, jefe, want,
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
       "8e2240ca5e69e2c78b3239ecfab21649"},
      {HashAlg::kSha512, jefe, want,
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      // RFC 4231 §4.7 test case 6: key longer than the block.
      {HashAlg::kSha256, std::vector<uint8_t>(131, 0xaa),
       Str("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      // Empty key and message (widely published HMAC-SHA-1 value).
      {HashAlg::kSha1, {}, {}, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"},
  };
  for (const HmacVector& v : vectors) {
    SCOPED_TRACE(std::string(HashAlgName(v.alg)) + " " + v.mac);
    absl::StatusOr<std::vector<uint8_t>> mac = Hmac(v.alg, v.key, v.data);
    ASSERT_TRUE(mac.ok()) << mac.status();
    EXPECT_EQ(ToHex(*mac), v.mac);
    EXPECT_EQ(mac->size(), DigestLength(v.alg));
  }
}

// OpenSSL's own HMAC() as an independent reference: every key length from
// empty to past two blocks (hashed first), messages from empty to several
// blocks, fed in pieces, and a context reused after Finish() and Rekey().
TEST(HmacTest, MatchesOpenSslHmacOverRandomKeysAndMessages) {
  std::mt19937 rng(20261122);
  auto random_bytes = [&rng](size_t n) {
    std::vector<uint8_t> v(n);
    for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
    return v;
  };
  const std::pair<HashAlg, const EVP_MD*> hashes[] = {
      {HashAlg::kSha1, EVP_sha1()},
      {HashAlg::kSha256, EVP_sha256()},
      {HashAlg::kSha384, EVP_sha384()},
      {HashAlg::kSha512, EVP_sha512()},
  };
  // OpenSSL's HMAC() refuses a null key pointer, even with length 0.
  static const uint8_t kNoKey = 0;
  auto key_ptr = [](const std::vector<uint8_t>& k) {
    return k.empty() ? &kNoKey : k.data();
  };
  for (const auto& [alg, md] : hashes) {
    for (size_t key_len = 0; key_len <= 2 * HashBlockLength(alg) + 3;
         key_len += 7) {
      SCOPED_TRACE(std::string(HashAlgName(alg)) + " key " +
                   std::to_string(key_len));
      const std::vector<uint8_t> key = random_bytes(key_len);
      absl::StatusOr<HmacContext> ctx = HmacContext::Create(alg, key);
      ASSERT_TRUE(ctx.ok()) << ctx.status();
      for (size_t msg_len : {0, 1, 55, 56, 64, 111, 112, 128, 300}) {
        const std::vector<uint8_t> msg = random_bytes(msg_len);
        uint8_t want[EVP_MAX_MD_SIZE];
        unsigned int want_len = 0;
        ASSERT_NE(HMAC(md, key_ptr(key), static_cast<int>(key.size()),
                       msg.data(), msg.size(), want, &want_len),
                  nullptr);
        const std::vector<uint8_t> expected(want, want + want_len);
        absl::StatusOr<std::vector<uint8_t>> one_shot = Hmac(alg, key, msg);
        ASSERT_TRUE(one_shot.ok());
        EXPECT_EQ(*one_shot, expected) << "message " << msg_len;
        // The reused context, fed in two pieces.
        const size_t half = msg_len / 3;
        ASSERT_TRUE(ctx->Update(absl::MakeConstSpan(msg).first(half)).ok());
        ASSERT_TRUE(ctx->Update(absl::MakeConstSpan(msg).subspan(half)).ok());
        absl::StatusOr<std::vector<uint8_t>> reused = ctx->Finish();
        ASSERT_TRUE(reused.ok());
        EXPECT_EQ(*reused, expected) << "message " << msg_len;
      }
      // Rekey to another key of the same length: MACs follow the new key.
      const std::vector<uint8_t> key2 = random_bytes(key_len);
      ASSERT_TRUE(ctx->Rekey(key2).ok());
      const std::vector<uint8_t> msg = random_bytes(40);
      uint8_t want[EVP_MAX_MD_SIZE];
      unsigned int want_len = 0;
      ASSERT_NE(HMAC(md, key_ptr(key2), static_cast<int>(key2.size()),
                     msg.data(), msg.size(), want, &want_len),
                nullptr);
      ASSERT_TRUE(ctx->Update(msg).ok());
      absl::StatusOr<std::vector<uint8_t>> rekeyed = ctx->Finish();
      ASSERT_TRUE(rekeyed.ok());
      EXPECT_EQ(*rekeyed, std::vector<uint8_t>(want, want + want_len));
    }
  }
}

TEST(HmacTest, PiecesAndIncrementalMatchOneShot) {
  const std::vector<uint8_t> key = Str("Jefe");
  const std::vector<uint8_t> a = Str("what do ya ");
  const std::vector<uint8_t> b = Str("want for ");
  const std::vector<uint8_t> c = Str("nothing?");
  const char* kExpected =
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";  // RFC 2202
  absl::StatusOr<std::vector<uint8_t>> mac =
      HmacConcat(HashAlg::kSha1, key, {a, {}, b, c});
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(ToHex(*mac), kExpected);

  absl::StatusOr<HmacContext> ctx = HmacContext::Create(HashAlg::kSha1, key);
  ASSERT_TRUE(ctx.ok());
  for (int round = 0; round < 3; ++round) {  // Finish() re-arms the key.
    ASSERT_TRUE(ctx->Update(a).ok());
    ASSERT_TRUE(ctx->Update(b).ok());
    ASSERT_TRUE(ctx->Update(c).ok());
    absl::StatusOr<std::vector<uint8_t>> m = ctx->Finish();
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(ToHex(*m), kExpected) << "round " << round;
  }
  std::vector<uint8_t> small(19);
  EXPECT_EQ(ctx->Finish(absl::MakeSpan(small)).code(),
            absl::StatusCode::kInvalidArgument);

  HmacContext moved = std::move(*ctx);
  ASSERT_TRUE(moved.Update(a).ok());
  EXPECT_EQ(ctx->Update(a).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HmacTest, RekeyAndRestartAfterFinish) {
  const std::vector<uint8_t> k0b(20, 0x0b);
  const std::vector<uint8_t> hi = Str("Hi There");
  const std::vector<uint8_t> jefe = Str("Jefe");
  const std::vector<uint8_t> want = Str("what do ya want for nothing?");
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(HashAlg::kSha1, k0b);
  ASSERT_TRUE(ctx.ok());
  ASSERT_TRUE(ctx->Update(hi).ok());
  // Data fed before Rekey is dropped with the old key.
  ASSERT_TRUE(ctx->Rekey(jefe).ok());
  ASSERT_TRUE(ctx->Update(want).ok());
  absl::StatusOr<std::vector<uint8_t>> m = ctx->Finish();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToHex(*m), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");  // 2202
  // Rekey right after Finish, then back to the first key.
  ASSERT_TRUE(ctx->Rekey(k0b).ok());
  ASSERT_TRUE(ctx->Update(hi).ok());
  m = ctx->Finish();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToHex(*m), "b617318655057264e28bc0b6fb378c8ef146be00");  // 2202
  // Finish with nothing fed since the last Finish: the MAC of the empty
  // message under the current key, here the empty key.
  ASSERT_TRUE(ctx->Rekey({}).ok());
  ASSERT_TRUE(ctx->Finish().ok());
  m = ctx->Finish();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToHex(*m), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
  // A finished context moved elsewhere still restarts before its next use.
  HmacContext moved = std::move(*ctx);
  ASSERT_TRUE(moved.Update({}).ok());
  m = moved.Finish();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToHex(*m), "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
  EXPECT_EQ(ctx->Rekey(k0b).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HmacTest, VerifyAcceptsFullAndTruncatedRejectsWrong) {
  const std::vector<uint8_t> key = Str("Jefe");
  const std::vector<uint8_t> msg = Str("what do ya want for nothing?");
  const std::vector<uint8_t> full =
      Hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_TRUE(VerifyHmac(HashAlg::kSha1, key, {msg}, full).ok());
  EXPECT_TRUE(VerifyHmac(HashAlg::kSha1, key, {msg},
                         absl::MakeConstSpan(full).first(10))
                  .ok());
  EXPECT_TRUE(
      VerifyHmac(HashAlg::kSha1, key, {msg}, absl::MakeConstSpan(full).first(4))
          .ok());
  std::vector<uint8_t> bad = full;
  bad[19] ^= 0x01;
  absl::Status s = VerifyHmac(HashAlg::kSha1, key, {msg}, bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("MAC mismatch"));
  EXPECT_EQ(
      VerifyHmac(HashAlg::kSha1, key, {msg}, absl::MakeConstSpan(full).first(3))
          .code(),
      absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> too_long = full;
  too_long.push_back(0);
  EXPECT_EQ(VerifyHmac(HashAlg::kSha1, key, {msg}, too_long).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HmacTest, Lengths) {
  EXPECT_EQ(DigestLength(HashAlg::kSha1), 20u);
  EXPECT_EQ(DigestLength(HashAlg::kSha256), 32u);
  EXPECT_EQ(DigestLength(HashAlg::kSha384), 48u);
  EXPECT_EQ(DigestLength(HashAlg::kSha512), 64u);
  EXPECT_EQ(HashBlockLength(HashAlg::kSha1), 64u);
  EXPECT_EQ(HashBlockLength(HashAlg::kSha256), 64u);
  EXPECT_EQ(HashBlockLength(HashAlg::kSha384), 128u);
  EXPECT_EQ(HashBlockLength(HashAlg::kSha512), 128u);
}

// ---------------------------------------------------------------------------
// AES-CM

TEST(AesCmTest, Rfc3711AppendixB2Keystream) {
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const std::vector<uint8_t> iv = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
  // Blocks 0..0xFF01: the vector lists blocks 0, 1, 2, 0xFEFF, 0xFF00, 0xFF01.
  absl::StatusOr<SecretBytes> ks = AesCmKeystream(key, iv, 0xFF02 * 16);
  ASSERT_TRUE(ks.ok()) << ks.status();
  auto block = [&](size_t i) { return ToHex(ks->span().subspan(i * 16, 16)); };
  EXPECT_EQ(block(0), "e03ead0935c95e80e166b16dd92b4eb4");
  EXPECT_EQ(block(1), "d23513162b02d0f72a43a2fe4a5f97ab");
  EXPECT_EQ(block(2), "41e95b3bb0a2e8dd477901e4fca894c0");
  EXPECT_EQ(block(0xFEFF), "ec8cdf7398607cb0f2d21675ea9ea1e4");
  EXPECT_EQ(block(0xFF00), "362b7c3c6773516318a077d7fc5073ae");
  EXPECT_EQ(block(0xFF01), "6a2cc3787889374fbeb4c81b17ba6c44");
}

TEST(AesCmTest, Aes256NistSp800_38aF55) {
  const std::vector<uint8_t> key =
      Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const std::vector<uint8_t> iv = Hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const std::vector<uint8_t> pt =
      Hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  absl::StatusOr<std::vector<uint8_t>> ct = AesCmEncrypt(key, iv, pt);
  ASSERT_TRUE(ct.ok()) << ct.status();
  // The counter carries from the last octet into the next (…feff, …ff00).
  EXPECT_EQ(ToHex(*ct),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5");
  absl::StatusOr<SecretBytes> back = AesCmDecrypt(key, iv, *ct);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(ToHex(back->span()), ToHex(pt));
}

TEST(AesCmTest, CounterWrapsModulo2To128) {
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const std::vector<uint8_t> ones(16, 0xff);
  const std::vector<uint8_t> zeros(16, 0x00);
  absl::StatusOr<SecretBytes> a = AesCmKeystream(key, ones, 32);
  absl::StatusOr<SecretBytes> b = AesCmKeystream(key, zeros, 16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ToHex(a->span().subspan(16)), ToHex(b->span()));
}

TEST(AesCmTest, InPlaceAndPartialBlocks) {
  const std::vector<uint8_t> key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const std::vector<uint8_t> iv = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
  std::vector<uint8_t> buf(37, 0);  // Zeros in place become the keystream.
  ASSERT_TRUE(AesCmXor(key, iv, buf, absl::MakeSpan(buf)).ok());
  EXPECT_EQ(ToHex(absl::MakeConstSpan(buf).first(20)),
            "e03ead0935c95e80e166b16dd92b4eb4d2351316");
  EXPECT_TRUE(AesCmXor(key, iv, {}, {}).ok());
}

TEST(AesCmTest, RejectsBadArguments) {
  const std::vector<uint8_t> iv(16);
  std::vector<uint8_t> buf(8);
  EXPECT_EQ(AesCmEncrypt(std::vector<uint8_t>(15), iv, buf).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      AesCmEncrypt(std::vector<uint8_t>(16), std::vector<uint8_t>(12), buf)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> out(7);
  EXPECT_EQ(
      AesCmXor(std::vector<uint8_t>(16), iv, buf, absl::MakeSpan(out)).code(),
      absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> big(32);
  absl::Status s =
      AesCmXor(std::vector<uint8_t>(16), iv, absl::MakeConstSpan(big).first(16),
               absl::MakeSpan(big).subspan(8, 16));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("overlap"));
}

// ---------------------------------------------------------------------------
// AES-KW

TEST(AesKwTest, Rfc3394Section4_1) {
  const std::vector<uint8_t> kek = Hex("000102030405060708090A0B0C0D0E0F");
  const std::vector<uint8_t> data = Hex("00112233445566778899AABBCCDDEEFF");
  absl::StatusOr<std::vector<uint8_t>> wrapped = AesKwWrap(kek, data);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(ToHex(*wrapped),
            "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  absl::StatusOr<SecretBytes> unwrapped = AesKwUnwrap(kek, *wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_EQ(ToHex(unwrapped->span()), ToHex(data));
}

TEST(AesKwTest, Rfc3394Section4_6) {
  std::vector<uint8_t> kek(32);
  for (int i = 0; i < 32; ++i) kek[i] = static_cast<uint8_t>(i);
  const std::vector<uint8_t> data =
      Hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
  absl::StatusOr<std::vector<uint8_t>> wrapped = AesKwWrap(kek, data);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(ToHex(*wrapped),
            "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43b"
            "fb988b9b7a02dd21");
  absl::StatusOr<SecretBytes> unwrapped = AesKwUnwrap(kek, *wrapped);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(ToHex(unwrapped->span()), ToHex(data));
}

// An initial value other than A6A6A6A6A6A6A6A6 (MIKEY uses a derived salt,
// RFC 3830 §4.2.3). Expected value from a hand-written RFC 3394 §2.2.1 wrap
// in Python (AES-ECB of the cryptography package), which reproduces the §4.1
// vector above with the default initial value.
TEST(AesKwTest, ExplicitInitialValue) {
  const std::vector<uint8_t> kek = Hex("000102030405060708090A0B0C0D0E0F");
  const std::vector<uint8_t> data = Hex("00112233445566778899AABBCCDDEEFF");
  const std::vector<uint8_t> iv = Hex("0123456789abcdef");
  absl::StatusOr<std::vector<uint8_t>> wrapped = AesKwWrap(kek, data, iv);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(ToHex(*wrapped),
            "a0f76f4b09e1f2191b8d94da2ca57adfd45ee9732992a98f");
  absl::StatusOr<SecretBytes> unwrapped = AesKwUnwrap(kek, *wrapped, iv);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_EQ(ToHex(unwrapped->span()), ToHex(data));
  // The default initial value does not unwrap it, nor another one.
  EXPECT_EQ(AesKwUnwrap(kek, *wrapped).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(AesKwUnwrap(kek, *wrapped, Hex("0123456789abcdee")).ok());
  // Nor does an explicit one unwrap a default-IV wrap.
  EXPECT_FALSE(
      AesKwUnwrap(kek, Hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"),
                  iv)
          .ok());
  EXPECT_EQ(AesKwWrap(kek, data, Hex("01020304")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AesKwTest, IntegrityFailureAndBadLengths) {
  const std::vector<uint8_t> kek = Hex("000102030405060708090A0B0C0D0E0F");
  std::vector<uint8_t> wrapped =
      Hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  for (size_t i = 0; i < wrapped.size(); i += 7) {
    std::vector<uint8_t> bad = wrapped;
    bad[i] ^= 0x80;
    absl::StatusOr<SecretBytes> r = AesKwUnwrap(kek, bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << i;
    EXPECT_THAT(r.status().message(), HasSubstr("integrity"));
  }
  std::vector<uint8_t> other_kek = kek;
  other_kek[0] ^= 1;
  EXPECT_FALSE(AesKwUnwrap(other_kek, wrapped).ok());
  EXPECT_EQ(AesKwWrap(kek, std::vector<uint8_t>(8)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesKwWrap(kek, std::vector<uint8_t>(20)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesKwUnwrap(kek, std::vector<uint8_t>(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesKwUnwrap(kek, std::vector<uint8_t>(25)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesKwWrap(std::vector<uint8_t>(17), std::vector<uint8_t>(16))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// AES-GCM

TEST(AesGcmTest, GcmSpecTestCases1And2) {
  const std::vector<uint8_t> key(16), iv(12);
  absl::StatusOr<std::vector<uint8_t>> tc1 = AesGcmSeal(key, iv, {}, {});
  ASSERT_TRUE(tc1.ok()) << tc1.status();
  EXPECT_EQ(ToHex(*tc1), "58e2fccefa7e3061367f1d57a4e7455a");
  absl::StatusOr<std::vector<uint8_t>> tc2 =
      AesGcmSeal(key, iv, {}, std::vector<uint8_t>(16));
  ASSERT_TRUE(tc2.ok());
  EXPECT_EQ(ToHex(*tc2),
            "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
  absl::StatusOr<SecretBytes> open = AesGcmOpen(key, iv, {}, *tc1);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
}

// RFC 7714 §16.1.1: the session key/salt and the IV are printed there.
TEST(AesGcmTest, Rfc7714Section16_1_1) {
  const std::vector<uint8_t> key = Hex("000102030405060708090a0b0c0d0e0f");
  const std::vector<uint8_t> iv = Hex("51753c6580c2726f20718414");
  const std::vector<uint8_t> aad = Hex("8040f17b8041f8d35501a0b2");
  const std::vector<uint8_t> pt =
      Hex("47616c6c696120657374206f6d6e69732064697669736120696e20706172746573"
          "2074726573");
  const std::string expected =
      "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de"
      "3adf8833899d7f27beb16a9152cf765ee4390cce";
  absl::StatusOr<std::vector<uint8_t>> ct = AesGcmSeal(key, iv, aad, pt);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ToHex(*ct), expected);
  absl::StatusOr<SecretBytes> back = AesGcmOpen(key, iv, aad, *ct);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToHex(back->span()), ToHex(pt));

  // Any change to AAD, ciphertext or tag fails authentication.
  std::vector<uint8_t> bad_aad = aad;
  bad_aad[0] ^= 1;
  absl::StatusOr<SecretBytes> r = AesGcmOpen(key, iv, bad_aad, *ct);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("authentication failed"));
  for (size_t i : {size_t{0}, ct->size() - 1}) {
    std::vector<uint8_t> bad = *ct;
    bad[i] ^= 1;
    EXPECT_FALSE(AesGcmOpen(key, iv, aad, bad).ok()) << i;
  }
  EXPECT_EQ(AesGcmOpen(key, iv, aad, std::vector<uint8_t>(15)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSeal(key, std::vector<uint8_t>(16), aad, pt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Random

TEST(RandomTest, OpenSslRandomFillsFreshOctets) {
  OpenSslRandom rng;
  absl::StatusOr<std::vector<uint8_t>> a = RandomBytes(rng, 32);
  absl::StatusOr<std::vector<uint8_t>> b = RandomBytes(rng, 32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, std::vector<uint8_t>(32, 0));
  absl::StatusOr<SecretBytes> s = RandomSecret(rng, 16);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 16u);
  EXPECT_TRUE(rng.Fill({}).ok());
}

TEST(RandomTest, DeterministicRandomIsAesCtrUnderTheSeed) {
  // Seed 0: key all zero, so the first block is AES-128(0^128, 0^128)
  // = 66e94bd4ef8a2c3b884cfa59ca342b2e (FIPS-197 era known answer).
  DeterministicRandom zero(0);
  absl::StatusOr<std::vector<uint8_t>> z = RandomBytes(zero, 16);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(ToHex(*z), "66e94bd4ef8a2c3b884cfa59ca342b2e");

  // Seed 1, read in uneven pieces: the stream continues across calls
  // (expected computed with Python cryptography AES-CTR, key 0^120 || 01).
  DeterministicRandom one(1);
  std::string got;
  for (size_t n : {3, 13, 1, 23}) {
    absl::StatusOr<std::vector<uint8_t>> part = RandomBytes(one, n);
    ASSERT_TRUE(part.ok());
    got += ToHex(*part);
  }
  EXPECT_EQ(got,
            "0545aad56da2a97c3663d1432a3d1c84a17e9f69e4f25a8b8620b4af78eefd6f"
            "9592d7757c44182c");
  DeterministicRandom again(1);
  absl::StatusOr<std::vector<uint8_t>> first = RandomBytes(again, 4);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ToHex(*first), "0545aad5");
}

// Counts the calls that reach the wrapped source.
class CountingRandom final : public RandomSource {
 public:
  explicit CountingRandom(uint64_t seed) : inner_(seed) {}
  absl::Status Fill(absl::Span<uint8_t> out) override {
    ++calls;
    return inner_.Fill(out);
  }
  int calls = 0;

 private:
  DeterministicRandom inner_;
};

TEST(RandomTest, BufferedRandomHandsOutTheSourceStreamInOrder) {
  // Buffered pieces come from whole 256-octet blocks of the source stream,
  // in order; a piece of 256 octets or more is a direct call of the source.
  DeterministicRandom direct(7);
  absl::StatusOr<std::vector<uint8_t>> stream = RandomBytes(direct, 1436);
  ASSERT_TRUE(stream.ok());
  auto range = [&](size_t from, size_t to) {
    return std::vector<uint8_t>(stream->begin() + from, stream->begin() + to);
  };
  std::vector<uint8_t> want;
  // 4+16+16+32+200 = 268: block 1 (0..256) and 12 of block 2 (256..512);
  // 7 more of block 2; 300 direct (512..812); 1 of block 2; 256 direct
  // (812..1068); 368 direct (1068..1436).
  for (auto [from, to] : std::vector<std::pair<size_t, size_t>>{
           {0, 268}, {268, 275}, {512, 812}, {275, 276}, {812, 1436}}) {
    std::vector<uint8_t> r = range(from, to);
    want.insert(want.end(), r.begin(), r.end());
  }

  CountingRandom counted(7);
  BufferedRandom buffered(&counted);
  std::vector<uint8_t> got;
  for (size_t n : {4, 16, 16, 32, 200, 7, 300, 1, 256, 368}) {
    absl::StatusOr<std::vector<uint8_t>> part = RandomBytes(buffered, n);
    ASSERT_TRUE(part.ok());
    got.insert(got.end(), part->begin(), part->end());
  }
  EXPECT_EQ(ToHex(got), ToHex(want));
  // Two block refills and three direct calls, for ten requests.
  EXPECT_EQ(counted.calls, 5);
}

TEST(RandomTest, BufferedRandomPassesOnSourceFailure) {
  class Failing final : public RandomSource {
   public:
    absl::Status Fill(absl::Span<uint8_t>) override {
      return absl::InternalError("no entropy");
    }
  } failing;
  BufferedRandom buffered(&failing);
  uint8_t b[4];
  EXPECT_EQ(buffered.Fill(absl::MakeSpan(b)).code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace mikey
