// MIKEY exchanges end to end against libsrtp 2.5 (Debian 12), an independent
// SRTP implementation: the keys the Initiator (InitiatePsk / InitiateNull)
// holds must protect packets that libsrtp, keyed with what the Responder
// (RespondPsk / AcceptNull) derived, unprotects to the original bytes; and a
// receiver holding a key one bit off must reject them as an authentication
// failure. libsrtp is the judge of the keys here: nothing is compared with
// values computed by the code under test.
//
// Covered: every suite of srtp::AllSuites() that libsrtp 2.5 implements
// correctly (AES-CM 128/256 with 80/32-bit tags, AEAD AES-GCM 128/256, the
// NULL cipher with HMAC-SHA1 80/32; AES-192 is not in AllSuites, and libsrtp
// 2.5 derives its keys wrongly anyway), several SSRCs per exchange, ROCs from
// the CS ID map, and MKIs (key validity SPI) where the exchange carries one.

#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using exchange::FixedClock;
using exchange::KeyResult;
using exchange::StreamKeys;

// ---------------------------------------------------------------------------
// libsrtp profiles of our suites (RFC 4568 §6.2: SRTCP always carries an
// 80-bit tag, so the _32 suites use the _80 profile for RTCP).

struct Profile {
  const char* suite;
  void (*rtp)(srtp_crypto_policy_t*);
  void (*rtcp)(srtp_crypto_policy_t*);
};

void PrintTo(const Profile& p, std::ostream* os) { *os << p.suite; }

// libsrtp 2.5 has no setter for NULL cipher with a 32-bit tag.
void NullHmacSha1_32(srtp_crypto_policy_t* p) {
  srtp_crypto_policy_set_null_cipher_hmac_sha1_80(p);
  p->auth_tag_len = 4;
}

