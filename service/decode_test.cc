#include "service/decode.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "mikey/broker/v1/broker.pb.h"

namespace mikey {
namespace service {
namespace {

namespace pb = ::mikey::broker::v1;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// All messages below are written by hand from RFC 3830 section 6 (and RFC
// 6043 / 6509 for IDR, SAKKE and the GENERIC-ID map); offsets in the comments
// are counted by hand.

// PSK I_MESSAGE, MIKEY-NULL style: HDR, T, RAND, SP, KEMAC (NULL/NULL) with
// one TEK+SALT key data sub-payload carrying an SPI/MKI. 124 octets.
constexpr char kPskHex[] =
    // HDR @0 (19): version 1, data type 0 (PSK init), next 5 (T), V=0 PRF 0,
    // CSB ID 0x12345678, #CS 1, map type 0 (SRTP-ID),
    // entry: policy 0, SSRC 0xDEADBEEF, ROC 7.
    "01"
    "00"
    "05"
    "00"
    "12345678"
    "01"
    "00"
    "00"
    "deadbeef"
    "00000007"
    // T @19 (10): next 11 (RAND), NTP-UTC, 0xE93C7F00.80000000 =
    // 2024-01-01T00:00:00.5Z (1704067200 + 2208988800 = 3913056000 s).
    "0b"
    "00"
    "e93c7f00"
    "80000000"
    // RAND @29 (18): next 10 (SP), length 16, 00..0f.
    "0a"
    "10"
    "000102030405060708090a0b0c0d0e0f"
    // SP @47 (31): next 1 (KEMAC), policy 0, SRTP, params length 26:
    // enc alg = 1 (AES-CM), enc key len = 16, auth alg = 1 (HMAC-SHA-1),
    // SRTP encryption = 1 (on), auth tag len = 10, unknown type 200 with 9
    // octets 50..58.
    "01"
    "00"
    "00"
    "001a"
    "000101"
    "010110"
    "020101"
    "070101"
    "0b010a"
    "c809"
    "505152535455565758"
    // KEMAC @78 (46): next 0 (last), encr NULL, encr data len 41,
    //   key data: next 0, type 3 (TEK+SALT) | KV 1 (SPI), key len 16,
    //   key a0..af, salt len 14, salt b0..bd, SPI len 4, SPI 00000001;
    // MAC alg 0 (NULL).
    "00"
    "00"
    "0029"
    "00"
    "31"
    "0010"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "000e"
    "b0b1b2b3b4b5b6b7b8b9babbbcbd"
    "04"
    "00000001"
    "00";

constexpr char kPskKeyHex[] = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
constexpr char kPskSaltHex[] = "b0b1b2b3b4b5b6b7b8b9babbbcbd";

// Error message (data type 6): HDR, T (COUNTER), ERR, ID, GEN-EXT, V.
// 75 octets.
constexpr char kErrorHex[] =
    // HDR @0 (10): data type 6, next 5 (T), V=0 PRF 0, CSB 42, #CS 0, SRTP-ID.
    "01"
    "06"
    "05"
    "00"
    "0000002a"
    "00"
    "00"
    // T @10 (6): next 12 (ERR), COUNTER, 256.
    "0c"
    "02"
    "00000100"
    // ERR @16 (4): next 6 (ID), error 3 (Invalid MAC), reserved 0.
    "06"
    "03"
    "0000"
    // ID @20 (25): next 21 (GEN-EXT), URI, length 21, "sip:alice@example.com".
    "15"
    "01"
    "0015"
    "7369703a616c696365406578616d706c652e636f6d"
    // GEN-EXT @45 (8): next 9 (V), Vendor-ID, length 4, "ACME".
    "09"
    "00"
    "0004"
    "41434d45"
    // V @53 (22): next 0, HMAC-SHA-1-160, 20 octets of 0x11.
    "00"
    "01"
    "1111111111111111111111111111111111111111";

// DH init (data type 4): HDR, RAND, DH (OAKLEY 1, KV SPI), SIGN. 136 octets.
std::string DhHex() {
  std::string value;
  for (int i = 0; i < 96; ++i) value += "5a";
  return absl::StrCat(
      // HDR @0 (10): data type 4, next 11 (RAND), CSB 1, #CS 0, SRTP-ID.
      "01", "04", "0b", "00", "00000001", "00", "00",
      // RAND @10 (18): next 3 (DH), 16 octets.
      "03", "10", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
      // DH @28 (102): next 4 (SIGN), group 1 (OAKLEY 1: 96 octets), value,
      // Reserv 0 | KV 1 (SPI), SPI len 2, SPI ABCD.
      "04", "01", value, "01", "02", "abcd",
      // SIGN @130 (6): type 0 (RSA/PKCS#1/1.5) | length 4, signature.
      "0004", "c0c1c2c3");
}

// SAKKE I_MESSAGE shape (data type 26, MIKEY-256, GENERIC-ID map): HDR, IDR,
// CERT, CHASH, PKE, SAKKE, KEMAC (AES-CM + HMAC: encrypted). 101 octets.
constexpr char kSakkeHex[] =
    // HDR @0 (17): data type 26, next 14 (IDR), V=0 PRF 1, CSB 5, #CS 1,
    // map type 2 (GENERIC-ID), entry: CS ID 4, prot 0, S=0 #P=1, P 0,
    // session data length 0, SPI length 0.
    "01"
    "1a"
    "0e"
    "01"
    "00000005"
    "01"
    "02"
    "04"
    "00"
    "01"
    "00"
    "0000"
    "00"
    // IDR @17 (12): next 7 (CERT), role 1 (IDRi), URI, length 7, "tel:+44".
    "07"
    "01"
    "01"
    "0007"
    "74656c3a2b3434"
    // CERT @29 (9): next 8 (CHASH), X.509v3 URL, length 5, "x.org".
    "08"
    "01"
    "0005"
    "782e6f7267"
    // CHASH @38 (18): next 2 (PKE), MD5, 16 octets of 0x33.
    "02"
    "01"
    "33333333333333333333333333333333"
    // PKE @56 (6): next 26 (SAKKE), C=1 | length 3, 3 octets of 0x44.
    "1a"
    "4003"
    "444444"
    // SAKKE @62 (9): next 1 (KEMAC), params 1, ID scheme 2, length 4,
    // 4 octets of 0x55.
    "01"
    "01"
    "02"
    "0004"
    "55555555"
    // KEMAC @71 (30): next 0, AES-CM-128, length 5, 5 octets of 0x66,
    // HMAC-SHA-1-160, MAC 20 octets of 0x77.
    "00"
    "01"
    "0005"
    "6666666666"
    "01"
    "7777777777777777777777777777777777777777";

// PSK with two NULL key data sub-payloads: TEK without salt, then TGK.
// 47 octets.
constexpr char kTwoKeysHex[] =
    // HDR @0 (10): data type 0, next 1 (KEMAC), CSB 0, #CS 0, SRTP-ID.
    "01"
    "00"
    "01"
    "00"
    "00000000"
    "00"
    "00"
    // KEMAC @10 (37): next 0, NULL, length 32,
    //   key data: next 20 (key data), TEK | KV NULL, len 16, key c0..cf;
    //   key data: next 0, TGK | KV NULL, len 8, key d0..d7;
    // MAC alg NULL.
    "00"
    "00"
    "0020"
    "14"
    "20"
    "0010"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "00"
    "00"
    "0008"
    "d0d1d2d3d4d5d6d7"
    "00";

std::string Bin(absl::string_view hex) { return absl::HexStringToBytes(hex); }

pb::MikeyInput BytesInput(absl::string_view hex) {
  pb::MikeyInput input;
  input.set_message(Bin(hex));
  return input;
}

pb::MikeyInput TextInput(absl::string_view text) {
  pb::MikeyInput input;
  input.set_text(std::string(text));
  return input;
}

std::string Json(const pb::DecodeResponse& r) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  EXPECT_TRUE(
      google::protobuf::util::MessageToJsonString(r, &json, options).ok());
  return json;
}

TEST(DecodeTest, PskMessageHeader) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kPskHex), &r).ok());
  EXPECT_EQ(r.input_form(), pb::INPUT_FORM_BYTES);
  EXPECT_EQ(r.input_size(), 124u);
  EXPECT_EQ(r.location_case(), pb::DecodeResponse::LOCATION_NOT_SET);
  const pb::DecodedMessage& m = r.message();
  EXPECT_EQ(m.size(), 124u);
  const pb::CommonHeader& h = m.header();
  EXPECT_EQ(h.version(), 1u);
  EXPECT_EQ(h.data_type(), pb::DATA_TYPE_PSK_INIT);
  EXPECT_EQ(h.data_type_value(), 0u);
  EXPECT_EQ(h.data_type_name(), "Pre-shared");
  EXPECT_FALSE(h.v_flag());
  EXPECT_EQ(h.prf_func(), pb::PRF_FUNC_MIKEY_1);
  EXPECT_EQ(h.prf_func_value(), 0u);
  EXPECT_EQ(h.csb_id(), 0x12345678u);
  EXPECT_EQ(h.cs_count(), 1u);
  EXPECT_EQ(h.cs_id_map_type(), pb::CS_ID_MAP_TYPE_SRTP_ID);
  EXPECT_EQ(h.cs_id_map_type_value(), 0u);
  ASSERT_EQ(h.srtp_map_size(), 1);
  EXPECT_EQ(h.srtp_map(0).cs_id(), 1u);
  EXPECT_EQ(h.srtp_map(0).policy_no(), 0u);
  EXPECT_EQ(h.srtp_map(0).ssrc(), 0xDEADBEEFu);
  EXPECT_EQ(h.srtp_map(0).roc(), 7u);
  EXPECT_EQ(h.generic_map_size(), 0);
  EXPECT_EQ(h.length(), 19u);
}

