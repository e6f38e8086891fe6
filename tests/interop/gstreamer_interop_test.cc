// Our codec against GStreamer's MIKEY implementation (libgstsdp 1.22):
//
//  1. messages GStreamer builds through its C API parse in ours with the
//     field values that were handed to GStreamer;
//  2. messages we build parse in GStreamer with the field values that were
//     handed to SerializeMessage, read back through GStreamer's structs;
//  3. GStreamer's own MIKEY-NULL builder (gst_mikey_message_new_from_caps,
//     what rtspsrc and gst-rtsp-server send) parses in ours;
//  4. payloads GStreamer cannot parse (its parser hangs on them) are only
//     ever given to it in a child process with a deadline.
//
// Every GStreamer call runs in a fork()ed child (gst_peer.h), so neither a
// hang nor a crash in GStreamer can take this test process with it.
//
// What GStreamer can represent limits what is compared: HDR (SRTP-ID map
// only), T, RAND, SP, KEMAC with NULL encryption and MAC carrying Key data
// sub-payloads, and PKE. The other payloads are exercised against Wireshark
// in tshark_interop_test.

#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/message/message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/gst_peer.h"
#include "tests/interop/interop_util.h"

namespace mikey {
namespace interop {
namespace {

// ---------------------------------------------------------------------------
// A MIKEY message in the subset both implementations can express, used to
// build the message on either side and as the expected values on the other.

struct KeySpec {
  uint8_t wire_type;  // 0 TGK, 1 TGK+SALT, 2 TEK, 3 TEK+SALT
  Bytes key;
  std::optional<Bytes> salt;  // present iff wire_type is odd
  uint8_t kv = key_validity::kNull;
  Bytes spi;                   // kv == SPI
  Bytes valid_from, valid_to;  // kv == Interval
};

struct Spec {
  std::string name;
  uint8_t data_type = data_type::kPskInit;
  bool v_flag = false;
  uint8_t prf = prf_func::kMikey1;
  uint32_t csb_id = 0;
  std::vector<SrtpCsEntry> cs;
  // Payloads, in this order when present.
  std::optional<std::pair<uint8_t, uint64_t>> t;  // TS type, value
  std::optional<Bytes> rand;
  struct Sp {
    uint8_t policy_no;
    std::vector<std::pair<uint8_t, Bytes>> params;
  };
  std::vector<Sp> sps;
  std::optional<std::vector<KeySpec>> kemac;     // NULL encryption, NULL MAC
  std::optional<std::pair<uint8_t, Bytes>> pke;  // C, data