const Profile kProfiles[] = {
    // (srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 is a macro for the
    // defaults.)
    {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
     srtp_crypto_policy_set_rtcp_default},
    {"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
     srtp_crypto_policy_set_rtcp_default},
    {"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AES_256_CM_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
     srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth,
     srtp_crypto_policy_set_aes_gcm_256_16_auth},
    {"NULL_HMAC_SHA1_80", srtp_crypto_policy_set_null_cipher_hmac_sha1_80,
     srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
    {"NULL_HMAC_SHA1_32", NullHmacSha1_32,
     srtp_crypto_policy_set_null_cipher_hmac_sha1_80},
};

const Profile* ProfileFor(absl::string_view suite) {
  for (const Profile& p : kProfiles) {
    if (suite == p.suite) return &p;
  }
  return nullptr;
}

const srtp::CryptoSuite* Suite(absl::string_view name) {
  absl::StatusOr<const srtp::CryptoSuite*> s = srtp::FindSuite(name);
  return s.ok() ? *s : nullptr;
}

srtp::SrtpPolicy PolicyOf(absl::string_view suite_name) {
  srtp::SrtpPolicy p;
  p.suite = Suite(suite_name);
  return p;
}

// ---------------------------------------------------------------------------
// libsrtp sessions keyed from StreamKeys.

struct SessionDeleter {
  void operator()(srtp_ctx_t* s) const {
    if (s != nullptr) srtp_dealloc(s);
  }
};
using Session = std::unique_ptr<srtp_ctx_t, SessionDeleter>;

struct SessionOptions {
  bool use_mki = false;
  bool flip_key_bit = false;  // flip the lowest bit of every master key
};

// Owns the key buffers libsrtp reads during srtp_create.
struct SessionKeys {
  std::vector<SecretBytes> key_and_salt;
  std::vector<std::vector<uint8_t>> mki;
  std::vector<srtp_master_key_t> master;
  std::vector<srtp_master_key_t*> master_ptrs;
};

// One libsrtp session holding one stream per StreamKeys (SSRC-specific),
// with the ROC of the CS ID map set on each.
absl::StatusOr<Session> MakeSession(absl::Span<const StreamKeys> streams,
                                    const SessionOptions& opt) {
  const size_t n = streams.size();
  SessionKeys keys;
  keys.key_and_salt.reserve(n);
  keys.mki.reserve(n);
  keys.master.resize(n);
  keys.master_ptrs.resize(n);
  std::vector<srtp_policy_t> policies(n);
  for (size_t i = 0; i < n; ++i) {
    const StreamKeys& s = streams[i];
    if (s.suite == nullptr) return absl::InternalError("stream without suite");
    const Profile* prof = ProfileFor(s.suite->name);
    if (prof == nullptr) {
      return absl::InternalError(
          absl::StrCat("no libsrtp profile for ", s.suite->name));
    }
    SecretBytes ks(s.master_key.size() + s.master_salt.size());
    std::memcpy(ks.data(), s.master_key.data(), s.master_key.size());
    std::memcpy(ks.data() + s.master_key.size(), s.master_salt.data(),
                s.master_salt.size());
    if (opt.flip_key_bit) ks[0] ^= 0x01;
    keys.key_and_salt.push_back(std::move(ks));
    keys.mki.push_back(s.mki);

    srtp_policy_t& p = policies[i];
    std::memset(&p, 0, sizeof(p));
    prof->rtp(&p.rtp);
    prof->rtcp(&p.rtcp);
    p.ssrc.type = ssrc_specific;
    p.ssrc.value = s.ssrc;
    p.window_size = 128;
    if (opt.use_mki) {
      if (s.mki.empty()) return absl::InternalError("MKI wanted but empty");
      keys.master[i].key = keys.key_and_salt[i].data();
      keys.master[i].mki_id = keys.mki[i].data();
      keys.master[i].mki_size = static_cast<unsigned>(keys.mki[i].size());
      keys.master_ptrs[i] = &keys.master[i];
      p.key = nullptr;
      p.keys = &keys.master_ptrs[i];
      p.num_master_keys = 1;
    } else {
      p.key = keys.key_and_salt[i].data();
    }
    p.next = i + 1 < n ? &policies[i + 1] : nullptr;
  }
  srtp_t raw = nullptr;
  const srtp_err_status_t st = srtp_create(&raw, policies.data());
  Session session(raw);
  if (st != srtp_err_status_ok) {
    return absl::InternalError(absl::StrCat("srtp_create: error ", st));
  }
  for (const StreamKeys& s : streams) {
    if (srtp_set_stream_roc(session.get(), s.ssrc, s.roc) !=
        srtp_err_status_ok) {
      return absl::InternalError("srtp_set_stream_roc failed");
    }
  }
  return session;
}

// ---------------------------------------------------------------------------
// Packets.

void PutBe16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void PutBe32(std::vector<uint8_t>& v, uint32_t x) {
  PutBe16(v, static_cast<uint16_t>(x >> 16));
  PutBe16(v, static_cast<uint16_t>(x));
}

// RTP: V=2, PT 96, then a payload whose length and contents vary with `seq`.
std::vector<uint8_t> RtpPacket(uint32_t ssrc, uint16_t seq) {
  std::vector<uint8_t> p = {0x80, 0x60};
  PutBe16(p, seq);
  PutBe32(p, 0x1000u + 160u * seq);
  PutBe32(p, ssrc);
  const size_t payload = 20 + (seq % 7) * 9;
  for (size_t i = 0; i < payload; ++i) {
    p.push_back(static_cast<uint8_t>(i * 31 + seq + (ssrc & 0xff)));
  }
  return p;
}

// RTCP sender report (PT 200) with a sender-info block, no report blocks.
std::vector<uint8_t> RtcpPacket(uint32_t ssrc, uint32_t n) {
  std::vector<uint8_t> p = {0x80, 200};
  PutBe16(p, 6);  // length in 32-bit words minus one
  PutBe32(p, ssrc);
  PutBe32(p, 0xe99d415du + n);  // NTP seconds
  PutBe32(p, 0x80000000u);      // NTP fraction
  PutBe32(p, 0x1000u + 160u * n);
  PutBe32(p, 10 + n);    // packet count
  PutBe32(p, 1600 + n);  // octet count
  return p;
}

srtp_err_status_t Protect(srtp_ctx_t* s, bool rtcp, bool use_mki,
                          std::vector<uint8_t>* pkt) {
  int len = static_cast<int>(pkt->size());
  pkt->resize(pkt->size() + SRTP_MAX_TRAILER_LEN + 4);
  srtp_err_status_t st =
      rtcp ? srtp_protect_rtcp_mki(s, pkt->data(), &len, use_mki ? 1 : 0, 0)
           : srtp_protect_mki(s, pkt->data(), &len, use_mki ? 1 : 0, 0);
  pkt->resize(st == srtp_err_status_ok ? static_cast<size_t>(len) : 0);
  return st;
}

srtp_err_status_t Unprotect(srtp_ctx_t* s, bool rtcp, bool use_mki,
                            std::vector<uint8_t>* pkt) {
  int len = static_cast<int>(pkt->size());
  srtp_err_status_t st =
      rtcp ? srtp_unprotect_rtcp_mki(s, pkt->data(), &len, use_mki ? 1 : 0)
           : srtp_unprotect_mki(s, pkt->data(), &len, use_mki ? 1 : 0);
  if (st == srtp_err_status_ok) pkt->resize(static_cast<size_t>(len));
  return st;
}

class LibsrtpEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_EQ(srtp_init(), srtp_err_status_ok); }
  void TearDown() override { srtp_shutdown(); }
};
[[maybe_unused]] const ::testing::Environment* const kLibsrtpEnv =
    ::testing::AddGlobalTestEnvironment(new LibsrtpEnvironment);

