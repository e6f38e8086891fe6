#include "core/exchange/dhhmac.h"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/dh.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh_common.h"
#include "core/kdf/kdf.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

using ::testing::HasSubstr;
using testutil::Hex;
using testutil::ToHex;

constexpr uint64_t kT = 0xE8D4A51000000000ULL;  // NTP-UTC, year 2023

const srtp::CryptoSuite* Suite(absl::string_view name) {
  absl::StatusOr<const srtp::CryptoSuite*> s = srtp::FindSuite(name);
  EXPECT_TRUE(s.ok()) << name;
  return s.ok() ? *s : nullptr;
}

DhStreamSpec Stream(const srtp::CryptoSuite* suite, uint32_t ssrc,
                    uint32_t roc = 0) {
  DhStreamSpec s;
  s.ssrc = ssrc;
  s.roc = roc;
  s.policy.suite = suite;
  return s;
}

Bytes Psk() {
  Bytes p;
  for (int i = 0; i < 20; ++i) p.push_back(static_cast<uint8_t>(0x90 + i));
  return p;
}

IdPayload Uri(absl::string_view s) {
  return IdPayload{id_type::kUri, Bytes(s.begin(), s.end())};
}

DhhmacInitiatorOptions TwoStreams(uint8_t group = dh_group::kOakley5) {
  DhhmacInitiatorOptions o;
  o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 0x11111111),
               Stream(Suite("AES_256_CM_HMAC_SHA1_32"), 0x22222222, 9)};
  o.dh_group = group;
  o.id_i = Uri("sip:alice@example.org");
  o.id_r = Uri("sip:bob@example.org");  // RFC 4650 §3: IDr is mandatory
  return o;
}

// A Responder with its own replay cache.
struct Responder {
  std::unique_ptr<replay::InMemoryReplayCache> cache =
      std::make_unique<replay::InMemoryReplayCache>(1000);
  DhhmacResponderOptions options;
  Responder() { options.replay_cache = cache.get(); }
};

void ExpectSameKeys(const KeyResult& a, const KeyResult& b) {
  EXPECT_EQ(a.csb_id, b.csb_id);
  ASSERT_EQ(a.streams.size(), b.streams.size());
  for (size_t i = 0; i < a.streams.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("stream ", i));
    const StreamKeys& x = a.streams[i];
    const StreamKeys& y = b.streams[i];
    EXPECT_EQ(x.ssrc, y.ssrc);
    EXPECT_EQ(x.roc, y.roc);
    EXPECT_EQ(x.cs_id, y.cs_id);
    EXPECT_EQ(x.suite, y.suite);
    EXPECT_EQ(ToHex(x.master_key.span()), ToHex(y.master_key.span()));
    EXPECT_EQ(ToHex(x.master_salt.span()), ToHex(y.master_salt.span()));
    EXPECT_EQ(x.mki, y.mki);
    ASSERT_NE(x.suite, nullptr);
    EXPECT_EQ(x.master_key.size(), x.suite->master_key_length);
    EXPECT_EQ(x.master_salt.size(), x.suite->master_salt_length);
  }
}

// Recomputes the trailing HMAC-SHA-1 KEMAC MAC of `wire` (a DHHMAC message
// whose MAC covers everything before it) under the auth key of `psk`,
// `csb_id` and `rand`. For building well-authenticated bad messages.
Bytes ReMac(Bytes wire, const Bytes& psk, uint32_t csb_id,
            absl::Span<const uint8_t> rand) {
  absl::StatusOr<SecretBytes> key =
      DeriveKemacAuthKey(HashAlg::kSha1, psk, csb_id, rand);
  EXPECT_TRUE(key.ok());
  const size_t covered = wire.size() - 20;
  absl::StatusOr<std::vector<uint8_t>> mac = Hmac(
      HashAlg::kSha1, key->span(), absl::MakeConstSpan(wire.data(), covered));
  EXPECT_TRUE(mac.ok());
  std::copy(mac->begin(), mac->end(), wire.begin() + covered);
  return wire;
}

// `wire` with the value of its `nth` DH payload replaced.
Bytes WithDhValue(const Bytes& wire, int nth, const Bytes& value) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  EXPECT_TRUE(m.ok()) << m.status();
  int seen = 0;
  for (Payload& p : m->payloads) {
    if (auto* dh = std::get_if<DhPayload>(&p); dh != nullptr) {
      if (seen++ == nth) dh->value = value;
    }
  }
  absl::StatusOr<Bytes> out = SerializeMessage(*m);
  EXPECT_TRUE(out.ok()) << out.status();
  return *out;
}

