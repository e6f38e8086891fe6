#include "service/broker/broker.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/adapters.h"
#include "service/broker/key_result_codec.h"
#include "service/broker/registry.h"
#include "service/keystore/keystore.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

namespace pb = ::mikey::broker::v1;
using ::mikey::testutil::Hex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPsk1[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kPsk2[] =
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
constexpr char kOtherPsk[] = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr char kStateKey[] =
    "5f5e5d5c5b5a59585756555453525150"
    "4f4e4d4c4b4a49484746454443424140";

std::string Str(const std::vector<uint8_t>& b) {
  return std::string(b.begin(), b.end());
}

// A keystore the test can rotate.
class TestKeyStore : public keystore::KeyStore {
 public:
  struct Entry {
    std::string id;
    uint32_t version;
    const char* hex;
  };
  explicit TestKeyStore(const std::vector<Entry>& entries) { Set(entries); }
  std::shared_ptr<const keystore::KeySnapshot> Current() const override {
    absl::MutexLock lock(&mu_);
    return snapshot_;
  }
  void Set(const std::vector<Entry>& entries) {
    auto s = std::make_shared<keystore::KeySnapshot>();
    for (const Entry& e : entries) {
      EXPECT_TRUE(s->Add(e.id, e.version, Hex(e.hex)).ok()) << e.id;
    }
    absl::MutexLock lock(&mu_);
    snapshot_ = std::move(s);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const keystore::KeySnapshot> snapshot_;
};

// A keystore forwarding to another (two brokers, one set of keys: replicas).
class SharedKeyStore : public keystore::KeyStore {
 public:
  explicit SharedKeyStore(const keystore::KeyStore* k) : k_(k) {}
  std::shared_ptr<const keystore::KeySnapshot> Current() const override {
    return k_->Current();
  }

 private:
  const keystore::KeyStore* k_;
};

const absl::Time kStart = absl::FromUnixSeconds(1704067200);  // 2024-01-01

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest() : clock_(kStart), rng_(42) {
    auto keys = std::make_unique<TestKeyStore>(std::vector<TestKeyStore::Entry>{
        {"psk", 1, kPsk1}, {"state-key", 1, kStateKey}});
    keys_ = keys.get();
    broker_ = MakeBroker(std::move(keys), true);
    call_.authorize = [this](absl::string_view key_id) {
      authorized_.emplace_back(key_id);
      return deny_ ? absl::PermissionDeniedError("denied") : absl::OkStatus();
    };
    call_.record = &record_;
  }

  std::unique_ptr<Broker> MakeBroker(std::unique_ptr<keystore::KeyStore> keys,
                                     bool inline_allowed) {
    BrokerOptions options;
    options.inline_keys_allowed = inline_allowed;
    options.replay_cache_capacity = 1000;
    BrokerParts parts;
    parts.keys = std::move(keys);
    parts.clock = &clock_;
    parts.rng = &rng_;
    return std::make_unique<Broker>(options, std::move(parts));
  }

  pb::InitiateRequest PskRequest(bool v_flag = false) {
    pb::InitiateRequest r;
    r.set_mode(pb::MODE_PSK);
    r.set_suite("AES_CM_128_HMAC_SHA1_80");
    pb::StreamSpec* s = r.add_streams();
    s->set_ssrc(0x11223344);
    s->set_roc(5);
    s = r.add_streams();
    s->set_ssrc(0x55667788);
    s->set_suite("AES_256_CM_HMAC_SHA1_32");
    r.set_v_flag(v_flag);
    r.mutable_key()->set_key_id("psk");
    return r;
  }

  pb::RespondRequest RespondTo(const std::string& i_message,
                               const std::string& key_id = "psk") {
    pb::RespondRequest r;
    r.mutable_input()->set_message(i_message);
    if (!key_id.empty()) r.mutable_key()->set_key_id(key_id);
    return r;
  }

  exchange::FixedClock clock_;
  DeterministicRandom rng_;
  TestKeyStore* keys_;
  std::unique_ptr<Broker> broker_;
  CallContext call_;
  CallRecord record_;
  std::vector<std::string> authorized_;
  bool deny_ = false;
};

// Both sides' keys: same streams, keys, salts.
void ExpectSameKeys(
    const google::protobuf::RepeatedPtrField<pb::StreamKeys>& a,
    const google::protobuf::RepeatedPtrField<pb::StreamKeys>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (int i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ssrc(), b[i].ssrc()) << i;
    EXPECT_EQ(a[i].roc(), b[i].roc()) << i;
    EXPECT_EQ(a[i].suite(), b[i].suite()) << i;
    EXPECT_EQ(a[i].cs_id(), b[i].cs_id()) << i;
    EXPECT_EQ(a[i].csb_id(), b[i].csb_id()) << i;
    EXPECT_EQ(a[i].mki(), b[i].mki()) << i;
    EXPECT_TRUE(a[i].master_key() == b[i].master_key()) << i;
    EXPECT_TRUE(a[i].master_salt() == b[i].master_salt()) << i;
  }
}