  std::vector<uint8_t> PayloadTypes() const {
    std::vector<uint8_t> v;
    if (t) v.push_back(payload_type::kT);
    if (rand) v.push_back(payload_type::kRand);
    for (size_t i = 0; i < sps.size(); ++i) v.push_back(payload_type::kSp);
    if (kemac) v.push_back(payload_type::kKemac);
    if (pke) v.push_back(payload_type::kPke);
    return v;
  }
};

Bytes TsBytes(uint8_t ts_type, uint64_t value) {
  const int n = ts_type == ts_type::kCounter ? 4 : 8;
  Bytes out;
  for (int i = n - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return out;
}

// The specs shared by both directions.
std::vector<Spec> Specs() {
  std::vector<Spec> v;
  {
    // The common MIKEY-NULL shape: one stream, NTP-UTC, 16-octet RAND, the
    // RFC 3830 SRTP defaults, key and salt as TEK+SALT with an SPI/MKI.
    Spec s;
    s.name = "OneStreamTekSaltSpi";
    s.csb_id = 0x8a3f0c11;
    s.cs = {{0, 0xdeadbeef, 0}};
    s.t = {{ts_type::kNtpUtc, 0xe99d415d80000000ULL}};
    s.rand = FromHex("6a1e97b2c0d45f3388aa01fe7c5b2d90");
    s.sps = {{0,
              {{0, {1}},
               {1, {16}},
               {2, {1}},
               {3, {20}},
               {4, {14}},
               {5, {0}},
               {6, {0}},
               {7, {1}},
               {8, {1}},
               {9, {0}},
               {10, {1}},
               {11, {10}},
               {12, {0}}}}};
    s.kemac = std::vector<KeySpec>{{key_data_type::kTekSalt,
                                    FromHex("e1f97a0d3b0f6f2e4d9c8a7b6a5f4e3d"),
                                    FromHex("0ec675ad498afeebb6960b3aabe6"),
                                    key_validity::kSpi,
                                    FromHex("00000001"),
                                    {},
                                    {}}};
    v.push_back(s);
  }
  {
    // Two streams with ROCs, a COUNTER timestamp, two policies, and two key
    // data sub-payloads: a bare TGK and a TEK with a validity interval.
    Spec s;
    s.name = "TwoStreamsTwoKeysCounter";
    s.csb_id = 0x00000001;
    s.cs = {{1, 0x11223344, 0}, {2, 0x55667788, 0x0000ffff}};
    s.t = {{ts_type::kCounter, 0x0000002a}};
    s.rand = FromHex(
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    s.sps = {{1, {{0, {1}}, {1, {16}}, {2, {1}}, {11, {4}}}},
             {2, {{0, {6}}, {1, {32}}, {2, {0}}, {4, {12}}, {20, {16}}}}};
    s.kemac = std::vector<KeySpec>{{key_data_type::kTgk,
                                    FromHex("3c4fcfa1c2f2a1d0e9b8c7d6e5f4a3b2c1"
                                            "d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6"),
                                    std::nullopt,
                                    key_validity::kNull,
                                    {},
                                    {},
                                    {}},
                                   {key_data_type::kTek,
                                    FromHex("0102030405060708090a0b0c0d0e0f10"),
                                    std::nullopt,
                                    key_validity::kInterval,
                                    {},
                                    FromHex("000000000001"),
                                    FromHex("00000000ffff")}};
    v.push_back(s);
  }
  {
    // What Live555 and ONVIF send: key || salt as one 30-octet TEK, 4-octet
    // MKI, no RAND.
    Spec s;
    s.name = "ThirtyOctetTekNoRand";
    s.csb_id = 0x5a17c0de;
    s.cs = {{0, 0x2d0b9e41, 7}};
    s.t = {{ts_type::kNtpUtc, 0x01d38e19cef95c3dULL}};
    s.sps = {{0, {{0, {1}}, {1, {16}}, {2, {1}}, {3, {20}}, {11, {10}}}}};
    s.kemac = std::vector<KeySpec>{
        {key_data_type::kTek,
         FromHex(
             "bda3dabdd1b7c37d5ab8cb6d2405880d6f359913066a29debcef7d3e6d40"),
         std::nullopt,
         key_validity::kSpi,
         FromHex("0000002f"),
         {},
         {}}};
    v.push_back(s);
  }
  {
    // Header flags and values GStreamer stores without interpreting: the V
    // flag, PRF MIKEY-256, a verification message type, no crypto session.
    Spec s;
    s.name = "VerifyFlagPrf256NoCs";
    s.data_type = data_type::kPskVerify;
    s.v_flag = true;
    s.prf = prf_func::kMikey256;
    s.csb_id = 0xffffffff;
    s.t = {{ts_type::kNtp, 0xebe861ba40000000ULL}};
    v.push_back(s);
  }
  {
    // A TGK+SALT (type 1) and an SP parameter type unknown to both sides,
    // with a multi-octet value.
    Spec s;
    s.name = "TgkSaltAndOpaqueSpParam";
    s.csb_id = 0x01020304;
    s.cs = {{0, 0, 0}};  // SSRC unknown to the initiator (RFC 3830 6.1.1)
    s.t = {{ts_type::kNtpUtc, 0x0000000100000002ULL}};
    s.rand = Bytes(16, 0x00);
    s.sps = {{0, {{200, FromHex("cafe0102")}, {0, {0}}}}};
    s.kemac = std::vector<KeySpec>{{key_data_type::kTgkSalt,
                                    FromHex("ff00ff00ff00ff00ff00ff00ff00ff00"),
                                    FromHex("a5a5a5a5a5a5a5a5a5a5a5a5"),
                                    key_validity::kNull,
                                    {},
                                    {},
                                    {}}};
    v.push_back(s);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Building a Spec on each side.

// Runs in the GStreamer child.
GstMIKEYMessage* BuildGst(const Spec& s) {
  GstMIKEYMessage* msg = gst_mikey_message_new();
  gst_mikey_message_set_info(
      msg, GST_MIKEY_VERSION, static_cast<GstMIKEYType>(s.data_type), s.v_flag,
      static_cast<GstMIKEYPRFFunc>(s.prf), s.csb_id, GST_MIKEY_MAP_TYPE_SRTP);
  for (const SrtpCsEntry& cs : s.cs) {
    gst_mikey_message_add_cs_srtp(msg, cs.policy_no, cs.ssrc, cs.roc);
  }
  if (s.t) {
    Bytes ts = TsBytes(s.t->first, s.t->second);
    gst_mikey_message_add_t(msg, static_cast<GstMIKEYTSType>(s.t->first),
                            ts.data());
  }
  if (s.rand) {
    gst_mikey_message_add_rand(msg, static_cast<guint8>(s.rand->size()),
                               s.rand->data());
  }
  for (const Spec::Sp& sp : s.sps) {
    GstMIKEYPayload* p = gst_mikey_payload_new(GST_MIKEY_PT_SP);
    gst_mikey_payload_sp_set(p, sp.policy_no, GST_MIKEY_SEC_PROTO_SRTP);
    for (const auto& param : sp.params) {
      gst_mikey_payload_sp_add_param(p, param.first,
                                     static_cast<guint8>(param.second.size()),
                                     param.second.data());
    }
    gst_mikey_message_add_payload(msg, p);
  }
  if (s.kemac) {
    GstMIKEYPayload* kemac = gst_mikey_payload_new(GST_MIKEY_PT_KEMAC);
    gst_mikey_payload_kemac_set(kemac, GST_MIKEY_ENC_NULL, GST_MIKEY_MAC_NULL);
    for (const KeySpec& k : *s.kemac) {
      GstMIKEYPayload* kd = gst_mikey_payload_new(GST_MIKEY_PT_KEY_DATA);
      // GStreamer knows TGK and TEK; it sets the "+SALT" bit itself when a
      // salt is present.
      gst_mikey_payload_key_data_set_key(
          kd, static_cast<GstMIKEYKeyDataType>(k.wire_type & 2),
          static_cast<guint16>(k.key.size()), k.key.data());
      if (k.salt) {
        gst_mikey_payload_key_data_set_salt(
            kd, static_cast<guint16>(k.salt->size()), k.salt->data());
      }
      if (k.kv == key_validity::kSpi) {
        gst_mikey_payload_key_data_set_spi(
            kd, static_cast<guint8>(k.spi.size()), k.spi.data());
      } else if (k.kv == key_validity::kInterval) {
        gst_mikey_payload_key_data_set_interval(
            kd, static_cast<guint8>(k.valid_from.size()), k.valid_from.data(),
            static_cast<guint8>(k.valid_to.size()), k.valid_to.data());
      }
      gst_mikey_payload_kemac_add_sub(kemac, kd);
    }
    gst_mikey_message_add_payload(msg, kemac);
  }
  if (s.pke) {
    gst_mikey_message_add_pke(msg, static_cast<GstMIKEYCacheType>(s.pke->first),
                              static_cast<guint16>(s.pke->second.size()),
                              s.pke->second.data());
  }
  return msg;
}

absl::StatusOr<Message> BuildOurs(const Spec& s) {
  Message m;
  m.header.version = 1;
  m.header.data_type = s.data_type;
  m.header.v_flag = s.v_flag;
  m.header.prf_func = s.prf;
  m.header.csb_id = s.csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  m.header.srtp_map = s.cs;
  if (s.t) m.payloads.push_back(TimestampPayload{s.t->first, s.t->second});
  if (s.rand) m.payloads.push_back(RandPayload{*s.rand});
  for (const Spec::Sp& sp : s.sps) {
    SecurityPolicyPayload p;
    p.policy_no = sp.policy_no;
    p.prot_type = sp_prot_type::kSrtp;
    for (const auto& param : sp.params) {
      p.params.push_back(PolicyParam{param.first, param.second});
    }
    m.payloads.push_back(p);
  }
  if (s.kemac) {
    std::vector<KeyDataPayload> keys;
    for (const KeySpec& k : *s.kemac) {
      KeyDataPayload kd;
      kd.type = k.wire_type;
      kd.key = SecretBytes(k.key);
      if (k.salt) kd.salt = SecretBytes(*k.salt);
      kd.validity.type = k.kv;
      kd.validity.spi = k.spi;
      kd.validity.valid_from = k.valid_from;
      kd.validity.valid_to = k.valid_to;
      keys.push_back(std::move(kd));
    }
    absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(keys);
    if (!chain.ok()) return chain.status();
    KemacPayload kemac;
    kemac.encr_alg = encr_alg::kNull;
    kemac.encr_data.assign(chain->data(), chain->data() + chain->size());
    kemac.mac_alg = mac_alg::kNull;
    m.payloads.push_back(kemac);
  }
  if (s.pke) m.payloads.push_back(PkePayload{s.pke->first, s.pke->second});
  return m;
}

// ---------------------------------------------------------------------------
// Comparing each side's parse with the Spec.

void ExpectOursMatches(const Message& m, const Spec& s) {
  EXPECT_EQ(m.header.version, 1);
  EXPECT_EQ(m.header.data_type, s.data_type);
  EXPECT_EQ(m.header.v_flag, s.v_flag);
  EXPECT_EQ(m.header.prf_func, s.prf);
  EXPECT_EQ(m.header.csb_id, s.csb_id);
  EXPECT_EQ(m.header.cs_id_map_type, cs_id_map_type::kSrtpId);
  EXPECT_EQ(m.header.srtp_map, s.cs);

  std::vector<uint8_t> types;
  for (const Payload& p : m.payloads) types.push_back(PayloadTypeOf(p));
  ASSERT_EQ(types, s.PayloadTypes());

  if (s.t) {
    const TimestampPayload* t = m.Find<TimestampPayload>();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->ts_type, s.t->first);
    EXPECT_EQ(t->value, s.t->second);
  }
  if (s.rand) {
    ASSERT_NE(m.Find<RandPayload>(), nullptr);
    EXPECT_EQ(ToHex(m.Find<RandPayload>()->rand), ToHex(*s.rand));
  }
  std::vector<const SecurityPolicyPayload*> sps =
      m.FindAll<SecurityPolicyPayload>();
  ASSERT_EQ(sps.size(), s.sps.size());
  for (size_t i = 0; i < sps.size(); ++i) {
    EXPECT_EQ(sps[i]->policy_no, s.sps[i].policy_no);
    EXPECT_EQ(sps[i]->prot_type, sp_prot_type::kSrtp);
    ASSERT_EQ(sps[i]->params.size(), s.sps[i].params.size());
    for (size_t k = 0; k < sps[i]->params.size(); ++k) {
      EXPECT_EQ(sps[i]->params[k].type, s.sps[i].params[k].first);
      EXPECT_EQ(ToHex(sps[i]->params[k].value),
                ToHex(s.sps[i].params[k].second));
    }
  }
  if (s.kemac) {
    const KemacPayload* kemac = m.Find<KemacPayload>();
    ASSERT_NE(kemac, nullptr);
    EXPECT_EQ(kemac->encr_alg, encr_alg::kNull);
    EXPECT_EQ(kemac->mac_alg, mac_alg::kNull);
    EXPECT_TRUE(kemac->mac.empty());
    absl::StatusOr<std::vector<KeyDataPayload>> keys =
        ParseKeyDataList(kemac->encr_data);
    ASSERT_TRUE(keys.ok()) << keys.status();
    ASSERT_EQ(keys->size(), s.kemac->size());
    for (size_t i = 0; i < keys->size(); ++i) {
      const KeyDataPayload& got = (*keys)[i];
      const KeySpec& want = (*s.kemac)[i];
      EXPECT_EQ(got.type, want.wire_type) << "key data #" << i + 1;
      EXPECT_EQ(ToHex(got.key.span()), ToHex(want.key));
      ASSERT_EQ(got.salt.has_value(), want.salt.has_value());
      if (want.salt) {
        EXPECT_EQ(ToHex(got.salt->span()), ToHex(*want.salt));
      }
      EXPECT_EQ(got.validity.type, want.kv);
      EXPECT_EQ(ToHex(got.validity.spi), ToHex(want.spi));
      EXPECT_EQ(ToHex(got.validity.valid_from), ToHex(want.valid_from));
      EXPECT_EQ(ToHex(got.validity.valid_to), ToHex(want.valid_to));
    }
  }
  if (s.pke) {
    const PkePayload* pke = m.Find<PkePayload>();
    ASSERT_NE(pke, nullptr);
    EXPECT_EQ(pke->cache, s.pke->first);
    EXPECT_EQ(ToHex(pke->data), ToHex(s.pke->second));
  }
}

void ExpectGstMatches(const GstMessageView& v, const Spec& s) {
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(v.type, s.data_type);
  EXPECT_EQ(v.v, s.v_flag);
  EXPECT_EQ(v.prf, s.prf);
  EXPECT_EQ(v.csb_id, s.csb_id);
  EXPECT_EQ(v.map_type, GST_MIKEY_MAP_TYPE_SRTP);
  ASSERT_EQ(v.cs.size(), s.cs.size());
  for (size_t i = 0; i < v.cs.size(); ++i) {
    EXPECT_EQ(v.cs[i].policy, s.cs[i].policy_no);
    EXPECT_EQ(v.cs[i].ssrc, s.cs[i].ssrc);
    EXPECT_EQ(v.cs[i].roc, s.cs[i].roc);
  }
  std::vector<int> types;
  for (const GstPayloadView& p : v.payloads) types.push_back(p.type);
  std::vector<uint8_t> want_types = s.PayloadTypes();
  ASSERT_EQ(types, std::vector<int>(want_types.begin(), want_types.end()));

  size_t sp_index = 0;
  for (const GstPayloadView& p : v.payloads) {
    switch (p.type) {
      case GST_MIKEY_PT_T:
        EXPECT_EQ(p.ts_type, s.t->first);
        EXPECT_EQ(ToHex(p.ts_value), ToHex(TsBytes(s.t->first, s.t->second)));
        break;
      case GST_MIKEY_PT_RAND:
        EXPECT_EQ(ToHex(p.rand), ToHex(*s.rand));
        break;
      case GST_MIKEY_PT_SP: {
        const Spec::Sp& sp = s.sps[sp_index++];
        EXPECT_EQ(p.policy, sp.policy_no);
        EXPECT_EQ(p.proto, GST_MIKEY_SEC_PROTO_SRTP);
        ASSERT_EQ(p.params.size(), sp.params.size());
        for (size_t k = 0; k < p.params.size(); ++k) {
          EXPECT_EQ(p.params[k].type, sp.params[k].first);
          EXPECT_EQ(ToHex(p.params[k].value), ToHex(sp.params[k].second));
        }
        break;
      }
      case GST_MIKEY_PT_KEMAC: {
        EXPECT_EQ(p.enc_alg, GST_MIKEY_ENC_NULL);
        EXPECT_EQ(p.mac_alg, GST_MIKEY_MAC_NULL);
        EXPECT_EQ(p.kemac_other_subs, 0);
        ASSERT_EQ(p.key_data.size(), s.kemac->size());
        for (size_t i = 0; i < p.key_data.size(); ++i) {
          const GstKeyDataView& got = p.key_data[i];
          const KeySpec& want = (*s.kemac)[i];
          // GStreamer stores TGK/TEK in key_type and the +SALT bit as the
          // presence of salt data.
          EXPECT_EQ(got.key_type, want.wire_type & 2) << "key data #" << i + 1;
          EXPECT_EQ(ToHex(got.key), ToHex(want.key));
          EXPECT_EQ(ToHex(got.salt), want.salt ? ToHex(*want.salt) : "");
          EXPECT_EQ(got.kv_type, want.kv);
          if (want.kv == key_validity::kSpi) {
            EXPECT_EQ(ToHex(got.kv0), ToHex(want.spi));
          } else if (want.kv == key_validity::kInterval) {
            EXPECT_EQ(ToHex(got.kv0), ToHex(want.valid_from));
            EXPECT_EQ(ToHex(got.kv1), ToHex(want.valid_to));
          }
        }
        break;
      }
      case GST_MIKEY_PT_PKE:
        EXPECT_EQ(p.pke_c, s.pke->first);
        EXPECT_EQ(ToHex(p.pke_data), ToHex(s.pke->second));
        break;
      default:
        ADD_FAILURE() << "GStreamer reported payload type " << p.type;
    }
  }
}

// ---------------------------------------------------------------------------
// Both directions over the shared specs.

class GstInteropTest : public ::testing::TestWithParam<Spec> {};

TEST_P(GstInteropTest, GstreamerBuiltParsesInOurs) {
  const Spec s = GetParam();
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([&s] { return BuildGst(s); });
  ASSERT_TRUE(wire.ok()) << wire.status();
  SCOPED_TRACE(absl::StrCat("GStreamer wrote ", ToHex(*wire)));
  absl::StatusOr<Message> parsed = ParseMessage(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectOursMatches(*parsed, s);
}

TEST_P(GstInteropTest, OursParsesInGstreamer) {
  const Spec s = GetParam();
  absl::StatusOr<Message> m = BuildOurs(s);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<Bytes> wire = SerializeMessage(*m);
  ASSERT_TRUE(wire.ok()) << wire.status();
  SCOPED_TRACE(absl::StrCat("we wrote ", ToHex(*wire)));
  GstParseResult r = ParseWithGstreamer(*wire);
  ASSERT_TRUE(r.outcome.ok()) << r.Describe();
  ASSERT_TRUE(r.parsed) << r.Describe();
  ExpectGstMatches(r.view, s);
}

// Both serializers agree octet for octet on what both can express (we
// compute lengths and next-payload fields ourselves; so does GStreamer).
TEST_P(GstInteropTest, BothSerializersWriteTheSameOctets) {
  const Spec s = GetParam();
  absl::StatusOr<Bytes> theirs =
      BuildWithGstreamer([&s] { return BuildGst(s); });
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  absl::StatusOr<Message> m = BuildOurs(s);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<Bytes> ours = SerializeMessage(*m);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(ToHex(*ours), ToHex(*theirs));
}

INSTANTIATE_TEST_SUITE_P(Shapes, GstInteropTest, ::testing::ValuesIn(Specs()),
                         [](const ::testing::TestParamInfo<Spec>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Known answers and GStreamer's own builders.

// GStreamer's unit test (tests/check/libs/mikey.c) serializes this header
// to 01 00 00 00 12 34 56 78 00 00; we read it and write it back the same.
TEST(GstHeaderTest, HeaderOnlyMessageMatchesGstreamersKnownBytes) {
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([] {
    GstMIKEYMessage* msg = gst_mikey_message_new();
    gst_mikey_message_set_info(msg, 1, GST_MIKEY_TYPE_PSK_INIT, FALSE,
                               GST_MIKEY_PRF_MIKEY_1, 0x12345678,
                               GST_MIKEY_MAP_TYPE_SRTP);
    return msg;
  });
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), "01000000123456780000");
  absl::StatusOr<Message> parsed = ParseMessage(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->header.csb_id, 0x12345678u);
  EXPECT_EQ(parsed->header.cs_count(), 0u);
  EXPECT_TRUE(parsed->payloads.empty());
  absl::StatusOr<Bytes> again = SerializeMessage(*parsed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToHex(*again), "01000000123456780000");
}

// gst_mikey_message_add_t_now_ntp_utc stamps the current time: ours must
// read an NTP-UTC value between the clock readings around the call.
TEST(GstHeaderTest, NowNtpUtcTimestampReadsAsTheCurrentTime) {
  const uint64_t kNtpUnixOffset = 2208988800ULL;
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([] {
    GstMIKEYMessage* msg = gst_mikey_message_new();
    gst_mikey_message_set_info(msg, 1, GST_MIKEY_TYPE_PSK_INIT, FALSE,
                               GST_MIKEY_PRF_MIKEY_1, 7,
                               GST_MIKEY_MAP_TYPE_SRTP);
    gst_mikey_message_add_t_now_ntp_utc(msg);
    return msg;
  });
  const int64_t after = absl::ToUnixSeconds(absl::Now());
  ASSERT_TRUE(wire.ok()) << wire.status();
  absl::StatusOr<Message> parsed = ParseMessage(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const TimestampPayload* t = parsed->Find<TimestampPayload>();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ts_type, ts_type::kNtpUtc);
  const int64_t seconds = static_cast<int64_t>(t->value >> 32) -
                          static_cast<int64_t>(kNtpUnixOffset);
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, after + 1);
}

// The MIKEY-NULL message GStreamer itself sends (rtspsrc's KeyMgmt header,
// gst-rtsp-server's SDP key-mgmt attribute): gst_mikey_message_new_from_caps
// plus the crypto sessions gst-rtsp-server adds. Expected values are those
// GStreamer's gstmikey.c derives from the caps (read in its source).
struct FromCapsCase {
  const char* name;
  const char* cipher;
  const char* auth;
  size_t key_len;
  std::vector<std::pair<uint8_t, Bytes>> expected_sp;
};

class GstFromCapsTest : public ::testing::TestWithParam<FromCapsCase> {};

TEST_P(GstFromCapsTest, ParsesInOurs) {
  const FromCapsCase& c = GetParam();
  Bytes srtp_key(c.key_len);
  for (size_t i = 0; i < srtp_key.size(); ++i) {
    srtp_key[i] = static_cast<uint8_t>(0xa0 + i);
  }
  const uint32_t kSsrc = 0x3456789a, kRoc = 5;
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([&]() -> GstMIKEYMessage* {
    // Caps and buffers need GStreamer initialised (in the child only); no
    // plugin registry is needed for this.
    g_setenv("GST_REGISTRY_DISABLE", "yes", TRUE);
    if (!gst_init_check(nullptr, nullptr, nullptr)) return nullptr;
    GstBuffer* key = gst_buffer_new_memdup(srtp_key.data(), srtp_key.size());
    GstCaps* caps = gst_caps_new_simple(
        "application/x-srtp", "srtp-key", GST_TYPE_BUFFER, key, "srtp-cipher",
        G_TYPE_STRING, c.cipher, "srtp-auth", G_TYPE_STRING, c.auth,
        "srtcp-cipher", G_TYPE_STRING, c.cipher, "srtcp-auth", G_TYPE_STRING,
        c.auth, nullptr);
    gst_buffer_unref(key);
    GstMIKEYMessage* msg = gst_mikey_message_new_from_caps(caps);
    gst_caps_unref(caps);
    if (msg != nullptr) gst_mikey_message_add_cs_srtp(msg, 0, kSsrc, kRoc);
    return msg;
  });
  ASSERT_TRUE(wire.ok()) << wire.status();
  SCOPED_TRACE(absl::StrCat("GStreamer wrote ", ToHex(*wire)));
  absl::StatusOr<Message> parsed = ParseMessage(*wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Message& m = *parsed;
  EXPECT_EQ(m.header.data_type, data_type::kPskInit);
  EXPECT_FALSE(m.header.v_flag);
  EXPECT_EQ(m.header.srtp_map, (std::vector<SrtpCsEntry>{{0, kSsrc, kRoc}}));
  std::vector<uint8_t> types;
  for (const Payload& p : m.payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types,
            (std::vector<uint8_t>{payload_type::kT, payload_type::kRand,
                                  payload_type::kSp, payload_type::kKemac}));
  ASSERT_NE(m.Find<TimestampPayload>(), nullptr);
  EXPECT_EQ(m.Find<TimestampPayload>()->ts_type, ts_type::kNtpUtc);
  ASSERT_NE(m.Find<RandPayload>(), nullptr);
  EXPECT_EQ(m.Find<RandPayload>()->rand.size(), 16u);
  const SecurityPolicyPayload* sp = m.Find<SecurityPolicyPayload>();
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(sp->policy_no, 0);
  std::vector<std::pair<uint8_t, Bytes>> params;
  for (const PolicyParam& p : sp->params) params.push_back({p.type, p.value});
  EXPECT_EQ(params, c.expected_sp);
  const KemacPayload* kemac = m.Find<KemacPayload>();
  ASSERT_NE(kemac, nullptr);
  auto keys = ParseKeyDataList(kemac->encr_data);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  // The whole srtp-key (master key || master salt) as one TEK, KV NULL.
  EXPECT_EQ((*keys)[0].type, key_data_type::kTek);
  EXPECT_EQ(ToHex((*keys)[0].key.span()), ToHex(srtp_key));
  EXPECT_FALSE((*keys)[0].salt.has_value());
  EXPECT_EQ((*keys)[0].validity.type, key_validity::kNull);
}

INSTANTIATE_TEST_SUITE_P(
    Ciphers, GstFromCapsTest,
    ::testing::Values(
        // AES_CM_128_HMAC_SHA1_80: GStreamer puts the tag length (10) where
        // RFC 3830 wants the auth key length (20): a deployed quirk.
        FromCapsCase{"AesCm128HmacSha1_80",
                     "aes-128-icm",
                     "hmac-sha1-80",
                     30,
                     {{0, {1}},
                      {1, {16}},
                      {2, {1}},
                      {3, {10}},
                      {7, {1}},
                      {8, {1}},
                      {10, {1}}}},
        // AEAD_AES_256_GCM: encryption algorithm 6, NULL auth, auth key
        // length 0; key 32 + salt 12 in one TEK.
        FromCapsCase{"AeadAes256Gcm",
                     "aes-256-gcm",
                     "aes-256-gcm",
                     44,
                     {{0, {6}},
                      {1, {32}},
                      {2, {0}},
                      {3, {0}},
                      {7, {1}},
                      {8, {1}},
                      {10, {1}}}}),
    [](const ::testing::TestParamInfo<FromCapsCase>& info) {
      return std::string(info.param.name);
    });

// GStreamer 1.22 writes the PKE header as (C << 14) || (len & 0x3fff) -- a
// logical OR -- so the 14-bit data length goes out as 1 whatever the data.
// Such a PKE cannot be read by anyone; ours must refuse it rather than read
// one octet of data and misparse the rest. If a fixed GStreamer writes the
// real length, ours must read it exactly.
TEST(GstPkeTest, GstreamersPkeLengthFieldIsRefusedUnlessCorrect) {
  Bytes data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  absl::StatusOr<Bytes> wire = BuildWithGstreamer([&data] {
    GstMIKEYMessage* msg = gst_mikey_message_new();
    gst_mikey_message_set_info(msg, 1, GST_MIKEY_TYPE_PK_INIT, FALSE,
                               GST_MIKEY_PRF_MIKEY_1, 0x0badcafe,
                               GST_MIKEY_MAP_TYPE_SRTP);
    gst_mikey_message_add_pke(msg, GST_MIKEY_CACHE_FOR_CSB,
                              static_cast<guint16>(data.size()), data.data());
    return msg;
  });
  ASSERT_TRUE(wire.ok()) << wire.status();
  // HDR (10 octets) | PKE: next, C|len (2 octets), data.
  ASSERT_EQ(wire->size(), 10u + 3u + data.size());
  const uint16_t c_len = static_cast<uint16_t>((*wire)[11] << 8 | (*wire)[12]);
  absl::StatusOr<Message> parsed = ParseMessage(*wire);
  if (c_len == ((2u << 14) | data.size())) {
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_NE(parsed->Find<PkePayload>(), nullptr);
    EXPECT_EQ(parsed->Find<PkePayload>()->cache, 2);
    EXPECT_EQ(ToHex(parsed->Find<PkePayload>()->data), ToHex(data));
  } else {
    std::printf("GStreamer wrote PKE C|len = 0x%04x for C=2, len=%zu\n", c_len,
                data.size());
    EXPECT_EQ(c_len, 0x0001) << "GStreamer's PKE writer changed";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// Our PKE (a PK-init-shaped HDR, T, RAND, PKE; GStreamer cannot take the
// KEMAC a real PK message has: in PK mode it expects an ID sub-payload and
// hangs) reads back in GStreamer with the right cache flag and data.
TEST(GstPkeTest, OurPkeParsesInGstreamer) {
  Spec s;
  s.data_type = data_type::kPkInit;
  s.csb_id = 0x0badcafe;
  s.cs = {{0, 0x01010101, 0}};
  s.t = {{ts_type::kNtpUtc, 0xe99d415d00000000ULL}};
  s.rand = Bytes(16, 0x42);
  Bytes data(256);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(255 - i);
  s.pke = {{2, data}};
  absl::StatusOr<Message> m = BuildOurs(s);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<Bytes> wire = SerializeMessage(*m);
  ASSERT_TRUE(wire.ok()) << wire.status();
  GstParseResult r = ParseWithGstreamer(*wire);
  ASSERT_TRUE(r.outcome.ok()) << r.Describe();
  ASSERT_TRUE(r.parsed) << r.Describe();
  ExpectGstMatches(r.view, s);
}

// ---------------------------------------------------------------------------
// Payloads GStreamer lacks. Its parser has no case that steps over DH, SIGN,
// ID, CERT, CHASH, V, ERR or General Extension, so it spins forever; we only
// ever hand such messages to it in a child with a deadline. Acceptable
// outcomes: the deadline passes (GStreamer 1.22), or GStreamer refuses the
// message. Not acceptable: a crash, or GStreamer claiming success with the
// payloads it does know read wrongly.

struct UnsupportedCase {
  const char* name;
  uint8_t data_type;
  Payload payload;
};

class GstUnsupportedPayloadTest
    : public ::testing::TestWithParam<UnsupportedCase> {};

TEST_P(GstUnsupportedPayloadTest, IsContainedAndNeverMisread) {
  const UnsupportedCase& c = GetParam();
  Message m;
  m.header.data_type = c.data_type;
  m.header.csb_id = 0x01020304;
  m.header.srtp_map = {{0, 0xaabbccdd, 0}};
  m.payloads.push_back(
      TimestampPayload{ts_type::kNtpUtc, 0xe99d415d00000000ULL});
  m.payloads.push_back(RandPayload{Bytes(16, 0x11)});
  m.payloads.push_back(c.payload);
  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  ASSERT_TRUE(wire.ok()) << wire.status();

  const absl::Time start = absl::Now();
  GstParseResult r = ParseWithGstreamer(*wire, absl::Seconds(1));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  std::printf("%s: %s\n", c.name, r.Describe().c_str());
  ASSERT_NE(r.outcome.kind, ChildOutcome::kSignaled) << r.Describe();
  if (r.parsed) {
    // A GStreamer that learnt these payloads must still read T and RAND.
    ASSERT_GE(r.view.payloads.size(), 2u);
    EXPECT_EQ(r.view.payloads[0].type, GST_MIKEY_PT_T);
    EXPECT_EQ(ToHex(r.view.payloads[0].ts_value), "e99d415d00000000");
    EXPECT_EQ(r.view.payloads[1].type, GST_MIKEY_PT_RAND);
    EXPECT_EQ(ToHex(r.view.payloads[1].rand), std::string(32, '1'));
  } else {
    EXPECT_TRUE(r.outcome.kind == ChildOutcome::kTimedOut || r.outcome.ok())
        << r.Describe();
  }
}

Bytes Filled(size_t n, uint8_t v) { return Bytes(n, v); }

// A NULL-encrypted KEMAC holding one 30-octet TEK.
KemacPayload KemacWithOneTek() {
  KeyDataPayload kd;
  kd.type = key_data_type::kTek;
  kd.key = SecretBytes(Filled(30, 0x88));
  std::vector<KeyDataPayload> keys;
  keys.push_back(std::move(kd));
  absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(keys);
  KemacPayload k;
  if (chain.ok())
    k.encr_data.assign(chain->data(), chain->data() + chain->size());
  return k;
}

// A KEMAC with no key data and an HMAC-SHA-1 MAC (RFC 4650 DHHMAC).
KemacPayload MacOnlyKemac() {
  KemacPayload k;
  k.mac_alg = mac_alg::kHmacSha1_160;
  k.mac = Filled(20, 0x99);
  return k;
}

INSTANTIATE_TEST_SUITE_P(
    Payloads, GstUnsupportedPayloadTest,
    ::testing::Values(
        UnsupportedCase{"Dh", data_type::kDhInit,
                        DhPayload{dh_group::kOakley1, Filled(96, 0x33), {}}},
        UnsupportedCase{"Sign", data_type::kPkInit,
                        SignPayload{sign_type::kRsaPkcs1, Filled(128, 0x44)}},
        UnsupportedCase{
            "Id", data_type::kPskInit,
            IdPayload{id_type::kUri, Bytes{'s', 'i', 'p', ':', 'a', '@', 'b'}}},
        UnsupportedCase{"Cert", data_type::kPkInit,
                        CertPayload{cert_type::kX509v3, Filled(40, 0x30)}},
        UnsupportedCase{"Chash", data_type::kPkInit,
                        ChashPayload{hash_func::kSha1, Filled(20, 0x55)}},
        UnsupportedCase{
            "V", data_type::kPskVerify,
            VerificationPayload{mac_alg::kHmacSha1_160, Filled(20, 0x66)}},
        UnsupportedCase{"Err", data_type::kError,
                        ErrorPayload{error_no::kInvalidTs, 0}},
        UnsupportedCase{
            "GeneralExtension", data_type::kPskInit,
            GeneralExtensionPayload{gen_ext_type::kVendorId, Filled(8, 0x77)}},
        // A KEMAC outside PSK init: in a PK init GStreamer expects an ID
        // sub-payload first (and spins on it); in other data types it
        // refuses the KEMAC.
        UnsupportedCase{"KemacInPkInit", data_type::kPkInit, KemacWithOneTek()},
        UnsupportedCase{"KemacInDhhmacInit", data_type::kDhhmacInit,
                        MacOnlyKemac()}),
    [](const ::testing::TestParamInfo<UnsupportedCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace interop
}  // namespace mikey
