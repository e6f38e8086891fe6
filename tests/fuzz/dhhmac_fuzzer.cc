// Fuzzes DHHMAC (core/exchange/dhhmac.h, RFC 4650) on both sides:
// RespondDhhmac on an I_MESSAGE, CompleteDhhmac on an R_MESSAGE answering
// one of the harness's own I_MESSAGEs, and ParseDhInitiatorState.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: the harness writes the KEMAC MAC with the fixed PSK (the
//         fuzzer cannot forge it), so the checks behind it are reached;
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  the DH payload is replaced by the harness's own public value of
//         the same group: RespondDhhmac's DHi (and then, if accepted, the
//         harness completes the exchange and both sides' keys must agree),
//         or the R_MESSAGE's DHi (second DH payload);
//   0x08  complete mode: CompleteDhhmac on the input, with the harness's
//         initiation of the group of the input's first DH payload;
//   0x10  a replay cache (else skip_replay_check);
//   0x20  OAKLEY 1 and X25519 (255) allowed too;
//   0x40  state mode: ParseDhInitiatorState on the input (a parsed state
//         serializes back to the same octets).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/dhhmac.h"
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
  SecretBytes psk = FuzzPsk();
  std::map<uint8_t, Initiation> by_group;
};

const Fixed& Get() {
  static const Fixed* f = [] {
    auto* f = new Fixed();
    for (uint8_t g : kGroups) {
      exchange::DhhmacInitiatorOptions o;
      o.streams = FuzzStreams();
      o.csb_id = kCsbId;
      o.dh_group = g;
      o.id_i = UriId(kInitiatorUri);
      o.id_r = UriId(kResponderUri);
      exchange::FixedClock clock(FuzzNow());
      DeterministicRandom rng(kRngSeed + g);
      absl::StatusOr<exchange::DhhmacInitiation> init =
          exchange::InitiateDhhmac(o, f->psk.span(), clock, rng);
      FUZZ_CHECK(init.ok(), init.status().ToString());
      absl::StatusOr<Message> m = ParseMessage(init->i_message);
      FUZZ_CHECK(m.ok() && m->Find<DhPayload>() != nullptr, "DHHMAC init");
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

// Serializes `m` with its KEMAC MAC written under the PSK (auth key from
// `csb_id` and `rand`). nullopt when that is not possible.
std::optional<Bytes> WithMac(Message m, uint32_t csb_id,
                             absl::Span<const uint8_t> rand, uint8_t prf_func) {
  const std::optional<size_t> k = IndexOf<KemacPayload>(m);
  const std::optional<HashAlg> prf = PrfHash(prf_func);
  if (!k || !prf) {
    absl::StatusOr<Bytes> w = SerializeMessage(m);
    return w.ok() ? std::optional<Bytes>(*w) : std::nullopt;
  }
  KemacPayload& kemac = std::get<KemacPayload>(m.payloads[*k]);
  const size_t mac_len = MacLengthOf(kemac.mac_alg);
  absl::StatusOr<SecretBytes> key =
      AuthKeyFor(*prf, Get().psk.span(), csb_id, rand, kemac.mac_alg);
  if (mac_len == 0 || !key.ok()) {
    absl::StatusOr<Bytes> w = SerializeMessage(m);
    return w.ok() ? std::optional<Bytes>(*w) : std::nullopt;
  }
  kemac.mac.assign(mac_len, 0);
  MacFix fix;
  fix.index = *k;
  fix.mac_alg = kemac.mac_alg;
  fix.key = *std::move(key);
  absl::StatusOr<Bytes> w = SerializeFixed(std::move(m), &fix, nullptr);
  return w.ok() ? std::optional<Bytes>(*w) : std::nullopt;
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
      const RandPayload* rand = copy.Find<RandPayload>();
      fixed = WithMac(copy, copy.header.csb_id,
                      rand != nullptr ? absl::MakeConstSpan(rand->rand)
                                      : absl::Span<const uint8_t>(),
                      copy.header.prf_func);
    } else {
      absl::StatusOr<Bytes> w = SerializeMessage(copy);
      if (w.ok()) fixed = *w;
    }
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && m.ok()) clock = ClockAtTimestamp(*m, FuzzNow());

  replay::InMemoryReplayCache cache(8);
  exchange::DhhmacResponderOptions o;
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
  exchange::DhResponse r =
      exchange::RespondDhhmac(wire, f.psk.span(), o, clock, rng);
  Report("RespondDhhmac", r.status);
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
      exchange::CompleteDhhmac(r.reply, state, f.psk.span(), clock);
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
      absl::StatusOr<Message> im = ParseMessage(init->state.i_message);
      FUZZ_CHECK(im.ok(), "our I_MESSAGE");
      fixed = WithMac(copy, im->header.csb_id, im->Find<RandPayload>()->rand,
                      im->header.prf_func);
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
      exchange::CompleteDhhmac(wire, init->state, f.psk.span(), clock);
  Report("CompleteDhhmac", k.status());
  if (k.ok()) CheckKeyResult(*k);
}

void State(const Split& in) {
  absl::StatusOr<exchange::DhInitiatorState> s =
      exchange::ParseDhInitiatorState(in.data);
  Report("ParseDhInitiatorState", s.status());
  if (!s.ok()) return;
  absl::StatusOr<SecretBytes> again = exchange::SerializeDhInitiatorState(*s);
  FUZZ_CHECK(again.ok(), absl::StrCat("a parsed state does not serialize: ",
                                      again.status().ToString()));
  FUZZ_CHECK(again->span() == in.data,
             "a parsed state serializes to other octets");
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
  if (in.flags & 0x40) {
    mikey::fuzz::State(in);
  } else if (in.flags & 0x08) {
    mikey::fuzz::Complete(in);
  } else {
    mikey::fuzz::Respond(in);
  }
  return 0;
}
