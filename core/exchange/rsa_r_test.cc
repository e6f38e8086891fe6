#include "core/exchange/rsa_r.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/pubkey_test_util.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/replay/replay_cache.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

using pki::testing::CertSpec;
using testing::ExpectSameKeys;
using testing::Stream;
using testing::TestPki;
using testing::Uri;

class RsaRTest : public ::testing::Test {
 protected:
  RsaRTest()
      : pki_(TestPki::Get()),
        clock_(pki::testing::TestNow()),
        rng_(9),
        cache_(std::make_unique<replay::InMemoryReplayCache>(100)) {}

  RsaRInitiatorOptions Initiator() const {
    RsaRInitiatorOptions o;
    o.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 0x1234),
                 Stream("AEAD_AES_256_GCM", 0x5678)};
    o.credential = PkCredential{{pki_.alice.cert}, &pki_.alice.key};
    o.id_i = Uri("sip:alice@example.com");
    return o;
  }
  RsaRResponderOptions Responder() {
    RsaRResponderOptions o;
    o.replay_cache = cache_.get();
    o.verifier = pki_.verifier.get();
    o.credential = PkCredential{{pki_.bob.cert}, &pki_.bob.key};
    o.id_r = Uri("sip:bob@example.com");
    return o;
  }
  RsaRCompleteOptions Complete() const {
    RsaRCompleteOptions o;
    o.verifier = pki_.verifier.get();
    o.key = &pki_.alice.key;
    return o;
  }

  const TestPki& pki_;
  FixedClock clock_;
  DeterministicRandom rng_;
  std::unique_ptr<replay::InMemoryReplayCache> cache_;
};

TEST_F(RsaRTest, RoundTripVariants) {
  for (uint8_t prf : {prf_func::kMikey1, prf_func::kMikey256}) {
    for (uint8_t encr : {encr_alg::kAesCm128, encr_alg::kAesKw128}) {
      SCOPED_TRACE(absl::StrCat("prf ", prf, " encr ", encr));
      RsaRInitiatorOptions io = Initiator();
      io.prf_func = prf;
      io.signature.scheme = prf == prf_func::kMikey1
                                ? RsaSignatureScheme::kPkcs1v15
                                : RsaSignatureScheme::kPss;
      absl::StatusOr<Bytes> i = InitiateRsaR(io, clock_, rng_);
      ASSERT_TRUE(i.ok()) << i.status();
      RsaRResponderOptions ro = Responder();
      ro.encr_alg = encr;
      RsaRResponse r = RespondRsaR(*i, ro, clock_, rng_);
      ASSERT_TRUE(r.status.ok()) << r.status;
      absl::StatusOr<Message> rm = ParseMessage(r.reply);
      ASSERT_TRUE(rm.ok());
      EXPECT_EQ(rm->header.data_type, data_type::kRsaRResp);
      absl::StatusOr<KeyResult> k =
          CompleteRsaR(r.reply, *i, Complete(), clock_);
      ASSERT_TRUE(k.ok()) << k.status();
      ExpectSameKeys(*r.keys, *k);
      ASSERT_EQ(k->streams.size(), 2u);
      EXPECT_EQ(k->streams[1].master_key.size(), 32u);
      EXPECT_EQ(k->streams[1].master_salt.size(), 12u);
    }
  }
}

TEST_F(RsaRTest, MessageShapes) {
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  ASSERT_TRUE(i.ok());
  absl::StatusOr<Message> im = ParseMessage(*i);
  ASSERT_TRUE(im.ok());
  std::vector<uint8_t> types;
  for (const Payload& p : im->payloads) types.push_back(PayloadTypeOf(p));
  // T, RAND, IDi, CERTi, SP, SP, SIGNi.
  EXPECT_EQ(types, (std::vector<uint8_t>{5, 11, 6, 7, 10, 10, 4}));
  EXPECT_EQ(im->header.data_type, data_type::kRsaRInit);
  RsaRResponse r = RespondRsaR(*i, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::StatusOr<Message> rm = ParseMessage(r.reply);
  types.clear();
  for (const Payload& p : rm->payloads) types.push_back(PayloadTypeOf(p));
  // T, IDr, CERTr, KEMAC, PKE, SIGNr.
  EXPECT_EQ(types, (std::vector<uint8_t>{5, 6, 7, 1, 2, 4}));
}

TEST_F(RsaRTest, SignaturesVerifiedByOpenSslCli) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no openssl CLI";
  }
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(
                *i, 256, *pki_.alice.key.PublicKey(), false, "rsar_i"),
            0);
  RsaRResponderOptions ro = Responder();
  ro.signature.scheme = RsaSignatureScheme::kPss;
  RsaRResponse r = RespondRsaR(*i, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(
                r.reply, 256, *pki_.bob.key.PublicKey(), true, "rsar_r"),
            0);
}

