#include "core/exchange/dh.h"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/crypto/dh.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/pubkey_test_util.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/replay/replay_cache.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

using testing::ExpectSameKeys;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Stream;
using testing::TestPki;
using testing::Uri;

class DhModeTest : public ::testing::Test {
 protected:
  DhModeTest()
      : pki_(TestPki::Get()),
        clock_(pki::testing::TestNow()),
        rng_(77),
        cache_(std::make_unique<replay::InMemoryReplayCache>(1000)) {}

  DhInitiatorOptions Initiator(uint8_t group = dh_group::kOakley5) const {
    DhInitiatorOptions o;
    o.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 0x1234),
                 Stream("AEAD_AES_256_GCM", 0x5678)};
    o.dh_group = group;
    o.credential = PkCredential{{pki_.alice.cert}, &pki_.alice.key};
    o.id_i = Uri("sip:alice@example.com");
    return o;
  }

  DhResponderOptions Responder() const {
    DhResponderOptions o;
    o.replay_cache = cache_.get();
    o.verifier = pki_.verifier.get();
    o.credential = PkCredential{{pki_.bob.cert}, &pki_.bob.key};
    o.id_r = Uri("sip:bob@example.com");
    return o;
  }

  DhCompleteOptions Completer() const {
    DhCompleteOptions o;
    o.verifier = pki_.verifier.get();
    return o;
  }

  // A fresh Responder cache, for re-using an I_MESSAGE.
  void ForgetReplays() {
    cache_ = std::make_unique<replay::InMemoryReplayCache>(1000);
  }

  const TestPki& pki_;
  FixedClock clock_;
  DeterministicRandom rng_;
  std::unique_ptr<replay::InMemoryReplayCache> cache_;
};

// Re-signs `m` (whose last payload is a SIGN of `sig_len` octets) with `key`
// over everything before the Signature field: independent of the code under
// test's signing path.
Bytes SignedBy(Message m, const RsaPrivateKey& key, bool pss = false) {
  auto& sign = std::get<SignPayload>(m.payloads.back());
  sign.type = pss ? sign_type::kRsaPss : sign_type::kRsaPkcs1;
  sign.signature.assign(key.modulus_length(), 0);
  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  EXPECT_TRUE(wire.ok()) << wire.status();
  const size_t n = key.modulus_length();
  RsaSignatureParams params;
  params.scheme =
      pss ? RsaSignatureScheme::kPss : RsaSignatureScheme::kPkcs1v15;
  absl::StatusOr<std::vector<uint8_t>> sig =
      key.Sign(params, absl::MakeConstSpan(*wire).first(wire->size() - n));
  EXPECT_TRUE(sig.ok()) << sig.status();
  std::copy(sig->begin(), sig->end(), wire->end() - n);
  return *wire;
}

Message Parsed(const Bytes& wire) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

TEST_F(DhModeTest, RoundTripEveryGroupBothSignatureSchemes) {
  const uint8_t groups[] = {dh_group::kOakley5, dh_group::kOakley1,
                            dh_group::kOakley2, dh_group::kX25519Private};
  for (uint8_t group : groups) {
    for (bool pss : {false, true}) {
      SCOPED_TRACE(absl::StrCat("group ", group, pss ? " PSS" : " PKCS#1"));
      DhInitiatorOptions io = Initiator(group);
      io.streams.push_back(Stream("AES_256_CM_HMAC_SHA1_80", 0));
      io.signature.scheme =
          pss ? RsaSignatureScheme::kPss : RsaSignatureScheme::kPkcs1v15;
      absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
      ASSERT_TRUE(init.ok()) << init.status();
      DhResponderOptions ro = Responder();
      ro.allowed_dh_groups = {dh_group::kOakley5, dh_group::kOakley1,
                              dh_group::kOakley2, dh_group::kX25519Private};
      ro.signature.scheme = io.signature.scheme;
      DhModeResponse r = RespondDh(init->i_message, ro, clock_, rng_);
      ASSERT_TRUE(r.status.ok()) << r.status;
      ASSERT_TRUE(r.peer_certificate.has_value());
      EXPECT_EQ(r.peer_certificate->der(), pki_.alice.cert.der());
      absl::StatusOr<SecretBytes> sealed =
          SerializeDhInitiatorState(init->state);
      ASSERT_TRUE(sealed.ok());
      absl::StatusOr<DhInitiatorState> state =
          ParseDhInitiatorState(sealed->span());
      ASSERT_TRUE(state.ok());
      absl::StatusOr<KeyResult> keys =
          CompleteDh(r.reply, *state, Completer(), clock_);
      ASSERT_TRUE(keys.ok()) << keys.status();
      ExpectSameKeys(*r.keys, *keys);
      EXPECT_EQ(keys->streams.size(), 3u);
      EXPECT_EQ(keys->streams[1].master_key.size(), 32u);
      EXPECT_EQ(keys->streams[1].master_salt.size(), 12u);
    }
  }
}

