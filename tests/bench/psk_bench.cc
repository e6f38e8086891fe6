// Benchmarks of the MIKEY PSK exchange (RFC 3830 §3.1) against the floor set
// by the cryptography it consists of, and of our message codec against
// GStreamer's, all in one process so the ratios printed at the end compare
// runs made under the same conditions.
//
// Exchange: AES_CM_128_HMAC_SHA1_80 streams, MIKEY-1 (HMAC-SHA-1 PRF),
// AES-CM-128 KEMAC, HMAC-SHA-1-160 MAC, 20-octet PSK, 16-octet TGK and RAND,
// random CSB ID, no V flag; 1 and 4 streams.
//
//   BM_InitiatePsk      InitiatePsk with OpenSslRandom and a FixedClock.
//   BM_RespondPsk       RespondPsk with an InMemoryReplayCache. RespondPsk
//                       refuses replays, so every iteration takes the next
//                       message of a pool of kPoolSize distinct I_MESSAGEs
//                       (built once, before timing); when the pool wraps, the
//                       timer is paused and the cache replaced by an empty
//                       one. The cache thus holds 0..kPoolSize entries (mean
//                       kPoolSize / 2) while timed: the steady state of a
//                       responder accepting kPoolSize messages per replay
//                       window.
//   BM_RespondPsk_NoReplayCheck   the same with skip_replay_check (the cost of
//                       the replay cache is the difference).
//   BM_PrimitiveFloor_Initiate / _Respond   the OpenSSL operations one exchange
//                       consists of, called directly with every context
//                       allocated and every algorithm fetched once outside
//                       the loop (the cheapest way to do the same work):
//       PRF calls (RFC 3830 §4.1.2): each output here is <= 20 octets and each
//         inkey <= 32 octets, so each PRF call is one HMAC-SHA-1 key setup
//         and 2 HMAC-SHA-1 computations over 25- and 45-octet inputs
//         (A_1 = HMAC(s, label), out = HMAC(s, A_1 || label)). Calls: 3 for
//         the message keys (§4.1.4: KEMAC encryption key 16 octets,
//         authentication key 20, salt 14; inkey = PSK) + 2 per stream
//         (§4.1.3: TEK 16, salt 14; inkey = TGK);
//       1 AES-128-CTR key setup + encryption (initiator) or decryption
//         (responder) of the 20-octet key data (4-octet sub-payload header +
//         TGK), IV per §4.2.3;
//       1 HMAC-SHA-1 over the message up to the MAC (initiator: computed;
//         responder: computed and compared with CRYPTO_memcmp);
//       initiator only: RAND_bytes for the CSB ID (4 octets), RAND (16) and
//         TGK (16).
//     Before timing, both floors are checked against the real exchange: the
//     responder floor must derive from a real I_MESSAGE the keys RespondPsk
//     derives, and a message the initiator floor writes must be accepted by
//     RespondPsk with the keys the floor derived. So the floor provably does
//     the same cryptography, no more and no less.
//   BM_Op_*             the single operations above, for reading the floor.
//   BM_ParseSerialize_Ours / _Gstreamer   ParseMessage + SerializeMessage,
//                       and gst_mikey_message_new_from_bytes +
//                       gst_mikey_message_to_bytes (GStreamer 1.22 libgstsdp,
//                       no gst_init needed: GstMIKEYMessage is a mini object
//                       whose GType GLib registers on first use), on the same
//                       MIKEY-NULL I_MESSAGE (InitiateNull, one stream: HDR,
//                       T, RAND, SP, KEMAC(NULL) with a 30-octet TEK and an
//                       MKI; GStreamer parses it, and writes it back octet for
//                       octet: checked before timing, in a child process).
//                       Our ParseMessage keeps the KEMAC's key data as bytes
//                       while GStreamer parses the sub-payloads, so
//                       BM_ParseSerialize_OursWithKeyData also parses and
//                       re-serializes the key data list: the like-for-like
//                       figure.
//
// After the benchmarks, main() prints the ratio lines from the real times
// measured in this run; a benchmark that reports an error makes the exit
// status 1.
//
//   bazel run -c opt //tests/bench:psk_bench

// The floor's HMAC is RFC 2104 over OpenSSL's low-level SHA1_* functions
// (deprecated in OpenSSL 3, still its cheapest SHA-1): HMAC_CTX costs more
// than the hashing itself on OpenSSL 3, and core/crypto no longer uses it.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <benchmark/benchmark.h>
#include <glib.h>
#include <gst/sdp/gstmikey.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"
#include "tests/interop/interop_util.h"

