// Tests for the MIKEY message codec. Every expected wire image below is
// written out by hand from the RFC field layouts (RFC 3830 §6, RFC 6043 §6.1
// and §6.6, RFC 6509 §4.2), never produced by the serializer under test.

#include "core/message/message.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bytes/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// Helpers.

// Hex digits; spaces, '|' and newlines are ignored (they mark fields).
Bytes H(const std::string& hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == '|' || c == '\n') continue;
    int v = std::isdigit(static_cast<unsigned char>(c))
                ? c - '0'
                : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits in " << hex;
  return out;
}

// n octets start, start+1, ... (opaque filler for keys, MACs, values).
Bytes Seq(size_t n, uint8_t start) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(start + i);
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }

SecretBytes Secret(const Bytes& b) { return SecretBytes(b); }

// A PSK-init header, V=0, MIKEY-1, CSB ID 0x01020304, no CS, SRTP-ID map,
// whose next payload is `next`: 10 octets.
Bytes Hdr(uint8_t next) {
  Bytes h = H("01 | 00 | 00 | 00 | 01 02 03 04 | 00 | 00");
  h[2] = next;
  return h;
}

CommonHeader DefaultHeader() {
  CommonHeader h;
  h.csb_id = 0x01020304;
  return h;
}

Message OnePayload(Payload p) {
  Message m;
  m.header = DefaultHeader();
  m.payloads.push_back(std::move(p));
  return m;
}

void ExpectInvalid(const absl::Status& s,
                   std::initializer_list<std::string> parts) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  for (const std::string& part : parts) {
    EXPECT_THAT(std::string(s.message()), HasSubstr(part));
  }
}

// ---------------------------------------------------------------------------
// One well-formed message per payload form: its hand-written wire image and
// the value it must parse to (and serialize from).

struct GoldenCase {
  std::string name;
  Bytes wire;
  Message message;
};

// gtest prints parameters on failure: the name says enough.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

