// Fuzzes DH mode with signatures (core/exchange/dh.h, RFC 3830 §3.3) on both
// sides: RespondDh on an I_MESSAGE, CompleteDh on an R_MESSAGE answering one
// of the harness's own I_MESSAGEs. Keys and certificates (FuzzPki) are made
// once per process.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: the harness puts its own certificate into every CERT
//         payload and signs the message (SIGN S type 0 or 1, SHA-256) with
//         the sender's key (the fuzzer cannot forge a signature), so the
//         checks behind SIGN are reached;
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  the DH payload is replaced by the harness's own public value of
//         the same group: RespondDh's DHi (and then, if accepted, the
//         harness completes the exchange and both sides' keys must agree),
//         or the R_MESSAGE's DHi (second DH payload);
//   0x08  complete mode: CompleteDh on the input, with the harness's
//         initiation of the group of the input's first DH payload;
//   0x10  a replay cache (else skip_replay_check);
//   0x20  OAKLEY 1 and X25519 (255) allowed too;
//   0x40  identity binding off (require_identity_binding = false);
//   0x80  RSA-PSS and SHA-1 accepted too (signature_hashes).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/dh.h"
#include "core/exchange/dh_common.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

constexpr uint8_t kGroups[] = {dh_group::kOakley5, dh_group::kOakley2,
                               dh_group::kOakley1, dh_group::kX25519Private};

struct Initiation {
  exchange::DhInitiatorState state;
  Bytes public_value;  // DHi's value
};

struct Fixed {
  std::map<uint8_t, Initiation> by_group;
};

const Fixed& Get() {
  static const Fixed* f = [] {
    auto* f = new Fixed();
    for (uint8_t g : kGroups) {
      exchange::DhInitiatorOptions o;
      o.streams = FuzzStreams();
      o.csb_id = kCsbId;
      o.dh_group = g;
      o.id_i = UriId(kInitiatorUri);
      o.id_r = UriId(kResponderUri);
      o.credential = FuzzPki::Get().InitiatorCredential();
      o.send_certificate = false;
      exchange::FixedClock clock(FuzzNow());
      DeterministicRandom rng(kRngSeed + g);
      absl::StatusOr<exchange::DhInitiation> init =
          exchange::InitiateDh(o, clock, rng);
      FUZZ_CHECK(init.ok(), init.status().ToString());
      absl::StatusOr<Message> m = ParseMessage(init->i_message);
      FUZZ_CHECK(m.ok() && m->Find<DhPayload>() != nullptr, "DH init");
      f->by_group[g] = Initiation{init->state, m->Find<DhPayload>()->value};
    }
    return f;
  }();
  return *f;
}

// Writes the public value of the harness's initiation of the same group into
// the `nth` DH payload of `m` (0: the first).
void ReplaceDh(Message* m, size_t nth) {
  size_t k = 0;
  for (Payload& p : m->payloads) {
    if (auto* dh = std::get_if<DhPayload>(&p)) {
      if (k++ != nth) continue;
      auto it = Get().by_group.find(dh->group);
      if (it != Get().by_group.end()) dh->value = it->second.public_value;
      return;
    }
  }
}

// Serializes `m` with the CERT payloads holding `chain` and a signature by
// `key`. nullopt when `m` does not serialize.
std::optional<Bytes> Signed(Message m, absl::Span<const pki::Certificate> chain,
                            const RsaPrivateKey& key) {
  ReplaceCerts(&m, chain);
  absl::StatusOr<Bytes> w = SerializeFixed(std::move(m), nullptr, &key);
  return w.ok() ? std::optional<Bytes>(*w) : std::nullopt;
}

exchange::DhCompleteOptions CompleteOptions(uint8_t flags) {
  const FuzzPki& pki = FuzzPki::Get();
  exchange::DhCompleteOptions o;
  o.verifier = pki.verifier.get();
  o.responder_chain = {pki.responder.cert};
  o.min_rsa_bits = kFuzzRsaBits;
  o.require_identity_binding = (flags & 0x40) == 0;
  if (flags & 0x80) o.signature_hashes = {HashAlg::kSha256, HashAlg::kSha1};
  return o;
}

void CheckReplyParses(const Bytes& reply) {
  if (reply.empty()) return;
  absl::StatusOr<Message> m = ParseMessage(reply);
  FUZZ_CHECK(m.ok(),
             absl::StrCat("the reply does not parse: ", m.status().ToString()));
}

