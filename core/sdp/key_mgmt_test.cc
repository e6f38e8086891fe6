#include "core/sdp/key_mgmt.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mikey {
namespace sdp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Bytes FromString(absl::string_view s) { return Bytes(s.begin(), s.end()); }

// A small MIKEY PSK I_MESSAGE written by hand from RFC 3830 §6.1/§6.6:
// HDR (version 1, data type 0, next payload 5 = T, V=0/PRF 0, CSB ID
// 0x12345678, #CS 1, map type 0 SRTP-ID, policy 0, SSRC 0xDEADBEEF, ROC 0)
// followed by T (last payload, NTP-UTC, 0xE65A3C80 00000000).
const Bytes kMessage = {
    0x01, 0x00, 0x05, 0x00, 0x12, 0x34, 0x56, 0x78, 0x01, 0x00,
    0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00,        // HDR
    0x00, 0x00, 0xe6, 0x5a, 0x3c, 0x80, 0x00, 0x00, 0x00, 0x00,  // T
};
// Its base64, computed with Python's base64 module (independent of this code).
constexpr absl::string_view kMessageB64 =
    "AQAFABI0VngBAADerb7vAAAAAAAA5lo8gAAAAAA=";

// A MIKEY-NULL I_MESSAGE as gortsplib sends it in a KeyMgmt header
// (bluenviron/gortsplib pkg/headers/key_mgmt_test.go). gortsplib's own
// decoding of it gives CSB ID 2049124702 (0x7A23295E), SSRC 2508989223
// (0x958C2327) and a 30-octet TEK starting 5f c5 ef 38.
constexpr absl::string_view kGortsplibB64 =
    "AQAFAHojKV4BAACVjCMnAAAAAAsA6/mdTLBeokwKEGwcAuPrxj6/enyb+A2+rNcBAAAAFQAB"
    "AQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeX8XvOCzIMh0JTOWivWLxEflTUSp1fjj2i8xG"
    "7D9DAA==";

void ExpectGortsplibMessage(const Bytes& m) {
  ASSERT_EQ(m.size(), 112u);
  EXPECT_THAT(std::vector<uint8_t>(m.begin(), m.begin() + 8),
              ElementsAre(0x01, 0x00, 0x05, 0x00, 0x7a, 0x23, 0x29, 0x5e));
  EXPECT_THAT(std::vector<uint8_t>(m.begin() + 11, m.begin() + 15),
              ElementsAre(0x95, 0x8c, 0x23, 0x27));
  EXPECT_THAT(std::vector<uint8_t>(m.begin() + 81, m.begin() + 85),
              ElementsAre(0x5f, 0xc5, 0xef, 0x38));
  EXPECT_THAT(std::vector<uint8_t>(m.begin() + 107, m.end()),
              ElementsAre(0x46, 0xec, 0x3f, 0x43, 0x00));
}

void ExpectInvalid(const absl::Status& s, absl::string_view fragment) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(fragment)));
}

// ---------------------------------------------------------------------------
// Base64 (RFC 4648 §10 test vectors).

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(EncodeBase64(FromString("")), "");
  EXPECT_EQ(EncodeBase64(FromString("f")), "Zg==");
  EXPECT_EQ(EncodeBase64(FromString("fo")), "Zm8=");
  EXPECT_EQ(EncodeBase64(FromString("foo")), "Zm9v");
  EXPECT_EQ(EncodeBase64(FromString("foob")), "Zm9vYg==");
  EXPECT_EQ(EncodeBase64(FromString("fooba")), "Zm9vYmE=");
  EXPECT_EQ(EncodeBase64(FromString("foobar")), "Zm9vYmFy");
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  EXPECT_EQ(*DecodeBase64(""), FromString(""));
  EXPECT_EQ(*DecodeBase64("Zg=="), FromString("f"));
  EXPECT_EQ(*DecodeBase64("Zm8="), FromString("fo"));
  EXPECT_EQ(*DecodeBase64("Zm9v"), FromString("foo"));
  EXPECT_EQ(*DecodeBase64("Zm9vYg=="), FromString("foob"));
  EXPECT_EQ(*DecodeBase64("Zm9vYmE="), FromString("fooba"));
  EXPECT_EQ(*DecodeBase64("Zm9vYmFy"), FromString("foobar"));
}

TEST(Base64Test, HighAlphabetCharacters) {
  // fb ff bf = 111110 111111 111110 111111 = 62 63 62 63, by hand.
  EXPECT_EQ(EncodeBase64(Bytes{0xfb, 0xff, 0xbf}), "+/+/");
  EXPECT_EQ(*DecodeBase64("+/+/"), (Bytes{0xfb, 0xff, 0xbf}));
}