std::vector<GoldenCase> GoldenCases() {
  std::vector<GoldenCase> cases;

  // KEMAC (§6.2): next | Encr alg | Encr data len(16) | Encr data |
  // MAC alg | MAC.
  {
    KemacPayload k;
    k.encr_alg = encr_alg::kAesKw128;
    k.encr_data = H("de ad be ef");
    k.mac_alg = mac_alg::kHmacSha1_160;
    k.mac = Seq(20, 0x00);
    cases.push_back(
        {"KemacHmacSha1",
         Cat({Hdr(1), H("00 | 02 | 00 04 | de ad be ef | 01"), Seq(20, 0x00)}),
         OnePayload(k)});
  }
  {
    KemacPayload k;
    k.encr_alg = encr_alg::kAesCm128;
    k.encr_data = H("01 02 03");
    k.mac_alg = mac_alg::kHmacSha256_256;
    k.mac = Seq(32, 0x80);
    cases.push_back(
        {"KemacHmacSha256",
         Cat({Hdr(1), H("00 | 01 | 00 03 | 01 02 03 | 02"), Seq(32, 0x80)}),
         OnePayload(k)});
  }
  {
    KemacPayload k;  // NULL / NULL, empty data
    cases.push_back(
        {"KemacNull", Cat({Hdr(1), H("00 | 00 | 00 00 | 00")}), OnePayload(k)});
  }
  // PKE (§6.3): next | C(2) Data len(14) | Data. 0x8003 = C 2, len 3.
  {
    PkePayload p;
    p.cache = 2;
    p.data = H("aa bb cc");
    cases.push_back(
        {"Pke", Cat({Hdr(2), H("00 | 80 03 | aa bb cc")}), OnePayload(p)});
  }
  // DH (§6.4): next | DH-Group | DH-value | Reserv(4) KV(4) | KV data.
  {
    DhPayload d;
    d.group = dh_group::kOakley1;  // 96-octet value
    d.value = Seq(96, 0x40);
    d.validity.type = key_validity::kSpi;
    d.validity.spi = H("ab cd");
    cases.push_back(
        {"DhOakley1Spi",
         Cat({Hdr(3), H("00 | 01"), Seq(96, 0x40), H("01 | 02 ab cd")}),
         OnePayload(d)});
  }
  {
    DhPayload d;
    d.group = dh_group::kOakley5;  // 192-octet value, KV NULL
    d.value = Seq(192, 0x10);
    cases.push_back({"DhOakley5",
                     Cat({Hdr(3), H("00 | 00"), Seq(192, 0x10), H("00")}),
                     OnePayload(d)});
  }
  {
    DhPayload d;
    d.group = dh_group::kOakley2;  // 128 octets, interval validity
    d.value = Seq(128, 0x20);
    d.validity.type = key_validity::kInterval;
    d.validity.valid_from = H("11");
    d.validity.valid_to = H("22 33");
    cases.push_back({"DhOakley2Interval",
                     Cat({Hdr(3), H("00 | 02"), Seq(128, 0x20),
                          H("02 | 01 11 | 02 22 33")}),
                     OnePayload(d)});
  }
  {
    DhPayload d;
    d.group = dh_group::kX25519Private;  // 32 octets
    d.value = Seq(32, 0x01);
    cases.push_back({"DhX25519",
                     Cat({Hdr(3), H("00 | ff"), Seq(32, 0x01), H("00")}),
                     OnePayload(d)});
  }
  // SIGN (§6.5): S type(4) Signature len(12) | Signature; no next payload.
  // 0x2005 = ECCSI (2), 5 octets.
  {
    SignPayload s;
    s.type = sign_type::kEccsi;
    s.signature = H("01 02 03 04 05");
    cases.push_back({"SignEccsi", Cat({Hdr(4), H("20 05 | 01 02 03 04 05")}),
                     OnePayload(s)});
  }
  {
    SignPayload s;
    s.type = sign_type::kRsaPss;  // 0x1000 | 0 octets
    cases.push_back({"SignEmpty", Cat({Hdr(4), H("10 00")}), OnePayload(s)});
  }
  // T (§6.6): next | TS type | TS value. The ONVIF sample's NTP-UTC value.
  {
    TimestampPayload t;
    t.ts_type = ts_type::kNtpUtc;
    t.value = 0x01d38e19cef95c3dULL;
    cases.push_back({"TNtpUtc",
                     Cat({Hdr(5), H("00 | 00 | 01 d3 8e 19 ce f9 5c 3d")}),
                     OnePayload(t)});
  }
  {
    TimestampPayload t;
    t.ts_type = ts_type::kNtp;
    t.value = 0xfedcba9876543210ULL;
    cases.push_back({"TNtp",
                     Cat({Hdr(5), H("00 | 01 | fe dc ba 98 76 54 32 10")}),
                     OnePayload(t)});
  }
  {
    TimestampPayload t;
    t.ts_type = ts_type::kCounter;
    t.value = 42;
    cases.push_back(
        {"TCounter", Cat({Hdr(5), H("00 | 02 | 00 00 00 2a")}), OnePayload(t)});
  }
  {
    TimestampPayload t;
    t.ts_type = ts_type::kNtpUtc32;
    t.value = 0xdeadbeef;
    cases.push_back({"TNtpUtc32", Cat({Hdr(5), H("00 | 03 | de ad be ef")}),
                     OnePayload(t)});
  }
  // ID (§6.7): next | ID type | ID len(16) | ID data.
  {
    IdPayload id;
    id.id_type = id_type::kUri;
    id.data = Ascii("sip:a");
    cases.push_back({"IdUri",
                     Cat({Hdr(6), H("00 | 01 | 00 05 | 73 69 70 3a 61")}),
                     OnePayload(id)});
  }
  // CERT (§6.7): next | Cert type | Cert len(16) | Certificate.
  {
    CertPayload c;
    c.cert_type = cert_type::kX509v3Sign;
    c.data = H("30 03 01 02 03");
    cases.push_back({"Cert",
                     Cat({Hdr(7), H("00 | 02 | 00 05 | 30 03 01 02 03")}),
                     OnePayload(c)});
  }
  // CHASH (§6.8): next | Hash func | Hash (SHA-1 20, MD5 16 octets).
  {
    ChashPayload c;
    c.hash_func = hash_func::kSha1;
    c.hash = Seq(20, 0xa0);
    cases.push_back({"ChashSha1", Cat({Hdr(8), H("00 | 00"), Seq(20, 0xa0)}),
                     OnePayload(c)});
  }
  {
    ChashPayload c;
    c.hash_func = hash_func::kMd5;
    c.hash = Seq(16, 0xb0);
    cases.push_back({"ChashMd5", Cat({Hdr(8), H("00 | 01"), Seq(16, 0xb0)}),
                     OnePayload(c)});
  }
  // V (§6.9): next | Auth alg | Ver data.
  {
    VerificationPayload v;
    v.auth_alg = mac_alg::kHmacSha1_160;
    v.mac = Seq(20, 0x30);
    cases.push_back({"VHmacSha1", Cat({Hdr(9), H("00 | 01"), Seq(20, 0x30)}),
                     OnePayload(v)});
  }
  {
    VerificationPayload v;
    v.auth_alg = mac_alg::kHmacSha256_256;
    v.mac = Seq(32, 0x50);
    cases.push_back({"VHmacSha256", Cat({Hdr(9), H("00 | 02"), Seq(32, 0x50)}),
                     OnePayload(v)});
  }
  {
    VerificationPayload v;
    v.auth_alg = mac_alg::kNull;
    cases.push_back({"VNull", Cat({Hdr(9), H("00 | 00")}), OnePayload(v)});
  }
  // SP (§6.10): next | Policy no | Prot type | Policy param length(16) |
  // {Type Length Value}. Order kept, unknown type 0x7e (empty) and 0x63
  // (2 octets) kept. 3+3+3+3+2+4 = 18 = 0x12.
  {
    SecurityPolicyPayload sp;
    sp.policy_no = 5;
    sp.prot_type = sp_prot_type::kSrtp;
    sp.params = {{srtp_param::kEncrAlg, H("01")},
                 {srtp_param::kEncrKeyLen, H("10")},
                 {srtp_param::kAuthAlg, H("01")},
                 {srtp_param::kAuthKeyLen, H("0a")},
                 {0x7e, {}},
                 {0x63, H("aa bb")}};
    cases.push_back({"Sp",
                     Cat({Hdr(10), H("00 | 05 | 00 | 00 12 |"
                                     "00 01 01 | 01 01 10 | 02 01 01 |"
                                     "03 01 0a | 7e 00 | 63 02 aa bb")}),
                     OnePayload(sp)});
  }
  // A 4-octet key derivation rate and a 9-octet value of unknown type 0x40
  // (longer than a parameter value held inline). 6+11 = 17 = 0x11.
  {
    SecurityPolicyPayload sp;
    sp.policy_no = 1;
    sp.params = {{srtp_param::kKeyDerivationRate, H("00 01 00 00")},
                 {0x40, Seq(9, 0x90)}};
    cases.push_back({"SpLongValues",
                     Cat({Hdr(10), H("00 | 01 | 00 | 00 11 |"
                                     "06 04 00 01 00 00 |"
                                     "40 09 90 91 92 93 94 95 96 97 98")}),
                     OnePayload(sp)});
  }
  {
    SecurityPolicyPayload sp;  // no parameters at all
    sp.policy_no = 0;
    cases.push_back(
        {"SpEmpty", Cat({Hdr(10), H("00 | 00 | 00 | 00 00")}), OnePayload(sp)});
  }
  // RAND (§6.11): next | RAND len | RAND. Short RANDs parse.
  {
    RandPayload r;
    r.rand = Seq(16, 0x60);
    cases.push_back(
        {"Rand16", Cat({Hdr(11), H("00 | 10"), Seq(16, 0x60)}), OnePayload(r)});
  }
  {
    RandPayload r;
    r.rand = H("01 02 03 04");
    cases.push_back({"RandShort", Cat({Hdr(11), H("00 | 04 | 01 02 03 04")}),
                     OnePayload(r)});
  }
  {
    RandPayload r;
    r.rand = Seq(255, 0x00);
    cases.push_back({"Rand255", Cat({Hdr(11), H("00 | ff"), Seq(255, 0x00)}),
                     OnePayload(r)});
  }
  // ERR (§6.12): next | Error no | Reserved(16).
  {
    ErrorPayload e;
    e.error_no = error_no::kInvalidMac;
    cases.push_back(
        {"Err", Cat({Hdr(12), H("00 | 03 | 00 00")}), OnePayload(e)});
  }
  {
    ErrorPayload e;
    e.error_no = error_no::kUnspecified;
    e.reserved = 0x1234;
    cases.push_back(
        {"ErrReserved", Cat({Hdr(12), H("00 | 0c | 12 34")}), OnePayload(e)});
  }
  // IDR (RFC 6043 §6.6): next | ID role | ID type | ID len(16) | ID data.
  {
    IdrPayload idr;
    idr.role = 1;  // IDRi
    idr.id_type = id_type::kUri;
    idr.data = Ascii("abc");
    cases.push_back({"Idr",
                     Cat({Hdr(14), H("00 | 01 | 01 | 00 03 | 61 62 63")}),
                     OnePayload(idr)});
  }
  // General Extension (§6.15): next | Type | Length(16) | Data.
  {
    GeneralExtensionPayload g;
    g.type = gen_ext_type::kSdpIds;
    g.data = H("01 02 03");
    cases.push_back({"GenExt", Cat({Hdr(21), H("00 | 01 | 00 03 | 01 02 03")}),
                     OnePayload(g)});
  }
  // SAKKE (RFC 6509 §4.2): next | SAKKE params | ID scheme |
  // SAKKE data length(16) | SAKKE data.
  {
    SakkePayload s;
    s.params = 1;
    s.id_scheme = 2;
    s.data = H("04 aa bb cc");
    cases.push_back({"Sakke",
                     Cat({Hdr(26), H("00 | 01 | 02 | 00 04 | 04 aa bb cc")}),
                     OnePayload(s)});
  }

  // Common header forms.
  // GStreamer's header unit test: PSK init, V=0, MIKEY-1, CSB 0x12345678,
  // SRTP-ID map, no CS.
  {
    Message m;
    m.header.csb_id = 0x12345678;
    cases.push_back(
        {"HdrGStreamerExample", H("01 00 00 00 12 34 56 78 00 00"), m});
  }
  // SRTP-ID map, two entries of Policy_no(8) SSRC(32) ROC(32); V=1, PRF 1.
  {
    Message m;
    m.header.data_type = data_type::kPskInit;
    m.header.v_flag = true;
    m.header.prf_func = prf_func::kMikey256;
    m.header.csb_id = 0xdeadbeef;
    m.header.srtp_map = {{1, 0x11223344, 0}, {2, 0x55667788, 1}};
    cases.push_back({"HdrSrtpMap",
                     H("01 | 00 | 00 | 81 | de ad be ef | 02 | 00 |"
                       "01 | 11 22 33 44 | 00 00 00 00 |"
                       "02 | 55 66 77 88 | 00 00 00 01"),
                     m});
  }
  // Six SRTP-ID entries: more than a header holds without an allocation.
  {
    Message m;
    m.header.csb_id = 0x0a0b0c0d;
    for (uint8_t i = 1; i <= 6; ++i) {
      m.header.srtp_map.push_back(
          SrtpCsEntry{static_cast<uint8_t>(i - 1), 0xa0000000u + i, i});
    }
    cases.push_back({"HdrSrtpMapSixStreams",
                     H("01 | 00 | 00 | 00 | 0a 0b 0c 0d | 06 | 00 |"
                       "00 | a0 00 00 01 | 00 00 00 01 |"
                       "01 | a0 00 00 02 | 00 00 00 02 |"
                       "02 | a0 00 00 03 | 00 00 00 03 |"
                       "03 | a0 00 00 04 | 00 00 00 04 |"
                       "04 | a0 00 00 05 | 00 00 00 05 |"
                       "05 | a0 00 00 06 | 00 00 00 06"),
                     m});
  }
  // Empty map (type 1): #CS kept, no map info. SAKKE data type 26.
  {
    Message m;
    m.header.data_type = data_type::kSakkeInit;
    m.header.prf_func = prf_func::kMikey256;
    m.header.csb_id = 1;
    m.header.cs_id_map_type = cs_id_map_type::kEmpty;
    m.header.empty_map_cs_count = 3;
    cases.push_back(
        {"HdrEmptyMap", H("01 | 1a | 00 | 01 | 00 00 00 01 | 03 | 01"), m});
  }
  // GENERIC-ID map (RFC 6043 §6.1.2.1): CS ID | Prot type | S #P | Ps |
  // Session Data Length(16) | Session Data | SPI Length | SPI.
  {
    Message m;
    m.header.data_type = data_type::kSakkeInit;
    m.header.prf_func = prf_func::kMikey256;
    m.header.csb_id = 2;
    m.header.cs_id_map_type = cs_id_map_type::kGenericId;
    GenericCsEntry a;
    a.cs_id = 4;
    a.prot_type = 0;
    a.policy_nos = {0};
    GenericCsEntry b;
    b.cs_id = 6;
    b.prot_type = 0;
    b.s_flag = true;
    b.policy_nos = {1, 2};
    b.session_data = H("11 22 33 44");
    b.spi = H("ab cd");
    m.header.generic_map = {a, b};
    cases.push_back(
        {"HdrGenericMap",
         H("01 | 1a | 00 | 01 | 00 00 00 02 | 02 | 02 |"
           "04 | 00 | 01 | 00 | 00 00 | 00 |"
           "06 | 00 | 82 | 01 02 | 00 04 | 11 22 33 44 | 02 | ab cd"),
         m});
  }
  // Every known data type round-trips.
  for (uint8_t dt : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
    Message m;
    m.header.data_type = dt;
    Bytes wire = H("01 00 00 00 00 00 00 00 00 00");
    wire[1] = dt;
    cases.push_back({"HdrDataType" + std::to_string(dt), wire, m});
  }
  return cases;
}

