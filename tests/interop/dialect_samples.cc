#include "tests/interop/dialect_samples.h"

#include "absl/strings/str_cat.h"

namespace mikey {
namespace interop {

std::string DialectSamplePath(const DialectSample& sample) {
  return absl::StrCat("tests/interop/testdata/", sample.name, ".b64");
}

const std::vector<DialectSample>& DialectSamples() {
  static const std::vector<DialectSample>* const kSamples = [] {
    auto* v = new std::vector<DialectSample>();

    // --- GStreamer >= 1.14: gst_mikey_message_new_from_caps() (also used by
    // rtspsrc for the client's KeyMgmt header), then rtsp-server's
    // mikey_add_crypto_sessions() adds one SRTP-ID entry per sending SSRC.
    v->push_back(DialectSample{
        "gstreamer_from_caps",
        "GStreamer gst-plugins-base gstmikey.c gst_mikey_message_new_from_caps "
        "+ gst-rtsp-server rtsp-sdp.c mikey_add_crypto_sessions",
        "key+salt as one 30-octet TEK (type 2), KV NULL; SP auth key length 10 "
        "(the tag length of hmac-sha1-80, not the 20-octet key length)",
        FromHex(
            // HDR: version 1, PSK init, next T(5), V=0 PRF MIKEY-1,
            "01 00 05 00"
            // CSB ID, #CS 1, map SRTP-ID
            "e67f52c5 01 00"
            // policy 0, SSRC, ROC
            "00 ec3a22c2 00000000"
            // T: next RAND(11), NTP-UTC, value
            "0b 00 e99d415d80000000"
            // RAND: next SP(10), len 16, value
            "0a 10 b784483d33277f795d3420a6b35734a8"
            // SP: next KEMAC(1), policy 0, SRTP, params length 21
            "01 00 00 0015"
            "00 01 01"  // encr alg AES-CM
            "01 01 10"  // encr key length 16
            "02 01 01"  // auth alg HMAC-SHA-1
            "03 01 0a"  // auth key length 10 (sic)
            "07 01 01"  // SRTP encryption on
            "08 01 01"  // SRTCP encryption on
            "0a 01 01"  // SRTP authentication on
            // KEMAC: last, encr NULL, encr data length 34
            "00 00 0022"
            // Key data: last, TEK(2)|KV NULL(0), key length 30, key||salt
            "00 20 001e"
            "7bea3806e4743f65165f1170a04940dc0946c4a959de652c06e6b983c343"
            // MAC alg NULL
            "00"),
        0xe67f52c5,
        {{0, 0xec3a22c2, 0}},
        {5, 11, 10, 1},
        0,
        0xe99d415d80000000ULL,
        "b784483d33277f795d3420a6b35734a8",
        {{0, "01"},
         {1, "10"},
         {2, "01"},
         {3, "0a"},
         {7, "01"},
         {8, "01"},
         {10, "01"}},
        {2, "7bea3806e4743f65165f1170a04940dc0946c4a959de652c06e6b983c343", "",
         0, ""}});

    // --- gst-rtsp-server 1.4 .. 1.12: rtsp-sdp.c make_media() built the
    // message itself, with CSB ID 0, and reused one variable for several
    // policy values: "auth alg" got the encryption key length (16) and the
    // three off/on flags got the auth key length (10).
    v->push_back(DialectSample{
        "gst_rtsp_server_1_4",
        "gst-rtsp-server 1.4-1.12 rtsp-sdp.c make_media (before it called "
        "gst_mikey_message_new_from_caps)",
        "CSB ID 0; SP auth alg = 16 and SRTP/SRTCP encr and SRTP auth off/on = "
        "10 (sender bug); 30-octet TEK, KV NULL",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "00000000 01 00"          // CSB ID 0, #CS 1, SRTP-ID
                "00 72563060 00000000"    // policy 0, SSRC, ROC 0
                "0b 00 ebe861ba40000000"  // T: next RAND, NTP-UTC
                "0a 10 ddc5462ae6ea966c7543ab3765ce72b1"  // RAND: next SP, 16
                "01 00 00 0015"  // SP: next KEMAC, policy 0, SRTP, 21
                "00 01 01"       // encr alg AES-CM
                "01 01 10"       // encr key length 16
                "02 01 10"       // auth alg 16 (sic)
                "03 01 0a"       // auth key length 10
                "07 01 0a"       // SRTP encryption 10 (sic)
                "08 01 0a"       // SRTCP encryption 10 (sic)
                "0a 01 0a"       // SRTP authentication 10 (sic)
                "00 00 0022"     // KEMAC: last, NULL, 34
                "00 20 001e"     // key data: last, TEK|NULL, 30
                "c4eff2693d66a3bfe1b7e15c654eb3e66dc9b48bc9c8bc9acfa6e5cf5592"
                "00"),  // MAC alg NULL
        0x00000000,
        {{0, 0x72563060, 0}},
        {5, 11, 10, 1},
        0,
        0xebe861ba40000000ULL,
        "ddc5462ae6ea966c7543ab3765ce72b1",
        {{0, "01"},
         {1, "10"},
         {2, "10"},
         {3, "0a"},
         {7, "0a"},
         {8, "0a"},
         {10, "0a"}},
        {2, "c4eff2693d66a3bfe1b7e15c654eb3e66dc9b48bc9c8bc9acfa6e5cf5592", "",
         0, ""}});

    // --- gortsplib (server and client): mikeyGenerate() in
    // server_stream/client SRTP code with pkg/mikey; one SRTP-ID entry per
    // SSRC with its current ROC, auth key length 20 and an explicit tag
    // length (older releases sent auth key length 10 and no tag length, the
    // GStreamer shape above).
    v->push_back(DialectSample{
        "gortsplib",
        "bluenviron/gortsplib mikeyGenerate (pkg/mikey marshalling)",
        "30-octet TEK, KV NULL; two crypto sessions, one with a non-zero ROC",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "3150251f 02 00"          // CSB ID, #CS 2, SRTP-ID
                "00 16cc435b 00000000"    // CS 1: policy 0, SSRC, ROC 0
                "00 40ea59f6 00000002"    // CS 2: policy 0, SSRC, ROC 2
                "0b 00 eb38b9471999999a"  // T: next RAND, NTP-UTC
                "0a 10 cd15ac5bb321229a467d45d2095f6cd5"  // RAND: next SP
                "01 00 00 0018"  // SP: next KEMAC, policy 0, SRTP, 24
                "00 01 01"       // encr alg AES-CM
                "01 01 10"       // encr key length 16
                "02 01 01"       // auth alg HMAC-SHA-1
                "03 01 14"       // auth key length 20
                "07 01 01"       // SRTP encryption on
                "08 01 01"       // SRTCP encryption on
                "0a 01 01"       // SRTP authentication on
                "0b 01 0a"       // auth tag length 10
                "00 00 0022"     // KEMAC: last, NULL, 34
                "00 20 001e"     // key data: last, TEK|NULL, 30
                "000276f74e65c0d0d8393339acafee455df69f2b3d8532b8e6851b5b6076"
                "00"),  // MAC alg NULL
        0x3150251f,
        {{0, 0x16cc435b, 0}, {0, 0x40ea59f6, 2}},
        {5, 11, 10, 1},
        0,
        0xeb38b9471999999aULL,
        "cd15ac5bb321229a467d45d2095f6cd5",
        {{0, "01"},
         {1, "10"},
         {2, "01"},
         {3, "14"},
         {7, "01"},
         {8, "01"},
         {10, "01"},
         {11, "0a"}},
        {2, "000276f74e65c0d0d8393339acafee455df69f2b3d8532b8e6851b5b6076", "",
         0, ""}});

