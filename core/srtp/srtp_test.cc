// Expected values: RFC 3711 Appendix B.3 and RFC 7714 §16/§17 (from
// /work/shared/reference/vectors), the libsrtp srtp_driver reference packet,
// key-derivation-rate cases computed with Python's cryptography AES-CTR from
// hand-built IVs, and libsrtp 2.5 itself protecting the same packets.

#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/aes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/srtp/key_derivation.h"
#include "core/srtp/suite.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace srtp {
namespace {

using ::mikey::testutil::Hex;
using ::mikey::testutil::ToHex;

using ::testing::HasSubstr;

const CryptoSuite& Suite(absl::string_view name) {
  absl::StatusOr<const CryptoSuite*> s = FindSuite(name);
  EXPECT_TRUE(s.ok()) << name;
  return **s;
}

uint32_t Be32(absl::Span<const uint8_t> b, size_t off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) |
         (uint32_t{b[off + 2]} << 8) | b[off + 3];
}

void Append(std::vector<uint8_t>& out, absl::Span<const uint8_t> b) {
  out.insert(out.end(), b.begin(), b.end());
}

std::vector<uint8_t> U32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// ---------------------------------------------------------------------------
// Minimal SRTP/SRTCP protection from session keys, written from RFC 3711
// §3.1, §3.4, §4.1.1, §4.2 and RFC 7714 §8, §9, §10, so the derived keys can
// be checked against whole protected packets. 12-octet RTP headers only.

std::vector<uint8_t> ProtectRtp(const CryptoSuite& s, const SessionKeys& k,
                                absl::Span<const uint8_t> pkt, uint32_t roc) {
  const absl::Span<const uint8_t> header = pkt.first(12);
  const absl::Span<const uint8_t> payload = pkt.subspan(12);
  const uint32_t ssrc = Be32(pkt, 8);
  const uint16_t seq = static_cast<uint16_t>((pkt[2] << 8) | pkt[3]);
  std::vector<uint8_t> out(header.begin(), header.end());
  if (s.cipher == Cipher::kAesGcm) {
    // IV = (00 00 || SSRC || ROC || SEQ) XOR salt.
    std::vector<uint8_t> iv = {0, 0};
    Append(iv, U32(ssrc));
    Append(iv, U32(roc));
    iv.push_back(static_cast<uint8_t>(seq >> 8));
    iv.push_back(static_cast<uint8_t>(seq));
    for (size_t i = 0; i < 12; ++i) iv[i] ^= k.salt[i];
    absl::StatusOr<std::vector<uint8_t>> sealed =
        AesGcmSeal(k.encr_key.span(), iv, header, payload);
    EXPECT_TRUE(sealed.ok());
    Append(out, *sealed);
    return out;
  }
  std::vector<uint8_t> enc(payload.begin(), payload.end());
  if (s.cipher == Cipher::kAesCm) {
    // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ.
    const uint64_t index = (uint64_t{roc} << 16) | seq;
    std::vector<uint8_t> iv(16, 0);
    for (size_t i = 0; i < 14; ++i) iv[i] = k.salt[i];
    for (int i = 0; i < 4; ++i)
      iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i)
      iv[8 + i] ^= static_cast<uint8_t>(index >> (40 - 8 * i));
    EXPECT_TRUE(AesCmXor(k.encr_key.span(), iv, enc, absl::MakeSpan(enc)).ok());
  }
  Append(out, enc);
  // Tag = HMAC-SHA1(k_a, header || encrypted payload || ROC), truncated.
  absl::StatusOr<std::vector<uint8_t>> tag =
      HmacConcat(HashAlg::kSha1, k.auth_key.span(), {header, enc, U32(roc)});
  EXPECT_TRUE(tag.ok());
  Append(out, absl::MakeConstSpan(*tag).first(s.srtp_auth_tag_length));
  return out;
}