TEST(Base64Test, MikeyMessageKnownAnswer) {
  EXPECT_EQ(EncodeBase64(kMessage), kMessageB64);
  EXPECT_EQ(*DecodeBase64(kMessageB64), kMessage);
}

TEST(Base64Test, DecodesDeployedPeerSample) {
  absl::StatusOr<Bytes> m = DecodeBase64(kGortsplibB64);
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectGortsplibMessage(*m);
}

TEST(Base64Test, IgnoresSurroundingWhitespace) {
  EXPECT_EQ(*DecodeBase64("  Zm9v\r\n"), FromString("foo"));
  EXPECT_EQ(*DecodeBase64("\tZg==\n"), FromString("f"));
  EXPECT_EQ(*DecodeBase64(" \r\n "), FromString(""));
}

TEST(Base64Test, RejectsInvalidCharacterNamingOffset) {
  ExpectInvalid(DecodeBase64("Zm9v!A==").status(), "offset 4");
  ExpectInvalid(DecodeBase64("Zm9v!A==").status(), "invalid character '!'");
  // Offsets count from the start of the text, surrounding whitespace too.
  ExpectInvalid(DecodeBase64("  Zm9v!A==").status(), "offset 6");
}

TEST(Base64Test, RejectsBase64UrlAlphabet) {
  ExpectInvalid(DecodeBase64("Zm9v-A==").status(), "base64url");
  ExpectInvalid(DecodeBase64("Zm9v_A==").status(), "offset 4");
}

TEST(Base64Test, RejectsInteriorWhitespace) {
  ExpectInvalid(DecodeBase64("Zm 9v").status(), "offset 2");
  ExpectInvalid(DecodeBase64("Zm9v\r\nZm9v").status(), "whitespace");
}

TEST(Base64Test, RejectsNonAsciiAndNul) {
  ExpectInvalid(DecodeBase64("Zm9v\xc3\xa9Q=").status(), "0xC3");
  ExpectInvalid(DecodeBase64(absl::string_view("Zm\0v", 4)).status(), "0x00");
}

TEST(Base64Test, RejectsMissingPadding) {
  // Unpadded base64 is rejected: no deployed MIKEY peer sends it (see
  // key_mgmt.cc).
  ExpectInvalid(DecodeBase64("Zg").status(), "missing '=' padding");
  ExpectInvalid(DecodeBase64("Zm9").status(), "offset 3");
  ExpectInvalid(DecodeBase64("Zm9vYmE").status(), "offset 7");
}

TEST(Base64Test, RejectsWrongPadding) {
  ExpectInvalid(DecodeBase64("Zg=").status(), "wrong '=' padding");
  ExpectInvalid(DecodeBase64("Z===").status(), "offset 1");
  ExpectInvalid(DecodeBase64("=").status(), "offset 0");
  ExpectInvalid(DecodeBase64("====").status(), "offset 0");
  ExpectInvalid(DecodeBase64("Zm9v====").status(), "offset 4");
  ExpectInvalid(DecodeBase64("Zg==Zg==").status(), "after '=' padding");
  ExpectInvalid(DecodeBase64("Zg==Zg==").status(), "offset 4");
  ExpectInvalid(DecodeBase64("Zm=v").status(), "offset 3");
  // Found by fuzzing: '=' running past the final group.
  ExpectInvalid(DecodeBase64("P/c=====").status(), "offset 4");
  ExpectInvalid(DecodeBase64("Zg====").status(), "offset 4");
  ExpectInvalid(DecodeBase64("Zm8==").status(), "offset 4");
}

TEST(Base64Test, RejectsNonZeroTrailingBits) {
  // 'h' = 33 = 100001: its low four bits must be zero before "==".
  ExpectInvalid(DecodeBase64("Zh==").status(), "trailing bits");
  ExpectInvalid(DecodeBase64("Zh==").status(), "offset 1");
  // 'E' = 4 = 000100: a set bit above the low two still counts before "==".
  ExpectInvalid(DecodeBase64("ZE==").status(), "trailing bits");
  // '9' = 61 = 111101: its low two bits must be zero before "=".
  ExpectInvalid(DecodeBase64("Zm9=").status(), "offset 2");
  // '+' = 62 = 111110.
  ExpectInvalid(DecodeBase64("Zm+=").status(), "offset 2");
}

TEST(Base64Test, RoundTripsEveryByteValueAndLength) {
  Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<uint8_t>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    Bytes part(all.begin(), all.begin() + n);
    absl::StatusOr<Bytes> back = DecodeBase64(EncodeBase64(part));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, part);
  }
}

// ---------------------------------------------------------------------------
// Attribute.

TEST(AttributeTest, Formats) {
  EXPECT_EQ(FormatKeyMgmtValue(kMessage), absl::StrCat("mikey ", kMessageB64));
  EXPECT_EQ(FormatKeyMgmtAttribute(kMessage),
            absl::StrCat("a=key-mgmt:mikey ", kMessageB64));
}