TEST(DecodeTest, PskMessagePayloads) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kPskHex), &r).ok());
  const pb::DecodedMessage& m = r.message();
  ASSERT_EQ(m.payloads_size(), 4);

  const pb::Payload& t = m.payloads(0);
  EXPECT_EQ(t.offset(), 19u);
  EXPECT_EQ(t.length(), 10u);
  EXPECT_EQ(t.type(), 5u);
  EXPECT_EQ(t.type_name(), "T");
  ASSERT_TRUE(t.has_timestamp());
  EXPECT_EQ(t.timestamp().type(), 0u);
  EXPECT_EQ(t.timestamp().type_name(), "NTP-UTC");
  EXPECT_EQ(t.timestamp().value(), 0xE93C7F0080000000u);
  EXPECT_EQ(t.timestamp().time(), "2024-01-01T00:00:00.5Z");

  const pb::Payload& rand = m.payloads(1);
  EXPECT_EQ(rand.offset(), 29u);
  EXPECT_EQ(rand.length(), 18u);
  EXPECT_EQ(rand.type_name(), "RAND");
  ASSERT_TRUE(rand.has_rand());
  EXPECT_EQ(rand.rand().rand(), Bin("000102030405060708090a0b0c0d0e0f"));

  const pb::Payload& sp = m.payloads(2);
  EXPECT_EQ(sp.offset(), 47u);
  EXPECT_EQ(sp.length(), 31u);
  EXPECT_EQ(sp.type(), 10u);
  EXPECT_EQ(sp.type_name(), "SP");
  ASSERT_TRUE(sp.has_security_policy());
  const pb::SecurityPolicyPayload& policy = sp.security_policy();
  EXPECT_EQ(policy.policy_no(), 0u);
  EXPECT_EQ(policy.prot_type(), 0u);
  EXPECT_EQ(policy.prot_type_name(), "SRTP");
  ASSERT_EQ(policy.params_size(), 6);
  EXPECT_EQ(policy.params(0).type(), 0u);
  EXPECT_EQ(policy.params(0).name(), "encryption_algorithm");
  EXPECT_EQ(policy.params(0).value(), Bin("01"));
  EXPECT_TRUE(policy.params(0).has_int_value());
  EXPECT_EQ(policy.params(0).int_value(), 1u);
  EXPECT_EQ(policy.params(0).value_name(), "AES-CM");
  EXPECT_EQ(policy.params(1).name(), "session_encryption_key_length");
  EXPECT_EQ(policy.params(1).int_value(), 16u);
  EXPECT_EQ(policy.params(1).value_name(), "");
  EXPECT_EQ(policy.params(2).name(), "authentication_algorithm");
  EXPECT_EQ(policy.params(2).value_name(), "HMAC-SHA-1");
  EXPECT_EQ(policy.params(3).name(), "srtp_encryption");
  EXPECT_EQ(policy.params(3).value_name(), "on");
  EXPECT_EQ(policy.params(4).name(), "authentication_tag_length");
  EXPECT_EQ(policy.params(4).int_value(), 10u);
  // Unknown type, 9 octets: kept raw, no name, no integer.
  EXPECT_EQ(policy.params(5).type(), 200u);
  EXPECT_EQ(policy.params(5).name(), "");
  EXPECT_EQ(policy.params(5).value(), Bin("505152535455565758"));
  EXPECT_FALSE(policy.params(5).has_int_value());

  const pb::Payload& kemac = m.payloads(3);
  EXPECT_EQ(kemac.offset(), 78u);
  EXPECT_EQ(kemac.length(), 46u);
  EXPECT_EQ(kemac.type(), 1u);
  EXPECT_EQ(kemac.type_name(), "KEMAC");
  ASSERT_TRUE(kemac.has_kemac());
  const pb::KemacPayload& k = kemac.kemac();
  EXPECT_EQ(k.encryption_algorithm(), 0u);
  EXPECT_EQ(k.encryption_algorithm_name(), "NULL");
  EXPECT_EQ(k.encrypted_data_length(), 41u);
  EXPECT_EQ(k.mac_algorithm(), 0u);
  EXPECT_EQ(k.mac_algorithm_name(), "NULL");
  EXPECT_EQ(k.mac(), "");
  ASSERT_EQ(k.key_data_size(), 1);
  EXPECT_EQ(k.key_data(0).type(), 3u);
  EXPECT_EQ(k.key_data(0).type_name(), "TEK+SALT");
  EXPECT_EQ(k.key_data(0).key_length(), 16u);
  ASSERT_TRUE(k.key_data(0).has_salt_length());
  EXPECT_EQ(k.key_data(0).salt_length(), 14u);
  EXPECT_EQ(k.key_data(0).key_validity().type(), 1u);
  EXPECT_EQ(k.key_data(0).key_validity().type_name(), "SPI/MKI");
  EXPECT_EQ(k.key_data(0).key_validity().spi(), Bin("00000001"));
}