// A GStreamer-style MIKEY-NULL I_MESSAGE (gst_mikey_message_new_from_caps):
// HDR (1 CS), T, RAND(16), SP, KEMAC(NULL, NULL) carrying one TEK key data.
Bytes GStreamerNullMessage() {
  return Cat({
      // HDR: PSK init, next T (5), V 0 PRF 0, CSB, #CS 1, SRTP-ID.
      H("01 | 00 | 05 | 00 | a1 b2 c3 d4 | 01 | 00 |"
        "00 | 12 34 56 78 | 00 00 00 00"),
      // T: next RAND (11), NTP-UTC.
      H("0b | 00 | e0 00 00 00 00 00 00 01"),
      // RAND: next SP (10), 16 octets.
      H("0a | 10"),
      Seq(16, 0x70),
      // SP: next KEMAC (1), policy 0, SRTP, 7 params * 3 = 21 = 0x15.
      H("01 | 00 | 00 | 00 15 |"
        "00 01 01 | 01 01 10 | 02 01 01 | 03 01 0a |"
        "07 01 01 | 08 01 01 | 0a 01 01"),
      // KEMAC: last, NULL, 34 = 0x22 octets of key data, MAC NULL.
      H("00 | 00 | 00 22 |"),
      // Key data: last, TEK (2) KV NULL (0), 30 = 0x1e octets.
      H("00 | 20 | 00 1e"),
      Seq(30, 0x90),
      H("00"),
  });
}

// A MIKEY-SAKKE-shaped I_MESSAGE: HDR (GENERIC-ID), T, RAND, IDR, IDR, SP,
// SAKKE, GEN-EXT, SIGN (ECCSI).
Bytes SakkeShapedMessage() {
  return Cat({
      // HDR: SAKKE (26), next T, PRF 1, CSB, #CS 1, GENERIC-ID (2) entry:
      // CS ID 4, SRTP, S 0 #P 1, P 0, no session data, no SPI.
      H("01 | 1a | 05 | 01 | 10 20 30 40 | 01 | 02 |"
        "04 | 00 | 01 | 00 | 00 00 | 00"),
      H("0b | 00 | 01 02 03 04 05 06 07 08"),           // T -> RAND
      H("0e | 10"), Seq(16, 0x00),                      // RAND -> IDR
      H("0e | 01 | 01 | 00 05 | 61 40 62 2e 63"),       // IDR -> IDR
      H("0a | 06 | 01 | 00 03 | 6b 6d 73"),             // IDR -> SP
      H("1a | 00 | 00 | 00 06 | 00 01 06 | 14 01 10"),  // SP -> SAKKE
      H("15 | 01 | 02 | 00 06"), Seq(6, 0xc0),          // SAKKE -> GEN-EXT
      H("04 | 07 | 00 02 | ee ff"),                     // GEN-EXT -> SIGN
      H("20 08"), Seq(8, 0xd0),                         // SIGN, ECCSI, 8
  });
}

std::vector<Bytes> AllGoodMessages() {
  std::vector<Bytes> out;
  for (GoldenCase& c : GoldenCases()) out.push_back(std::move(c.wire));
  out.push_back(GStreamerNullMessage());
  out.push_back(SakkeShapedMessage());
  return out;
}

// ---------------------------------------------------------------------------
// Golden parse / build / round trip / truncation, for every payload form.

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, ParsesHandWrittenBytes) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<Message> m = ParseMessage(c.wire);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header, c.message.header);
  ASSERT_EQ(m->payloads.size(), c.message.payloads.size());
  for (size_t i = 0; i < m->payloads.size(); ++i) {
    EXPECT_EQ(PayloadTypeOf(m->payloads[i]),
              PayloadTypeOf(c.message.payloads[i]));
    EXPECT_TRUE(m->payloads[i] == c.message.payloads[i]) << "payload " << i;
  }
}

TEST_P(GoldenTest, BuildsHandWrittenBytes) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<Bytes> wire = SerializeMessage(c.message);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(*wire, c.wire);
}

TEST_P(GoldenTest, RoundTrips) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<Message> m = ParseMessage(c.wire);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<Bytes> again = SerializeMessage(*m);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, c.wire);
  absl::StatusOr<Message> m2 = ParseMessage(*again);
  ASSERT_TRUE(m2.ok());
  EXPECT_TRUE(*m2 == *m);
}

TEST_P(GoldenTest, EveryTruncationFailsCleanly) {
  const GoldenCase& c = GetParam();
  for (size_t n = 0; n < c.wire.size(); ++n) {
    absl::StatusOr<Message> m =
        ParseMessage(absl::MakeConstSpan(c.wire.data(), n));
    ASSERT_FALSE(m.ok()) << "prefix of " << n << " octets parsed";
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(m.status().message()), HasSubstr("offset"));
  }
}

TEST_P(GoldenTest, LayoutCoversTheWholeMessage) {
  const GoldenCase& c = GetParam();
  MessageLayout layout;
  ASSERT_TRUE(ParseMessage(c.wire, &layout).ok());
  ASSERT_EQ(layout.payloads.size(), c.message.payloads.size());
  size_t at = layout.header_end;
  for (const PayloadExtent& e : layout.payloads) {
    EXPECT_EQ(e.begin, at);
    EXPECT_GT(e.end, e.begin);
    at = e.end;
  }
  EXPECT_EQ(at, c.wire.size());
}