TEST(AttributeTest, ParsesEveryAcceptedForm) {
  for (const std::string& text : {
           absl::StrCat("a=key-mgmt:mikey ", kMessageB64),
           absl::StrCat("a=key-mgmt:mikey ", kMessageB64, "\r\n"),
           absl::StrCat("key-mgmt:mikey ", kMessageB64),
           absl::StrCat("mikey ", kMessageB64),
           // RFC 4567: key-mgmt-att-value = 0*1SP prtcl-id SP keymgmt-data
           absl::StrCat("a=key-mgmt: mikey ", kMessageB64),
           absl::StrCat("a=key-mgmt:MIKEY ", kMessageB64),
           absl::StrCat("  a=key-mgmt:mikey\t", kMessageB64, "  "),
       }) {
    absl::StatusOr<Bytes> m = ParseKeyMgmtAttribute(text);
    ASSERT_TRUE(m.ok()) << text << ": " << m.status();
    EXPECT_EQ(*m, kMessage) << text;
  }
}

TEST(AttributeTest, RejectsOtherProtocolNamingIt) {
  absl::Status s = ParseKeyMgmtAttribute("a=key-mgmt:kerberos Zm9v").status();
  ExpectInvalid(s, "'kerberos' is not mikey");
  ExpectInvalid(s, "column 12");
}

TEST(AttributeTest, RejectsBadBase64NamingColumn) {
  // "a=key-mgmt:mikey " is 17 characters; the '-' is the 5th data character.
  absl::Status s = ParseKeyMgmtAttribute("a=key-mgmt:mikey Zm9v-A==").status();
  ExpectInvalid(s, "column 22");
  ExpectInvalid(s, "base64url");
  ExpectInvalid(ParseKeyMgmtAttribute("mikey Zm9v Zm9v").status(), "column 11");
  ExpectInvalid(ParseKeyMgmtAttribute("mikey Zm9vYg").status(),
                "missing '=' padding");
}

TEST(AttributeTest, RejectsMissingPieces) {
  ExpectInvalid(ParseKeyMgmtAttribute("").status(), "empty");
  ExpectInvalid(ParseKeyMgmtAttribute("a=key-mgmt:mikey").status(),
                "has no data");
  ExpectInvalid(ParseKeyMgmtAttribute("a=key-mgmt:mikey   ").status(),
                "has no data");
  ExpectInvalid(ParseKeyMgmtAttribute("a=key-mgmt:").status(),
                "no protocol id");
  ExpectInvalid(ParseKeyMgmtAttribute("a=key-mgmt").status(),
                "no ':' and value");
  ExpectInvalid(ParseKeyMgmtAttribute("mikey ====").status(), "column 7");
  // One zero octet is (short but) valid data.
  EXPECT_EQ(*ParseKeyMgmtAttribute("mikey AA=="), Bytes{0x00});
}

TEST(AttributeTest, RejectsOtherAttributes) {
  ExpectInvalid(ParseKeyMgmtAttribute("a=rtpmap:96 L24/48000/2").status(),
                "'rtpmap' is not key-mgmt");
  ExpectInvalid(
      ParseKeyMgmtAttribute("a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                            "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")
          .status(),
      "'crypto' is not key-mgmt");
}

TEST(AttributeTest, QuotedDataIsRejected) {
  ExpectInvalid(ParseKeyMgmtAttribute("a=key-mgmt:mikey \"\"").status(),
                "column 18");
}

// ---------------------------------------------------------------------------
// SDP samples, written by hand.

// An AES67 stream announced by SAP (Dante/RAVENNA style), LF line ends, with
// a session-level key-mgmt attribute on line 7.
const std::string kAes67Sdp = absl::StrCat(
    "v=0\n"
    "o=- 1311738121 1311738121 IN IP4 192.168.1.10\n"
    "s=Stage Box 1 : 32\n"
    "c=IN IP4 239.69.83.133/32\n"
    "t=0 0\n"
    "a=keywds:Dante\n"
    "a=key-mgmt:mikey ",
    kMessageB64,
    "\n"
    "m=audio 5004 RTP/SAVP 97\n"
    "i=1 channels: Left\n"
    "a=recvonly\n"
    "a=rtpmap:97 L24/48000/2\n"
    "a=ptime:1\n"
    "a=ts-refclk:ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0\n"
    "a=mediaclk:direct=0\n");

// An ONVIF camera's RTSP DESCRIBE answer body: CRLF line ends, key-mgmt per
// media section (video on line 13, audio on line 18), none for metadata, and
// a base64 sprop-parameter-sets that must not be mistaken for key data.
const std::string kOnvifSdp = absl::StrCat(
    "v=0\r\n"
    "o=- 1700000000 1 IN IP4 192.168.0.20\r\n"
    "s=Session streamed by \"ONVIF camera\"\r\n"
    "t=0 0\r\n"
    "a=control:rtsps://192.168.0.20:322/onvif/media?profile=Profile_1\r\n"
    "a=range:npt=now-\r\n"
    "m=video 0 RTP/SAVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:4000\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=640028;"
    "sprop-parameter-sets=Z2QAKKwbGoB4AiflwFuAgICgAAB9AAAOpgQAAA==,aO48sA==\r\n"
    "a=control:rtsps://192.168.0.20:322/onvif/media?profile=Profile_1&track="
    "video\r\n"
    "a=key-mgmt:mikey ",
    kMessageB64,
    "\r\n"
    "m=audio 0 RTP/SAVP 0\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=control:rtsps://192.168.0.20:322/onvif/media?profile=Profile_1&track="
    "audio\r\n"
    "a=key-mgmt:mikey ",
    kGortsplibB64,
    "\r\n"
    "m=application 0 RTP/AVP 107\r\n"
    "a=rtpmap:107 vnd.onvif.metadata/90000\r\n"
    "a=control:rtsps://192.168.0.20:322/onvif/media?profile=Profile_1&track="
    "metadata\r\n");

TEST(FindKeyMgmtInSdpTest, SessionLevelInAes67Sap) {
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(kAes67Sdp);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].protocol, "mikey");
  EXPECT_EQ((*found)[0].data, kMessage);
  EXPECT_EQ((*found)[0].media_index, -1);
  EXPECT_EQ((*found)[0].line_number, 7);
}

