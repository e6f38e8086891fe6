// Every kind of MIKEY message we can build, dissected by Wireshark (tshark,
// Debian's 4.0): the messages go out through SerializeMessage into a pcap as
// UDP to port 2269, tshark dissects them (-T pdml), and for each message we
// require
//   - no malformed-packet marker and no expert info of severity Warning or
//     Error;
//   - the payload chain Wireshark followed to be ours, payload for payload,
//     with payload boundaries where our parser puts them and together
//     covering the whole message (Wireshark stops silently at a payload type
//     it does not know, so "not malformed" alone would prove little);
//   - every field Wireshark shows to hold the value we gave the serializer.
//
// Crypto is not this test's concern: encrypted KEMAC data, MACs, signatures,
// DH values and PKE data are placeholder octets.
//
// Known tshark 4.0 quirks, handled explicitly below (search "QUIRK"):
//   - mikey.cert.len is read from the wrong octets (it spans the CERT type
//     and the high octet of the length);
//   - SP encryption algorithm 6 (AES-GCM, RFC 7714) has no name;
//   - the SP parameter value field is spelt "mikey.sp.patam.value".

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/message/message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/interop_util.h"
#include "tests/interop/pdml.h"
#include "tests/interop/tshark_peer.h"

namespace mikey {
namespace interop {
namespace {

using ::testing::IsEmpty;

// Offset of the UDP payload in our pcap frames (Ethernet 14 + IPv4 20 +
// UDP 8), for comparing Wireshark's "pos" with our payload offsets.
constexpr long kMikeyFrameOffset = 42;

Bytes Pattern(size_t n, uint8_t start) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(start + i * 7);
  return out;
}

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

// The certificate the CERT payloads carry: Wireshark hands CERT data to its
// X.509 dissector, so it must be a real DER certificate (a self-signed P-256
// one made with `openssl req -x509`).
Bytes TestCertificate() {
  static const Bytes* const kCert = [] {
    absl::StatusOr<std::string> text = ReadFile(
        RunfilePath("tests/interop/testdata/x509_p256_selfsigned.der.b64"));
    if (!text.ok()) return new Bytes();
    absl::StatusOr<Bytes> der = DecodeBase64(*text);
    return new Bytes(der.ok() ? *der : Bytes());
  }();
  return *kCert;
}

// ---------------------------------------------------------------------------
// The messages.

struct Case {
  std::string name;
  Message message;
  // Key data inside a NULL-encrypted KEMAC, as we built it (Wireshark
  // dissects those sub-payloads; we compare with these).
  std::vector<KeyDataPayload> clear_keys;
};

CommonHeader Header(uint8_t type, uint32_t csb, std::vector<SrtpCsEntry> cs,
                    bool v = false) {
  CommonHeader h;
  h.version = 1;
  h.data_type = type;
  h.v_flag = v;
  h.prf_func = prf_func::kMikey1;
  h.csb_id = csb;
  h.cs_id_map_type = cs_id_map_type::kSrtpId;
  h.srtp_map = std::move(cs);
  return h;
}

TimestampPayload NtpUtc(uint64_t v) { return {ts_type::kNtpUtc, v}; }

KemacPayload NullKemac(const std::vector<KeyDataPayload>& keys) {
  absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(keys);
  KemacPayload k;
  k.encr_alg = encr_alg::kNull;
  if (chain.ok())
    k.encr_data.assign(chain->data(), chain->data() + chain->size());
  k.mac_alg = mac_alg::kNull;
  return k;
}

// An encrypted, MACed KEMAC with placeholder ciphertext and MAC.
KemacPayload SealedKemac(uint8_t encr, size_t encr_len) {
  KemacPayload k;
  k.encr_alg = encr;
  k.encr_data = Pattern(encr_len, 0x10);
  k.mac_alg = mac_alg::kHmacSha1_160;
  k.mac = Pattern(20, 0x80);
  return k;
}

// A KEMAC with NULL encryption and no key data, only a MAC (RFC 4650
// DHHMAC: the KEMAC authenticates the message).
KemacPayload MacOnlyKemac() {
  KemacPayload k;
  k.encr_alg = encr_alg::kNull;
  k.mac_alg = mac_alg::kHmacSha1_160;
  k.mac = Pattern(20, 0xc0);
  return k;
}

SecurityPolicyPayload Rfc3830SrtpPolicy(uint8_t policy_no) {
  SecurityPolicyPayload sp;
  sp.policy_no = policy_no;
  sp.prot_type = sp_prot_type::kSrtp;
  // Every RFC 3830 SRTP parameter, with the RFC's default values.
  sp.params = {{0, {1}},  {1, {16}},  {2, {1}}, {3, {20}}, {4, {14}},
               {5, {0}},  {6, {0}},   {7, {1}}, {8, {1}},  {9, {0}},
               {10, {1}}, {11, {10}}, {12, {0}}};
  return sp;
}

KeyDataPayload Key(uint8_t type, Bytes key, std::optional<Bytes> salt,
                   KeyValidity kv) {
  KeyDataPayload kd;
  kd.type = type;
  kd.key = SecretBytes(key);
  if (salt) kd.salt = SecretBytes(*salt);
  kd.validity = std::move(kv);
  return kd;
}

KeyValidity Spi(Bytes spi) {
  KeyValidity kv;
  kv.type = key_validity::kSpi;
  kv.spi = std::move(spi);
  return kv;
}

KeyValidity Interval(Bytes from, Bytes to) {
  KeyValidity kv;
  kv.type = key_validity::kInterval;
  kv.valid_from = std::move(from);
  kv.valid_to = std::move(to);
  return kv;
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const uint64_t kT = 0xe99d415d80000000ULL;

  {  // PSK init, MIKEY-NULL: HDR, T, RAND, SP, KEMAC(NULL; 2 key data).
    Case c{"PskInitNull", {}, {}};
    c.clear_keys.push_back(Key(key_data_type::kTekSalt, Pattern(16, 1),
                               Pattern(14, 2), Spi(FromHex("0000002a"))));
    c.clear_keys.push_back(
        Key(key_data_type::kTgk, Pattern(32, 3), std::nullopt,
            Interval(FromHex("0000000000"), FromHex("ffffffffff"))));
    c.message.header = Header(data_type::kPskInit, 0x11223344,
                              {{1, 0xdeadbeef, 0}, {1, 0x01020304, 0x10}});
    c.message.payloads = {NtpUtc(kT), RandPayload{Pattern(16, 5)},
                          Rfc3830SrtpPolicy(1), NullKemac(c.clear_keys)};
    cases.push_back(std::move(c));
  }
  {  // PSK init protected: V flag, IDi, IDr, KEMAC AES-CM-128 + HMAC-SHA-1.
    Case c{"PskInitAesCmHmac", {}, {}};
    c.message.header = Header(data_type::kPskInit, 0x55667788,
                              {{0, 0xcafebabe, 0}}, /*v=*/true);
    c.message.payloads = {
        NtpUtc(kT),
        RandPayload{Pattern(16, 9)},
        IdPayload{id_type::kUri, Str("sip:alice@example.com")},
        IdPayload{id_type::kNai, Str("bob@example.net")},
        Rfc3830SrtpPolicy(0),
        SealedKemac(encr_alg::kAesCm128, 38)};
    cases.push_back(std::move(c));
  }
  {  // PSK verify: HDR, T, V.
    Case c{"PskVerify", {}, {}};
    c.message.header =
        Header(data_type::kPskVerify, 0x55667788, {{0, 0xcafebabe, 0}});
    c.message.payloads = {
        NtpUtc(kT + 1),
        VerificationPayload{mac_alg::kHmacSha1_160, Pattern(20, 0x33)}};
    cases.push_back(std::move(c));
  }
  {  // PK init: HDR, T, RAND, KEMAC, CHASH, PKE, SIGN.
    Case c{"PkInit", {}, {}};
    c.message.header =
        Header(data_type::kPkInit, 0x0badf00d, {{0, 0x0a0b0c0d, 0}});
    c.message.payloads = {
        NtpUtc(kT),
        RandPayload{Pattern(16, 0x21)},
        SealedKemac(encr_alg::kAesCm128, 60),
        ChashPayload{hash_func::kSha1, Pattern(20, 0x40)},
        PkePayload{1, Pattern(128, 0x50)},
        SignPayload{sign_type::kRsaPkcs1, Pattern(128, 0x60)}};
    cases.push_back(std::move(c));
  }
  {  // PK init with CERTi and IDr and an SP, as RFC 3830 3.2 orders them.
    Case c{"PkInitCertIdSp", {}, {}};
    c.message.header =
        Header(data_type::kPkInit, 0x0badf00e, {{0, 0x0a0b0c0d, 0}});
    c.message.payloads = {
        NtpUtc(kT),
        RandPayload{Pattern(16, 0x22)},
        CertPayload{cert_type::kX509v3, TestCertificate()},
        IdPayload{id_type::kUri, Str("sip:responder@example.org")},
        Rfc3830SrtpPolicy(0),
        SealedKemac(encr_alg::kAesKw128, 48),
        PkePayload{2, Pattern(256, 0x51)},
        SignPayload{sign_type::kRsaPss, Pattern(256, 0x61)}};
    cases.push_back(std::move(c));
  }
  {  // DH init: HDR, T, RAND, IDi, DH (OAKLEY 5), SIGN.
    Case c{"DhInitOakley5", {}, {}};
    c.message.header =
        Header(data_type::kDhInit, 0x0d0d0d0d, {{0, 0x12121212, 0}});
    c.message.payloads = {
        NtpUtc(kT), RandPayload{Pattern(16, 0x23)},
        IdPayload{id_type::kUri, Str("sip:i@example.com")},
        DhPayload{dh_group::kOakley5, Pattern(192, 0x70), {}},
        SignPayload{sign_type::kRsaPkcs1, Pattern(128, 0x62)}};
    cases.push_back(std::move(c));
  }
  {  // DH resp: HDR, T, IDr, IDi, DHr, DHi, SIGN (OAKLEY 1).
    Case c{"DhRespOakley1", {}, {}};
    c.message.header =
        Header(data_type::kDhResp, 0x0d0d0d0d, {{0, 0x12121212, 0}});
    c.message.payloads = {
        NtpUtc(kT + 2),
        IdPayload{id_type::kUri, Str("sip:r@example.com")},
        IdPayload{id_type::kUri, Str("sip:i@example.com")},
        DhPayload{dh_group::kOakley1, Pattern(96, 0x71), {}},
        DhPayload{dh_group::kOakley1, Pattern(96, 0x72), {}},
        SignPayload{sign_type::kRsaPkcs1, Pattern(128, 0x63)}};
    cases.push_back(std::move(c));
  }
  {  // DHHMAC init (RFC 4650): HDR, T, RAND, IDi, IDr, DH (OAKLEY 2), KEMAC.
    Case c{"DhhmacInitOakley2", {}, {}};
    c.message.header =
        Header(data_type::kDhhmacInit, 0x4650aaaa, {{0, 0x13131313, 0}});
    c.message.payloads = {NtpUtc(kT),
                          RandPayload{Pattern(16, 0x24)},
                          IdPayload{id_type::kUri, Str("sip:i@example.com")},
                          IdPayload{id_type::kUri, Str("sip:r@example.com")},
                          DhPayload{dh_group::kOakley2, Pattern(128, 0x73), {}},
                          MacOnlyKemac()};
    cases.push_back(std::move(c));
  }
  {  // DHHMAC resp: HDR, T, IDr, IDi, DHr, DHi, KEMAC.
    Case c{"DhhmacRespOakley2", {}, {}};
    c.message.header =
        Header(data_type::kDhhmacResp, 0x4650aaaa, {{0, 0x13131313, 0}});
    c.message.payloads = {NtpUtc(kT + 3),
                          IdPayload{id_type::kUri, Str("sip:r@example.com")},
                          IdPayload{id_type::kUri, Str("sip:i@example.com")},
                          DhPayload{dh_group::kOakley2, Pattern(128, 0x74), {}},
                          DhPayload{dh_group::kOakley2, Pattern(128, 0x75), {}},
                          MacOnlyKemac()};
    cases.push_back(std::move(c));
  }
  {  // RSA-R I_MESSAGE (RFC 4738): HDR, T, RAND, CERTi, SP, SIGNi.
    Case c{"RsaRInit", {}, {}};
    c.message.header =
        Header(data_type::kRsaRInit, 0x47380001, {{0, 0x14141414, 0}});
    c.message.payloads = {
        NtpUtc(kT), RandPayload{Pattern(16, 0x25)},
        CertPayload{cert_type::kX509v3, TestCertificate()},
        Rfc3830SrtpPolicy(0),
        SignPayload{sign_type::kRsaPkcs1, Pattern(128, 0x64)}};
    cases.push_back(std::move(c));
  }
  {  // RSA-R R_MESSAGE: HDR, T, IDr, RAND, KEMAC, PKE, SIGNr.
    Case c{"RsaRResp", {}, {}};
    c.message.header =
        Header(data_type::kRsaRResp, 0x47380001, {{0, 0x14141414, 0}});
    c.message.payloads = {
        NtpUtc(kT + 4),
        IdPayload{id_type::kUri, Str("sip:r@example.com")},
        RandPayload{Pattern(16, 0x26)},
        SealedKemac(encr_alg::kAesCm128, 54),
        PkePayload{0, Pattern(128, 0x52)},
        SignPayload{sign_type::kRsaPkcs1, Pattern(128, 0x65)}};
    cases.push_back(std::move(c));
  }
  {  // Error: HDR, T (COUNTER), ERR, ERR, V.
    Case c{"Error", {}, {}};
    c.message.header = Header(data_type::kError, 0x11223344, {});
    c.message.payloads = {
        TimestampPayload{ts_type::kCounter, 0x00000102},
        ErrorPayload{error_no::kInvalidDt, 0},
        ErrorPayload{error_no::kInvalidSpPar, 0},
        VerificationPayload{mac_alg::kHmacSha1_160, Pattern(20, 0x34)}};
    cases.push_back(std::move(c));
  }
  {  // General extensions (vendor data and RFC 4567 SDP-IDs) in a PSK init.
    Case c{"GeneralExtensions", {}, {}};
    c.clear_keys.push_back(Key(key_data_type::kTek, Pattern(30, 0x90),
                               std::nullopt, KeyValidity{}));
    c.message.header =
        Header(data_type::kPskInit, 0x21212121, {{0, 0x22222222, 0}});
    c.message.payloads = {
        NtpUtc(kT),
        RandPayload{Pattern(16, 0x27)},
        GeneralExtensionPayload{gen_ext_type::kVendorId, Pattern(12, 0xa0)},
        GeneralExtensionPayload{gen_ext_type::kSdpIds, Str("1 2 3")},
        Rfc3830SrtpPolicy(0),
        NullKemac(c.clear_keys)};
    cases.push_back(std::move(c));
  }
  {  // SP with every parameter TS 33.180 uses (AES-GCM, RCCm3, ROC rate,
     // tag lengths 18/19/20) and an unknown one, in a PSK init.
    Case c{"SpManyParamsGcm", {}, {}};
    c.clear_keys.push_back(Key(key_data_type::kTekSalt, Pattern(16, 0xb0),
                               Pattern(12, 0xb8), Spi(FromHex("01"))));
    SecurityPolicyPayload sp;
    sp.policy_no = 7;
    sp.prot_type = sp_prot_type::kSrtp;
    sp.params = {{0, {6}},  {1, {16}},  {2, {4}},
                 {4, {12}}, {5, {0}},   {6, {0}},
                 {7, {1}},  {8, {1}},   {9, {0}},
                 {10, {1}}, {13, {1}},  {18, {4}},
                 {19, {0}}, {20, {16}}, {250, FromHex("0102030405")}};
    c.message.header =
        Header(data_type::kPskInit, 0x33180000, {{7, 0x23232323, 0}});
    c.message.payloads = {NtpUtc(kT), RandPayload{Pattern(16, 0x28)}, sp,
                          NullKemac(c.clear_keys)};
    cases.push_back(std::move(c));
  }
  {  // MIKEY-SAKKE I_MESSAGE (RFC 6509) shape: HDR (PRF MIKEY-256), T, RAND,
     // IDRi, IDRr, SAKKE, SIGN (ECCSI). With an SRTP-ID map: tshark 4.0 does
     // not know the GENERIC-ID map (RFC 6043) that real MIKEY-SAKKE
     // messages carry and misreads the header after it, so that form cannot
     // be checked here.
    Case c{"SakkeInitSrtpMap", {}, {}};
    c.message.header =
        Header(data_type::kSakkeInit, 0x04000001, {{0, 0x24242424, 0}});
    c.message.header.prf_func = prf_func::kMikey256;
    c.message.payloads = {
        NtpUtc(kT),
        RandPayload{Pattern(16, 0x29)},
        IdrPayload{1, id_type::kUri, Str("tel:+447700900123")},
        IdrPayload{2, id_type::kUri, Str("tel:+447700900456")},
        SakkePayload{1, 2, Pattern(273, 0xd0)},
        SignPayload{sign_type::kEccsi, Pattern(129, 0xe0)}};
    cases.push_back(std::move(c));
  }
  return cases;
}

// ---------------------------------------------------------------------------
// Running tshark once over all messages.

class TsharkInteropTest : public ::testing::TestWithParam<size_t> {
 protected:
  static void SetUpTestSuite() {
    cases_ = new std::vector<Case>(Cases());
    wires_ = new std::vector<Bytes>();
    for (const Case& c : *cases_) {
      absl::StatusOr<Bytes> wire = SerializeMessage(c.message);
      wires_->push_back(wire.ok() ? *wire : Bytes());
      if (!wire.ok()) {
        serialize_errors_.push_back(
            absl::StrCat(c.name, ": ", wire.status().ToString()));
      }
    }
    absl::StatusOr<std::vector<PdmlNode>> packets =
        DissectWithTshark(*wires_, "tshark_interop");
    if (packets.ok()) {
      packets_ = new std::vector<PdmlNode>(*std::move(packets));
    } else {
      tshark_error_ = packets.status().ToString();
    }
  }
  static void TearDownTestSuite() {
    delete cases_;
    delete wires_;
    delete packets_;
    cases_ = nullptr;
    wires_ = nullptr;
    packets_ = nullptr;
  }

