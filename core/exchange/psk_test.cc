#include "core/exchange/psk.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/null_mode.h"
#include "core/message/message.h"
#include "core/replay/counter_store.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "gtest/gtest.h"

namespace mikey {
namespace exchange {
namespace {

Bytes Hex(absl::string_view hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return Bytes(b.begin(), b.end());
}

std::string ToHex(absl::Span<const uint8_t> b) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + 29 * i);
  return v;
}

const srtp::CryptoSuite* Suite(absl::string_view name) {
  absl::StatusOr<const srtp::CryptoSuite*> s = srtp::FindSuite(name);
  EXPECT_TRUE(s.ok()) << name;
  return s.ok() ? *s : nullptr;
}

PskStreamSpec Stream(const srtp::CryptoSuite* suite, uint32_t ssrc,
                     uint32_t roc = 0) {
  PskStreamSpec s;
  s.ssrc = ssrc;
  s.roc = roc;
  s.policy.suite = suite;
  return s;
}

constexpr uint64_t kT = 0xE8D4A51000000000ULL;  // NTP-UTC, year 2023

// A responder with its own replay cache.
struct Responder {
  std::unique_ptr<replay::InMemoryReplayCache> cache =
      std::make_unique<replay::InMemoryReplayCache>(1000);
  PskResponderOptions options;
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
    EXPECT_EQ(x.csb_id, y.csb_id);
    EXPECT_EQ(x.suite, y.suite);
    EXPECT_EQ(x.policy_no, y.policy_no);
    EXPECT_EQ(ToHex(x.master_key.span()), ToHex(y.master_key.span()));
    EXPECT_EQ(ToHex(x.master_salt.span()), ToHex(y.master_salt.span()));
    EXPECT_EQ(x.mki, y.mki);
    ASSERT_NE(x.suite, nullptr);
    EXPECT_EQ(x.master_key.size(), x.suite->master_key_length);
    EXPECT_EQ(x.master_salt.size(), x.suite->master_salt_length);
  }
}

// ---------------------------------------------------------------------------
// Known answers computed independently (testdata/gen_psk_kat.py: Python's
// hmac/hashlib and the cryptography package's AES, written from RFC 3830 and
// RFC 6043 without this project's code; run with /usr/bin/python3).

