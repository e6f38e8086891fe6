// srtp_roundtrip: checks that two parties' SRTP keys work together in
// libsrtp 2 (an implementation independent of this project): RTP and RTCP
// packets protected under the sender's master key and salt must unprotect
// under the receiver's, with the payload intact.
//
//   srtp_roundtrip --suite=AES_CM_128_HMAC_SHA1_80
//       --tx_key=HEX --tx_salt=HEX --rx_key=HEX --rx_salt=HEX
//       [--ssrc=N] [--roc=N] [--packets=N]
//
// Exit status: 0 every packet made it through, 1 some did not (the keys do
// not match), 2 usage error or libsrtp failure.

#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

ABSL_FLAG(std::string, suite, "AES_CM_128_HMAC_SHA1_80",
          "SRTP crypto suite (SDES name).");
ABSL_FLAG(std::string, tx_key, "", "Sender's master key, hex.");
ABSL_FLAG(std::string, tx_salt, "", "Sender's master salt, hex.");
ABSL_FLAG(std::string, rx_key, "", "Receiver's master key, hex.");
ABSL_FLAG(std::string, rx_salt, "", "Receiver's master salt, hex.");
ABSL_FLAG(uint32_t, ssrc, 0x12345678, "SSRC of the stream (0 is allowed).");
ABSL_FLAG(uint32_t, roc, 0, "Rollover counter the stream starts at.");
ABSL_FLAG(int, packets, 20, "RTP and RTCP packets to send each.");

namespace {

constexpr int kOk = 0;
constexpr int kMismatch = 1;
constexpr int kUsage = 2;

bool Hex(const std::string& hex, std::string* out) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  *out = absl::HexStringToBytes(hex);
  return true;
}

// The RTP and RTCP crypto policies of an SDES suite. SRTCP always uses an
// 80-bit tag with the HMAC suites (RFC 4568 section 6.2.2).
bool SetPolicies(const std::string& suite, srtp_policy_t* p) {
  if (suite == "AES_CM_128_HMAC_SHA1_80") {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
  } else if (suite == "AES_CM_128_HMAC_SHA1_32") {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
  } else if (suite == "AES_256_CM_HMAC_SHA1_80") {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
  } else if (suite == "AES_256_CM_HMAC_SHA1_32") {
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
    srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
  } else if (suite == "AEAD_AES_128_GCM") {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
  } else if (suite == "AEAD_AES_256_GCM") {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
  } else {
    return false;
  }
  return true;
}

struct Session {
  srtp_t session = nullptr;
  std::string key;  // master key || master salt, as libsrtp wants it
  ~Session() {
    if (session != nullptr) srtp_dealloc(session);
  }
};

bool Create(const std::string& suite, const std::string& key,
            const std::string& salt, uint32_t ssrc, uint32_t roc,
            Session* out) {
  out->key = key + salt;
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (!SetPolicies(suite, &policy)) return false;
  if (policy.rtp.cipher_key_len != static_cast<int>(out->key.size())) {
    std::cerr << "srtp_roundtrip: key || salt is " << out->key.size()
              << " octets; " << suite << " needs " << policy.rtp.cipher_key_len
              << std::endl;
    return false;
  }
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = ssrc;
  policy.key = reinterpret_cast<unsigned char*>(&out->key[0]);
  policy.window_size = 128;
  policy.next = nullptr;
  if (srtp_create(&out->session, &policy) != srtp_err_status_ok) {
    std::cerr << "srtp_roundtrip: srtp_create failed" << std::endl;
    return false;
  }
  if (roc != 0 &&
      srtp_set_stream_roc(out->session, ssrc, roc) != srtp_err_status_ok) {
    std::cerr << "srtp_roundtrip: srtp_set_stream_roc failed" << std::endl;
    return false;
  }
  return true;
}