    // --- Live555 liveMedia/MIKEY.cpp (MIKEYState): fixed layout, one SSRC,
    // SP with nine parameters, and the key data sub-payload as TEK with
    // SPI/MKI (the only form its parser accepts: type byte 0x21, key exactly
    // 30 octets, MKI exactly 4 octets).
    v->push_back(DialectSample{
        "live555",
        "Live555 liveMedia/MIKEY.cpp MIKEYState::MIKEYState / MIKEYPayload",
        "30-octet TEK with SPI/MKI (4-octet MKI)",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "73f829fc 01 00"          // CSB ID, #CS 1, SRTP-ID
                "00 460d7789 00000000"    // policy 0, SSRC, ROC 0
                "0b 00 e8f1cd8400000000"  // T: next RAND, NTP-UTC
                "0a 10 6fcce069407e5bd807b9b8956c3bfda0"  // RAND: next SP
                "01 00 00 001b"  // SP: next KEMAC, policy 0, SRTP, 27
                "00 01 01"       // encr alg AES-CM
                "01 01 10"       // encr key length 16
                "02 01 01"       // auth alg HMAC-SHA-1
                "03 01 14"       // auth key length 20
                "04 01 0e"       // salt key length 14
                "07 01 01"       // SRTP encryption on
                "08 01 01"       // SRTCP encryption on
                "0a 01 01"       // SRTP authentication on
                "0b 01 0a"       // auth tag length 10
                "00 00 0027"     // KEMAC: last, NULL, 39
                "00 21 001e"     // key data: last, TEK|SPI, 30
                "97fc7cf4cce57d4bda3653f6bb454be591662d78015557fd26dd214fa45c"
                "04 e1d751aa"  // SPI/MKI length 4, MKI
                "00"),         // MAC alg NULL
        0x73f829fc,
        {{0, 0x460d7789, 0}},
        {5, 11, 10, 1},
        0,
        0xe8f1cd8400000000ULL,
        "6fcce069407e5bd807b9b8956c3bfda0",
        {{0, "01"},
         {1, "10"},
         {2, "01"},
         {3, "14"},
         {4, "0e"},
         {7, "01"},
         {8, "01"},
         {10, "01"},
         {11, "0a"}},
        {2, "97fc7cf4cce57d4bda3653f6bb454be591662d78015557fd26dd214fa45c", "",
         1, "e1d751aa"}});