TEST(FindKeyMgmtInSdpTest, MediaLevelInOnvifDescribe) {
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(kOnvifSdp);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].data, kMessage);
  EXPECT_EQ((*found)[0].media_index, 0);
  EXPECT_EQ((*found)[0].line_number, 13);
  ExpectGortsplibMessage((*found)[1].data);
  EXPECT_EQ((*found)[1].media_index, 1);
  EXPECT_EQ((*found)[1].line_number, 18);
}

TEST(FindKeyMgmtInSdpTest, ReportsOtherProtocolsWithoutDecoding) {
  const std::string sdp = absl::StrCat(
      "v=0\r\n"
      "o=- 1 1 IN IP4 10.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=key-mgmt:kmp-x not*base64*at*all\r\n"
      "m=audio 5004 RTP/SAVP 97\r\n"
      "a=key-mgmt:mikey ",
      kMessageB64, "\r\n");
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(sdp);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].protocol, "kmp-x");
  EXPECT_THAT((*found)[0].data, IsEmpty());
  EXPECT_EQ((*found)[0].media_index, -1);
  EXPECT_EQ((*found)[0].line_number, 5);
  EXPECT_EQ((*found)[1].protocol, "mikey");
  EXPECT_EQ((*found)[1].data, kMessage);
  EXPECT_EQ((*found)[1].media_index, 0);
  EXPECT_EQ((*found)[1].line_number, 7);
}

TEST(FindKeyMgmtInSdpTest, NoneFound) {
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=audio 5004 RTP/AVP 97\r\na=rtpmap:97 L24/48000/2\r\n";
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(sdp);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(*found, IsEmpty());
  EXPECT_THAT(*FindKeyMgmtInSdp(""), IsEmpty());
}

TEST(FindKeyMgmtInSdpTest, MixedLineEndsAndNoFinalTerminator) {
  const std::string sdp = absl::StrCat("v=0\r\ns=-\nm=video 0 RTP/SAVP 96\r\n",
                                       "a=key-mgmt:mikey ", kMessageB64);
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(sdp);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].data, kMessage);
  EXPECT_EQ((*found)[0].media_index, 0);
  EXPECT_EQ((*found)[0].line_number, 4);
}

TEST(FindKeyMgmtInSdpTest, BadBase64NamesLineAndColumn) {
  const std::string sdp =
      "v=0\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/SAVP 97\r\n"
      "a=key-mgmt:mikey AQAF-ABI\r\n";
  absl::Status s = FindKeyMgmtInSdp(sdp).status();
  ExpectInvalid(s, "SDP line 5, column 22");
  ExpectInvalid(s, "base64url");
}

TEST(FindKeyMgmtInSdpTest, MalformedAttributeNamesLine) {
  ExpectInvalid(FindKeyMgmtInSdp("v=0\na=key-mgmt:mikey\n").status(),
                "SDP line 2");
  ExpectInvalid(FindKeyMgmtInSdp("v=0\na=key-mgmt:\n").status(),
                "no protocol id");
  ExpectInvalid(FindKeyMgmtInSdp("v=0\na=key-mgmt:mikey Zg\n").status(),
                "SDP line 2, column 20");
}

// ---------------------------------------------------------------------------
// InsertKeyMgmtInSdp.