void Put32(uint8_t* p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Protects RTP/RTCP with one master key and salt and unprotects with "
      "another in libsrtp 2; exit 0 if all packets match.");
  absl::ParseCommandLine(argc, argv);
  const std::string suite = absl::GetFlag(FLAGS_suite);
  std::string tx_key, tx_salt, rx_key, rx_salt;
  if (!Hex(absl::GetFlag(FLAGS_tx_key), &tx_key) ||
      !Hex(absl::GetFlag(FLAGS_tx_salt), &tx_salt) ||
      !Hex(absl::GetFlag(FLAGS_rx_key), &rx_key) ||
      !Hex(absl::GetFlag(FLAGS_rx_salt), &rx_salt)) {
    std::cerr << "srtp_roundtrip: --tx_key, --tx_salt, --rx_key and --rx_salt "
                 "must be hex"
              << std::endl;
    return kUsage;
  }
  if (srtp_init() != srtp_err_status_ok) return kUsage;
  const uint32_t ssrc = absl::GetFlag(FLAGS_ssrc);
  const uint32_t roc = absl::GetFlag(FLAGS_roc);
  Session tx, rx;
  if (!Create(suite, tx_key, tx_salt, ssrc, roc, &tx) ||
      !Create(suite, rx_key, rx_salt, ssrc, roc, &rx)) {
    std::cerr << "srtp_roundtrip: cannot set up suite " << suite << std::endl;
    return kUsage;
  }

  int bad = 0;
  const int n = absl::GetFlag(FLAGS_packets);
  for (int i = 0; i < n; ++i) {
    // RTP: V=2, PT 96, sequence number, timestamp, SSRC, 160 octets.
    std::vector<uint8_t> rtp(12 + 160 + SRTP_MAX_TRAILER_LEN, 0);
    rtp[0] = 0x80;
    rtp[1] = 96;
    rtp[2] = static_cast<uint8_t>((1000 + i) >> 8);
    rtp[3] = static_cast<uint8_t>(1000 + i);
    Put32(&rtp[4], 160u * i);
    Put32(&rtp[8], ssrc);
    for (int k = 0; k < 160; ++k) rtp[12 + k] = static_cast<uint8_t>(k + i);
    const std::vector<uint8_t> plain(rtp.begin(), rtp.begin() + 12 + 160);
    int len = 12 + 160;
    if (srtp_protect(tx.session, rtp.data(), &len) != srtp_err_status_ok) {
      std::cerr << "srtp_roundtrip: srtp_protect failed" << std::endl;
      return kUsage;
    }
    if (std::memcmp(rtp.data() + 12, plain.data() + 12, 160) == 0) {
      std::cerr << "srtp_roundtrip: payload not encrypted" << std::endl;
      return kUsage;
    }
    if (srtp_unprotect(rx.session, rtp.data(), &len) != srtp_err_status_ok ||
        len != 12 + 160 ||
        std::memcmp(rtp.data(), plain.data(), plain.size()) != 0) {
      ++bad;
    }

    // RTCP sender report: header, SSRC, 20 octets of sender info.
    std::vector<uint8_t> rtcp(28 + SRTP_MAX_TRAILER_LEN + 4, 0);
    rtcp[0] = 0x80;
    rtcp[1] = 200;
    rtcp[3] = 6;
    Put32(&rtcp[4], ssrc);
    for (int k = 8; k < 28; ++k) rtcp[k] = static_cast<uint8_t>(k * 7 + i);
    const std::vector<uint8_t> rtcp_plain(rtcp.begin(), rtcp.begin() + 28);
    len = 28;
    if (srtp_protect_rtcp(tx.session, rtcp.data(), &len) !=
        srtp_err_status_ok) {
      std::cerr << "srtp_roundtrip: srtp_protect_rtcp failed" << std::endl;
      return kUsage;
    }
    if (srtp_unprotect_rtcp(rx.session, rtcp.data(), &len) !=
            srtp_err_status_ok ||
        len != 28 ||
        std::memcmp(rtcp.data(), rtcp_plain.data(), rtcp_plain.size()) != 0) {
      ++bad;
    }
  }
  srtp_shutdown();
  std::cout << (bad == 0 ? "ok" : "MISMATCH") << ": " << suite << ", " << n
            << " RTP + " << n << " RTCP packets, " << bad << " failed"
            << std::endl;
  return bad == 0 ? kOk : kMismatch;
}
