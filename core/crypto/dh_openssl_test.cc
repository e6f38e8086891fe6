// DH against OpenSSL 3's own pieces: its copies of the RFC 2409 / RFC 3526
// primes, its primality test, and shared secrets computed by
// EVP_PKEY_derive on keys built from our values with EVP_PKEY_fromdata.
// OpenSSL-3-only API: tagged openssl_only.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/bytes/secret_bytes.h"
#include "core/crypto/dh.h"
#include "core/crypto/random.h"
#include "core/testing/hex.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using testutil::ToHex;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

BnPtr Bn(const std::vector<uint8_t>& v) {
  return BnPtr(BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr));
}

std::vector<uint8_t> BnBytes(const BIGNUM* bn) {
  std::vector<uint8_t> v(BN_num_bytes(bn));
  BN_bn2bin(bn, v.data());
  return v;
}

TEST(DhOpenSslTest, PrimesMatchOpenSslsRfcPrimes) {
  BnPtr p768(BN_get_rfc2409_prime_768(nullptr));
  BnPtr p1024(BN_get_rfc2409_prime_1024(nullptr));
  BnPtr p1536(BN_get_rfc3526_prime_1536(nullptr));
  EXPECT_EQ(ToHex(BnBytes(p768.get())), ToHex(DhGroupPrime(DhGroup::kModp768)));
  EXPECT_EQ(ToHex(BnBytes(p1024.get())),
            ToHex(DhGroupPrime(DhGroup::kModp1024)));
  EXPECT_EQ(ToHex(BnBytes(p1536.get())),
            ToHex(DhGroupPrime(DhGroup::kModp1536)));
}

TEST(DhOpenSslTest, PrimesAreSafePrimes) {
  for (DhGroup g :
       {DhGroup::kModp768, DhGroup::kModp1024, DhGroup::kModp1536}) {
    BnPtr p = Bn(DhGroupPrime(g));
    BnPtr q(BN_dup(p.get()));
    ASSERT_TRUE(BN_rshift1(q.get(), q.get()));
    EXPECT_EQ(BN_check_prime(p.get(), nullptr, nullptr), 1) << DhGroupName(g);
    EXPECT_EQ(BN_check_prime(q.get(), nullptr, nullptr), 1) << DhGroupName(g);
    // p = 7 mod 8, so 2 is a quadratic residue and generates the order-q
    // subgroup.
    EXPECT_EQ(BN_mod_word(p.get(), 8), 7u) << DhGroupName(g);
  }
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// An OpenSSL DH key of group `g` from our private and/or public value.
PkeyPtr OpenSslDhKey(DhGroup g, const SecretBytes* priv,
                     const std::vector<uint8_t>& pub) {
  BnPtr p = Bn(DhGroupPrime(g));
  BnPtr gen(BN_new());
  BN_set_word(gen.get(), 2);
  BnPtr y = Bn(pub);
  BnPtr x;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y.get());
  if (priv != nullptr) {
    x.reset(BN_bin2bn(priv->data(), static_cast<int>(priv->size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x.get());
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(
          ctx, &key, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
          params) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return PkeyPtr(key);
}

// EVP_PKEY_derive with padding on (fixed-length output).
std::vector<uint8_t> OpenSslDerive(EVP_PKEY* mine, EVP_PKEY* peer, bool pad) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, mine, nullptr);
  std::vector<uint8_t> out;
  size_t len = 0;
  if (ctx != nullptr && EVP_PKEY_derive_init(ctx) == 1 &&
      (!pad || EVP_PKEY_CTX_set_dh_pad(ctx, 1) == 1) &&
      EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
      EVP_PKEY_derive(ctx, nullptr, &len) == 1) {
    out.resize(len);
    if (EVP_PKEY_derive(ctx, out.data(), &len) == 1) {
      out.resize(len);
    } else {
      out.clear();
    }
  }
  EVP_PKEY_CTX_free(ctx);
  return out;
}

TEST(DhOpenSslTest, SharedSecretsMatchEvpPkeyDerive) {
  DeterministicRandom rng(7);
  for (DhGroup g :
       {DhGroup::kModp768, DhGroup::kModp1024, DhGroup::kModp1536}) {
    SCOPED_TRACE(DhGroupName(g));
    for (int i = 0; i < 4; ++i) {
      absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(g, rng);
      absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(g, rng);
      ASSERT_TRUE(a.ok() && b.ok());
      PkeyPtr a_key = OpenSslDhKey(g, &a->private_value(), a->public_value());
      PkeyPtr b_pub = OpenSslDhKey(g, nullptr, b->public_value());
      ASSERT_NE(a_key, nullptr);
      ASSERT_NE(b_pub, nullptr);
      absl::StatusOr<SecretBytes> ours = a->SharedSecret(b->public_value());
      ASSERT_TRUE(ours.ok()) << ours.status();
      EXPECT_EQ(ToHex(OpenSslDerive(a_key.get(), b_pub.get(), true)),
                ToHex(ours->span()));
    }
  }
}

TEST(DhOpenSslTest, LeadingZeroSecretMatchesPaddedEvpPkeyDerive) {
  // Find a pair whose secret starts with a zero octet: OpenSSL's unpadded
  // derive is one octet shorter, the padded one equals ours.
  const DhGroup g = DhGroup::kModp768;
  DeterministicRandom rng(8);
  absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(g, rng);
  ASSERT_TRUE(a.ok());
  PkeyPtr a_key = OpenSslDhKey(g, &a->private_value(), a->public_value());
  ASSERT_NE(a_key, nullptr);
  bool found = false;
  for (int tries = 0; tries < 5000 && !found; ++tries) {
    absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(g, rng);
    ASSERT_TRUE(b.ok());
    absl::StatusOr<SecretBytes> ours = a->SharedSecret(b->public_value());
    ASSERT_TRUE(ours.ok());
    if ((*ours)[0] != 0) continue;
    found = true;
    PkeyPtr b_pub = OpenSslDhKey(g, nullptr, b->public_value());
    const std::vector<uint8_t> padded =
        OpenSslDerive(a_key.get(), b_pub.get(), true);
    const std::vector<uint8_t> unpadded =
        OpenSslDerive(a_key.get(), b_pub.get(), false);
    EXPECT_EQ(ToHex(padded), ToHex(ours->span()));
    EXPECT_LT(unpadded.size(), ours->size());
  }
  EXPECT_TRUE(found);
}

TEST(DhOpenSslTest, X25519MatchesEvpPkeyDerive) {
  DeterministicRandom rng(9);
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<DhKeyPair> a = DhKeyPair::Generate(DhGroup::kX25519, rng);
    absl::StatusOr<DhKeyPair> b = DhKeyPair::Generate(DhGroup::kX25519, rng);
    ASSERT_TRUE(a.ok() && b.ok());
    PkeyPtr a_key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr,
                                               a->private_value().data(), 32));
    PkeyPtr b_pub(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr,
                                              b->public_value().data(), 32));
    absl::StatusOr<SecretBytes> ours = a->SharedSecret(b->public_value());
    ASSERT_TRUE(ours.ok());
    EXPECT_EQ(ToHex(OpenSslDerive(a_key.get(), b_pub.get(), false)),
              ToHex(ours->span()));
  }
}

}  // namespace
}  // namespace mikey
