// The public-key modes (DH, PUBLIC_KEY, RSA_R) through the Broker: keystore
// credentials, trust per key id, state tokens, and the error mapping. Keys
// and certificates are issued at test time (core/pki/testing).

#include <stdio.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/srtp/suite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/broker.h"
#include "service/keystore/keystore.h"
#include "service/trust/trust_store.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;
using pki::testing::CertSpec;
using pki::testing::Issued;
using ::testing::HasSubstr;

constexpr char kStateKeyHex[] =
    "5f5e5d5c5b5a595857565554535251504f4e4d4c4b4a49484746454443424140";
constexpr char kPskHex[] = "000102030405060708090a0b0c0d0e0f";

std::vector<uint8_t> FromHex(absl::string_view hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

std::string Pem(const std::string& label, absl::Span<const uint8_t> der) {
  return absl::StrCat(
      "-----BEGIN ", label, "-----\n",
      absl::Base64Escape(absl::string_view(
          reinterpret_cast<const char*>(der.data()), der.size())),
      "\n-----END ", label, "-----\n");
}

std::string CertPem(const pki::Certificate& c) {
  return Pem("CERTIFICATE", c.der());
}

CertSpec Leaf(const std::string& name, long serial) {
  CertSpec s;
  s.common_name = name;
  s.san_uris = {"sip:" + name + "@example.org"};
  s.serial = serial;
  return s;
}

// Keys and certificates made once per test binary (RSA generation is slow).
struct Pki {
  Issued ca, alice, bob, bob2, rogue, expired;
  static const Pki& Get() {
    static const Pki* p = new Pki();
    return *p;
  }

 private:
  Pki()
      : ca(*pki::testing::Issue(pki::testing::CaSpec("Broker Test CA"),
                                nullptr)),
        alice(*pki::testing::Issue(Leaf("alice", 2), &ca)),
        bob(*pki::testing::Issue(Leaf("bob", 3), &ca)),
        bob2(*pki::testing::Issue(Leaf("bob", 4), &ca)),
        // Self-signed, trusted by nobody.
        rogue(*pki::testing::Issue(Leaf("rogue", 5), nullptr)),
        expired(*pki::testing::Issue(Expired(), &ca)) {}
  static CertSpec Expired() {
    CertSpec s = Leaf("old", 6);
    s.not_before = pki::testing::TestNow() - absl::Hours(24 * 400);
    s.not_after = pki::testing::TestNow() - absl::Hours(24);
    return s;
  }
};

// A credential as the keystore holds it (a copy of the issued key).
std::shared_ptr<const keystore::Credential> CredentialOf(const Issued& i) {
  absl::StatusOr<SecretBytes> der = i.key.ToPkcs8Der();
  EXPECT_TRUE(der.ok());
  absl::StatusOr<RsaPrivateKey> key = RsaPrivateKey::FromDer(der->span());
  EXPECT_TRUE(key.ok());
  return std::make_shared<keystore::Credential>(
      keystore::Credential{*std::move(key), {i.cert}});
}

std::string WriteTmp(const std::string& name, const std::string& content) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "_", getpid());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  EXPECT_TRUE(f.good());
  return path;
}

class PubkeyBrokerTest : public ::testing::Test {
 protected:
  PubkeyBrokerTest() : clock_(pki::testing::TestNow()), rng_(7) {
    const Pki& p = Pki::Get();
    auto snapshot = std::make_shared<keystore::KeySnapshot>();
    EXPECT_TRUE(
        snapshot->AddCredential("alice", 1, CredentialOf(p.alice)).ok());
    EXPECT_TRUE(snapshot->AddCredential("bob", 1, CredentialOf(p.bob)).ok());
    EXPECT_TRUE(snapshot->AddCredential("bob", 2, CredentialOf(p.bob2)).ok());
    EXPECT_TRUE(
        snapshot->AddCredential("rogue", 1, CredentialOf(p.rogue)).ok());
    EXPECT_TRUE(
        snapshot->AddCredential("old", 1, CredentialOf(p.expired)).ok());
    EXPECT_TRUE(snapshot->Add("psk", 1, FromHex(kPskHex)).ok());
    EXPECT_TRUE(snapshot->Add("state-key", 1, FromHex(kStateKeyHex)).ok());
    // Trust: the CA for everybody; "lonely" trusts only a pin of nobody's.
    trust::TrustOptions t;
    t.global.ca_files = {WriteTmp("ca.pem", CertPem(p.ca.cert))};
    t.per_key["rogue"].pins = {std::string(64, '0')};
    absl::StatusOr<std::unique_ptr<trust::TrustStore>> store =
        trust::TrustStore::Load(t);
    EXPECT_TRUE(store.ok()) << store.status();
    trust_ = *std::move(store);

    BrokerOptions options;
    options.replay_cache_capacity = 1000;
    options.inline_keys_allowed = true;
    options.trust = trust_.get();
    BrokerParts parts;
    parts.keys = std::make_unique<keystore::StaticKeyStore>(
        std::shared_ptr<const keystore::KeySnapshot>(std::move(snapshot)));
    parts.clock = &clock_;
    parts.rng = &rng_;
    broker_ = std::make_unique<Broker>(options, std::move(parts));
    call_.authorize = [this](absl::string_view key_id) {
      authorized_.emplace_back(key_id);
      return absl::OkStatus();
    };
    call_.record = &record_;
  }