INSTANTIATE_TEST_SUITE_P(AllPayloads, GoldenTest,
                         ::testing::ValuesIn(GoldenCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Field-level checks on hand-written bytes.

TEST(HeaderTest, GStreamerExampleFields) {
  absl::StatusOr<Message> m = ParseMessage(H("01 00 00 00 12 34 56 78 00 00"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.version, 1);
  EXPECT_EQ(m->header.data_type, data_type::kPskInit);
  EXPECT_FALSE(m->header.v_flag);
  EXPECT_EQ(m->header.prf_func, prf_func::kMikey1);
  EXPECT_EQ(m->header.csb_id, 0x12345678u);
  EXPECT_EQ(m->header.cs_count(), 0u);
  EXPECT_EQ(m->header.cs_id_map_type, cs_id_map_type::kSrtpId);
  EXPECT_TRUE(m->payloads.empty());
}

TEST(HeaderTest, SrtpMapFieldsAndCsCount) {
  absl::StatusOr<Message> m =
      ParseMessage(H("01 00 00 81 de ad be ef 02 00"
                     "01 11 22 33 44 00 00 00 00"
                     "02 55 66 77 88 00 00 00 01"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->header.v_flag);
  EXPECT_EQ(m->header.prf_func, 1);
  EXPECT_EQ(m->header.cs_count(), 2u);
  ASSERT_EQ(m->header.srtp_map.size(), 2u);
  EXPECT_EQ(m->header.srtp_map[1].policy_no, 2);
  EXPECT_EQ(m->header.srtp_map[1].ssrc, 0x55667788u);
  EXPECT_EQ(m->header.srtp_map[1].roc, 1u);
}

TEST(HeaderTest, CsCountFollowsMapType) {
  CommonHeader h;
  h.cs_id_map_type = cs_id_map_type::kEmpty;
  h.empty_map_cs_count = 7;
  EXPECT_EQ(h.cs_count(), 7u);
  h.cs_id_map_type = cs_id_map_type::kGenericId;
  h.empty_map_cs_count = 0;
  h.generic_map.resize(2);
  EXPECT_EQ(h.cs_count(), 2u);
}

TEST(PayloadTest, GStreamerNullMessageFieldsAndKeyData) {
  const Bytes wire = GStreamerNullMessage();
  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(wire, &layout);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.csb_id, 0xa1b2c3d4u);
  ASSERT_EQ(m->header.srtp_map.size(), 1u);
  EXPECT_EQ(m->header.srtp_map[0].ssrc, 0x12345678u);
  ASSERT_EQ(m->payloads.size(), 4u);
  const auto* t = m->Find<TimestampPayload>();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->value, 0xe000000000000001ULL);
  const auto* sp = m->Find<SecurityPolicyPayload>();
  ASSERT_NE(sp, nullptr);
  ASSERT_EQ(sp->params.size(), 7u);
  ASSERT_NE(sp->Find(srtp_param::kAuthKeyLen), nullptr);
  EXPECT_EQ(sp->Find(srtp_param::kAuthKeyLen)->value, H("0a"));
  EXPECT_EQ(sp->Find(srtp_param::kSrtpAuth)->value, H("01"));
  EXPECT_EQ(sp->Find(srtp_param::kSaltKeyLen), nullptr);
  const auto* kemac = m->Find<KemacPayload>();
  ASSERT_NE(kemac, nullptr);
  EXPECT_EQ(kemac->encr_alg, encr_alg::kNull);
  EXPECT_EQ(kemac->mac_alg, mac_alg::kNull);
  EXPECT_TRUE(kemac->mac.empty());
  // HDR 19, T 10, RAND 18, SP 26: KEMAC starts at 73, its data at 77.
  EXPECT_EQ(layout.header_end, 19u);
  ASSERT_EQ(layout.payloads.size(), 4u);
  EXPECT_EQ(layout.payloads[0].begin, 19u);
  EXPECT_EQ(layout.payloads[1].begin, 29u);
  EXPECT_EQ(layout.payloads[2].begin, 47u);
  EXPECT_EQ(layout.payloads[3].begin, 73u);
  EXPECT_EQ(layout.payloads[3].end, wire.size());
  absl::StatusOr<std::vector<KeyDataPayload>> kd =
      ParseKeyDataList(kemac->encr_data, layout.payloads[3].begin + 4);
  ASSERT_TRUE(kd.ok()) << kd.status();
  ASSERT_EQ(kd->size(), 1u);
  EXPECT_EQ((*kd)[0].type, key_data_type::kTek);
  EXPECT_EQ((*kd)[0].key, Secret(Seq(30, 0x90)));
  EXPECT_FALSE((*kd)[0].salt.has_value());
  EXPECT_EQ((*kd)[0].validity.type, key_validity::kNull);
  absl::StatusOr<Bytes> again = SerializeMessage(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, wire);
}

TEST(PayloadTest, SakkeShapedMessageFieldsAndLayout) {
  const Bytes wire = SakkeShapedMessage();
  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(wire, &layout);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->header.data_type, data_type::kSakkeInit);
  ASSERT_EQ(m->header.generic_map.size(), 1u);
  EXPECT_EQ(m->header.generic_map[0].cs_id, 4);
  EXPECT_EQ(m->header.generic_map[0].policy_nos, std::vector<uint8_t>{0});
  ASSERT_EQ(m->payloads.size(), 8u);
  std::vector<const IdrPayload*> idrs = m->FindAll<IdrPayload>();
  ASSERT_EQ(idrs.size(), 2u);
  EXPECT_EQ(idrs[0]->role, 1);
  EXPECT_EQ(idrs[0]->data, Ascii("a@b.c"));
  EXPECT_EQ(idrs[1]->role, 6);
  EXPECT_EQ(idrs[1]->data, Ascii("kms"));
  const auto* sakke = m->Find<SakkePayload>();
  ASSERT_NE(sakke, nullptr);
  EXPECT_EQ(sakke->params, 1);
  EXPECT_EQ(sakke->id_scheme, 2);
  EXPECT_EQ(sakke->data, Seq(6, 0xc0));
  const auto* ext = m->Find<GeneralExtensionPayload>();
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->type, 7);
  const auto* sign = m->Find<SignPayload>();
  ASSERT_NE(sign, nullptr);
  EXPECT_EQ(sign->type, sign_type::kEccsi);
  EXPECT_EQ(sign->signature, Seq(8, 0xd0));
  // HDR 17; T 10; RAND 18; IDR 10; IDR 8; SP 11; SAKKE 11; GEN-EXT 6;
  // SIGN 10.
  EXPECT_EQ(layout.header_end, 17u);
  const size_t begins[] = {17, 27, 45, 55, 63, 74, 85, 91};
  ASSERT_EQ(layout.payloads.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(layout.payloads[i].begin, begins[i]) << i;
  }
  EXPECT_EQ(layout.payloads[7].end, wire.size());
  EXPECT_EQ(wire.size(), 101u);
  absl::StatusOr<Bytes> again = SerializeMessage(*m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, wire);
}