TEST(InsertKeyMgmtInSdpTest, BeforeFirstMediaKeepingCrlf) {
  const std::string sdp =
      "v=0\r\n"
      "o=- 1311738121 1311738121 IN IP4 192.168.1.10\r\n"
      "s=Stage Box 1 : 32\r\n"
      "c=IN IP4 239.69.83.133/32\r\n"
      "t=0 0\r\n"
      "m=audio 5004 RTP/SAVP 97\r\n"
      "a=rtpmap:97 L24/48000/2\r\n"
      "a=ptime:1\r\n";
  const std::string expected = absl::StrCat(
      "v=0\r\n"
      "o=- 1311738121 1311738121 IN IP4 192.168.1.10\r\n"
      "s=Stage Box 1 : 32\r\n"
      "c=IN IP4 239.69.83.133/32\r\n"
      "t=0 0\r\n"
      "a=key-mgmt:mikey AQAFABI0VngBAADerb7vAAAAAAAA5lo8gAAAAAA=\r\n"
      "m=audio 5004 RTP/SAVP 97\r\n"
      "a=rtpmap:97 L24/48000/2\r\n"
      "a=ptime:1\r\n");
  absl::StatusOr<std::string> out = InsertKeyMgmtInSdp(sdp, kMessage);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, expected);
}

TEST(InsertKeyMgmtInSdpTest, St2110DualStreamKeepingLf) {
  // ST 2110-20 video with ST 2022-7 redundancy: two m= sections.
  const std::string head =
      "v=0\n"
      "o=- 123456 123458 IN IP4 10.0.0.5\n"
      "s=Camera 1 video\n"
      "t=0 0\n"
      "a=group:DUP primary secondary\n";
  const std::string media =
      "m=video 50000 RTP/SAVP 96\n"
      "c=IN IP4 239.100.9.10/64\n"
      "a=source-filter: incl IN IP4 239.100.9.10 10.0.0.5\n"
      "a=rtpmap:96 raw/90000\n"
      "a=fmtp:96 sampling=YCbCr-4:2:2; width=1920; height=1080; "
      "exactframerate=30000/1001; depth=10; TCS=SDR; colorimetry=BT709; "
      "PM=2110GPM; SSN=ST2110-20:2017; TP=2110TPN;\n"
      "a=ts-refclk:ptp=IEEE1588-2008:39-A7-94-FF-FE-07-CB-D0:37\n"
      "a=mediaclk:direct=0\n"
      "a=mid:primary\n"
      "m=video 50000 RTP/SAVP 96\n"
      "c=IN IP4 239.101.9.10/64\n"
      "a=rtpmap:96 raw/90000\n"
      "a=mid:secondary\n";
  absl::StatusOr<std::string> out = InsertKeyMgmtInSdp(head + media, kMessage);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            head +
                "a=key-mgmt:mikey AQAFABI0VngBAADerb7vAAAAAAAA5lo8gAAAAAA=\n" +
                media);
}

TEST(InsertKeyMgmtInSdpTest, AppendsWhenNoMediaSection) {
  EXPECT_EQ(*InsertKeyMgmtInSdp("v=0\ns=-\n", Bytes{0x66}),
            "v=0\ns=-\na=key-mgmt:mikey Zg==\n");
  EXPECT_EQ(*InsertKeyMgmtInSdp("v=0\r\ns=-", Bytes{0x66}),
            "v=0\r\ns=-\r\na=key-mgmt:mikey Zg==\r\n");
  // A single line uses the RFC 4566 default, CRLF.
  EXPECT_EQ(*InsertKeyMgmtInSdp("v=0", Bytes{0x66}),
            "v=0\r\na=key-mgmt:mikey Zg==\r\n");
}

TEST(InsertKeyMgmtInSdpTest, MediaLevelKeyMgmtDoesNotBlock) {
  const std::string sdp = "v=0\ns=-\nm=audio 1 RTP/SAVP 0\na=key-mgmt:x QQ==\n";
  EXPECT_EQ(*InsertKeyMgmtInSdp(sdp, Bytes{0x66}),
            "v=0\ns=-\na=key-mgmt:mikey Zg==\nm=audio 1 RTP/SAVP 0\n"
            "a=key-mgmt:x QQ==\n");
}

TEST(InsertKeyMgmtInSdpTest, RefusesExistingSessionLevelAttribute) {
  absl::Status s = InsertKeyMgmtInSdp(kAes67Sdp, kMessage).status();
  ExpectInvalid(s, "SDP line 7");
  ExpectInvalid(s, "already present");
  ExpectInvalid(
      InsertKeyMgmtInSdp("v=0\na=key-mgmt:kmp-x QQ==\n", kMessage).status(),
      "'kmp-x'");
}

