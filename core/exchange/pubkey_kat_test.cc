// Known answers for the public-key modes (PK, RFC 3830 §3.2; RSA-R,
// RFC 4738), computed independently by testdata/gen_pubkey_kat.py (Python's
// hmac/hashlib, the cryptography package's AES, RSA and X.509, pow(); written
// from the RFC text without this project's code). The vectors pin:
//   - the public-key KEMAC MAC: over the KEMAC payload except the MAC field,
//     its Next payload field set to zero first (RFC 3830 §5.2, §6.2), for
//     PK and RSA-R alike;
//   - the Responder's timestamp: the Initiator's T (RFC 3830 §5.2, RFC 4738
//     §3.6), in the PK verification message byte for byte;
//   - SIGNr of RSA-R over R_MESSAGE || IDi || IDr || T (RFC 4738 §3.6);
//   - the RSA-R RAND rule of RFC 4738 §3.6 / §3.7.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/pk.h"
#include "core/exchange/rsa_r.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

#include "core/exchange/testdata/pubkey_kat.inc"

using ::testing::HasSubstr;
using testutil::Hex;
using testutil::ToHex;

constexpr uint64_t kT = 0xE8D4A51000000000ULL;  // the vectors' T_i

struct Kat {
  pki::Certificate ca = *pki::Certificate::FromDer(Hex(kCaDer));
  pki::Certificate alice = *pki::Certificate::FromDer(Hex(kAliceDer));
  pki::Certificate bob = *pki::Certificate::FromDer(Hex(kBobDer));
  RsaPrivateKey alice_key = *RsaPrivateKey::FromDer(Hex(kAliceKey));
  RsaPrivateKey bob_key = *RsaPrivateKey::FromDer(Hex(kBobKey));
  pki::CertificateVerifier verifier{pki::TrustConfig{{ca}, {}, 8}};
  replay::InMemoryReplayCache cache{16};
  // One second after the I_MESSAGEs were made.
  FixedClock clock = FixedClock::FromNtp(kT + (1ULL << 32));
};

PkResponderOptions PkResponder(Kat& k) {
  PkResponderOptions o;
  o.replay_cache = &k.cache;
  o.verifier = &k.verifier;
  o.credentials = {PkCredential{{k.bob}, &k.bob_key}};
  return o;
}

RsaRCompleteOptions RsaRComplete(const Kat& k) {
  RsaRCompleteOptions o;
  o.verifier = &k.verifier;
  o.key = &k.alice_key;
  return o;
}

TEST(PkKnownAnswerTest, RespondDerivesTheReferenceKeysAndVerificationMessage) {
  Kat k;
  PkResponse r = RespondPk(Hex(kPkIMessage), PkResponder(k), k.clock);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_TRUE(r.keys.has_value());
  ASSERT_EQ(r.keys->streams.size(), 1u);
  const StreamKeys& s = r.keys->streams[0];
  EXPECT_EQ(r.keys->csb_id, 0x13572468u);
  EXPECT_EQ(s.ssrc, 0xAABBCCDDu);
  EXPECT_EQ(s.suite->name, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(ToHex(s.master_key.span()), kPkTek);
  EXPECT_EQ(ToHex(s.master_salt.span()), kPkSalt);
  // V flag set: HDR (type 3), T = the Initiator's T, V over R_MESSAGE ||
  // IDi || IDr (none) || T_i -- byte for byte.
  EXPECT_EQ(ToHex(r.reply), kPkRMessage);
  EXPECT_TRUE(
      VerifyPkResponse(r.reply, Hex(kPkIMessage), Hex(kPkEnvelopeKey), k.clock)
          .ok());
}

TEST(PkKnownAnswerTest, KemacMacOverTheRealNextPayloadIsRefused) {
  // The same I_MESSAGE, its KEMAC MAC computed with the KEMAC's Next payload
  // (2, PKE) left in instead of zero, and signed anew: what this code sent
  // before RFC 3830 §5.2 was checked.
  Kat k;
  PkResponse r =
      RespondPk(Hex(kPkIMessageMacWithNextPayload), PkResponder(k), k.clock);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("KEMAC: MAC"));
  EXPECT_EQ(r.error_no, error_no::kAuthFailure);
  EXPECT_FALSE(r.keys.has_value());
}