TEST_F(DhModeTest, MessageShapesAndSignatureCoverage) {
  DhInitiatorOptions io = Initiator(dh_group::kOakley2);
  io.id_r = Uri("sip:bob@example.com");
  absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
  ASSERT_TRUE(init.ok()) << init.status();
  const Message i = Parsed(init->i_message);
  EXPECT_EQ(i.header.data_type, data_type::kDhInit);
  std::vector<uint8_t> types;
  for (const Payload& p : i.payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types,
            (std::vector<uint8_t>{
                payload_type::kT, payload_type::kRand, payload_type::kId,
                payload_type::kCert, payload_type::kId, payload_type::kSp,
                payload_type::kSp, payload_type::kDh, payload_type::kSign}));
  EXPECT_EQ(std::get<CertPayload>(i.payloads[3]).data, pki_.alice.cert.der());
  const auto& sign = std::get<SignPayload>(i.payloads.back());
  EXPECT_EQ(sign.type, sign_type::kRsaPkcs1);
  EXPECT_EQ(sign.signature.size(), 256u);
  // OpenSSL's command line agrees that SIGNi signs everything before the
  // Signature field, the SIGN header included.
  absl::StatusOr<RsaPublicKey> alice = pki_.alice.key.PublicKey();
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(init->i_message, 256,
                                                    *alice, false, "dh_i"),
            0);
  // ... and not the message without the SIGN header.
  Bytes without_header = init->i_message;
  without_header.erase(without_header.end() - 258, without_header.end() - 256);
  EXPECT_NE(testing::OpenSslVerifyTrailingSignature(without_header, 256, *alice,
                                                    false, "dh_i2"),
            0);

  DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const Message rm = Parsed(r.reply);
  EXPECT_EQ(rm.header.data_type, data_type::kDhResp);
  types.clear();
  for (const Payload& p : rm.payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types, (std::vector<uint8_t>{payload_type::kT, payload_type::kId,
                                         payload_type::kCert, payload_type::kId,
                                         payload_type::kDh, payload_type::kDh,
                                         payload_type::kSign}));
  EXPECT_EQ(std::get<IdPayload>(rm.payloads[3]), *io.id_i);
  EXPECT_EQ(std::get<DhPayload>(rm.payloads[5]), *i.Find<DhPayload>());
  absl::StatusOr<RsaPublicKey> bob = pki_.bob.key.PublicKey();
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(testing::OpenSslVerifyTrailingSignature(r.reply, 256, *bob, false,
                                                    "dh_r"),
            0);
}

TEST_F(DhModeTest, CertificateOnlyInitiatorGetsItsIdentityEchoed) {
  DhInitiatorOptions io = Initiator();
  io.id_i.reset();
  absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const Message rm = Parsed(r.reply);
  // IDr, then IDi = the certificate's SAN URI.
  const std::vector<const IdPayload*> ids = rm.FindAll<IdPayload>();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(*ids[1], Uri("sip:alice@example.com"));
  absl::StatusOr<KeyResult> keys =
      CompleteDh(r.reply, init->state, Completer(), clock_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*r.keys, *keys);
}