  static std::vector<Case>* cases_;
  static std::vector<Bytes>* wires_;
  static std::vector<PdmlNode>* packets_;
  static std::string tshark_error_;
  static std::vector<std::string> serialize_errors_;
};
std::vector<Case>* TsharkInteropTest::cases_ = nullptr;
std::vector<Bytes>* TsharkInteropTest::wires_ = nullptr;
std::vector<PdmlNode>* TsharkInteropTest::packets_ = nullptr;
std::string TsharkInteropTest::tshark_error_;
std::vector<std::string> TsharkInteropTest::serialize_errors_;

// ---------------------------------------------------------------------------
// Per-payload comparison.

long long Num(const PdmlNode& parent, absl::string_view field) {
  return ShowNumber(parent.Child(field));
}

std::string RawHex(const PdmlNode& parent, absl::string_view field) {
  const PdmlNode* n = parent.Child(field);
  return n != nullptr ? n->value : "<no " + std::string(field) + ">";
}

// Data type and SP encryption algorithm names as RFC 3830/4650/4738 and
// RFC 3830 6.10.1 give them; Wireshark's text must contain them.
const char* DataTypeText(uint8_t t) {
  switch (t) {
    case 0:
      return "Pre-shared";
    case 1:
      return "PSK ver msg";
    case 2:
      return "Public key";
    case 3:
      return "PK ver msg";
    case 4:
      return "D-H init";
    case 5:
      return "D-H resp";
    case 6:
      return "Error";
    case 7:
      return "DHHMAC init";
    case 8:
      return "DHHMAC resp";
    case 9:
      return "RSA-R I_MSG";
    case 10:
      return "RSA-R R_MSG";
    case 26:
      return "SAKKE";
  }
  return "";
}

void CheckKeyData(const PdmlNode& key, const KeyDataPayload& kd) {
  EXPECT_EQ(Num(key, "mikey.key.type"), kd.type);
  EXPECT_EQ(Num(key, "mikey.key.kv"), kd.validity.type);
  EXPECT_EQ(Num(key, "mikey.key.data.len"),
            static_cast<long long>(kd.key.size()));
  EXPECT_EQ(RawHex(key, "mikey.key.data"), ToHex(kd.key.span()));
  if (kd.salt) {
    EXPECT_EQ(Num(key, "mikey.key.salt.len"),
              static_cast<long long>(kd.salt->size()));
    EXPECT_EQ(RawHex(key, "mikey.key.salt"), ToHex(kd.salt->span()));
  } else {
    EXPECT_EQ(key.Child("mikey.key.salt"), nullptr);
  }
  switch (kd.validity.type) {
    case key_validity::kSpi:
      EXPECT_EQ(Num(key, "mikey.key.kv.spi.len"),
                static_cast<long long>(kd.validity.spi.size()));
      EXPECT_EQ(RawHex(key, "mikey.key.kv.spi"), ToHex(kd.validity.spi));
      break;
    case key_validity::kInterval:
      EXPECT_EQ(Num(key, "mikey.key.kv.from.len"),
                static_cast<long long>(kd.validity.valid_from.size()));
      EXPECT_EQ(RawHex(key, "mikey.key.kv.from"),
                ToHex(kd.validity.valid_from));
      EXPECT_EQ(Num(key, "mikey.key.kv.to.len"),
                static_cast<long long>(kd.validity.valid_to.size()));
      EXPECT_EQ(RawHex(key, "mikey.key.kv.to"), ToHex(kd.validity.valid_to));
      break;
    default:
      EXPECT_EQ(key.Child("mikey.key.kv.spi"), nullptr);
      EXPECT_EQ(key.Child("mikey.key.kv.from"), nullptr);
  }
}

// Checks one payload node against the payload we serialized.
struct PayloadChecker {
  const PdmlNode& node;
  const Case& c;

