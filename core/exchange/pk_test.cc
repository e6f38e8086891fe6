#include "core/exchange/pk.h"

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

class PkTest : public ::testing::Test {
 protected:
  PkTest()
      : pki_(TestPki::Get()),
        clock_(pki::testing::TestNow()),
        rng_(7),
        cache_(std::make_unique<replay::InMemoryReplayCache>(100)) {}

  PkInitiatorOptions Initiator() const {
    PkInitiatorOptions o;
    o.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 0x1111),
                 Stream("AES_256_CM_HMAC_SHA1_80", 0x2222),
                 Stream("AEAD_AES_128_GCM", 0)};
    o.credential = PkCredential{{pki_.alice.cert}, &pki_.alice.key};
    o.id_i = Uri("sip:alice@example.com");
    o.responder_certificate = pki_.bob.cert;
    o.responder_verifier = pki_.verifier.get();
    return o;
  }

  PkResponderOptions Responder() {
    PkResponderOptions o;
    o.replay_cache = cache_.get();
    o.verifier = pki_.verifier.get();
    o.credentials = {PkCredential{{pki_.bob.cert}, &pki_.bob.key}};
    return o;
  }

  const TestPki& pki_;
  FixedClock clock_;
  DeterministicRandom rng_;
  std::unique_ptr<replay::InMemoryReplayCache> cache_;
};

TEST_F(PkTest, RoundTripVariants) {
  struct Variant {
    uint8_t prf, encr;
    RsaSignatureScheme scheme;
    bool v;
  };
  for (const Variant& v : {Variant{prf_func::kMikey1, encr_alg::kAesCm128,
                                   RsaSignatureScheme::kPkcs1v15, false},
                           Variant{prf_func::kMikey256, encr_alg::kAesKw128,
                                   RsaSignatureScheme::kPss, true},
                           Variant{prf_func::kMikey1, encr_alg::kAesKw128,
                                   RsaSignatureScheme::kPss, true},
                           Variant{prf_func::kMikey256, encr_alg::kAesCm128,
                                   RsaSignatureScheme::kPkcs1v15, true}}) {
    SCOPED_TRACE(absl::StrCat("prf ", v.prf, " encr ", v.encr));
    PkInitiatorOptions io = Initiator();
    io.prf_func = v.prf;
    io.encr_alg = v.encr;
    io.signature.scheme = v.scheme;
    io.v_flag = v.v;
    io.tgk_validity.type = key_validity::kSpi;
    io.tgk_validity.spi = {1, 2, 3, 4};
    absl::StatusOr<PkInitiation> init = InitiatePk(io, clock_, rng_);
    ASSERT_TRUE(init.ok()) << init.status();
    PkResponse r = RespondPk(init->i_message, Responder(), clock_);
    ASSERT_TRUE(r.status.ok()) << r.status;
    ASSERT_TRUE(r.keys.has_value());
    ExpectSameKeys(init->keys, *r.keys);
    EXPECT_EQ(r.keys->streams[0].mki, (Bytes{1, 2, 3, 4}));
    EXPECT_NE(r.keys->streams[0].master_key.span(),
              r.keys->streams[1].master_key.span().first(16));
    ASSERT_TRUE(r.peer_certificate.has_value());
    EXPECT_EQ(r.peer_certificate->der(), pki_.alice.cert.der());
    if (v.v) {
      ASSERT_FALSE(r.reply.empty());
      EXPECT_TRUE(VerifyPkResponse(r.reply, init->i_message,
                                   init->envelope_key.span(), clock_)
                      .ok());
      Bytes bad = r.reply;
      bad[bad.size() - 1] ^= 1;
      EXPECT_FALSE(VerifyPkResponse(bad, init->i_message,
                                    init->envelope_key.span(), clock_)
                       .ok());
    } else {
      EXPECT_TRUE(r.reply.empty());
    }
  }
}