Bytes RandOf(const Bytes& i_message) {
  absl::StatusOr<Message> m = ParseMessage(i_message);
  return m->Find<RandPayload>()->rand;
}

// ---------------------------------------------------------------------------
// Known answer (testdata/gen_dhhmac_kat.py: Python's hmac/hashlib and pow(),
// written from RFC 4650 / RFC 3830 / RFC 2409 without this project's code).

constexpr char kKatXi[] =
    "0084078b0e9215991ca023a72aae31b538bc3fc346ca4dd154d85bdf62e669ed"
    "70f477fb7e8205890c9013971a9e21a528ac2fb336ba3dc144c84bcf52d659dd"
    "60e467eb6ef275f97c8003870a8e1195189c1fa326aa2db134b83bbf42c649cd"
    "50d457db5ee265e96cf073f77afe0185088c0f93169a1da124a82baf32b639bd";
constexpr char kKatIMessage[] =
    "010705800a0b0c0d02000011223344000000000055667788000000030b00e8d4"
    "a510000000000610c0c1c2c3c4c5c6c7c8c9cacbcccdcecf060100157369703a"
    "616c696365406578616d706c652e6f72670a0100137369703a626f6240657861"
    "6d706c652e6f7267030000001e00010101011002010103011404010e05010007"
    "01010801010a01010b010a0102e470170923052db945b47c87995b24073cccd2"
    "715244c9e2570e1936c1a563f113a5fb50625f415e4da7eb8637bfb95645dff0"
    "46f83f777012b31cf524e2d6c941e7b5eb1e6ea689a71c88a533d50265f624cd"
    "ac12e88e31663b4557d4085ff9f88777f4df53efb7c94218e010fac383aaa976"
    "ee904e07656c46f163b80c8f00000000000001102eec586061f6d8d24d81bed0"
    "1ec12a56a2ebb5";
constexpr char kKatRMessage[] =
    "010805000a0b0c0d02000011223344000000000055667788000000030600e8d4"
    "a51000000000060100137369703a626f62406578616d706c652e6f7267030100"
    "157369703a616c696365406578616d706c652e6f7267030263b9dd9328fa4844"
    "6cc175f1134c2c7dd5617d7af7e9adfa5993fbb4678673b5dbc937647b255e21"
    "5fccb5e0dfaa9637926abe4aa54cb4a11739341e5eea25fc2e66acb4fe7688a9"
    "5cd7c93e33ecbdccfcdbba9c687bac1249616a7f7887da0fbe1ff3203a746f8f"
    "643945d211a4a488bad26190bb36d4694c019325ee971d11000102e470170923"
    "052db945b47c87995b24073cccd2715244c9e2570e1936c1a563f113a5fb5062"
    "5f415e4da7eb8637bfb95645dff046f83f777012b31cf524e2d6c941e7b5eb1e"
    "6ea689a71c88a533d50265f624cdac12e88e31663b4557d4085ff9f88777f4df"
    "53efb7c94218e010fac383aaa976ee904e07656c46f163b80c8f000000000000"
    "01c573d284d80660ac2df287826b067ff11b85103d";

Bytes KatPsk() { return Hex("303132333435363738393a3b3c3d3e3f40414243"); }

DhInitiatorState KatState() {
  DhInitiatorState s;
  s.data_type = data_type::kDhhmacInit;
  s.i_message = Hex(kKatIMessage);
  s.dh_private = SecretBytes(Hex(kKatXi));
  return s;
}

TEST(DhhmacKnownAnswerTest, CompleteDerivesTheReferenceKeys) {
  FixedClock clock = FixedClock::FromNtp(kT + (2ULL << 32));
  absl::StatusOr<KeyResult> keys =
      CompleteDhhmac(Hex(kKatRMessage), KatState(), KatPsk(), clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->csb_id, 0x0A0B0C0Du);
  ASSERT_EQ(keys->streams.size(), 2u);
  EXPECT_EQ(keys->streams[0].ssrc, 0x11223344u);
  EXPECT_EQ(keys->streams[0].cs_id, 1);
  EXPECT_EQ(ToHex(keys->streams[0].master_key.span()),
            "b3ac396f471b5f8c8c3a8d89657a1257");
  EXPECT_EQ(ToHex(keys->streams[0].master_salt.span()),
            "01168de530e80bc6224167456031");
  EXPECT_EQ(keys->streams[1].ssrc, 0x55667788u);
  EXPECT_EQ(keys->streams[1].roc, 3u);
  EXPECT_EQ(ToHex(keys->streams[1].master_key.span()),
            "78b1d18b889e91bd2ae8e2468f4581e2");
  EXPECT_EQ(ToHex(keys->streams[1].master_salt.span()),
            "dc40355926fd1651b44d8da32243");
}

