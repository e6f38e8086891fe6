// Fuzzes the PSK exchange (core/exchange/psk.h) on both sides: RespondPsk on
// an I_MESSAGE, VerifyPskResponse on a response to a fixed I_MESSAGE.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: the rest is a message with its secrets in clear (KEMAC
//         Encr data = the key data chain); the harness encrypts it and writes
//         the KEMAC MAC (or, for a response, the V MAC) with the fixed PSK,
//         so that decryption, key data, policies and derivation are reached;
//         without it the bytes go in as they are;
//   0x02  the clock stands at the message's timestamp (else at FuzzNow());
//   0x04  a replay cache (else skip_replay_check);
//   0x08  allow_mikey_null;
//   0x10  a counter store (COUNTER timestamps);
//   0x20  null_skip_timestamp_check;
//   0x40  response mode: VerifyPskResponse against the fixed I_MESSAGE;
//   0x80  only AES_CM_128_HMAC_SHA1_80 allowed.
//
// Properties: no crash; a reply, when there is one, parses; accepted keys
// have the suite's lengths; a fixed-up I_MESSAGE that is accepted with the V
// flag gets an R_MESSAGE that VerifyPskResponse accepts; a MIKEY-NULL message
// RespondPsk accepts, AcceptNull accepts with the same keys.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/psk.h"
#include "core/message/message.h"
#include "core/replay/counter_store.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

struct Fixed {
  SecretBytes psk = FuzzPsk();
  Bytes i_message;  // what the response mode answers
};

const Fixed& Get() {
  static const Fixed* f = [] {
    auto* f = new Fixed();
    exchange::PskInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.v_flag = true;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    exchange::FixedClock clock(FuzzNow());
    DeterministicRandom rng(kRngSeed);
    absl::StatusOr<exchange::PskInitiation> init =
        exchange::InitiatePsk(o, f->psk.span(), clock, rng);
    FUZZ_CHECK(init.ok(), init.status().ToString());
    f->i_message = init->i_message;
    return f;
  }();
  return *f;
}

void CheckReplyParses(const Bytes& reply) {
  if (reply.empty()) return;
  absl::StatusOr<Message> m = ParseMessage(reply);
  FUZZ_CHECK(m.ok(),
             absl::StrCat("the reply does not parse: ", m.status().ToString()));
}

// The fix-up of an I_MESSAGE: encrypts the KEMAC's clear Encr data and
// writes its MAC. nullopt when the message does not parse or serialize.
std::optional<Bytes> FixIMessage(absl::Span<const uint8_t> data,
                                 absl::Span<const uint8_t> psk) {
  absl::StatusOr<Message> m = ParseMessage(data);
  if (!m.ok()) return std::nullopt;
  const std::optional<size_t> k = IndexOf<KemacPayload>(*m);
  if (!k) return std::nullopt;
  const std::optional<HashAlg> prf = PrfHash(m->header.prf_func);
  if (!prf) return SerializeMessage(*m).value_or(Bytes());
  absl::Span<const uint8_t> rand;
  if (auto r = IndexOf<RandPayload>(*m)) {
    rand = std::get<RandPayload>(m->payloads[*r]).rand;
  }
  uint64_t t_value = 0;
  if (auto t = IndexOf<TimestampPayload>(*m)) {
    t_value = std::get<TimestampPayload>(m->payloads[*t]).value;
  }
  const uint32_t csb = m->header.csb_id;
  KemacPayload& kemac = std::get<KemacPayload>(m->payloads[*k]);
  if (kemac.encr_alg == encr_alg::kAesCm128 ||
      kemac.encr_alg == encr_alg::kAesKw128) {
    absl::StatusOr<Bytes> c = EncryptKemacData(*prf, psk, csb, rand, t_value,
                                               kemac.encr_alg, kemac.encr_data);
    if (!c.ok()) return std::nullopt;
    kemac.encr_data = *std::move(c);
  }
  if (MacLengthOf(kemac.mac_alg) == 0) {
    absl::StatusOr<Bytes> wire = SerializeFixed(*m, nullptr, nullptr);
    return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
  }
  absl::StatusOr<SecretBytes> key =
      AuthKeyFor(*prf, psk, csb, rand, kemac.mac_alg);
  if (!key.ok()) return std::nullopt;
  kemac.mac.assign(MacLengthOf(kemac.mac_alg), 0);
  MacFix fix;
  fix.index = *k;
  fix.mac_alg = kemac.mac_alg;
  fix.key = *std::move(key);
  absl::StatusOr<Bytes> wire = SerializeFixed(*std::move(m), &fix, nullptr);
  return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
}