TEST_F(DhModeTest, ConfiguredCertificatesInsteadOfCertPayloads) {
  DhInitiatorOptions io = Initiator();
  io.send_certificate = false;
  absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(Parsed(init->i_message).Find<CertPayload>(), nullptr);
  DhResponderOptions ro = Responder();
  ro.send_certificate = false;
  DhModeResponse none = RespondDh(init->i_message, ro, clock_, rng_);
  EXPECT_EQ(none.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.error_no, error_no::kInvalidCert);
  ro.initiator_chain = {pki_.alice.cert};
  DhModeResponse r = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_FALSE(CompleteDh(r.reply, init->state, Completer(), clock_).ok());
  DhCompleteOptions co = Completer();
  co.responder_chain = {pki_.bob.cert};
  absl::StatusOr<KeyResult> keys = CompleteDh(r.reply, init->state, co, clock_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*r.keys, *keys);
}

// ---------------------------------------------------------------------------
// Tampering.

TEST_F(DhModeTest, EveryAlteredOctetOfTheIMessageIsRejected) {
  absl::StatusOr<DhInitiation> init =
      InitiateDh(Initiator(dh_group::kOakley2), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions ro = Responder();
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  ASSERT_TRUE(RespondDh(init->i_message, ro, clock_, rng_).status.ok());
  for (size_t i = 0; i < init->i_message.size(); ++i) {
    Bytes bad = init->i_message;
    bad[i] ^= static_cast<uint8_t>(1 << (i % 8));
    DhModeResponse r = RespondDh(bad, ro, clock_, rng_);
    ASSERT_FALSE(r.status.ok()) << "octet " << i;
    ASSERT_FALSE(r.keys.has_value());
  }
}

TEST_F(DhModeTest, EveryAlteredOctetOfTheRMessageIsRejected) {
  absl::StatusOr<DhInitiation> init =
      InitiateDh(Initiator(dh_group::kOakley2), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(CompleteDh(r.reply, init->state, Completer(), clock_).ok());
  for (size_t i = 0; i < r.reply.size(); ++i) {
    Bytes bad = r.reply;
    bad[i] ^= static_cast<uint8_t>(1 << (i % 8));
    ASSERT_FALSE(CompleteDh(bad, init->state, Completer(), clock_).ok())
        << "octet " << i;
  }
}

TEST_F(DhModeTest, AlteredSignatureCertificateAndDhValue) {
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions ro = Responder();
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  const Message i = Parsed(init->i_message);

  Bytes bad_sig = init->i_message;
  bad_sig.back() ^= 0x01;
  DhModeResponse r = RespondDh(bad_sig, ro, clock_, rng_);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error_no, error_no::kAuthFailure);

  // A changed DHi breaks the signature.
  Message changed_dh = i;
  for (Payload& p : changed_dh.payloads) {
    if (auto* dh = std::get_if<DhPayload>(&p)) dh->value[10] ^= 0x40;
  }
  r = RespondDh(*SerializeMessage(changed_dh), ro, clock_, rng_);
  EXPECT_EQ(r.error_no, error_no::kAuthFailure);

  // A changed certificate no longer verifies.
  Message changed_cert = i;
  for (Payload& p : changed_cert.payloads) {
    if (auto* c = std::get_if<CertPayload>(&p))
      c->data[c->data.size() - 5] ^= 1;
  }
  r = RespondDh(*SerializeMessage(changed_cert), ro, clock_, rng_);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error_no, error_no::kInvalidCert);

  // Bob's certificate with Alice's signature: the key does not match.
  Message other_cert = i;
  for (Payload& p : other_cert.payloads) {
    if (auto* c = std::get_if<CertPayload>(&p)) c->data = pki_.bob.cert.der();
  }
  ro.require_identity_binding = false;
  r = RespondDh(SignedBy(other_cert, pki_.alice.key), ro, clock_, rng_);
  EXPECT_EQ(r.error_no, error_no::kAuthFailure);
}

