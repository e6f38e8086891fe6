#include "core/exchange/rsa_r.h"

#include <algorithm>
#include <memory>
#include <string>
#include <variant>
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
  // RFC 4738 §3.4: "The V bit MUST be set to '1'".
  EXPECT_TRUE(im->header.v_flag);
  EXPECT_EQ((*i)[3] & 0x80, 0x80);
  FixedClock later = clock_;
  later.Advance(absl::Seconds(20));
  RsaRResponse r = RespondRsaR(*i, Responder(), later, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::StatusOr<Message> rm = ParseMessage(r.reply);
  types.clear();
  for (const Payload& p : rm->payloads) types.push_back(PayloadTypeOf(p));
  // T, IDr, CERTr, SP, SP, KEMAC, PKE, SIGNr: no RAND (the I_MESSAGE has
  // one), the I_MESSAGE's SP payloads (§3.6: "If an SP payload was in the
  // I_MESSAGE, then the R_MESSAGE MUST contain an SP payload").
  EXPECT_EQ(types, (std::vector<uint8_t>{5, 6, 7, 10, 10, 1, 2, 4}));
  // §3.6: "The T payload is exactly the same as that received in the
  // I_MESSAGE", whatever the Responder's clock says.
  EXPECT_EQ(*rm->Find<TimestampPayload>(), *im->Find<TimestampPayload>());
  EXPECT_EQ(rm->FindAll<SecurityPolicyPayload>().size(), 2u);
  EXPECT_EQ(*rm->FindAll<SecurityPolicyPayload>()[1],
            *im->FindAll<SecurityPolicyPayload>()[1]);
  EXPECT_TRUE(CompleteRsaR(r.reply, *i, Complete(), later).ok());
}