TEST_F(BrokerTest, PskInitiateRespond) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &init, call_).ok());
  EXPECT_EQ(init.mode(), pb::MODE_PSK);
  EXPECT_TRUE(init.state().empty()) << "no V flag, no Complete";
  EXPECT_EQ(init.key().key_id(), "psk");
  EXPECT_EQ(init.key().version(), 1u);
  EXPECT_EQ(init.key_mgmt(), "mikey " + absl::Base64Escape(init.i_message()));
  ASSERT_EQ(init.streams_size(), 2);
  EXPECT_EQ(init.streams(0).ssrc(), 0x11223344u);
  EXPECT_EQ(init.streams(0).roc(), 5u);
  EXPECT_EQ(init.streams(0).cs_id(), 1u);
  EXPECT_EQ(init.streams(0).suite(), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(init.streams(0).master_key().size(), 16u);
  EXPECT_EQ(init.streams(0).master_salt().size(), 14u);
  EXPECT_EQ(init.streams(1).cs_id(), 2u);
  EXPECT_EQ(init.streams(1).suite(), "AES_256_CM_HMAC_SHA1_32");
  EXPECT_EQ(init.streams(1).master_key().size(), 32u);
  EXPECT_EQ(init.streams(0).csb_id(), init.csb_id());
  EXPECT_EQ(record_.mode, "PSK");
  EXPECT_EQ(record_.key_id, "psk");
  EXPECT_EQ(record_.key_version, 1);
  EXPECT_EQ(record_.stream_count, 2);
  EXPECT_EQ(record_.csb_id, init.csb_id());
  EXPECT_THAT(authorized_, ElementsAre("psk"));

  // The I_MESSAGE's header, read independently of the broker.
  absl::StatusOr<Message> m =
      ParseMessage(Hex(absl::BytesToHexString(init.i_message())));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.data_type, data_type::kPskInit);
  EXPECT_EQ(m->header.csb_id, init.csb_id());
  EXPECT_FALSE(m->header.v_flag);

  pb::RespondResponse resp;
  record_ = CallRecord();
  absl::Status s = broker_->Respond(RespondTo(init.i_message()), &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_PSK);
  EXPECT_EQ(resp.csb_id(), init.csb_id());
  EXPECT_TRUE(resp.r_message().empty());
  EXPECT_EQ(resp.key().key_id(), "psk");
  ExpectSameKeys(init.streams(), resp.streams());
  EXPECT_EQ(record_.mode, "PSK");
  EXPECT_EQ(record_.stream_count, 2);
}

TEST_F(BrokerTest, PskWithVerificationThroughComplete) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(true), &init, call_).ok());
  ASSERT_FALSE(init.state().empty());
  EXPECT_EQ(init.state_expire_time().seconds(),
            absl::ToUnixSeconds(kStart + absl::Minutes(5)));
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(RespondTo(init.i_message()), &resp, call_).ok());
  ASSERT_FALSE(resp.r_message().empty());
  EXPECT_EQ(resp.key_mgmt(), "mikey " + absl::Base64Escape(resp.r_message()));

  // Another replica (same keys, its own process state) completes it.
  std::unique_ptr<Broker> replica =
      MakeBroker(std::make_unique<SharedKeyStore>(keys_), true);
  pb::CompleteRequest c;
  c.set_state(init.state());
  c.mutable_input()->set_text(resp.key_mgmt());
  pb::CompleteResponse done;
  authorized_.clear();
  record_ = CallRecord();
  absl::Status s = replica->Complete(c, &done, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(done.mode(), pb::MODE_PSK);
  EXPECT_EQ(done.csb_id(), init.csb_id());
  EXPECT_EQ(done.key().key_id(), "psk");
  ExpectSameKeys(done.streams(), init.streams());
  ExpectSameKeys(done.streams(), resp.streams());
  EXPECT_THAT(authorized_, ElementsAre("", "psk"));
  EXPECT_EQ(record_.mode, "PSK");
  EXPECT_EQ(record_.key_id, "psk");
  EXPECT_EQ(record_.stream_count, 2);
}

