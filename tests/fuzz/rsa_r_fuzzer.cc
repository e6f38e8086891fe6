// Fuzzes MIKEY-RSA-R (core/exchange/rsa_r.h, RFC 4738) on both sides:
// RespondRsaR on an I_MESSAGE, CompleteRsaR on an R_MESSAGE answering the
// harness's own I_MESSAGE. Keys and certificates (FuzzPki) are made once per
// process.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: for an I_MESSAGE the harness puts its own certificate into
//         CERT payloads and signs with the Initiator's key; for an R_MESSAGE
//         (whose PKE data is read as the envelope key and KEMAC Encr data as
//         IDr || key data, in clear) it encrypts the envelope key to the
//         Initiator's certificate, encrypts and MACs the KEMAC under keys
//         from it, and signs with the Responder's key. Without it the bytes
//         go in as they are;
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  a replay cache (else skip_replay_check);
//   0x08  complete mode: CompleteRsaR against the harness's I_MESSAGE;
//   0x10  identity binding off;
//   0x20  RSA-PSS / SHA-1 signatures accepted too;
//   0x40  group mode: the Responder hands out a group CSB ID, TGK and RAND,
//         and uses AES-KW;
//   0x80  with 0x01 in complete mode: only the certificate and the signature
//         are fixed up (PKE and KEMAC stay as they are).
//
// Properties: no crash; a reply parses; accepted keys have the suite's
// lengths; an R_MESSAGE the Responder builds for a fixed-up I_MESSAGE
// completes on the Initiator's side with the same keys.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/rsa_r.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

const Bytes& IMessage() {
  static const Bytes* i = [] {
    const FuzzPki& pki = FuzzPki::Get();
    exchange::RsaRInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.credential = pki.InitiatorCredential();
    o.send_certificate = false;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    exchange::FixedClock clock(FuzzNow());
    DeterministicRandom rng(kRngSeed);
    absl::StatusOr<Bytes> init = exchange::InitiateRsaR(o, clock, rng);
    FUZZ_CHECK(init.ok(), init.status().ToString());
    return new Bytes(*init);
  }();
  return *i;
}

exchange::RsaRCompleteOptions CompleteOptions(uint8_t flags) {
  const FuzzPki& pki = FuzzPki::Get();
  exchange::RsaRCompleteOptions o;
  o.verifier = pki.verifier.get();
  o.responder_chain = {pki.responder.cert};
  o.min_rsa_bits = kFuzzRsaBits;
  o.require_identity_binding = (flags & 0x10) == 0;
  if (flags & 0x20) o.signature_hashes = {HashAlg::kSha256, HashAlg::kSha1};
  o.key = &pki.initiator.key;
  return o;
}

void CheckReplyParses(const Bytes& reply) {
  if (reply.empty()) return;
  absl::StatusOr<Message> m = ParseMessage(reply);
  FUZZ_CHECK(m.ok(),
             absl::StrCat("the reply does not parse: ", m.status().ToString()));
}

void Respond(const Split& in) {
  const FuzzPki& pki = FuzzPki::Get();
  absl::StatusOr<Message> m = ParseMessage(in.data);
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    if (!m.ok()) return;
    Message copy = *m;
    ReplaceCerts(&copy, {pki.initiator.cert});
    absl::StatusOr<Bytes> w =
        SerializeFixed(std::move(copy), nullptr, &pki.initiator.key);
    if (!w.ok()) return;
    fixed = *std::move(w);
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());

  replay::InMemoryReplayCache cache(8);
  exchange::RsaRResponderOptions o;
  if (in.flags & 0x04) {
    o.replay_cache = &cache;
  } else {
    o.skip_replay_check = true;
  }
  o.verifier = pki.verifier.get();
  o.initiator_chain = {pki.initiator.cert};
  o.min_rsa_bits = kFuzzRsaBits;
  o.require_identity_binding = (in.flags & 0x10) == 0;
  if (in.flags & 0x20) o.signature_hashes = {HashAlg::kSha256, HashAlg::kSha1};
  o.credential = pki.ResponderCredential();
  o.id_r = UriId(kResponderUri);
  if (in.flags & 0x40) {
    o.group_csb_id = 0x67726f75;
    o.group_rand = Bytes(16, 0x42);
    o.group_tgk = SecretBytes(Bytes(32, 0x24));
    o.encr_alg = encr_alg::kAesKw128;
  }
  DeterministicRandom rng(kRngSeed);
  exchange::RsaRResponse r = exchange::RespondRsaR(wire, o, clock, rng);
  Report("RespondRsaR", r.status);
  CheckReplyParses(r.reply);
  if (!r.status.ok()) {
    FUZZ_CHECK(!r.keys.has_value(), "keys with a failed status");
    return;
  }
  FUZZ_CHECK(r.keys.has_value() && !r.reply.empty(), "OK without keys/reply");
  CheckKeyResult(*r.keys);
  if (!fixed) return;
  absl::StatusOr<exchange::KeyResult> k =
      exchange::CompleteRsaR(r.reply, wire, CompleteOptions(in.flags), clock);
  FUZZ_CHECK(k.ok(), absl::StrCat("our own R_MESSAGE does not complete: ",
                                  k.status().ToString()));
  FUZZ_CHECK(SameKeys(*k, *r.keys), "Initiator and Responder keys differ");
}