Bytes KatPsk() {
  Bytes p;
  for (int i = 0x40; i < 0x54; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

TEST(PskKnownAnswerTest, Mikey1AesCmTwoStreams) {
  const Bytes i_message = Hex(
      "010005800102030402000011111111000000000022222222000000070b00e8d4a51000"
      "0000000a10a0a1a2a3a4a5a6a7a8a9aaabacadaeaf010000001e000101010110020101"
      "03011404010e0501000701010801010a01010b010a00010014b9f7a48778da40aab602"
      "7a42b658656e26e46d370172a4de747cb3d3dd281abf930b799d25e584db9e");
  FixedClock clock = FixedClock::FromNtp(kT + (1ULL << 32));  // 1 s later
  Responder r;
  PskResponse resp = RespondPsk(i_message, KatPsk(), r.options, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ASSERT_TRUE(resp.keys.has_value());
  const KeyResult& k = *resp.keys;
  EXPECT_EQ(k.csb_id, 0x01020304u);
  ASSERT_EQ(k.streams.size(), 2u);
  EXPECT_EQ(k.streams[0].ssrc, 0x11111111u);
  EXPECT_EQ(k.streams[0].cs_id, 1);
  EXPECT_EQ(k.streams[0].suite->name, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(ToHex(k.streams[0].master_key.span()),
            "faf00487c9b637b05d86782a70e0a331");
  EXPECT_EQ(ToHex(k.streams[0].master_salt.span()),
            "b0bade3f84d0e486421d706fa761");
  EXPECT_EQ(k.streams[1].ssrc, 0x22222222u);
  EXPECT_EQ(k.streams[1].roc, 7u);
  EXPECT_EQ(k.streams[1].cs_id, 2);
  EXPECT_EQ(ToHex(k.streams[1].master_key.span()),
            "381e643aa914148d81b28f8e9d1144b8");
  EXPECT_EQ(ToHex(k.streams[1].master_salt.span()),
            "02193341dfc81434b56bc4843c3e");
  // V was set: the R_MESSAGE is byte for byte the reference one, whose T
  // payload is the Initiator's (RFC 3830 §5.2), not the clock's.
  EXPECT_EQ(ToHex(resp.reply),
            "010105000102030402000011111111000000000022222222000000070900e8d4"
            "a5100000000000019bff2b61c3e16ebe869f41afbf5068b8ba28ad43");
  EXPECT_TRUE(VerifyPskResponse(resp.reply, i_message, KatPsk(), clock).ok());
  // A reference R_MESSAGE from a Responder that writes its own time (one
  // second later; minisip does) verifies too.
  EXPECT_TRUE(VerifyPskResponse(
                  Hex("010105000102030402000011111111000000000022222222000000"
                      "070900e8d4a51100000000000113bf63b8459b3ec0e103b3710760"
                      "dc745e59d91e"),
                  i_message, KatPsk(), clock)
                  .ok());
}

TEST(PskKnownAnswerTest, Mikey256AesKwSha256) {
  const Bytes i_message = Hex(
      "01000581cafebabe010000deadbeef000000010b00e8d4a510000000000a10a0a1a2a3"
      "a4a5a6a7a8a9aaabacadaeaf010000001e00010101012002010103011404010e050100"
      "0701010801010a01010b010a000200301ebebd97f53e3650a87abca1b4af4ad3faf1b2"
      "7365dc9186c8d292d674b08ad4446ee40315ac9762e9cd1ebda73c3f9402f7aa13e515"
      "22a138624e320aa2ea5a98812a592f2ed50898373a752893e5361c");
  Bytes psk = KatPsk();
  for (int i = 0x60; i < 0x6C; ++i) psk.push_back(static_cast<uint8_t>(i));
  FixedClock clock = FixedClock::FromNtp(kT + (1ULL << 32));
  Responder r;
  PskResponse resp = RespondPsk(i_message, psk, r.options, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ASSERT_EQ(resp.keys->streams.size(), 1u);
  const StreamKeys& s = resp.keys->streams[0];
  EXPECT_EQ(s.suite->name, "AES_256_CM_HMAC_SHA1_80");
  EXPECT_EQ(s.ssrc, 0xDEADBEEFu);
  EXPECT_EQ(ToHex(s.master_key.span()),
            "5e4e4e4732b9739ae2bbc57611c825432dc247ebcfc6f8ab6be0190d2057306a");
  EXPECT_EQ(ToHex(s.master_salt.span()), "f1733a17c8bd84ebf974c9450448");
  EXPECT_EQ(ToHex(resp.reply),
            "01010501cafebabe010000deadbeef000000010900e8d4a5100000000000022f"
            "07637351b5410a95c94effee5cafcafb0bf43dbe282e4451fd0ebd2ed6f1b7");
  EXPECT_TRUE(VerifyPskResponse(resp.reply, i_message, psk, clock).ok());
}

// The AES-KW KEMAC of the reference above wraps with IV = S, the 64-bit salt
// (RFC 3830 §4.2.3); the same Encr data wrapped with RFC 3394's default IV
// A6A6A6A6A6A6A6A6 (what this code sent before) must not be accepted. The
// reference message with the MAC recomputed over a default-IV wrap is built
// by hand here from the parts the Python script prints.
TEST(PskKnownAnswerTest, AesKwUsesTheDerivedSaltAsIv) {
  const Bytes i_message = Hex(
      "01000581cafebabe010000deadbeef000000010b00e8d4a510000000000a10a0a1a2a3"
      "a4a5a6a7a8a9aaabacadaeaf010000001e00010101012002010103011404010e050100"
      "0701010801010a01010b010a00020030d7d3505247cfb95e011c4325d006698bec7e72"
      "0cc180e9e58862915c6c68944d9ece292093119a198d161127978410ca02afcd71e628"
      "b6f860ad1baf01d8a72f0c24f61e7090e4e6f796bc3ff148cebccb");
  Bytes psk = KatPsk();
  for (int i = 0x60; i < 0x6C; ++i) psk.push_back(static_cast<uint8_t>(i));
  FixedClock clock = FixedClock::FromNtp(kT + (1ULL << 32));
  Responder r;
  PskResponse resp = RespondPsk(i_message, psk, r.options, clock);
  // The MAC verifies (it was right for that Encr data), the unwrap fails.
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kInvalidArgument)
      << resp.status;
  EXPECT_NE(resp.status.message().find("does not decrypt"), std::string::npos)
      << resp.status;
  EXPECT_FALSE(resp.keys.has_value());
}

// COUNTER timestamp (RFC 3830 §6.6, type 2, 32 bits) with an IDi: the
// AES-CM IV takes the counter zero-extended to 64 bits (§6.6: "COUNTER SHALL
// be padded (with leading zeros) to a 64-bit value"), the R_MESSAGE echoes
// the COUNTER T payload (§5.2) and V covers R_MESSAGE || IDi || IDr (none)
// || the 4-octet TS value. Reference from testdata/gen_psk_kat.py.
TEST(PskKnownAnswerTest, CounterTimestampAndIdi) {
  const Bytes i_message = Hex(
      "010005800c0c0c0c01000033333333000000000b02010203070610a0a1a2a3a4a5a6a7"
      "a8a9aaabacadaeaf0a0100157369703a616c696365406578616d706c652e6f72670100"
      "00001e00010101011002010103011404010e0501000701010801010a01010b010a0001"
      "0014f1dc1940af2fbe62337056213cc2b1c0abb458460115f8d24982568f28135933cd"
      "8ad416b3f685a461");
  FixedClock clock = FixedClock::FromNtp(kT);  // irrelevant to COUNTER
  replay::InMemoryCounterStore counters(4);
  PskResponderOptions ro;
  ro.counter_store = &counters;  // the peer is IDi
  PskResponse resp = RespondPsk(i_message, KatPsk(), ro, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ASSERT_EQ(resp.keys->streams.size(), 1u);
  EXPECT_EQ(ToHex(resp.keys->streams[0].master_key.span()),
            "04ce921db5006c8c72be243fbcadbeb5");
  EXPECT_EQ(ToHex(resp.keys->streams[0].master_salt.span()),
            "e9ecaaafe8d283c65abbeaad624f");
  EXPECT_EQ(ToHex(resp.reply),
            "010105000c0c0c0c010000333333330000000009020102030700010c37c9d881"
            "2cdddebba183d3d2d600e084128999");
  EXPECT_TRUE(VerifyPskResponse(resp.reply, i_message, KatPsk(), clock).ok());
}

// ---------------------------------------------------------------------------
// Round trips.

struct Variant {
  uint8_t prf;
  uint8_t encr;
  bool v;
};

TEST(PskRoundTripTest, EverySuiteBothPrfsBothKemacEncryptionsWithAndWithoutV) {
  const Bytes psk = Pattern(32, 7);
  DeterministicRandom rng(42);
  FixedClock clock = FixedClock::FromNtp(kT);
  int n = 0;
  for (const srtp::CryptoSuite& suite : srtp::AllSuites()) {
    for (uint8_t prf : {prf_func::kMikey1, prf_func::kMikey256}) {
      for (uint8_t encr : {encr_alg::kAesCm128, encr_alg::kAesKw128}) {
        for (bool v : {false, true}) {
          SCOPED_TRACE(
              absl::StrCat(suite.name, " prf ", prf, " encr ", encr, " V ", v));
          PskInitiatorOptions o;
          o.streams = {Stream(&suite, 0x1000 + n, n)};
          o.prf_func = prf;
          o.encr_alg = encr;
          o.v_flag = v;
          absl::StatusOr<PskInitiation> init = InitiatePsk(o, psk, clock, rng);
          ASSERT_TRUE(init.ok()) << init.status();
          Responder r;
          PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
          ASSERT_TRUE(resp.status.ok()) << resp.status;
          ExpectSameKeys(init->keys, *resp.keys);
          // The MAC algorithm follows the PRF by default.
          absl::StatusOr<Message> m = ParseMessage(init->i_message);
          ASSERT_TRUE(m.ok());
          EXPECT_EQ(m->Find<KemacPayload>()->mac_alg,
                    prf == prf_func::kMikey1 ? mac_alg::kHmacSha1_160
                                             : mac_alg::kHmacSha256_256);
          EXPECT_EQ(m->Find<KemacPayload>()->encr_alg, encr);
          if (v) {
            ASSERT_FALSE(resp.reply.empty());
            EXPECT_TRUE(
                VerifyPskResponse(resp.reply, init->i_message, psk, clock)
                    .ok());
            absl::StatusOr<Message> rm = ParseMessage(resp.reply);
            ASSERT_TRUE(rm.ok());
            EXPECT_EQ(rm->header.data_type, data_type::kPskVerify);
          } else {
            EXPECT_TRUE(resp.reply.empty());
          }
          ++n;
        }
      }
    }
  }
  EXPECT_EQ(n, static_cast<int>(srtp::AllSuites().size()) * 8);
}

TEST(PskRoundTripTest, SeveralStreamsMixedSuitesSharePolicies) {
  const Bytes psk = Pattern(20, 1);
  DeterministicRandom rng(1);
  FixedClock clock = FixedClock::FromNtp(kT);
  PskInitiatorOptions o;
  o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 1),
               Stream(Suite("AEAD_AES_256_GCM"), 2, 5),
               Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 3),
               Stream(Suite("AES_256_CM_HMAC_SHA1_32"), 0)};
  o.v_flag = true;
  absl::StatusOr<PskInitiation> init = InitiatePsk(o, psk, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  // Three distinct policies, stream 3 reuses policy 0; TGK is 32 octets.
  absl::StatusOr<Message> m = ParseMessage(init->i_message);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->FindAll<SecurityPolicyPayload>().size(), 3u);
  ASSERT_EQ(m->header.srtp_map.size(), 4u);
  EXPECT_EQ(m->header.srtp_map[2].policy_no, 0);
  EXPECT_EQ(m->header.srtp_map[3].policy_no, 2);
  Responder r;
  PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ExpectSameKeys(init->keys, *resp.keys);
  EXPECT_EQ(resp.keys->streams[1].suite->name, "AEAD_AES_256_GCM");
  EXPECT_EQ(resp.keys->streams[1].master_salt.size(), 12u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(resp.keys->streams[i].cs_id, i + 1);
  }
  // Different crypto sessions get different keys.
  EXPECT_NE(resp.keys->streams[0].master_key, resp.keys->streams[2].master_key);
  EXPECT_TRUE(VerifyPskResponse(resp.reply, init->i_message, psk, clock).ok());
}

TEST(PskRoundTripTest, IdentitiesSpiAndExplicitMac) {
  const Bytes psk = Pattern(16, 3);
  DeterministicRandom rng(3);
  FixedClock clock = FixedClock::FromNtp(kT);
  PskInitiatorOptions o;
  o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_32"), 77)};
  o.v_flag = true;
  o.id_i = IdPayload{id_type::kUri, Hex("7369703a616c696365")};  // sip:alice
  o.id_r = IdPayload{id_type::kUri, Hex("7369703a626f62")};      // sip:bob
  o.mac_alg = mac_alg::kHmacSha256_256;                          // with MIKEY-1
  o.tgk_validity.type = key_validity::kSpi;
  o.tgk_validity.spi = Hex("01020304");
  o.rand_length = 32;
  absl::StatusOr<PskInitiation> init = InitiatePsk(o, psk, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->keys.streams[0].mki, Hex("01020304"));

  Responder r;
  r.options.id_r = IdPayload{id_type::kUri, Hex("7369703a626f6232")};  // bob2
  PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ExpectSameKeys(init->keys, *resp.keys);
  absl::StatusOr<Message> rm = ParseMessage(resp.reply);
  ASSERT_TRUE(rm.ok());
  ASSERT_NE(rm->Find<IdPayload>(), nullptr);
  EXPECT_EQ(rm->Find<VerificationPayload>()->auth_alg,
            mac_alg::kHmacSha256_256);
  EXPECT_TRUE(VerifyPskResponse(resp.reply, init->i_message, psk, clock).ok());
}

// ---------------------------------------------------------------------------
// Rejections.

absl::StatusOr<PskInitiation> SmallInit(const Bytes& psk, const Clock& clock,
                                        bool v = true, uint64_t seed = 9) {
  DeterministicRandom rng(seed);
  PskInitiatorOptions o;
  o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 0x42)};
  o.v_flag = v;
  return InitiatePsk(o, psk, clock, rng);
}