TEST_F(BrokerTest, CompleteRefusesBadStates) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(true), &init, call_).ok());
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(RespondTo(init.i_message()), &resp, call_).ok());
  pb::CompleteResponse done;

  // Altered.
  pb::CompleteRequest c;
  std::string state = init.state();
  state[state.size() - 1] ^= 1;
  c.set_state(state);
  c.mutable_input()->set_message(resp.r_message());
  EXPECT_EQ(broker_->Complete(c, &done, call_).code(),
            absl::StatusCode::kInvalidArgument);

  // Another exchange's R_MESSAGE.
  pb::InitiateResponse init2;
  ASSERT_TRUE(broker_->Initiate(PskRequest(true), &init2, call_).ok());
  pb::RespondResponse resp2;
  ASSERT_TRUE(
      broker_->Respond(RespondTo(init2.i_message()), &resp2, call_).ok());
  c.set_state(init.state());
  c.mutable_input()->set_message(resp2.r_message());
  absl::Status s = broker_->Complete(c, &done, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("another exchange"));

  // No state; garbage state.
  c.clear_state();
  c.mutable_input()->set_message(resp.r_message());
  EXPECT_EQ(broker_->Complete(c, &done, call_).code(),
            absl::StatusCode::kInvalidArgument);
  c.set_state("garbage");
  EXPECT_EQ(broker_->Complete(c, &done, call_).code(),
            absl::StatusCode::kInvalidArgument);

  // Expired.
  c.set_state(init.state());
  clock_.Advance(absl::Minutes(6));
  s = broker_->Complete(c, &done, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("expired"));
}

TEST_F(BrokerTest, CompleteRefusesForgedResponse) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(true), &init, call_).ok());
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(RespondTo(init.i_message()), &resp, call_).ok());
  // Flip a bit of the V payload's MAC (the last octet of the R_MESSAGE).
  std::string forged = resp.r_message();
  forged[forged.size() - 1] ^= 1;
  pb::CompleteRequest c;
  c.set_state(init.state());
  c.mutable_input()->set_message(forged);
  pb::CompleteResponse done;
  EXPECT_EQ(broker_->Complete(c, &done, call_).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(done.streams_size(), 0);
}

TEST_F(BrokerTest, WrongKeyGivesMikeyErrorMessage) {
  keys_->Set({{"psk", 1, kPsk1},
              {"other", 1, kOtherPsk},
              {"state-key", 1, kStateKey}});
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &init, call_).ok());
  pb::RespondResponse resp;
  absl::Status s =
      broker_->Respond(RespondTo(init.i_message(), "other"), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(resp.streams_size(), 0);
  auto payload = s.GetPayload(kRespondErrorTypeUrl);
  ASSERT_TRUE(payload.has_value());
  pb::RespondError detail;
  ASSERT_TRUE(detail.ParseFromString(std::string(*payload)));
  EXPECT_EQ(detail.error_no(), 0u);
  EXPECT_EQ(detail.error_name(), "Authentication failure");
  EXPECT_EQ(detail.key_mgmt(),
            "mikey " + absl::Base64Escape(detail.error_message()));
  absl::StatusOr<Message> err =
      ParseMessage(Hex(absl::BytesToHexString(detail.error_message())));
  ASSERT_TRUE(err.ok()) << err.status();
  EXPECT_EQ(err->header.data_type, data_type::kError);
  EXPECT_EQ(err->header.csb_id, init.csb_id());
}