TEST(InsertKeyMgmtInSdpTest, RefusesNonSdpAndEmptyMessage) {
  ExpectInvalid(InsertKeyMgmtInSdp("", kMessage).status(), "line 1, column 1");
  ExpectInvalid(InsertKeyMgmtInSdp(" v=0\r\n", kMessage).status(),
                "must start with \"v=\"");
  ExpectInvalid(
      InsertKeyMgmtInSdp("o=- 1 1 IN IP4 1.2.3.4\r\n", kMessage).status(),
      "must start with \"v=\"");
  ExpectInvalid(InsertKeyMgmtInSdp("v=0\r\n", Bytes{}).status(),
                "empty MIKEY message");
}

TEST(InsertKeyMgmtInSdpTest, InsertedAttributeIsFoundAgain) {
  const std::string sdp = "v=0\r\ns=-\r\nm=audio 1 RTP/SAVP 0\r\n";
  absl::StatusOr<std::string> out = InsertKeyMgmtInSdp(sdp, kMessage);
  ASSERT_TRUE(out.ok()) << out.status();
  absl::StatusOr<std::vector<FoundKeyMgmt>> found = FindKeyMgmtInSdp(*out);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].data, kMessage);
  EXPECT_EQ((*found)[0].media_index, -1);
  EXPECT_EQ((*found)[0].line_number, 3);
}

// ---------------------------------------------------------------------------
// RTSP KeyMgmt header.

TEST(RtspKeyMgmtTest, MikeyNotesExample) {
  // The shape Live555 and GStreamer send (MIKEY-NOTES §10).
  const std::string header = absl::StrCat(
      "KeyMgmt: prot=mikey; "
      "uri=\"rtsps://192.168.0.20:322/onvif/media?profile=Profile_1&track="
      "video\"; data=\"",
      kMessageB64, "\"");
  absl::StatusOr<RtspKeyMgmt> km = ParseRtspKeyMgmt(header);
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri,
            "rtsps://192.168.0.20:322/onvif/media?profile=Profile_1&track="
            "video");
  EXPECT_EQ(km->data, kMessage);
}

TEST(RtspKeyMgmtTest, OnvifEmptyUriWithoutSpaces) {
  // The Hanwha/VLC capture shape: no spaces after ';', empty uri.
  absl::StatusOr<RtspKeyMgmt> km = ParseRtspKeyMgmt(absl::StrCat(
      "KeyMgmt: prot=mikey;uri=\"\";data=\"", kMessageB64, "\"\r\n"));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "");
  EXPECT_EQ(km->data, kMessage);
}

TEST(RtspKeyMgmtTest, GortsplibShape) {
  absl::StatusOr<RtspKeyMgmt> km = ParseRtspKeyMgmt(absl::StrCat(
      "prot=mikey;uri=\"rtsps://127.0.0.1:8322/stream/trackID=0\";data=\"",
      kGortsplibB64, "\""));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "rtsps://127.0.0.1:8322/stream/trackID=0");
  ExpectGortsplibMessage(km->data);
}

TEST(RtspKeyMgmtTest, ParametersInAnyOrderAndCase) {
  absl::StatusOr<RtspKeyMgmt> km =
      ParseRtspKeyMgmt(absl::StrCat("keymgmt :  DATA = \"", kMessageB64,
                                    "\" ;URI=\"rtsp://h/s\";  Prot = MIKEY ;"));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "rtsp://h/s");
  EXPECT_EQ(km->data, kMessage);
}

TEST(RtspKeyMgmtTest, UnquotedDataAndAbsentUri) {
  // RFC 4567's grammar makes uri optional; data as a bare token.
  absl::StatusOr<RtspKeyMgmt> km =
      ParseRtspKeyMgmt(absl::StrCat("prot=mikey; data=", kMessageB64));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "");
  EXPECT_EQ(km->data, kMessage);
}

TEST(RtspKeyMgmtTest, PicksMikeyAmongSeveralSpecs) {
  // A ',' inside the quoted uri must not split specs; the folded line is LWS.
  absl::StatusOr<RtspKeyMgmt> km = ParseRtspKeyMgmt(
      absl::StrCat("KeyMgmt: prot=kmp-x; data=\"QUJD\",\r\n prot=mikey; "
                   "uri=\"rtsp://h/a,b;c\"; data=\"",
                   kMessageB64, "\""));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "rtsp://h/a,b;c");
  EXPECT_EQ(km->data, kMessage);
}

TEST(RtspKeyMgmtTest, QuotedPairsAreUnescaped) {
  absl::StatusOr<RtspKeyMgmt> km =
      ParseRtspKeyMgmt("prot=mikey; uri=\"rtsp://h/\\\"x\\\\\"; data=\"Zg==\"");
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "rtsp://h/\"x\\");
  EXPECT_EQ(km->data, FromString("f"));
}

