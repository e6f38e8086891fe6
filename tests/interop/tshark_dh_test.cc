// The messages of real DH (RFC 3830 §3.3) and DHHMAC (RFC 4650) exchanges,
// with real DH values, MACs, signatures and certificates, dissected by
// Wireshark (tshark 4.0): no malformed-packet marker or warning, the payload
// chain Wireshark followed is ours payload for payload (boundaries included)
// and covers the whole message, and the fields that carry the exchange (data
// type, DH group and value, KEMAC, SIGN) show what we built.
//
// tshark_interop_test covers every payload kind with placeholder contents;
// this test covers what the exchange code actually sends.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/dhhmac.h"
#include "core/exchange/pk.h"
#include "core/message/message.h"
#include "core/pki/testing/test_pki.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "core/testing/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/pdml.h"
#include "tests/interop/tshark_peer.h"

namespace mikey {
namespace interop {
namespace {

using ::testing::IsEmpty;
using testutil::ToHex;

// Offset of the UDP payload in our pcap frames (Ethernet 14 + IPv4 20 +
// UDP 8).
constexpr long kMikeyFrameOffset = 42;

struct Sample {
  std::string name;
  Bytes wire;
};

exchange::DhStreamSpec Stream(const char* suite, uint32_t ssrc) {
  exchange::DhStreamSpec s;
  s.ssrc = ssrc;
  s.policy.suite = *srtp::FindSuite(suite);
  return s;
}

IdPayload Uri(const std::string& s) {
  return IdPayload{id_type::kUri, Bytes(s.begin(), s.end())};
}

// Runs one exchange of each mode and group and collects its messages.
std::vector<Sample> Samples() {
  std::vector<Sample> out;
  exchange::FixedClock clock(pki::testing::TestNow());
  DeterministicRandom rng(2269);
  const Bytes psk(20, 0x5A);

  for (uint8_t group :
       {dh_group::kOakley5, dh_group::kOakley1, dh_group::kOakley2}) {
    exchange::DhhmacInitiatorOptions io;
    io.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 0x01020304),
                  Stream("AEAD_AES_128_GCM", 0)};
    io.dh_group = group;
    io.id_i = Uri("sip:alice@example.com");
    io.id_r = Uri("sip:bob@example.com");
    absl::StatusOr<exchange::DhhmacInitiation> init =
        exchange::InitiateDhhmac(io, psk, clock, rng);
    if (!init.ok()) continue;
    replay::InMemoryReplayCache cache(10);
    exchange::DhhmacResponderOptions ro;
    ro.replay_cache = &cache;
    ro.allowed_dh_groups = {dh_group::kOakley5, dh_group::kOakley1,
                            dh_group::kOakley2};
    ro.id_r = Uri("sip:bob@example.com");
    exchange::DhResponse r =
        exchange::RespondDhhmac(init->i_message, psk, ro, clock, rng);
    const std::string g = absl::StrCat("Group", static_cast<int>(group));
    out.push_back({"DhhmacInit" + g, init->i_message});
    out.push_back({"DhhmacResp" + g, r.reply});
    if (group == dh_group::kOakley5) {
      // The (V-protected) Error message a replay earns.
      exchange::DhResponse again =
          exchange::RespondDhhmac(init->i_message, psk, ro, clock, rng);
      out.push_back({"DhhmacError", again.reply});
    }
  }