TEST(RsaRKnownAnswerTest, CompleteDerivesTheReferenceKeys) {
  Kat k;
  absl::StatusOr<KeyResult> keys = CompleteRsaR(
      Hex(kRsaRRMessage), Hex(kRsaRIMessage), RsaRComplete(k), k.clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->streams.size(), 1u);
  EXPECT_EQ(keys->csb_id, 0x24681357u);
  EXPECT_EQ(keys->streams[0].ssrc, 0x01020304u);
  EXPECT_EQ(ToHex(keys->streams[0].master_key.span()), kRsaRTek);
  EXPECT_EQ(ToHex(keys->streams[0].master_salt.span()), kRsaRSalt);
}

TEST(RsaRKnownAnswerTest, OtherReadingsAreRefused) {
  Kat k;
  // KEMAC MAC over the real Next payload (PKE).
  absl::StatusOr<KeyResult> keys =
      CompleteRsaR(Hex(kRsaRRMessageMacWithNextPayload), Hex(kRsaRIMessage),
                   RsaRComplete(k), k.clock);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("KEMAC: MAC"));
  // SIGNr over the R_MESSAGE alone, without IDi || IDr || T.
  keys = CompleteRsaR(Hex(kRsaRRMessageSignedWithoutSuffix), Hex(kRsaRIMessage),
                      RsaRComplete(k), k.clock);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("SIGN"));
  // A RAND in the R_MESSAGE although the I_MESSAGE had one (§3.7).
  keys = CompleteRsaR(Hex(kRsaRRMessageWithRand), Hex(kRsaRIMessage),
                      RsaRComplete(k), k.clock);
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("RAND"));
}

TEST(RsaRKnownAnswerTest, RespondToTheReferenceIMessage) {
  Kat k;
  RsaRResponderOptions o;
  o.replay_cache = &k.cache;
  o.verifier = &k.verifier;
  o.credential = PkCredential{{k.bob}, &k.bob_key};
  o.id_r =
      IdPayload{id_type::kUri, Hex("7369703a626f62406578616d706c652e636f6d")};
  DeterministicRandom rng(3);
  RsaRResponse r = RespondRsaR(Hex(kRsaRIMessage), o, k.clock, rng);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::StatusOr<Message> rm = ParseMessage(r.reply);
  ASSERT_TRUE(rm.ok()) << rm.status();
  // RFC 4738 §3.6: "The T payload is exactly the same as that received in
  // the I_MESSAGE"; no RAND (the I_MESSAGE has one); the I_MESSAGE's SP.
  std::vector<uint8_t> types;
  for (const Payload& p : rm->payloads) types.push_back(PayloadTypeOf(p));
  // T, IDr, CERTr, SP, KEMAC, PKE, SIGNr.
  EXPECT_EQ(types, (std::vector<uint8_t>{5, 6, 7, 10, 1, 2, 4}));
  EXPECT_EQ(*rm->Find<TimestampPayload>(),
            (TimestampPayload{ts_type::kNtpUtc, kT}));
  absl::StatusOr<Message> im = ParseMessage(Hex(kRsaRIMessage));
  ASSERT_TRUE(im.ok());
  EXPECT_EQ(*rm->Find<SecurityPolicyPayload>(),
            *im->Find<SecurityPolicyPayload>());
  // The reference Initiator's key completes it with the same keys.
  absl::StatusOr<KeyResult> keys =
      CompleteRsaR(r.reply, Hex(kRsaRIMessage), RsaRComplete(k), k.clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->streams[0].master_key, r.keys->streams[0].master_key);
  EXPECT_EQ(keys->streams[0].master_salt, r.keys->streams[0].master_salt);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