TEST(PskRejectTest, EveryFlippedBitIsRejected) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  for (uint8_t encr : {encr_alg::kAesCm128, encr_alg::kAesKw128}) {
    DeterministicRandom rng(11);
    PskInitiatorOptions o;
    o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 0x42),
                 Stream(Suite("AEAD_AES_128_GCM"), 0x43)};
    o.v_flag = true;
    o.encr_alg = encr;
    absl::StatusOr<PskInitiation> init = InitiatePsk(o, psk, clock, rng);
    ASSERT_TRUE(init.ok());
    Responder r;
    for (size_t bit = 0; bit < init->i_message.size() * 8; ++bit) {
      Bytes bad = init->i_message;
      bad[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
      PskResponse resp = RespondPsk(bad, psk, r.options, clock);
      ASSERT_FALSE(resp.status.ok()) << "bit " << bit << " accepted";
      EXPECT_FALSE(resp.keys.has_value());
      const absl::StatusCode c = resp.status.code();
      EXPECT_TRUE(c == absl::StatusCode::kInvalidArgument ||
                  c == absl::StatusCode::kFailedPrecondition ||
                  c == absl::StatusCode::kUnimplemented)
          << "bit " << bit << ": " << resp.status;
    }
    EXPECT_EQ(r.cache->size(), 0u);
    // And the untouched message still goes through afterwards.
    EXPECT_TRUE(RespondPsk(init->i_message, psk, r.options, clock).status.ok());
  }
}