TEST(DhhmacKnownAnswerTest, RespondAcceptsTheReferenceIMessage) {
  FixedClock clock = FixedClock::FromNtp(kT + (1ULL << 32));
  Responder r;
  DeterministicRandom rng(5);
  DhResponse resp =
      RespondDhhmac(Hex(kKatIMessage), KatPsk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  // The reference Initiator (its private exponent) completes on our
  // R_MESSAGE with the keys we derived.
  absl::StatusOr<KeyResult> keys =
      CompleteDhhmac(resp.reply, KatState(), KatPsk(), clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*resp.keys, *keys);
  // R_MESSAGE = HDR (type 8, V=0, same CSB ID and map), T, IDi (echoed),
  // DHr, DHi, KEMAC. T is the Initiator's T payload (NTP-UTC, kT), not the
  // clock's (RFC 3830 §3.3, §5.2): hand-written below.
  absl::StatusOr<Message> m = ParseMessage(resp.reply);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToHex(absl::MakeConstSpan(resp.reply).first(38)),
            "010805000a0b0c0d02000011223344000000000055667788000000030600"
            "e8d4a51000000000");
  ASSERT_EQ(m->payloads.size(), 5u);
  EXPECT_EQ(std::get<IdPayload>(m->payloads[1]), Uri("sip:alice@example.org"));
  EXPECT_EQ(
      ToHex(std::get<DhPayload>(m->payloads[3]).value),
      ToHex(std::get<DhPayload>(ParseMessage(Hex(kKatIMessage))->payloads[5])
                .value));
  const auto& kemac = std::get<KemacPayload>(m->payloads[4]);
  EXPECT_EQ(kemac.encr_alg, encr_alg::kNull);
  EXPECT_TRUE(kemac.encr_data.empty());
  EXPECT_EQ(kemac.mac_alg, mac_alg::kHmacSha1_160);
}

// ---------------------------------------------------------------------------
// Round trips.

TEST(DhhmacRoundTripTest, EveryGroupBothPrfsSeveralStreams) {
  const uint8_t groups[] = {dh_group::kOakley5, dh_group::kOakley1,
                            dh_group::kOakley2, dh_group::kX25519Private};
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(11);
  for (uint8_t group : groups) {
    for (uint8_t prf : {prf_func::kMikey1, prf_func::kMikey256}) {
      SCOPED_TRACE(absl::StrCat("group ", group, " prf ", prf));
      DhhmacInitiatorOptions o = TwoStreams(group);
      o.prf_func = prf;
      o.streams.push_back(Stream(Suite("AEAD_AES_128_GCM"), 0x33333333));
      o.streams.push_back(Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 0));
      absl::StatusOr<DhhmacInitiation> init =
          InitiateDhhmac(o, Psk(), clock, rng);
      ASSERT_TRUE(init.ok()) << init.status();
      Responder r;
      r.options.allowed_dh_groups = {dh_group::kOakley5, dh_group::kOakley1,
                                     dh_group::kOakley2,
                                     dh_group::kX25519Private};
      r.options.id_r = Uri("sip:bob@example.org");
      DhResponse resp =
          RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
      ASSERT_TRUE(resp.status.ok()) << resp.status;
      ASSERT_TRUE(resp.keys.has_value());
      EXPECT_EQ(resp.keys->streams.size(), 4u);
      // The state survives sealing.
      absl::StatusOr<SecretBytes> sealed =
          SerializeDhInitiatorState(init->state);
      ASSERT_TRUE(sealed.ok());
      absl::StatusOr<DhInitiatorState> state =
          ParseDhInitiatorState(sealed->span());
      ASSERT_TRUE(state.ok()) << state.status();
      absl::StatusOr<KeyResult> keys =
          CompleteDhhmac(resp.reply, *state, Psk(), clock);
      ASSERT_TRUE(keys.ok()) << keys.status();
      ExpectSameKeys(*resp.keys, *keys);
      // Different suites get their own key lengths.
      EXPECT_EQ(keys->streams[1].master_key.size(), 32u);
      EXPECT_EQ(keys->streams[2].master_salt.size(), 12u);
    }
  }
}