    // --- ONVIF Streaming Specification, "MIKEY" section: the SETUP example
    // (KeyMgmt header from a video management client): no RAND payload, and
    // a T payload whose NTP-UTC value is really a Windows FILETIME
    // (0x01d38e19cef95c3d = 2018-01-15 as FILETIME, 1900-12-21 as NTP).
    v->push_back(DialectSample{
        "onvif_setup",
        "ONVIF Streaming Specification (onvif/specs doc/Streaming.xml), "
        "KeyMgmt example of the SETUP request",
        "no RAND; T holds a Windows FILETIME; 30-octet TEK with 4-octet MKI",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "5a17c0de 01 00"          // CSB ID, #CS 1, SRTP-ID
                "00 2d0b9e41 00000000"    // policy 0, SSRC, ROC 0
                "0a 00 01d38e19cef95c3d"  // T: next SP (no RAND), FILETIME
                "01 00 00 0018"           // SP: next KEMAC, policy 0, SRTP, 24
                "00 01 01"                // encr alg AES-CM
                "01 01 10"                // encr key length 16
                "02 01 01"                // auth alg HMAC-SHA-1
                "03 01 14"                // auth key length 20
                "07 01 01"                // SRTP encryption on
                "08 01 01"                // SRTCP encryption on
                "0a 01 01"                // SRTP authentication on
                "0b 01 0a"                // auth tag length 10
                "00 00 0027"              // KEMAC: last, NULL, 39
                "00 21 001e"              // key data: last, TEK|SPI, 30
                "bda3dabdd1b7c37d5ab8cb6d2405880d6f359913066a29debcef7d3e6d40"
                "04 00000007"  // MKI length 4, MKI 7
                "00"),         // MAC alg NULL
        0x5a17c0de,
        {{0, 0x2d0b9e41, 0}},
        {5, 10, 1},
        0,
        0x01d38e19cef95c3dULL,
        "",
        {{0, "01"},
         {1, "10"},
         {2, "01"},
         {3, "14"},
         {7, "01"},
         {8, "01"},
         {10, "01"},
         {11, "0a"}},
        {2, "bda3dabdd1b7c37d5ab8cb6d2405880d6f359913066a29debcef7d3e6d40", "",
         1, "00000007"}});

    // --- ONVIF re-keying with SET_PARAMETER: "the RAND value and the SP
    // payload may be omitted by the client", leaving HDR, T, KEMAC.
    v->push_back(DialectSample{
        "onvif_rekey",
        "ONVIF Streaming Specification, \"Client Re-Keying with MIKEY\" "
        "(RAND and SP omitted as that section allows)",
        "no RAND, no SP; new MKI; non-zero ROC",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "5a17c0de 01 00"          // CSB ID, #CS 1, SRTP-ID
                "00 2d0b9e41 00000001"    // policy 0, SSRC, ROC 1
                "01 00 ebe861d800000000"  // T: next KEMAC, NTP-UTC
                "00 00 0027"              // KEMAC: last, NULL, 39
                "00 21 001e"              // key data: last, TEK|SPI, 30
                "fe205e9bed42cf1c06c192da20c26e3533e56f5d6c58bd671a6e392f9340"
                "04 00000008"  // MKI length 4, MKI 8
                "00"),         // MAC alg NULL
        0x5a17c0de,
        {{0, 0x2d0b9e41, 1}},
        {5, 1},
        0,
        0xebe861d800000000ULL,
        "",
        {},
        {2, "fe205e9bed42cf1c06c192da20c26e3533e56f5d6c58bd671a6e392f9340", "",
         1, "00000008"}});

    // --- ONVIF AEAD_AES_128_GCM (RFC 7714): "TEK+SALT for other encryption
    // algorithms", SP as the spec's parameter list (no auth key length).
    v->push_back(DialectSample{
        "onvif_aes_gcm",
        "ONVIF Streaming Specification, MIKEY section, AEAD_AES_128_GCM "
        "parameters and TEK+SALT rule",
        "TEK+SALT (type 3) with 12-octet salt and MKI; SP encr alg 6 (AES-GCM) "
        "and AEAD tag length (type 20)",
        FromHex("01 00 05 00"             // HDR: PSK init, next T, V=0, MIKEY-1
                "f373c637 01 00"          // CSB ID, #CS 1, SRTP-ID
                "00 9c4e0a15 00000000"    // policy 0, SSRC, ROC 0
                "0b 00 eb38b94700000000"  // T: next RAND, NTP-UTC
                "0a 10 68550f583be63592b0299014c0f1f79a"  // RAND: next SP
                "01 00 00 0018"  // SP: next KEMAC, policy 0, SRTP, 24
                "00 01 06"       // encr alg AES-GCM (RFC 7714)
                "01 01 10"       // encr key length 16
                "02 01 00"       // auth alg NULL
                "04 01 0c"       // salt key length 12
                "07 01 01"       // SRTP encryption on
                "08 01 01"       // SRTCP encryption on
                "14 01 10"       // AEAD auth tag length 16
                "05 01 00"       // SRTP PRF AES-CM
                "00 00 0027"     // KEMAC: last, NULL, 39
                "00 31 0010"     // key data: last, TEK+SALT|SPI, 16
                "c3e53bf0a56aedc0f87aa1c0298e21db"
                "000c 1d01b0b3207c09a5a4712864"  // salt length 12, salt
                "04 11fd40ae"                    // MKI length 4, MKI
                "00"),                           // MAC alg NULL
        0xf373c637,
        {{0, 0x9c4e0a15, 0}},
        {5, 11, 10, 1},
        0,
        0xeb38b94700000000ULL,
        "68550f583be63592b0299014c0f1f79a",
        {{0, "06"},
         {1, "10"},
         {2, "00"},
         {4, "0c"},
         {7, "01"},
         {8, "01"},
         {20, "10"},
         {5, "00"}},
        {3, "c3e53bf0a56aedc0f87aa1c0298e21db", "1d01b0b3207c09a5a4712864", 1,
         "11fd40ae"}});
    return v;
  }();
  return *kSamples;
}

}  // namespace interop
}  // namespace mikey