// The core check: what the Initiator's keys protect, the Responder's keys
// unprotect to the same bytes (RTP and RTCP, every stream, interleaved);
// with one bit of the receiver's master keys flipped, every packet fails
// authentication.
void ExpectSrtpRoundTrip(const KeyResult& initiator, const KeyResult& responder,
                         bool use_mki) {
  ASSERT_EQ(initiator.streams.size(), responder.streams.size());
  absl::StatusOr<Session> sender = MakeSession(initiator.streams, {use_mki});
  ASSERT_TRUE(sender.ok()) << sender.status();
  absl::StatusOr<Session> receiver = MakeSession(responder.streams, {use_mki});
  ASSERT_TRUE(receiver.ok()) << receiver.status();
  absl::StatusOr<Session> wrong =
      MakeSession(responder.streams, {use_mki, /*flip_key_bit=*/true});
  ASSERT_TRUE(wrong.ok()) << wrong.status();

  // Sequence numbers 0xfffd..0x0001: the ROC rolls over mid-way.
  constexpr int kPackets = 5;
  for (int n = 0; n < kPackets; ++n) {
    for (const StreamKeys& s : initiator.streams) {
      for (bool rtcp : {false, true}) {
        SCOPED_TRACE(absl::StrCat(s.suite->name, " SSRC ", s.ssrc,
                                  rtcp ? " RTCP #" : " RTP #", n));
        // libsrtp 2.5 looks for the MKI of an SRTCP packet in front of a tag
        // of the SRTP tag length (srtp_get_session_keys), so it cannot read
        // its own SRTCP MKI when the two lengths differ (the _32 suites):
        // SRTCP goes without MKI there.
        const bool mki =
            use_mki && !(rtcp && s.suite->srtp_auth_tag_length !=
                                     s.suite->srtcp_auth_tag_length);
        const std::vector<uint8_t> plain =
            rtcp ? RtcpPacket(s.ssrc, n)
                 : RtpPacket(s.ssrc, static_cast<uint16_t>(0xfffd + n));
        std::vector<uint8_t> sealed = plain;
        ASSERT_EQ(Protect(sender->get(), rtcp, mki, &sealed),
                  srtp_err_status_ok);
        ASSERT_GT(sealed.size(), plain.size());
        if (s.suite->cipher != srtp::Cipher::kNull) {
          // The payload (after the 12- or 8-octet header) is encrypted.
          const size_t h = rtcp ? 8 : 12;
          EXPECT_NE(std::vector<uint8_t>(sealed.begin() + h,
                                         sealed.begin() + plain.size()),
                    std::vector<uint8_t>(plain.begin() + h, plain.end()));
        }

        std::vector<uint8_t> bad = sealed;
        EXPECT_EQ(Unprotect(wrong->get(), rtcp, mki, &bad),
                  srtp_err_status_auth_fail);

        std::vector<uint8_t> opened = sealed;
        ASSERT_EQ(Unprotect(receiver->get(), rtcp, mki, &opened),
                  srtp_err_status_ok);
        EXPECT_EQ(opened, plain);
      }
    }
  }
}