TEST(PskRejectTest, EveryFlippedBitOfTheVerificationMessageIsRejected) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Responder r;
  PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
  ASSERT_TRUE(resp.status.ok());
  ASSERT_TRUE(VerifyPskResponse(resp.reply, init->i_message, psk, clock).ok());
  for (size_t bit = 0; bit < resp.reply.size() * 8; ++bit) {
    Bytes bad = resp.reply;
    bad[bit / 8] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
    EXPECT_FALSE(VerifyPskResponse(bad, init->i_message, psk, clock).ok())
        << "bit " << bit;
  }
  // An R_MESSAGE belongs to its own I_MESSAGE only.
  absl::StatusOr<PskInitiation> other = SmallInit(psk, clock, true, 10);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(
      VerifyPskResponse(resp.reply, other->i_message, psk, clock).ok());
}

TEST(PskRejectTest, ReplayIsRejectedAndAnsweredWithInvalidTs) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Responder r;
  ASSERT_TRUE(RespondPsk(init->i_message, psk, r.options, clock).status.ok());
  clock.Advance(absl::Seconds(30));
  PskResponse again = RespondPsk(init->i_message, psk, r.options, clock);
  EXPECT_EQ(again.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status.message().find("replayed"), std::string::npos)
      << again.status;
  EXPECT_FALSE(again.keys.has_value());
  EXPECT_EQ(again.error_no, error_no::kInvalidTs);
  // Once outside the window it is rejected as stale instead.
  clock.Advance(absl::Minutes(10));
  PskResponse stale = RespondPsk(init->i_message, psk, r.options, clock);
  EXPECT_EQ(stale.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale.error_no, error_no::kInvalidTs);
}

