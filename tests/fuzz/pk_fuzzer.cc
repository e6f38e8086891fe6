// Fuzzes public-key mode (core/exchange/pk.h, RFC 3830 §3.2) on both sides:
// RespondPk on an I_MESSAGE, VerifyPkResponse on a response to the harness's
// own I_MESSAGE. Keys and certificates (FuzzPki) are made once per process.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: the rest is an I_MESSAGE with its secrets in clear (PKE
//         data = the envelope key, KEMAC Encr data = IDi || key data); the
//         harness encrypts the envelope key to the Responder's certificate,
//         encrypts and MACs the KEMAC under keys from it, recomputes a SHA-1
//         CHASH, puts its own certificate into CERT payloads and signs (S
//         type 0 or 1, SHA-256) with the Initiator's key; for a response it
//         writes the V MAC. Without it the bytes go in as they are;
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  a replay cache (else skip_replay_check);
//   0x08  response mode: VerifyPkResponse against the harness's I_MESSAGE;
//   0x10  identity binding off;
//   0x20  RSA-PSS / SHA-1 signatures accepted too;
//   0x40  with 0x01: only the certificate and the signature are fixed up
//         (PKE, KEMAC and CHASH stay as they are), so the checks behind the
//         signature see wrong ciphertexts and MACs.
//
// Properties: no crash; a reply parses; accepted keys have the suite's
// lengths; a fixed-up I_MESSAGE accepted with the V flag gets a verification
// message that VerifyPkResponse accepts.

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/pk.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

struct Fixed {
  Bytes i_message;
  SecretBytes envelope_key;
};

const Fixed& Get() {
  static const Fixed* f = [] {
    const FuzzPki& pki = FuzzPki::Get();
    auto* f = new Fixed();
    exchange::PkInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.v_flag = true;
    o.credential = pki.InitiatorCredential();
    o.send_certificate = false;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    o.responder_certificate = pki.responder.cert;
    exchange::FixedClock clock(FuzzNow());
    DeterministicRandom rng(kRngSeed);
    absl::StatusOr<exchange::PkInitiation> init =
        exchange::InitiatePk(o, clock, rng);
    FUZZ_CHECK(init.ok(), init.status().ToString());
    f->i_message = init->i_message;
    f->envelope_key = init->envelope_key;
    return f;
  }();
  return *f;
}

Bytes Sha1(absl::Span<const uint8_t> data) {
  Bytes out(20);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha1(), nullptr);
  return out;
}

void CheckReplyParses(const Bytes& reply) {
  if (reply.empty()) return;
  absl::StatusOr<Message> m = ParseMessage(reply);
  FUZZ_CHECK(m.ok(),
             absl::StrCat("the reply does not parse: ", m.status().ToString()));
}

// The fix-up of an I_MESSAGE (see above); sets *envelope_key.
std::optional<Bytes> FixIMessage(Message m, bool sign_only,
                                 SecretBytes* envelope_key) {
  const FuzzPki& pki = FuzzPki::Get();
  ReplaceCerts(&m, {pki.initiator.cert});
  if (sign_only) {
    absl::StatusOr<Bytes> w =
        SerializeFixed(std::move(m), nullptr, &pki.initiator.key);
    return w.ok() ? std::optional<Bytes>(*w) : std::nullopt;
  }
  for (Payload& p : m.payloads) {
    if (auto* c = std::get_if<ChashPayload>(&p)) {
      if (c->hash_func == hash_func::kSha1)
        c->hash = Sha1(pki.responder.cert.der());
    }
  }
  // PKE: its data is the envelope key (at most what RSA-1024 PKCS#1 v1.5
  // can carry).
  const std::optional<size_t> pke = IndexOf<PkePayload>(m);
  if (!pke) return std::nullopt;
  Bytes env = std::get<PkePayload>(m.payloads[*pke]).data;
  if (env.size() > 117) env.resize(117);
  absl::StatusOr<RsaPublicKey> pub = pki.responder.key.PublicKey();
  FUZZ_CHECK(pub.ok(), "responder public key");
  absl::StatusOr<std::vector<uint8_t>> sealed =
      pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, env);
  if (!sealed.ok()) return std::nullopt;
  std::get<PkePayload>(m.payloads[*pke]).data = *std::move(sealed);
  *envelope_key = SecretBytes(env);

  // KEMAC: encrypt its clear data and MAC the payload, keys from env_key.
  const std::optional<size_t> k = IndexOf<KemacPayload>(m);
  const std::optional<HashAlg> prf = PrfHash(m.header.prf_func);
  std::optional<MacFix> fix;
  if (k && prf) {
    absl::Span<const uint8_t> rand;
    if (const RandPayload* r = m.Find<RandPayload>()) rand = r->rand;
    const TimestampPayload* t = m.Find<TimestampPayload>();
    const uint64_t t_value = t != nullptr ? t->value : 0;
    KemacPayload& kemac = std::get<KemacPayload>(m.payloads[*k]);
    absl::StatusOr<Bytes> c =
        EncryptKemacData(*prf, env, m.header.csb_id, rand, t_value,
                         kemac.encr_alg, kemac.encr_data);
    if (c.ok()) kemac.encr_data = *std::move(c);
    absl::StatusOr<SecretBytes> key =
        AuthKeyFor(*prf, env, m.header.csb_id, rand, kemac.mac_alg);
    if (key.ok()) {
      kemac.mac.assign(MacLengthOf(kemac.mac_alg), 0);
      fix.emplace();
      fix->index = *k;
      fix->mac_alg = kemac.mac_alg;
      fix->key = *std::move(key);
      fix->payload_only = true;
    }
  }
  absl::StatusOr<Bytes> wire =
      SerializeFixed(std::move(m), fix ? &*fix : nullptr, &pki.initiator.key);
  return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
}