  pb::InitiateRequest Request(pb::Mode mode, const std::string& key_id) {
    pb::InitiateRequest r;
    r.set_mode(mode);
    r.set_suite("AES_CM_128_HMAC_SHA1_80");
    r.add_streams()->set_ssrc(0x01020304);
    pb::StreamSpec* s = r.add_streams();
    s->set_ssrc(0x0a0b0c0d);
    s->set_suite("AEAD_AES_256_GCM");
    r.mutable_key()->set_key_id(key_id);
    return r;
  }

  pb::RespondRequest RespondTo(const std::string& i_message,
                               const std::string& key_id) {
    pb::RespondRequest r;
    r.mutable_input()->set_message(i_message);
    r.mutable_key()->set_key_id(key_id);
    return r;
  }

  absl::Status Complete(const std::string& state, const std::string& message,
                        pb::CompleteResponse* out) {
    pb::CompleteRequest c;
    c.set_state(state);
    c.mutable_input()->set_message(message);
    return broker_->Complete(c, out, call_);
  }

  static void ExpectSameKeys(
      const google::protobuf::RepeatedPtrField<pb::StreamKeys>& a,
      const google::protobuf::RepeatedPtrField<pb::StreamKeys>& b) {
    ASSERT_EQ(a.size(), 2);
    ASSERT_EQ(a.size(), b.size());
    for (int i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].ssrc(), b[i].ssrc()) << i;
      EXPECT_EQ(a[i].suite(), b[i].suite()) << i;
      EXPECT_EQ(a[i].csb_id(), b[i].csb_id()) << i;
      EXPECT_FALSE(a[i].master_key().empty()) << i;
      EXPECT_TRUE(a[i].master_key() == b[i].master_key()) << i;
      EXPECT_TRUE(a[i].master_salt() == b[i].master_salt()) << i;
    }
    EXPECT_EQ(a[1].master_key().size(), 32u);
    EXPECT_EQ(a[1].master_salt().size(), 12u);
  }

  // The RespondError a failed Respond carries.
  static pb::RespondError ErrorOf(const absl::Status& s) {
    pb::RespondError detail;
    auto payload = s.GetPayload(kRespondErrorTypeUrl);
    EXPECT_TRUE(payload.has_value()) << s;
    if (payload) EXPECT_TRUE(detail.ParseFromString(std::string(*payload)));
    return detail;
  }

  exchange::FixedClock clock_;
  DeterministicRandom rng_;
  std::unique_ptr<trust::TrustStore> trust_;
  std::unique_ptr<Broker> broker_;
  CallContext call_;
  CallRecord record_;
  std::vector<std::string> authorized_;
};