TEST(DhhmacRoundTripTest, FreshKeysEveryExchange) {
  FixedClock clock = FixedClock::FromNtp(kT);
  OpenSslRandom rng;
  absl::StatusOr<DhhmacInitiation> a =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  absl::StatusOr<DhhmacInitiation> b =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->state.dh_private, b->state.dh_private);
  Responder r;
  DhResponse ra = RespondDhhmac(a->i_message, Psk(), r.options, clock, rng);
  DhResponse rb = RespondDhhmac(b->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(ra.status.ok() && rb.status.ok());
  EXPECT_NE(ToHex(ra.keys->streams[0].master_key.span()),
            ToHex(rb.keys->streams[0].master_key.span()));
}

TEST(DhhmacRoundTripTest, MessageShapes) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(12);
  DhhmacInitiatorOptions o = TwoStreams(dh_group::kOakley2);
  o.id_r = Uri("sip:bob@example.org");
  o.tgk_validity.type = key_validity::kSpi;
  o.tgk_validity.spi = {0xDE, 0xAD, 0xBE, 0xEF};
  absl::StatusOr<DhhmacInitiation> init = InitiateDhhmac(o, Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  absl::StatusOr<Message> i = ParseMessage(init->i_message);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->header.data_type, data_type::kDhhmacInit);
  std::vector<uint8_t> types;
  for (const Payload& p : i->payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types, (std::vector<uint8_t>{
                       payload_type::kT, payload_type::kRand, payload_type::kId,
                       payload_type::kId, payload_type::kSp, payload_type::kSp,
                       payload_type::kDh, payload_type::kKemac}));
  const auto& dh = std::get<DhPayload>(i->payloads[6]);
  EXPECT_EQ(dh.group, dh_group::kOakley2);
  EXPECT_EQ(dh.value.size(), 128u);
  const auto& kemac = std::get<KemacPayload>(i->payloads[7]);
  EXPECT_EQ(kemac.encr_alg, encr_alg::kNull);
  EXPECT_TRUE(kemac.encr_data.empty());
  EXPECT_EQ(kemac.mac.size(), 20u);

  Responder r;
  r.options.id_r = Uri("sip:bob@example.org");
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  absl::StatusOr<Message> rm = ParseMessage(resp.reply);
  ASSERT_TRUE(rm.ok());
  EXPECT_EQ(rm->header.data_type, data_type::kDhhmacResp);
  EXPECT_FALSE(rm->header.v_flag);
  types.clear();
  for (const Payload& p : rm->payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types,
            (std::vector<uint8_t>{payload_type::kT, payload_type::kId,
                                  payload_type::kId, payload_type::kDh,
                                  payload_type::kDh, payload_type::kKemac}));
  EXPECT_EQ(std::get<IdPayload>(rm->payloads[1]), *r.options.id_r);  // IDr
  EXPECT_EQ(std::get<IdPayload>(rm->payloads[2]), *o.id_i);          // IDi
  EXPECT_EQ(std::get<DhPayload>(rm->payloads[4]), dh);               // DHi
  // The SPI in DHi's key validity is every stream's MKI, both sides.
  absl::StatusOr<KeyResult> keys =
      CompleteDhhmac(resp.reply, init->state, Psk(), clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*resp.keys, *keys);
  EXPECT_EQ(keys->streams[0].mki, o.tgk_validity.spi);
}

// ---------------------------------------------------------------------------
// Leading zero octets in DH values and in the TGK.

TEST(DhhmacLeadingZeroTest, DhiWithLeadingZeroOctet) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(21);
  std::optional<DhhmacInitiation> found;
  for (int tries = 0; tries < 3000 && !found; ++tries) {
    absl::StatusOr<DhhmacInitiation> init =
        InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
    ASSERT_TRUE(init.ok());
    absl::StatusOr<Message> m = ParseMessage(init->i_message);
    if (m->Find<DhPayload>()->value[0] == 0) found = *std::move(init);
  }
  ASSERT_TRUE(found.has_value());
  Responder r;
  DhResponse resp =
      RespondDhhmac(found->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  absl::StatusOr<KeyResult> keys =
      CompleteDhhmac(resp.reply, found->state, Psk(), clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*resp.keys, *keys);
}