// The CSB ID of a CSB_ID General Extension (RSA-R group mode), if any.
std::optional<uint32_t> GroupCsbId(const Message& m) {
  for (const GeneralExtensionPayload* g :
       m.FindAll<GeneralExtensionPayload>()) {
    if (g->type == gen_ext_type::kCsbId && g->data.size() == 4) {
      return (uint32_t{g->data[0]} << 24) | (uint32_t{g->data[1]} << 16) |
             (uint32_t{g->data[2]} << 8) | g->data[3];
    }
  }
  return std::nullopt;
}

// The fix-up of an R_MESSAGE (see above).
std::optional<Bytes> FixRMessage(Message m, bool sign_only) {
  const FuzzPki& pki = FuzzPki::Get();
  ReplaceCerts(&m, {pki.responder.cert});
  const std::optional<size_t> pke =
      sign_only ? std::nullopt : IndexOf<PkePayload>(m);
  const std::optional<size_t> k = IndexOf<KemacPayload>(m);
  const std::optional<HashAlg> prf = PrfHash(m.header.prf_func);
  std::optional<MacFix> fix;
  if (pke && k && prf) {
    Bytes env = std::get<PkePayload>(m.payloads[*pke]).data;
    if (env.size() > 117) env.resize(117);
    absl::StatusOr<RsaPublicKey> pub = pki.initiator.key.PublicKey();
    FUZZ_CHECK(pub.ok(), "initiator public key");
    absl::StatusOr<std::vector<uint8_t>> sealed =
        pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, env);
    if (!sealed.ok()) return std::nullopt;
    std::get<PkePayload>(m.payloads[*pke]).data = *std::move(sealed);

    absl::StatusOr<Message> im = ParseMessage(IMessage());
    FUZZ_CHECK(im.ok(), "our I_MESSAGE");
    Bytes rand = im->Find<RandPayload>()->rand;
    if (const RandPayload* r = m.Find<RandPayload>()) rand = r->rand;
    const TimestampPayload* t = m.Find<TimestampPayload>();
    const uint64_t t_value = t != nullptr ? t->value : 0;
    // Group mode: the CSB_ID General Extension's CSB ID keys everything.
    const uint32_t csb_id = GroupCsbId(m).value_or(m.header.csb_id);
    KemacPayload& kemac = std::get<KemacPayload>(m.payloads[*k]);
    absl::StatusOr<Bytes> c = EncryptKemacData(*prf, env, csb_id, rand, t_value,
                                               kemac.encr_alg, kemac.encr_data);
    if (c.ok()) kemac.encr_data = *std::move(c);
    absl::StatusOr<SecretBytes> key =
        AuthKeyFor(*prf, env, csb_id, rand, kemac.mac_alg);
    if (key.ok()) {
      kemac.mac.assign(MacLengthOf(kemac.mac_alg), 0);
      fix.emplace();
      fix->index = *k;
      fix->mac_alg = kemac.mac_alg;
      fix->key = *std::move(key);
      fix->payload_only = true;
    }
  }
  // SIGNr covers R_MESSAGE || IDi || IDr || T (RFC 4738 §3.6): IDi of our
  // I_MESSAGE, IDr of the R_MESSAGE (else of our I_MESSAGE), T's value.
  Bytes suffix(kInitiatorUri, kInitiatorUri + sizeof(kInitiatorUri) - 1);
  std::vector<const IdPayload*> ids = m.FindAll<IdPayload>();
  if (!ids.empty()) {
    suffix.insert(suffix.end(), ids[0]->data.begin(), ids[0]->data.end());
  } else {
    suffix.insert(suffix.end(), kResponderUri,
                  kResponderUri + sizeof(kResponderUri) - 1);
  }
  if (const TimestampPayload* t = m.Find<TimestampPayload>()) {
    const Bytes tw = TimestampWire(*t);
    suffix.insert(suffix.end(), tw.begin(), tw.end());
  }
  absl::StatusOr<Bytes> wire = SerializeFixed(
      std::move(m), fix ? &*fix : nullptr, &pki.responder.key, suffix);
  return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
}

void Complete(const Split& in) {
  absl::StatusOr<Message> m = ParseMessage(in.data);
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    if (!m.ok()) return;
    fixed = FixRMessage(*m, (in.flags & 0x80) != 0);
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());
  absl::StatusOr<exchange::KeyResult> k = exchange::CompleteRsaR(
      wire, IMessage(), CompleteOptions(in.flags), clock);
  Report("CompleteRsaR", k.status());
  if (k.ok()) CheckKeyResult(*k);
}

}  // namespace
}  // namespace fuzz
}  // namespace mikey

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mikey::fuzz::IMessage();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mikey::fuzz::Split in = mikey::fuzz::SplitInput(data, size);
  if (in.flags & 0x08) {
    mikey::fuzz::Complete(in);
  } else {
    mikey::fuzz::Respond(in);
  }
  return 0;
}