TEST(PskRejectTest, TimestampWindow) {
  const Bytes psk = Pattern(20, 5);
  FixedClock at_init = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, at_init, false);
  ASSERT_TRUE(init.ok());
  const absl::Duration skew = absl::Minutes(2);
  struct Case {
    absl::Duration responder_offset;
    bool accepted;
  } cases[] = {
      {absl::ZeroDuration(), true},
      {skew - absl::Seconds(1), true},    // message 1:59 old
      {-skew + absl::Seconds(1), true},   // message 1:59 in the future
      {skew, true},                       // exactly at the edge
      {skew + absl::Seconds(1), false},   // stale
      {-skew - absl::Seconds(1), false},  // from the future
      {absl::Hours(24 * 365), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::FormatDuration(c.responder_offset));
    FixedClock clock(at_init.Now() + c.responder_offset);
    Responder r;
    r.options.max_clock_skew = skew;
    PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
    EXPECT_EQ(resp.status.ok(), c.accepted) << resp.status;
    if (!c.accepted) {
      EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(resp.error_no, error_no::kInvalidTs);
      EXPECT_EQ(r.cache->size(), 0u);
    } else {
      EXPECT_EQ(r.cache->size(), 1u);
    }
  }
}

TEST(PskRejectTest, WrongPskFailsWithAuthFailureAndChangesNoState) {
  const Bytes psk = Pattern(20, 5);
  Bytes wrong = psk;
  wrong[19] ^= 1;
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Responder r;
  PskResponse resp = RespondPsk(init->i_message, wrong, r.options, clock);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(resp.status.message().find("MAC"), std::string::npos);
  EXPECT_EQ(resp.error_no, error_no::kAuthFailure);
  EXPECT_EQ(r.cache->size(), 0u);
  // The Error message is keyed with the wrong PSK: the Initiator sees it as
  // unauthenticated.
  absl::Status v = VerifyPskResponse(resp.reply, init->i_message, psk, clock);
  EXPECT_EQ(v.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(v.message().find("Auth failure"), std::string::npos) << v;
  EXPECT_NE(v.message().find("unauthenticated"), std::string::npos) << v;
  // Nothing was recorded: the same message with the right PSK is accepted.
  EXPECT_TRUE(RespondPsk(init->i_message, psk, r.options, clock).status.ok());
}

TEST(PskRejectTest, ErrorMessageParsesAndVerifies) {
  const Bytes psk = Pattern(20, 5);
  FixedClock at_init = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, at_init);
  ASSERT_TRUE(init.ok());
  FixedClock late(at_init.Now() + absl::Hours(1));
  Responder r;
  PskResponse resp = RespondPsk(init->i_message, psk, r.options, late);
  ASSERT_EQ(resp.error_no, error_no::kInvalidTs);
  absl::StatusOr<Message> e = ParseMessage(resp.reply);
  ASSERT_TRUE(e.ok()) << e.status();
  absl::StatusOr<Message> i = ParseMessage(init->i_message);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(e->header.data_type, data_type::kError);
  EXPECT_EQ(e->header.csb_id, i->header.csb_id);
  ASSERT_EQ(e->payloads.size(), 3u);  // T, ERR, V
  // RFC 3830 §5.2: the Responder "uses the timestamp used by the Initiator"
  // (the I_MESSAGE was made at kT), even in an Invalid TS answer.
  EXPECT_EQ(std::get<TimestampPayload>(e->payloads[0]),
            (TimestampPayload{ts_type::kNtpUtc, kT}));
  EXPECT_NE(std::get<TimestampPayload>(e->payloads[0]).value, late.NowNtp());
  EXPECT_EQ(std::get<ErrorPayload>(e->payloads[1]).error_no,
            error_no::kInvalidTs);
  EXPECT_EQ(std::get<VerificationPayload>(e->payloads[2]).auth_alg,
            mac_alg::kHmacSha1_160);
  // The Initiator authenticates it (same PSK).
  absl::Status v = VerifyPskResponse(resp.reply, init->i_message, psk, late);
  EXPECT_EQ(v.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(v.message().find("Invalid TS (1)"), std::string::npos) << v;
  EXPECT_EQ(v.message().find("unauthenticated"), std::string::npos) << v;
}

TEST(PskRejectTest, WrongDataTypeGetsInvalidDt) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Bytes dh = init->i_message;
  dh[1] = data_type::kDhInit;  // still parses: same payload grammar
  Responder r;
  PskResponse resp = RespondPsk(dh, psk, r.options, clock);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(resp.error_no, error_no::kInvalidDt);
  absl::StatusOr<Message> e = ParseMessage(resp.reply);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Find<ErrorPayload>()->error_no, error_no::kInvalidDt);
  // The Initiator's T, as in every answer (RFC 3830 §5.2).
  EXPECT_EQ(*e->Find<TimestampPayload>(),
            (TimestampPayload{ts_type::kNtpUtc, kT}));
}