TEST(DhhmacLeadingZeroTest, TgkWithLeadingZeroOctet) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(22);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(dh_group::kOakley2), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  absl::StatusOr<DhKeyPair> mine = DhKeyPair::FromPrivateValue(
      DhGroup::kModp1024, init->state.dh_private.span());
  ASSERT_TRUE(mine.ok());
  bool found = false;
  for (int tries = 0; tries < 3000 && !found; ++tries) {
    Responder r;
    DhResponse resp =
        RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
    ASSERT_TRUE(resp.status.ok()) << resp.status;
    absl::StatusOr<Message> m = ParseMessage(resp.reply);
    absl::StatusOr<SecretBytes> tgk =
        mine->SharedSecret(m->Find<DhPayload>()->value);  // DHr
    ASSERT_TRUE(tgk.ok());
    if ((*tgk)[0] != 0) continue;
    found = true;
    absl::StatusOr<KeyResult> keys =
        CompleteDhhmac(resp.reply, init->state, Psk(), clock);
    ASSERT_TRUE(keys.ok()) << keys.status();
    ExpectSameKeys(*resp.keys, *keys);
  }
  EXPECT_TRUE(found);
}

// ---------------------------------------------------------------------------
// Rejections.

TEST(DhhmacRejectTest, EveryFlippedBitOfTheIMessageIsRejected) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(31);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  for (size_t i = 0; i < init->i_message.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = init->i_message;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      Responder r;
      DhResponse resp = RespondDhhmac(bad, Psk(), r.options, clock, rng);
      ASSERT_FALSE(resp.status.ok()) << "octet " << i << " bit " << bit;
      ASSERT_FALSE(resp.keys.has_value());
    }
  }
}

TEST(DhhmacRejectTest, EveryFlippedBitOfTheRMessageIsRejected) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(32);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  Responder r;
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok());
  ASSERT_TRUE(CompleteDhhmac(resp.reply, init->state, Psk(), clock).ok());
  for (size_t i = 0; i < resp.reply.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = resp.reply;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      ASSERT_FALSE(CompleteDhhmac(bad, init->state, Psk(), clock).ok())
          << "octet " << i << " bit " << bit;
    }
  }
}

TEST(DhhmacRejectTest, WrongPskFailsBothWays) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(33);
  Bytes other = Psk();
  other[0] ^= 1;
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  Responder r;
  DhResponse bad = RespondDhhmac(init->i_message, other, r.options, clock, rng);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bad.status.message(), HasSubstr("MAC verification failed"));
  EXPECT_EQ(bad.error_no, error_no::kAuthFailure);
  EXPECT_FALSE(bad.keys.has_value());
  // Its Error message is MACed with the wrong key: unauthenticated for us.
  absl::Status err =
      CompleteDhhmac(bad.reply, init->state, Psk(), clock).status();
  EXPECT_EQ(err.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(err.message(), HasSubstr("Auth failure (0)"));
  EXPECT_THAT(err.message(), HasSubstr("unauthenticated"));
  // Nothing was remembered: the right key still works.
  DhResponse good =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(good.status.ok()) << good.status;
  // And the Initiator refuses an R_MESSAGE under another key.
  absl::Status s =
      CompleteDhhmac(good.reply, init->state, other, clock).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("MAC verification failed"));
}

TEST(DhhmacRejectTest, InvalidDhiIsRefusedWithInvalidDh) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(34);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  const uint32_t csb = ParseMessage(init->i_message)->header.csb_id;
  const Bytes rand = RandOf(init->i_message);
  const Bytes p = DhGroupPrime(DhGroup::kModp1536);
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  Bytes zero(192, 0), one(192, 0);
  one.back() = 1;
  const Bytes all_ones(192, 0xFF);
  for (const Bytes& value : {zero, one, p_minus_1, p, all_ones}) {
    SCOPED_TRACE(ToHex(absl::MakeConstSpan(value).last(4)));
    const Bytes bad =
        ReMac(WithDhValue(init->i_message, 0, value), Psk(), csb, rand);
    Responder r;
    DhResponse resp = RespondDhhmac(bad, Psk(), r.options, clock, rng);
    EXPECT_EQ(resp.status.code(), absl::StatusCode::kInvalidArgument)
        << resp.status;
    EXPECT_THAT(resp.status.message(), HasSubstr("DHi payload"));
    EXPECT_EQ(resp.error_no, error_no::kInvalidDh);
    EXPECT_FALSE(resp.keys.has_value());
    absl::StatusOr<Message> e = ParseMessage(resp.reply);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->header.data_type, data_type::kError);
    EXPECT_EQ(e->Find<ErrorPayload>()->error_no, error_no::kInvalidDh);
    // Authenticated with the pre-shared key: the Initiator sees a verified
    // Error.
    absl::Status s =
        CompleteDhhmac(resp.reply, init->state, Psk(), clock).status();
    EXPECT_THAT(s.message(), HasSubstr("Invalid DH (6)"));
    EXPECT_THAT(s.message(), ::testing::Not(HasSubstr("unauthenticated")));
  }
}