TEST_F(PubkeyBrokerTest, DhThroughComplete) {
  pb::InitiateRequest req = Request(pb::MODE_DH, "alice");
  req.set_initiator_id("sip:alice@example.org");
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(init.mode(), pb::MODE_DH);
  EXPECT_EQ(init.streams_size(), 0) << "keys come with Complete";
  ASSERT_FALSE(init.state().empty());
  EXPECT_EQ(init.key().key_id(), "alice");
  EXPECT_EQ(static_cast<uint8_t>(init.i_message()[1]), data_type::kDhInit);
  EXPECT_EQ(record_.mode, "DH");

  pb::RespondRequest rr = RespondTo(init.i_message(), "bob");
  rr.set_responder_id("sip:bob@example.org");
  pb::RespondResponse resp;
  s = broker_->Respond(rr, &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_DH);
  EXPECT_EQ(static_cast<uint8_t>(resp.r_message()[1]), data_type::kDhResp);
  // Signed with the newest version of bob's credential.
  EXPECT_EQ(resp.key().key_id(), "bob");
  EXPECT_EQ(resp.key().version(), 2u);

  pb::CompleteResponse done;
  s = Complete(init.state(), resp.r_message(), &done);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(done.mode(), pb::MODE_DH);
  EXPECT_EQ(done.key().key_id(), "alice");
  ExpectSameKeys(done.streams(), resp.streams());

  // The same I_MESSAGE again: a replay.
  s = broker_->Respond(rr, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("replay"));
  EXPECT_EQ(ErrorOf(s).error_name(), "Invalid timestamp");
}

// A DH I_MESSAGE from an Initiator that sends no CERT (core, directly):
// Respond verifies it only with RespondRequest.peer_certificate.
TEST_F(PubkeyBrokerTest, DhWithoutCertNeedsPeerCertificate) {
  const Pki& p = Pki::Get();
  absl::StatusOr<RsaPrivateKey> alice_key =
      RsaPrivateKey::FromDer(p.alice.key.ToPkcs8Der()->span());
  ASSERT_TRUE(alice_key.ok()) << alice_key.status();
  exchange::DhInitiatorOptions o;
  exchange::DhStreamSpec stream;
  stream.ssrc = 0x01020304;
  absl::StatusOr<const srtp::CryptoSuite*> suite =
      srtp::FindSuite("AES_CM_128_HMAC_SHA1_80");
  ASSERT_TRUE(suite.ok());
  stream.policy.suite = *suite;
  o.streams = {stream};
  o.credential.chain = {p.alice.cert};
  o.credential.key = &*alice_key;
  o.send_certificate = false;
  absl::StatusOr<exchange::DhInitiation> init =
      exchange::InitiateDh(o, clock_, rng_);
  ASSERT_TRUE(init.ok()) << init.status();
  const std::string i_message(init->i_message.begin(), init->i_message.end());

  // No CERT and no peer_certificate: nothing to verify SIGNi with.
  pb::RespondRequest rr = RespondTo(i_message, "bob");
  pb::RespondResponse resp;
  absl::Status s = broker_->Respond(rr, &resp, call_);
  EXPECT_FALSE(s.ok());
  // Not parseable as a certificate: INVALID_ARGUMENT naming the field.
  rr.set_peer_certificate("not a certificate");
  s = broker_->Respond(rr, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("peer_certificate: "));
  // The wrong peer's certificate: SIGNi does not verify.
  rr.set_peer_certificate(CertPem(p.bob.cert));
  s = broker_->Respond(rr, &resp, call_);
  EXPECT_FALSE(s.ok());
  // Alice's (PEM, with the CA after it): verified, keys derived.
  rr.set_peer_certificate(CertPem(p.alice.cert) + CertPem(p.ca.cert));
  s = broker_->Respond(rr, &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_DH);
  ASSERT_EQ(resp.streams_size(), 1);
  EXPECT_EQ(resp.streams(0).ssrc(), 0x01020304u);
  EXPECT_EQ(resp.streams(0).master_key().size(), 16u);
}

TEST_F(PubkeyBrokerTest, PeerCertificateRefusedForModesWithoutOne) {
  pb::InitiateRequest req;
  req.set_mode(pb::MODE_PSK);
  req.set_suite("AES_CM_128_HMAC_SHA1_80");
  req.add_streams()->set_ssrc(1);
  req.mutable_key()->set_key_id("psk");
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  pb::RespondRequest rr = RespondTo(init.i_message(), "psk");
  rr.set_peer_certificate(CertPem(Pki::Get().alice.cert));
  pb::RespondResponse resp;
  absl::Status s = broker_->Respond(rr, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(),
              HasSubstr("peer_certificate: mode PSK uses no certificate"));
}