void Respond(const Split& in) {
  const Fixed& f = Get();
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    fixed = FixIMessage(in.data, f.psk.span());
    if (!fixed) return;
    wire = *fixed;
  }
  absl::StatusOr<Message> parsed = ParseMessage(wire);
  exchange::FixedClock clock(FuzzNow());
  if ((in.flags & 0x02) && parsed.ok()) {
    clock = ClockAtTimestamp(*parsed, FuzzNow());
  }

  replay::InMemoryReplayCache cache(8);
  replay::InMemoryCounterStore counters(8);
  exchange::PskResponderOptions o;
  if (in.flags & 0x04) {
    o.replay_cache = &cache;
  } else {
    o.skip_replay_check = true;
  }
  o.allow_mikey_null = (in.flags & 0x08) != 0;
  if (in.flags & 0x10) o.counter_store = &counters;
  o.null_skip_timestamp_check = (in.flags & 0x20) != 0;
  if (in.flags & 0x80) {
    o.allowed_suites = {*srtp::FindSuite("AES_CM_128_HMAC_SHA1_80")};
  }
  o.id_r = UriId(kResponderUri);

  exchange::PskResponse r = exchange::RespondPsk(wire, f.psk.span(), o, clock);
  Report("RespondPsk", r.status);
  CheckReplyParses(r.reply);
  if (!r.status.ok()) {
    FUZZ_CHECK(!r.keys.has_value(), "keys with a failed status");
    FUZZ_CHECK(r.reply.empty() || r.error_no.has_value(),
               "a reply to a refused message that is not an Error message");
    return;
  }
  FUZZ_CHECK(r.keys.has_value(), "OK without keys");
  CheckKeyResult(*r.keys);
  if (r.mikey_null) {
    exchange::NullResponderOptions no;
    no.check_timestamp = !o.null_skip_timestamp_check;
    no.max_clock_skew = o.max_clock_skew;
    no.allowed_suites = o.allowed_suites;
    absl::StatusOr<exchange::KeyResult> k =
        exchange::AcceptNull(wire, no, clock);
    FUZZ_CHECK(k.ok(), absl::StrCat("RespondPsk took a MIKEY-NULL message "
                                    "that AcceptNull refuses: ",
                                    k.status().ToString()));
    FUZZ_CHECK(SameKeys(*k, *r.keys), "AcceptNull derived other keys");
    return;
  }
  if (parsed.ok() && parsed->header.v_flag) {
    FUZZ_CHECK(!r.reply.empty(), "V flag set but no R_MESSAGE");
    absl::Status v =
        exchange::VerifyPskResponse(r.reply, wire, f.psk.span(), clock);
    FUZZ_CHECK(v.ok(), absl::StrCat("our own R_MESSAGE does not verify: ",
                                    v.ToString()));
  }
}

// The fix-up of a response: writes the V MAC the Responder would write.
std::optional<Bytes> FixResponse(absl::Span<const uint8_t> data,
                                 absl::Span<const uint8_t> i_message,
                                 absl::Span<const uint8_t> psk) {
  absl::StatusOr<Message> r = ParseMessage(data);
  absl::StatusOr<Message> im = ParseMessage(i_message);
  if (!r.ok() || !im.ok()) return std::nullopt;
  const std::optional<size_t> v = IndexOf<VerificationPayload>(*r);
  if (!v) return SerializeMessage(*r).value_or(Bytes());
  VerificationPayload& vp = std::get<VerificationPayload>(r->payloads[*v]);
  const size_t mac_len = MacLengthOf(vp.auth_alg);
  if (mac_len == 0) return SerializeMessage(*r).value_or(Bytes());
  const IdPayload* id_i = im->Find<IdPayload>();
  std::vector<const IdPayload*> ids = im->FindAll<IdPayload>();
  const IdPayload* id_r = ids.size() > 1 ? ids[1] : nullptr;
  if (r->header.data_type != data_type::kError) {
    if (const IdPayload* own = r->Find<IdPayload>()) id_r = own;
  }
  MacFix fix;
  fix.index = *v;
  fix.mac_alg = vp.auth_alg;
  absl::StatusOr<SecretBytes> key =
      AuthKeyFor(*PrfHash(im->header.prf_func), psk, im->header.csb_id,
                 im->Find<RandPayload>()->rand, vp.auth_alg);
  if (!key.ok()) return std::nullopt;
  fix.key = *std::move(key);
  fix.suffix = {id_i != nullptr ? id_i->data : Bytes(),
                id_r != nullptr ? id_r->data : Bytes(),
                TimestampWire(*im->Find<TimestampPayload>())};
  vp.mac.assign(mac_len, 0);
  absl::StatusOr<Bytes> wire = SerializeFixed(*std::move(r), &fix, nullptr);
  return wire.ok() ? std::optional<Bytes>(*wire) : std::nullopt;
}

void Verify(const Split& in) {
  const Fixed& f = Get();
  std::optional<Bytes> fixed;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    fixed = FixResponse(in.data, f.i_message, f.psk.span());
    if (!fixed) return;
    wire = *fixed;
  }
  exchange::FixedClock clock(FuzzNow());
  if (in.flags & 0x02) {
    if (absl::StatusOr<Message> m = ParseMessage(wire); m.ok()) {
      clock = ClockAtTimestamp(*m, FuzzNow());
    }
  }
  Report("VerifyPskResponse",
         exchange::VerifyPskResponse(wire, f.i_message, f.psk.span(), clock));
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
    mikey::fuzz::Verify(in);
  } else {
    mikey::fuzz::Respond(in);
  }
  return 0;
}