TEST(DhhmacRejectTest, InvalidDhrIsRefusedByTheInitiator) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(35);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(dh_group::kOakley2), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  Responder r;
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok());
  const uint32_t csb = ParseMessage(init->i_message)->header.csb_id;
  const Bytes rand = RandOf(init->i_message);
  const Bytes p = DhGroupPrime(DhGroup::kModp1024);
  Bytes p_minus_1 = p;
  p_minus_1.back() -= 1;
  Bytes zero(128, 0), one(128, 0);
  one.back() = 1;
  for (const Bytes& value : {zero, one, p_minus_1, p}) {
    const Bytes bad =
        ReMac(WithDhValue(resp.reply, 0, value), Psk(), csb, rand);
    absl::Status s = CompleteDhhmac(bad, init->state, Psk(), clock).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("DHr"));
  }
  // A re-MACed R_MESSAGE whose DHi is not ours answers another exchange.
  Bytes other_dhi = ParseMessage(init->i_message)->Find<DhPayload>()->value;
  other_dhi[5] ^= 1;
  const Bytes bad =
      ReMac(WithDhValue(resp.reply, 1, other_dhi), Psk(), csb, rand);
  absl::Status s = CompleteDhhmac(bad, init->state, Psk(), clock).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("DHi does not echo"));
}

TEST(DhhmacRejectTest, GroupsOutsidePolicyAreRefused) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(36);
  // OAKLEY 1 and X25519 are off by default.
  for (uint8_t group : {dh_group::kOakley1, dh_group::kX25519Private}) {
    absl::StatusOr<DhhmacInitiation> init =
        InitiateDhhmac(TwoStreams(group), Psk(), clock, rng);
    ASSERT_TRUE(init.ok());
    Responder r;
    DhResponse resp =
        RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
    EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(resp.status.message(), HasSubstr("not accepted"));
    EXPECT_EQ(resp.error_no, error_no::kInvalidDh);
  }
  // An unknown group cannot even be initiated.
  EXPECT_FALSE(InitiateDhhmac(TwoStreams(3), Psk(), clock, rng).ok());
}

TEST(DhhmacRejectTest, ReplayAndTimestampWindow) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(37);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  Responder r;
  ASSERT_TRUE(
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng).status.ok());
  DhResponse again =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.error_no, error_no::kInvalidTs);

  Responder later;
  FixedClock late = clock;
  late.Advance(absl::Minutes(6));
  DhResponse stale =
      RespondDhhmac(init->i_message, Psk(), later.options, late, rng);
  EXPECT_EQ(stale.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale.error_no, error_no::kInvalidTs);

  // The Initiator checks the Responder's timestamp too.
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), later.options, clock, rng);
  ASSERT_TRUE(resp.status.ok());
  EXPECT_FALSE(CompleteDhhmac(resp.reply, init->state, Psk(), late).ok());
}

TEST(DhhmacRejectTest, AnswerToAnotherExchangeIsRefused) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(38);
  DhhmacInitiatorOptions o = TwoStreams();
  o.csb_id = 77;  // same CSB ID and key: only DHi tells them apart
  absl::StatusOr<DhhmacInitiation> a = InitiateDhhmac(o, Psk(), clock, rng);
  absl::StatusOr<DhhmacInitiation> b = InitiateDhhmac(o, Psk(), clock, rng);
  ASSERT_TRUE(a.ok() && b.ok());
  Responder r;
  DhResponse resp = RespondDhhmac(a->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok());
  // b's RAND differs, so its auth key does: the MAC already fails.
  EXPECT_FALSE(CompleteDhhmac(resp.reply, b->state, Psk(), clock).ok());
}

TEST(DhhmacRejectTest, WrongDataTypeGetsInvalidDt) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(39);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  Bytes psk_type = init->i_message;
  psk_type[1] = data_type::kDhInit;
  Responder r;
  DhResponse resp = RespondDhhmac(psk_type, Psk(), r.options, clock, rng);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(resp.error_no, error_no::kInvalidDt);
}

TEST(DhhmacRejectTest, KemacMustCarryOnlyAMac) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(40);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  absl::StatusOr<Message> m = ParseMessage(init->i_message);
  ASSERT_TRUE(m.ok());
  // A NULL MAC: unauthenticated DH is refused.
  Message null_mac = *m;
  auto& k = std::get<KemacPayload>(null_mac.payloads.back());
  k.mac_alg = mac_alg::kNull;
  k.mac.clear();
  Responder r;
  DhResponse resp =
      RespondDhhmac(*SerializeMessage(null_mac), Psk(), r.options, clock, rng);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(resp.error_no, error_no::kInvalidMac);
  // Encrypted or non-empty key data: refused even with a valid MAC.
  Message with_data = *m;
  std::get<KemacPayload>(with_data.payloads.back()).encr_data = {1, 2, 3};
  const Bytes bad = ReMac(*SerializeMessage(with_data), Psk(), m->header.csb_id,
                          RandOf(init->i_message));
  resp = RespondDhhmac(bad, Psk(), r.options, clock, rng);
  EXPECT_FALSE(resp.status.ok());
  EXPECT_THAT(resp.status.message(), HasSubstr("Encr data"));
}