void Respond(const Split& in) {
  const FuzzPki& pki = FuzzPki::Get();
  absl::StatusOr<Message> m = ParseMessage(in.data);
  std::optional<Bytes> fixed;
  SecretBytes envelope_key;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    if (!m.ok()) return;
    fixed = FixIMessage(*m, (in.flags & 0x40) != 0, &envelope_key);
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());

  replay::InMemoryReplayCache cache(8);
  exchange::PkResponderOptions o;
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
  o.credentials = {pki.ResponderCredential()};
  o.id_r = UriId(kResponderUri);

  exchange::PkResponse r = exchange::RespondPk(wire, o, clock);
  Report("RespondPk", r.status);
  CheckReplyParses(r.reply);
  if (!r.status.ok()) {
    FUZZ_CHECK(!r.keys.has_value(), "keys with a failed status");
    return;
  }
  FUZZ_CHECK(r.keys.has_value(), "OK without keys");
  CheckKeyResult(*r.keys);
  if (fixed && !(in.flags & 0x40) && ParseMessage(wire)->header.v_flag) {
    FUZZ_CHECK(!r.reply.empty(), "V flag set but no verification message");
    absl::Status v =
        exchange::VerifyPkResponse(r.reply, wire, envelope_key.span(), clock);
    FUZZ_CHECK(v.ok(), absl::StrCat("our own verification message does not "
                                    "verify: ",
                                    v.ToString()));
  }
}

// The fix-up of a response: writes the V MAC keyed from the envelope key.
std::optional<Bytes> FixResponse(Message r) {
  const Fixed& f = Get();
  absl::StatusOr<Message> im = ParseMessage(f.i_message);
  FUZZ_CHECK(im.ok(), "our I_MESSAGE");
  const std::optional<size_t> v = IndexOf<VerificationPayload>(r);
  std::optional<MacFix> fix;
  if (v) {
    VerificationPayload& vp = std::get<VerificationPayload>(r.payloads[*v]);
    absl::StatusOr<SecretBytes> key = AuthKeyFor(
        *PrfHash(im->header.prf_func), f.envelope_key.span(), im->header.csb_id,
        im->Find<RandPayload>()->rand, vp.auth_alg);
    if (key.ok()) {
      std::vector<const IdPayload*> ids = im->FindAll<IdPayload>();
      const IdPayload* id_r = ids.size() > 1 ? ids[1] : nullptr;
      if (r.header.data_type != data_type::kError) {
        if (const IdPayload* own = r.Find<IdPayload>()) id_r = own;
      }
      vp.mac.assign(MacLengthOf(vp.auth_alg), 0);
      fix.emplace();
      fix->index = *v;
      fix->mac_alg = vp.auth_alg;
      fix->key = *std::move(key);
      fix->suffix = {!ids.empty() ? ids[0]->data : Bytes(),
                     id_r != nullptr ? id_r->data : Bytes(),
                     TimestampWire(*im->Find<TimestampPayload>())};
    }
  }
  absl::StatusOr<Bytes> wire =
      SerializeFixed(std::move(r), fix ? &*fix : nullptr, nullptr);
  return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
}

void Verify(const Split& in) {
  const Fixed& f = Get();
  absl::StatusOr<Message> m = ParseMessage(in.data);
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    if (!m.ok()) return;
    fixed = FixResponse(*m);
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());
  Report("VerifyPkResponse",
         exchange::VerifyPkResponse(wire, f.i_message, f.envelope_key.span(),
                                    clock));
}

}  // namespace
}  // namespace fuzz
}  // namespace mikey

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mikey::fuzz::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mikey::fuzz::Split in = mikey::fuzz::SplitInput(data, size);
  if (in.flags & 0x08) {
    mikey::fuzz::Verify(in);
  } else {
    mikey::fuzz::Respond(in);
  }
  return 0;
}