TEST_F(BrokerTest, RespondTriesOlderKeyVersions) {
  pb::InitiateResponse old_init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &old_init, call_).ok());
  EXPECT_EQ(old_init.key().version(), 1u);
  // Rotation: version 2 is added.
  keys_->Set(
      {{"psk", 1, kPsk1}, {"psk", 2, kPsk2}, {"state-key", 1, kStateKey}});
  pb::InitiateResponse new_init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &new_init, call_).ok());
  EXPECT_EQ(new_init.key().version(), 2u);

  pb::RespondResponse resp;
  ASSERT_TRUE(
      broker_->Respond(RespondTo(old_init.i_message()), &resp, call_).ok());
  EXPECT_EQ(resp.key().version(), 1u);
  ExpectSameKeys(old_init.streams(), resp.streams());
  ASSERT_TRUE(
      broker_->Respond(RespondTo(new_init.i_message()), &resp, call_).ok());
  EXPECT_EQ(resp.key().version(), 2u);
  ExpectSameKeys(new_init.streams(), resp.streams());

  // Pinned to version 2, the old message does not verify.
  pb::InitiateResponse again;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &again, call_).ok());
  pb::RespondRequest pinned = RespondTo(old_init.i_message());
  pinned.mutable_key()->set_version(2);
  EXPECT_EQ(broker_->Respond(pinned, &resp, call_).code(),
            absl::StatusCode::kFailedPrecondition);

  // Version 1 retired: the old message no longer verifies.
  keys_->Set({{"psk", 2, kPsk2}, {"state-key", 1, kStateKey}});
  pb::InitiateResponse fresh_old;  // (a new message under the retired key
                                   // cannot be made: check with the old one)
  EXPECT_EQ(
      broker_->Respond(RespondTo(old_init.i_message()), &resp, call_).code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST_F(BrokerTest, ReplayedIMessageIsRefused) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &init, call_).ok());
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(RespondTo(init.i_message()), &resp, call_).ok());
  absl::Status s = broker_->Respond(RespondTo(init.i_message()), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(BrokerTest, OldIMessageIsRefused) {
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &init, call_).ok());
  clock_.Advance(absl::Minutes(10));
  pb::RespondResponse resp;
  absl::Status s = broker_->Respond(RespondTo(init.i_message()), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(s.GetPayload(kRespondErrorTypeUrl).has_value());
}

TEST_F(BrokerTest, MikeyNull) {
  pb::InitiateRequest req;
  req.set_mode(pb::MODE_PSK_NULL);
  req.set_suite("AES_CM_128_HMAC_SHA1_80");
  req.add_streams()->set_ssrc(0xdeadbeef);
  req.set_mki(Str(Hex("00000001")));
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(init.mode(), pb::MODE_PSK_NULL);
  EXPECT_TRUE(init.state().empty());
  ASSERT_EQ(init.streams_size(), 1);
  EXPECT_EQ(init.streams(0).mki(), Str(Hex("00000001")));
  EXPECT_THAT(authorized_, ElementsAre(""));
  EXPECT_EQ(record_.mode, "PSK_NULL");
  EXPECT_EQ(record_.key_id, "");

  // No key, not accepted: refused, saying what to do.
  pb::RespondResponse resp;
  pb::RespondRequest r = RespondTo(init.i_message(), "");
  s = broker_->Respond(r, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("accept_mikey_null"));
  // With a key but not accepted: a verification failure.
  s = broker_->Respond(RespondTo(init.i_message()), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);

  r.set_accept_mikey_null(true);
  s = broker_->Respond(r, &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_PSK_NULL);
  EXPECT_TRUE(resp.r_message().empty());
  EXPECT_FALSE(resp.has_key());
  ExpectSameKeys(init.streams(), resp.streams());
  EXPECT_EQ(record_.mode, "PSK_NULL");

  // Accepted with a key given too (the key is not used).
  pb::RespondRequest with_key = RespondTo(init.i_message());
  with_key.set_accept_mikey_null(true);
  s = broker_->Respond(with_key, &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(resp.mode(), pb::MODE_PSK_NULL);
  EXPECT_FALSE(resp.has_key());
  ExpectSameKeys(init.streams(), resp.streams());

  // A protected PSK message without a key, null accepted: still refused.
  pb::InitiateResponse psk;
  ASSERT_TRUE(broker_->Initiate(PskRequest(), &psk, call_).ok());
  pb::RespondRequest no_key = RespondTo(psk.i_message(), "");
  no_key.set_accept_mikey_null(true);
  s = broker_->Respond(no_key, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no key was given"));
}

TEST_F(BrokerTest, InlineKeys) {
  pb::InitiateRequest req = PskRequest();
  req.mutable_key()->set_inline_key(Str(Hex(kOtherPsk)));
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(init.has_key());
  EXPECT_THAT(authorized_, ElementsAre(""));
  pb::RespondRequest r = RespondTo(init.i_message(), "");
  r.mutable_key()->set_inline_key(Str(Hex(kOtherPsk)));
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(r, &resp, call_).ok());
  ExpectSameKeys(init.streams(), resp.streams());

  // Inline key with V: Complete needs it from the state.
  req.set_v_flag(true);
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  r.mutable_input()->set_message(init.i_message());
  ASSERT_TRUE(broker_->Respond(r, &resp, call_).ok());
  pb::CompleteRequest c;
  c.set_state(init.state());
  c.mutable_input()->set_message(resp.r_message());
  pb::CompleteResponse done;
  s = broker_->Complete(c, &done, call_);
  ASSERT_TRUE(s.ok()) << s;
  ExpectSameKeys(done.streams(), init.streams());

  // Too short.
  req.mutable_key()->set_inline_key("short");
  s = broker_->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("key.inline_key: 5 octets"));

  // A server that refuses inline keys.
  std::unique_ptr<Broker> strict =
      MakeBroker(std::make_unique<SharedKeyStore>(keys_), false);
  req.mutable_key()->set_inline_key(Str(Hex(kOtherPsk)));
  s = strict->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not accept inline keys"));
}