TEST_F(PkTest, MessageShape) {
  PkInitiatorOptions io = Initiator();
  io.send_chash = true;
  io.id_r = Uri("sip:bob@example.com");
  absl::StatusOr<PkInitiation> init = InitiatePk(io, clock_, rng_);
  ASSERT_TRUE(init.ok()) << init.status();
  absl::StatusOr<Message> m = ParseMessage(init->i_message);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.data_type, data_type::kPkInit);
  std::vector<uint8_t> types;
  for (const Payload& p : m->payloads) types.push_back(PayloadTypeOf(p));
  // HDR, T, RAND, IDi, CERTi, IDr, SP, SP, SP, KEMAC, CHASH, PKE, SIGN.
  EXPECT_EQ(types,
            (std::vector<uint8_t>{5, 11, 6, 7, 6, 10, 10, 10, 1, 8, 2, 4}));
  const auto* pke = m->Find<PkePayload>();
  EXPECT_EQ(pke->data.size(), 256u);
  EXPECT_EQ(m->Find<SignPayload>()->signature.size(), 256u);
  EXPECT_EQ(m->Find<ChashPayload>()->hash.size(), 20u);
}

// The signature is over everything before the Signature field (SIGN header
// included), checked by the openssl CLI.
TEST_F(PkTest, SignatureVerifiedByOpenSslCli) {
  if (std::system("openssl version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no openssl CLI";
  }
  for (bool pss : {false, true}) {
    PkInitiatorOptions io = Initiator();
    io.signature.scheme =
        pss ? RsaSignatureScheme::kPss : RsaSignatureScheme::kPkcs1v15;
    absl::StatusOr<PkInitiation> init = InitiatePk(io, clock_, rng_);
    ASSERT_TRUE(init.ok());
    const Bytes& w = init->i_message;
    // The SIGN header sits right before the 256 signature octets:
    // S type (4 bits) | length 256 (12 bits).
    ASSERT_GT(w.size(), 258u);
    EXPECT_EQ(w[w.size() - 258], (pss ? 0x10 : 0x00) | 0x01);
    EXPECT_EQ(w[w.size() - 257], 0x00);
    EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(
                  w, 256, *pki_.alice.key.PublicKey(), pss,
                  pss ? "pk_pss" : "pk_pkcs1"),
              0);
    // Excluding the SIGN header from the signed part must not verify.
    Bytes short_w(w.begin(), w.end() - 258);
    short_w.insert(short_w.end(), w.end() - 256, w.end());
    EXPECT_NE(testing::OpenSslVerifyTrailingSignature(
                  short_w, 256, *pki_.alice.key.PublicKey(), pss, "pk_short"),
              0);
  }
}

// Every single-bit change anywhere in the I_MESSAGE is refused.
TEST_F(PkTest, AnyBitFlipIsRejected) {
  absl::StatusOr<PkInitiation> init = InitiatePk(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  const Bytes& good = init->i_message;
  PkResponderOptions ro = Responder();
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  ASSERT_TRUE(RespondPk(good, ro, clock_).status.ok());
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= static_cast<uint8_t>(1u << (i % 8));
    PkResponse r = RespondPk(bad, ro, clock_);
    EXPECT_FALSE(r.status.ok()) << "bit flip at offset " << i << " accepted";
    EXPECT_FALSE(r.keys.has_value());
  }
}

TEST_F(PkTest, ReplayAndClockSkew) {
  absl::StatusOr<PkInitiation> init = InitiatePk(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  PkResponderOptions ro = Responder();
  EXPECT_TRUE(RespondPk(init->i_message, ro, clock_).status.ok());
  PkResponse again = RespondPk(init->i_message, ro, clock_);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.error_no, error_no::kInvalidTs);

  absl::StatusOr<PkInitiation> late = InitiatePk(Initiator(), clock_, rng_);
  FixedClock later(clock_.Now() + absl::Minutes(6));
  PkResponse r = RespondPk(late->i_message, ro, later);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error_no, error_no::kInvalidTs);
  // The timestamp is refused before the envelope key is recovered, so the
  // Error message cannot carry a V.
  absl::StatusOr<Message> e = ParseMessage(r.reply);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->header.data_type, data_type::kError);
  EXPECT_EQ(e->Find<VerificationPayload>(), nullptr);
}

