// Our parser on MIKEY-NULL messages in the shapes deployed senders produce
// (GStreamer, gst-rtsp-server, gortsplib, Live555, ONVIF devices and
// clients; see dialect_samples.cc and testdata/README.md). Expected values
// are those written next to each hand-assembled sample; peers_test checks
// the same samples against GStreamer's and Wireshark's parsers.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/message/message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/dialect_samples.h"
#include "tests/interop/interop_util.h"

namespace mikey {
namespace interop {
namespace {

std::string SampleName(const ::testing::TestParamInfo<size_t>& info) {
  return DialectSamples()[info.param].name;
}

std::vector<size_t> SampleIndexes() {
  std::vector<size_t> v;
  for (size_t i = 0; i < DialectSamples().size(); ++i) v.push_back(i);
  return v;
}

class DialectTest : public ::testing::TestWithParam<size_t> {
 protected:
  const DialectSample& sample() const { return DialectSamples()[GetParam()]; }
};

// The seed-corpus file is exactly the hand-assembled message.
TEST_P(DialectTest, TestDataFileIsTheHandAssembly) {
  absl::StatusOr<std::string> text =
      ReadFile(RunfilePath(DialectSamplePath(sample())));
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Bytes> wire = DecodeBase64(*text);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(ToHex(*wire), ToHex(sample().wire));
}

TEST_P(DialectTest, ParsesToTheSendersFieldValues) {
  const DialectSample& s = sample();
  SCOPED_TRACE(absl::StrCat("source: ", s.source, "; quirks: ", s.quirks));
  absl::StatusOr<Message> parsed = ParseMessage(s.wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Message& m = *parsed;

  EXPECT_EQ(m.header.version, 1);
  EXPECT_EQ(m.header.data_type, data_type::kPskInit);
  EXPECT_FALSE(m.header.v_flag);
  EXPECT_EQ(m.header.prf_func, prf_func::kMikey1);
  EXPECT_EQ(m.header.csb_id, s.csb_id);
  EXPECT_EQ(m.header.cs_id_map_type, cs_id_map_type::kSrtpId);
  ASSERT_EQ(m.header.srtp_map.size(), s.cs.size());
  EXPECT_EQ(m.header.cs_count(), s.cs.size());
  for (size_t i = 0; i < s.cs.size(); ++i) {
    EXPECT_EQ(m.header.srtp_map[i].policy_no, s.cs[i].policy_no);
    EXPECT_EQ(m.header.srtp_map[i].ssrc, s.cs[i].ssrc);
    EXPECT_EQ(m.header.srtp_map[i].roc, s.cs[i].roc);
  }

  std::vector<uint8_t> types;
  for (const Payload& p : m.payloads) types.push_back(PayloadTypeOf(p));
  EXPECT_EQ(types, s.payload_types);

  const TimestampPayload* t = m.Find<TimestampPayload>();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ts_type, s.ts_type);
  // The codec keeps the value verbatim, FILETIME or not: judging clock skew
  // is the replay check's business, not the parser's.
  EXPECT_EQ(t->value, s.ts_value);

  const RandPayload* rand = m.Find<RandPayload>();
  if (s.rand_hex.empty()) {
    EXPECT_EQ(rand, nullptr);
  } else {
    ASSERT_NE(rand, nullptr);
    EXPECT_EQ(ToHex(rand->rand), s.rand_hex);
  }

  const SecurityPolicyPayload* sp = m.Find<SecurityPolicyPayload>();
  if (s.sp_params.empty()) {
    EXPECT_EQ(sp, nullptr);
  } else {
    ASSERT_NE(sp, nullptr);
    EXPECT_EQ(sp->policy_no, 0);
    EXPECT_EQ(sp->prot_type, sp_prot_type::kSrtp);
    std::vector<std::pair<uint8_t, std::string>> got;
    for (const PolicyParam& p : sp->params)
      got.push_back({p.type, ToHex(p.value)});
    // Values are kept as sent, including gst-rtsp-server 1.4's auth alg 16.
    EXPECT_EQ(got, s.sp_params);
  }

  const KemacPayload* kemac = m.Find<KemacPayload>();
  ASSERT_NE(kemac, nullptr);
  EXPECT_EQ(kemac->encr_alg, encr_alg::kNull);
  EXPECT_EQ(kemac->mac_alg, mac_alg::kNull);
  EXPECT_TRUE(kemac->mac.empty());
  absl::StatusOr<std::vector<KeyDataPayload>> keys =
      ParseKeyDataList(kemac->encr_data);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  const KeyDataPayload& kd = (*keys)[0];
  EXPECT_EQ(kd.type, s.key.type);
  EXPECT_EQ(ToHex(kd.key.span()), s.key.key_hex);
  if (s.key.salt_hex.empty()) {
    EXPECT_FALSE(kd.salt.has_value());
  } else {
    ASSERT_TRUE(kd.salt.has_value());
    EXPECT_EQ(ToHex(kd.salt->span()), s.key.salt_hex);
  }
  EXPECT_EQ(kd.validity.type, s.key.kv);
  EXPECT_EQ(ToHex(kd.validity.spi), s.key.spi_hex);
}

// What we parse, we write back octet for octet (the codec's round-trip
// promise, checked on real-world shapes).
TEST_P(DialectTest, SerializesBackToTheSameOctets) {
  absl::StatusOr<Message> parsed = ParseMessage(sample().wire);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<Bytes> again = SerializeMessage(*parsed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ToHex(*again), ToHex(sample().wire));

  const KemacPayload* kemac = parsed->Find<KemacPayload>();
  ASSERT_NE(kemac, nullptr);
  absl::StatusOr<std::vector<KeyDataPayload>> keys =
      ParseKeyDataList(kemac->encr_data);
  ASSERT_TRUE(keys.ok()) << keys.status();
  absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(*keys);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(ToHex(chain->span()), ToHex(kemac->encr_data));
}

// Every proper prefix of a real message is truncated somewhere, and one
// extra octet is trailing data: all must be refused with INVALID_ARGUMENT
// (and never crash or read past the end; run under --config=asan too).
TEST_P(DialectTest, TruncatedOrExtendedCopiesAreRefused) {
  const Bytes& wire = sample().wire;
  for (size_t n = 0; n < wire.size(); ++n) {
    absl::StatusOr<Message> parsed =
        ParseMessage(absl::MakeConstSpan(wire.data(), n));
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << "prefix of " << n << " octets";
  }
  Bytes longer = wire;
  longer.push_back(0x00);
  EXPECT_EQ(ParseMessage(longer).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(DeployedSenders, DialectTest,
                         ::testing::ValuesIn(SampleIndexes()), SampleName);

// A few quirks spelled out on their own, so a failure names the quirk.

const DialectSample& SampleNamed(const std::string& name) {
  for (const DialectSample& s : DialectSamples()) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no sample " << name;
  return DialectSamples().front();
}

TEST(DialectQuirksTest, ThirtyOctetTekCarriesKeyAndSaltInOneField) {
  // GStreamer, gortsplib, Live555 and ONVIF (for AES_CM_128_HMAC_SHA1_80)
  // send master key || master salt as a single TEK (type 2), not TEK+SALT.
  for (const char* name :
       {"gstreamer_from_caps", "gortsplib", "live555", "onvif_setup"}) {
    absl::StatusOr<Message> m = ParseMessage(SampleNamed(name).wire);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    auto keys = ParseKeyDataList(m->Find<KemacPayload>()->encr_data);
    ASSERT_TRUE(keys.ok()) << name << ": " << keys.status();
    EXPECT_EQ((*keys)[0].type, key_data_type::kTek) << name;
    EXPECT_EQ((*keys)[0].key.size(), 30u) << name;
    EXPECT_FALSE((*keys)[0].salt.has_value()) << name;
  }
}

TEST(DialectQuirksTest, SpiMkiOfFourOctets) {
  for (const char* name :
       {"live555", "onvif_setup", "onvif_rekey", "onvif_aes_gcm"}) {
    absl::StatusOr<Message> m = ParseMessage(SampleNamed(name).wire);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    auto keys = ParseKeyDataList(m->Find<KemacPayload>()->encr_data);
    ASSERT_TRUE(keys.ok()) << name << ": " << keys.status();
    EXPECT_EQ((*keys)[0].validity.type, key_validity::kSpi) << name;
    EXPECT_EQ((*keys)[0].validity.spi.size(), 4u) << name;
  }
}

TEST(DialectQuirksTest, AuthKeyLengthTenIsKeptAsSent) {
  for (const char* name : {"gstreamer_from_caps", "gst_rtsp_server_1_4"}) {
    absl::StatusOr<Message> m = ParseMessage(SampleNamed(name).wire);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    const PolicyParam* p =
        m->Find<SecurityPolicyPayload>()->Find(srtp_param::kAuthKeyLen);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(p->value, Bytes{10}) << name;
  }
}

TEST(DialectQuirksTest, NoRandPayload) {
  for (const char* name : {"onvif_setup", "onvif_rekey"}) {
    absl::StatusOr<Message> m = ParseMessage(SampleNamed(name).wire);
    ASSERT_TRUE(m.ok()) << name << ": " << m.status();
    EXPECT_EQ(m->Find<RandPayload>(), nullptr) << name;
  }
}

TEST(DialectQuirksTest, WindowsFiletimeInTimestamp) {
  absl::StatusOr<Message> m = ParseMessage(SampleNamed("onvif_setup").wire);
  ASSERT_TRUE(m.ok()) << m.status();
  const TimestampPayload* t = m->Find<TimestampPayload>();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ts_type, ts_type::kNtpUtc);
  EXPECT_EQ(t->value, 0x01d38e19cef95c3dULL);
  // As NTP its seconds field is 0x01d38e19 (about 1 year after 1900); as a
  // FILETIME (100 ns ticks since 1601) it is 2018-01-15. Checked here so the
  // arithmetic behind MIKEY-NOTES' claim stays visible.
  EXPECT_EQ(t->value >> 32, 0x01d38e19u);
  const uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;  // 1970 in ticks
  const uint64_t unix_seconds = (t->value - kFiletimeUnixEpoch) / 10000000ULL;
  EXPECT_GE(unix_seconds, 1515974400u);  // 2018-01-15 00:00:00 UTC
  EXPECT_LT(unix_seconds, 1516060800u);  // 2018-01-16 00:00:00 UTC
}

}  // namespace
}  // namespace interop
}  // namespace mikey