  void operator()(const KemacPayload& k) const {
    EXPECT_EQ(Num(node, "mikey.kemac.encr_alg"), k.encr_alg);
    EXPECT_EQ(Num(node, "mikey.kemac.key_data_len"),
              static_cast<long long>(k.encr_data.size()));
    std::vector<const PdmlNode*> keys = node.Children("mikey.key");
    if (k.encr_alg == encr_alg::kNull && !c.clear_keys.empty()) {
      // Wireshark dissects NULL-encrypted key data of PSK init messages.
      // QUIRK (tshark 4.0): it dissects only the first Key data
      // sub-payload and ignores that sub-payload's next-payload field, so
      // the others are not shown (silently). Their octets are still covered
      // by mikey.kemac.key_data_len, checked above; GStreamer reads all of
      // them in gstreamer_interop_test.
      ASSERT_FALSE(keys.empty());
      if (keys.size() != c.clear_keys.size()) {
        EXPECT_EQ(keys.size(), 1u);
        std::printf("tshark QUIRK: showed %zu of %zu key data sub-payloads\n",
                    keys.size(), c.clear_keys.size());
      }
      for (size_t i = 0; i < keys.size(); ++i) {
        SCOPED_TRACE(absl::StrCat("key data #", i + 1));
        CheckKeyData(*keys[i], c.clear_keys[i]);
      }
    } else if (!k.encr_data.empty()) {
      EXPECT_THAT(keys, IsEmpty());
      EXPECT_EQ(RawHex(node, "mikey.kemac.key_data"), ToHex(k.encr_data));
    }
    EXPECT_EQ(Num(node, "mikey.kemac.mac_alg"), k.mac_alg);
    if (!k.mac.empty()) {
      EXPECT_EQ(RawHex(node, "mikey.kemac.mac"), ToHex(k.mac));
    }
  }
  void operator()(const PkePayload& p) const {
    EXPECT_EQ(Num(node, "mikey.pke.c"), p.cache);
    EXPECT_EQ(Num(node, "mikey.pke.len"),
              static_cast<long long>(p.data.size()));
    EXPECT_EQ(RawHex(node, "mikey.pke.data"), ToHex(p.data));
  }
  void operator()(const DhPayload& d) const {
    EXPECT_EQ(Num(node, "mikey.dh.group"), d.group);
    EXPECT_EQ(RawHex(node, "mikey.dh.value"), ToHex(d.value));
    EXPECT_EQ(Num(node, "mikey.dh.reserv"), 0);
    EXPECT_EQ(Num(node, "mikey.dh.kv"), d.validity.type);
  }
  void operator()(const SignPayload& s) const {
    EXPECT_EQ(Num(node, "mikey.sign.type"), s.type);
    EXPECT_EQ(Num(node, "mikey.sign.len"),
              static_cast<long long>(s.signature.size()));
    EXPECT_EQ(RawHex(node, "mikey.sign.data"), ToHex(s.signature));
  }
  void operator()(const TimestampPayload& t) const {
    EXPECT_EQ(Num(node, "mikey.t.ts_type"), t.ts_type);
    if (t.ts_type == ts_type::kNtpUtc || t.ts_type == ts_type::kNtp) {
      Bytes be;
      for (int i = 7; i >= 0; --i)
        be.push_back(static_cast<uint8_t>(t.value >> (8 * i)));
      EXPECT_EQ(RawHex(node, "mikey.t.ntp"), ToHex(be));
    } else {
      // Wireshark shows no value field for COUNTER; the payload size (2 +
      // 4 octets) is checked with the chain.
      EXPECT_EQ(node.Child("mikey.t.ntp"), nullptr);
    }
  }
  void operator()(const IdPayload& id) const {
    EXPECT_EQ(Num(node, "mikey.id.type"), id.id_type);
    EXPECT_EQ(Num(node, "mikey.id.len"),
              static_cast<long long>(id.data.size()));
    const PdmlNode* data = node.Child("mikey.id.data");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->show, std::string(id.data.begin(), id.data.end()));
  }
  void operator()(const IdrPayload& id) const {
    EXPECT_EQ(Num(node, "mikey.id.role"), id.role);
    EXPECT_EQ(Num(node, "mikey.id.type"), id.id_type);
    EXPECT_EQ(Num(node, "mikey.id.len"),
              static_cast<long long>(id.data.size()));
    const PdmlNode* data = node.Child("mikey.id.data");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->show, std::string(id.data.begin(), id.data.end()));
  }
  void operator()(const CertPayload& cert) const {
    EXPECT_EQ(Num(node, "mikey.cert.type"), cert.cert_type);
    // QUIRK (tshark 4.0): mikey.cert.len is taken from the two octets at
    // payload offset 1, i.e. the CERT type and the high octet of the real
    // length, not from the length field at offset 2. We check that it shows
    // exactly that misreading (or, in a fixed Wireshark, the real length),
    // and check the real length through the payload size (4 + data).
    const long long shown = Num(node, "mikey.cert.len");
    const long long misread = (cert.cert_type << 8) | (cert.data.size() >> 8);
    EXPECT_TRUE(shown == misread ||
                shown == static_cast<long long>(cert.data.size()))
        << "mikey.cert.len shows " << shown;
    if (shown == misread && shown != static_cast<long long>(cert.data.size())) {
      std::printf(
          "tshark QUIRK: mikey.cert.len shows %lld for a %zu-octet "
          "certificate\n",
          shown, cert.data.size());
    }
    EXPECT_EQ(node.size, 4 + static_cast<long>(cert.data.size()));
    // The data went to Wireshark's X.509 dissector: our test certificate's
    // subject must be readable there.
    bool found_subject = false;
    for (const PdmlNode* n : node.FindAllWithPrefix("x509")) {
      if (absl::StrContains(n->show, "mikey-broker interop test")) {
        found_subject = true;
      }
    }
    EXPECT_TRUE(found_subject) << "X.509 subject not found in CERT dissection";
  }
  void operator()(const ChashPayload&) const {
    // QUIRK (tshark 4.0): Wireshark has no CHASH dissector; it shows the
    // payload's next-payload field and stops there (see the chain check).
  }
  void operator()(const VerificationPayload& v) const {
    EXPECT_EQ(Num(node, "mikey.v.auth_alg"), v.auth_alg);
    EXPECT_EQ(RawHex(node, "mikey.v.ver_data"), ToHex(v.mac));
  }
  void operator()(const SecurityPolicyPayload& sp) const {
    EXPECT_EQ(Num(node, "mikey.sp.no"), sp.policy_no);
    EXPECT_EQ(Num(node, "mikey.sp.proto_type"), sp.prot_type);
    long long param_len = 0;
    for (const PolicyParam& p : sp.params) param_len += 2 + p.value.size();
    EXPECT_EQ(Num(node, "mikey.sp.param_len"), param_len);
    // Parameter nodes: every child with a type sub-field.
    std::vector<const PdmlNode*> params;
    for (const PdmlNode* child : node.Children()) {
      if (child->Child("mikey.sp.param.type") != nullptr)
        params.push_back(child);
    }
    ASSERT_EQ(params.size(), sp.params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const PolicyParam& want = sp.params[i];
      SCOPED_TRACE(absl::StrCat("SP parameter #", i + 1, " (type ",
                                static_cast<int>(want.type), ")"));
      EXPECT_EQ(Num(*params[i], "mikey.sp.param.type"), want.type);
      EXPECT_EQ(Num(*params[i], "mikey.sp.param.len"),
                static_cast<long long>(want.value.size()));
      // QUIRK (Wireshark): the value field is spelt "patam".
      EXPECT_EQ(RawHex(*params[i], "mikey.sp.patam.value"), ToHex(want.value));
      if (want.type == srtp_param::kEncrAlg && want.value.size() == 1) {
        EXPECT_EQ(params[i]->name, "mikey.sp.encr_alg");
        EXPECT_EQ(ShowNumber(params[i]), want.value[0]);
        switch (want.value[0]) {
          case 0:
            EXPECT_THAT(params[i]->showname, ::testing::HasSubstr("NULL"));
            break;
          case 1:
            EXPECT_THAT(params[i]->showname, ::testing::HasSubstr("AES-CM"));
            break;
          case 6:
            // QUIRK (tshark 4.0): no name for AES-GCM (RFC 7714), so only
            // the number is compared; the text reads "Unknown (6)".
            std::printf("tshark QUIRK: SP encr alg 6 shows as \"%s\"\n",
                        params[i]->showname.c_str());
            break;
        }
      }
    }
  }
  void operator()(const RandPayload& r) const {
    EXPECT_EQ(Num(node, "mikey.rand.len"),
              static_cast<long long>(r.rand.size()));
    EXPECT_EQ(RawHex(node, "mikey.rand.data"), ToHex(r.rand));
  }
  void operator()(const ErrorPayload& e) const {
    EXPECT_EQ(Num(node, "mikey.err.no"), e.error_no);
    EXPECT_EQ(RawHex(node, "mikey.err.reserved"),
              absl::StrFormat("%04x", e.reserved));
  }
  void operator()(const GeneralExtensionPayload& g) const {
    EXPECT_EQ(Num(node, "mikey.ext.type"), g.type);
    EXPECT_EQ(Num(node, "mikey.ext.len"),
              static_cast<long long>(g.data.size()));
    if (g.type == gen_ext_type::kSdpIds) {
      // SDP-IDs are shown as text.
      const PdmlNode* v = node.Child("mikey.ext.value");
      ASSERT_NE(v, nullptr);
      EXPECT_EQ(v->show, std::string(g.data.begin(), g.data.end()));
    } else {
      EXPECT_EQ(RawHex(node, "mikey.ext.data"), ToHex(g.data));
    }
  }
  void operator()(const SakkePayload& s) const {
    EXPECT_EQ(Num(node, "mikey.sakke.params"), s.params);
    EXPECT_EQ(Num(node, "mikey.sakke.idscheme"), s.id_scheme);
    EXPECT_EQ(Num(node, "mikey.sakke.len"),
              static_cast<long long>(s.data.size()));
    EXPECT_EQ(RawHex(node, "mikey.sakke.data"), ToHex(s.data));
  }
};

