#include "service/state/state_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/crypto/random.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/keystore/keystore.h"

namespace mikey {
namespace service {
namespace state {
namespace {

using ::mikey::testutil::Hex;
using ::testing::HasSubstr;

constexpr char kStateKey1[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kStateKey2[] =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

// A keystore whose snapshot the test replaces (a key rotation).
class SwappableKeyStore : public keystore::KeyStore {
 public:
  std::shared_ptr<const keystore::KeySnapshot> Current() const override {
    absl::MutexLock lock(&mu_);
    return snapshot_;
  }
  // versions: (version, hex key) pairs of key "state".
  void Set(const std::vector<std::pair<uint32_t, const char*>>& versions) {
    auto s = std::make_shared<keystore::KeySnapshot>();
    for (const auto& v : versions) {
      EXPECT_TRUE(s->Add("state", v.first, Hex(v.second)).ok());
    }
    absl::MutexLock lock(&mu_);
    snapshot_ = std::move(s);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const keystore::KeySnapshot> snapshot_ =
      std::make_shared<keystore::KeySnapshot>();
};

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
const std::vector<uint8_t> kPayload = Hex("00112233445566778899aabbccddeeff01");

class StateTokenTest : public ::testing::Test {
 protected:
  StateTokenTest() : sealer_(&keys_, "state", absl::Minutes(5)), rng_(7) {
    keys_.Set({{1, kStateKey1}});
  }

  SealedState Seal(Binding b = {1, 0x12345678}) {
    absl::StatusOr<SealedState> s = sealer_.Seal(b, kPayload, kNow, rng_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : SealedState();
  }

  SwappableKeyStore keys_;
  StateSealer sealer_;
  DeterministicRandom rng_;
};

std::vector<uint8_t> PayloadOf(const OpenedState& o) {
  return std::vector<uint8_t>(o.payload.span().begin(), o.payload.span().end());
}

TEST_F(StateTokenTest, RoundTrip) {
  SealedState sealed = Seal({2, 0x12345678});
  EXPECT_EQ(sealed.key_version, 1u);
  EXPECT_EQ(sealed.expires, kNow + absl::Minutes(5));
  EXPECT_EQ(sealed.token.size(), kHeaderSize + kPayload.size() + 16);
  absl::StatusOr<OpenedState> opened =
      sealer_.Open(sealed.token, 0x12345678, kNow + absl::Minutes(1));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->mode, 2);
  EXPECT_EQ(opened->key_version, 1u);
  EXPECT_EQ(opened->expires, sealed.expires);
  EXPECT_EQ(PayloadOf(*opened), kPayload);
}

TEST_F(StateTokenTest, HeaderLayout) {
  SealedState sealed = Seal({6, 0x12345678});
  const std::vector<uint8_t> head(sealed.token.begin(),
                                  sealed.token.begin() + 18);
  // "MKST", format 1, mode 6, key version 1, expiry 1700000300.
  EXPECT_EQ(head, Hex("4d4b5354 01 06 00000001 000000006553f22c"));
}

// Opens a token with OpenSSL, following the layout documented in
// state_token.h (not the code under test).
std::vector<uint8_t> OpenWithOpenSsl(const std::vector<uint8_t>& token,
                                     const std::vector<uint8_t>& state_key,
                                     uint32_t csb_id, const std::string& key_id,
                                     bool* ok) {
  *ok = false;
  const uint8_t* salt = token.data() + 18;
  const uint8_t* iv = token.data() + 34;
  std::vector<uint8_t> kdf_in(
      reinterpret_cast<const uint8_t*>("mikey-broker state token v1"),
      reinterpret_cast<const uint8_t*>("mikey-broker state token v1") + 27);
  kdf_in.insert(kdf_in.end(), salt, salt + 16);
  uint8_t key[32];
  unsigned key_len = 0;
  HMAC(EVP_sha256(), state_key.data(), static_cast<int>(state_key.size()),
       kdf_in.data(), kdf_in.size(), key, &key_len);
  std::vector<uint8_t> aad(token.begin(), token.begin() + 46);
  aad.push_back(csb_id >> 24);
  aad.push_back(csb_id >> 16);
  aad.push_back(csb_id >> 8);
  aad.push_back(csb_id);
  aad.insert(aad.end(), key_id.begin(), key_id.end());
  const size_t ct_len = token.size() - 46 - 16;
  std::vector<uint8_t> plain(ct_len);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool good =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, iv) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx, plain.data(), &len, token.data() + 46,
                        static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                          const_cast<uint8_t*>(token.data() + 46 + ct_len)) ==
          1 &&
      EVP_DecryptFinal_ex(ctx, plain.data() + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  *ok = good;
  return plain;
}

TEST_F(StateTokenTest, FormatMatchesDocumentation) {
  SealedState sealed = Seal({1, 0xCAFEBABE});
  bool ok = false;
  std::vector<uint8_t> plain =
      OpenWithOpenSsl(sealed.token, Hex(kStateKey1), 0xCAFEBABE, "state", &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(plain, kPayload);
  // The binding is really part of the AAD.
  OpenWithOpenSsl(sealed.token, Hex(kStateKey1), 0xCAFEBABF, "state", &ok);
  EXPECT_FALSE(ok);
}

TEST_F(StateTokenTest, EveryAlteredOctetIsRefused) {
  const SealedState sealed = Seal();
  for (size_t i = 0; i < sealed.token.size(); ++i) {
    std::vector<uint8_t> t = sealed.token;
    t[i] ^= 0x01;
    absl::StatusOr<OpenedState> o = sealer_.Open(t, 0x12345678, kNow);
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument)
        << "octet " << i;
  }
  // And it still opens when unaltered.
  EXPECT_TRUE(sealer_.Open(sealed.token, 0x12345678, kNow).ok());
}

TEST_F(StateTokenTest, MalformedTokens) {
  const SealedState sealed = Seal();
  std::vector<uint8_t> truncated(sealed.token.begin(),
                                 sealed.token.begin() + 50);
  EXPECT_THAT(sealer_.Open(truncated, 0x12345678, kNow).status().message(),
              HasSubstr("too short"));
  EXPECT_EQ(sealer_.Open({}, 0x12345678, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> huge(kMaxTokenSize + 1, 0);
  EXPECT_EQ(sealer_.Open(huge, 0x12345678, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> bad_magic = sealed.token;
  bad_magic[0] = 'X';
  EXPECT_THAT(sealer_.Open(bad_magic, 0x12345678, kNow).status().message(),
              HasSubstr("magic"));
}

TEST_F(StateTokenTest, Expiry) {
  const SealedState sealed = Seal();
  EXPECT_TRUE(sealer_
                  .Open(sealed.token, 0x12345678,
                        kNow + absl::Minutes(5) - absl::Seconds(1))
                  .ok());
  absl::StatusOr<OpenedState> o =
      sealer_.Open(sealed.token, 0x12345678, kNow + absl::Minutes(5));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(o.status().message(), HasSubstr("expired"));
  o = sealer_.Open(sealed.token, 0x12345678, kNow + absl::Hours(10));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StateTokenTest, WrongBindingIsRefused) {
  const SealedState sealed = Seal({1, 0x12345678});
  absl::StatusOr<OpenedState> o = sealer_.Open(sealed.token, 0x12345679, kNow);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr("another exchange"));
}

TEST_F(StateTokenTest, ForeignKeyIsRefused) {
  const SealedState sealed = Seal();
  // Another deployment: same key id and version, other key.
  SwappableKeyStore other_keys;
  other_keys.Set({{1, kStateKey2}});
  StateSealer other(&other_keys, "state", absl::Minutes(5));
  absl::StatusOr<OpenedState> o = other.Open(sealed.token, 0x12345678, kNow);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  // Same keys under another key id.
  SwappableKeyStore same_keys;
  same_keys.Set({{1, kStateKey1}});
  StateSealer renamed(&same_keys, "state", absl::Minutes(5));
  EXPECT_TRUE(renamed.Open(sealed.token, 0x12345678, kNow).ok());
}

TEST_F(StateTokenTest, RotationSealsWithNewestOpensAnyHeld) {
  const SealedState old_token = Seal();
  keys_.Set({{1, kStateKey1}, {2, kStateKey2}});
  const SealedState new_token = Seal();
  EXPECT_EQ(new_token.key_version, 2u);
  EXPECT_TRUE(sealer_.Open(old_token.token, 0x12345678, kNow).ok());
  EXPECT_TRUE(sealer_.Open(new_token.token, 0x12345678, kNow).ok());
  // Version 1 retired.
  keys_.Set({{2, kStateKey2}});
  absl::StatusOr<OpenedState> o =
      sealer_.Open(old_token.token, 0x12345678, kNow);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr("version 1"));
  EXPECT_TRUE(sealer_.Open(new_token.token, 0x12345678, kNow).ok());
}

TEST_F(StateTokenTest, MissingOrShortStateKey) {
  SwappableKeyStore empty;
  StateSealer no_key(&empty, "state", absl::Minutes(5));
  absl::StatusOr<SealedState> s = no_key.Seal({1, 1}, kPayload, kNow, rng_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  const SealedState sealed = Seal();
  EXPECT_EQ(no_key.Open(sealed.token, 0x12345678, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);

  SwappableKeyStore short_keys;
  short_keys.Set({{1, "000102030405060708090a0b0c0d0e0f"}});
  StateSealer short_key(&short_keys, "state", absl::Minutes(5));
  s = short_key.Seal({1, 1}, kPayload, kNow, rng_);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("at least 32"));
}

TEST_F(StateTokenTest, TokensDiffer) {
  // Fresh salt and IV per token.
  EXPECT_NE(Seal().token, Seal().token);
}

}  // namespace
}  // namespace state
}  // namespace service
}  // namespace mikey
