#include "core/crypto/dh.h"

#include <openssl/bn.h>
#include <openssl/dh.h>  // BoringSSL declares the RFC 3526 prime here
#include <openssl/sha.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/testing/hex.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using testutil::Hex;
using testutil::ToHex;

// ---------------------------------------------------------------------------
// Known answers from testdata/gen_dh_kat.py: the primes computed from their
// definition in RFC 2409 / RFC 3526 (pi by Machin's formula), public values
// and shared secrets by Python's pow(), no crypto library involved.

constexpr char kOakley1_p[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a63a3620ffffffffffffffff";
constexpr char kOakley2_p[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff";
constexpr char kOakley5_p[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca237327ffffffffffffffff";

// OAKLEY 1
constexpr char kOakley1_xa[] =
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
    "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
    "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60";
constexpr char kOakley1_xb[] =
    "20a3a6a9acafb2b5b8bbbec1c4c7cacdd0d3d6d9dcdfe2e5e8ebeef1f4f7fafd"
    "000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d"
    "606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8abaeb1b4b7babd";
constexpr char kOakley1_ya[] =
    "5213c54211dc5c862179032b144b24de55fe75e36c4ad9569eaf9a947e03020a"
    "fe1f5d566abce83dd689bfe51d90a963ac0b3255e45407b366e6e53d4318210e"
    "c5e325b96eff4e3617267b66a6be181957ad9b511109b4393a01df4f8b70f52c";
constexpr char kOakley1_yb[] =
    "c54ffd968bb265cb3042199fbc934eb876f681dc6ed76a77961b24ab0982588d"
    "08f244fc6f0e5f5ba8aff885425cf4ee1622a86325204e37fd93237ce3d0c2e5"
    "58c95d0f128f72526e6a14b1375c64fdfc6a47b0e62f47a4d4feaa42cc197464";
constexpr char kOakley1_secret[] =
    "a2c7dd9026278f3d9c28bbe5ace465af4b371753eee5ab8b7ba247bbf2f14556"
    "a8841d07930403d74873aaa541063bf657a8f044a2041b7896ad3163c7da593d"
    "b781884711a00d22d0cfd4afd0ee0d4ff060e39e729a7b230efafdf81961de74";
// OAKLEY 2
constexpr char kOakley2_xa[] =
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
    "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
    "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60"
    "6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80";
constexpr char kOakley2_xb[] =
    "20a3a6a9acafb2b5b8bbbec1c4c7cacdd0d3d6d9dcdfe2e5e8ebeef1f4f7fafd"
    "000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d"
    "606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8abaeb1b4b7babd"
    "c0c3c6c9cccfd2d5d8dbdee1e4e7eaedf0f3f6f9fcff0205080b0e1114171a1d";
constexpr char kOakley2_ya[] =
    "52893c96a07492593d36d00328ba21101c0ab104717cf1928b3890e1ecbd76e8"
    "27e7ba7d589a03ef64f8f5648cea2b077409319013d832c41a04a3793eb4b73c"
    "a2a36306241de180ec36f5cfbef207ba2e04a39f1384dce12b8ebe27b54dbf04"
    "9be0abc80ebd4849976974b2be955c2c87ba11712576887f5b96427a1d8fb2fd";
constexpr char kOakley2_yb[] =
    "68b950b264fe96db602bcd62a29a33b2e4f3e012bcd18910e03afde5a1a11b57"
    "5378b94fd2efccfa4fc8aa6f475bcc5d930f8c672dfd6b1ababe3ba68d624bf5"
    "1a01a8bc00dffcee22a17073517108d59d6fcd5541acffcbd5291414fbfb12b8"
    "6353077737b6020b21eba9468e70da9709a9d04c2e55682f5c48bc4532548533";
constexpr char kOakley2_secret[] =
    "e2b1f669771ee23ad0b0ff8c2004819c37d15ab8b27a3b73479b24f8d06bff71"
    "1bde448876219df18c6dc90816fe3d7a842b3f3c134dc694581cca4144d5bb4a"
    "b341f0ade126344149d8d3d8ae9c1afc99f4f4df9c6a7f94e162433fe243715e"
    "e915b5b57842a8d3bc22b2e4c01ed2a23bca00cea1026bb9b8d384d17ad98b4e";
// OAKLEY 5
constexpr char kOakley5_xa[] =
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
    "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
    "4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60"
    "6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80"
    "8182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0"
    "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
constexpr char kOakley5_xb[] =
    "20a3a6a9acafb2b5b8bbbec1c4c7cacdd0d3d6d9dcdfe2e5e8ebeef1f4f7fafd"
    "000306090c0f1215181b1e2124272a2d303336393c3f4245484b4e5154575a5d"
    "606366696c6f7275787b7e8184878a8d909396999c9fa2a5a8abaeb1b4b7babd"
    "c0c3c6c9cccfd2d5d8dbdee1e4e7eaedf0f3f6f9fcff0205080b0e1114171a1d"
    "202326292c2f3235383b3e4144474a4d505356595c5f6265686b6e7174777a7d"
    "808386898c8f9295989b9ea1a4a7aaadb0b3b6b9bcbfc2c5c8cbced1d4d7dadd";
constexpr char kOakley5_ya[] =
    "2c04ac06358b138c9ef8d52f3bf7abae6b62c8b7107c34a28d58e88c9f660c09"
    "945bf929157fb3953ebdf5afee17776f9990ca94d4d56dcd67efd6d0ddf5dcae"
    "fae9414720239a93fa6499e2401b0dc026df2758261d0e980ec964fa7fa73d44"
    "253a4543a02b7ef91372ea94e67378d1b0387a7df39987f45585becc6638b24d"
    "1148e0615e8ec5326321c423daf718f753fe13419f13d1316436b3074aea76a3"
    "e7f28f01e4e03f4ac69703590fdc767ee7373e8395ca0f41a9a4ae2bcc4a39b1";
constexpr char kOakley5_yb[] =
    "015d10e77823d26440263d180d1c4bce0b24d497dd651538671faf4a174b8ac9"
    "2e0df413df10e0f0d10a4c16e6041b434bc583d9561ab34d0957a33fb136634f"
    "d334342e60f4402032400f92146dfba4e541cd8309279db2bcf33b2d92aaf14b"
    "271c6e52ce156a71b16fb10f8715d699a504d5d5a6b59c76a734dfebc2c1b5e6"
    "650774f113a42a8bdf9c3f0208da6b8476613336dba29b351f89906fff9e332b"
    "6d0752495aa2a63d27c3aade0ca1ff294c32ca54055b76949b4a921a2330c946";
constexpr char kOakley5_secret[] =
    "02508b21065d1e7ae5deaa3916cba079d5242866e7990ce39cfd0346242a64b1"
    "5ba40c22e7fb82ec05741aff05f35cac320b9746da9464e8498d5a49598239a9"
    "5b8e6d83b5ac32b90a33a34f61b51bfadb91a68bc7e037e205bcbd336a1f6233"
    "c924d7ce6e8fc76c9e9ab114237ac5c045caafb11b1242fb9febbc94f3c80d54"
    "fad29f1b23d037098380d1671c8eca592796e1ebab2dff095aa7b7f88cbe5048"
    "3002435fb3a26a0f0042e20b401f3267d7947b0e65e8e6bd61bdcd10b3086b39";

struct Kat {
  DhGroup group;
  const char* p;
  const char* xa;
  const char* xb;
  const char* ya;
  const char* yb;
  const char* secret;
};

const Kat kKats[] = {
    {DhGroup::kModp768, kOakley1_p, kOakley1_xa, kOakley1_xb, kOakley1_ya,
     kOakley1_yb, kOakley1_secret},
    {DhGroup::kModp1024, kOakley2_p, kOakley2_xa, kOakley2_xb, kOakley2_ya,
     kOakley2_yb, kOakley2_secret},
    {DhGroup::kModp1536, kOakley5_p, kOakley5_xa, kOakley5_xb, kOakley5_ya,
     kOakley5_yb, kOakley5_secret},
};

const DhGroup kModpGroups[] = {DhGroup::kModp768, DhGroup::kModp1024,
                               DhGroup::kModp1536};
const DhGroup kAllGroups[] = {DhGroup::kModp768, DhGroup::kModp1024,
                              DhGroup::kModp1536, DhGroup::kX25519};

// p - k as a fixed-length value (k small).
std::vector<uint8_t> PrimeMinus(DhGroup g, int k) {
  std::vector<uint8_t> v = DhGroupPrime(g);
  int borrow = k;
  for (size_t i = v.size(); i-- > 0 && borrow != 0;) {
    int x = v[i] - borrow;
    borrow = 0;
    while (x < 0) {
      x += 256;
      ++borrow;
    }
    v[i] = static_cast<uint8_t>(x);
  }
  return v;
}

std::vector<uint8_t> Small(DhGroup g, uint8_t value) {
  std::vector<uint8_t> v(DhValueOctets(g), 0);
  v.back() = value;
  return v;
}

TEST(DhGroupTest, LengthsAndNames) {
  EXPECT_EQ(DhValueOctets(DhGroup::kModp768), 96u);
  EXPECT_EQ(DhValueOctets(DhGroup::kModp1024), 128u);
  EXPECT_EQ(DhValueOctets(DhGroup::kModp1536), 192u);
  EXPECT_EQ(DhValueOctets(DhGroup::kX25519), 32u);
  EXPECT_EQ(DhGroupName(DhGroup::kModp1536), "OAKLEY 5 (1536-bit MODP)");
  EXPECT_TRUE(DhGroupPrime(DhGroup::kX25519).empty());
}

TEST(DhGroupTest, PrimesAreTheRfcPrimes) {
  for (const Kat& k : kKats) {
    SCOPED_TRACE(DhGroupName(k.group));
    EXPECT_EQ(ToHex(DhGroupPrime(k.group)), k.p);
  }
}

TEST(DhGroupTest, Oakley5PrimeIsTheLibrarysRfc3526Prime) {
  // BN_get_rfc3526_prime_1536 exists in OpenSSL and BoringSSL alike.
  BIGNUM* p = BN_get_rfc3526_prime_1536(nullptr);
  ASSERT_NE(p, nullptr);
  std::vector<uint8_t> lib(BN_num_bytes(p));
  BN_bn2bin(p, lib.data());
  BN_free(p);
  EXPECT_EQ(ToHex(lib), ToHex(DhGroupPrime(DhGroup::kModp1536)));
}

TEST(DhKnownAnswerTest, PublicValuesAndSharedSecrets) {
  for (const Kat& k : kKats) {
    SCOPED_TRACE(DhGroupName(k.group));
    absl::StatusOr<DhKeyPair> a =
        DhKeyPair::FromPrivateValue(k.group, Hex(k.xa));
    absl::StatusOr<DhKeyPair> b =
        DhKeyPair::FromPrivateValue(k.group, Hex(k.xb));
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(ToHex(a->public_value()), k.ya);
    EXPECT_EQ(ToHex(b->public_value()), k.yb);
    EXPECT_EQ(ToHex(a->private_value().span()), k.xa);
    absl::StatusOr<SecretBytes> ka = a->SharedSecret(Hex(k.yb));
    absl::StatusOr<SecretBytes> kb = b->SharedSecret(Hex(k.ya));
    ASSERT_TRUE(ka.ok()) << ka.status();
    ASSERT_TRUE(kb.ok()) << kb.status();
    EXPECT_EQ(ToHex(ka->span()), k.secret);
    EXPECT_EQ(ToHex(kb->span()), k.secret);
    // From the private value alone.
    absl::StatusOr<SecretBytes> kc =
        DhSharedSecret(k.group, Hex(k.xa), Hex(k.yb));
    ASSERT_TRUE(kc.ok()) << kc.status();
    EXPECT_EQ(ToHex(kc->span()), k.secret);
  }
}

TEST(DhKnownAnswerTest, X25519Rfc7748Section6_1) {
  const std::vector<uint8_t> a_priv =
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const std::vector<uint8_t> b_priv =
      Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  absl::StatusOr<DhKeyPair> a =
      DhKeyPair::FromPrivateValue(DhGroup::kX25519, a_priv);
  absl::StatusOr<DhKeyPair> b =
      DhKeyPair::FromPrivateValue(DhGroup::kX25519, b_priv);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(ToHex(a->public_value()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(ToHex(b->public_value()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  absl::StatusOr<SecretBytes> k = a->SharedSecret(b->public_value());
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(ToHex(k->span()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  absl::StatusOr<SecretBytes> k2 =
      DhSharedSecret(DhGroup::kX25519, b_priv, a->public_value());
  ASSERT_TRUE(k2.ok()) << k2.status();
  EXPECT_EQ(ToHex(k2->span()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(DhSharedSecretTest, RefusesBadPrivateValues) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    const std::vector<uint8_t> peer = Small(g, 2);  // the generator: valid
    for (const std::vector<uint8_t>& bad :
         {Small(g, 0), Small(g, 1), DhGroupPrime(g),
          std::vector<uint8_t>(DhValueOctets(g) - 1, 0x11)}) {
      EXPECT_EQ(DhSharedSecret(g, bad, peer).status().code(),
                absl::StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(DhSharedSecret(g, Small(g, 2), PrimeMinus(g, 1)).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(DhSharedSecret(g, Small(g, 2), peer).ok());
  }
}

// ---------------------------------------------------------------------------
// DhKeyCheck: SHA-256 over the documented input, computed here with
// OpenSSL's one-shot SHA256().

std::string ExpectedKeyCheck(uint8_t ike_group, const std::vector<uint8_t>& x,
                             const std::vector<uint8_t>& y) {
  std::vector<uint8_t> in;
  const std::string label = "MIKEY DH key check";
  in.insert(in.end(), label.begin(), label.end());
  in.push_back(ike_group);
  in.insert(in.end(), x.begin(), x.end());
  in.insert(in.end(), y.begin(), y.end());
  uint8_t d[SHA256_DIGEST_LENGTH];
  SHA256(in.data(), in.size(), d);
  return ToHex(std::vector<uint8_t>(d, d + 16));
}

TEST(DhKeyCheckTest, TruncatedSha256OfLabelGroupAndValues) {
  const uint8_t ike[] = {1, 2, 5};
  for (size_t i = 0; i < 3; ++i) {
    const Kat& k = kKats[i];
    SCOPED_TRACE(DhGroupName(k.group));
    absl::StatusOr<std::vector<uint8_t>> tag =
        DhKeyCheck(k.group, Hex(k.xa), Hex(k.ya));
    ASSERT_TRUE(tag.ok()) << tag.status();
    EXPECT_EQ(tag->size(), kDhKeyCheckOctets);
    EXPECT_EQ(ToHex(*tag), ExpectedKeyCheck(ike[i], Hex(k.xa), Hex(k.ya)));
    // Another private value, public value or group: another tag.
    EXPECT_NE(*DhKeyCheck(k.group, Hex(k.xb), Hex(k.ya)), *tag);
    EXPECT_NE(*DhKeyCheck(k.group, Hex(k.xa), Hex(k.yb)), *tag);
    EXPECT_EQ(DhKeyCheck(k.group, Hex(k.xa), Small(k.group, 2)).status().ok(),
              true);
    EXPECT_EQ(DhKeyCheck(k.group, Hex(k.xa),
                         std::vector<uint8_t>(DhValueOctets(k.group) + 1, 1))
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument);
  }
  const std::vector<uint8_t> x(32, 7), y(32, 9);
  absl::StatusOr<std::vector<uint8_t>> tag = DhKeyCheck(DhGroup::kX25519, x, y);
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(ToHex(*tag), ExpectedKeyCheck(31, x, y));
}

TEST(DhKeyPairTest, GeneratedPairsAgreeInEveryGroup) {
  DeterministicRandom rng(1);
  for (DhGroup g : kAllGroups) {
    SCOPED_TRACE(DhGroupName(g));
    absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(g, rng);
    absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->group(), g);
    EXPECT_EQ(a->public_value().size(), DhValueOctets(g));
    EXPECT_EQ(a->private_value().size(), DhValueOctets(g));
    EXPECT_NE(a->public_value(), b->public_value());
    EXPECT_TRUE(ValidateDhPublicValue(g, a->public_value()).ok());
    absl::StatusOr<SecretBytes> ka = a->SharedSecret(b->public_value());
    absl::StatusOr<SecretBytes> kb = b->SharedSecret(a->public_value());
    ASSERT_TRUE(ka.ok()) << ka.status();
    ASSERT_TRUE(kb.ok()) << kb.status();
    EXPECT_EQ(ka->size(), DhValueOctets(g));
    EXPECT_EQ(ToHex(ka->span()), ToHex(kb->span()));
    // The private value restores the same pair.
    absl::StatusOr<DhKeyPair> again =
        DhKeyPair::FromPrivateValue(g, a->private_value().span());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->public_value(), a->public_value());
  }
}

TEST(DhKeyPairTest, FreshKeysFromTheSystemRandomSource) {
  OpenSslRandom rng;
  for (DhGroup g : kAllGroups) {
    absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(g, rng);
    absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a->private_value(), b->private_value()) << DhGroupName(g);
  }
}

TEST(DhKeyPairTest, PrivateExponentRange) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    // q = (p-1)/2 is the smallest value out of range; q-1 the largest in it.
    std::vector<uint8_t> q = DhGroupPrime(g);
    uint8_t carry = 0;
    for (uint8_t& b : q) {
      const uint8_t next = static_cast<uint8_t>(b << 7);
      b = static_cast<uint8_t>((b >> 1) | carry);
      carry = next;
    }
    std::vector<uint8_t> q_minus_1 = q;
    q_minus_1.back() -= 1;  // q is odd
    EXPECT_TRUE(DhKeyPair::FromPrivateValue(g, q_minus_1).ok());
    EXPECT_TRUE(DhKeyPair::FromPrivateValue(g, Small(g, 2)).ok());
    for (const std::vector<uint8_t>& bad :
         {q, Small(g, 0), Small(g, 1), DhGroupPrime(g),
          std::vector<uint8_t>(DhValueOctets(g), 0xFF),
          std::vector<uint8_t>(DhValueOctets(g) - 1, 0x11)}) {
      absl::StatusOr<DhKeyPair> k = DhKeyPair::FromPrivateValue(g, bad);
      EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument)
          << ToHex(bad);
    }
  }
  EXPECT_FALSE(
      DhKeyPair::FromPrivateValue(DhGroup::kX25519, std::vector<uint8_t>(31))
          .ok());
}

// ---------------------------------------------------------------------------
// Invalid peer values.

TEST(DhValidationTest, DegenerateAndOutOfRangeValuesAreRejected) {
  DeterministicRandom rng(2);
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    absl::StatusOr<DhKeyPair> me = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(me.ok());
    const std::vector<uint8_t> p = DhGroupPrime(g);
    struct Bad {
      std::string name;
      std::vector<uint8_t> value;
      std::string message;
    };
    // Values >= p: p itself and 2^n - 1 (p ends in 64 one bits, so p + 1
    // would carry far; these two bracket the range).
    const std::vector<Bad> bads = {
        {"0", Small(g, 0), "is 0"},
        {"1", Small(g, 1), "is 1"},
        {"p-1", PrimeMinus(g, 1), "is p-1"},
        {"p", p, "is not less than the prime"},
        {"2^n-1", std::vector<uint8_t>(DhValueOctets(g), 0xFF),
         "is not less than the prime"},
        {"p-2 (order 2q)", PrimeMinus(g, 2), "not in the prime-order subgroup"},
        {"too short", std::vector<uint8_t>(DhValueOctets(g) - 1, 0x42),
         "octets"},
        {"too long", std::vector<uint8_t>(DhValueOctets(g) + 1, 0x01),
         "octets"},
    };
    for (const Bad& bad : bads) {
      SCOPED_TRACE(bad.name);
      absl::Status s = ValidateDhPublicValue(g, bad.value);
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find(bad.message), absl::string_view::npos) << s;
      absl::StatusOr<SecretBytes> k = me->SharedSecret(bad.value);
      EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
    }
    // The generator itself is a valid (if silly) public value.
    EXPECT_TRUE(ValidateDhPublicValue(g, Small(g, 2)).ok());
  }
}

// The subgroup check computes the Legendre symbol; OpenSSL's y^q mod p is the
// independent reference, on random values of which about half are squares.
TEST(DhValidationTest, SubgroupCheckAgreesWithExponentiationByQ) {
  BN_CTX* ctx = BN_CTX_new();
  ASSERT_NE(ctx, nullptr);
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    const std::vector<uint8_t> p_bytes = DhGroupPrime(g);
    BIGNUM* p = BN_bin2bn(p_bytes.data(), p_bytes.size(), nullptr);
    BIGNUM* q = BN_dup(p);
    BIGNUM* y = BN_new();
    BIGNUM* r = BN_new();
    ASSERT_TRUE(p != nullptr && q != nullptr && y != nullptr && r != nullptr);
    ASSERT_TRUE(BN_rshift1(q, q));
    DeterministicRandom rng(300 + static_cast<int>(g));
    int members = 0, others = 0;
    for (int i = 0; i < 80; ++i) {
      std::vector<uint8_t> v(DhValueOctets(g));
      if (i < 14) {
        v = Small(g, static_cast<uint8_t>(i + 2));  // 2 .. 15
      } else {
        ASSERT_TRUE(rng.Fill(absl::MakeSpan(v)).ok());
        v[0] &= 0x7F;  // 1 < v < p-1
      }
      ASSERT_NE(BN_bin2bn(v.data(), v.size(), y), nullptr);
      ASSERT_TRUE(BN_mod_exp(r, y, q, p, ctx));
      const bool member = BN_is_one(r);
      ++(member ? members : others);
      absl::Status s = ValidateDhPublicValue(g, v);
      EXPECT_EQ(s.ok(), member) << ToHex(v) << ": " << s;
      if (!member) {
        EXPECT_NE(s.message().find("not in the prime-order subgroup"),
                  absl::string_view::npos)
            << s;
      }
    }
    EXPECT_GT(members, 10);
    EXPECT_GT(others, 10);
    for (BIGNUM* b : {p, q, y, r}) BN_free(b);
  }
  BN_CTX_free(ctx);
}

TEST(DhValidationTest, X25519LowOrderPointsAreRejected) {
  DeterministicRandom rng(3);
  absl::StatusOr<DhKeyPair> me = DhKeyPair::Generate(DhGroup::kX25519, rng);
  ASSERT_TRUE(me.ok());
  // u = 0 and u = 1 have small order: the shared secret would be zero.
  for (uint8_t u : {0, 1}) {
    std::vector<uint8_t> v(32, 0);
    v[0] = u;  // little-endian u-coordinate
    absl::StatusOr<SecretBytes> k = me->SharedSecret(v);
    EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument)
        << static_cast<int>(u);
  }
  EXPECT_EQ(me->SharedSecret(std::vector<uint8_t>(31, 9)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Leading zero octets (minisip strips them and fails about 1 exchange in 256).

TEST(DhLeadingZeroTest, PublicValueWithLeadingZeroOctetKeepsItsLength) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    DeterministicRandom rng(100);
    absl::StatusOr<DhKeyPair> zero = absl::InternalError("none");
    int tries = 0;
    for (; tries < 5000; ++tries) {
      zero = DhKeyPair::Generate(g, rng);
      ASSERT_TRUE(zero.ok()) << zero.status();
      if (zero->public_value()[0] == 0) break;
    }
    ASSERT_EQ(zero->public_value()[0], 0) << "no leading zero in " << tries;
    EXPECT_EQ(zero->public_value().size(), DhValueOctets(g));
    EXPECT_TRUE(ValidateDhPublicValue(g, zero->public_value()).ok());
    absl::StatusOr<DhKeyPair> peer = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(peer.ok());
    absl::StatusOr<SecretBytes> k1 = zero->SharedSecret(peer->public_value());
    absl::StatusOr<SecretBytes> k2 = peer->SharedSecret(zero->public_value());
    ASSERT_TRUE(k1.ok() && k2.ok());
    EXPECT_EQ(ToHex(k1->span()), ToHex(k2->span()));
    // The same value with the zero octet stripped is refused, not
    // reinterpreted.
    std::vector<uint8_t> stripped(zero->public_value().begin() + 1,
                                  zero->public_value().end());
    EXPECT_FALSE(ValidateDhPublicValue(g, stripped).ok());
  }
}

TEST(DhLeadingZeroTest, SharedSecretWithLeadingZeroOctetKeepsItsLength) {
  for (DhGroup g : kModpGroups) {
    SCOPED_TRACE(DhGroupName(g));
    DeterministicRandom rng(200);
    absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(a.ok());
    bool found = false;
    for (int tries = 0; tries < 5000 && !found; ++tries) {
      absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(g, rng);
      ASSERT_TRUE(b.ok());
      absl::StatusOr<SecretBytes> k = a->SharedSecret(b->public_value());
      ASSERT_TRUE(k.ok()) << k.status();
      ASSERT_EQ(k->size(), DhValueOctets(g));
      if ((*k)[0] != 0) continue;
      found = true;
      absl::StatusOr<SecretBytes> k2 = b->SharedSecret(a->public_value());
      ASSERT_TRUE(k2.ok());
      EXPECT_EQ(ToHex(k->span()), ToHex(k2->span()));
      EXPECT_EQ(k2->size(), DhValueOctets(g));
    }
    EXPECT_TRUE(found);
  }
}

}  // namespace
}  // namespace mikey