TEST_P(TsharkInteropTest, WiresharkDissectsWhatWeBuilt) {
  ASSERT_THAT(serialize_errors_, IsEmpty());
  ASSERT_TRUE(tshark_error_.empty()) << tshark_error_;
  const Case& c = (*cases_)[GetParam()];
  const Bytes& wire = (*wires_)[GetParam()];
  const PdmlNode& packet = (*packets_)[GetParam()];
  SCOPED_TRACE(absl::StrCat(c.name, ": ", ToHex(wire)));

  EXPECT_THAT(DissectionProblems(packet), IsEmpty());
  const PdmlNode* mikey = packet.Child("mikey");
  ASSERT_NE(mikey, nullptr) << "tshark did not decode UDP 2269 as MIKEY";
  EXPECT_EQ(mikey->size, static_cast<long>(wire.size()));

  // Common header.
  const CommonHeader& h = c.message.header;
  const PdmlNode* hdr = mikey->Child("mikey.hdr");
  ASSERT_NE(hdr, nullptr);
  EXPECT_EQ(Num(*hdr, "mikey.version"), h.version);
  EXPECT_EQ(Num(*hdr, "mikey.type"), h.data_type);
  ASSERT_NE(hdr->Child("mikey.type"), nullptr);
  EXPECT_THAT(hdr->Child("mikey.type")->showname,
              ::testing::HasSubstr(DataTypeText(h.data_type)));
  EXPECT_EQ(
      Num(*hdr, "mikey.next_payload"),
      c.message.payloads.empty() ? 0 : PayloadTypeOf(c.message.payloads[0]));
  EXPECT_EQ(Num(*hdr, "mikey.v.set"), h.v_flag ? 1 : 0);
  EXPECT_EQ(Num(*hdr, "mikey.prf_func"), h.prf_func);
  EXPECT_EQ(Num(*hdr, "mikey.csb_id"), h.csb_id);
  EXPECT_EQ(Num(*hdr, "mikey.cs_count"),
            static_cast<long long>(h.srtp_map.size()));
  EXPECT_EQ(Num(*hdr, "mikey.cs_id_map_type"), h.cs_id_map_type);
  std::vector<const PdmlNode*> srtp = hdr->Children("mikey.srtp_id");
  ASSERT_EQ(srtp.size(), h.srtp_map.size());
  for (size_t i = 0; i < srtp.size(); ++i) {
    EXPECT_EQ(Num(*srtp[i], "mikey.srtp_id.policy_no"),
              h.srtp_map[i].policy_no);
    EXPECT_EQ(Num(*srtp[i], "mikey.srtp_id.ssrc"), h.srtp_map[i].ssrc);
    EXPECT_EQ(Num(*srtp[i], "mikey.srtp_id.roc"), h.srtp_map[i].roc);
  }

  // The chain: same payloads, same boundaries as our parser, whole message.
  MessageLayout layout;
  absl::StatusOr<Message> ours = ParseMessage(wire, &layout);
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_EQ(hdr->size, static_cast<long>(layout.header_end));
  // QUIRK (tshark 4.0): having no CHASH dissector, Wireshark ends the
  // chain at a CHASH payload, whose node then spans the rest of the message,
  // without flagging anything. Payloads after a CHASH are therefore not
  // checked here; the same payload kinds are checked in messages without
  // CHASH (PkInitCertIdSp has PKE and SIGN after its KEMAC).
  size_t shown = c.message.payloads.size();
  for (size_t i = 0; i < c.message.payloads.size(); ++i) {
    if (PayloadTypeOf(c.message.payloads[i]) == payload_type::kChash) {
      shown = i + 1;
      break;
    }
  }
  std::vector<const PdmlNode*> nodes = TsharkPayloads(*mikey);
  ASSERT_EQ(nodes.size(), shown)
      << "Wireshark followed a different payload chain";
  long covered = hdr->size;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Payload& p = c.message.payloads[i];
    const uint8_t type = PayloadTypeOf(p);
    SCOPED_TRACE(absl::StrCat("payload #", i + 1, " ", PayloadName(type)));
    EXPECT_EQ(nodes[i]->name, TsharkPayloadName(type));
    EXPECT_EQ(nodes[i]->pos,
              kMikeyFrameOffset + static_cast<long>(layout.payloads[i].begin));
    const long extent =
        static_cast<long>(layout.payloads[i].end - layout.payloads[i].begin);
    if (type == payload_type::kChash && nodes[i]->size != extent) {
      EXPECT_EQ(nodes[i]->size,
                static_cast<long>(wire.size() - layout.payloads[i].begin));
      std::printf("tshark QUIRK: CHASH not dissected; chain ends there\n");
    } else {
      EXPECT_EQ(nodes[i]->size, extent);
    }
    covered += nodes[i]->size;
    if (type != payload_type::kSign) {
      const uint8_t next = i + 1 < c.message.payloads.size()
                               ? PayloadTypeOf(c.message.payloads[i + 1])
                               : payload_type::kLast;
      EXPECT_EQ(Num(*nodes[i], "mikey.next_payload"), next);
    }
    std::visit(PayloadChecker{*nodes[i], c}, p);
  }
  EXPECT_EQ(covered, static_cast<long>(wire.size()));
}

std::vector<size_t> CaseIndexes() {
  std::vector<size_t> v;
  for (size_t i = 0; i < Cases().size(); ++i) v.push_back(i);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Messages, TsharkInteropTest,
                         ::testing::ValuesIn(CaseIndexes()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return Cases()[info.param].name;
                         });

// A message Wireshark must flag: a PSK init truncated inside its KEMAC. This
// proves the malformed-packet detection above can fail.
TEST(TsharkSanityTest, TruncatedMessageIsReportedMalformed) {
  std::vector<Case> cases = Cases();
  absl::StatusOr<Bytes> wire = SerializeMessage(cases[0].message);
  ASSERT_TRUE(wire.ok()) << wire.status();
  Bytes truncated(wire->begin(), wire->end() - 10);
  absl::StatusOr<std::vector<PdmlNode>> packets =
      DissectWithTshark({truncated}, "tshark_truncated");
  ASSERT_TRUE(packets.ok()) << packets.status();
  EXPECT_THAT(DissectionProblems((*packets)[0]), ::testing::Not(IsEmpty()));
}

}  // namespace
}  // namespace interop
}  // namespace mikey