  // DH with signatures: a CA, Alice and Bob (2048-bit RSA).
  static const auto* const kCa = new absl::StatusOr<pki::testing::Issued>(
      pki::testing::Issue(pki::testing::CaSpec("Test CA"), nullptr));
  static const auto* const kAlice =
      new absl::StatusOr<pki::testing::Issued>([] {
        pki::testing::CertSpec s;
        s.common_name = "alice";
        s.san_uris = {"sip:alice@example.com"};
        s.serial = 2;
        return pki::testing::Issue(s, &**kCa);
      }());
  static const auto* const kBob = new absl::StatusOr<pki::testing::Issued>([] {
    pki::testing::CertSpec s;
    s.common_name = "bob";
    s.san_uris = {"sip:bob@example.com"};
    s.serial = 3;
    return pki::testing::Issue(s, &**kCa);
  }());
  if (!kCa->ok() || !kAlice->ok() || !kBob->ok()) return out;
  pki::TrustConfig tc;
  tc.trust_anchors = {(*kCa)->cert};
  pki::CertificateVerifier verifier(tc);
  for (bool pss : {false, true}) {
    exchange::DhInitiatorOptions io;
    io.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 0x0A0B0C0D)};
    io.dh_group = pss ? dh_group::kOakley2 : dh_group::kOakley5;
    io.credential = exchange::PkCredential{{(*kAlice)->cert}, &(*kAlice)->key};
    io.id_i = Uri("sip:alice@example.com");
    io.signature.scheme =
        pss ? RsaSignatureScheme::kPss : RsaSignatureScheme::kPkcs1v15;
    absl::StatusOr<exchange::DhInitiation> init =
        exchange::InitiateDh(io, clock, rng);
    if (!init.ok()) continue;
    replay::InMemoryReplayCache cache(10);
    exchange::DhResponderOptions ro;
    ro.replay_cache = &cache;
    ro.verifier = &verifier;
    ro.credential = exchange::PkCredential{{(*kBob)->cert}, &(*kBob)->key};
    ro.id_r = Uri("sip:bob@example.com");
    ro.signature.scheme = io.signature.scheme;
    exchange::DhModeResponse r =
        exchange::RespondDh(init->i_message, ro, clock, rng);
    const std::string s = pss ? "Pss" : "Pkcs1";
    out.push_back({"DhInit" + s, init->i_message});
    out.push_back({"DhResp" + s, r.reply});
    if (!pss) {
      exchange::DhModeResponse again =
          exchange::RespondDh(init->i_message, ro, clock, rng);
      out.push_back({"DhSignedError", again.reply});
    }
  }
  return out;
}

class TsharkDhTest : public ::testing::TestWithParam<size_t> {
 protected:
  static void SetUpTestSuite() {
    samples_ = new std::vector<Sample>(Samples());
    std::vector<std::vector<uint8_t>> datagrams;
    for (const Sample& s : *samples_) datagrams.push_back(s.wire);
    absl::StatusOr<std::vector<PdmlNode>> packets =
        DissectWithTshark(datagrams, "tshark_dh");
    if (packets.ok()) {
      packets_ = new std::vector<PdmlNode>(*std::move(packets));
    } else {
      error_ = new std::string(packets.status().ToString());
    }
  }

  static std::vector<Sample>* samples_;
  static std::vector<PdmlNode>* packets_;
  static std::string* error_;
};

std::vector<Sample>* TsharkDhTest::samples_ = nullptr;
std::vector<PdmlNode>* TsharkDhTest::packets_ = nullptr;
std::string* TsharkDhTest::error_ = nullptr;

long long Num(const PdmlNode& parent, const char* field) {
  return ShowNumber(parent.Child(field));
}

std::string RawHex(const PdmlNode& parent, const char* field) {
  const PdmlNode* n = parent.Child(field);
  return n != nullptr ? n->value : absl::StrCat("<no ", field, ">");
}

TEST(TsharkDhSamplesTest, EveryExchangeProducedItsMessages) {
  const std::vector<Sample> samples = Samples();
  // 3 groups x (I, R) + Error for DHHMAC; 2 x (I, R) + Error for DH.
  ASSERT_EQ(samples.size(), 12u);
  for (const Sample& s : samples) EXPECT_FALSE(s.wire.empty()) << s.name;
}