TEST_F(DhModeTest, InvalidDhValuesInSignedMessagesAreInvalidDh) {
  absl::StatusOr<DhInitiation> init =
      InitiateDh(Initiator(dh_group::kOakley2), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions ro = Responder();
  ro.replay_cache = nullptr;
  ro.skip_replay_check = true;
  const Bytes p = DhGroupPrime(DhGroup::kModp1024);
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  Bytes zero(128, 0), one(128, 0);
  one.back() = 1;
  // The responder's valid answer, to corrupt DHr in the same way.
  DhModeResponse good = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(good.status.ok());
  for (const Bytes& value : {zero, one, p_minus_1, p}) {
    SCOPED_TRACE(testutil::ToHex(absl::MakeConstSpan(value).last(2)));
    Message m = Parsed(init->i_message);
    for (Payload& pl : m.payloads) {
      if (auto* dh = std::get_if<DhPayload>(&pl)) dh->value = value;
    }
    DhModeResponse r = RespondDh(SignedBy(m, pki_.alice.key), ro, clock_, rng_);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << r.status;
    EXPECT_EQ(r.error_no, error_no::kInvalidDh);
    EXPECT_FALSE(r.keys.has_value());
    // The Error message is signed by the Responder and verifies.
    DhCompleteOptions co = Completer();
    co.responder_chain = {pki_.bob.cert};
    absl::Status s = CompleteDh(r.reply, init->state, co, clock_).status();
    EXPECT_THAT(s.message(), HasSubstr("Invalid DH (6)"));
    EXPECT_THAT(s.message(), Not(HasSubstr("unauthenticated")));

    // DHr: re-signed by Bob, refused by the Initiator.
    Message rm = Parsed(good.reply);
    for (Payload& pl : rm.payloads) {
      if (auto* dh = std::get_if<DhPayload>(&pl)) {
        dh->value = value;
        break;  // DHr comes first
      }
    }
    absl::Status c =
        CompleteDh(SignedBy(rm, pki_.bob.key), init->state, Completer(), clock_)
            .status();
    EXPECT_EQ(c.code(), absl::StatusCode::kInvalidArgument) << c;
    EXPECT_THAT(c.message(), HasSubstr("DHr"));
  }
}

// ---------------------------------------------------------------------------
// Certificates and identities.

TEST_F(DhModeTest, CertificateFailuresMapToErrors) {
  using pki::testing::Issue;
  pki::testing::CertSpec expired =
      TestPki::Leaf("alice", "sip:alice@example.com", 30);
  expired.not_after = pki::testing::TestNow() - absl::Hours(1);
  pki::testing::CertSpec no_sign =
      TestPki::Leaf("alice", "sip:alice@example.com", 31);
  no_sign.digital_signature = false;
  pki::testing::CertSpec carol =
      TestPki::Leaf("carol", "sip:carol@example.com", 32);
  struct Case {
    const char* name;
    absl::StatusOr<pki::testing::Issued> who;
    uint8_t error;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"expired", Issue(expired, &pki_.ca), error_no::kInvalidCert});
  cases.push_back({"no digitalSignature", Issue(no_sign, &pki_.ca),
                   error_no::kInvalidCert});
  cases.push_back(
      {"self-signed, unpinned",
       Issue(TestPki::Leaf("alice", "sip:alice@example.com", 33), nullptr),
       error_no::kInvalidCert});
  cases.push_back(
      {"identity mismatch", Issue(carol, &pki_.ca), error_no::kInvalidId});
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.who.ok()) << c.who.status();
    DhInitiatorOptions io = Initiator();
    io.credential = PkCredential{{c.who->cert}, &c.who->key};
    absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
    ASSERT_TRUE(init.ok()) << init.status();
    DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition)
        << r.status;
    EXPECT_EQ(r.error_no, c.error);
    const Message e = Parsed(r.reply);
    EXPECT_EQ(e.header.data_type, data_type::kError);
    EXPECT_NE(e.Find<SignPayload>(), nullptr);
  }
  // Mallory's certificate (other CA, same identity) is unknown.
  DhInitiatorOptions io = Initiator();
  io.credential = PkCredential{{pki_.mallory.cert}, &pki_.mallory.key};
  absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
  EXPECT_EQ(pki::GetCertFailure(r.status), pki::CertFailure::kUnknownSigner);
}

