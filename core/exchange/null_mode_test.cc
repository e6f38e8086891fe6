#include "core/exchange/null_mode.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/psk.h"
#include "core/message/message.h"
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

const srtp::CryptoSuite* Suite(absl::string_view name) {
  absl::StatusOr<const srtp::CryptoSuite*> s = srtp::FindSuite(name);
  EXPECT_TRUE(s.ok()) << name;
  return s.ok() ? *s : nullptr;
}

constexpr uint64_t kT = 0xE8D4A51000000000ULL;

// Hand-assembled, GStreamer / ONVIF-camera style: no RAND, a Windows FILETIME
// in the NTP-UTC field (the ONVIF PR #555 sample's value), SP auth key
// length 10 (tag length semantics), TEK+SALT key data without key validity.
const char kGstreamerStyle[] =
    // HDR: v1, PSK init, next T, V=0 PRF 0, CSB 0b0c0d0e, 1 CS, SRTP-ID,
    // policy 0, SSRC 01020304, ROC 0.
    "01000500"
    "0b0c0d0e"
    "0100"
    "00"
    "01020304"
    "00000000"
    // T: next SP (10), NTP-UTC, FILETIME 2018-01-15.
    "0a00"
    "01d38e19cef95c3d"
    // SP: next KEMAC (1), policy 0, SRTP, 27 octets of parameters.
    "010000"
    "001b"
    "000101"
    "010110"
    "020101"
    "03010a"
    "04010e"
    "070101"
    "080101"
    "0a0101"
    "0b010a"
    // KEMAC: next Last, encr NULL, 36 octets: key data (Last, TEK+SALT /
    // KV NULL, 16-octet key, 14-octet salt); MAC alg NULL.
    "0000"
    "0024"
    "00"
    "30"
    "0010"
    "000102030405060708090a0b0c0d0e0f"
    "000e"
    "e0e1e2e3e4e5e6e7e8e9eaebeced"
    "00";

// Hand-assembled, Live555 style: T, RAND, SP (RFC form: auth key length 20),
// TEK (key || salt, 30 octets) with SPI/MKI of 4 octets.
const char kLive555Style[] =
    "01000500"
    "deadbeef"
    "0100"
    "00"
    "cafe0001"
    "00000000"
    // T: next RAND (11), NTP-UTC.
    "0b00"
    "e8d4a51000000000"
    // RAND: next SP, 16 octets.
    "0a10"
    "55555555555555555555555555555555"
    "010000"
    "001b"
    "000101"
    "010110"
    "020101"
    "030114"
    "04010e"
    "070101"
    "080101"
    "0a0101"
    "0b010a"
    // KEMAC: 39 octets of key data (Last, TEK / KV SPI, 30 octets, SPI len 4,
    // MKI 11223344); MAC alg NULL.
    "0000"
    "0027"
    "00"
    "21"
    "001e"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d"
    "04"
    "11223344"
    "00";