TEST(RtspKeyMgmtTest, BadBase64NamesColumn) {
  // K=1 ... ':'=8, "prot" starts at 10, "uri" at 22, data content at 36.
  absl::Status s =
      ParseRtspKeyMgmt("KeyMgmt: prot=mikey; uri=\"\"; data=\"Zm9v-A==\"")
          .status();
  ExpectInvalid(s, "column 40");
  ExpectInvalid(s, "base64url");
  ExpectInvalid(
      ParseRtspKeyMgmt("KeyMgmt: prot=mikey; uri=\"\"; data=\"Zm9vYg\"")
          .status(),
      "missing '=' padding");
}

TEST(RtspKeyMgmtTest, RejectsMissingParameters) {
  ExpectInvalid(ParseRtspKeyMgmt("KeyMgmt: prot=mikey; uri=\"\"").status(),
                "no 'data' parameter");
  ExpectInvalid(ParseRtspKeyMgmt("KeyMgmt: uri=\"\"; data=\"Zg==\"").status(),
                "no 'prot' parameter");
  ExpectInvalid(ParseRtspKeyMgmt("KeyMgmt:").status(), "has no value");
  ExpectInvalid(ParseRtspKeyMgmt("   ").status(), "has no value");
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey; data=\"\"").status(),
                "MIKEY data is empty");
}

TEST(RtspKeyMgmtTest, RejectsOtherProtocolsNamingThem) {
  absl::Status s =
      ParseRtspKeyMgmt("KeyMgmt: prot=kerberos; data=\"QUJD\"").status();
  ExpectInvalid(s, "no prot=mikey");
  ExpectInvalid(s, "'kerberos' at column 15");
}

TEST(RtspKeyMgmtTest, RejectsSeveralMikeySpecs) {
  absl::Status s =
      ParseRtspKeyMgmt("prot=mikey; data=\"Zg==\", prot=mikey; data=\"Zg==\"")
          .status();
  ExpectInvalid(s, "2 prot=mikey key-mgmt specs");
  ExpectInvalid(s, "column 1, column 26");
}

TEST(RtspKeyMgmtTest, RejectsSyntaxErrorsNamingColumn) {
  ExpectInvalid(
      ParseRtspKeyMgmt("prot=mikey; data=\"Zg==").status(),
      "column 18: quoted value of parameter 'data' is not terminated");
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey; data").status(),
                "column 13: parameter 'data' has no '='");
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey; data=\"Zg==\" junk").status(),
                "column 25: expected ';' or ','");
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey; =x").status(),
                "column 13: expected a parameter name");
  ExpectInvalid(
      ParseRtspKeyMgmt("prot=mikey; data=\"Zg==\"; data=\"Zg==\"").status(),
      "column 26: key-mgmt spec 1 repeats parameter 'data'");
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey; data=\"Zg==\",").status(),
                "key-mgmt spec 2 is empty");
  // A bare line break (not a fold) inside the value is not whitespace.
  ExpectInvalid(ParseRtspKeyMgmt("prot=mikey;\r\ndata=\"Zg==\"").status(),
                "column 12");
}

TEST(RtspKeyMgmtTest, Formats) {
  EXPECT_EQ(FormatRtspKeyMgmt("rtsp://cam/stream", kMessage),
            "prot=mikey; uri=\"rtsp://cam/stream\"; "
            "data=\"AQAFABI0VngBAADerb7vAAAAAAAA5lo8gAAAAAA=\"");
  EXPECT_EQ(FormatRtspKeyMgmt("", Bytes{0x66}),
            "prot=mikey; uri=\"\"; data=\"Zg==\"");
}

TEST(RtspKeyMgmtTest, FormatCannotInjectHeaders) {
  EXPECT_EQ(FormatRtspKeyMgmt("rtsp://x/\r\nEvil: \"1\\", Bytes{0x66}),
            "prot=mikey; uri=\"rtsp://x/%0D%0AEvil:%20%221%5C\"; "
            "data=\"Zg==\"");
}

TEST(RtspKeyMgmtTest, FormatThenParse) {
  absl::StatusOr<RtspKeyMgmt> km = ParseRtspKeyMgmt(
      absl::StrCat("KeyMgmt: ", FormatRtspKeyMgmt("rtsp://h/s?a=1", kMessage)));
  ASSERT_TRUE(km.ok()) << km.status();
  EXPECT_EQ(km->uri, "rtsp://h/s?a=1");
  EXPECT_EQ(km->data, kMessage);
}

// ---------------------------------------------------------------------------
// ExtractMikeyFromText.