// The algorithm and structure checks that run before any key is derived
// (exchange_internal::CheckReceivedKemac, shared with PK): each refusal has
// its status code, error number and a text naming the field.
TEST(PskRejectTest, UnsupportedAlgorithmsAreRefusedBeforeTheMac) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  struct Case {
    const char* what;
    void (*mutate)(Message*);
    absl::StatusCode code;
    std::optional<uint8_t> error_no;
    const char* text;
  };
  const Case cases[] = {
      {"PRF", [](Message* m) { m->header.prf_func = 3; },
       absl::StatusCode::kUnimplemented, error_no::kInvalidPrf,
       "HDR: PRF func 3 not supported"},
      {"NULL encryption",
       [](Message* m) {
         for (auto& p : m->payloads) {
           if (auto* k = std::get_if<KemacPayload>(&p)) {
             k->encr_alg = encr_alg::kNull;
           }
         }
       },
       absl::StatusCode::kFailedPrecondition, error_no::kInvalidEa,
       "KEMAC: NULL encryption with a MAC"},
      {"short RAND",
       [](Message* m) {
         for (auto& p : m->payloads) {
           if (auto* r = std::get_if<RandPayload>(&p)) r->rand.resize(15);
         }
       },
       absl::StatusCode::kInvalidArgument, std::nullopt,
       "RAND payload: 15 octets, at least 16 needed"},
      {"empty CS ID map", [](Message* m) { m->header.srtp_map.clear(); },
       absl::StatusCode::kInvalidArgument, error_no::kUnspecified,
       "HDR: the SRTP-ID map has no crypto session"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<Message> m = ParseMessage(init->i_message);
    ASSERT_TRUE(m.ok()) << m.status();
    c.mutate(&*m);
    absl::StatusOr<Bytes> wire = SerializeMessage(*m);
    ASSERT_TRUE(wire.ok()) << wire.status();
    Responder r;
    PskResponse resp = RespondPsk(*wire, psk, r.options, clock);
    EXPECT_EQ(resp.status.code(), c.code) << resp.status;
    EXPECT_NE(resp.status.message().find(c.text), absl::string_view::npos)
        << resp.status;
    EXPECT_EQ(resp.error_no, c.error_no);
    EXPECT_FALSE(resp.keys.has_value());
    EXPECT_EQ(r.cache->size(), 0u);  // refused before the commit
  }
}

TEST(PskRejectTest, MalformedInputIsInvalidArgumentWithoutReply) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Responder r;
  for (size_t n = 0; n < init->i_message.size(); ++n) {
    PskResponse resp = RespondPsk(absl::MakeConstSpan(init->i_message).first(n),
                                  psk, r.options, clock);
    EXPECT_EQ(resp.status.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_TRUE(resp.reply.empty());
  }
}