// E = 1 (encrypted), no MKI.
std::vector<uint8_t> ProtectRtcp(const CryptoSuite& s, const SessionKeys& k,
                                 absl::Span<const uint8_t> pkt,
                                 uint32_t srtcp_index, bool encrypt = true) {
  const absl::Span<const uint8_t> header = pkt.first(8);
  const absl::Span<const uint8_t> rest = pkt.subspan(8);
  const uint32_t ssrc = Be32(pkt, 4);
  const std::vector<uint8_t> e_index =
      U32((encrypt ? 0x80000000u : 0) | srtcp_index);
  std::vector<uint8_t> out(header.begin(), header.end());
  if (s.cipher == Cipher::kAesGcm) {
    // IV = (00 00 || SSRC || 00 00 || 0 || 31-bit index) XOR salt;
    // AAD = header || E || index (RFC 7714 §9.2; everything when E = 0).
    std::vector<uint8_t> iv = {0, 0};
    Append(iv, U32(ssrc));
    iv.push_back(0);
    iv.push_back(0);
    Append(iv, U32(srtcp_index));
    for (size_t i = 0; i < 12; ++i) iv[i] ^= k.salt[i];
    std::vector<uint8_t> aad(header.begin(), header.end());
    absl::Span<const uint8_t> plaintext = rest;
    if (!encrypt) {
      Append(aad, rest);
      plaintext = {};
      Append(out, rest);
    }
    Append(aad, e_index);
    absl::StatusOr<std::vector<uint8_t>> sealed =
        AesGcmSeal(k.encr_key.span(), iv, aad, plaintext);
    EXPECT_TRUE(sealed.ok());
    Append(out, *sealed);
    Append(out, e_index);
    return out;
  }
  std::vector<uint8_t> enc(rest.begin(), rest.end());
  if (s.cipher == Cipher::kAesCm && encrypt) {
    std::vector<uint8_t> iv(16, 0);
    for (size_t i = 0; i < 14; ++i) iv[i] = k.salt[i];
    for (int i = 0; i < 4; ++i)
      iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i)
      iv[10 + i] ^= static_cast<uint8_t>(srtcp_index >> (24 - 8 * i));
    EXPECT_TRUE(AesCmXor(k.encr_key.span(), iv, enc, absl::MakeSpan(enc)).ok());
  }
  Append(out, enc);
  Append(out, e_index);
  absl::StatusOr<std::vector<uint8_t>> tag =
      HmacConcat(HashAlg::kSha1, k.auth_key.span(), {header, enc, e_index});
  EXPECT_TRUE(tag.ok());
  Append(out, absl::MakeConstSpan(*tag).first(s.srtcp_auth_tag_length));
  return out;
}

// ---------------------------------------------------------------------------
// RFC 3711 Appendix B.3

const std::vector<uint8_t> kB3Key = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const std::vector<uint8_t> kB3Salt = Hex("0EC675AD498AFEEBB6960B3AABE6");

TEST(SrtpKdfTest, Rfc3711AppendixB3) {
  absl::StatusOr<SecretBytes> enc =
      DeriveSessionKey(kB3Key, kB3Salt, kdf_label::kSrtpEncryption, 0, 0, 16);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(ToHex(enc->span()), "c61e7a93744f39ee10734afe3ff7a087");
  absl::StatusOr<SecretBytes> salt =
      DeriveSessionKey(kB3Key, kB3Salt, kdf_label::kSrtpSalt, 0, 0, 14);
  ASSERT_TRUE(salt.ok());
  EXPECT_EQ(ToHex(salt->span()), "30cbbc08863d8c85d49db34a9ae1");
  absl::StatusOr<SecretBytes> auth = DeriveSessionKey(
      kB3Key, kB3Salt, kdf_label::kSrtpAuthentication, 0, 0, 94);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(ToHex(auth->span()),
            "cebe321f6ff7716b6fd4ab49af256a156d38baa48f0a0acf3c34e2359e6cdbce"
            "e049646c43d9327ad175578ef72270986371c10c9a369ac2f94a8c5fbcdddc25"
            "6d6e919a48b610ef17c2041e474035766b68642c59bbfc2f34db60dbdfb2");
}