// Replaces the CERT payload of `wire` by `cert` and re-signs with `key`: what
// an Initiator holding that certificate would send.
absl::StatusOr<PkInitiation> WithCert(PkInitiatorOptions io,
                                      const pki::testing::Issued& who,
                                      const Clock& clock, RandomSource& rng) {
  io.credential = PkCredential{{who.cert}, &who.key};
  return InitiatePk(io, clock, rng);
}

TEST_F(PkTest, CertificateFailuresMapToErrors) {
  using pki::testing::Issue;
  const TestPki& p = pki_;
  CertSpec expired = TestPki::Leaf("alice", "sip:alice@example.com", 10);
  expired.not_after = pki::testing::TestNow() - absl::Hours(1);
  CertSpec future = TestPki::Leaf("alice", "sip:alice@example.com", 11);
  future.not_before = pki::testing::TestNow() + absl::Hours(1);
  CertSpec no_sign = TestPki::Leaf("alice", "sip:alice@example.com", 12);
  no_sign.digital_signature = false;
  CertSpec other_id = TestPki::Leaf("carol", "sip:carol@example.com", 13);
  struct Case {
    const char* name;
    absl::StatusOr<pki::testing::Issued> who;
    pki::CertFailure failure;
    uint8_t error;
  };
  std::vector<Case> cases;
  cases.push_back({"expired", Issue(expired, &p.ca), pki::CertFailure::kExpired,
                   error_no::kInvalidCert});
  cases.push_back({"not yet valid", Issue(future, &p.ca),
                   pki::CertFailure::kNotYetValid, error_no::kInvalidCert});
  cases.push_back({"wrong usage", Issue(no_sign, &p.ca),
                   pki::CertFailure::kWrongKeyUsage, error_no::kInvalidCert});
  cases.push_back(
      {"unknown CA",
       Issue(TestPki::Leaf("alice", "sip:alice@example.com", 14), &p.other_ca),
       pki::CertFailure::kUnknownSigner, error_no::kInvalidCert});
  cases.push_back(
      {"self-signed, unpinned",
       Issue(TestPki::Leaf("alice", "sip:alice@example.com", 15), nullptr),
       pki::CertFailure::kUnknownSigner, error_no::kInvalidCert});
  cases.push_back({"identity mismatch", Issue(other_id, &p.ca),
                   pki::CertFailure::kIdentityMismatch, error_no::kInvalidId});
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.who.ok()) << c.who.status();
    absl::StatusOr<PkInitiation> init =
        WithCert(Initiator(), *c.who, clock_, rng_);
    ASSERT_TRUE(init.ok()) << init.status();
    PkResponse r = RespondPk(init->i_message, Responder(), clock_);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition)
        << r.status;
    EXPECT_EQ(pki::GetCertFailure(r.status), c.failure) << r.status;
    EXPECT_EQ(r.error_no, c.error);
    absl::StatusOr<Message> e = ParseMessage(r.reply);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->header.data_type, data_type::kError);
    ASSERT_NE(e->Find<ErrorPayload>(), nullptr);
    EXPECT_EQ(e->Find<ErrorPayload>()->error_no, c.error);
  }
}