TEST_F(BrokerTest, UnknownKeys) {
  pb::InitiateRequest req = PskRequest();
  req.mutable_key()->set_key_id("nope");
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(req, &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("'nope'"));
  req.mutable_key()->set_key_id("psk");
  req.mutable_key()->set_version(9);
  EXPECT_EQ(broker_->Initiate(req, &init, call_).code(),
            absl::StatusCode::kNotFound);
  req.mutable_key()->set_version(0);
  req.mutable_key()->set_key_id("bad id!");
  EXPECT_EQ(broker_->Initiate(req, &init, call_).code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(broker_->Initiate(PskRequest(), &init, call_).ok());
  pb::RespondResponse resp;
  EXPECT_EQ(broker_->Respond(RespondTo(init.i_message(), "nope"), &resp, call_)
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(BrokerTest, InitiateValidation) {
  pb::InitiateResponse init;
  struct Case {
    std::function<void(pb::InitiateRequest*)> change;
    absl::StatusCode code;
    const char* what;
  };
  const std::vector<Case> cases = {
      {[](pb::InitiateRequest* r) { r->set_mode(pb::MODE_UNSPECIFIED); },
       absl::StatusCode::kInvalidArgument, "mode: required"},
      {[](pb::InitiateRequest* r) { r->set_mode(static_cast<pb::Mode>(77)); },
       absl::StatusCode::kInvalidArgument, "mode: required"},
      {[](pb::InitiateRequest* r) { r->set_suite("AES_CM_64"); },
       absl::StatusCode::kInvalidArgument,
       "suite (for streams[0]): unknown SRTP crypto suite 'AES_CM_64'"},
      {[](pb::InitiateRequest* r) { r->mutable_streams(1)->set_suite("x"); },
       absl::StatusCode::kInvalidArgument, "streams[1].suite"},
      {[](pb::InitiateRequest* r) { r->clear_key(); },
       absl::StatusCode::kInvalidArgument, "key: required"},
      {[](pb::InitiateRequest* r) { r->set_key_derivation_rate(3); },
       absl::StatusCode::kInvalidArgument, "key_derivation_rate: 3"},
      {[](pb::InitiateRequest* r) { r->set_sdp("not an sdp"); },
       absl::StatusCode::kInvalidArgument, "sdp: "},
      {[](pb::InitiateRequest* r) { r->set_peer_certificate("x"); },
       absl::StatusCode::kInvalidArgument, "peer_certificate"},
      {[](pb::InitiateRequest* r) { r->set_responder_id("bob"); },
       absl::StatusCode::kInvalidArgument, "responder_id: needs initiator_id"},
      {[](pb::InitiateRequest* r) { r->set_mode(pb::MODE_DH); },
       absl::StatusCode::kInvalidArgument,
       "key.key_id: 'psk' is a symmetric key; mode DH needs an RSA "
       "credential"},
      {[](pb::InitiateRequest* r) { r->set_mode(pb::MODE_PSK_NULL); },
       absl::StatusCode::kInvalidArgument, "key: mode PSK_NULL uses no key"},
  };
  for (const Case& c : cases) {
    pb::InitiateRequest req = PskRequest();
    c.change(&req);
    absl::Status s = broker_->Initiate(req, &init, call_);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(c.what));
  }
  // No streams: one SSRC-0 stream.
  pb::InitiateRequest req = PskRequest();
  req.clear_streams();
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  ASSERT_EQ(init.streams_size(), 1);
  EXPECT_EQ(init.streams(0).ssrc(), 0u);
  EXPECT_EQ(init.streams(0).suite(), "AES_CM_128_HMAC_SHA1_80");
}

TEST_F(BrokerTest, RespondDispatch) {
  pb::RespondResponse resp;
  // An R_MESSAGE given to Respond.
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(PskRequest(true), &init, call_).ok());
  ASSERT_TRUE(broker_->Respond(RespondTo(init.i_message()), &resp, call_).ok());
  absl::Status s = broker_->Respond(RespondTo(resp.r_message()), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not an I_MESSAGE"));
  // A SAKKE I_MESSAGE header (hand-written: v1, data type 26, next 0, PRF
  // 0, CSB 01020304, #CS 0, map type 0): a mode this server lacks.
  s = broker_->Respond(RespondTo(Str(Hex("011a0000 01020304 00 00"))), &resp,
                       call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("mode SAKKE"));
  // A D-H init header answered with a symmetric key: the wrong kind.
  s = broker_->Respond(RespondTo(Str(Hex("01040000 01020304 00 00"))), &resp,
                       call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("mode DH needs an RSA credential"));
  // Not MIKEY.
  s = broker_->Respond(RespondTo(Str(Hex("02"))), &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("input: "));
  pb::RespondRequest empty;
  s = broker_->Respond(empty, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BrokerTest, SdpInsertion) {
  pb::InitiateRequest req = PskRequest();
  req.set_sdp(
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=audio 5004 RTP/SAVP 0\r\n");
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  EXPECT_EQ(init.sdp(),
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=key-mgmt:mikey " +
                absl::Base64Escape(init.i_message()) +
                "\r\nm=audio 5004 RTP/SAVP 0\r\n");
  // The whole SDP is a valid Respond input.
  pb::RespondRequest r = RespondTo("");
  r.mutable_input()->set_text(init.sdp());
  pb::RespondResponse resp;
  ASSERT_TRUE(broker_->Respond(r, &resp, call_).ok());
  ExpectSameKeys(init.streams(), resp.streams());
}

TEST_F(BrokerTest, AuthorizationAndDeadline) {
  deny_ = true;
  pb::InitiateResponse init;
  EXPECT_EQ(broker_->Initiate(PskRequest(), &init, call_).code(),
            absl::StatusCode::kPermissionDenied);
  pb::DeriveSessionKeysResponse derived;
  EXPECT_EQ(broker_->DeriveSessionKeys({}, &derived, call_).code(),
            absl::StatusCode::kPermissionDenied);
  deny_ = false;
  int checks = 0;
  call_.check_deadline = [&checks] {
    ++checks;
    return absl::DeadlineExceededError("late");
  };
  EXPECT_EQ(broker_->Initiate(PskRequest(), &init, call_).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(init.i_message(), "");
}

TEST_F(BrokerTest, DeriveSessionKeysRfc3711) {
  pb::DeriveSessionKeysRequest req;
  req.set_suite("AES_CM_128_HMAC_SHA1_80");
  req.set_master_key(Str(Hex("E1F97A0D3E018BE0D64FA32C06DE4139")));
  req.set_master_salt(Str(Hex("0EC675AD498AFEEBB6960B3AABE6")));
  pb::DeriveSessionKeysResponse resp;
  absl::Status s = broker_->DeriveSessionKeys(req, &resp, call_);
  ASSERT_TRUE(s.ok()) << s;
  // RFC 3711 Appendix B.3.
  EXPECT_EQ(resp.srtp().encryption_key(),
            Str(Hex("C61E7A93744F39EE10734AFE3FF7A087")));
  EXPECT_EQ(resp.srtp().salt(), Str(Hex("30CBBC08863D8C85D49DB34A9AE1")));
  EXPECT_EQ(resp.srtp().authentication_key(),
            Str(Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")));
  // SRTCP labels (vectors/rfc3711_appendixB.txt, libsrtp cross-check).
  EXPECT_EQ(resp.srtcp().encryption_key(),
            Str(Hex("4c1aa45a81f73d61c800bbb00fbb1eaa")));
  EXPECT_EQ(resp.srtcp().authentication_key(),
            Str(Hex("8d54534feb49ae8e7993a6bd0b844fc323a93dfd")));
  EXPECT_EQ(resp.srtcp().salt(), Str(Hex("9581c7ad87b3e530bf3e4454a8b3")));

  req.set_master_key("short");
  s = broker_->DeriveSessionKeys(req, &resp, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("master_key: 5 octets"));
  req.set_master_key(Str(Hex("E1F97A0D3E018BE0D64FA32C06DE4139")));
  req.set_srtp_index(uint64_t{1} << 48);
  EXPECT_EQ(broker_->DeriveSessionKeys(req, &resp, call_).code(),
            absl::StatusCode::kInvalidArgument);
  req.set_srtp_index(0);
  req.set_suite("");
  EXPECT_EQ(broker_->DeriveSessionKeys(req, &resp, call_).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BrokerTest, MissingStateKey) {
  keys_->Set({{"psk", 1, kPsk1}});
  EXPECT_EQ(broker_->CheckStateKey().code(),
            absl::StatusCode::kFailedPrecondition);
  pb::InitiateResponse init;
  absl::Status s = broker_->Initiate(PskRequest(true), &init, call_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("state key 'state-key'"));
  // Modes without state still work.
  EXPECT_TRUE(broker_->Initiate(PskRequest(false), &init, call_).ok());
}

TEST_F(BrokerTest, DhhmacThroughComplete) {
  for (uint32_t group : {0u, 255u}) {
    SCOPED_TRACE(group);
    pb::InitiateRequest req = PskRequest();
    req.set_mode(pb::MODE_DHHMAC);
    req.set_dh_group(group);
    req.set_initiator_id("sip:alice@example.org");
    // RFC 4650 §3: IDr is mandatory in DHHMAC, IDi optional.
    req.set_responder_id("sip:bob@example.org");
    pb::InitiateResponse init;
    absl::Status s = broker_->Initiate(req, &init, call_);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(init.mode(), pb::MODE_DHHMAC);
    EXPECT_EQ(init.streams_size(), 0) << "keys come with Complete";
    ASSERT_FALSE(init.state().empty());
    EXPECT_EQ(static_cast<uint8_t>(init.i_message()[1]),
              data_type::kDhhmacInit);

    pb::RespondRequest rr = RespondTo(init.i_message());
    rr.add_allowed_dh_groups(group);
    pb::RespondResponse resp;
    s = broker_->Respond(rr, &resp, call_);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(resp.mode(), pb::MODE_DHHMAC);
    ASSERT_FALSE(resp.r_message().empty());
    EXPECT_EQ(resp.streams_size(), 2);

    pb::CompleteRequest c;
    c.set_state(init.state());
    c.mutable_input()->set_message(resp.r_message());
    pb::CompleteResponse done;
    s = broker_->Complete(c, &done, call_);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(done.mode(), pb::MODE_DHHMAC);
    ExpectSameKeys(done.streams(), resp.streams());
    EXPECT_EQ(done.streams(0).ssrc(), 0x11223344u);
    EXPECT_EQ(done.streams(1).suite(), "AES_256_CM_HMAC_SHA1_32");
  }
  // RFC 4650 §3 ("[IDi], IDr"): IDi alone cannot be sent.
  {
    pb::InitiateRequest only_i = PskRequest();
    only_i.set_mode(pb::MODE_DHHMAC);
    only_i.set_initiator_id("sip:alice@example.org");
    pb::InitiateResponse init;
    absl::Status s = broker_->Initiate(only_i, &init, call_);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("initiator_id: needs responder_id"));
  }
  // X25519 is refused unless the Responder allows it.
  pb::InitiateRequest req = PskRequest();
  req.set_mode(pb::MODE_DHHMAC);
  req.set_dh_group(255);
  pb::InitiateResponse init;
  ASSERT_TRUE(broker_->Initiate(req, &init, call_).ok());
  pb::RespondResponse resp;
  EXPECT_EQ(broker_->Respond(RespondTo(init.i_message()), &resp, call_).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ModeRegistryTest, DefaultAndClashes) {
  ModeRegistry r = DefaultModeRegistry();
  ASSERT_NE(r.ByMode(pb::MODE_PSK), nullptr);
  ASSERT_NE(r.ByMode(pb::MODE_PSK_NULL), nullptr);
  ASSERT_NE(r.ByMode(pb::MODE_DH), nullptr);
  ASSERT_NE(r.ByMode(pb::MODE_PUBLIC_KEY), nullptr);
  ASSERT_NE(r.ByMode(pb::MODE_RSA_R), nullptr);
  EXPECT_EQ(r.ByIMessageDataType(data_type::kPskInit), r.ByMode(pb::MODE_PSK));
  EXPECT_EQ(r.ByIMessageDataType(data_type::kDhInit), r.ByMode(pb::MODE_DH));
  EXPECT_EQ(r.ByIMessageDataType(data_type::kDhhmacInit),
            r.ByMode(pb::MODE_DHHMAC));
  EXPECT_EQ(r.ByIMessageDataType(data_type::kPkInit),
            r.ByMode(pb::MODE_PUBLIC_KEY));
  EXPECT_EQ(r.ByIMessageDataType(data_type::kRsaRInit),
            r.ByMode(pb::MODE_RSA_R));
  EXPECT_EQ(r.ByIMessageDataType(data_type::kSakkeInit), nullptr);
  EXPECT_EQ(r.ModeNames(), "PSK, PSK_NULL, DHHMAC, DH, PUBLIC_KEY, RSA_R");
  EXPECT_EQ(r.Register(NewPskAdapter()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyResultCodecTest, RoundTrip) {
  exchange::KeyResult k;
  k.csb_id = 0x01020304;
  exchange::StreamKeys s;
  s.ssrc = 7;
  s.roc = 9;
  s.policy_no = 1;
  s.cs_id = 2;
  s.csb_id = 0x01020304;
  s.suite = *srtp::FindSuite("AEAD_AES_128_GCM");
  s.policy.suite = s.suite;
  s.policy.srtcp_encryption = false;
  s.master_key = SecretBytes(Hex("000102030405060708090a0b0c0d0e0f"));
  s.master_salt = SecretBytes(Hex("101112131415161718191a1b"));
  s.mki = Hex("abcd");
  k.streams.push_back(s);
  Writer w;
  ASSERT_TRUE(EncodeKeyResult(k, &w).ok());
  EXPECT_EQ(w.size(), EncodedKeyResultSize(k));
  Reader r(w.data());
  absl::StatusOr<exchange::KeyResult> back = DecodeKeyResult(&r);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(r.empty());
  ASSERT_EQ(back->streams.size(), 1u);
  const exchange::StreamKeys& b = back->streams[0];
  EXPECT_EQ(back->csb_id, 0x01020304u);
  EXPECT_EQ(b.ssrc, 7u);
  EXPECT_EQ(b.roc, 9u);
  EXPECT_EQ(b.cs_id, 2);
  EXPECT_EQ(b.suite, s.suite);
  EXPECT_TRUE(b.policy.srtp_encryption);
  EXPECT_FALSE(b.policy.srtcp_encryption);
  EXPECT_EQ(b.master_key, s.master_key);
  EXPECT_EQ(b.master_salt, s.master_salt);
  EXPECT_EQ(b.mki, s.mki);
  // Truncated: an error, not a crash.
  std::vector<uint8_t> cut(w.data().begin(), w.data().end() - 3);
  Reader rc(cut);
  EXPECT_FALSE(DecodeKeyResult(&rc).ok());
}

}  // namespace
}  // namespace keybroker
}  // namespace service
}  // namespace mikey
