// MIKEY-NULL key transport between GStreamer (libgstsdp 1.22) and our
// exchange layer, in both directions, per stream (SSRC):
//
//  1. a MIKEY-NULL message GStreamer builds -- gst_mikey_message_new_from_caps
//     as gst-rtsp-server and rtspsrc send it (one TEK = key || salt), and
//     messages assembled through its C API with TEK+SALT key data, one per
//     stream or shared -- yields through AcceptNull, and through RespondPsk
//     with MIKEY-NULL explicitly enabled, exactly the master key and salt
//     GStreamer was given, for each SSRC of its CS ID map;
//  2. a message InitiateNull builds parses in GStreamer with, in its key data
//     sub-payloads (key_data, salt_data, SPI), the keys our Initiator holds
//     for each stream, and gst_mikey_message_to_caps (what rtspsrc does with
//     the KeyMgmt it receives) turns it into the srtp-key and the cipher and
//     auth names of the suite we sent.
//
// Every GStreamer call runs in a fork()ed child (gst_peer.h).

#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/srtp/suite.h"
#include "gtest/gtest.h"
#include "tests/interop/gst_peer.h"
#include "tests/interop/interop_util.h"

namespace mikey {
namespace interop {
namespace {

using exchange::FixedClock;
using exchange::KeyResult;
using exchange::StreamKeys;

// A key of `n` octets that differs per `tag`, so keys cannot be confused.
Bytes Pattern(size_t n, uint8_t tag) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(tag * 37 + i);
  return b;
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::string Hex(const SecretBytes& s) { return ToHex(s.span()); }

struct CsSpec {
  uint32_t ssrc;
  uint32_t roc;
};

// What every responder path must report for a stream.
struct WantStream {
  uint32_t ssrc;
  uint32_t roc;
  std::string suite;
  Bytes key;
  Bytes salt;
};

// The three ways our side takes a MIKEY-NULL message; each must give the
// same streams, and RespondPsk without MIKEY-NULL enabled must refuse it.
void ExpectAcceptedEverywhere(const Bytes& wire,
                              const std::vector<WantStream>& want,
                              const exchange::Clock& clock) {
  SCOPED_TRACE(absl::StrCat("message ", ToHex(wire)));
  auto check = [&want](const KeyResult& keys, const char* path) {
    SCOPED_TRACE(path);
    ASSERT_EQ(keys.streams.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const StreamKeys& s = keys.streams[i];
      EXPECT_EQ(s.ssrc, want[i].ssrc) << "stream " << i;
      EXPECT_EQ(s.roc, want[i].roc) << "stream " << i;
      ASSERT_NE(s.suite, nullptr);
      EXPECT_EQ(s.suite->name, want[i].suite) << "stream " << i;
      EXPECT_EQ(Hex(s.master_key), ToHex(want[i].key)) << "stream " << i;
      EXPECT_EQ(Hex(s.master_salt), ToHex(want[i].salt)) << "stream " << i;
    }
  };

  absl::StatusOr<KeyResult> accepted = exchange::AcceptNull(wire, {}, clock);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  check(*accepted, "AcceptNull");

  exchange::PskResponderOptions on;
  on.allow_mikey_null = true;
  exchange::PskResponse resp = exchange::RespondPsk(wire, {}, on, clock);
  ASSERT_TRUE(resp.status.ok()) << resp.status;
  EXPECT_TRUE(resp.mikey_null);
  EXPECT_TRUE(resp.reply.empty());
  ASSERT_TRUE(resp.keys.has_value());
  check(*resp.keys, "RespondPsk with MIKEY-NULL enabled");

  exchange::PskResponderOptions off;  // MIKEY-NULL not enabled
  exchange::PskResponse refused = exchange::RespondPsk(wire, {}, off, clock);
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kFailedPrecondition)
      << refused.status;
  EXPECT_FALSE(refused.keys.has_value());
}

// ---------------------------------------------------------------------------
// 1a. gst_mikey_message_new_from_caps (gst-rtsp-server's a=key-mgmt, rtspsrc
// in RECORD mode), with one CS per SSRC as gst-rtsp-server adds them.

struct FromCapsCase {
  const char* name;
  const char* cipher;  // srtp-cipher / srtcp-cipher caps value
  const char* auth;    // srtp-auth / srtcp-auth
  size_t key_len;      // master key octets
  size_t salt_len;     // master salt octets
  const char* suite;   // the suite these caps name (RFC 4568 / RFC 7714)
};

class GstFromCapsKeysTest : public ::testing::TestWithParam<FromCapsCase> {};

TEST_P(GstFromCapsKeysTest, OurResponderGetsTheCapsKeyPerSsrc) {
  const FromCapsCase& c = GetParam();
  const Bytes key = Pattern(c.key_len, 1);
  const Bytes salt = Pattern(c.salt_len, 2);
  const Bytes srtp_key = Concat(key, salt);
  const std::vector<CsSpec> cs = {{0x11111111, 0}, {0x22222222, 5}};
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([&]() -> GstMIKEYMessage* {
    g_setenv("GST_REGISTRY_DISABLE", "yes", TRUE);
    if (!gst_init_check(nullptr, nullptr, nullptr)) return nullptr;
    GstBuffer* buf = gst_buffer_new_memdup(srtp_key.data(), srtp_key.size());
    GstCaps* caps = gst_caps_new_simple(
        "application/x-srtp", "srtp-key", GST_TYPE_BUFFER, buf, "srtp-cipher",
        G_TYPE_STRING, c.cipher, "srtp-auth", G_TYPE_STRING, c.auth,
        "srtcp-cipher", G_TYPE_STRING, c.cipher, "srtcp-auth", G_TYPE_STRING,
        c.auth, nullptr);
    gst_buffer_unref(buf);
    GstMIKEYMessage* msg = gst_mikey_message_new_from_caps(caps);
    gst_caps_unref(caps);
    if (msg == nullptr) return nullptr;
    for (const CsSpec& s : cs) {
      gst_mikey_message_add_cs_srtp(msg, 0, s.ssrc, s.roc);
    }
    return msg;
  });
  ASSERT_TRUE(wire.ok()) << wire.status();

  std::vector<WantStream> want;
  for (const CsSpec& s : cs)
    want.push_back({s.ssrc, s.roc, c.suite, key, salt});
  // GStreamer stamps the current time (NTP-UTC).
  const FixedClock clock(absl::Now());
  ExpectAcceptedEverywhere(*wire, want, clock);
}

INSTANTIATE_TEST_SUITE_P(
    Ciphers, GstFromCapsKeysTest,
    ::testing::Values(
        FromCapsCase{"AesCm128HmacSha1_80", "aes-128-icm", "hmac-sha1-80", 16,
                     14, "AES_CM_128_HMAC_SHA1_80"},
        FromCapsCase{"AesCm128HmacSha1_32", "aes-128-icm", "hmac-sha1-32", 16,
                     14, "AES_CM_128_HMAC_SHA1_32"},
        FromCapsCase{"AesCm256HmacSha1_80", "aes-256-icm", "hmac-sha1-80", 32,
                     14, "AES_256_CM_HMAC_SHA1_80"},
        FromCapsCase{"AesCm256HmacSha1_32", "aes-256-icm", "hmac-sha1-32", 32,
                     14, "AES_256_CM_HMAC_SHA1_32"},
        FromCapsCase{"AeadAes128Gcm", "aes-128-gcm", "aes-128-gcm", 16, 12,
                     "AEAD_AES_128_GCM"},
        FromCapsCase{"AeadAes256Gcm", "aes-256-gcm", "aes-256-gcm", 32, 12,
                     "AEAD_AES_256_GCM"}),
    [](const ::testing::TestParamInfo<FromCapsCase>& info) {
      return std::string(info.param.name);
    });

// ---------------------------------------------------------------------------
// 1b. Messages assembled through GStreamer's C API with TEK+SALT key data
// (GStreamer sets the +SALT type itself when a salt is given).

struct GstKey {
  Bytes key;
  Bytes salt;  // empty: TEK holding key || salt
  Bytes spi;   // empty: no key validity
};

// Runs in the GStreamer child: HDR (PSK init, MIKEY-1, SRTP map), T
// (NTP-UTC `t`), RAND (16 octets) unless `no_rand`, one SP for
// AES_CM_128_HMAC_SHA1_80 as RFC 3830 writes it, KEMAC (NULL, NULL).
GstMIKEYMessage* BuildGstNull(uint32_t csb_id, const std::vector<CsSpec>& cs,
                              uint64_t t, bool no_rand,
                              const std::vector<GstKey>& keys) {
  GstMIKEYMessage* msg = gst_mikey_message_new();
  gst_mikey_message_set_info(msg, GST_MIKEY_VERSION, GST_MIKEY_TYPE_PSK_INIT,
                             FALSE, GST_MIKEY_PRF_MIKEY_1, csb_id,
                             GST_MIKEY_MAP_TYPE_SRTP);
  for (const CsSpec& s : cs)
    gst_mikey_message_add_cs_srtp(msg, 0, s.ssrc, s.roc);
  guint8 ts[8];
  for (int i = 0; i < 8; ++i) ts[i] = static_cast<guint8>(t >> (56 - 8 * i));
  gst_mikey_message_add_t(msg, GST_MIKEY_TS_TYPE_NTP_UTC, ts);
  if (!no_rand) gst_mikey_message_add_rand_len(msg, 16);
  GstMIKEYPayload* sp = gst_mikey_payload_new(GST_MIKEY_PT_SP);
  gst_mikey_payload_sp_set(sp, 0, GST_MIKEY_SEC_PROTO_SRTP);
  const std::pair<guint8, guint8> params[] = {
      {GST_MIKEY_SP_SRTP_ENC_ALG, 1},
      {GST_MIKEY_SP_SRTP_ENC_KEY_LEN, 16},
      {GST_MIKEY_SP_SRTP_AUTH_ALG, 1},
      {GST_MIKEY_SP_SRTP_AUTH_KEY_LEN, 20},
      {GST_MIKEY_SP_SRTP_SALT_KEY_LEN, 14},
      {GST_MIKEY_SP_SRTP_AUTH_TAG_LEN, 10}};
  for (const auto& p : params) {
    gst_mikey_payload_sp_add_param(sp, p.first, 1, &p.second);
  }
  gst_mikey_message_add_payload(msg, sp);
  GstMIKEYPayload* kemac = gst_mikey_payload_new(GST_MIKEY_PT_KEMAC);
  gst_mikey_payload_kemac_set(kemac, GST_MIKEY_ENC_NULL, GST_MIKEY_MAC_NULL);
  for (const GstKey& k : keys) {
    GstMIKEYPayload* kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
    gst_mikey_payload_key_data_set_key(
        kd, GST_MIKEY_KD_TEK, static_cast<guint16>(k.key.size()), k.key.data());
    if (!k.salt.empty()) {
      gst_mikey_payload_key_data_set_salt(
          kd, static_cast<guint16>(k.salt.size()), k.salt.data());
    }
    if (!k.spi.empty()) {
      gst_mikey_payload_key_data_set_spi(kd, static_cast<guint8>(k.spi.size()),
                                         k.spi.data());
    }
    gst_mikey_payload_kemac_add_sub(kemac, kd);
  }
  gst_mikey_message_add_payload(msg, kemac);
  return msg;
}

const absl::Time kNow = absl::FromUnixSeconds(1763800000);  // 2025-11-22

TEST(GstCApiKeysTest, TekSaltPerStreamGoesToItsSsrc) {
  const std::vector<CsSpec> cs = {
      {0xa0000001, 0}, {0xa0000002, 1}, {0xa0000003, 0x00010000}};
  std::vector<GstKey> keys;
  std::vector<WantStream> want;
  for (size_t i = 0; i < cs.size(); ++i) {
    GstKey k{Pattern(16, static_cast<uint8_t>(10 + i)),
             Pattern(14, static_cast<uint8_t>(20 + i)),
             {0, 0, 0, static_cast<uint8_t>(i + 1)}};
    want.push_back(
        {cs[i].ssrc, cs[i].roc, "AES_CM_128_HMAC_SHA1_80", k.key, k.salt});
    keys.push_back(std::move(k));
  }
  const uint64_t t = exchange::NtpFromTime(kNow);
  absl::StatusOr<Bytes> wire = BuildWithGstreamer(
      [&] { return BuildGstNull(0x0c0ffee0, cs, t, false, keys); });
  ASSERT_TRUE(wire.ok()) << wire.status();
  const FixedClock clock(kNow + absl::Seconds(3));
  ExpectAcceptedEverywhere(*wire, want, clock);

  // The SPI of each key data is its stream's MKI.
  absl::StatusOr<KeyResult> accepted = exchange::AcceptNull(*wire, {}, clock);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_EQ(accepted->streams.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(ToHex(accepted->streams[i].mki), ToHex(keys[i].spi));
  }
}

TEST(GstCApiKeysTest, OneTekSaltSharedByAllStreamsWithoutRand) {
  const std::vector<CsSpec> cs = {{0x0000abcd, 0}, {0x0000abce, 0}};
  const GstKey k{Pattern(16, 3), Pattern(14, 4), {}};
  std::vector<WantStream> want;
  for (const CsSpec& s : cs) {
    want.push_back({s.ssrc, s.roc, "AES_CM_128_HMAC_SHA1_80", k.key, k.salt});
  }
  const uint64_t t = exchange::NtpFromTime(kNow);
  absl::StatusOr<Bytes> wire = BuildWithGstreamer(
      [&] { return BuildGstNull(0x00000042, cs, t, /*no_rand=*/true, {k}); });
  ASSERT_TRUE(wire.ok()) << wire.status();
  ExpectAcceptedEverywhere(*wire, want, FixedClock(kNow));
}

TEST(GstCApiKeysTest, ThirtyOctetTekSplitsIntoKeyAndSalt) {
  const std::vector<CsSpec> cs = {{0x5eed0001, 0}};
  const Bytes key = Pattern(16, 7), salt = Pattern(14, 8);
  const GstKey k{Concat(key, salt), {}, {0xff, 0xee, 0xdd, 0xcc}};
  const uint64_t t = exchange::NtpFromTime(kNow);
  absl::StatusOr<Bytes> wire = BuildWithGstreamer(
      [&] { return BuildGstNull(0x00000043, cs, t, false, {k}); });
  ASSERT_TRUE(wire.ok()) << wire.status();
  ExpectAcceptedEverywhere(
      *wire, {{cs[0].ssrc, cs[0].roc, "AES_CM_128_HMAC_SHA1_80", key, salt}},
      FixedClock(kNow));
}

// ---------------------------------------------------------------------------
// 2. InitiateNull -> GStreamer.

srtp::SrtpPolicy PolicyOf(absl::string_view suite) {
  srtp::SrtpPolicy p;
  absl::StatusOr<const srtp::CryptoSuite*> s = srtp::FindSuite(suite);
  if (s.ok()) p.suite = *s;
  return p;
}

struct OursCase {
  const char* suite;
  // What gst_mikey_message_to_caps (1.22) names the SP we send: cipher from
  // the encryption algorithm and key length (16/32: aes-128/256-icm, or
  // -gcm for algorithm 6), auth from the authentication algorithm (0: null,
  // which is also its name for GCM's integrated authentication) and from SP
  // type 3 read as the TAG length (4: hmac-sha1-32, 10: hmac-sha1-80); any
  // other type-3 value leaves hmac-sha1-80, and type 11 is ignored.
  const char* gst_cipher;
  const char* gst_auth;
  // The SP dialect InitiateNull is asked for; absent: its default, which
  // must make GStreamer name the suite we sent.
  std::optional<srtp::SpDialect> dialect = std::nullopt;
};

void PrintTo(const OursCase& c, std::ostream* os) {
  *os << c.suite << (c.dialect ? " (explicit SP dialect)" : "");
}

const std::vector<CsSpec> kCs = {
    {0x01000001, 0}, {0x02000002, 4}, {0x03000003, 0}};

class OurNullInGstTest
    : public ::testing::TestWithParam<std::tuple<OursCase, bool>> {
 protected:
  void SetUp() override {
    const OursCase& c = std::get<0>(GetParam());
    exchange::NullInitiatorOptions io;
    for (const CsSpec& s : kCs)
      io.streams.push_back({s.ssrc, s.roc, PolicyOf(c.suite)});
    io.per_stream_keys = std::get<1>(GetParam());
    if (c.dialect) io.sp_dialect = *c.dialect;
    DeterministicRandom rng(0x6e756c6c + io.per_stream_keys);
    absl::StatusOr<exchange::PskInitiation> init =
        exchange::InitiateNull(io, FixedClock(kNow), rng);
    ASSERT_TRUE(init.ok()) << init.status();
    init_ = *std::move(init);
    ASSERT_EQ(init_.keys.streams.size(), kCs.size());
  }

  exchange::PskInitiation init_;
};

TEST_P(OurNullInGstTest, GstreamerReadsEachStreamsKeyAndSalt) {
  GstParseResult r = ParseWithGstreamer(init_.i_message);
  ASSERT_TRUE(r.outcome.ok()) << r.Describe();
  ASSERT_TRUE(r.parsed) << r.Describe();
  const GstMessageView& v = r.view;
  EXPECT_EQ(v.type, GST_MIKEY_TYPE_PSK_INIT);
  EXPECT_EQ(v.map_type, GST_MIKEY_MAP_TYPE_SRTP);
  ASSERT_EQ(v.cs.size(), kCs.size());
  for (size_t i = 0; i < kCs.size(); ++i) {
    EXPECT_EQ(v.cs[i].ssrc, kCs[i].ssrc);
    EXPECT_EQ(v.cs[i].roc, kCs[i].roc);
  }
  const GstPayloadView* kemac = nullptr;
  for (const GstPayloadView& p : v.payloads) {
    if (p.type == GST_MIKEY_PT_KEMAC) kemac = &p;
  }
  ASSERT_NE(kemac, nullptr);
  EXPECT_EQ(kemac->enc_alg, GST_MIKEY_ENC_NULL);
  EXPECT_EQ(kemac->mac_alg, GST_MIKEY_MAC_NULL);
  EXPECT_EQ(kemac->kemac_other_subs, 0);
  const bool per_stream = std::get<1>(GetParam());
  ASSERT_EQ(kemac->key_data.size(), per_stream ? kCs.size() : 1u);
  for (size_t i = 0; i < kCs.size(); ++i) {
    const StreamKeys& s = init_.keys.streams[i];
    const GstKeyDataView& kd = kemac->key_data[per_stream ? i : 0];
    SCOPED_TRACE(absl::StrCat("SSRC ", s.ssrc));
    EXPECT_EQ(kd.key_type, GST_MIKEY_KD_TEK);
    // Key and salt as GStreamer reads them: from a TEK+SALT, key_data and
    // salt_data; from a TEK, key_data holds key || salt.
    const Bytes key_and_salt = Concat(kd.key, kd.salt);
    ASSERT_EQ(key_and_salt.size(),
              s.suite->master_key_length + s.suite->master_salt_length);
    EXPECT_EQ(ToHex(absl::MakeConstSpan(key_and_salt)
                        .first(s.suite->master_key_length)),
              Hex(s.master_key));
    EXPECT_EQ(ToHex(absl::MakeConstSpan(key_and_salt)
                        .subspan(s.suite->master_key_length)),
              Hex(s.master_salt));
    EXPECT_EQ(kd.kv_type, GST_MIKEY_KV_SPI);
    EXPECT_EQ(ToHex(kd.kv0), ToHex(s.mki));
  }
}

// rtspsrc turns the KeyMgmt it receives into SRTP caps with
// gst_mikey_message_to_caps: the srtp-key must be the first stream's key ||
// salt, and the cipher and auth names those of the suite we sent.
TEST_P(OurNullInGstTest, GstreamerToCapsGivesTheSrtpKeyAndSuite) {
  const OursCase& c = std::get<0>(GetParam());
  ChildOutcome out = RunIsolated(
      [this]() -> std::string {
        g_setenv("GST_REGISTRY_DISABLE", "yes", TRUE);
        if (!gst_init_check(nullptr, nullptr, nullptr)) return "no gst_init";
        GstMIKEYMessage* msg = gst_mikey_message_new_from_data(
            init_.i_message.data(), init_.i_message.size(), nullptr, nullptr);
        if (msg == nullptr) return "parse failed";
        GstCaps* caps = gst_caps_new_empty_simple("application/x-srtp");
        const gboolean ok = gst_mikey_message_to_caps(msg, caps);
        gst_mikey_message_unref(msg);
        std::string out = ok ? "OK" : "to_caps failed";
        const GstStructure* st = gst_caps_get_structure(caps, 0);
        for (const char* f :
             {"srtp-cipher", "srtp-auth", "srtcp-cipher", "srtcp-auth"}) {
          const gchar* v = gst_structure_get_string(st, f);
          absl::StrAppend(&out, " ", v != nullptr ? v : "-");
        }
        const GValue* key = gst_structure_get_value(st, "srtp-key");
        GstBuffer* buf = key != nullptr ? gst_value_get_buffer(key) : nullptr;
        GstMapInfo info;
        if (buf != nullptr && gst_buffer_map(buf, &info, GST_MAP_READ)) {
          absl::StrAppend(&out, " ",
                          ToHex(absl::MakeConstSpan(info.data, info.size)));
          gst_buffer_unmap(buf, &info);
        } else {
          absl::StrAppend(&out, " -");
        }
        gst_caps_unref(caps);
        return out;
      },
      absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.Describe();
  const StreamKeys& s0 = init_.keys.streams[0];
  EXPECT_EQ(out.output, absl::StrCat("OK ", c.gst_cipher, " ", c.gst_auth, " ",
                                     c.gst_cipher, " ", c.gst_auth, " ",
                                     Hex(s0.master_key), Hex(s0.master_salt)));
}

INSTANTIATE_TEST_SUITE_P(
    Suites, OurNullInGstTest,
    ::testing::Combine(
        ::testing::Values(
            OursCase{"AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80"},
            OursCase{"AES_256_CM_HMAC_SHA1_80", "aes-256-icm", "hmac-sha1-80"},
            OursCase{"AEAD_AES_128_GCM", "aes-128-gcm", "null"},
            OursCase{"AEAD_AES_256_GCM", "aes-256-gcm", "null"},
            OursCase{"NULL_HMAC_SHA1_80", "null", "hmac-sha1-80"},
            // The _32 suites: by default InitiateNull writes SP type 3 as the
            // tag length (4) for them, which GStreamer reads as 32-bit tags
            // (and our responder, like any RFC 3830 reader, still gets the
            // tag length from type 11).
            OursCase{"AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-32"},
            OursCase{"AES_256_CM_HMAC_SHA1_32", "aes-256-icm", "hmac-sha1-32"},
            OursCase{"NULL_HMAC_SHA1_32", "null", "hmac-sha1-32"},
            // Why that is the default: the RFC 3830 form (type 3 = 20, the
            // HMAC key length) of a _32 suite is read by GStreamer as an
            // 80-bit tag, so a GStreamer receiver would expect the wrong tag
            // length. Pinned so that a change in GStreamer shows up here.
            OursCase{"AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-80",
                     srtp::SpDialect::kRfc3830}),
        ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<OursCase, bool>>& info) {
      std::string name;
      for (absl::string_view part :
           absl::StrSplit(std::get<0>(info.param).suite, '_')) {
        absl::StrAppend(&name, part);
      }
      if (std::get<0>(info.param).dialect) absl::StrAppend(&name, "_RfcSp");
      return absl::StrCat(
          name, std::get<1>(info.param) ? "_PerStreamKeys" : "_SharedKey");
    });

}  // namespace
}  // namespace interop
}  // namespace mikey