TEST(DecodeTest, NoKeyMaterialInResponse) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kPskHex), &r).ok());
  const std::string key = Bin(kPskKeyHex);
  const std::string salt = Bin(kPskSaltHex);
  // Sanity: the input does hold them.
  ASSERT_THAT(Bin(kPskHex), HasSubstr(key));
  ASSERT_THAT(Bin(kPskHex), HasSubstr(salt));

  const std::string wire = r.SerializeAsString();
  EXPECT_THAT(wire, Not(HasSubstr(key)));
  EXPECT_THAT(wire, Not(HasSubstr(salt)));
  // Not even the first 4 octets of either.
  EXPECT_THAT(wire, Not(HasSubstr(key.substr(0, 4))));
  EXPECT_THAT(wire, Not(HasSubstr(salt.substr(0, 4))));

  const std::string debug = r.DebugString();
  for (const std::string& secret : {key, salt}) {
    EXPECT_THAT(debug, Not(HasSubstr(secret)));
    EXPECT_THAT(debug, Not(HasSubstr(absl::CEscape(secret.substr(0, 4)))));
    EXPECT_THAT(debug, Not(HasSubstr(absl::CHexEscape(secret.substr(0, 4)))));
    EXPECT_THAT(debug, Not(HasSubstr(absl::BytesToHexString(secret))));
  }
  const std::string json = Json(r);
  EXPECT_THAT(json, Not(HasSubstr(absl::Base64Escape(key))));
  EXPECT_THAT(json, Not(HasSubstr(absl::Base64Escape(salt))));
}