TEST_F(PkTest, PinnedSelfSignedWithoutCa) {
  absl::StatusOr<pki::testing::Issued> self = pki::testing::Issue(
      TestPki::Leaf("alice", "sip:alice@example.com", 20), nullptr);
  ASSERT_TRUE(self.ok());
  absl::StatusOr<PkInitiation> init =
      WithCert(Initiator(), *self, clock_, rng_);
  ASSERT_TRUE(init.ok());
  pki::TrustConfig pins;
  pins.pinned_spki_sha256 = {self->cert.spki_sha256()};
  pki::CertificateVerifier pinned(pins);
  PkResponderOptions ro = Responder();
  ro.verifier = &pinned;
  PkResponse r = RespondPk(init->i_message, ro, clock_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ExpectSameKeys(init->keys, *r.keys);

  // Another pin: refused with "pin mismatch".
  pki::TrustConfig other;
  other.pinned_spki_sha256 = {pki_.bob.cert.spki_sha256()};
  pki::CertificateVerifier wrong(other);
  ro.verifier = &wrong;
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  r = RespondPk(init->i_message, ro, clock_);
  EXPECT_EQ(pki::GetCertFailure(r.status), pki::CertFailure::kPinMismatch);
  EXPECT_EQ(r.error_no, error_no::kInvalidCert);
}

TEST_F(PkTest, ForgedSignatureAndPke) {
  absl::StatusOr<PkInitiation> init = InitiatePk(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  PkResponderOptions ro = Responder();
  ro.skip_replay_check = true;
  ro.replay_cache = nullptr;
  // Same message signed by Mallory (same IDi, certificate from another CA)
  // after swapping in her certificate: refused as unknown signer.
  absl::StatusOr<PkInitiation> forged =
      WithCert(Initiator(), pki_.mallory, clock_, rng_);
  PkResponse r = RespondPk(forged->i_message, ro, clock_);
  EXPECT_EQ(pki::GetCertFailure(r.status), pki::CertFailure::kUnknownSigner);
  // The signature byte flipped: Auth failure.
  Bytes bad = init->i_message;
  bad[bad.size() - 5] ^= 0x20;
  r = RespondPk(bad, ro, clock_);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error_no, error_no::kAuthFailure);
  // A message for someone else (encrypted to Alice's key): PKE refused.
  PkInitiatorOptions io = Initiator();
  io.responder_certificate = pki_.alice.cert;
  absl::StatusOr<PkInitiation> to_alice = InitiatePk(io, clock_, rng_);
  ASSERT_TRUE(to_alice.ok());
  r = RespondPk(to_alice->i_message, ro, clock_);
  EXPECT_FALSE(r.status.ok());
  EXPECT_FALSE(r.keys.has_value());
}

TEST_F(PkTest, ChashSelectsTheCredential) {
  PkInitiatorOptions io = Initiator();
  io.responder_certificate = pki_.alice.cert;  // Responder holds two
  io.send_chash = true;
  absl::StatusOr<PkInitiation> init = InitiatePk(io, clock_, rng_);
  ASSERT_TRUE(init.ok());
  PkResponderOptions ro = Responder();
  ro.require_identity_binding = true;
  ro.credentials.push_back(PkCredential{{pki_.alice.cert}, &pki_.alice.key});
  PkResponse r = RespondPk(init->i_message, ro, clock_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ExpectSameKeys(init->keys, *r.keys);
}

TEST_F(PkTest, WrongDataTypeAndMissingVerifier) {
  absl::StatusOr<PkInitiation> init = InitiatePk(Initiator(), clock_, rng_);
  Bytes w = init->i_message;
  w[1] = data_type::kPskInit;
  PkResponse r = RespondPk(w, Responder(), clock_);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error_no, error_no::kInvalidDt);
  PkResponderOptions ro = Responder();
  ro.verifier = nullptr;
  EXPECT_EQ(RespondPk(init->i_message, ro, clock_).status.code(),
            absl::StatusCode::kInvalidArgument);
  // Truncations are INVALID_ARGUMENT, never a crash.
  for (size_t n = 0; n < init->i_message.size(); n += 7) {
    PkResponse t = RespondPk(absl::MakeConstSpan(init->i_message).first(n),
                             Responder(), clock_);
    EXPECT_FALSE(t.status.ok());
  }
}

TEST_F(PkTest, ResponderCertificateMustAllowKeyEncipherment) {
  CertSpec sign_only = TestPki::Leaf("bob", "sip:bob@example.com", 30);
  sign_only.key_encipherment = false;
  absl::StatusOr<pki::testing::Issued> bob2 =
      pki::testing::Issue(sign_only, &pki_.ca);
  ASSERT_TRUE(bob2.ok());
  PkInitiatorOptions io = Initiator();
  io.responder_certificate = bob2->cert;
  absl::StatusOr<PkInitiation> init = InitiatePk(io, clock_, rng_);
  EXPECT_EQ(pki::GetCertFailure(init.status()),
            pki::CertFailure::kWrongKeyUsage);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