// RFC 4738 §3.6: "If the I_MESSAGE did not include the RAND payload, it MUST
// be present in the R_MESSAGE"; §3.7: the Initiator discards an R_MESSAGE
// without one then.
TEST_F(RsaRTest, InitiatorWithoutRandGetsTheResponders) {
  RsaRInitiatorOptions io = Initiator();
  io.send_rand = false;
  absl::StatusOr<Bytes> i = InitiateRsaR(io, clock_, rng_);
  ASSERT_TRUE(i.ok()) << i.status();
  absl::StatusOr<Message> im = ParseMessage(*i);
  ASSERT_TRUE(im.ok());
  EXPECT_EQ(im->Find<RandPayload>(), nullptr);
  RsaRResponse r = RespondRsaR(*i, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::StatusOr<Message> rm = ParseMessage(r.reply);
  ASSERT_TRUE(rm.ok());
  ASSERT_NE(rm->Find<RandPayload>(), nullptr);
  EXPECT_EQ(rm->Find<RandPayload>()->rand.size(), 16u);
  absl::StatusOr<KeyResult> k = CompleteRsaR(r.reply, *i, Complete(), clock_);
  ASSERT_TRUE(k.ok()) << k.status();
  ExpectSameKeys(*r.keys, *k);
}

// The V bit of an RSA-R I_MESSAGE is ignored by the Responder (§3.4).
TEST_F(RsaRTest, ResponderIgnoresTheVBit) {
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  ASSERT_TRUE(i.ok());
  absl::StatusOr<Message> m = ParseMessage(*i);
  ASSERT_TRUE(m.ok());
  m->header.v_flag = false;
  // Re-signed by alice, independently of the code's signing path.
  auto& sign = std::get<SignPayload>(m->payloads.back());
  absl::StatusOr<Bytes> wire = SerializeMessage(*m);
  ASSERT_TRUE(wire.ok());
  RsaSignatureParams params;
  absl::StatusOr<std::vector<uint8_t>> sig = pki_.alice.key.Sign(
      params,
      absl::MakeConstSpan(*wire).first(wire->size() - sign.signature.size()));
  ASSERT_TRUE(sig.ok());
  std::copy(sig->begin(), sig->end(), wire->end() - sig->size());
  RsaRResponse r = RespondRsaR(*wire, Responder(), clock_, rng_);
  EXPECT_TRUE(r.status.ok()) << r.status;
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
  // SIGNr covers "R_MESSAGE (excluding the SIGNr payload itself) || IDi ||
  // IDr || T" (RFC 4738 §3.6): the ID data and the 8-octet NTP T appended.
  absl::StatusOr<Message> im = ParseMessage(*i);
  ASSERT_TRUE(im.ok());
  const std::string suffix =
      absl::StrCat("sip:alice@example.com", "sip:bob@example.com");
  Bytes tail(suffix.begin(), suffix.end());
  const uint64_t t = im->Find<TimestampPayload>()->value;
  for (int b = 7; b >= 0; --b)
    tail.push_back(static_cast<uint8_t>(t >> (8 * b)));
  EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(
                r.reply, 256, *pki_.bob.key.PublicKey(), true, "rsar_r", tail),
            0);
  // ... and not the R_MESSAGE alone.
  EXPECT_NE(testing::OpenSslVerifyTrailingSignature(
                r.reply, 256, *pki_.bob.key.PublicKey(), true, "rsar_r2"),
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

// Group mode (RFC 4738 §3.2, §3.6): "the Responder MUST include a General
// Extension Payload containing a new CSB_ID ... the Initiator and the
// Responder MUST use that value in key material computation"; the R_MESSAGE
// always carries the group RAND. Two members with their own CSB IDs and
// RANDs get the same keys.
TEST_F(RsaRTest, GroupKeysAreShared) {
  RsaRResponderOptions ro = Responder();
  ro.group_csb_id = 0x47524F55;
  ro.group_rand = Bytes(16, 0x5A);
  ro.group_tgk = SecretBytes(Bytes(32, 0x77));
  RsaRInitiatorOptions io = Initiator();
  absl::StatusOr<Bytes> i1 = InitiateRsaR(io, clock_, rng_);
  io.send_rand = false;  // a member may leave RAND out
  absl::StatusOr<Bytes> i2 = InitiateRsaR(io, clock_, rng_);
  ASSERT_TRUE(i1.ok() && i2.ok());
  ASSERT_NE(ParseMessage(*i1)->header.csb_id, ParseMessage(*i2)->header.csb_id);
  RsaRResponse r1 = RespondRsaR(*i1, ro, clock_, rng_);
  RsaRResponse r2 = RespondRsaR(*i2, ro, clock_, rng_);
  ASSERT_TRUE(r1.status.ok() && r2.status.ok()) << r1.status << r2.status;
  // HDR, GenExt(CSB_ID), T, RAND, ...; the HDR keeps the member's CSB ID.
  absl::StatusOr<Message> rm = ParseMessage(r1.reply);
  ASSERT_TRUE(rm.ok());
  ASSERT_TRUE(std::holds_alternative<GeneralExtensionPayload>(rm->payloads[0]));
  EXPECT_EQ(std::get<GeneralExtensionPayload>(rm->payloads[0]),
            (GeneralExtensionPayload{gen_ext_type::kCsbId,
                                     Bytes{0x47, 0x52, 0x4F, 0x55}}));
  EXPECT_EQ(std::get<RandPayload>(rm->payloads[2]).rand, Bytes(16, 0x5A));
  EXPECT_EQ(rm->header.csb_id, ParseMessage(*i1)->header.csb_id);
  absl::StatusOr<KeyResult> k1 =
      CompleteRsaR(r1.reply, *i1, Complete(), clock_);
  absl::StatusOr<KeyResult> k2 =
      CompleteRsaR(r2.reply, *i2, Complete(), clock_);
  ASSERT_TRUE(k1.ok() && k2.ok()) << k1.status() << k2.status();
  ExpectSameKeys(*k1, *k2);
  ExpectSameKeys(*r1.keys, *k1);
  EXPECT_EQ(k1->csb_id, 0x47524F55u);
  EXPECT_NE(r1.reply, r2.reply);  // fresh envelope keys

  // A member that sends no SP (RFC 4738 §3.2: "Initiators MUST NOT send the
  // SP payload" in group mode) gets one from the Responder ("In the
  // R_MESSAGE, the CSB_ID, RAND, and SP payloads are not optional"): here
  // the RFC 3830 defaults its CS map falls back to, AES-CM-128 with
  // HMAC-SHA-1 and an 80-bit tag.
  absl::StatusOr<Message> bare = ParseMessage(*i1);
  ASSERT_TRUE(bare.ok());
  bare->payloads.erase(
      std::remove_if(bare->payloads.begin(), bare->payloads.end(),
                     [](const Payload& p) {
                       return std::holds_alternative<SecurityPolicyPayload>(p);
                     }),
      bare->payloads.end());
  for (SrtpCsEntry& e : bare->header.srtp_map) e.policy_no = 0;
  absl::StatusOr<Bytes> bare_wire = SerializeMessage(*bare);
  ASSERT_TRUE(bare_wire.ok());
  const size_t n = pki_.alice.key.modulus_length();
  absl::StatusOr<std::vector<uint8_t>> sig = pki_.alice.key.Sign(
      RsaSignatureParams{},
      absl::MakeConstSpan(*bare_wire).first(bare_wire->size() - n));
  ASSERT_TRUE(sig.ok());
  std::copy(sig->begin(), sig->end(), bare_wire->end() - n);
  RsaRResponse r3 = RespondRsaR(*bare_wire, ro, clock_, rng_);
  ASSERT_TRUE(r3.status.ok()) << r3.status;
  absl::StatusOr<Message> rm3 = ParseMessage(r3.reply);
  ASSERT_TRUE(rm3.ok());
  ASSERT_EQ(rm3->FindAll<SecurityPolicyPayload>().size(), 1u);
  const SecurityPolicyPayload& sp = *rm3->Find<SecurityPolicyPayload>();
  EXPECT_EQ(sp.policy_no, 0);
  absl::StatusOr<srtp::SrtpPolicy> policy = srtp::SuiteFromPolicy([&sp] {
    std::vector<srtp::SrtpPolicyParam> v;
    for (const PolicyParam& p : sp.params) {
      v.push_back({p.type, Bytes(p.value.begin(), p.value.end())});
    }
    return v;
  }());
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->suite->name, "AES_CM_128_HMAC_SHA1_80");
  absl::StatusOr<KeyResult> k3 =
      CompleteRsaR(r3.reply, *bare_wire, Complete(), clock_);
  ASSERT_TRUE(k3.ok()) << k3.status();
  ExpectSameKeys(*r3.keys, *k3);

  // A group RAND without the group CSB ID is a configuration error (in
  // unicast the R_MESSAGE carries a RAND only when the I_MESSAGE has none).
  RsaRResponderOptions bad = Responder();
  bad.group_rand = Bytes(16, 0x5A);
  EXPECT_EQ(RespondRsaR(*i1, bad, clock_, rng_).status.code(),
            absl::StatusCode::kInvalidArgument);
}

// Found by rsa_r_fuzzer: in group mode, an I_MESSAGE that offers SP
// payloads while its CS map uses a policy number none of them defines (so
// the RFC 3830 defaults apply). The Responder described the defaults in its
// R_MESSAGE, which the Initiator then had to discard (RFC 4738 §3.7: not a
// policy it offered). Now the Responder refuses such an I_MESSAGE with
// Invalid SP, unless the defaults are one of the offered policies.
TEST_F(RsaRTest, GroupModeRefusesAPolicyTheInitiatorWouldDiscard) {
  RsaRResponderOptions ro = Responder();
  ro.group_csb_id = 0x47524F55;
  ro.group_rand = Bytes(16, 0x5A);
  ro.group_tgk = SecretBytes(Bytes(32, 0x77));
  // Initiator(): SP 0 AES_CM_128_HMAC_SHA1_80 (the defaults), SP 1 GCM.
  absl::StatusOr<Bytes> i = InitiateRsaR(Initiator(), clock_, rng_);
  ASSERT_TRUE(i.ok());
  // Re-signed with the CS map on policy 2 (no SP: the defaults), keeping
  // the SP payloads for which `keep` is true.
  auto with_map_on_default_policy =
      [&](bool (*keep)(const SecurityPolicyPayload&)) -> Bytes {
    absl::StatusOr<Message> m = ParseMessage(*i);
    EXPECT_TRUE(m.ok());
    for (SrtpCsEntry& e : m->header.srtp_map) e.policy_no = 2;
    m->payloads.erase(
        std::remove_if(m->payloads.begin(), m->payloads.end(),
                       [keep](const Payload& p) {
                         const auto* sp =
                             std::get_if<SecurityPolicyPayload>(&p);
                         return sp != nullptr && !keep(*sp);
                       }),
        m->payloads.end());
    absl::StatusOr<Bytes> wire = SerializeMessage(*m);
    EXPECT_TRUE(wire.ok());
    const size_t n = pki_.alice.key.modulus_length();
    absl::StatusOr<std::vector<uint8_t>> sig =
        pki_.alice.key.Sign(RsaSignatureParams{},
                            absl::MakeConstSpan(*wire).first(wire->size() - n));
    EXPECT_TRUE(sig.ok());
    std::copy(sig->begin(), sig->end(), wire->end() - n);
    return *wire;
  };

  // Only GCM offered: the defaults in use are not among the offers.
  const Bytes gcm_only = with_map_on_default_policy(
      [](const SecurityPolicyPayload& sp) { return sp.policy_no == 1; });
  RsaRResponse refused = RespondRsaR(gcm_only, ro, clock_, rng_);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kInvalidArgument)
      << refused.status;
  EXPECT_EQ(refused.error_no, error_no::kInvalidSp);
  EXPECT_NE(refused.status.message().find("RFC 4738 §3.7"),
            absl::string_view::npos)
      << refused.status;
  EXPECT_FALSE(refused.keys.has_value());
  EXPECT_EQ(cache_->size(), 0u);

  // The defaults offered too (as SP 0): the R_MESSAGE describes them as
  // policy 2, and the Initiator accepts it and gets the Responder's keys.
  const Bytes both = with_map_on_default_policy(
      [](const SecurityPolicyPayload&) { return true; });
  RsaRResponse accepted = RespondRsaR(both, ro, clock_, rng_);
  ASSERT_TRUE(accepted.status.ok()) << accepted.status;
  absl::StatusOr<KeyResult> k =
      CompleteRsaR(accepted.reply, both, Complete(), clock_);
  ASSERT_TRUE(k.ok()) << k.status();
  ExpectSameKeys(*accepted.keys, *k);
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