TEST(DecodeTest, TwoKeyDataWithoutSalt) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kTwoKeysHex), &r).ok());
  ASSERT_EQ(r.message().payloads_size(), 1);
  const pb::KemacPayload& k = r.message().payloads(0).kemac();
  EXPECT_EQ(k.encrypted_data_length(), 32u);
  ASSERT_EQ(k.key_data_size(), 2);
  EXPECT_EQ(k.key_data(0).type_name(), "TEK");
  EXPECT_EQ(k.key_data(0).key_length(), 16u);
  EXPECT_FALSE(k.key_data(0).has_salt_length());
  EXPECT_EQ(k.key_data(0).key_validity().type_name(), "NULL");
  EXPECT_EQ(k.key_data(1).type_name(), "TGK");
  EXPECT_EQ(k.key_data(1).key_length(), 8u);
  EXPECT_FALSE(k.key_data(1).has_salt_length());
  const std::string wire = r.SerializeAsString();
  EXPECT_THAT(wire, Not(HasSubstr(Bin("c0c1c2c3"))));
  EXPECT_THAT(wire, Not(HasSubstr(Bin("d0d1d2d3"))));
}

TEST(DecodeTest, ErrorMessagePayloads) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kErrorHex), &r).ok());
  const pb::DecodedMessage& m = r.message();
  EXPECT_EQ(m.size(), 75u);
  EXPECT_EQ(m.header().data_type(), pb::DATA_TYPE_ERROR);
  EXPECT_EQ(m.header().data_type_value(), 6u);
  EXPECT_EQ(m.header().csb_id(), 42u);
  EXPECT_EQ(m.header().cs_count(), 0u);
  EXPECT_EQ(m.header().length(), 10u);
  ASSERT_EQ(m.payloads_size(), 5);

  EXPECT_EQ(m.payloads(0).offset(), 10u);
  EXPECT_EQ(m.payloads(0).timestamp().type_name(), "COUNTER");
  EXPECT_EQ(m.payloads(0).timestamp().value(), 256u);
  EXPECT_EQ(m.payloads(0).timestamp().time(), "");

  EXPECT_EQ(m.payloads(1).offset(), 16u);
  EXPECT_EQ(m.payloads(1).length(), 4u);
  EXPECT_EQ(m.payloads(1).type_name(), "ERR");
  EXPECT_EQ(m.payloads(1).error().error_no(), 3u);
  EXPECT_EQ(m.payloads(1).error().error_name(), "MAC algorithm not supported");

  EXPECT_EQ(m.payloads(2).offset(), 20u);
  EXPECT_EQ(m.payloads(2).length(), 25u);
  EXPECT_EQ(m.payloads(2).id().type_name(), "URI");
  EXPECT_EQ(m.payloads(2).id().text(), "sip:alice@example.com");

  EXPECT_EQ(m.payloads(3).offset(), 45u);
  EXPECT_EQ(m.payloads(3).type(), 21u);
  EXPECT_EQ(m.payloads(3).type_name(), "GEN-EXT");
  EXPECT_EQ(m.payloads(3).general_extension().type_name(), "Vendor-ID");
  EXPECT_EQ(m.payloads(3).general_extension().text(), "ACME");

  EXPECT_EQ(m.payloads(4).offset(), 53u);
  EXPECT_EQ(m.payloads(4).length(), 22u);
  EXPECT_EQ(m.payloads(4).type_name(), "V");
  EXPECT_EQ(m.payloads(4).verification().auth_algorithm_name(),
            "HMAC-SHA-1-160");
  EXPECT_EQ(m.payloads(4).verification().mac(), std::string(20, '\x11'));
}