namespace mikey {
namespace bench {
namespace {

using exchange::FixedClock;
using exchange::KeyResult;

constexpr size_t kPoolSize = 1024;
const absl::Time kNow = absl::FromUnixSeconds(1763800000);  // 2025-11-22

const std::vector<uint8_t>& Psk() {
  static const std::vector<uint8_t> psk = [] {
    std::vector<uint8_t> p(20);
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 29);
    return p;
  }();
  return psk;
}

exchange::PskInitiatorOptions InitOptions(int streams) {
  absl::StatusOr<const srtp::CryptoSuite*> suite =
      srtp::FindSuite("AES_CM_128_HMAC_SHA1_80");
  exchange::PskInitiatorOptions o;
  for (int i = 0; i < streams; ++i) {
    srtp::SrtpPolicy p;
    p.suite = suite.ok() ? *suite : nullptr;
    o.streams.push_back({0x10000000u + static_cast<uint32_t>(i), 0, p});
  }
  return o;
}

// kPoolSize distinct I_MESSAGEs per stream count, built once.
const std::vector<Bytes>& Pool(int streams) {
  static std::map<int, std::vector<Bytes>> pools;
  std::vector<Bytes>& pool = pools[streams];
  if (pool.empty()) {
    OpenSslRandom rng;
    const FixedClock clock(kNow);
    const exchange::PskInitiatorOptions o = InitOptions(streams);
    for (size_t i = 0; i < kPoolSize; ++i) {
      absl::StatusOr<exchange::PskInitiation> init =
          exchange::InitiatePsk(o, Psk(), clock, rng);
      if (!init.ok()) {
        std::fprintf(stderr, "InitiatePsk: %s\n",
                     init.status().ToString().c_str());
        std::abort();
      }
      pool.push_back(std::move(init->i_message));
    }
  }
  return pool;
}

// ---------------------------------------------------------------------------
// The exchange.

void BM_InitiatePsk(benchmark::State& state) {
  const exchange::PskInitiatorOptions o =
      InitOptions(static_cast<int>(state.range(0)));
  OpenSslRandom rng;
  const FixedClock clock(kNow);
  for (auto _ : state) {
    absl::StatusOr<exchange::PskInitiation> init =
        exchange::InitiatePsk(o, Psk(), clock, rng);
    if (!init.ok()) {
      state.SkipWithError(std::string(init.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(init->i_message.data());
  }
}
BENCHMARK(BM_InitiatePsk)->ArgName("streams")->Arg(1)->Arg(4);

void RespondLoop(benchmark::State& state, bool replay_check) {
  const std::vector<Bytes>& pool = Pool(static_cast<int>(state.range(0)));
  const FixedClock clock(kNow);
  auto cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
  exchange::PskResponderOptions ro;
  ro.replay_cache = replay_check ? cache.get() : nullptr;
  ro.skip_replay_check = !replay_check;
  size_t next = 0;
  for (auto _ : state) {
    if (next == pool.size()) {
      state.PauseTiming();
      cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
      if (replay_check) ro.replay_cache = cache.get();
      next = 0;
      state.ResumeTiming();
    }
    exchange::PskResponse r =
        exchange::RespondPsk(pool[next++], Psk(), ro, clock);
    if (!r.status.ok()) {
      state.SkipWithError(std::string(r.status.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(r.keys->streams.data());
  }
}

void BM_RespondPsk(benchmark::State& state) { RespondLoop(state, true); }
BENCHMARK(BM_RespondPsk)->ArgName("streams")->Arg(1)->Arg(4);

void BM_RespondPsk_NoReplayCheck(benchmark::State& state) {
  RespondLoop(state, false);
}
BENCHMARK(BM_RespondPsk_NoReplayCheck)->ArgName("streams")->Arg(1)->Arg(4);

// ---------------------------------------------------------------------------
// The primitive floor: raw OpenSSL, contexts and algorithms set up once.

class Primitives {
 public:
  Primitives()
      : cipher_ctx_(EVP_CIPHER_CTX_new()),
        aes_ctr_(EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr)) {}
  ~Primitives() {
    EVP_CIPHER_CTX_free(cipher_ctx_);
    EVP_CIPHER_free(aes_ctr_);
  }
  Primitives(const Primitives&) = delete;
  Primitives& operator=(const Primitives&) = delete;

  bool ok() const { return cipher_ctx_ != nullptr && aes_ctr_ != nullptr; }

  // MIKEY-1 PRF (RFC 3830 §4.1.2) for inkey <= 32 and out_len <= 20 octets:
  // one inkey block, one output block; the key is set up once for both
  // HMACs.
  bool Prf(const uint8_t* inkey, size_t inkey_len, const uint8_t* label,
           size_t label_len, uint8_t* out, size_t out_len) {
    uint8_t a[20], block[20];
    if (!KeyHmac(inkey, inkey_len)) return false;
    SHA_CTX ctx = inner_;
    SHA1_Update(&ctx, label, label_len);
    FinishHmac(&ctx, a);
    ctx = inner_;
    SHA1_Update(&ctx, a, sizeof(a));
    SHA1_Update(&ctx, label, label_len);
    FinishHmac(&ctx, block);
    std::memcpy(out, block, out_len);
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(&ctx, sizeof(ctx));
    return true;
  }

  bool Hmac(const uint8_t* key, size_t key_len, const uint8_t* data, size_t len,
            uint8_t out[20]) {
    if (!KeyHmac(key, key_len)) return false;
    SHA_CTX ctx = inner_;
    SHA1_Update(&ctx, data, len);
    FinishHmac(&ctx, out);
    OPENSSL_cleanse(&ctx, sizeof(ctx));
    return true;
  }

  bool AesCtr(const uint8_t key[16], const uint8_t iv[16], const uint8_t* in,
              size_t len, uint8_t* out) {
    int n = 0;
    return EVP_EncryptInit_ex2(cipher_ctx_, aes_ctr_, key, iv, nullptr) == 1 &&
           EVP_EncryptUpdate(cipher_ctx_, out, &n, in, static_cast<int>(len)) ==
               1;
  }

 private:
  // HMAC-SHA-1 key setup (RFC 2104): the hash states after K xor ipad and
  // K xor opad. Keys here are at most 32 octets; one longer than the 64-octet
  // block (which would be hashed first) is refused.
  bool KeyHmac(const uint8_t* key, size_t key_len) {
    uint8_t pad[64] = {};
    if (key_len > sizeof(pad)) return false;
    std::memcpy(pad, key, key_len);
    for (uint8_t& b : pad) b ^= 0x36;
    SHA1_Init(&inner_);
    SHA1_Update(&inner_, pad, sizeof(pad));
    for (uint8_t& b : pad) b ^= 0x36 ^ 0x5c;
    SHA1_Init(&outer_);
    SHA1_Update(&outer_, pad, sizeof(pad));
    OPENSSL_cleanse(pad, sizeof(pad));
    return true;
  }
  // H(K xor opad || H(K xor ipad || data)), `ctx` holding the inner hash.
  void FinishHmac(SHA_CTX* ctx, uint8_t out[20]) {
    uint8_t inner_digest[20];
    SHA1_Final(inner_digest, ctx);
    SHA_CTX o = outer_;
    SHA1_Update(&o, inner_digest, sizeof(inner_digest));
    SHA1_Final(out, &o);
    OPENSSL_cleanse(inner_digest, sizeof(inner_digest));
  }

  EVP_CIPHER_CTX* cipher_ctx_;
  EVP_CIPHER* aes_ctr_;
  SHA_CTX inner_;
  SHA_CTX outer_;
};

// RFC 3830 §4.1.3 / §4.1.4 constants (the digits of e).
constexpr uint32_t kTekConst = 0x2AD01C64, kSaltConst = 0x39A2C14B,
                   kMsgEncrConst = 0x150533E1, kMsgAuthConst = 0x2D22AC75,
                   kMsgSaltConst = 0x29B88916;
constexpr size_t kTgkLen = 16, kRandLen = 16, kKeyDataLen = 4 + kTgkLen;
constexpr size_t kMacLen = 20;
constexpr size_t kStreamKeyLen = 16 + 14;  // master key || master salt

// Where the fields the exchange reads and writes lie in an I_MESSAGE of the
// benchmarked shape (HDR, T, RAND, SP, KEMAC), found once with our parser.
struct Shape {
  size_t t_value = 0;  // 8-octet NTP-UTC value
  size_t rand = 0;     // 16 octets
  size_t encr = 0;     // 20 octets of encrypted key data
  size_t mac = 0;      // 20 octets, the last of the message
  size_t size = 0;
};

absl::StatusOr<Shape> ShapeOf(const Bytes& wire) {
  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(wire, &layout);
  if (!m.ok()) return m.status();
  Shape s;
  s.size = wire.size();
  for (size_t i = 0; i < m->payloads.size(); ++i) {
    const size_t begin = layout.payloads[i].begin;
    if (std::holds_alternative<TimestampPayload>(m->payloads[i])) {
      s.t_value = begin + 2;  // next payload, TS type
    } else if (std::holds_alternative<RandPayload>(m->payloads[i])) {
      s.rand = begin + 2;  // next payload, RAND len
    } else if (const auto* k = std::get_if<KemacPayload>(&m->payloads[i])) {
      if (k->encr_data.size() != kKeyDataLen || k->mac.size() != kMacLen ||
          layout.payloads[i].end != wire.size()) {
        return absl::InternalError("unexpected KEMAC shape");
      }
      s.encr = begin + 4;  // next payload, encr alg, encr data len
      s.mac = wire.size() - kMacLen;
    }
  }
  if (s.t_value == 0 || s.rand == 0 || s.encr == 0) {
    return absl::InternalError("unexpected I_MESSAGE shape");
  }
  return s;
}

// constant || cs_id || CSB ID || RAND.
struct Label {
  uint8_t b[4 + 1 + 4 + kRandLen];
  Label(const uint8_t* csb_id, const uint8_t* rand) {
    std::memcpy(b + 5, csb_id, 4);
    std::memcpy(b + 9, rand, kRandLen);
  }
  const uint8_t* With(uint32_t constant, uint8_t cs_id) {
    b[0] = static_cast<uint8_t>(constant >> 24);
    b[1] = static_cast<uint8_t>(constant >> 16);
    b[2] = static_cast<uint8_t>(constant >> 8);
    b[3] = static_cast<uint8_t>(constant);
    b[4] = cs_id;
    return b;
  }
};

// §4.1.4 message keys and the §4.2.3 IV.
struct MessageKeys {
  uint8_t auth[20], encr[16], iv[16];
};

bool DeriveMessageKeys(Primitives& p, const uint8_t* wire_csb,
                       const uint8_t* rand, const uint8_t* t, MessageKeys* k) {
  const std::vector<uint8_t>& psk = Psk();
  Label label(wire_csb, rand);
  uint8_t salt[14];
  const bool ok = p.Prf(psk.data(), psk.size(), label.With(kMsgAuthConst, 0xff),
                        sizeof(label.b), k->auth, sizeof(k->auth)) &&
                  p.Prf(psk.data(), psk.size(), label.With(kMsgEncrConst, 0xff),
                        sizeof(label.b), k->encr, sizeof(k->encr)) &&
                  p.Prf(psk.data(), psk.size(), label.With(kMsgSaltConst, 0xff),
                        sizeof(label.b), salt, sizeof(salt));
  // IV = (S XOR (0x0000 || CSB ID || T)) || 0x0000.
  std::memcpy(k->iv, salt, 14);
  for (int i = 0; i < 4; ++i) k->iv[2 + i] ^= wire_csb[i];
  for (int i = 0; i < 8; ++i) k->iv[6 + i] ^= t[i];
  k->iv[14] = k->iv[15] = 0;
  return ok;
}

// §4.1.3 per stream: TEK (16) || salt (14) into out[i * 30].
bool DeriveStreamKeys(Primitives& p, const uint8_t* tgk,
                      const uint8_t* wire_csb, const uint8_t* rand, int streams,
                      uint8_t* out) {
  Label label(wire_csb, rand);
  bool ok = true;
  for (int i = 0; i < streams; ++i) {
    const uint8_t cs_id = static_cast<uint8_t>(i + 1);
    uint8_t* o = out + i * kStreamKeyLen;
    ok = ok &&
         p.Prf(tgk, kTgkLen, label.With(kTekConst, cs_id), sizeof(label.b), o,
               16) &&
         p.Prf(tgk, kTgkLen, label.With(kSaltConst, cs_id), sizeof(label.b),
               o + 16, 14);
  }
  return ok;
}

// The responder's cryptography on `wire`: MAC check, decryption, keys.
bool FloorRespond(Primitives& p, const Shape& s, const uint8_t* wire,
                  int streams, uint8_t* out) {
  const uint8_t* csb = wire + 4;
  MessageKeys k;
  uint8_t mac[kMacLen], plain[kKeyDataLen];
  const bool ok =
      DeriveMessageKeys(p, csb, wire + s.rand, wire + s.t_value, &k) &&
      p.Hmac(k.auth, sizeof(k.auth), wire, s.mac, mac) &&
      CRYPTO_memcmp(mac, wire + s.mac, kMacLen) == 0 &&
      p.AesCtr(k.encr, k.iv, wire + s.encr, kKeyDataLen, plain) &&
      DeriveStreamKeys(p, plain + 4, csb, wire + s.rand, streams, out);
  OPENSSL_cleanse(&k, sizeof(k));
  OPENSSL_cleanse(plain, sizeof(plain));
  return ok;
}

// The initiator's cryptography, writing into `wire` (a message of the shape,
// whose T is kept): fresh CSB ID, RAND and TGK; KEMAC; MAC; keys.
bool FloorInitiate(Primitives& p, const Shape& s, uint8_t* wire, int streams,
                   uint8_t* out) {
  uint8_t plain[kKeyDataLen] = {0x00, 0x00, 0x00, kTgkLen};  // TGK, KV NULL
  uint8_t* csb = wire + 4;
  MessageKeys k;
  const bool ok =
      RAND_bytes(csb, 4) == 1 && RAND_bytes(wire + s.rand, kRandLen) == 1 &&
      RAND_bytes(plain + 4, kTgkLen) == 1 &&
      DeriveMessageKeys(p, csb, wire + s.rand, wire + s.t_value, &k) &&
      p.AesCtr(k.encr, k.iv, plain, kKeyDataLen, wire + s.encr) &&
      p.Hmac(k.auth, sizeof(k.auth), wire, s.mac, wire + s.mac) &&
      DeriveStreamKeys(p, plain + 4, csb, wire + s.rand, streams, out);
  OPENSSL_cleanse(&k, sizeof(k));
  OPENSSL_cleanse(plain, sizeof(plain));
  return ok;
}

absl::StatusOr<Shape> PoolShape(int streams) {
  return ShapeOf(Pool(streams).front());
}

void BM_PrimitiveFloor_Initiate(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  absl::StatusOr<Shape> shape = PoolShape(streams);
  Primitives p;
  if (!shape.ok() || !p.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  Bytes wire = Pool(streams).front();
  std::vector<uint8_t> keys(streams * kStreamKeyLen);
  for (auto _ : state) {
    if (!FloorInitiate(p, *shape, wire.data(), streams, keys.data())) {
      state.SkipWithError("OpenSSL failed");
      break;
    }
    benchmark::DoNotOptimize(wire.data());
    benchmark::DoNotOptimize(keys.data());
  }
}
BENCHMARK(BM_PrimitiveFloor_Initiate)->ArgName("streams")->Arg(1)->Arg(4);

void BM_PrimitiveFloor_Respond(benchmark::State& state) {
  const int streams = static_cast<int>(state.range(0));
  const std::vector<Bytes>& pool = Pool(streams);
  absl::StatusOr<Shape> shape = PoolShape(streams);
  Primitives p;
  if (!shape.ok() || !p.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  std::vector<uint8_t> keys(streams * kStreamKeyLen);
  size_t next = 0;
  for (auto _ : state) {
    if (next == pool.size()) next = 0;
    if (!FloorRespond(p, *shape, pool[next++].data(), streams, keys.data())) {
      state.SkipWithError("MAC mismatch or OpenSSL failure");
      break;
    }
    benchmark::DoNotOptimize(keys.data());
  }
}
BENCHMARK(BM_PrimitiveFloor_Respond)->ArgName("streams")->Arg(1)->Arg(4);

// The floor checked against the real exchange (see the file comment).
absl::Status CheckFloor(int streams) {
  const std::vector<Bytes>& pool = Pool(streams);
  absl::StatusOr<Shape> shape = PoolShape(streams);
  if (!shape.ok()) return shape.status();
  Primitives p;
  if (!p.ok()) return absl::InternalError("OpenSSL setup failed");
  auto same_keys = [streams](const KeyResult& keys, const uint8_t* floor) {
    if (keys.streams.size() != static_cast<size_t>(streams)) return false;
    for (int i = 0; i < streams; ++i) {
      const exchange::StreamKeys& s = keys.streams[i];
      const uint8_t* f = floor + i * kStreamKeyLen;
      if (s.master_key.size() != 16 || s.master_salt.size() != 14 ||
          std::memcmp(s.master_key.data(), f, 16) != 0 ||
          std::memcmp(s.master_salt.data(), f + 16, 14) != 0) {
        return false;
      }
    }
    return true;
  };
  const FixedClock clock(kNow);
  exchange::PskResponderOptions ro;
  ro.skip_replay_check = true;

  std::vector<uint8_t> floor_keys(streams * kStreamKeyLen);
  exchange::PskResponse r = exchange::RespondPsk(pool[0], Psk(), ro, clock);
  if (!r.status.ok()) return r.status;
  if (!FloorRespond(p, *shape, pool[0].data(), streams, floor_keys.data()) ||
      !same_keys(*r.keys, floor_keys.data())) {
    return absl::InternalError(
        absl::StrCat("responder floor does not derive RespondPsk's keys (",
                     streams, " streams)"));
  }

  Bytes wire = pool[0];
  if (!FloorInitiate(p, *shape, wire.data(), streams, floor_keys.data())) {
    return absl::InternalError("initiator floor failed");
  }
  r = exchange::RespondPsk(wire, Psk(), ro, clock);
  if (!r.status.ok()) {
    return absl::InternalError(
        absl::StrCat("RespondPsk refuses the initiator floor's message: ",
                     r.status.message()));
  }
  if (!same_keys(*r.keys, floor_keys.data())) {
    return absl::InternalError("initiator floor keys differ from RespondPsk's");
  }
  return absl::OkStatus();
}

// The single operations of the floor.
void BM_Op_PrfCall(benchmark::State& state) {
  Primitives p;
  uint8_t label[25] = {}, out[20];
  const std::vector<uint8_t>& psk = Psk();
  for (auto _ : state) {
    p.Prf(psk.data(), psk.size(), label, sizeof(label), out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Op_PrfCall);

void BM_Op_MessageHmac(benchmark::State& state) {
  Primitives p;
  const Bytes& wire = Pool(1).front();
  uint8_t key[20] = {}, out[20];
  for (auto _ : state) {
    p.Hmac(key, sizeof(key), wire.data(), wire.size() - kMacLen, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(absl::StrCat(wire.size() - kMacLen, " octets"));
}
BENCHMARK(BM_Op_MessageHmac);

void BM_Op_AesCtrKeyData(benchmark::State& state) {
  Primitives p;
  uint8_t key[16] = {}, iv[16] = {}, in[kKeyDataLen] = {}, out[kKeyDataLen];
  for (auto _ : state) {
    p.AesCtr(key, iv, in, sizeof(in), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Op_AesCtrKeyData);

void BM_Op_RandBytes16(benchmark::State& state) {
  uint8_t out[16];
  for (auto _ : state) {
    RAND_bytes(out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_Op_RandBytes16);

// ---------------------------------------------------------------------------
// Parse + serialize: ours and GStreamer's, on the same MIKEY-NULL message.

const Bytes& NullMessage() {
  static const Bytes wire = [] {
    exchange::NullInitiatorOptions o;
    srtp::SrtpPolicy p;
    absl::StatusOr<const srtp::CryptoSuite*> suite =
        srtp::FindSuite("AES_CM_128_HMAC_SHA1_80");
    p.suite = suite.ok() ? *suite : nullptr;
    o.streams.push_back({0x2d0b9e41, 0, p});
    DeterministicRandom rng(42);
    absl::StatusOr<exchange::PskInitiation> init =
        exchange::InitiateNull(o, FixedClock(kNow), rng);
    return init.ok() ? init->i_message : Bytes();
  }();
  return wire;
}

absl::StatusOr<Bytes> OursRoundTrip(const Bytes& wire) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  if (!m.ok()) return m.status();
  return SerializeMessage(*m);
}

// Also parses the KEMAC's key data and writes it back.
absl::StatusOr<Bytes> OursRoundTripWithKeyData(const Bytes& wire) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  if (!m.ok()) return m.status();
  for (Payload& p : m->payloads) {
    if (auto* k = std::get_if<KemacPayload>(&p)) {
      absl::StatusOr<std::vector<KeyDataPayload>> kd =
          ParseKeyDataList(k->encr_data);
      if (!kd.ok()) return kd.status();
      absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(*kd);
      if (!chain.ok()) return chain.status();
      k->encr_data.assign(chain->span().begin(), chain->span().end());
    }
  }
  return SerializeMessage(*m);
}

// GStreamer parse + serialize; empty on failure.
Bytes GstRoundTrip(GBytes* in) {
  GstMIKEYMessage* msg = gst_mikey_message_new_from_bytes(in, nullptr, nullptr);
  if (msg == nullptr) return {};
  GBytes* out = gst_mikey_message_to_bytes(msg, nullptr, nullptr);
  gst_mikey_message_unref(msg);
  if (out == nullptr) return {};
  gsize size = 0;
  const auto* data = static_cast<const uint8_t*>(g_bytes_get_data(out, &size));
  Bytes result(data, data + size);
  g_bytes_unref(out);
  return result;
}

void BM_ParseSerialize_Ours(benchmark::State& state) {
  const Bytes& wire = NullMessage();
  for (auto _ : state) {
    absl::StatusOr<Bytes> out = OursRoundTrip(wire);
    if (!out.ok()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(out->data());
  }
  state.SetLabel(absl::StrCat(wire.size(), " octets"));
}
BENCHMARK(BM_ParseSerialize_Ours);

void BM_ParseSerialize_OursWithKeyData(benchmark::State& state) {
  const Bytes& wire = NullMessage();
  for (auto _ : state) {
    absl::StatusOr<Bytes> out = OursRoundTripWithKeyData(wire);
    if (!out.ok()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(out->data());
  }
}
BENCHMARK(BM_ParseSerialize_OursWithKeyData);

void BM_ParseSerialize_Gstreamer(benchmark::State& state) {
  const Bytes& wire = NullMessage();
  GBytes* in = g_bytes_new_static(wire.data(), wire.size());
  for (auto _ : state) {
    GstMIKEYMessage* msg =
        gst_mikey_message_new_from_bytes(in, nullptr, nullptr);
    if (msg == nullptr) {
      state.SkipWithError("GStreamer refused the message");
      break;
    }
    GBytes* out = gst_mikey_message_to_bytes(msg, nullptr, nullptr);
    gst_mikey_message_unref(msg);
    if (out == nullptr) {
      state.SkipWithError("GStreamer could not serialize");
      break;
    }
    benchmark::DoNotOptimize(out);
    g_bytes_unref(out);
  }
  g_bytes_unref(in);
}
BENCHMARK(BM_ParseSerialize_Gstreamer);

// Both codecs give back the input octet for octet. GStreamer's parser loops
// forever on payloads it lacks, so it is tried first in a child process
// with a deadline (tests/interop RunIsolated); only then is it run here.
absl::Status CheckParseSerialize() {
  const Bytes& wire = NullMessage();
  if (wire.empty()) return absl::InternalError("InitiateNull failed");
  for (auto* round_trip : {&OursRoundTrip, &OursRoundTripWithKeyData}) {
    absl::StatusOr<Bytes> ours = round_trip(wire);
    if (!ours.ok()) return ours.status();
    if (*ours != wire) {
      return absl::InternalError("our round trip changes the message");
    }
  }
  interop::ChildOutcome child = interop::RunIsolated(
      [&wire]() -> std::string {
        GBytes* in = g_bytes_new_static(wire.data(), wire.size());
        const Bytes out = GstRoundTrip(in);
        g_bytes_unref(in);
        return out == wire ? "same" : "different";
      },
      absl::Seconds(10));
  if (!child.ok() || child.output != "same") {
    return absl::InternalError(absl::StrCat(
        "GStreamer does not round-trip the message: ", child.Describe(),
        " output '", child.output, "'"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Reporting.

// The console output, plus each benchmark's real time per iteration (ns):
// the mean aggregate when there are repetitions, else the iteration run.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (a ConsoleReporter made here does not follow
  // --benchmark_color).
  CapturingReporter()
      : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred) {
        errors_.push_back(r.benchmark_name() + ": " + r.error_message);
        continue;
      }
      const std::string name = r.run_name.str();
      if (r.run_type == Run::RT_Aggregate) {
        // With repetitions, the mean (reported in r.time_unit).
        if (r.aggregate_name == "mean" &&
            r.aggregate_unit == benchmark::kTime) {
          means_[name] = r.GetAdjustedRealTime() /
                         benchmark::GetTimeUnitMultiplier(r.time_unit) * 1e9;
        }
        continue;
      }
      if (r.iterations == 0) continue;
      Sum& s = sums_[name];
      s.seconds += r.real_accumulated_time;
      s.iterations += static_cast<double>(r.iterations);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  std::optional<double> Ns(const std::string& name) const {
    if (auto m = means_.find(name); m != means_.end()) return m->second;
    auto it = sums_.find(name);
    if (it == sums_.end() || it->second.iterations == 0) return std::nullopt;
    return it->second.seconds * 1e9 / it->second.iterations;
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Sum {
    double seconds = 0;
    double iterations = 0;
  };
  std::map<std::string, Sum> sums_;
  std::map<std::string, double> means_;
  std::vector<std::string> errors_;
};

std::string Ratio(const CapturingReporter& rep, const std::string& num,
                  const std::string& den) {
  std::optional<double> a = rep.Ns(num), b = rep.Ns(den);
  if (!a || !b || *b <= 0) return "n/a (not run)";
  return absl::StrFormat("%.2fx (%.0f ns / %.0f ns)", *a / *b, *a, *b);
}

std::string NsOrNa(std::optional<double> ns) {
  return ns ? absl::StrFormat("%.0f", *ns) : std::string("n/a");
}

std::string Speedup(std::optional<double> ours, std::optional<double> gst) {
  if (!ours || !gst || *ours <= 0) return "n/a";
  return absl::StrFormat("%.1fx", *gst / *ours);
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  for (int streams : {1, 4}) {
    if (absl::Status s = CheckFloor(streams); !s.ok()) {
      std::fprintf(stderr, "primitive floor self-check: %s\n",
                   s.ToString().c_str());
      return 1;
    }
  }
  if (absl::Status s = CheckParseSerialize(); !s.ok()) {
    std::fprintf(stderr, "parse+serialize self-check: %s\n",
                 s.ToString().c_str());
    return 1;
  }

  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf("\n");
  std::printf("psk_initiate / primitive floor = %s\n",
              Ratio(reporter, "BM_InitiatePsk/streams:1",
                    "BM_PrimitiveFloor_Initiate/streams:1")
                  .c_str());
  std::printf("psk_respond / primitive floor = %s\n",
              Ratio(reporter, "BM_RespondPsk/streams:1",
                    "BM_PrimitiveFloor_Respond/streams:1")
                  .c_str());
  std::printf("psk_initiate (4 streams) / primitive floor = %s\n",
              Ratio(reporter, "BM_InitiatePsk/streams:4",
                    "BM_PrimitiveFloor_Initiate/streams:4")
                  .c_str());
  std::printf("psk_respond (4 streams) / primitive floor = %s\n",
              Ratio(reporter, "BM_RespondPsk/streams:4",
                    "BM_PrimitiveFloor_Respond/streams:4")
                  .c_str());
  std::printf("psk_respond without replay check / primitive floor = %s\n",
              Ratio(reporter, "BM_RespondPsk_NoReplayCheck/streams:1",
                    "BM_PrimitiveFloor_Respond/streams:1")
                  .c_str());
  const std::optional<double> ours = reporter.Ns("BM_ParseSerialize_Ours");
  const std::optional<double> ours_kd =
      reporter.Ns("BM_ParseSerialize_OursWithKeyData");
  const std::optional<double> gst = reporter.Ns("BM_ParseSerialize_Gstreamer");
  std::printf("parse+serialize: ours %s ns, GStreamer %s ns, speedup %s\n",
              NsOrNa(ours).c_str(), NsOrNa(gst).c_str(),
              Speedup(ours, gst).c_str());
  std::printf(
      "parse+serialize incl. key data: ours %s ns, GStreamer %s ns, speedup "
      "%s\n",
      NsOrNa(ours_kd).c_str(), NsOrNa(gst).c_str(),
      Speedup(ours_kd, gst).c_str());

  for (const std::string& e : reporter.errors()) {
    std::fprintf(stderr, "benchmark error: %s\n", e.c_str());
  }
  return reporter.errors().empty() ? 0 : 1;
}

}  // namespace
}  // namespace bench
}  // namespace mikey

int main(int argc, char** argv) { return mikey::bench::Main(argc, argv); }