// RFC 4650 §3: "I_message = HDR, T, RAND, [IDi], IDr, ..." ("The initiator
// SHALL always include the recipient's identity") and "R_message = HDR, T,
// [IDr], IDi, ..." ("The responder SHALL always include the initiator's
// identity IDi regardless of whether the I_message conveyed any IDi"); §4.3:
// no certificates.
TEST(DhhmacShapeTest, IdentitiesAndNoCertificates) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(42);
  // IDi without IDr cannot be written: a lone ID payload is IDr.
  DhhmacInitiatorOptions only_i = TwoStreams();
  only_i.id_r.reset();
  absl::StatusOr<DhhmacInitiation> refused =
      InitiateDhhmac(only_i, Psk(), clock, rng);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("IDr"));

  // IDr alone: one ID payload (bob); the Responder reads it as IDr and
  // writes the IDi it knows by other means.
  DhhmacInitiatorOptions only_r = TwoStreams();
  only_r.id_i.reset();
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(only_r, Psk(), clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  absl::StatusOr<Message> im = ParseMessage(init->i_message);
  ASSERT_TRUE(im.ok());
  std::vector<IdPayload> ids;
  for (const IdPayload* id : im->FindAll<IdPayload>()) ids.push_back(*id);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0], Uri("sip:bob@example.org"));
  Responder r;
  r.options.peer_id_i = Uri("sip:alice@example.org");
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  absl::StatusOr<Message> rm = ParseMessage(resp.reply);
  ASSERT_TRUE(rm.ok());
  std::vector<uint8_t> types;
  for (const Payload& p : rm->payloads) types.push_back(PayloadTypeOf(p));
  // T, IDi, DHr, DHi, KEMAC.
  EXPECT_EQ(types, (std::vector<uint8_t>{5, 6, 3, 3, 1}));
  EXPECT_EQ(*rm->Find<IdPayload>(), Uri("sip:alice@example.org"));
  absl::StatusOr<KeyResult> keys =
      CompleteDhhmac(resp.reply, init->state, Psk(), clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectSameKeys(*resp.keys, *keys);

  // A CERT payload, even under a valid MAC, is refused (not in RFC 4650
  // Table 4.1.b).
  Message with_cert = *im;
  with_cert.payloads.insert(with_cert.payloads.begin() + 2,
                            CertPayload{cert_type::kX509v3, Bytes(8, 0x30)});
  const Bytes bad = ReMac(*SerializeMessage(with_cert), Psk(),
                          im->header.csb_id, RandOf(init->i_message));
  Responder r2;
  DhResponse cert_resp = RespondDhhmac(bad, Psk(), r2.options, clock, rng);
  EXPECT_EQ(cert_resp.status.code(), absl::StatusCode::kInvalidArgument)
      << cert_resp.status;
  EXPECT_THAT(cert_resp.status.message(), HasSubstr("CERT"));
}

TEST(DhhmacRejectTest, ArgumentsAndState) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(41);
  EXPECT_FALSE(InitiateDhhmac(TwoStreams(), Bytes(15, 1), clock, rng).ok());
  DhhmacInitiatorOptions no_streams = TwoStreams();
  no_streams.streams.clear();
  EXPECT_FALSE(InitiateDhhmac(no_streams, Psk(), clock, rng).ok());
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok());
  DhhmacResponderOptions no_cache;
  EXPECT_EQ(
      RespondDhhmac(init->i_message, Psk(), no_cache, clock, rng).status.code(),
      absl::StatusCode::kInvalidArgument);

  // Sealed state: any change of its framing is refused.
  absl::StatusOr<SecretBytes> sealed = SerializeDhInitiatorState(init->state);
  ASSERT_TRUE(sealed.ok());
  Bytes raw(sealed->span().begin(), sealed->span().end());
  Bytes bad_magic = raw;
  bad_magic[0] ^= 1;
  EXPECT_FALSE(ParseDhInitiatorState(bad_magic).ok());
  EXPECT_FALSE(
      ParseDhInitiatorState(absl::MakeConstSpan(raw).first(raw.size() - 1))
          .ok());
  Bytes trailing = raw;
  trailing.push_back(0);
  EXPECT_FALSE(ParseDhInitiatorState(trailing).ok());
  // A private key that does not belong to the I_MESSAGE.
  DhInitiatorState wrong_key = init->state;
  wrong_key.dh_private[100] ^= 1;
  Responder r;
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok());
  EXPECT_EQ(CompleteDhhmac(resp.reply, wrong_key, Psk(), clock).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CompleteDhhmac(resp.reply, init->state, Psk(), clock).ok());
}