TEST(DecodeTest, DhMessagePayloads) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(DhHex()), &r).ok());
  const pb::DecodedMessage& m = r.message();
  EXPECT_EQ(m.size(), 136u);
  EXPECT_EQ(m.header().data_type(), pb::DATA_TYPE_DH_INIT);
  ASSERT_EQ(m.payloads_size(), 3);
  const pb::Payload& dh = m.payloads(1);
  EXPECT_EQ(dh.offset(), 28u);
  EXPECT_EQ(dh.length(), 102u);
  EXPECT_EQ(dh.dh().group(), 1u);
  EXPECT_EQ(dh.dh().group_name(), "OAKLEY 1");
  EXPECT_EQ(dh.dh().value(), std::string(96, '\x5a'));
  EXPECT_EQ(dh.dh().key_validity().type_name(), "SPI/MKI");
  EXPECT_EQ(dh.dh().key_validity().spi(), Bin("abcd"));
  const pb::Payload& sign = m.payloads(2);
  EXPECT_EQ(sign.offset(), 130u);
  EXPECT_EQ(sign.length(), 6u);
  EXPECT_EQ(sign.type(), 4u);
  EXPECT_EQ(sign.sign().type_name(), "RSA/PKCS#1/1.5");
  EXPECT_EQ(sign.sign().signature(), Bin("c0c1c2c3"));
}