// Keys of different crypto sessions must differ: for every pair of streams
// of the same suite, packets protected for stream j's SSRC (and ROC) under
// stream i's keys fail authentication at the receiver. Returns the number
// of pairs checked.
int ExpectStreamKeysDiffer(const KeyResult& initiator,
                           const KeyResult& responder) {
  int pairs = 0;
  absl::StatusOr<Session> receiver = MakeSession(responder.streams, {});
  EXPECT_TRUE(receiver.ok()) << receiver.status();
  if (!receiver.ok()) return 0;
  const auto& in = initiator.streams;
  for (size_t i = 0; i < in.size(); ++i) {
    for (size_t j = 0; j < in.size(); ++j) {
      if (i == j || in[i].suite != in[j].suite) continue;
      ++pairs;
      std::vector<StreamKeys> swapped = {in[i]};
      swapped[0].ssrc = in[j].ssrc;
      swapped[0].roc = in[j].roc;
      absl::StatusOr<Session> sender = MakeSession(swapped, {});
      EXPECT_TRUE(sender.ok()) << sender.status();
      if (!sender.ok()) return pairs;
      for (bool rtcp : {false, true}) {
        std::vector<uint8_t> pkt =
            rtcp ? RtcpPacket(in[j].ssrc, static_cast<uint32_t>(100 + i))
                 : RtpPacket(in[j].ssrc, static_cast<uint16_t>(100 + i));
        EXPECT_EQ(Protect(sender->get(), rtcp, false, &pkt),
                  srtp_err_status_ok);
        EXPECT_EQ(Unprotect(receiver->get(), rtcp, false, &pkt),
                  srtp_err_status_auth_fail)
            << "stream " << i << "'s keys for stream " << j << " "
            << (rtcp ? "RTCP" : "RTP");
      }
    }
  }
  return pairs;
}

// The stream list the Responder reports is the one the Initiator asked for.
struct StreamSpec {
  uint32_t ssrc;
  uint32_t roc;
  const char* suite;
};

void ExpectStreams(const KeyResult& keys, absl::Span<const StreamSpec> want) {
  ASSERT_EQ(keys.streams.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const StreamKeys& s = keys.streams[i];
    EXPECT_EQ(s.ssrc, want[i].ssrc) << "stream " << i;
    EXPECT_EQ(s.roc, want[i].roc) << "stream " << i;
    ASSERT_NE(s.suite, nullptr);
    EXPECT_EQ(s.suite->name, want[i].suite) << "stream " << i;
    EXPECT_EQ(s.cs_id, i + 1);
    EXPECT_EQ(s.master_key.size(), s.suite->master_key_length);
    EXPECT_EQ(s.master_salt.size(), s.suite->master_salt_length);
  }
}

const absl::Time kNow = absl::FromUnixSeconds(1763800000);  // 2025-11-22

std::vector<uint8_t> Psk() {
  std::vector<uint8_t> psk(20);
  for (size_t i = 0; i < psk.size(); ++i) psk[i] = static_cast<uint8_t>(i * 13);
  return psk;
}

// ---------------------------------------------------------------------------
// Every suite libsrtp implements is exercised (a suite added to AllSuites
// without a libsrtp profile fails here rather than going untested).

TEST(LibsrtpCoverageTest, EverySuiteHasALibsrtpProfile) {
  for (const srtp::CryptoSuite& s : srtp::AllSuites()) {
    EXPECT_NE(ProfileFor(s.name), nullptr) << s.name;
  }
  for (const Profile& p : kProfiles) {
    EXPECT_NE(Suite(p.suite), nullptr) << p.suite;
  }
}

// ---------------------------------------------------------------------------
// PSK mode (MIKEY-1, AES-CM KEMAC, HMAC-SHA-1), one suite for three SSRCs.

class LibsrtpPskTest : public ::testing::TestWithParam<Profile> {};