TEST(PskRejectTest, SuiteNotAllowedByPolicy) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  Responder r;
  r.options.allowed_suites = {Suite("AEAD_AES_128_GCM")};
  PskResponse resp = RespondPsk(init->i_message, psk, r.options, clock);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(resp.error_no, error_no::kInvalidSpPar);
  EXPECT_EQ(r.cache->size(), 0u);
  // RFC 3830 §5.1.2: "the error message SHOULD include the supported
  // parameters" -- HDR, T, {ERR}, {SP}, [V]: one SP payload for the allowed
  // suite, written by hand from §6.10 / §6.10.1 and RFC 7714 §14.3: policy
  // 0, prot type 0 (SRTP), params encr alg 6 (AES-GCM), encr key length 16,
  // auth alg 0 (NULL), salt length 12, SRTP PRF 0, SRTP encryption 1, SRTCP
  // encryption 1, AEAD tag length (type 20) 16.
  absl::StatusOr<Message> e = ParseMessage(resp.reply);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->payloads.size(), 4u);  // T, ERR, SP, V
  const auto& sp = std::get<SecurityPolicyPayload>(e->payloads[2]);
  EXPECT_EQ(sp.policy_no, 0);
  EXPECT_EQ(sp.prot_type, 0);
  std::string params;
  for (const PolicyParam& p : sp.params) {
    absl::StrAppend(&params, absl::Hex(p.type, absl::kZeroPad2),
                    absl::Hex(p.value.size(), absl::kZeroPad2),
                    ToHex(absl::MakeConstSpan(p.value.data(), p.value.size())));
  }
  EXPECT_EQ(params,
            "000106"
            "010110"
            "020100"
            "04010c"
            "050100"
            "070101"
            "080101"
            "140110");
  // The Initiator reads it as an Error (SP allowed there), authenticated.
  absl::Status v = VerifyPskResponse(resp.reply, init->i_message, psk, clock);
  EXPECT_EQ(v.code(), absl::StatusCode::kFailedPrecondition) << v;
  EXPECT_NE(v.message().find("Invalid SPpar (10)"), std::string::npos) << v;
  EXPECT_EQ(v.message().find("unauthenticated"), std::string::npos) << v;
}

TEST(PskRejectTest, NoReplayCacheIsAnError) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  absl::StatusOr<PskInitiation> init = SmallInit(psk, clock);
  ASSERT_TRUE(init.ok());
  PskResponderOptions o;  // no cache
  EXPECT_EQ(RespondPsk(init->i_message, psk, o, clock).status.code(),
            absl::StatusCode::kInvalidArgument);
  o.skip_replay_check = true;
  EXPECT_TRUE(RespondPsk(init->i_message, psk, o, clock).status.ok());
}

TEST(PskRejectTest, MikeyNullRefusedUnlessEnabled) {
  DeterministicRandom rng(5);
  FixedClock clock = FixedClock::FromNtp(kT);
  NullInitiatorOptions o;
  NullStreamSpec s;
  s.policy.suite = Suite("AES_CM_128_HMAC_SHA1_80");
  o.streams = {s};
  absl::StatusOr<PskInitiation> init = InitiateNull(o, clock, rng);
  ASSERT_TRUE(init.ok());
  Responder r;
  PskResponse refused =
      RespondPsk(init->i_message, Pattern(20, 5), r.options, clock);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(refused.keys.has_value());
  EXPECT_TRUE(refused.reply.empty());
  r.options.allow_mikey_null = true;
  PskResponse ok = RespondPsk(init->i_message, {}, r.options, clock);
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_TRUE(ok.mikey_null);
  ExpectSameKeys(init->keys, *ok.keys);
}

TEST(PskCounterTest, CounterTimestampsNeedIncreasingValues) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  replay::InMemoryCounterStore counters(10);
  PskResponderOptions ro;
  ro.counter_store = &counters;
  ro.counter_peer = "camera-1";
  auto make = [&](uint32_t counter, uint64_t seed) {
    DeterministicRandom rng(seed);
    PskInitiatorOptions o;
    o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 1)};
    o.counter = counter;
    return InitiatePsk(o, psk, clock, rng);
  };
  absl::StatusOr<PskInitiation> m5 = make(5, 1), m4 = make(4, 2),
                                m6 = make(6, 3);
  ASSERT_TRUE(m5.ok() && m4.ok() && m6.ok());
  PskResponse r5 = RespondPsk(m5->i_message, psk, ro, clock);
  ASSERT_TRUE(r5.status.ok()) << r5.status;
  ExpectSameKeys(m5->keys, *r5.keys);
  EXPECT_EQ(RespondPsk(m5->i_message, psk, ro, clock).status.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RespondPsk(m4->i_message, psk, ro, clock).status.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(RespondPsk(m6->i_message, psk, ro, clock).status.ok());
  // Without a store, COUNTER cannot be accepted.
  PskResponderOptions none;
  none.skip_replay_check = true;
  PskResponse r = RespondPsk(m6->i_message, psk, none, clock);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error_no, error_no::kInvalidTs);
}