TEST(DecodeTest, SakkeShapedMessage) {
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(BytesInput(kSakkeHex), &r).ok());
  const pb::DecodedMessage& m = r.message();
  EXPECT_EQ(m.size(), 101u);
  const pb::CommonHeader& h = m.header();
  EXPECT_EQ(h.data_type(), pb::DATA_TYPE_SAKKE_INIT);
  EXPECT_EQ(h.data_type_value(), 26u);
  EXPECT_EQ(h.prf_func(), pb::PRF_FUNC_MIKEY_256);
  EXPECT_EQ(h.prf_func_value(), 1u);
  EXPECT_EQ(h.cs_id_map_type(), pb::CS_ID_MAP_TYPE_GENERIC_ID);
  EXPECT_EQ(h.cs_id_map_type_value(), 2u);
  EXPECT_EQ(h.cs_count(), 1u);
  EXPECT_EQ(h.length(), 17u);
  ASSERT_EQ(h.generic_map_size(), 1);
  EXPECT_EQ(h.generic_map(0).cs_id(), 4u);
  EXPECT_FALSE(h.generic_map(0).s_flag());
  ASSERT_EQ(h.generic_map(0).policy_nos_size(), 1);
  EXPECT_EQ(h.generic_map(0).policy_nos(0), 0u);

  ASSERT_EQ(m.payloads_size(), 6);
  EXPECT_EQ(m.payloads(0).offset(), 17u);
  EXPECT_EQ(m.payloads(0).idr().role_name(), "IDRi");
  EXPECT_EQ(m.payloads(0).idr().type_name(), "URI");
  EXPECT_EQ(m.payloads(0).idr().text(), "tel:+44");
  EXPECT_EQ(m.payloads(1).offset(), 29u);
  EXPECT_EQ(m.payloads(1).cert().type_name(), "X.509v3 URL");
  EXPECT_EQ(m.payloads(1).cert().text(), "x.org");
  EXPECT_EQ(m.payloads(2).offset(), 38u);
  EXPECT_EQ(m.payloads(2).chash().hash_function_name(), "MD5");
  EXPECT_EQ(m.payloads(2).chash().hash(), std::string(16, '\x33'));
  EXPECT_EQ(m.payloads(3).offset(), 56u);
  EXPECT_EQ(m.payloads(3).pke().cache(), 1u);
  EXPECT_EQ(m.payloads(3).pke().cache_name(), "Cache");
  EXPECT_EQ(m.payloads(3).pke().data(), std::string(3, '\x44'));
  EXPECT_EQ(m.payloads(4).offset(), 62u);
  EXPECT_EQ(m.payloads(4).type_name(), "SAKKE");
  EXPECT_EQ(m.payloads(4).sakke().params(), 1u);
  EXPECT_EQ(m.payloads(4).sakke().id_scheme(), 2u);
  EXPECT_EQ(m.payloads(4).sakke().data(), std::string(4, '\x55'));
  // Encrypted KEMAC: algorithms and MAC shown, key data neither parsed nor
  // returned.
  const pb::Payload& kemac = m.payloads(5);
  EXPECT_EQ(kemac.offset(), 71u);
  EXPECT_EQ(kemac.length(), 30u);
  EXPECT_EQ(kemac.kemac().encryption_algorithm_name(), "AES-CM-128");
  EXPECT_EQ(kemac.kemac().encrypted_data_length(), 5u);
  EXPECT_EQ(kemac.kemac().mac_algorithm_name(), "HMAC-SHA-1-160");
  EXPECT_EQ(kemac.kemac().mac(), std::string(20, '\x77'));
  EXPECT_EQ(kemac.kemac().key_data_size(), 0);
  EXPECT_THAT(r.SerializeAsString(), Not(HasSubstr(std::string(5, '\x66'))));
}

// ---------------------------------------------------------------------------
// Text forms.

std::string PskBase64() { return absl::Base64Escape(Bin(kPskHex)); }

TEST(DecodeTest, Base64TextMatchesBytes) {
  pb::DecodeResponse from_bytes, from_text;
  ASSERT_TRUE(DecodeInput(BytesInput(kPskHex), &from_bytes).ok());
  const std::string text = "  " + PskBase64() + "\r\n";
  ASSERT_TRUE(DecodeInput(TextInput(text), &from_text).ok());
  EXPECT_EQ(from_text.input_form(), pb::INPUT_FORM_BASE64);
  EXPECT_EQ(from_text.input_size(), text.size());
  EXPECT_EQ(from_text.message().SerializeAsString(),
            from_bytes.message().SerializeAsString());
}