TEST_P(LibsrtpPskTest, InitiatorProtectsResponderUnprotects) {
  const char* suite = GetParam().suite;
  const std::vector<StreamSpec> want = {
      {0x11223344, 0, suite}, {0x55667788, 0, suite}, {0x9abcdef0, 3, suite}};
  exchange::PskInitiatorOptions io;
  for (const StreamSpec& w : want) {
    io.streams.push_back({w.ssrc, w.roc, PolicyOf(w.suite)});
  }
  DeterministicRandom rng(std::hash<std::string>()(suite));
  const FixedClock initiator_clock(kNow);
  const std::vector<uint8_t> psk = Psk();
  absl::StatusOr<exchange::PskInitiation> init =
      exchange::InitiatePsk(io, psk, initiator_clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();

  replay::InMemoryReplayCache cache(16);
  exchange::PskResponderOptions ro;
  ro.replay_cache = &cache;
  const FixedClock responder_clock(kNow + absl::Seconds(2));
  exchange::PskResponse resp =
      exchange::RespondPsk(init->i_message, psk, ro, responder_clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ASSERT_TRUE(resp.keys.has_value());
  EXPECT_FALSE(resp.mikey_null);
  ExpectStreams(init->keys, want);
  ExpectStreams(*resp.keys, want);

  ExpectSrtpRoundTrip(init->keys, *resp.keys, /*use_mki=*/false);
  EXPECT_EQ(ExpectStreamKeysDiffer(init->keys, *resp.keys), 6);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, LibsrtpPskTest,
                         ::testing::ValuesIn(kProfiles),
                         [](const ::testing::TestParamInfo<Profile>& i) {
                           return std::string(i.param.suite);
                         });

// The other PSK options in one exchange: PRF-HMAC-SHA-256 (RFC 6043), AES key
// wrap KEMAC, a 32-octet PSK, a TGK SPI that becomes every stream's MKI, and
// a different suite per stream (so several SP payloads).
TEST(LibsrtpPskOptionsTest, Mikey256KeyWrapMixedSuitesWithMki) {
  const std::vector<StreamSpec> want = {
      {0x0a0b0c0d, 0, "AES_CM_128_HMAC_SHA1_80"},
      {0x1a1b1c1d, 1, "AEAD_AES_256_GCM"},
      {0x2a2b2c2d, 0, "NULL_HMAC_SHA1_32"},
      {0x3a3b3c3d, 0x10000, "AES_256_CM_HMAC_SHA1_32"}};
  exchange::PskInitiatorOptions io;
  for (const StreamSpec& w : want) {
    io.streams.push_back({w.ssrc, w.roc, PolicyOf(w.suite)});
  }
  io.prf_func = prf_func::kMikey256;
  io.encr_alg = encr_alg::kAesKw128;
  io.tgk_validity.type = key_validity::kSpi;
  io.tgk_validity.spi = {0xde, 0xad, 0x00, 0x01};
  std::vector<uint8_t> psk(32);
  for (size_t i = 0; i < psk.size(); ++i) psk[i] = static_cast<uint8_t>(~i);
  DeterministicRandom rng(256);
  const FixedClock clock(kNow);
  absl::StatusOr<exchange::PskInitiation> init =
      exchange::InitiatePsk(io, psk, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();

  replay::InMemoryReplayCache cache(16);
  exchange::PskResponderOptions ro;
  ro.replay_cache = &cache;
  exchange::PskResponse resp =
      exchange::RespondPsk(init->i_message, psk, ro, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  ASSERT_TRUE(resp.keys.has_value());
  ExpectStreams(*resp.keys, want);
  for (const StreamKeys& s : resp.keys->streams) {
    EXPECT_EQ(s.mki, io.tgk_validity.spi);
  }
  ExpectSrtpRoundTrip(init->keys, *resp.keys, /*use_mki=*/true);
}

// A Responder with another PSK refuses the exchange (so it never holds keys
// that would fail in libsrtp).
TEST(LibsrtpPskOptionsTest, WrongPskIsRefusedBeforeAnyKeyExists) {
  exchange::PskInitiatorOptions io;
  io.streams.push_back({0x01020304, 0, PolicyOf("AES_CM_128_HMAC_SHA1_80")});
  DeterministicRandom rng(7);
  const FixedClock clock(kNow);
  std::vector<uint8_t> psk = Psk();
  absl::StatusOr<exchange::PskInitiation> init =
      exchange::InitiatePsk(io, psk, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  psk[0] ^= 0x01;
  replay::InMemoryReplayCache cache(16);
  exchange::PskResponderOptions ro;
  ro.replay_cache = &cache;
  exchange::PskResponse resp =
      exchange::RespondPsk(init->i_message, psk, ro, clock);
  EXPECT_EQ(resp.status.code(), absl::StatusCode::kFailedPrecondition)
      << resp.status;
  EXPECT_FALSE(resp.keys.has_value());
}

// ---------------------------------------------------------------------------
// MIKEY-NULL: InitiateNull -> AcceptNull (and RespondPsk with MIKEY-NULL
// explicitly enabled), keys shared by all streams or one per stream, with
// the 4-octet MKI InitiateNull writes used by libsrtp.

class LibsrtpNullTest
    : public ::testing::TestWithParam<std::tuple<Profile, bool>> {};

TEST_P(LibsrtpNullTest, InitiatorProtectsResponderUnprotects) {
  const char* suite = std::get<0>(GetParam()).suite;
  const bool per_stream_keys = std::get<1>(GetParam());
  const std::vector<StreamSpec> want = {
      {0xcafe0001, 0, suite}, {0xcafe0002, 9, suite}, {0xcafe0003, 0, suite}};
  exchange::NullInitiatorOptions io;
  for (const StreamSpec& w : want) {
    io.streams.push_back({w.ssrc, w.roc, PolicyOf(w.suite)});
  }
  io.per_stream_keys = per_stream_keys;
  DeterministicRandom rng(std::hash<std::string>()(suite) + per_stream_keys);
  const FixedClock clock(kNow);
  absl::StatusOr<exchange::PskInitiation> init =
      exchange::InitiateNull(io, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  ExpectStreams(init->keys, want);
  ASSERT_EQ(init->keys.streams[0].mki.size(), 4u);

  const FixedClock responder_clock(kNow - absl::Seconds(1));
  absl::StatusOr<KeyResult> accepted =
      exchange::AcceptNull(init->i_message, {}, responder_clock);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ExpectStreams(*accepted, want);
  for (const StreamKeys& s : accepted->streams) {
    EXPECT_EQ(s.mki, init->keys.streams[0].mki);
  }
  ExpectSrtpRoundTrip(init->keys, *accepted, /*use_mki=*/true);
  ExpectSrtpRoundTrip(init->keys, *accepted, /*use_mki=*/false);
  if (per_stream_keys) {
    EXPECT_EQ(ExpectStreamKeysDiffer(init->keys, *accepted), 6);
  }

  // The same message through the PSK responder, MIKEY-NULL enabled.
  exchange::PskResponderOptions ro;
  ro.allow_mikey_null = true;
  exchange::PskResponse resp =
      exchange::RespondPsk(init->i_message, {}, ro, responder_clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  EXPECT_TRUE(resp.mikey_null);
  ASSERT_TRUE(resp.keys.has_value());
  ExpectStreams(*resp.keys, want);
  ExpectSrtpRoundTrip(init->keys, *resp.keys, /*use_mki=*/true);
}

INSTANTIATE_TEST_SUITE_P(
    AllSuites, LibsrtpNullTest,
    ::testing::Combine(::testing::ValuesIn(kProfiles), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<Profile, bool>>& i) {
      return absl::StrCat(std::get<0>(i.param).suite, std::get<1>(i.param)
                                                          ? "_PerStreamKeys"
                                                          : "_SharedKey");
    });

// Mixed key lengths need one key data per stream.
TEST(LibsrtpNullOptionsTest, MixedSuitesPerStreamKeys) {
  const std::vector<StreamSpec> want = {
      {0x00000101, 0, "AES_256_CM_HMAC_SHA1_80"},
      {0x00000202, 0, "AEAD_AES_128_GCM"},
      {0x00000303, 2, "NULL_HMAC_SHA1_80"}};
  exchange::NullInitiatorOptions io;
  for (const StreamSpec& w : want) {
    io.streams.push_back({w.ssrc, w.roc, PolicyOf(w.suite)});
  }
  io.per_stream_keys = true;
  io.mki = std::vector<uint8_t>{0x42};
  DeterministicRandom rng(99);
  const FixedClock clock(kNow);
  absl::StatusOr<exchange::PskInitiation> init =
      exchange::InitiateNull(io, clock, rng);
  ASSERT_TRUE(init.ok()) << init.status();
  absl::StatusOr<KeyResult> accepted =
      exchange::AcceptNull(init->i_message, {}, clock);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ExpectStreams(*accepted, want);
  ExpectSrtpRoundTrip(init->keys, *accepted, /*use_mki=*/true);
}

}  // namespace
}  // namespace mikey