TEST(PayloadTest, TruncationsOfWholeMessagesFail) {
  for (const Bytes& wire : {GStreamerNullMessage(), SakkeShapedMessage()}) {
    for (size_t n = 0; n < wire.size(); ++n) {
      absl::StatusOr<Message> m =
          ParseMessage(absl::MakeConstSpan(wire.data(), n));
      ASSERT_FALSE(m.ok()) << n;
      EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(PayloadTest, FindAndFindAllOnMessage) {
  Message m;
  m.payloads.push_back(RandPayload{H("01")});
  m.payloads.push_back(TimestampPayload{});
  m.payloads.push_back(RandPayload{H("02")});
  ASSERT_NE(m.Find<RandPayload>(), nullptr);
  EXPECT_EQ(m.Find<RandPayload>()->rand, H("01"));
  EXPECT_EQ(m.FindAll<RandPayload>().size(), 2u);
  EXPECT_EQ(m.Find<KemacPayload>(), nullptr);
}

// ---------------------------------------------------------------------------
// Key data sub-payloads (§6.13).

TEST(KeyDataTest, ParsesChainOfThreeForms) {
  const Bytes chain = Cat({
      // TEK+SALT (3), KV SPI (1): key 16, salt 14, MKI 4.
      H("14 | 31 | 00 10"),
      Seq(16, 0x00),
      H("00 0e"),
      Seq(14, 0x40),
      H("04 | 00 00 00 01"),
      // TGK (0), KV Interval (2): key 4, VF 2, VT 3.
      H("14 | 02 | 00 04 | 01 02 03 04 | 02 aa bb | 03 cc dd ee"),
      // TGK+SALT (1), KV NULL: key 2, empty salt.
      H("00 | 10 | 00 02 | 99 88 | 00 00"),
  });
  absl::StatusOr<std::vector<KeyDataPayload>> kd = ParseKeyDataList(chain);
  ASSERT_TRUE(kd.ok()) << kd.status();
  ASSERT_EQ(kd->size(), 3u);
  const KeyDataPayload& a = (*kd)[0];
  EXPECT_EQ(a.type, key_data_type::kTekSalt);
  EXPECT_EQ(a.key, Secret(Seq(16, 0x00)));
  ASSERT_TRUE(a.salt.has_value());
  EXPECT_EQ(*a.salt, Secret(Seq(14, 0x40)));
  EXPECT_EQ(a.validity.type, key_validity::kSpi);
  EXPECT_EQ(a.validity.spi, H("00 00 00 01"));
  const KeyDataPayload& b = (*kd)[1];
  EXPECT_EQ(b.type, key_data_type::kTgk);
  EXPECT_FALSE(b.salt.has_value());
  EXPECT_EQ(b.validity.type, key_validity::kInterval);
  EXPECT_EQ(b.validity.valid_from, H("aa bb"));
  EXPECT_EQ(b.validity.valid_to, H("cc dd ee"));
  const KeyDataPayload& c = (*kd)[2];
  EXPECT_EQ(c.type, key_data_type::kTgkSalt);
  ASSERT_TRUE(c.salt.has_value());
  EXPECT_TRUE(c.salt->empty());

  absl::StatusOr<SecretBytes> again = SerializeKeyDataList(*kd);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, Secret(chain));
}

TEST(KeyDataTest, BuildsHandWrittenBytes) {
  KeyDataPayload kd;
  kd.type = key_data_type::kTekSalt;
  kd.key = Secret(H("01 02"));
  kd.salt = Secret(H("03"));
  kd.validity.type = key_validity::kSpi;
  kd.validity.spi = H("ee");
  absl::StatusOr<SecretBytes> wire = SerializeKeyDataList({kd});
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(*wire, Secret(H("00 | 31 | 00 02 | 01 02 | 00 01 | 03 | 01 ee")));
}

// What gst_mikey_message_to_bytes writes for a TEK key with a salt and an
// MKI: it ORs 1 into the type (2 | 1 = 3) and writes Salt len + salt, then
// the KV SPI data. The type, not the KV nibble, says a salt follows.
TEST(KeyDataTest, ParsesGStreamerTekWithSaltAndMki) {
  const Bytes chain = Cat({H("00 | 31 | 00 10"), Seq(16, 0x10), H("00 0e"),
                           Seq(14, 0x20), H("04 | 00 00 00 2a")});
  absl::StatusOr<std::vector<KeyDataPayload>> kd = ParseKeyDataList(chain);
  ASSERT_TRUE(kd.ok()) << kd.status();
  ASSERT_EQ(kd->size(), 1u);
  EXPECT_EQ((*kd)[0].type, key_data_type::kTekSalt);
  EXPECT_EQ((*kd)[0].salt->size(), 14u);
  EXPECT_EQ((*kd)[0].validity.spi, H("00 00 00 2a"));
}

// A TEK (type 2) with KV SPI carries no salt even though the KV nibble is
// odd: what follows the key is the SPI, not a Salt len.
TEST(KeyDataTest, KvNibbleDoesNotSignalSalt) {
  const Bytes chain = H("00 | 21 | 00 02 | aa bb | 02 00 01");
  absl::StatusOr<std::vector<KeyDataPayload>> kd = ParseKeyDataList(chain);
  ASSERT_TRUE(kd.ok()) << kd.status();
  EXPECT_FALSE((*kd)[0].salt.has_value());
  EXPECT_EQ((*kd)[0].validity.spi, H("00 01"));
}

TEST(KeyDataTest, EveryTruncationFails) {
  const Bytes chain = Cat({H("14 | 31 | 00 02 | 01 02 | 00 01 | 03 | 01 ee"),
                           H("00 | 22 | 00 01 | 05 | 01 06 | 00")});
  ASSERT_TRUE(ParseKeyDataList(chain).ok());
  for (size_t n = 0; n < chain.size(); ++n) {
    auto kd = ParseKeyDataList(absl::MakeConstSpan(chain.data(), n), 100);
    ASSERT_FALSE(kd.ok()) << n;
    EXPECT_EQ(kd.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(KeyDataTest, Errors) {
  // Next payload other than 20 or 0, at absolute offset base + 0.
  ExpectInvalid(
      ParseKeyDataList(H("05 | 20 | 00 01 | aa"), 77).status(),
      {"KEY-DATA sub-payload #1", "next payload", "offset 77", "is 5"});
  // Unknown key data type 4.
  ExpectInvalid(ParseKeyDataList(H("00 | 40 | 00 01 | aa"), 10).status(),
                {"Type", "unknown key data type 4", "offset 11"});
  // Unknown KV type 3.
  ExpectInvalid(ParseKeyDataList(H("00 | 23 | 00 01 | aa")).status(),
                {"unknown key validity type 3"});
  // Key data len overruns.
  ExpectInvalid(ParseKeyDataList(H("00 | 20 | 00 05 | aa bb")).status(),
                {"Key data", "offset 4", "truncated"});
  // Salt len overruns.
  ExpectInvalid(
      ParseKeyDataList(H("00 | 30 | 00 01 | aa | 00 09 | bb")).status(),
      {"Salt data", "offset 7"});
  // SPI length overruns.
  ExpectInvalid(ParseKeyDataList(H("00 | 21 | 00 01 | aa | 05 bb")).status(),
                {"SPI", "offset 6"});
  // Trailing octets after the Last sub-payload.
  ExpectInvalid(ParseKeyDataList(H("00 | 20 | 00 01 | aa | ff ff")).status(),
                {"trailing", "offset 5"});
  // Second sub-payload names the error by its index.
  ExpectInvalid(
      ParseKeyDataList(H("14 | 20 | 00 01 | aa | 00 | 20 | 00 09")).status(),
      {"KEY-DATA sub-payload #2"});
  ExpectInvalid(ParseKeyDataList({}).status(), {"empty"});
}

TEST(KeyDataTest, SerializeErrors) {
  KeyDataPayload kd;
  kd.type = key_data_type::kTekSalt;  // salt missing
  kd.key = Secret(H("01"));
  ExpectInvalid(SerializeKeyDataList({kd}).status(), {"Salt", "needs a salt"});
  kd.type = key_data_type::kTek;
  kd.salt = Secret(H("02"));  // salt with a type that has none
  ExpectInvalid(SerializeKeyDataList({kd}).status(), {"Salt"});
  kd.salt.reset();
  kd.type = 4;
  ExpectInvalid(SerializeKeyDataList({kd}).status(),
                {"unknown key data type 4"});
  kd.type = key_data_type::kTgk;
  kd.key = SecretBytes(65536);
  ExpectInvalid(SerializeKeyDataList({kd}).status(), {"Key data len"});
  kd.key = Secret(H("01"));
  kd.validity.type = key_validity::kSpi;
  kd.validity.spi = Bytes(256, 0);
  ExpectInvalid(SerializeKeyDataList({kd}).status(), {"SPI"});
  kd.validity.spi = H("01");
  kd.validity.valid_to = H("02");  // interval data with KV SPI
  ExpectInvalid(SerializeKeyDataList({kd}).status(), {"interval"});
  kd.validity = KeyValidity();
  kd.validity.type = 3;
  ExpectInvalid(SerializeKeyDataList({kd}).status(),
                {"unknown key validity type 3"});
  ExpectInvalid(SerializeKeyDataList({}).status(), {"at least one"});
}

// ---------------------------------------------------------------------------
// Parse errors.

TEST(ParseErrorTest, BadVersion) {
  ExpectInvalid(ParseMessage(H("02 00 00 00 12 34 56 78 00 00")).status(),
                {"HDR", "version", "offset 0", "version 2"});
  ExpectInvalid(ParseMessage(H("00 00 00 00 12 34 56 78 00 00")).status(),
                {"version 0"});
}

TEST(ParseErrorTest, UnknownDataType) {
  ExpectInvalid(ParseMessage(H("01 0b 00 00 12 34 56 78 00 00")).status(),
                {"HDR", "data type", "offset 1", "unknown data type 11"});
  ExpectInvalid(ParseMessage(H("01 19 00 00 12 34 56 78 00 00")).status(),
                {"unknown data type 25"});
}

TEST(ParseErrorTest, UnknownMapType) {
  ExpectInvalid(ParseMessage(H("01 00 00 00 12 34 56 78 00 03")).status(),
                {"CS ID map type", "offset 9", "unknown CS ID map type 3"});
}

TEST(ParseErrorTest, CsCountDisagreesWithMap) {
  // #CS 2, one SRTP-ID entry.
  ExpectInvalid(ParseMessage(H("01 00 00 00 12 34 56 78 02 00"
                               "01 11 22 33 44 00 00 00 00"))
                    .status(),
                {"HDR", "#CS is 2", "offset 10"});
  // #CS 2, one GENERIC-ID entry.
  ExpectInvalid(ParseMessage(H("01 1a 00 01 00 00 00 01 02 02"
                               "04 00 01 00 00 00 00"))
                    .status(),
                {"#CS is 2", "entry 2"});
  // GENERIC-ID session data length overruns the message.
  ExpectInvalid(ParseMessage(H("01 1a 00 01 00 00 00 01 01 02"
                               "04 00 00 00 09 aa"))
                    .status(),
                {"#CS is 1", "Session Data", "offset 15"});
}

TEST(ParseErrorTest, UnknownPayloadTypeNamesTypeAndOffset) {
  ExpectInvalid(ParseMessage(H("01 00 0d 00 12 34 56 78 00 00 00 00")).status(),
                {"payload #1", "unknown payload type 13", "offset 10",
                 "HDR at offset 2"});
  // Second payload: T (10 octets at 10) names type 99.
  ExpectInvalid(
      ParseMessage(Cat({Hdr(5), H("63 | 02 | 00 00 00 01"), H("00 00 00")}))
          .status(),
      {"payload #2", "unknown payload type 99", "offset 16",
       "T payload #1 at offset 10"});
}

TEST(ParseErrorTest, EveryUnassignedPayloadTypeIsAnError) {
  for (int t = 13; t < 256; ++t) {
    if (t == 14 || t == 20 || t == 21 || t == 26) continue;
    const std::string type = "unknown payload type " + std::to_string(t);
    ExpectInvalid(
        ParseMessage(Cat({Hdr(static_cast<uint8_t>(t)), H("00 00 00 00")}))
            .status(),
        {type, "offset 10"});
  }
}

TEST(ParseErrorTest, KeyDataAtTopLevel) {
  ExpectInvalid(
      ParseMessage(Cat({Hdr(20), H("00 | 20 | 00 01 | aa")})).status(),
      {"Key data (20)", "offset 10", "inside a KEMAC"});
}

TEST(ParseErrorTest, SignNotLast) {
  ExpectInvalid(
      ParseMessage(Cat({Hdr(4), H("20 02 | aa bb | 00 00")})).status(),
      {"SIGN payload #1", "offset 14", "must be the last"});
}

TEST(ParseErrorTest, TrailingBytesAfterLastPayload) {
  ExpectInvalid(
      ParseMessage(Cat({Hdr(11), H("00 | 01 | aa | 0b 00")})).status(),
      {"trailing", "offset 13", "RAND payload #1"});
  ExpectInvalid(ParseMessage(H("01 00 00 00 12 34 56 78 00 00 ff")).status(),
                {"trailing", "offset 10", "HDR"});
}

TEST(ParseErrorTest, UnknownAlgorithms) {
  // KEMAC MAC alg 3 at offset 15 (10 + next, encr alg, len 2, 1 octet data).
  ExpectInvalid(
      ParseMessage(Cat({Hdr(1), H("00 | 00 | 00 01 | aa | 03")})).status(),
      {"KEMAC payload #1", "MAC alg", "offset 15", "unknown MAC algorithm 3"});
  ExpectInvalid(
      ParseMessage(Cat({Hdr(3), H("00 | 03 | 00")})).status(),
      {"DH payload #1", "DH-Group", "offset 11", "unknown DH group 3"});
  ExpectInvalid(ParseMessage(Cat({Hdr(8), H("00 | 02"), Seq(20, 0)})).status(),
                {"CHASH payload #1", "offset 11", "unknown hash function 2"});
  ExpectInvalid(
      ParseMessage(Cat({Hdr(5), H("00 | 04 | 00 00 00 00 00 00 00 00")}))
          .status(),
      {"T payload #1", "TS type", "offset 11", "unknown timestamp type 4"});
  ExpectInvalid(ParseMessage(Cat({Hdr(9), H("00 | 05"), Seq(20, 0)})).status(),
                {"V payload #1", "Auth alg", "offset 11",
                 "unknown authentication algorithm 5"});
  // DH key validity type 3 (offset of the Reserv/KV octet: 12 + 96).
  ExpectInvalid(
      ParseMessage(Cat({Hdr(3), H("00 | 01"), Seq(96, 0), H("03")})).status(),
      {"DH payload #1", "KV", "offset 108", "unknown key validity type 3"});
  // DH reserved bits set.
  ExpectInvalid(
      ParseMessage(Cat({Hdr(3), H("00 | 01"), Seq(96, 0), H("10")})).status(),
      {"Reserv", "offset 108"});
}

TEST(ParseErrorTest, OverrunningLengths) {
  struct Case {
    Bytes wire;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {Cat({Hdr(1), H("00 | 00 | 00 10 | aa bb cc dd")}),
       {"KEMAC payload #1", "Encr data", "offset 14"}},
      {Cat({Hdr(1), H("00 | 00 | 00 00 | 01"), Seq(19, 0)}),
       {"KEMAC payload #1", "MAC", "offset 15"}},
      {Cat({Hdr(2), H("00 | 40 05 | aa bb")}),
       {"PKE payload #1", "Data", "offset 13"}},
      {Cat({Hdr(3), H("00 | 00"), Seq(191, 0)}),
       {"DH payload #1", "DH-value", "offset 12"}},
      {Cat({Hdr(3), H("00 | ff"), Seq(32, 0), H("02 | 01 aa | 04 bb")}),
       {"DH payload #1", "Valid To", "offset 48"}},
      {Cat({Hdr(4), H("2f ff | aa")}),
       {"SIGN payload #1", "Signature", "offset 12"}},
      {Cat({Hdr(5), H("00 | 00 | 01 02 03")}),
       {"T payload #1", "TS value", "offset 12"}},
      {Cat({Hdr(6), H("00 | 01 | ff ff | 61")}),
       {"ID payload #1", "ID data", "offset 14"}},
      {Cat({Hdr(7), H("00 | 00 | 00 02 | 30")}),
       {"CERT payload #1", "Certificate", "offset 14"}},
      {Cat({Hdr(8), H("00 | 01"), Seq(15, 0)}),
       {"CHASH payload #1", "Hash", "offset 12"}},
      {Cat({Hdr(9), H("00 | 02"), Seq(31, 0)}),
       {"V payload #1", "Ver data", "offset 12"}},
      // SP: policy param length beyond the message.
      {Cat({Hdr(10), H("00 | 00 | 00 | 00 09 | 00 01 01")}),
       {"SP payload #1", "Policy param", "offset 15"}},
      // SP: a parameter's length overruns the policy param length; the
      // payload after it would otherwise absorb the octets.
      {Cat({Hdr(10), H("0b | 00 | 00 | 00 03 | 00 05 01 | 00 02 aa bb")}),
       {"SP payload #1", "policy param 1 value", "offset 17"}},
      {Cat({Hdr(10), H("00 | 00 | 00 | 00 01 | 07")}),
       {"SP payload #1", "policy param 1 length", "offset 16"}},
      {Cat({Hdr(11), H("00 | 11"), Seq(16, 0)}),
       {"RAND payload #1", "RAND", "offset 12"}},
      {Cat({Hdr(12), H("00 | 00 | 00")}),
       {"ERR payload #1", "Reserved", "offset 12"}},
      {Cat({Hdr(14), H("00 | 01 | 01 | 00 04 | 61 62 63")}),
       {"IDR payload #1", "ID data", "offset 15"}},
      {Cat({Hdr(21), H("00 | 01 | 01 00 | 61")}),
       {"GEN-EXT payload #1", "Data", "offset 14"}},
      {Cat({Hdr(26), H("00 | 01 | 02 | 01 11 | 04")}),
       {"SAKKE payload #1", "SAKKE data", "offset 15"}},
      // Payload #3's length overruns: the index is in the error.
      {Cat({Hdr(11), H("0b 00 | 0b 00 | 00 05 aa")}),
       {"RAND payload #3", "RAND", "offset 16"}},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseMessage(c.wire).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    for (const std::string& part : c.parts) {
      EXPECT_THAT(std::string(s.message()), HasSubstr(part));
    }
  }
}

// GStreamer 1.22 writes the PKE's C/Data len field as a logical OR
// ((C << 14) || len), so any PKE longer than one octet claims length 1. The
// octets after the first are then left over: rejected, not guessed at.
TEST(ParseErrorTest, GStreamerPkeLengthBugIsRejected) {
  ExpectInvalid(
      ParseMessage(Cat({Hdr(2), H("00 | 00 01 | aa bb cc")})).status(),
      {"trailing", "offset 14"});
}

TEST(ParseErrorTest, EmptyInput) {
  ExpectInvalid(ParseMessage({}).status(), {"HDR", "version", "offset 0"});
}

// ---------------------------------------------------------------------------
// Serialize errors.

absl::Status SerializeOne(Payload p) {
  return SerializeMessage(OnePayload(std::move(p))).status();
}

TEST(SerializeErrorTest, FieldsThatDoNotFit) {
  ExpectInvalid(SerializeOne(RandPayload{Bytes(256, 1)}),
                {"RAND payload #1", "RAND", "256", "8 bits"});
  ExpectInvalid(SerializeOne(SignPayload{2, Bytes(4096, 1)}),
                {"SIGN payload #1", "Signature len", "12 bits"});
  ExpectInvalid(SerializeOne(SignPayload{16, Bytes(1, 1)}),
                {"SIGN payload #1", "S type", "4 bits"});
  ExpectInvalid(SerializeOne(PkePayload{0, Bytes(16384, 1)}),
                {"PKE payload #1", "Data len", "14 bits"});
  ExpectInvalid(SerializeOne(PkePayload{4, Bytes(1, 1)}),
                {"PKE payload #1", "C", "2 bits"});
  ExpectInvalid(SerializeOne(IdPayload{1, Bytes(65536, 1)}),
                {"ID payload #1", "ID data", "16 bits"});
  ExpectInvalid(SerializeOne(IdrPayload{1, 1, Bytes(65536, 1)}),
                {"IDR payload #1", "ID data"});
  ExpectInvalid(SerializeOne(CertPayload{0, Bytes(65536, 1)}),
                {"CERT payload #1", "Certificate"});
  ExpectInvalid(SerializeOne(GeneralExtensionPayload{0, Bytes(65536, 1)}),
                {"GEN-EXT payload #1", "Data"});
  ExpectInvalid(SerializeOne(SakkePayload{1, 2, Bytes(65536, 1)}),
                {"SAKKE payload #1", "SAKKE data"});
  KemacPayload k;
  k.encr_data = Bytes(65536, 1);
  ExpectInvalid(SerializeOne(k), {"KEMAC payload #1", "Encr data"});
  SecurityPolicyPayload sp;
  sp.params = {{1, Bytes(256, 0)}};
  ExpectInvalid(SerializeOne(sp), {"SP payload #1", "policy param 1 value"});
  sp.params.assign(300, PolicyParam{1, Bytes(255, 0)});  // 77100 octets
  ExpectInvalid(SerializeOne(sp), {"SP payload #1", "Policy param length"});
  TimestampPayload t;
  t.ts_type = ts_type::kCounter;
  t.value = 0x100000000ULL;
  ExpectInvalid(SerializeOne(t), {"T payload #1", "TS value", "32 bits"});
  t.ts_type = 9;
  ExpectInvalid(SerializeOne(t), {"T payload #1", "unknown timestamp type 9"});
}

TEST(SerializeErrorTest, LengthsImpliedByAlgorithms) {
  DhPayload d;
  d.group = dh_group::kOakley2;
  d.value = Bytes(96, 1);
  ExpectInvalid(SerializeOne(d), {"DH payload #1", "DH-value", "96", "128"});
  d.group = 7;
  ExpectInvalid(SerializeOne(d), {"DH payload #1", "DH-Group", "unknown"});
  d.group = dh_group::kX25519Private;
  d.value = Bytes(32, 1);
  d.validity.type = key_validity::kNull;
  d.validity.spi = H("01");
  ExpectInvalid(SerializeOne(d), {"DH payload #1", "KV data"});
  KemacPayload k;
  k.mac_alg = mac_alg::kHmacSha1_160;
  k.mac = Bytes(32, 1);
  ExpectInvalid(SerializeOne(k), {"KEMAC payload #1", "MAC", "32", "20"});
  k.mac_alg = 3;
  ExpectInvalid(SerializeOne(k), {"KEMAC payload #1", "MAC alg", "unknown"});
  VerificationPayload v;
  v.auth_alg = mac_alg::kHmacSha256_256;
  v.mac = Bytes(20, 1);
  ExpectInvalid(SerializeOne(v), {"V payload #1", "Ver data", "32"});
  ChashPayload c;
  c.hash_func = hash_func::kMd5;
  c.hash = Bytes(20, 1);
  ExpectInvalid(SerializeOne(c), {"CHASH payload #1", "Hash", "16"});
}

TEST(SerializeErrorTest, SignMustBeLast) {
  Message m;
  m.payloads.push_back(SignPayload{});
  m.payloads.push_back(RandPayload{Bytes(16, 0)});
  ExpectInvalid(SerializeMessage(m).status(),
                {"SIGN payload #1", "last payload"});
}

TEST(SerializeErrorTest, HeaderFields) {
  Message m;
  m.header.version = 2;
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "version 2"});
  m.header.version = 1;
  m.header.data_type = 11;
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "unknown data type 11"});
  m.header.data_type = 0;
  m.header.prf_func = 128;
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "PRF func", "7 bits"});
  m.header.prf_func = 0;
  m.header.srtp_map.resize(256);
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "#CS", "8 bits"});
  m.header.srtp_map.resize(1);
  m.header.cs_id_map_type = cs_id_map_type::kGenericId;
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "SRTP-ID entries"});
  m.header.srtp_map.clear();
  m.header.cs_id_map_type = 9;
  ExpectInvalid(SerializeMessage(m).status(),
                {"HDR", "unknown CS ID map type 9"});
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  m.header.empty_map_cs_count = 2;
  ExpectInvalid(SerializeMessage(m).status(), {"HDR", "#CS"});
  m.header.empty_map_cs_count = 0;
  m.header.cs_id_map_type = cs_id_map_type::kGenericId;
  GenericCsEntry e;
  e.policy_nos.resize(128);
  m.header.generic_map = {e};
  ExpectInvalid(SerializeMessage(m).status(),
                {"HDR", "GENERIC-ID map entry 1 #P", "7 bits"});
  e.policy_nos.clear();
  e.spi.resize(256);
  m.header.generic_map = {e};
  ExpectInvalid(SerializeMessage(m).status(),
                {"HDR", "GENERIC-ID map entry 1 SPI"});
  e.spi.clear();
  e.session_data.resize(65536);
  m.header.generic_map = {e};
  ExpectInvalid(SerializeMessage(m).status(),
                {"HDR", "GENERIC-ID map entry 1 Session Data"});
}