TEST(DecodeTest, AttributeForms) {
  for (const std::string& text :
       {"a=key-mgmt:mikey " + PskBase64(), "key-mgmt:mikey " + PskBase64(),
        "mikey " + PskBase64()}) {
    pb::DecodeResponse r;
    ASSERT_TRUE(DecodeInput(TextInput(text), &r).ok()) << text;
    EXPECT_EQ(r.input_form(), pb::INPUT_FORM_SDP_ATTRIBUTE) << text;
    EXPECT_EQ(r.message().header().csb_id(), 0x12345678u);
  }
}

TEST(DecodeTest, RtspForm) {
  const std::string text =
      "KeyMgmt: prot=mikey; uri=\"rtsp://cam/stream\"; "
      "data=\"" +
      PskBase64() + "\"";
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(TextInput(text), &r).ok());
  EXPECT_EQ(r.input_form(), pb::INPUT_FORM_RTSP_HEADER);
  ASSERT_TRUE(r.has_rtsp_location());
  EXPECT_EQ(r.rtsp_location().uri(), "rtsp://cam/stream");
  EXPECT_EQ(r.message().header().csb_id(), 0x12345678u);

  // The header value alone.
  const std::string value =
      "prot=mikey; uri=\"\"; data=\"" + PskBase64() + "\"";
  ASSERT_TRUE(DecodeInput(TextInput(value), &r).ok());
  EXPECT_EQ(r.input_form(), pb::INPUT_FORM_RTSP_HEADER);
  ASSERT_TRUE(r.has_rtsp_location());
  EXPECT_EQ(r.rtsp_location().uri(), "");
}

TEST(DecodeTest, SdpForm) {
  const std::string sdp = absl::StrCat(
      "v=0\r\n", "o=- 1 1 IN IP4 127.0.0.1\r\n", "s=test\r\n", "t=0 0\r\n",
      "m=video 5000 RTP/SAVP 96\r\n", "a=key-mgmt:mikey ", PskBase64(), "\r\n");
  pb::DecodeResponse r;
  ASSERT_TRUE(DecodeInput(TextInput(sdp), &r).ok());
  EXPECT_EQ(r.input_form(), pb::INPUT_FORM_SDP);
  ASSERT_TRUE(r.has_sdp_location());
  EXPECT_EQ(r.input_size(), sdp.size());
  EXPECT_EQ(r.sdp_location().line(), 6u);
  EXPECT_EQ(r.sdp_location().media_index(), 0);
  EXPECT_EQ(r.message().payloads_size(), 4);
}

// ---------------------------------------------------------------------------
// Errors.

void ExpectInvalid(const pb::MikeyInput& input, absl::string_view needle) {
  pb::DecodeResponse r;
  r.set_input_size(99);  // must be cleared
  absl::Status s = DecodeInput(input, &r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), Not(IsEmpty()));
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(needle)));
  EXPECT_EQ(r.ByteSizeLong(), 0u) << r.DebugString();
}

TEST(DecodeTest, GarbageBytes) {
  ExpectInvalid(BytesInput("deadbeefcafe"), "version");
}

TEST(DecodeTest, TruncatedMessage) {
  std::string hex = kPskHex;
  hex.resize(hex.size() - 2);  // drop the KEMAC's MAC alg octet
  ExpectInvalid(BytesInput(hex), "");
}

TEST(DecodeTest, BrokenNullKeyData) {
  // kTwoKeysHex with the first key length 0x0010 changed to 0x0030: the key
  // runs past the end of the chain.
  std::string hex = kTwoKeysHex;
  const size_t at = hex.find("14200010");
  ASSERT_NE(at, std::string::npos);
  hex.replace(at, 8, "14200030");
  ExpectInvalid(BytesInput(hex), "");
}

TEST(DecodeTest, BadText) {
  ExpectInvalid(TextInput("this is not base64!"), "");
  ExpectInvalid(TextInput("   "), "");
  ExpectInvalid(TextInput(absl::Base64Escape(Bin("0200"))), "version");
}

TEST(DecodeTest, NothingSet) {
  ExpectInvalid(pb::MikeyInput(), "input");
  ExpectInvalid(BytesInput(""), "empty");
}

TEST(DecodeTest, Oversized) {
  pb::MikeyInput input;
  input.set_text(std::string(kMaxDecodeInputSize + 1, 'A'));
  ExpectInvalid(input, "limit");
  input.set_message(std::string(kMaxDecodeInputSize + 1, '\x01'));
  ExpectInvalid(input, "limit");
}

}  // namespace
}  // namespace service
}  // namespace mikey