// Each bad option is INVALID_ARGUMENT, and the text names the function and
// what is wrong with the option.
void ExpectInvalid(const absl::Status& status, absl::string_view text) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(text), absl::string_view::npos)
      << "\"" << status.message() << "\" does not say \"" << text << "\"";
}

TEST(PskInitiateTest, RejectsBadOptions) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(1);
  const PskStreamSpec good = Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 1);
  auto initiate = [&](const PskInitiatorOptions& o) {
    return InitiatePsk(o, psk, clock, rng).status();
  };
  PskInitiatorOptions o;
  ExpectInvalid(initiate(o), "InitiatePsk: 0 streams (expected 1 to 255)");
  o.streams.assign(256, good);
  ExpectInvalid(initiate(o), "InitiatePsk: 256 streams");
  o.streams = {good, Stream(nullptr, 2)};
  ExpectInvalid(initiate(o), "InitiatePsk: stream 1 has no SRTP suite");
  o.streams = {good};
  ASSERT_TRUE(initiate(o).ok());
  ExpectInvalid(InitiatePsk(o, Pattern(15, 1), clock, rng).status(),
                "pre-shared key of 15 octets");

  PskInitiatorOptions bad = o;
  bad.prf_func = 5;
  ExpectInvalid(initiate(bad), "InitiatePsk: PRF func 5 not supported");
  bad = o;
  bad.rand_length = 8;
  ExpectInvalid(initiate(bad), "InitiatePsk: RAND length 8 (expected 16");
  bad.rand_length = 256;
  ExpectInvalid(initiate(bad), "InitiatePsk: RAND length 256");
  bad = o;
  bad.encr_alg = encr_alg::kNull;
  ExpectInvalid(initiate(bad), "InitiatePsk: KEMAC encryption algorithm 0");
  bad = o;
  bad.mac_alg = 7;
  ExpectInvalid(initiate(bad), "InitiatePsk: MAC algorithm 7");
  bad = o;
  bad.tgk_length = 8;
  ExpectInvalid(initiate(bad), "InitiatePsk: TGK length 8 (expected 16 to");
  bad.tgk_length = 257;
  ExpectInvalid(initiate(bad), "InitiatePsk: TGK length 257");
  // Only the first check's failure is reported, and nothing else was
  // wrong with `o`.
  EXPECT_TRUE(initiate(o).ok());
}

TEST(PskInitiateTest, MessageLayoutIsHdrTRandSpKemac) {
  const Bytes psk = Pattern(20, 5);
  FixedClock clock = FixedClock::FromNtp(kT);
  DeterministicRandom rng(1);
  PskInitiatorOptions o;
  o.streams = {Stream(Suite("AES_CM_128_HMAC_SHA1_80"), 0xAABBCCDD, 3)};
  o.csb_id = 0x12345678;
  absl::StatusOr<PskInitiation> init = InitiatePsk(o, psk, clock, rng);
  ASSERT_TRUE(init.ok());
  const Bytes& w = init->i_message;
  // HDR: version 1, PSK init, next T (5), V=0 PRF 0, CSB ID, #CS 1, SRTP-ID,
  // policy 0, SSRC, ROC.
  EXPECT_EQ(ToHex(absl::MakeConstSpan(w).first(19)),
            "01000500123456780100"
            "00aabbccdd00000003");
  // T: next RAND (11), NTP-UTC, the clock's value.
  EXPECT_EQ(ToHex(absl::MakeConstSpan(w).subspan(19, 10)),
            "0b00e8d4a51000000000");
  // RAND: next SP (10), 16 octets.
  EXPECT_EQ(w[29], 10);
  EXPECT_EQ(w[30], 16);
  // KEMAC last: ... MAC alg 1 then 20 MAC octets; Encr data = 20 octets of
  // key data (4 + 16-octet TGK).
  EXPECT_EQ(w[w.size() - 21], mac_alg::kHmacSha1_160);
  absl::StatusOr<Message> m = ParseMessage(w);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Find<KemacPayload>()->encr_data.size(), 20u);
  EXPECT_EQ(PayloadTypeOf(m->payloads.back()), payload_type::kKemac);
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