TEST_F(DhModeTest, PinnedAndUnpinnedCertificates) {
  absl::StatusOr<pki::testing::Issued> self = pki::testing::Issue(
      TestPki::Leaf("alice", "sip:alice@example.com", 40), nullptr);
  ASSERT_TRUE(self.ok());
  DhInitiatorOptions io = Initiator();
  io.credential = PkCredential{{self->cert}, &self->key};
  absl::StatusOr<DhInitiation> init = InitiateDh(io, clock_, rng_);
  ASSERT_TRUE(init.ok());
  pki::TrustConfig pins;
  pins.pinned_spki_sha256 = {self->cert.spki_sha256()};
  pki::CertificateVerifier pinned(pins);
  DhResponderOptions ro = Responder();
  ro.verifier = &pinned;
  DhModeResponse r = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;

  pki::TrustConfig other;
  other.pinned_spki_sha256 = {pki_.bob.cert.spki_sha256()};
  pki::CertificateVerifier wrong(other);
  ro.verifier = &wrong;
  ForgetReplays();
  ro.replay_cache = cache_.get();
  r = RespondDh(init->i_message, ro, clock_, rng_);
  EXPECT_EQ(pki::GetCertFailure(r.status), pki::CertFailure::kPinMismatch);
  EXPECT_EQ(r.error_no, error_no::kInvalidCert);

  // The Initiator pins the Responder too.
  ForgetReplays();
  ro.replay_cache = cache_.get();
  ro.verifier = &pinned;
  DhModeResponse good = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(good.status.ok()) << good.status;
  DhCompleteOptions co = Completer();
  co.verifier = &wrong;  // pins Bob
  EXPECT_TRUE(CompleteDh(good.reply, init->state, co, clock_).ok());
  co.verifier = &pinned;  // pins the self-signed Alice only
  EXPECT_EQ(pki::GetCertFailure(
                CompleteDh(good.reply, init->state, co, clock_).status()),
            pki::CertFailure::kPinMismatch);
}

TEST_F(DhModeTest, ExpiredResponderCertificateFailsAtTheInitiator) {
  pki::testing::CertSpec expired =
      TestPki::Leaf("bob", "sip:bob@example.com", 50);
  expired.not_after = pki::testing::TestNow() - absl::Hours(1);
  absl::StatusOr<pki::testing::Issued> old_bob =
      pki::testing::Issue(expired, &pki_.ca);
  ASSERT_TRUE(old_bob.ok());
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions ro = Responder();
  ro.credential = PkCredential{{old_bob->cert}, &old_bob->key};
  DhModeResponse r = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  absl::Status s =
      CompleteDh(r.reply, init->state, Completer(), clock_).status();
  EXPECT_EQ(pki::GetCertFailure(s), pki::CertFailure::kExpired) << s;
}

TEST_F(DhModeTest, ResponderIdentityMustMatchItsCertificate) {
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions ro = Responder();
  ro.id_r = Uri("sip:carol@example.com");  // not on Bob's certificate
  DhModeResponse r = RespondDh(init->i_message, ro, clock_, rng_);
  ASSERT_TRUE(r.status.ok());
  absl::Status s =
      CompleteDh(r.reply, init->state, Completer(), clock_).status();
  EXPECT_EQ(pki::GetCertFailure(s), pki::CertFailure::kIdentityMismatch) << s;
}

// ---------------------------------------------------------------------------
// Replay, time, policy, state.

TEST_F(DhModeTest, ReplayTimestampAndGroupPolicy) {
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  ASSERT_TRUE(
      RespondDh(init->i_message, Responder(), clock_, rng_).status.ok());
  DhModeResponse again = RespondDh(init->i_message, Responder(), clock_, rng_);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.error_no, error_no::kInvalidTs);

  FixedClock late = clock_;
  late.Advance(absl::Minutes(10));
  ForgetReplays();
  DhModeResponse stale = RespondDh(init->i_message, Responder(), late, rng_);
  EXPECT_EQ(stale.error_no, error_no::kInvalidTs);

  for (uint8_t group : {dh_group::kOakley1, dh_group::kX25519Private}) {
    absl::StatusOr<DhInitiation> weak =
        InitiateDh(Initiator(group), clock_, rng_);
    ASSERT_TRUE(weak.ok());
    DhModeResponse r = RespondDh(weak->i_message, Responder(), clock_, rng_);
    EXPECT_EQ(r.error_no, error_no::kInvalidDh) << static_cast<int>(group);
  }
}