TEST_F(PubkeyBrokerTest, PublicKeyWithVerification) {
  const Pki& p = Pki::Get();
  pb::InitiateRequest req = Request(pb::MODE_PUBLIC_KEY, "alice");
  req.set_v_flag(true);
  // bob's older certificate, as PEM with the CA after it.
  req.set_peer_certificate(CertPem(p.bob.cert) + CertPem(p.ca.cert));
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(init.streams_size(), 2) << "the Initiator knows the keys now";
  ASSERT_FALSE(init.state().empty()) << "V flag: Complete checks V";

  pb::RespondResponse resp;
  s = broker_->Respond(RespondTo(init.i_message(), "bob"), &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_PUBLIC_KEY);
  ExpectSameKeys(init.streams(), resp.streams());
  // Version 2 is newest, but the I_MESSAGE was for version 1 (CHASH).
  EXPECT_EQ(resp.key().version(), 1u);
  ASSERT_FALSE(resp.r_message().empty());
  EXPECT_EQ(static_cast<uint8_t>(resp.r_message()[1]), data_type::kPkVerify);

  pb::CompleteResponse done;
  s = Complete(init.state(), resp.r_message(), &done);
  ASSERT_TRUE(s.ok()) << s;
  ExpectSameKeys(done.streams(), resp.streams());

  // Without the V flag there is no state and no R_MESSAGE; DER works too.
  req.set_v_flag(false);
  req.set_peer_certificate(
      std::string(p.bob2.cert.der().begin(), p.bob2.cert.der().end()));
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  EXPECT_TRUE(init.state().empty());
  s = broker_->Respond(RespondTo(init.i_message(), "bob"), &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.key().version(), 2u);
  EXPECT_TRUE(resp.r_message().empty());
  ExpectSameKeys(init.streams(), resp.streams());
}

TEST_F(PubkeyBrokerTest, RsaRThroughComplete) {
  pb::InitiateResponse init;
  absl::Status s =
      broker_->Initiate(Request(pb::MODE_RSA_R, "alice"), &init, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(init.streams_size(), 0);
  ASSERT_FALSE(init.state().empty());
  pb::RespondResponse resp;
  s = broker_->Respond(RespondTo(init.i_message(), "bob"), &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_RSA_R);
  EXPECT_EQ(static_cast<uint8_t>(resp.r_message()[1]), data_type::kRsaRResp);
  pb::CompleteResponse done;
  s = Complete(init.state(), resp.r_message(), &done);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(done.mode(), pb::MODE_RSA_R);
  ExpectSameKeys(done.streams(), resp.streams());
}

TEST_F(PubkeyBrokerTest, UntrustedInitiatorGetsMikeyError) {
  // rogue's self-signed certificate: no path to the CA bob trusts.
  for (pb::Mode mode : {pb::MODE_DH, pb::MODE_RSA_R}) {
    SCOPED_TRACE(mode);
    pb::InitiateResponse init;
    ASSERT_TRUE(broker_->Initiate(Request(mode, "rogue"), &init, call_).ok());
    pb::RespondResponse resp;
    absl::Status s =
        broker_->Respond(RespondTo(init.i_message(), "bob"), &resp, call_);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    pb::RespondError e = ErrorOf(s);
    EXPECT_EQ(e.error_no(), 8u);
    EXPECT_EQ(e.error_name(), "Certificate not supported");
    EXPECT_FALSE(e.error_message().empty());
    EXPECT_EQ(static_cast<uint8_t>(e.error_message()[1]), data_type::kError);
  }
  // PUBLIC_KEY: the Initiator refuses to encrypt to an untrusted peer.
  const Pki& p = Pki::Get();
  pb::InitiateRequest req = Request(pb::MODE_PUBLIC_KEY, "alice");
  req.set_peer_certificate(CertPem(p.rogue.cert));
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("peer_certificate: "));
  // And the message says so when a key's trust is only a pin of nobody.
  req = Request(pb::MODE_PUBLIC_KEY, "rogue");
  req.set_peer_certificate(CertPem(p.bob.cert));
  s = broker_->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
}