TEST_P(TsharkDhTest, WiresharkDissectsTheExchange) {
  ASSERT_EQ(error_, nullptr) << *error_;
  ASSERT_LT(GetParam(), samples_->size());
  const Sample& sample = (*samples_)[GetParam()];
  const PdmlNode& packet = (*packets_)[GetParam()];
  SCOPED_TRACE(absl::StrCat(sample.name, ": ", ToHex(sample.wire)));
  ASSERT_FALSE(sample.wire.empty());

  EXPECT_THAT(DissectionProblems(packet), IsEmpty());
  const PdmlNode* mikey = packet.Child("mikey");
  ASSERT_NE(mikey, nullptr) << "tshark did not decode UDP 2269 as MIKEY";
  EXPECT_EQ(mikey->size, static_cast<long>(sample.wire.size()));

  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(sample.wire, &layout);
  ASSERT_TRUE(m.ok()) << m.status();
  const PdmlNode* hdr = mikey->Child("mikey.hdr");
  ASSERT_NE(hdr, nullptr);
  EXPECT_EQ(Num(*hdr, "mikey.type"), m->header.data_type);
  EXPECT_EQ(Num(*hdr, "mikey.csb_id"), m->header.csb_id);
  EXPECT_EQ(hdr->size, static_cast<long>(layout.header_end));

  std::vector<const PdmlNode*> nodes = TsharkPayloads(*mikey);
  ASSERT_EQ(nodes.size(), m->payloads.size())
      << "Wireshark followed a different payload chain";
  long covered = hdr->size;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Payload& p = m->payloads[i];
    const uint8_t type = PayloadTypeOf(p);
    SCOPED_TRACE(absl::StrCat("payload #", i + 1, " ", PayloadName(type)));
    EXPECT_EQ(nodes[i]->name, TsharkPayloadName(type));
    EXPECT_EQ(nodes[i]->pos,
              kMikeyFrameOffset + static_cast<long>(layout.payloads[i].begin));
    EXPECT_EQ(nodes[i]->size, static_cast<long>(layout.payloads[i].end -
                                                layout.payloads[i].begin));
    covered += nodes[i]->size;
    if (const auto* dh = std::get_if<DhPayload>(&p)) {
      EXPECT_EQ(Num(*nodes[i], "mikey.dh.group"), dh->group);
      EXPECT_EQ(RawHex(*nodes[i], "mikey.dh.value"), ToHex(dh->value));
      EXPECT_EQ(Num(*nodes[i], "mikey.dh.kv"), dh->validity.type);
    } else if (const auto* k = std::get_if<KemacPayload>(&p)) {
      EXPECT_EQ(Num(*nodes[i], "mikey.kemac.encr_alg"), encr_alg::kNull);
      EXPECT_EQ(Num(*nodes[i], "mikey.kemac.key_data_len"), 0);
      EXPECT_EQ(Num(*nodes[i], "mikey.kemac.mac_alg"), k->mac_alg);
      EXPECT_EQ(RawHex(*nodes[i], "mikey.kemac.mac"), ToHex(k->mac));
    } else if (const auto* s = std::get_if<SignPayload>(&p)) {
      EXPECT_EQ(Num(*nodes[i], "mikey.sign.type"), s->type);
      EXPECT_EQ(Num(*nodes[i], "mikey.sign.len"),
                static_cast<long long>(s->signature.size()));
      EXPECT_EQ(RawHex(*nodes[i], "mikey.sign.data"), ToHex(s->signature));
    } else if (const auto* v = std::get_if<VerificationPayload>(&p)) {
      EXPECT_EQ(Num(*nodes[i], "mikey.v.auth_alg"), v->auth_alg);
      EXPECT_EQ(RawHex(*nodes[i], "mikey.v.ver_data"), ToHex(v->mac));
    } else if (const auto* e = std::get_if<ErrorPayload>(&p)) {
      EXPECT_EQ(Num(*nodes[i], "mikey.err.no"), e->error_no);
    }
  }
  EXPECT_EQ(covered, static_cast<long>(sample.wire.size()));
}

INSTANTIATE_TEST_SUITE_P(Exchanges, TsharkDhTest,
                         ::testing::Range<size_t>(0, 12),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           static const std::vector<Sample>* const kNames =
                               new std::vector<Sample>(Samples());
                           return info.param < kNames->size()
                                      ? (*kNames)[info.param].name
                                      : absl::StrCat("Missing", info.param);
                         });

}  // namespace
}  // namespace interop
}  // namespace mikey