TEST(ExtractMikeyFromTextTest, EveryForm) {
  for (const std::string& text : {
           std::string(kMessageB64),
           absl::StrCat("\n  ", kMessageB64, "  \r\n"),
           absl::StrCat("a=key-mgmt:mikey ", kMessageB64),
           absl::StrCat("key-mgmt:mikey ", kMessageB64),
           absl::StrCat("mikey ", kMessageB64),
           absl::StrCat("KeyMgmt: prot=mikey; uri=\"\"; data=\"", kMessageB64,
                        "\""),
           absl::StrCat("prot=mikey;uri=\"rtsp://h/s\";data=\"", kMessageB64,
                        "\""),
           absl::StrCat("uri=\"\"; data=\"", kMessageB64, "\"; prot=mikey"),
           kAes67Sdp,
       }) {
    absl::StatusOr<Bytes> m = ExtractMikeyFromText(text);
    ASSERT_TRUE(m.ok()) << text << ": " << m.status();
    EXPECT_EQ(*m, kMessage) << text;
  }
}

TEST(ExtractMikeyFromTextTest, SdpWithTwoMikeyAttributesSaysWhere) {
  absl::Status s = ExtractMikeyFromText(kOnvifSdp).status();
  ExpectInvalid(s, "found 2 a=key-mgmt:mikey attributes");
  ExpectInvalid(s, "line 13 (media index 0), line 18 (media index 1)");
}

TEST(ExtractMikeyFromTextTest, SdpWithNoMikeyAttribute) {
  ExpectInvalid(ExtractMikeyFromText("v=0\r\ns=-\r\nt=0 0\r\n").status(),
                "found 0 a=key-mgmt:mikey attributes");
  ExpectInvalid(
      ExtractMikeyFromText("v=0\r\ns=-\r\na=key-mgmt:kmp-x QUJD\r\n").status(),
      "other protocols at line 3 (session level)");
}

TEST(ExtractMikeyFromTextTest, LongListsAreCut) {
  std::string sdp = "v=0\n";
  for (int i = 0; i < 100; ++i)
    absl::StrAppend(&sdp, "a=key-mgmt:mikey Zg==\n");
  absl::Status s = ExtractMikeyFromText(sdp).status();
  ExpectInvalid(s, "found 100");
  ExpectInvalid(s, "and 92 more");
}

TEST(ExtractMikeyFromTextTest, Errors) {
  ExpectInvalid(ExtractMikeyFromText("").status(), "empty");
  ExpectInvalid(ExtractMikeyFromText(" \r\n").status(), "empty");
  ExpectInvalid(ExtractMikeyFromText("====").status(), "not valid base64");
  ExpectInvalid(ExtractMikeyFromText("  Zm9v!A==").status(), "offset 6");
  ExpectInvalid(ExtractMikeyFromText("a=key-mgmt:kerberos QUJD").status(),
                "'kerberos' is not mikey");
  ExpectInvalid(ExtractMikeyFromText("KeyMgmt: prot=mikey").status(),
                "no 'data' parameter");
  ExpectInvalid(
      ExtractMikeyFromText("v=0\na=key-mgmt:mikey Zm9v-A==\n").status(),
      "SDP line 2, column 22");
  // "prot=" inside bare base64 is not taken for an RTSP header.
  ExpectInvalid(ExtractMikeyFromText("AAAprot=").status(), "not valid base64");
}

// ---------------------------------------------------------------------------
// Size: every function is linear. Quadratic code would run for hours on
// these inputs and hit the test timeout.

TEST(LargeInputTest, LinearTime) {
  const size_t kBig = 4 << 20;
  Bytes big(kBig / 4 * 3, 0xa5);
  const std::string b64 = EncodeBase64(big);
  EXPECT_EQ(*DecodeBase64(b64), big);

  std::string sdp = "v=0\n";
  sdp.reserve(kBig + 1000);
  while (sdp.size() < kBig) sdp.append("a=x:y\n");
  sdp.append("m=audio 1 RTP/SAVP 0\n");
  absl::StatusOr<std::string> inserted = InsertKeyMgmtInSdp(sdp, kMessage);
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  EXPECT_EQ(*ExtractMikeyFromText(*inserted), kMessage);

  std::string many_lines(kBig, '\n');
  EXPECT_THAT(*FindKeyMgmtInSdp(many_lines), IsEmpty());

  std::string header = "prot=mikey";
  header.append(kBig, ';');
  header.append("data=\"Zg==\"");
  EXPECT_EQ(ParseRtspKeyMgmt(header)->data, FromString("f"));

  std::string specs = "prot=mikey; data=\"Zg==\"";
  while (specs.size() < kBig) specs.append(", prot=x; data=\"QQ==\"");
  EXPECT_EQ(ParseRtspKeyMgmt(specs)->data, FromString("f"));

  std::string eqs(kBig, '=');
  ExpectInvalid(ExtractMikeyFromText(eqs).status(), "offset 0");
}

}  // namespace
}  // namespace sdp
}  // namespace mikey