TEST(NullModeTest, GstreamerStyleSampleWithFiletime) {
  const Bytes msg = Hex(kGstreamerStyle);
  FixedClock clock = FixedClock::FromNtp(kT);
  NullResponderOptions o;
  // The FILETIME is far outside any window: rejected unless told to skip.
  absl::StatusOr<KeyResult> strict = AcceptNull(msg, o, clock);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kFailedPrecondition);
  o.check_timestamp = false;
  absl::StatusOr<KeyResult> k = AcceptNull(msg, o, clock);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->csb_id, 0x0b0c0d0eu);
  ASSERT_EQ(k->streams.size(), 1u);
  const StreamKeys& s = k->streams[0];
  EXPECT_EQ(s.ssrc, 0x01020304u);
  EXPECT_EQ(s.suite->name, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(ToHex(s.master_key.span()), "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(ToHex(s.master_salt.span()), "e0e1e2e3e4e5e6e7e8e9eaebeced");
  EXPECT_TRUE(s.mki.empty());
}

TEST(NullModeTest, Live555StyleSample) {
  const Bytes msg = Hex(kLive555Style);
  FixedClock clock = FixedClock::FromNtp(kT + (10ULL << 32));
  absl::StatusOr<KeyResult> k = AcceptNull(msg, NullResponderOptions(), clock);
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_EQ(k->streams.size(), 1u);
  const StreamKeys& s = k->streams[0];
  EXPECT_EQ(s.ssrc, 0xcafe0001u);
  EXPECT_EQ(ToHex(s.master_key.span()), "101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(ToHex(s.master_salt.span()), "202122232425262728292a2b2c2d");
  EXPECT_EQ(ToHex(s.mki), "11223344");
}

TEST(NullModeTest, ThroughRespondPskOnlyWhenEnabled) {
  const Bytes msg = Hex(kGstreamerStyle);
  FixedClock clock = FixedClock::FromNtp(kT);
  replay::InMemoryReplayCache cache(10);
  PskResponderOptions o;
  o.replay_cache = &cache;
  PskResponse refused = RespondPsk(msg, {}, o, clock);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(refused.reply.empty());
  o.allow_mikey_null = true;
  // Timestamp check still on: the FILETIME fails.
  EXPECT_EQ(RespondPsk(msg, {}, o, clock).status.code(),
            absl::StatusCode::kFailedPrecondition);
  o.null_skip_timestamp_check = true;
  PskResponse ok = RespondPsk(msg, {}, o, clock);
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_TRUE(ok.mikey_null);
  EXPECT_TRUE(ok.reply.empty());
  EXPECT_EQ(ToHex(ok.keys->streams[0].master_key.span()),
            "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(cache.size(), 0u);  // nothing to protect: unauthenticated
}

TEST(NullModeTest, NoTimestampAcceptedOnlyWithoutTheCheck) {
  std::string hex = kGstreamerStyle;
  hex.replace(0, 6, "01000a");  // HDR: next SP, not T
  hex.erase(hex.find("0a00"
                     "01d38e19"),
            20);  // drop the T payload
  FixedClock clock = FixedClock::FromNtp(kT);
  replay::InMemoryReplayCache cache(10);
  PskResponderOptions o;
  o.replay_cache = &cache;
  o.allow_mikey_null = true;
  EXPECT_EQ(RespondPsk(Hex(hex), {}, o, clock).status.code(),
            absl::StatusCode::kInvalidArgument);
  o.null_skip_timestamp_check = true;
  PskResponse ok = RespondPsk(Hex(hex), {}, o, clock);
  ASSERT_TRUE(ok.status.ok()) << ok.status;
  EXPECT_EQ(ToHex(ok.keys->streams[0].master_salt.span()),
            "e0e1e2e3e4e5e6e7e8e9eaebeced");
}

TEST(NullModeTest, WrongKeyLengthsAndTgkAreRejected) {
  FixedClock clock = FixedClock::FromNtp(kT);
  NullResponderOptions o;
  // Live555 sample with a 29-octet TEK (one octet of salt dropped).
  Bytes short_tek = Hex(kLive555Style);
  const std::string hex = kLive555Style;
  std::string cut = hex;
  cut.replace(cut.find("0000"
                       "0027"),
              8,
              "0000"
              "0026");
  cut.replace(cut.find("00"
                       "21"
                       "001e"),
              8,
              "00"
              "21"
              "001d");
  cut.replace(cut.find("2d"
                       "04"),
              2, "");
  EXPECT_EQ(AcceptNull(Hex(cut), o, clock).status().code(),
            absl::StatusCode::kInvalidArgument);
  // TGK (type 0) instead of TEK.
  std::string tgk = hex;
  tgk.replace(tgk.find("00"
                       "21"
                       "001e"),
              4,
              "00"
              "01");
  EXPECT_EQ(AcceptNull(Hex(tgk), o, clock).status().code(),
            absl::StatusCode::kUnimplemented);
  // A protected PSK message is not MIKEY-NULL.
  std::string mac = hex;
  mac.replace(mac.size() - 2, 2, "");
  mac.replace(mac.find("0000"
                       "0027"),
              8,
              "0001"
              "0027");  // AES-CM
  mac += "00";
  EXPECT_EQ(AcceptNull(Hex(mac), o, clock).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NullModeTest, InitiateNullWritesTheLive555Form) {
  DeterministicRandom rng(77);
  FixedClock clock = FixedClock::FromNtp(kT);
  NullInitiatorOptions o;
  NullStreamSpec s;
  s.ssrc = 0x99;
  s.policy.suite = Suite("AES_CM_128_HMAC_SHA1_80");
  o.streams = {s};
  o.csb_id = 0x01020304;
  o.mki = Hex("aabbccdd");
  absl::StatusOr<PskInitiation> init = InitiateNull(o, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  ASSERT_EQ(init->keys.streams.size(), 1u);
  const StreamKeys& k = init->keys.streams[0];
  ASSERT_EQ(k.master_key.size(), 16u);
  ASSERT_EQ(k.master_salt.size(), 14u);
  const Bytes& w = init->i_message;
  ASSERT_GT(w.size(), 47u);
  const std::string rand = ToHex(absl::MakeConstSpan(w).subspan(31, 16));
  const std::string expected = absl::StrCat(
      "01000500"
      "01020304"
      "0100"
      "00"
      "00000099"
      "00000000",
      "0b00"
      "e8d4a51000000000",
      "0a10", rand,
      "010000"
      "001e"
      "000101"
      "010110"
      "020101"
      "030114"
      "04010e"
      "050100"
      "070101"
      "080101"
      "0a0101"
      "0b010a",
      "0000"
      "0027"
      "00"
      "21"
      "001e",
      ToHex(k.master_key.span()), ToHex(k.master_salt.span()),
      "04"
      "aabbccdd",
      "00");
  EXPECT_EQ(ToHex(w), expected);
  EXPECT_EQ(ToHex(k.mki), "aabbccdd");

  absl::StatusOr<KeyResult> back = AcceptNull(w, NullResponderOptions(), clock);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->streams[0].master_key, k.master_key);
  EXPECT_EQ(back->streams[0].master_salt, k.master_salt);
  EXPECT_EQ(back->streams[0].mki, k.mki);
}

// SP type 3 ("session auth key length") per suite: 20 where the SRTP tag is
// 80 bits (RFC 3830; Live555 accepts nothing else), the tag length 4 for the
// _32 suites (GStreamer and gortsplib read type 3 as the tag length); the
// RFC form on request. Type 11 holds the tag length in every case.
TEST(NullModeTest, SpAuthKeyLengthPerSuiteAndDialect) {
  struct Case {
    const char* suite;
    std::optional<srtp::SpDialect> dialect;  // absent: the default
    int type3;
    int type11;
  };
  const Case cases[] = {
      {"AES_CM_128_HMAC_SHA1_80", std::nullopt, 20, 10},
      {"AES_256_CM_HMAC_SHA1_80", std::nullopt, 20, 10},
      {"NULL_HMAC_SHA1_80", std::nullopt, 20, 10},
      {"AES_CM_128_HMAC_SHA1_32", std::nullopt, 4, 4},
      {"AES_256_CM_HMAC_SHA1_32", std::nullopt, 4, 4},
      {"NULL_HMAC_SHA1_32", std::nullopt, 4, 4},
      {"AES_CM_128_HMAC_SHA1_32", srtp::SpDialect::kRfc3830, 20, 4},
      {"AES_CM_128_HMAC_SHA1_80", srtp::SpDialect::kTagLengthInAuthKeyLength,
       10, 10},
  };
  FixedClock clock = FixedClock::FromNtp(kT);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.suite);
    DeterministicRandom rng(79);
    NullInitiatorOptions o;
    NullStreamSpec s;
    s.policy.suite = Suite(c.suite);
    o.streams = {s};
    if (c.dialect) o.sp_dialect = *c.dialect;
    absl::StatusOr<PskInitiation> init = InitiateNull(o, clock, rng);
    ASSERT_TRUE(init.ok()) << init.status();
    absl::StatusOr<Message> m = ParseMessage(init->i_message);
    ASSERT_TRUE(m.ok()) << m.status();
    const SecurityPolicyPayload* sp = m->Find<SecurityPolicyPayload>();
    ASSERT_NE(sp, nullptr);
    const PolicyParam* p3 = sp->Find(srtp_param::kAuthKeyLen);
    const PolicyParam* p11 = sp->Find(srtp_param::kAuthTagLen);
    ASSERT_NE(p3, nullptr);
    ASSERT_NE(p11, nullptr);
    EXPECT_EQ(p3->value, Bytes{static_cast<uint8_t>(c.type3)});
    EXPECT_EQ(p11->value, Bytes{static_cast<uint8_t>(c.type11)});
    // Our responder reads the suite back from either form.
    absl::StatusOr<KeyResult> back =
        AcceptNull(init->i_message, NullResponderOptions(), clock);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->streams[0].suite->name, c.suite);
  }
}

TEST(NullModeTest, SharedAndPerStreamKeys) {
  DeterministicRandom rng(78);
  FixedClock clock = FixedClock::FromNtp(kT);
  NullInitiatorOptions o;
  NullStreamSpec a, b;
  a.ssrc = 1;
  a.policy.suite = Suite("AES_CM_128_HMAC_SHA1_80");
  b.ssrc = 2;
  b.policy.suite = Suite("AEAD_AES_256_GCM");
  o.streams = {a, b};
  // Different key lengths need per-stream keys.
  EXPECT_EQ(InitiateNull(o, clock, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.per_stream_keys = true;
  absl::StatusOr<PskInitiation> init = InitiateNull(o, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  absl::StatusOr<KeyResult> back =
      AcceptNull(init->i_message, NullResponderOptions(), clock);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->streams.size(), 2u);
  EXPECT_EQ(back->streams[1].suite->name, "AEAD_AES_256_GCM");
  EXPECT_EQ(back->streams[1].master_key.size(), 32u);
  EXPECT_EQ(back->streams[1].master_salt.size(), 12u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(back->streams[i].master_key, init->keys.streams[i].master_key);
    EXPECT_EQ(back->streams[i].master_salt, init->keys.streams[i].master_salt);
  }
  // One shared key data for two same-suite streams.
  b.policy.suite = Suite("AES_CM_128_HMAC_SHA1_32");
  o.streams = {a, b};
  o.per_stream_keys = false;
  init = InitiateNull(o, clock, rng);
  ASSERT_TRUE(init.ok());
  back = AcceptNull(init->i_message, NullResponderOptions(), clock);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->streams[0].master_key, back->streams[1].master_key);
  EXPECT_EQ(back->streams[1].suite->name, "AES_CM_128_HMAC_SHA1_32");
}

}  // namespace
}  // namespace exchange
}  // namespace mikey