void Respond(const Split& in) {
  const Fixed& f = Get();
  absl::StatusOr<Message> m = ParseMessage(in.data);
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (m.ok() && (in.flags & 0x05)) {
    Message copy = *m;
    if (in.flags & 0x04) ReplaceDh(&copy, 0);
    if (in.flags & 0x01) {
      const FuzzPki& pki = FuzzPki::Get();
      fixed = Signed(std::move(copy), {pki.initiator.cert}, pki.initiator.key);
    } else {
      absl::StatusOr<Bytes> w = SerializeMessage(copy);
      if (w.ok()) fixed = *w;
    }
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());

  const FuzzPki& pki = FuzzPki::Get();
  replay::InMemoryReplayCache cache(8);
  exchange::DhResponderOptions o;
  o.verifier = pki.verifier.get();
  o.initiator_chain = {pki.initiator.cert};
  o.min_rsa_bits = kFuzzRsaBits;
  o.require_identity_binding = (in.flags & 0x40) == 0;
  if (in.flags & 0x80) o.signature_hashes = {HashAlg::kSha256, HashAlg::kSha1};
  o.credential = pki.ResponderCredential();
  if (in.flags & 0x10) {
    o.replay_cache = &cache;
  } else {
    o.skip_replay_check = true;
  }
  o.id_r = UriId(kResponderUri);
  if (in.flags & 0x20) {
    o.allowed_dh_groups.push_back(dh_group::kOakley1);
    o.allowed_dh_groups.push_back(dh_group::kX25519Private);
  }
  DeterministicRandom rng(kRngSeed);
  exchange::DhModeResponse r = exchange::RespondDh(wire, o, clock, rng);
  Report("RespondDh", r.status);
  CheckReplyParses(r.reply);
  if (!r.status.ok()) {
    FUZZ_CHECK(!r.keys.has_value(), "keys with a failed status");
    return;
  }
  FUZZ_CHECK(r.keys.has_value() && !r.reply.empty(), "OK without keys/reply");
  CheckKeyResult(*r.keys);
  // With our own DHi, we hold the private value: complete the exchange.
  if (!(in.flags & 0x04)) return;
  const absl::StatusOr<Message> sent = ParseMessage(wire);
  FUZZ_CHECK(sent.ok() && sent->Find<DhPayload>() != nullptr,
             "an accepted I_MESSAGE without a DH payload");
  auto it = f.by_group.find(sent->Find<DhPayload>()->group);
  if (it == f.by_group.end()) return;
  exchange::DhInitiatorState state = it->second.state;
  state.i_message.assign(wire.begin(), wire.end());
  absl::StatusOr<exchange::KeyResult> k =
      exchange::CompleteDh(r.reply, state, CompleteOptions(in.flags), clock);
  FUZZ_CHECK(k.ok(), absl::StrCat("our own R_MESSAGE does not complete: ",
                                  k.status().ToString()));
  FUZZ_CHECK(SameKeys(*k, *r.keys), "Initiator and Responder keys differ");
}

void Complete(const Split& in) {
  const Fixed& f = Get();
  absl::StatusOr<Message> m = ParseMessage(in.data);
  const Initiation* init = &f.by_group.begin()->second;
  if (m.ok()) {
    if (const DhPayload* dh = m->Find<DhPayload>()) {
      auto it = f.by_group.find(dh->group);
      if (it != f.by_group.end()) init = &it->second;
    }
  }
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (m.ok() && (in.flags & 0x05)) {
    Message copy = *m;
    if (in.flags & 0x04) ReplaceDh(&copy, 1);
    if (in.flags & 0x01) {
      const FuzzPki& pki = FuzzPki::Get();
      fixed = Signed(std::move(copy), {pki.responder.cert}, pki.responder.key);
    } else {
      absl::StatusOr<Bytes> w = SerializeMessage(copy);
      if (w.ok()) fixed = *w;
    }
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());
  absl::StatusOr<exchange::KeyResult> k =
      exchange::CompleteDh(wire, init->state, CompleteOptions(in.flags), clock);
  Report("CompleteDh", k.status());
  if (k.ok()) CheckKeyResult(*k);
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
    mikey::fuzz::Complete(in);
  } else {
    mikey::fuzz::Respond(in);
  }
  return 0;
}