TEST(SerializeTest, ComputesNextPayloadChain) {
  Message m;
  m.header = DefaultHeader();
  m.payloads.push_back(TimestampPayload{ts_type::kCounter, 1});
  m.payloads.push_back(RandPayload{H("aa")});
  m.payloads.push_back(SignPayload{sign_type::kRsaPkcs1, H("bb")});
  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(*wire, Cat({Hdr(5), H("0b | 02 | 00 00 00 01"), H("04 | 01 | aa"),
                        H("00 01 | bb")}));
}

// ---------------------------------------------------------------------------
// Names.

TEST(NamesTest, PayloadNamesAndTypes) {
  EXPECT_STREQ(PayloadName(payload_type::kKemac), "KEMAC");
  EXPECT_STREQ(PayloadName(payload_type::kPke), "PKE");
  EXPECT_STREQ(PayloadName(payload_type::kDh), "DH");
  EXPECT_STREQ(PayloadName(payload_type::kSign), "SIGN");
  EXPECT_STREQ(PayloadName(payload_type::kT), "T");
  EXPECT_STREQ(PayloadName(payload_type::kId), "ID");
  EXPECT_STREQ(PayloadName(payload_type::kCert), "CERT");
  EXPECT_STREQ(PayloadName(payload_type::kChash), "CHASH");
  EXPECT_STREQ(PayloadName(payload_type::kV), "V");
  EXPECT_STREQ(PayloadName(payload_type::kSp), "SP");
  EXPECT_STREQ(PayloadName(payload_type::kRand), "RAND");
  EXPECT_STREQ(PayloadName(payload_type::kErr), "ERR");
  EXPECT_STREQ(PayloadName(payload_type::kIdr), "IDR");
  EXPECT_STREQ(PayloadName(payload_type::kKeyData), "KEY-DATA");
  EXPECT_STREQ(PayloadName(payload_type::kGeneralExtension), "GEN-EXT");
  EXPECT_STREQ(PayloadName(payload_type::kSakke), "SAKKE");
  EXPECT_STREQ(PayloadName(200), "UNKNOWN");

  EXPECT_EQ(PayloadTypeOf(KemacPayload{}), 1);
  EXPECT_EQ(PayloadTypeOf(PkePayload{}), 2);
  EXPECT_EQ(PayloadTypeOf(DhPayload{}), 3);
  EXPECT_EQ(PayloadTypeOf(SignPayload{}), 4);
  EXPECT_EQ(PayloadTypeOf(TimestampPayload{}), 5);
  EXPECT_EQ(PayloadTypeOf(IdPayload{}), 6);
  EXPECT_EQ(PayloadTypeOf(CertPayload{}), 7);
  EXPECT_EQ(PayloadTypeOf(ChashPayload{}), 8);
  EXPECT_EQ(PayloadTypeOf(VerificationPayload{}), 9);
  EXPECT_EQ(PayloadTypeOf(SecurityPolicyPayload{}), 10);
  EXPECT_EQ(PayloadTypeOf(RandPayload{}), 11);
  EXPECT_EQ(PayloadTypeOf(ErrorPayload{}), 12);
  EXPECT_EQ(PayloadTypeOf(IdrPayload{}), 14);
  EXPECT_EQ(PayloadTypeOf(GeneralExtensionPayload{}), 21);
  EXPECT_EQ(PayloadTypeOf(SakkePayload{}), 26);
}