TEST_F(PubkeyBrokerTest, ExpiredInitiatorCertificate) {
  // "old": issued by the trusted CA, expired a day ago.
  for (pb::Mode mode : {pb::MODE_DH, pb::MODE_RSA_R}) {
    SCOPED_TRACE(mode);
    pb::InitiateResponse init;
    absl::Status s = broker_->Initiate(Request(mode, "old"), &init, call_);
    ASSERT_TRUE(s.ok()) << s;
    pb::RespondResponse resp;
    s = broker_->Respond(RespondTo(init.i_message(), "bob"), &resp, call_);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr("expired"));
    EXPECT_EQ(ErrorOf(s).error_no(), 8u);
  }
  // As a PUBLIC_KEY Responder's certificate: refused at Initiate.
  pb::InitiateRequest req = Request(pb::MODE_PUBLIC_KEY, "alice");
  req.set_peer_certificate(CertPem(Pki::Get().expired.cert));
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("expired"));
}

TEST_F(PubkeyBrokerTest, KeyKindsAndRequestErrors) {
  struct Case {
    pb::InitiateRequest request;
    absl::StatusCode code;
    const char* what;
  };
  std::vector<Case> cases;
  cases.push_back({Request(pb::MODE_DH, "psk"),
                   absl::StatusCode::kInvalidArgument,
                   "key.key_id: 'psk' is a symmetric key"});
  cases.push_back({Request(pb::MODE_PSK, "alice"),
                   absl::StatusCode::kInvalidArgument,
                   "key.key_id: 'alice' is an RSA credential; mode PSK"});
  cases.push_back({Request(pb::MODE_DH, "nobody"), absl::StatusCode::kNotFound,
                   "'nobody'"});
  {
    pb::InitiateRequest r = Request(pb::MODE_RSA_R, "alice");
    r.mutable_key()->set_inline_key(std::string(32, 'k'));
    cases.push_back({r, absl::StatusCode::kInvalidArgument,
                     "key.inline_key: mode RSA_R needs an RSA credential of "
                     "the keystore"});
  }
  cases.push_back({Request(pb::MODE_PUBLIC_KEY, "alice"),
                   absl::StatusCode::kInvalidArgument,
                   "peer_certificate: required for PUBLIC_KEY"});
  {
    pb::InitiateRequest r = Request(pb::MODE_PUBLIC_KEY, "alice");
    r.set_peer_certificate("not a certificate");
    cases.push_back({r, absl::StatusCode::kInvalidArgument,
                     "peer_certificate: neither PEM"});
  }
  {
    pb::InitiateRequest r = Request(pb::MODE_DH, "alice");
    r.set_peer_certificate("-----BEGIN CERTIFICATE-----\nAAEC\n");
    cases.push_back(
        {r, absl::StatusCode::kInvalidArgument, "peer_certificate: PEM block"});
  }
  {
    pb::InitiateRequest r = Request(pb::MODE_DH, "alice");
    r.set_v_flag(true);
    cases.push_back({r, absl::StatusCode::kInvalidArgument, "v_flag"});
  }
  {
    pb::InitiateRequest r = Request(pb::MODE_RSA_R, "alice");
    r.set_mki("ab");
    cases.push_back({r, absl::StatusCode::kInvalidArgument, "mki: in RSA_R"});
  }
  for (const Case& c : cases) {
    pb::InitiateResponse init;
    absl::Status s = broker_->Initiate(c.request, &init, call_);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(c.what));
  }

  // Respond: a credential mode with a symmetric key, or no key.
  pb::InitiateResponse init;
  ASSERT_TRUE(
      broker_->Initiate(Request(pb::MODE_RSA_R, "alice"), &init, call_).ok());
  pb::RespondResponse resp;
  absl::Status s =
      broker_->Respond(RespondTo(init.i_message(), "psk"), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  pb::RespondRequest no_key = RespondTo(init.i_message(), "x");
  no_key.clear_key();
  s = broker_->Respond(no_key, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("key: required"));
  // And the state key must not be a credential: CheckStateKey says so.
  EXPECT_TRUE(broker_->CheckStateKey().ok());
}

TEST_F(PubkeyBrokerTest, BannerCountsCredentialsAndTrust) {
  const std::string banner = broker_->Banner();
  EXPECT_THAT(banner, HasSubstr("global 1 trust anchor(s), 0 pin(s)"));
  EXPECT_THAT(banner, HasSubstr("1 key id(s) with their own trust"));
}

}  // namespace
}  // namespace keybroker
}  // namespace service
}  // namespace mikey