// RFC 3830 §3.3: "The timestamp that is included in the answer is the same
// as the one included in the Initiator's message" (§5.2: "The Responder does
// not create a new timestamp"): the R_MESSAGE and signed Error messages carry
// the I_MESSAGE's T payload, whatever the Responder's clock says. An answer
// from a peer that writes its own time (minisip) still completes.
TEST_F(DhModeTest, ResponderEchoesTheInitiatorsTimestamp) {
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  const TimestampPayload t_i =
      *Parsed(init->i_message).Find<TimestampPayload>();
  FixedClock later = clock_;
  later.Advance(absl::Seconds(30));
  DhModeResponse r = RespondDh(init->i_message, Responder(), later, rng_);
  ASSERT_TRUE(r.status.ok()) << r.status;
  Message rm = Parsed(r.reply);
  EXPECT_EQ(*rm.Find<TimestampPayload>(), t_i);
  EXPECT_NE(rm.Find<TimestampPayload>()->value, later.NowNtp());
  absl::StatusOr<KeyResult> keys =
      CompleteDh(r.reply, init->state, Completer(), later);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*r.keys, *keys);

  // The same R_MESSAGE with the Responder's own time, re-signed by Bob.
  std::get<TimestampPayload>(rm.payloads[0]).value = later.NowNtp();
  const Bytes fresh = SignedBy(rm, pki_.bob.key);
  keys = CompleteDh(fresh, init->state, Completer(), later);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*r.keys, *keys);

  // A signed Invalid TS answer, 10 minutes late, still carries T_i.
  FixedClock late = clock_;
  late.Advance(absl::Minutes(10));
  ForgetReplays();
  DhModeResponse stale = RespondDh(init->i_message, Responder(), late, rng_);
  ASSERT_EQ(stale.error_no, error_no::kInvalidTs);
  const Message e = Parsed(stale.reply);
  EXPECT_EQ(e.header.data_type, data_type::kError);
  EXPECT_EQ(*e.Find<TimestampPayload>(), t_i);
  DhCompleteOptions with_bob = Completer();  // the Error has no CERTr
  with_bob.responder_chain = {pki_.bob.cert};
  absl::StatusOr<KeyResult> err =
      CompleteDh(stale.reply, init->state, with_bob, late);
  EXPECT_EQ(err.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(err.status().message()), HasSubstr("Invalid TS"));
  EXPECT_THAT(std::string(err.status().message()),
              Not(HasSubstr("unauthenticated")));
}

TEST_F(DhModeTest, StatesAndArguments) {
  DhInitiatorOptions no_key = Initiator();
  no_key.credential.key = nullptr;
  EXPECT_FALSE(InitiateDh(no_key, clock_, rng_).ok());
  absl::StatusOr<DhInitiation> init = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(init.ok());
  DhResponderOptions no_verifier = Responder();
  no_verifier.verifier = nullptr;
  EXPECT_EQ(RespondDh(init->i_message, no_verifier, clock_, rng_).status.code(),
            absl::StatusCode::kInvalidArgument);
  DhModeResponse r = RespondDh(init->i_message, Responder(), clock_, rng_);
  ASSERT_TRUE(r.status.ok());
  // A DHHMAC state is not a DH state.
  DhInitiatorState wrong_mode = init->state;
  wrong_mode.data_type = data_type::kDhhmacInit;
  EXPECT_EQ(
      CompleteDh(r.reply, wrong_mode, Completer(), clock_).status().code(),
      absl::StatusCode::kInvalidArgument);
  // Another exchange's state: DHi (and the CSB ID) differ.
  absl::StatusOr<DhInitiation> other = InitiateDh(Initiator(), clock_, rng_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(
      CompleteDh(r.reply, other->state, Completer(), clock_).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