TEST(NamesTest, DataTypeNames) {
  EXPECT_STREQ(DataTypeName(data_type::kPskInit), "PSK init");
  EXPECT_STREQ(DataTypeName(data_type::kDhResp), "DH resp");
  EXPECT_STREQ(DataTypeName(data_type::kRsaRResp), "RSA-R R_MSG");
  EXPECT_STREQ(DataTypeName(data_type::kSakkeInit), "SAKKE I_MESSAGE");
  EXPECT_STREQ(DataTypeName(11), "UNKNOWN");
}

// ---------------------------------------------------------------------------
// Deterministic mutation loop: variants of every good message must never
// crash; any variant that parses must re-serialize to exactly its bytes.

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}
  uint32_t Next(uint32_t bound) { return bound == 0 ? 0 : rng_() % bound; }

  Bytes Mutate(Bytes b) {
    const int rounds = 1 + static_cast<int>(Next(3));
    for (int i = 0; i < rounds; ++i) {
      switch (Next(6)) {
        case 0:  // flip a bit
          if (!b.empty()) b[Next(b.size())] ^= 1u << Next(8);
          break;
        case 1:  // set a byte to an interesting value
          if (!b.empty()) {
            static constexpr uint8_t kValues[] = {0x00, 0x01, 0x02, 0x03,
                                                  0x04, 0x0e, 0x14, 0x1a,
                                                  0x7f, 0x80, 0xff};
            b[Next(b.size())] = kValues[Next(sizeof(kValues))];
          }
          break;
        case 2:  // random byte
          if (!b.empty()) b[Next(b.size())] = static_cast<uint8_t>(Next(256));
          break;
        case 3:  // truncate
          b.resize(Next(static_cast<uint32_t>(b.size()) + 1));
          break;
        case 4: {  // insert a few bytes
          const size_t at = Next(static_cast<uint32_t>(b.size()) + 1);
          const size_t n = 1 + Next(4);
          for (size_t k = 0; k < n; ++k) {
            b.insert(b.begin() + at, static_cast<uint8_t>(Next(256)));
          }
          break;
        }
        case 5:  // delete a range
          if (!b.empty()) {
            const size_t at = Next(static_cast<uint32_t>(b.size()));
            const size_t n =
                1 +
                Next(static_cast<uint32_t>(std::min<size_t>(4, b.size() - at)));
            b.erase(b.begin() + at, b.begin() + at + n);
          }
          break;
      }
    }
    return b;
  }

 private:
  std::mt19937 rng_;
};

