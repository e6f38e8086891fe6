// Real PK (RFC 3830 §3.2) and RSA-R (RFC 4738) messages, with real
// certificates, signatures, PKE and encrypted KEMACs, dissected by Wireshark
// (tshark): no malformed marker or warning, and the payload chain Wireshark
// follows is ours, payload for payload, covering the whole message.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/pk.h"
#include "core/exchange/rsa_r.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/replay/replay_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/interop/pdml.h"
#include "tests/interop/tshark_peer.h"

namespace mikey {
namespace {

using exchange::PkCredential;
using ::testing::IsEmpty;

struct Peers {
  pki::testing::Issued ca =
      *pki::testing::Issue(pki::testing::CaSpec("CA"), nullptr);
  pki::testing::Issued alice =
      *pki::testing::Issue(Leaf("sip:alice@x", 2), &ca);
  pki::testing::Issued bob = *pki::testing::Issue(Leaf("sip:bob@x", 3), &ca);
  static pki::testing::CertSpec Leaf(const std::string& uri, long serial) {
    pki::testing::CertSpec s;
    s.san_uris = {uri};
    s.serial = serial;
    return s;
  }
};

exchange::PskStreamSpec Stream(const char* suite, uint32_t ssrc) {
  exchange::PskStreamSpec s;
  s.ssrc = ssrc;
  s.policy.suite = *srtp::FindSuite(suite);
  return s;
}

std::vector<std::pair<std::string, Bytes>> BuildMessages() {
  Peers p;
  exchange::FixedClock clock(pki::testing::TestNow());
  DeterministicRandom rng(5);
  pki::TrustConfig tc;
  tc.trust_anchors = {p.ca.cert};
  pki::CertificateVerifier verifier(tc);
  replay::InMemoryReplayCache cache(10);
  std::vector<std::pair<std::string, Bytes>> out;

  exchange::PkInitiatorOptions io;
  io.streams = {Stream("AES_CM_128_HMAC_SHA1_80", 1),
                Stream("AEAD_AES_128_GCM", 2)};
  io.credential = PkCredential{{p.alice.cert}, &p.alice.key};
  io.id_i = IdPayload{};
  io.id_i->id_type = id_type::kUri;
  io.id_i->data = Bytes{'s', 'i', 'p', ':', 'a', 'l', 'i', 'c', 'e', '@', 'x'};
  io.responder_certificate = p.bob.cert;
  io.v_flag = true;
  absl::StatusOr<exchange::PkInitiation> pk = InitiatePk(io, clock, rng);
  if (!pk.ok()) return out;
  out.push_back({"PK I_MESSAGE", pk->i_message});
  exchange::PkResponderOptions ro;
  ro.replay_cache = &cache;
  ro.verifier = &verifier;
  ro.credentials = {PkCredential{{p.bob.cert}, &p.bob.key}};
  exchange::PkResponse pr = RespondPk(pk->i_message, ro, clock);
  if (pr.status.ok()) out.push_back({"PK verification message", pr.reply});

  exchange::RsaRInitiatorOptions ri;
  ri.streams = io.streams;
  ri.credential = io.credential;
  absl::StatusOr<Bytes> rsar = InitiateRsaR(ri, clock, rng);
  if (!rsar.ok()) return out;
  out.push_back({"RSA-R I_MESSAGE", *rsar});
  exchange::RsaRResponderOptions rr;
  rr.replay_cache = &cache;
  rr.verifier = &verifier;
  rr.credential = PkCredential{{p.bob.cert}, &p.bob.key};
  exchange::RsaRResponse rresp = RespondRsaR(*rsar, rr, clock, rng);
  if (rresp.status.ok()) out.push_back({"RSA-R R_MESSAGE", rresp.reply});
  return out;
}

TEST(TsharkPubkeyTest, WiresharkDissectsPkAndRsaRMessages) {
  const std::vector<std::pair<std::string, Bytes>> msgs = BuildMessages();
  ASSERT_EQ(msgs.size(), 4u) << "building the messages failed";
  std::vector<Bytes> wires;
  for (const auto& m : msgs) wires.push_back(m.second);
  absl::StatusOr<std::vector<interop::PdmlNode>> packets =
      interop::DissectWithTshark(wires, "tshark_pubkey");
  ASSERT_TRUE(packets.ok()) << packets.status();
  ASSERT_EQ(packets->size(), msgs.size());
  for (size_t k = 0; k < msgs.size(); ++k) {
    SCOPED_TRACE(msgs[k].first);
    const Bytes& wire = msgs[k].second;
    const interop::PdmlNode& packet = (*packets)[k];
    EXPECT_THAT(interop::DissectionProblems(packet), IsEmpty());
    const interop::PdmlNode* mikey = packet.Child("mikey");
    ASSERT_NE(mikey, nullptr);
    EXPECT_EQ(mikey->size, static_cast<long>(wire.size()));
    MessageLayout layout;
    absl::StatusOr<Message> ours = ParseMessage(wire, &layout);
    ASSERT_TRUE(ours.ok()) << ours.status();
    const interop::PdmlNode* hdr = mikey->Child("mikey.hdr");
    ASSERT_NE(hdr, nullptr);
    EXPECT_EQ(interop::ShowNumber(hdr->Child("mikey.type")),
              ours->header.data_type);
    std::vector<const interop::PdmlNode*> nodes =
        interop::TsharkPayloads(*mikey);
    ASSERT_EQ(nodes.size(), ours->payloads.size());
    long covered = hdr->size;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const uint8_t type = PayloadTypeOf(ours->payloads[i]);
      SCOPED_TRACE(absl::StrCat("payload #", i + 1, " ", PayloadName(type)));
      EXPECT_EQ(nodes[i]->name, interop::TsharkPayloadName(type));
      EXPECT_EQ(nodes[i]->size, static_cast<long>(layout.payloads[i].end -
                                                  layout.payloads[i].begin));
      covered += nodes[i]->size;
    }
    EXPECT_EQ(covered, static_cast<long>(wire.size()));
  }
}

}  // namespace
}  // namespace mikey