// The state's key check (DhKeyCheck of x and the DHi sent) and the two
// serialized forms: version 2 with the check, version 1 (the earlier format)
// without; a state without a check is checked by recomputing g^x.
TEST(DhhmacStateTest, KeyCheckAndVersions) {
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(43);
  absl::StatusOr<DhhmacInitiation> init =
      InitiateDhhmac(TwoStreams(), Psk(), clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  const DhInitiatorState& st = init->state;
  absl::StatusOr<Message> m = ParseMessage(init->i_message);
  ASSERT_TRUE(m.ok());
  const Bytes& dhi = m->Find<DhPayload>()->value;
  absl::StatusOr<DhKeyPair> kp =
      DhKeyPair::FromPrivateValue(DhGroup::kModp1536, st.dh_private.span());
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(kp->public_value(), dhi);
  absl::StatusOr<std::vector<uint8_t>> check =
      DhKeyCheck(DhGroup::kModp1536, st.dh_private.span(), dhi);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(st.key_check, *check);

  auto append_u32 = [](Bytes& b, size_t v) {
    for (int i = 3; i >= 0; --i)
      b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  // Version 2: "MKDH" 2, data type, u16 192, x, u8 16, check, u32, I_MESSAGE.
  Bytes v2 = {'M', 'K', 'D', 'H', 2, data_type::kDhhmacInit, 0x00, 0xC0};
  v2.insert(v2.end(), st.dh_private.span().begin(), st.dh_private.span().end());
  v2.push_back(16);
  v2.insert(v2.end(), st.key_check.begin(), st.key_check.end());
  append_u32(v2, init->i_message.size());
  v2.insert(v2.end(), init->i_message.begin(), init->i_message.end());
  absl::StatusOr<SecretBytes> sealed = SerializeDhInitiatorState(st);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(ToHex(sealed->span()), ToHex(v2));
  absl::StatusOr<DhInitiatorState> back = ParseDhInitiatorState(v2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->key_check, st.key_check);
  EXPECT_EQ(back->dh_private, st.dh_private);
  Bytes bad_len = v2;
  bad_len[8 + 192] = 15;
  EXPECT_EQ(ParseDhInitiatorState(bad_len).status().code(),
            absl::StatusCode::kInvalidArgument);
  DhInitiatorState odd_check = st;
  odd_check.key_check.pop_back();
  EXPECT_FALSE(SerializeDhInitiatorState(odd_check).ok());

  // Version 1: the same without the check.
  DhInitiatorState unchecked = st;
  unchecked.key_check.clear();
  Bytes v1 = {'M', 'K', 'D', 'H', 1, data_type::kDhhmacInit, 0x00, 0xC0};
  v1.insert(v1.end(), st.dh_private.span().begin(), st.dh_private.span().end());
  append_u32(v1, init->i_message.size());
  v1.insert(v1.end(), init->i_message.begin(), init->i_message.end());
  sealed = SerializeDhInitiatorState(unchecked);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(ToHex(sealed->span()), ToHex(v1));
  back = ParseDhInitiatorState(v1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->key_check.empty());

  // Both forms complete; a private key changed after Initiate is refused by
  // either check, and so is a changed key check.
  Responder r;
  DhResponse resp =
      RespondDhhmac(init->i_message, Psk(), r.options, clock, rng);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  EXPECT_TRUE(CompleteDhhmac(resp.reply, st, Psk(), clock).ok());
  EXPECT_TRUE(CompleteDhhmac(resp.reply, unchecked, Psk(), clock).ok());
  for (DhInitiatorState wrong : {st, unchecked}) {
    wrong.dh_private[5] ^= 0x10;
    absl::Status s = CompleteDhhmac(resp.reply, wrong, Psk(), clock).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("does not belong")) << s;
  }
  DhInitiatorState bad_check = st;
  bad_check.key_check[0] ^= 1;
  EXPECT_EQ(CompleteDhhmac(resp.reply, bad_check, Psk(), clock).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