TEST(MutationTest, MessagesNeverCrashAndSuccessesRoundTrip) {
  Mutator mut(0x4d494b45);  // "MIKE"
  const std::vector<Bytes> seeds = AllGoodMessages();
  size_t parsed = 0;
  size_t total = 0;
  for (int iter = 0; iter < 100; ++iter) {
    for (const Bytes& seed : seeds) {
      const Bytes variant = mut.Mutate(seed);
      ++total;
      MessageLayout layout;
      absl::StatusOr<Message> m = ParseMessage(variant, &layout);
      if (!m.ok()) {
        ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument)
            << m.status();
        ASSERT_FALSE(m.status().message().empty());
        continue;
      }
      ++parsed;
      absl::StatusOr<Bytes> again = SerializeMessage(*m);
      ASSERT_TRUE(again.ok()) << again.status();
      ASSERT_EQ(*again, variant);
      ASSERT_EQ(layout.payloads.size(), m->payloads.size());
      if (!layout.payloads.empty()) {
        ASSERT_EQ(layout.payloads.back().end, variant.size());
      }
    }
  }
  EXPECT_GT(total, 4000u);
  std::cout << "mutation: " << parsed << " of " << total
            << " variants parsed\n";
  // Some mutations (e.g. in opaque data) keep the message valid: make sure
  // the round-trip branch really ran.
  EXPECT_GT(parsed, 100u);
}

TEST(MutationTest, KeyDataChainsNeverCrashAndSuccessesRoundTrip) {
  Mutator mut(20);
  const std::vector<Bytes> seeds = {
      Cat({H("14 | 31 | 00 10"), Seq(16, 0x00), H("00 0e"), Seq(14, 0x40),
           H("04 | 00 00 00 01")}),
      H("14 | 02 | 00 04 | 01 02 03 04 | 02 aa bb | 03 cc dd ee |"
        "00 | 10 | 00 02 | 99 88 | 00 00"),
      Cat({H("00 | 20 | 00 1e"), Seq(30, 0x90)}),
  };
  size_t parsed = 0;
  for (int iter = 0; iter < 700; ++iter) {
    for (const Bytes& seed : seeds) {
      const Bytes variant = mut.Mutate(seed);
      absl::StatusOr<std::vector<KeyDataPayload>> kd =
          ParseKeyDataList(variant);
      if (!kd.ok()) {
        ASSERT_EQ(kd.status().code(), absl::StatusCode::kInvalidArgument);
        continue;
      }
      ++parsed;
      absl::StatusOr<SecretBytes> again = SerializeKeyDataList(*kd);
      ASSERT_TRUE(again.ok()) << again.status();
      ASSERT_EQ(*again, Secret(variant));
    }
  }
  EXPECT_GT(parsed, 100u);
}

}  // namespace
}  // namespace mikey