TEST_F(RsaRTest, AnyBitFlipIsRejected) {
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  ASSERT_TRUE(i.ok());
  RsaRResponderOptions ro = Responder();
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  RsaRResponse good = RespondRsaR(*i, ro, clock_, rng_);
  ASSERT_TRUE(good.status.ok());
  for (size_t n = 0; n < i->size(); ++n) {
    Bytes bad = *i;
    bad[n] ^= static_cast<uint8_t>(1u << (n % 8));
    RsaRResponse r = RespondRsaR(bad, ro, clock_, rng_);
    EXPECT_FALSE(r.status.ok()) << "I_MESSAGE bit flip at " << n;
  }
  ASSERT_TRUE(CompleteRsaR(good.reply, *i, Complete(), clock_).ok());
  for (size_t n = 0; n < good.reply.size(); ++n) {
    Bytes bad = good.reply;
    bad[n] ^= static_cast<uint8_t>(1u << (n % 8));
    EXPECT_FALSE(CompleteRsaR(bad, *i, Complete(), clock_).ok())
        << "R_MESSAGE bit flip at " << n;
  }
}

TEST_F(RsaRTest, GroupKeysAreShared) {
  RsaRResponderOptions ro = Responder();
  ro.group_rand = Bytes(16, 0x5A);
  ro.group_tgk = SecretBytes(Bytes(32, 0x77));
  RsaRInitiatorOptions io = Initiator();
  absl::StatusOr<Bytes> i1 = InitiateRsaR(io, clock_, rng_);
  // A second member with the same CS map and CSB.
  absl::StatusOr<Message> m1 = ParseMessage(*i1);
  io.csb_id = m1->header.csb_id;
  absl::StatusOr<Bytes> i2 = InitiateRsaR(io, clock_, rng_);
  RsaRResponse r1 = RespondRsaR(*i1, ro, clock_, rng_);
  RsaRResponse r2 = RespondRsaR(*i2, ro, clock_, rng_);
  ASSERT_TRUE(r1.status.ok() && r2.status.ok());
  absl::StatusOr<KeyResult> k1 =
      CompleteRsaR(r1.reply, *i1, Complete(), clock_);
  absl::StatusOr<KeyResult> k2 =
      CompleteRsaR(r2.reply, *i2, Complete(), clock_);
  ASSERT_TRUE(k1.ok() && k2.ok()) << k1.status() << k2.status();
  ExpectSameKeys(*k1, *k2);
  EXPECT_NE(r1.reply, r2.reply);  // fresh envelope keys
}

TEST_F(RsaRTest, InitiatorCertificateChecks) {
  CertSpec sign_only = TestPki::Leaf("alice", "sip:alice@example.com", 40);
  sign_only.key_encipherment = false;
  CertSpec expired = TestPki::Leaf("alice", "sip:alice@example.com", 41);
  expired.not_after = pki::testing::TestNow() - absl::Hours(2);
  for (const auto& [spec, failure] :
       {std::make_pair(sign_only, pki::CertFailure::kWrongKeyUsage),
        std::make_pair(expired, pki::CertFailure::kExpired)}) {
    absl::StatusOr<pki::testing::Issued> who =
        pki::testing::Issue(spec, &pki_.ca);
    ASSERT_TRUE(who.ok());
    RsaRInitiatorOptions io = Initiator();
    io.credential = PkCredential{{who->cert}, &who->key};
    absl::StatusOr<Bytes> i = InitiateRsaR(io, clock_, rng_);
    ASSERT_TRUE(i.ok());
    RsaRResponse r = RespondRsaR(*i, Responder(), clock_, rng_);
    EXPECT_EQ(pki::GetCertFailure(r.status), failure) << r.status;
    EXPECT_EQ(r.error_no, error_no::kInvalidCert);
    // The Initiator reads the Error message.
    absl::StatusOr<KeyResult> k = CompleteRsaR(r.reply, *i, Complete(), clock_);
    EXPECT_EQ(k.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(k.status().message().find("Invalid Cert"), std::string::npos)
        << k.status();
  }
}

TEST_F(RsaRTest, ResponderCertificateChecks) {
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  // Mallory answers with a certificate from another CA.
  RsaRResponderOptions ro = Responder();
  ro.credential = PkCredential{{pki_.mallory.cert}, &pki_.mallory.key};
  ro.id_r.reset();
  RsaRResponse r = RespondRsaR(*i, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::StatusOr<KeyResult> k = CompleteRsaR(r.reply, *i, Complete(), clock_);
  EXPECT_EQ(pki::GetCertFailure(k.status()), pki::CertFailure::kUnknownSigner);
  // Pinned Responder without CA works.
  pki::TrustConfig pins;
  pins.pinned_spki_sha256 = {pki_.mallory.cert.spki_sha256()};
  pki::CertificateVerifier pinned(pins);
  RsaRCompleteOptions co = Complete();
  co.verifier = &pinned;
  co.require_identity_binding = false;  // Mallory's cert says alice
  k = CompleteRsaR(r.reply, *i, co, clock_);
  EXPECT_TRUE(k.ok()) << k.status();
  // A reply to another I_MESSAGE (other CSB ID) is refused.
  absl::StatusOr<Bytes> other = InitiateRsaR(Initiator(), clock_, rng_);
  EXPECT_FALSE(CompleteRsaR(r.reply, *other, co, clock_).ok());
}

TEST_F(RsaRTest, ReplayIsRejected) {
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  EXPECT_TRUE(RespondRsaR(*i, Responder(), clock_, rng_).status.ok());
  RsaRResponse again = RespondRsaR(*i, Responder(), clock_, rng_);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.error_no, error_no::kInvalidTs);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