TEST(SrtpKdfTest, SuiteSessionKeysFromB3Master) {
  absl::StatusOr<SrtpSessionKeys> keys =
      DeriveSessionKeys(Suite("AES_CM_128_HMAC_SHA1_80"), kB3Key, kB3Salt);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(ToHex(keys->srtp.encr_key.span()),
            "c61e7a93744f39ee10734afe3ff7a087");
  EXPECT_EQ(ToHex(keys->srtp.auth_key.span()),
            "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
  EXPECT_EQ(ToHex(keys->srtp.salt.span()), "30cbbc08863d8c85d49db34a9ae1");
  // SRTCP labels 3, 4, 5 (libsrtp-derived values in the vectors file).
  EXPECT_EQ(ToHex(keys->srtcp.encr_key.span()),
            "4c1aa45a81f73d61c800bbb00fbb1eaa");
  EXPECT_EQ(ToHex(keys->srtcp.auth_key.span()),
            "8d54534feb49ae8e7993a6bd0b844fc323a93dfd");
  EXPECT_EQ(ToHex(keys->srtcp.salt.span()), "9581c7ad87b3e530bf3e4454a8b3");
}

TEST(SrtpKdfTest, LibsrtpDriverReferencePacket) {
  const CryptoSuite& s = Suite("AES_CM_128_HMAC_SHA1_80");
  absl::StatusOr<SessionKeys> keys = DeriveSrtpKeys(s, kB3Key, kB3Salt);
  ASSERT_TRUE(keys.ok());
  const std::vector<uint8_t> plain =
      Hex("800f1234decafbadcafebabeabababababababababababababababab");
  EXPECT_EQ(ToHex(ProtectRtp(s, *keys, plain, 0)),
            "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc"
            "99ea179b8dbb");
}

TEST(SrtpKdfTest, KeyDerivationRate) {
  // index 0x123456789ABC, kdr 2^8: r = 0x00123456789A, XORed into IV octets
  // 8..13: IV(label 0) = 0EC675AD498AFEEB B6843F6CD37C 0000.
  absl::StatusOr<SessionKeys> keys = DeriveSrtpKeys(
      Suite("AES_CM_128_HMAC_SHA1_80"), kB3Key, kB3Salt, 0x123456789ABC, 256);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(ToHex(keys->encr_key.span()), "995fa34e17a35691807b98b21d158e68");
  EXPECT_EQ(ToHex(keys->salt.span()), "4672ed03f7160f4edc1fbef8d412");
  // SRTCP index 0x7FFFFFFF, kdr 16: r = 0x07FFFFFF.
  absl::StatusOr<SessionKeys> rtcp = DeriveSrtcpKeys(
      Suite("AES_CM_128_HMAC_SHA1_80"), kB3Key, kB3Salt, 0x7FFFFFFF, 16);
  ASSERT_TRUE(rtcp.ok());
  EXPECT_EQ(ToHex(rtcp->encr_key.span()), "6d7de10f1f733fed140c7e1bcb37ddcb");
  // index DIV kdr = 0 gives the kdr = 0 keys (B.3).
  absl::StatusOr<SecretBytes> same =
      DeriveSessionKey(kB3Key, kB3Salt, kdf_label::kSrtpEncryption,
                       (1u << 24) - 1, 1u << 24, 16);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(ToHex(same->span()), "c61e7a93744f39ee10734afe3ff7a087");
}

TEST(SrtpKdfTest, RejectsBadInputs) {
  const CryptoSuite& cm = Suite("AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(DeriveSessionKey(kB3Key, kB3Salt, 0, 0, 3, 16).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      DeriveSessionKey(kB3Key, kB3Salt, 0, 0, 1u << 25, 16).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveSessionKey(kB3Key, kB3Salt, 0, uint64_t{1} << 48, 0, 16)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveSessionKey(std::vector<uint8_t>(15), kB3Salt, 0, 0, 0, 16)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveSessionKey(kB3Key, std::vector<uint8_t>(13), 0, 0, 0, 16)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<SessionKeys> wrong_key =
      DeriveSrtpKeys(cm, std::vector<uint8_t>(32), kB3Salt);
  EXPECT_EQ(wrong_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_key.status().message(), HasSubstr("master key"));
  EXPECT_EQ(DeriveSrtpKeys(Suite("AEAD_AES_128_GCM"), kB3Key, kB3Salt)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);  // GCM wants a 12-octet salt.
  EXPECT_EQ(DeriveSrtcpKeys(cm, kB3Key, kB3Salt, 0x80000000u).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// RFC 7714 §16, §17: session key and salt as printed there; the packets must
// come out bit-exact from AES-GCM with the RFC's IV and AAD formation.

const std::vector<uint8_t> kGcmSalt = Hex("517569642070726f2071756f");

SessionKeys GcmSessionKeys(absl::string_view key_hex) {
  SessionKeys k;
  k.encr_key = SecretBytes(Hex(key_hex));
  k.salt = SecretBytes(kGcmSalt);
  return k;
}

TEST(Rfc7714Test, SrtpPackets) {
  const std::vector<uint8_t> plain =
      Hex("8040f17b8041f8d35501a0b2"
          "47616c6c696120657374206f6d6e69732064697669736120696e2070617274657320"
          "74726573");
  EXPECT_EQ(ToHex(ProtectRtp(Suite("AEAD_AES_128_GCM"),
                             GcmSessionKeys("000102030405060708090a0b0c0d0e0f"),
                             plain, 0)),
            "8040f17b8041f8d35501a0b2"
            "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b"
            "36de3adf8833899d7f27beb16a9152cf765ee4390cce");
  EXPECT_EQ(ToHex(ProtectRtp(Suite("AEAD_AES_256_GCM"),
                             GcmSessionKeys("000102030405060708090a0b0c0d0e0f"
                                            "101112131415161718191a1b1c1d1e1f"),
                             plain, 0)),
            "8040f17b8041f8d35501a0b2"
            "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f"
            "1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13");
}

TEST(Rfc7714Test, SrtcpPackets) {
  const std::vector<uint8_t> plain =
      Hex("81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
          "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
  const SessionKeys k128 = GcmSessionKeys("000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(ToHex(ProtectRtcp(Suite("AEAD_AES_128_GCM"), k128, plain, 0x5d4)),
            "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32d"
            "c676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf872"
            "45d9eade800005d4");
  EXPECT_EQ(
      ToHex(ProtectRtcp(Suite("AEAD_AES_256_GCM"),
                        GcmSessionKeys("000102030405060708090a0b0c0d0e0f"
                                       "101112131415161718191a1b1c1d1e1f"),
                        plain, 0x5d4)),
      "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50"
      "a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6c"
      "b26ac3be800005d4");
  // §17.3: E = 0, the whole packet is AAD and only the tag is added.
  EXPECT_EQ(ToHex(ProtectRtcp(Suite("AEAD_AES_128_GCM"), k128, plain, 0x5d4,
                              /*encrypt=*/false)),
            ToHex(plain) + "841dd9683dd78ec92ae58790125f62b3000005d4");
}

// ---------------------------------------------------------------------------
// libsrtp 2.5 as a reference: it protects with the master key and salt, we
// protect with our derived session keys; the packets must be identical.

struct LibsrtpProfile {
  const char* suite;
  void (*rtp)(srtp_crypto_policy_t*);
  void (*rtcp)(srtp_crypto_policy_t*);
};

void PrintTo(const LibsrtpProfile& p, std::ostream* os) { *os << p.suite; }

// libsrtp 2.5 has no setter for this one (its profile lookup rejects it).
void NullSha1_32Rtp(srtp_crypto_policy_t* p) {
  srtp_crypto_policy_set_null_cipher_hmac_sha1_80(p);
  p->auth_tag_len = 4;
}

const LibsrtpProfile kProfiles[] = {
    {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
     srtp_crypto_policy_set_rtcp_default},
    {"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
     srtp_crypto_policy_set_rtcp_default},
    {"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AES_256_CM_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
     srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth,
     srtp_crypto_policy_set_aes_gcm_256_16_auth},
    {"NULL_HMAC_SHA1_80", srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
     srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
    {"NULL_HMAC_SHA1_32", NullSha1_32Rtp,
     srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
};

class LibsrtpTest : public ::testing::TestWithParam<LibsrtpProfile> {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(srtp_init(), srtp_err_status_ok); }
};

TEST_P(LibsrtpTest, SameProtectedPackets) {
  const LibsrtpProfile& prof = GetParam();
  const CryptoSuite& suite = Suite(prof.suite);
  const uint32_t ssrc = 0xdecafbad;
  DeterministicRandom rng(suite.master_key_length * 100 +
                          suite.master_salt_length);

  for (int trial = 0; trial < 4; ++trial) {
    absl::StatusOr<SecretBytes> master_key =
        RandomSecret(rng, suite.master_key_length);
    absl::StatusOr<SecretBytes> master_salt =
        RandomSecret(rng, suite.master_salt_length);
    ASSERT_TRUE(master_key.ok() && master_salt.ok());

    std::vector<uint8_t> key_and_salt(master_key->span().begin(),
                                      master_key->span().end());
    Append(key_and_salt, master_salt->span());
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    prof.rtp(&policy.rtp);
    prof.rtcp(&policy.rtcp);
    policy.ssrc.type = ssrc_specific;
    policy.ssrc.value = ssrc;
    policy.key = key_and_salt.data();
    policy.window_size = 128;
    policy.next = nullptr;
    srtp_t session = nullptr;
    ASSERT_EQ(srtp_create(&session, &policy), srtp_err_status_ok);

    absl::StatusOr<SrtpSessionKeys> keys =
        DeriveSessionKeys(suite, master_key->span(), master_salt->span());
    ASSERT_TRUE(keys.ok()) << keys.status();

    // RTP: header 80 0f SEQ SEQ | TS | SSRC, then a 37-octet payload.
    std::vector<uint8_t> rtp = Hex("800f0000cafebabe");
    Append(rtp, U32(ssrc));
    rtp[2] = static_cast<uint8_t>(0x12 + trial);
    rtp[3] = 0x34;
    for (int i = 0; i < 37; ++i)
      rtp.push_back(static_cast<uint8_t>(i * 7 + trial));
    std::vector<uint8_t> buf = rtp;
    buf.resize(rtp.size() + SRTP_MAX_TRAILER_LEN);
    int len = static_cast<int>(rtp.size());
    ASSERT_EQ(srtp_protect(session, buf.data(), &len), srtp_err_status_ok);
    buf.resize(len);
    EXPECT_EQ(ToHex(ProtectRtp(suite, keys->srtp, rtp, 0)), ToHex(buf))
        << prof.suite << " RTP trial " << trial;

    // RTCP: SR header with our SSRC and 20 more octets.
    std::vector<uint8_t> rtcp = Hex("80c80006");
    Append(rtcp, U32(ssrc));
    for (int i = 0; i < 20; ++i) rtcp.push_back(static_cast<uint8_t>(0xa0 + i));
    buf = rtcp;
    buf.resize(rtcp.size() + SRTP_MAX_TRAILER_LEN + 4);
    len = static_cast<int>(rtcp.size());
    ASSERT_EQ(srtp_protect_rtcp(session, buf.data(), &len), srtp_err_status_ok);
    buf.resize(len);
    // libsrtp chooses the SRTCP index; read it from its E || index word.
    const size_t e_at = suite.cipher == Cipher::kAesGcm
                            ? buf.size() - 4
                            : buf.size() - 4 - suite.srtcp_auth_tag_length;
    const uint32_t e_index = Be32(buf, e_at);
    const bool encrypted = (e_index & 0x80000000u) != 0;
    EXPECT_EQ(encrypted, suite.cipher != Cipher::kNull);
    EXPECT_EQ(ToHex(ProtectRtcp(suite, keys->srtcp, rtcp, e_index & 0x7fffffff,
                                encrypted)),
              ToHex(buf))
        << prof.suite << " RTCP trial " << trial;

    ASSERT_EQ(srtp_dealloc(session), srtp_err_status_ok);
  }
}

INSTANTIATE_TEST_SUITE_P(AllSuites, LibsrtpTest, ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<LibsrtpProfile>& i) {
                           return std::string(i.param.suite);
                         });

// ---------------------------------------------------------------------------
// Suites

TEST(SuiteTest, TableMatchesRfcs) {
  struct Want {
    const char* name;
    size_t key, salt, ekey, akey, ssalt, tag, rtcp_tag, aead;
  };
  // RFC 4568 §6.2.1/6.2.2, RFC 6188 §7.1, RFC 7714 §12/§14.2; NULL suites as
  // libsrtp's null_sha1 profiles (AES-CM PRF, so a 16+14 octet master).
  const Want want[] = {
      {"AES_CM_128_HMAC_SHA1_80", 16, 14, 16, 20, 14, 10, 10, 0},
      {"AES_CM_128_HMAC_SHA1_32", 16, 14, 16, 20, 14, 4, 10, 0},
      {"AES_256_CM_HMAC_SHA1_80", 32, 14, 32, 20, 14, 10, 10, 0},
      {"AES_256_CM_HMAC_SHA1_32", 32, 14, 32, 20, 14, 4, 10, 0},
      {"AEAD_AES_128_GCM", 16, 12, 16, 0, 12, 0, 0, 16},
      {"AEAD_AES_256_GCM", 32, 12, 32, 0, 12, 0, 0, 16},
      {"NULL_HMAC_SHA1_80", 16, 14, 0, 20, 0, 10, 10, 0},
      {"NULL_HMAC_SHA1_32", 16, 14, 0, 20, 0, 4, 10, 0},
  };
  ASSERT_EQ(AllSuites().size(), sizeof(want) / sizeof(want[0]));
  for (const Want& w : want) {
    SCOPED_TRACE(w.name);
    const CryptoSuite& s = Suite(w.name);
    EXPECT_EQ(s.name, w.name);
    EXPECT_EQ(s.master_key_length, w.key);
    EXPECT_EQ(s.master_salt_length, w.salt);
    EXPECT_EQ(s.session_encr_key_length, w.ekey);
    EXPECT_EQ(s.session_auth_key_length, w.akey);
    EXPECT_EQ(s.session_salt_length, w.ssalt);
    EXPECT_EQ(s.srtp_auth_tag_length, w.tag);
    EXPECT_EQ(s.srtcp_auth_tag_length, w.rtcp_tag);
    EXPECT_EQ(s.aead_tag_length, w.aead);
  }
  EXPECT_EQ(FindSuite("AES_CM_128_HMAC_SHA1_81").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(FindSuite("aes_cm_128_hmac_sha1_80").ok());
}

std::vector<SrtpPolicyParam> P(
    std::initializer_list<std::pair<uint8_t, int>> l) {
  std::vector<SrtpPolicyParam> out;
  for (const auto& [type, v] : l)
    out.push_back({type, {static_cast<uint8_t>(v)}});
  return out;
}

TEST(PolicyTest, Rfc3830FormOfAesCm128Sha1_80) {
  EXPECT_EQ(PolicyFromSuite(Suite("AES_CM_128_HMAC_SHA1_80")), P({{0, 1},
                                                                  {1, 16},
                                                                  {2, 1},
                                                                  {3, 20},
                                                                  {4, 14},
                                                                  {5, 0},
                                                                  {7, 1},
                                                                  {8, 1},
                                                                  {10, 1},
                                                                  {11, 10}}));
  EXPECT_EQ(PolicyFromSuite(Suite("AES_CM_128_HMAC_SHA1_32"),
                            SpDialect::kTagLengthInAuthKeyLength),
            P({{0, 1},
               {1, 16},
               {2, 1},
               {3, 4},
               {4, 14},
               {5, 0},
               {7, 1},
               {8, 1},
               {10, 1},
               {11, 4}}));
  EXPECT_EQ(
      PolicyFromSuite(Suite("AEAD_AES_256_GCM")),
      P({{0, 6}, {1, 32}, {2, 0}, {4, 12}, {5, 0}, {7, 1}, {8, 1}, {20, 16}}));
  EXPECT_EQ(PolicyFromSuite(Suite("NULL_HMAC_SHA1_80")),
            P({{0, 0}, {2, 1}, {3, 20}, {4, 14}, {5, 0}, {10, 1}, {11, 10}}));
  SrtpPolicy p;
  p.suite = &Suite("AES_CM_128_HMAC_SHA1_80");
  p.key_derivation_rate = 1u << 16;
  p.srtcp_encryption = false;
  std::vector<SrtpPolicyParam> params = PolicyFromSuite(p);
  EXPECT_THAT(params, ::testing::Contains(SrtpPolicyParam{6, {0, 1, 0, 0}}));
  EXPECT_THAT(params, ::testing::Contains(SrtpPolicyParam{8, {0}}));
}

// The MIKEY-NULL interop form: type 3 = 20 where the SRTP tag is 80 bits
// (Live555 accepts nothing else; GStreamer reads it as an 80-bit tag), the
// tag length 4 where it is 32 bits (what GStreamer and gortsplib read there).
TEST(PolicyTest, InteropNullDialectPicksTheFormPerSuite) {
  auto type3 = [](absl::string_view suite) -> int {
    for (const SrtpPolicyParam& p :
         PolicyFromSuite(Suite(suite), SpDialect::kInteropNull)) {
      if (p.type == 3) return p.value.size() == 1 ? p.value[0] : -2;
    }
    return -1;  // absent
  };
  EXPECT_EQ(type3("AES_CM_128_HMAC_SHA1_80"), 20);
  EXPECT_EQ(type3("AES_256_CM_HMAC_SHA1_80"), 20);
  EXPECT_EQ(type3("NULL_HMAC_SHA1_80"), 20);
  EXPECT_EQ(type3("AES_CM_128_HMAC_SHA1_32"), 4);
  EXPECT_EQ(type3("AES_256_CM_HMAC_SHA1_32"), 4);
  EXPECT_EQ(type3("NULL_HMAC_SHA1_32"), 4);
  EXPECT_EQ(type3("AEAD_AES_128_GCM"), -1);
  // Everything but type 3 is as in the RFC form; for 80-bit suites the whole
  // parameter list is the RFC form.
  EXPECT_EQ(PolicyFromSuite(Suite("AES_CM_128_HMAC_SHA1_80"),
                            SpDialect::kInteropNull),
            P({{0, 1},
               {1, 16},
               {2, 1},
               {3, 20},
               {4, 14},
               {5, 0},
               {7, 1},
               {8, 1},
               {10, 1},
               {11, 10}}));
  EXPECT_EQ(PolicyFromSuite(Suite("AES_256_CM_HMAC_SHA1_32"),
                            SpDialect::kInteropNull),
            P({{0, 1},
               {1, 32},
               {2, 1},
               {3, 4},
               {4, 14},
               {5, 0},
               {7, 1},
               {8, 1},
               {10, 1},
               {11, 4}}));
}

TEST(PolicyTest, RoundTripsEverySuiteInEveryDialect) {
  for (const CryptoSuite& s : AllSuites()) {
    for (SpDialect d :
         {SpDialect::kRfc3830, SpDialect::kTagLengthInAuthKeyLength,
          SpDialect::kInteropNull}) {
      absl::StatusOr<SrtpPolicy> back = SuiteFromPolicy(PolicyFromSuite(s, d));
      ASSERT_TRUE(back.ok()) << s.name << ": " << back.status();
      EXPECT_EQ(back->suite, &s) << s.name;
    }
  }
  SrtpPolicy p;
  p.suite = &Suite("AES_256_CM_HMAC_SHA1_32");
  p.key_derivation_rate = 1u << 24;
  p.srtp_encryption = false;
  p.srtp_authentication = false;
  absl::StatusOr<SrtpPolicy> back = SuiteFromPolicy(PolicyFromSuite(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->suite, p.suite);
  EXPECT_EQ(back->key_derivation_rate, 1u << 24);
  EXPECT_FALSE(back->srtp_encryption);
  EXPECT_TRUE(back->srtcp_encryption);
  EXPECT_FALSE(back->srtp_authentication);
}

const char* SuiteOf(const std::vector<SrtpPolicyParam>& params) {
  absl::StatusOr<SrtpPolicy> p = SuiteFromPolicy(params);
  if (!p.ok()) return "error";
  return p->suite->name.data();
}

TEST(PolicyTest, DefaultsAndDeployedDialects) {
  // No parameters at all: RFC 3830 defaults.
  EXPECT_STREQ(SuiteOf({}), "AES_CM_128_HMAC_SHA1_80");
  // GStreamer rtsp-server / gortsplib: tag length in type 3, no type 11.
  EXPECT_STREQ(
      SuiteOf(P({{0, 1}, {1, 16}, {2, 1}, {3, 10}, {7, 1}, {8, 1}, {10, 1}})),
      "AES_CM_128_HMAC_SHA1_80");
  EXPECT_STREQ(
      SuiteOf(P({{0, 1}, {1, 16}, {2, 1}, {3, 4}, {7, 1}, {8, 1}, {10, 1}})),
      "AES_CM_128_HMAC_SHA1_32");
  EXPECT_STREQ(SuiteOf(P({{0, 1}, {1, 32}, {2, 1}, {3, 4}})),
               "AES_256_CM_HMAC_SHA1_32");
  // Type 11 wins over type 3; tag lengths in bits are read too.
  EXPECT_STREQ(SuiteOf(P({{3, 10}, {11, 4}})), "AES_CM_128_HMAC_SHA1_32");
  EXPECT_STREQ(SuiteOf(P({{11, 80}})), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_STREQ(SuiteOf(P({{11, 32}})), "AES_CM_128_HMAC_SHA1_32");
  // GCM without salt length or AEAD tag length; with HMAC-SHA-1 left as the
  // default or stated; with unknown and MCPTT-only types (13, 18, 19).
  EXPECT_STREQ(SuiteOf(P({{0, 6}})), "AEAD_AES_128_GCM");
  EXPECT_STREQ(SuiteOf(P({{0, 6}, {1, 32}, {2, 1}, {4, 12}, {20, 16}})),
               "AEAD_AES_256_GCM");
  EXPECT_STREQ(SuiteOf(P({{0, 6}, {2, 0}, {13, 1}, {18, 4}, {19, 0}, {99, 7}})),
               "AEAD_AES_128_GCM");
  EXPECT_STREQ(SuiteOf(P({{0, 0}, {11, 4}})), "NULL_HMAC_SHA1_32");
  // Multi-octet values.
  std::vector<SrtpPolicyParam> wide = {{1, {0, 0, 0, 32}}, {6, {0, 1, 0, 0}}};
  absl::StatusOr<SrtpPolicy> w = SuiteFromPolicy(wide);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->suite->name, "AES_256_CM_HMAC_SHA1_80");
  EXPECT_EQ(w->key_derivation_rate, 65536u);
}

TEST(PolicyTest, RejectsWithNamedParameter) {
  struct Case {
    std::vector<SrtpPolicyParam> params;
    absl::StatusCode code;
    const char* text;
  };
  const Case cases[] = {
      {P({{0, 2}}), absl::StatusCode::kUnimplemented, "parameter 0"},
      {P({{0, 9}}), absl::StatusCode::kUnimplemented, "encryption algorithm"},
      {P({{1, 24}}), absl::StatusCode::kUnimplemented, "AES-192"},
      {P({{1, 20}}), absl::StatusCode::kInvalidArgument, "parameter 1"},
      {P({{2, 0}}), absl::StatusCode::kUnimplemented, "without authentication"},
      {P({{2, 4}}), absl::StatusCode::kUnimplemented, "RCCm"},
      {P({{0, 6}, {2, 4}}), absl::StatusCode::kUnimplemented, "RCCm"},
      {P({{3, 32}}), absl::StatusCode::kInvalidArgument, "parameter 3"},
      {P({{4, 12}}), absl::StatusCode::kInvalidArgument, "parameter 4"},
      {P({{0, 6}, {4, 14}}), absl::StatusCode::kInvalidArgument, "parameter 4"},
      {P({{5, 1}}), absl::StatusCode::kUnimplemented, "PRF"},
      {P({{6, 3}}), absl::StatusCode::kInvalidArgument, "key derivation rate"},
      {P({{7, 2}}), absl::StatusCode::kInvalidArgument, "parameter 7"},
      {P({{10, 255}}), absl::StatusCode::kInvalidArgument, "parameter 10"},
      {P({{9, 1}}), absl::StatusCode::kUnimplemented, "FEC"},
      {P({{11, 8}}), absl::StatusCode::kUnimplemented, "parameter 11"},
      {P({{12, 4}}), absl::StatusCode::kUnimplemented, "prefix"},
      {P({{0, 6}, {20, 8}}), absl::StatusCode::kUnimplemented, "parameter 20"},
      {P({{0, 1}, {0, 1}}), absl::StatusCode::kInvalidArgument, "twice"},
      {{{1, {}}}, absl::StatusCode::kInvalidArgument, "0 octets"},
      {{{6, {0, 0, 0, 0, 1}}}, absl::StatusCode::kInvalidArgument, "5 octets"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SrtpPolicy> r = SuiteFromPolicy(c.params);
    EXPECT_EQ(r.status().code(), c.code) << c.text << ": " << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.text));
  }
}

}  // namespace
}  // namespace srtp
}  // namespace mikey
