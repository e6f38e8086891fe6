// Benchmarks of MIKEY's asymmetric exchanges against the floor set by the
// asymmetric cryptography they consist of, all in one process so that the
// ratios printed at the end compare runs made under the same conditions.
//
// Exchanges (one AES_CM_128_HMAC_SHA1_80 stream, MIKEY-1 PRF, OpenSslRandom,
// a FixedClock at pki::testing::TestNow()):
//   dh      DH mode with signatures (RFC 3830 §3.3): OAKLEY 5 (1536-bit MODP),
//           RSA-2048 PKCS#1 v1.5 / SHA-256 SIGNi and SIGNr, CERTi / CERTr;
//   dhhmac  DHHMAC (RFC 4650): OAKLEY 5, 20-octet PSK, HMAC-SHA-1 KEMAC;
//   pk      public-key mode (RFC 3830 §3.2): RSA-2048, AES-CM KEMAC, V flag
//           set (so there is a verification message to complete with), the
//           Responder's certificate checked by the Initiator;
//   rsa_r   RSA-R (RFC 4738): RSA-2048, AES-CM KEMAC.
// Certificates as in the mode tests (core/exchange/pubkey_test_util.h): a
// CA (the only trust anchor) issues RSA-2048 leaves for alice (Initiator)
// and bob (Responder) at start-up (core/pki/testing).
//
// For each mode:
//   <mode>/initiate   Initiate*;
//   <mode>/respond    Respond* with an InMemoryReplayCache. Respond refuses
//                     replays, so every iteration takes the next of a pool of
//                     kPoolSize distinct I_MESSAGEs (built once, before
//                     timing); when the pool wraps, the timer is paused and
//                     the cache replaced by an empty one (as psk_bench does);
//   <mode>/complete   Complete* (CompleteDh, CompleteDhhmac, VerifyPkResponse,
//                     CompleteRsaR) on one reply, repeatedly (the Initiator
//                     side keeps no replay state);
//   <mode>/exchange   the three in a row on fresh messages (the cache is
//                     replaced, timer paused, every kPoolSize exchanges);
//   <mode>/floor_*    the asymmetric operations of that step (kFloors below),
//                     done with raw OpenSSL calls, every context, key and
//                     algorithm set up once outside the loop (the cheapest way
//                     to do the same work), on the real messages of one
//                     exchange:
//       DH keygen       x uniform in [2, q-1] (RAND_bytes, 1535 bits, the
//                       rejection rule of core/crypto/dh.cc), y = g^x mod p
//                       (BN_mod_exp_mont_consttime, Montgomery context
//                       precomputed): a 1536-bit modexp, 1535-bit exponent;
//       DH derive       1 < y_peer < p-1, then y_peer^x mod p, the same way;
//       RSA sign        SHA-256 + RSASSA-PKCS1-v1_5 over the octets SIGN
//                       covers (EVP_PKEY_sign on a prepared context);
//       RSA verify      the same check of a real SIGN payload;
//       cert verify     the RSA-2048 / SHA-256 signature the CA put on the
//                       peer's certificate: X509_verify_cert checks exactly
//                       one signature for a leaf issued by the anchor (the
//                       anchor's own self-signature is not checked), so the
//                       floor counts one RSA verify per chain verification;
//       RSA encrypt /   RSAES-PKCS1-v1_5 of the 16-octet envelope key (PKE),
//       RSA decrypt     on prepared contexts.
//     Symmetric work (PRF, HMAC, AES) is left out of the floor: it is
//     1-2 us of a step costing hundreds of us or more.
//     Not in the floor: the DH subgroup check y^q = 1 (mod p) that
//     ValidateDhPublicValue makes on every DH value received. Neither
//     RFC 3830 nor RFC 4650 requires it (RFC 2631 §2.1.5 offers it as a
//     MAY), so it is overhead of ours; core/crypto/dh.cc computes it as the
//     Legendre symbol (y/p) (p is a safe prime), about a tenth of the
//     exponentiation y^q: op/dh_subgroup_legendre vs op/dh_subgroup_modexp.
//     Before timing, every floor is checked against the real exchange: its
//     signatures equal the real SIGN fields octet for octet (PKCS#1 v1.5 is
//     deterministic), its verifications of the real SIGN payloads and
//     certificates succeed, g^x of the Initiator's stored x gives the DHi
//     sent, its derive gives the TGK DhKeyPair computes, and its decryption
//     of the real PKE gives the envelope key. So the floor does the same
//     asymmetric work on the same data.
//   op/*    the single raw operations, for reading the floors.
//   ours/*  the same operations through core's wrappers (DhKeyPair,
//           RsaPrivateKey, RsaPublicKey, pki::Certificate and
//           CertificateVerifier), to see where time above the floor goes.
//           ours/cert_from_der is a fresh parse (OpenSSL 3 decodes the key
//           through an OSSL_DECODER); the exchanges parse CERT payloads with
//           CertificateVerifier::ParseCertificate, which remembers the
//           certificates of chains it accepted (ours/cert_parse_remembered).
//
// Times are CPU times (the machine's cores are shared with builds, and the
// code measured is single-threaded). Set-up (keys, certificates, pools, the
// self-checks) takes a few seconds and runs whatever --benchmark_filter says.
// After the benchmarks, main() prints
// "<mode>_<step> / primitive floor = X.XXx" for every step with an
// asymmetric operation and "<mode>_exchange / primitive floor" for the
// whole exchange (measured) over the sum of its step floors. A benchmark
// that reports an error, or a failed self-check, makes the exit status 1.
//
//   bazel run -c opt //tests/bench:asym_bench --
//       --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <unistd.h>

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
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/dh.h"
#include "core/crypto/random.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/dh.h"
#include "core/exchange/dh_common.h"
#include "core/exchange/dhhmac.h"
#include "core/exchange/pk.h"
#include "core/exchange/rsa_r.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"
#include "core/replay/replay_cache.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace bench {
namespace {

using exchange::FixedClock;

constexpr size_t kPoolSize = 256;
constexpr size_t kModpOctets = 192;  // OAKLEY 5
constexpr size_t kRsaOctets = 256;   // RSA-2048
constexpr size_t kShaOctets = 32;    // SHA-256
constexpr size_t kEnvelopeKeyOctets = 16;

[[noreturn]] void Die(absl::string_view what, const absl::Status& s) {
  std::fprintf(stderr, "asym_bench setup: %s: %s\n", std::string(what).c_str(),
               s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, absl::string_view what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

// ---------------------------------------------------------------------------
// Test PKI: a CA, alice (Initiator) and bob (Responder), RSA-2048.

struct Pki {
  pki::testing::Issued ca, alice, bob;
  std::unique_ptr<pki::CertificateVerifier> verifier;
};

pki::testing::CertSpec Leaf(const std::string& cn, const std::string& uri,
                            long serial) {
  pki::testing::CertSpec s;
  s.common_name = cn;
  s.san_uris = {uri};
  s.serial = serial;
  return s;
}

const Pki& GetPki() {
  static const Pki* const pki = [] {
    pki::testing::Issued ca =
        Must(pki::testing::Issue(pki::testing::CaSpec("Bench CA"), nullptr),
             "CA certificate");
    pki::testing::Issued alice = Must(
        pki::testing::Issue(Leaf("alice", "sip:alice@example.com", 2), &ca),
        "alice's certificate");
    pki::testing::Issued bob =
        Must(pki::testing::Issue(Leaf("bob", "sip:bob@example.com", 3), &ca),
             "bob's certificate");
    auto* p = new Pki{std::move(ca), std::move(alice), std::move(bob), nullptr};
    pki::TrustConfig tc;
    tc.trust_anchors = {p->ca.cert};
    p->verifier = std::make_unique<pki::CertificateVerifier>(tc);
    return p;
  }();
  return *pki;
}

IdPayload Uri(const std::string& s) {
  return IdPayload{id_type::kUri, Bytes(s.begin(), s.end())};
}

std::vector<exchange::PskStreamSpec> Streams() {
  exchange::PskStreamSpec s;
  s.ssrc = 0x10000000;
  s.policy.suite = Must(srtp::FindSuite("AES_CM_128_HMAC_SHA1_80"), "suite");
  return {s};
}

const Bytes& DhhmacPsk() {
  static const Bytes psk = [] {
    Bytes p(20);
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(i * 29);
    return p;
  }();
  return psk;
}

// ---------------------------------------------------------------------------
// The four exchanges behind one interface.

// What an Initiator sends and keeps.
struct Initiation {
  Bytes i_message;
  std::optional<exchange::DhInitiatorState> dh_state;  // DH, DHHMAC
  SecretBytes envelope_key;                            // PK
};

class Mode {
 public:
  explicit Mode(const char* name) : name_(name) {}
  virtual ~Mode() = default;
  const char* name() const { return name_; }
  virtual absl::StatusOr<Initiation> Initiate(RandomSource& rng) = 0;
  // The Responder's reply; an error when it refuses.
  virtual absl::StatusOr<Bytes> Respond(const Bytes& i_message,
                                        replay::ReplayCache* cache,
                                        RandomSource& rng) = 0;
  virtual absl::Status Complete(const Initiation& init, const Bytes& reply) = 0;

 protected:
  const FixedClock clock_{pki::testing::TestNow()};

 private:
  const char* name_;
};

class DhMode final : public Mode {
 public:
  DhMode() : Mode("dh") {
    const Pki& pki = GetPki();
    init_.streams = Streams();
    init_.credential = exchange::PkCredential{{pki.alice.cert}, &pki.alice.key};
    init_.id_i = Uri("sip:alice@example.com");
    resp_.verifier = pki.verifier.get();
    resp_.credential = exchange::PkCredential{{pki.bob.cert}, &pki.bob.key};
    resp_.id_r = Uri("sip:bob@example.com");
    complete_.verifier = pki.verifier.get();
  }
  absl::StatusOr<Initiation> Initiate(RandomSource& rng) override {
    absl::StatusOr<exchange::DhInitiation> i =
        exchange::InitiateDh(init_, clock_, rng);
    if (!i.ok()) return i.status();
    return Initiation{std::move(i->i_message), std::move(i->state), {}};
  }
  absl::StatusOr<Bytes> Respond(const Bytes& i_message,
                                replay::ReplayCache* cache,
                                RandomSource& rng) override {
    resp_.replay_cache = cache;
    exchange::DhModeResponse r =
        exchange::RespondDh(i_message, resp_, clock_, rng);
    if (!r.status.ok()) return r.status;
    return std::move(r.reply);
  }
  absl::Status Complete(const Initiation& init, const Bytes& reply) override {
    return exchange::CompleteDh(reply, *init.dh_state, complete_, clock_)
        .status();
  }

 private:
  exchange::DhInitiatorOptions init_;
  exchange::DhResponderOptions resp_;
  exchange::DhCompleteOptions complete_;
};

class DhhmacMode final : public Mode {
 public:
  DhhmacMode() : Mode("dhhmac") {
    init_.streams = Streams();
    init_.id_i = Uri("sip:alice@example.com");
    init_.id_r = Uri("sip:bob@example.com");  // RFC 4650 §3: IDr mandatory
    resp_.id_r = Uri("sip:bob@example.com");
  }
  absl::StatusOr<Initiation> Initiate(RandomSource& rng) override {
    absl::StatusOr<exchange::DhhmacInitiation> i =
        exchange::InitiateDhhmac(init_, DhhmacPsk(), clock_, rng);
    if (!i.ok()) return i.status();
    return Initiation{std::move(i->i_message), std::move(i->state), {}};
  }
  absl::StatusOr<Bytes> Respond(const Bytes& i_message,
                                replay::ReplayCache* cache,
                                RandomSource& rng) override {
    resp_.replay_cache = cache;
    exchange::DhResponse r =
        exchange::RespondDhhmac(i_message, DhhmacPsk(), resp_, clock_, rng);
    if (!r.status.ok()) return r.status;
    return std::move(r.reply);
  }
  absl::Status Complete(const Initiation& init, const Bytes& reply) override {
    return exchange::CompleteDhhmac(reply, *init.dh_state, DhhmacPsk(), clock_)
        .status();
  }

 private:
  exchange::DhhmacInitiatorOptions init_;
  exchange::DhhmacResponderOptions resp_;
};

class PkMode final : public Mode {
 public:
  PkMode() : Mode("pk") {
    const Pki& pki = GetPki();
    init_.streams = Streams();
    init_.v_flag = true;
    init_.credential = exchange::PkCredential{{pki.alice.cert}, &pki.alice.key};
    init_.id_i = Uri("sip:alice@example.com");
    init_.responder_certificate = pki.bob.cert;
    init_.responder_verifier = pki.verifier.get();
    resp_.verifier = pki.verifier.get();
    resp_.credentials = {exchange::PkCredential{{pki.bob.cert}, &pki.bob.key}};
  }
  absl::StatusOr<Initiation> Initiate(RandomSource& rng) override {
    absl::StatusOr<exchange::PkInitiation> i =
        exchange::InitiatePk(init_, clock_, rng);
    if (!i.ok()) return i.status();
    return Initiation{std::move(i->i_message), std::nullopt,
                      std::move(i->envelope_key)};
  }
  absl::StatusOr<Bytes> Respond(const Bytes& i_message,
                                replay::ReplayCache* cache,
                                RandomSource&) override {
    resp_.replay_cache = cache;
    exchange::PkResponse r = exchange::RespondPk(i_message, resp_, clock_);
    if (!r.status.ok()) return r.status;
    return std::move(r.reply);
  }
  absl::Status Complete(const Initiation& init, const Bytes& reply) override {
    return exchange::VerifyPkResponse(reply, init.i_message,
                                      init.envelope_key.span(), clock_);
  }

 private:
  exchange::PkInitiatorOptions init_;
  exchange::PkResponderOptions resp_;
};

class RsaRMode final : public Mode {
 public:
  RsaRMode() : Mode("rsa_r") {
    const Pki& pki = GetPki();
    init_.streams = Streams();
    init_.credential = exchange::PkCredential{{pki.alice.cert}, &pki.alice.key};
    init_.id_i = Uri("sip:alice@example.com");
    resp_.verifier = pki.verifier.get();
    resp_.credential = exchange::PkCredential{{pki.bob.cert}, &pki.bob.key};
    resp_.id_r = Uri("sip:bob@example.com");
    complete_.verifier = pki.verifier.get();
    complete_.key = &pki.alice.key;
  }
  absl::StatusOr<Initiation> Initiate(RandomSource& rng) override {
    absl::StatusOr<Bytes> i = exchange::InitiateRsaR(init_, clock_, rng);
    if (!i.ok()) return i.status();
    return Initiation{*std::move(i), std::nullopt, {}};
  }
  absl::StatusOr<Bytes> Respond(const Bytes& i_message,
                                replay::ReplayCache* cache,
                                RandomSource& rng) override {
    resp_.replay_cache = cache;
    exchange::RsaRResponse r =
        exchange::RespondRsaR(i_message, resp_, clock_, rng);
    if (!r.status.ok()) return r.status;
    return std::move(r.reply);
  }
  absl::Status Complete(const Initiation& init, const Bytes& reply) override {
    return exchange::CompleteRsaR(reply, init.i_message, complete_, clock_)
        .status();
  }

 private:
  exchange::RsaRInitiatorOptions init_;
  exchange::RsaRResponderOptions resp_;
  exchange::RsaRCompleteOptions complete_;
};

// kPoolSize distinct I_MESSAGEs of `mode`, built once.
const std::vector<Initiation>& Pool(Mode& mode) {
  static std::map<const Mode*, std::vector<Initiation>> pools;
  std::vector<Initiation>& pool = pools[&mode];
  if (pool.empty()) {
    OpenSslRandom rng;
    for (size_t i = 0; i < kPoolSize; ++i) {
      pool.push_back(Must(mode.Initiate(rng), "Initiate (pool)"));
    }
  }
  return pool;
}

// One complete exchange of `mode`: the first pool message and its reply.
struct Sample {
  const Initiation* init = nullptr;
  Bytes reply;
};

const Sample& GetSample(Mode& mode) {
  static std::map<const Mode*, Sample> samples;
  Sample& s = samples[&mode];
  if (s.init == nullptr) {
    s.init = &Pool(mode).front();
    OpenSslRandom rng;
    replay::InMemoryReplayCache cache(1);
    s.reply = Must(mode.Respond(s.init->i_message, &cache, rng), "Respond");
    if (absl::Status st = mode.Complete(*s.init, s.reply); !st.ok()) {
      Die("Complete", st);
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// The exchange.

void BM_Initiate(benchmark::State& state, Mode* mode) {
  OpenSslRandom rng;
  for (auto _ : state) {
    absl::StatusOr<Initiation> i = mode->Initiate(rng);
    if (!i.ok()) {
      state.SkipWithError(std::string(i.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(i->i_message.data());
  }
}

void BM_Respond(benchmark::State& state, Mode* mode) {
  const std::vector<Initiation>& pool = Pool(*mode);
  OpenSslRandom rng;
  auto cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
  size_t next = 0;
  for (auto _ : state) {
    if (next == pool.size()) {
      state.PauseTiming();
      cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
      next = 0;
      state.ResumeTiming();
    }
    absl::StatusOr<Bytes> r =
        mode->Respond(pool[next++].i_message, cache.get(), rng);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(r->data());
  }
}

void BM_Complete(benchmark::State& state, Mode* mode) {
  const Sample& s = GetSample(*mode);
  for (auto _ : state) {
    absl::Status st = mode->Complete(*s.init, s.reply);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
  }
}

void BM_Exchange(benchmark::State& state, Mode* mode) {
  OpenSslRandom rng;
  auto cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
  size_t done = 0;
  for (auto _ : state) {
    if (done == kPoolSize) {
      state.PauseTiming();
      cache = std::make_unique<replay::InMemoryReplayCache>(kPoolSize);
      done = 0;
      state.ResumeTiming();
    }
    ++done;
    absl::StatusOr<Initiation> i = mode->Initiate(rng);
    if (!i.ok()) {
      state.SkipWithError(std::string(i.status().message()).c_str());
      break;
    }
    absl::StatusOr<Bytes> r = mode->Respond(i->i_message, cache.get(), rng);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
    if (absl::Status st = mode->Complete(*i, *r); !st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
  }
}

// ---------------------------------------------------------------------------
// Raw OpenSSL: the primitive floor.

// RSA-2048 with one prepared context per operation: PKCS#1 v1.5 signatures
// over SHA-256, PKCS#1 v1.5 encryption.
class RawRsa {
 public:
  // `pkey` (a private key) is borrowed.
  explicit RawRsa(EVP_PKEY* pkey)
      : sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
        md_ctx_(EVP_MD_CTX_new()),
        sign_(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr)),
        verify_(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr)),
        encrypt_(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr)),
        decrypt_(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr)) {
    ok_ = sha256_ != nullptr && md_ctx_ != nullptr && sign_ != nullptr &&
          verify_ != nullptr && encrypt_ != nullptr && decrypt_ != nullptr &&
          EVP_PKEY_sign_init(sign_) == 1 &&
          EVP_PKEY_CTX_set_rsa_padding(sign_, RSA_PKCS1_PADDING) == 1 &&
          EVP_PKEY_CTX_set_signature_md(sign_, sha256_) == 1 &&
          EVP_PKEY_verify_init(verify_) == 1 &&
          EVP_PKEY_CTX_set_rsa_padding(verify_, RSA_PKCS1_PADDING) == 1 &&
          EVP_PKEY_CTX_set_signature_md(verify_, sha256_) == 1 &&
          EVP_PKEY_encrypt_init(encrypt_) == 1 &&
          EVP_PKEY_CTX_set_rsa_padding(encrypt_, RSA_PKCS1_PADDING) == 1 &&
          EVP_PKEY_decrypt_init(decrypt_) == 1 &&
          EVP_PKEY_CTX_set_rsa_padding(decrypt_, RSA_PKCS1_PADDING) == 1;
  }
  ~RawRsa() {
    EVP_PKEY_CTX_free(sign_);
    EVP_PKEY_CTX_free(verify_);
    EVP_PKEY_CTX_free(encrypt_);
    EVP_PKEY_CTX_free(decrypt_);
    EVP_MD_CTX_free(md_ctx_);
    EVP_MD_free(sha256_);
  }
  RawRsa(const RawRsa&) = delete;
  RawRsa& operator=(const RawRsa&) = delete;

  bool ok() const { return ok_; }

  // The signature of `msg` into sig[kRsaOctets].
  bool Sign(absl::Span<const uint8_t> msg, uint8_t* sig) {
    uint8_t digest[kShaOctets];
    size_t len = kRsaOctets;
    return Digest(msg, digest) &&
           EVP_PKEY_sign(sign_, sig, &len, digest, sizeof(digest)) == 1 &&
           len == kRsaOctets;
  }
  bool Verify(absl::Span<const uint8_t> msg, absl::Span<const uint8_t> sig) {
    uint8_t digest[kShaOctets];
    return Digest(msg, digest) &&
           EVP_PKEY_verify(verify_, sig.data(), sig.size(), digest,
                           sizeof(digest)) == 1;
  }
  // out[kRsaOctets].
  bool Encrypt(absl::Span<const uint8_t> in, uint8_t* out) {
    size_t len = kRsaOctets;
    return EVP_PKEY_encrypt(encrypt_, out, &len, in.data(), in.size()) == 1 &&
           len == kRsaOctets;
  }
  // out[kRsaOctets]; *out_len the plaintext length.
  bool Decrypt(absl::Span<const uint8_t> in, uint8_t* out, size_t* out_len) {
    *out_len = kRsaOctets;
    return EVP_PKEY_decrypt(decrypt_, out, out_len, in.data(), in.size()) == 1;
  }

 private:
  bool Digest(absl::Span<const uint8_t> msg, uint8_t* out) {
    unsigned int n = 0;
    return EVP_DigestInit_ex2(md_ctx_, sha256_, nullptr) == 1 &&
           EVP_DigestUpdate(md_ctx_, msg.data(), msg.size()) == 1 &&
           EVP_DigestFinal_ex(md_ctx_, out, &n) == 1 && n == kShaOctets;
  }

  EVP_MD* sha256_;
  EVP_MD_CTX* md_ctx_;
  EVP_PKEY_CTX* sign_;
  EVP_PKEY_CTX* verify_;
  EVP_PKEY_CTX* encrypt_;
  EVP_PKEY_CTX* decrypt_;
  bool ok_ = false;
};

// OAKLEY 5 (RFC 3526 §2, OpenSSL's copy of the prime), g = 2.
class RawDh {
 public:
  RawDh()
      : ctx_(BN_CTX_new()),
        p_(BN_get_rfc3526_prime_1536(nullptr)),
        q_(BN_new()),
        g_(BN_new()),
        p_minus_1_(BN_new()),
        x_(BN_new()),
        y_(BN_new()),
        r_(BN_new()),
        mont_(BN_MONT_CTX_new()) {
    ok_ = ctx_ != nullptr && p_ != nullptr && q_ != nullptr && g_ != nullptr &&
          p_minus_1_ != nullptr && x_ != nullptr && y_ != nullptr &&
          r_ != nullptr && mont_ != nullptr && BN_rshift1(q_, p_) == 1 &&
          BN_set_word(g_, 2) == 1 && BN_copy(p_minus_1_, p_) != nullptr &&
          BN_sub_word(p_minus_1_, 1) == 1 &&
          BN_MONT_CTX_set(mont_, p_, ctx_) == 1;
    if (ok_) BN_set_flags(x_, BN_FLG_CONSTTIME);
  }
  ~RawDh() {
    BN_MONT_CTX_free(mont_);
    BN_clear_free(x_);
    for (BIGNUM* b : {p_, q_, g_, p_minus_1_, y_, r_}) BN_free(b);
    BN_CTX_free(ctx_);
  }
  RawDh(const RawDh&) = delete;
  RawDh& operator=(const RawDh&) = delete;

  bool ok() const { return ok_; }

  // A fresh x in [2, q-1] into x[kModpOctets] and g^x mod p into y[].
  bool Keygen(uint8_t* x, uint8_t* y) {
    for (int draw = 0; draw < 64; ++draw) {
      if (RAND_bytes(x, kModpOctets) != 1) return false;
      x[0] &= 0x7F;
      if (BN_bin2bn(x, kModpOctets, x_) == nullptr) return false;
      if (BN_is_zero(x_) || BN_is_one(x_) || BN_cmp(x_, q_) >= 0) continue;
      return Public(x, y);
    }
    return false;
  }
  // g^x mod p for a given x.
  bool Public(const uint8_t* x, uint8_t* y) {
    return BN_bin2bn(x, kModpOctets, x_) != nullptr &&
           BN_mod_exp_mont_consttime(r_, g_, x_, p_, ctx_, mont_) == 1 &&
           BN_bn2binpad(r_, y, kModpOctets) == kModpOctets;
  }
  // peer^x mod p into z[kModpOctets], after 1 < peer < p-1.
  bool Derive(const uint8_t* x, const uint8_t* peer, uint8_t* z) {
    if (BN_bin2bn(peer, kModpOctets, y_) == nullptr || BN_is_zero(y_) ||
        BN_is_one(y_) || BN_cmp(y_, p_minus_1_) >= 0) {
      return false;
    }
    return BN_bin2bn(x, kModpOctets, x_) != nullptr &&
           BN_mod_exp_mont_consttime(r_, y_, x_, p_, ctx_, mont_) == 1 &&
           BN_bn2binpad(r_, z, kModpOctets) == kModpOctets;
  }
  // Subgroup membership as ValidateDhPublicValue checked it: y^q mod p == 1.
  bool SubgroupByModexp(const uint8_t* y) {
    return BN_bin2bn(y, kModpOctets, y_) != nullptr &&
           BN_mod_exp_mont(r_, y_, q_, p_, ctx_, mont_) == 1 && BN_is_one(r_);
  }
  // The same by the Legendre symbol (y/p) == 1 (p = 2q + 1 a safe prime).
  bool SubgroupByLegendre(const uint8_t* y) {
    return BN_bin2bn(y, kModpOctets, y_) != nullptr &&
           BN_kronecker(y_, p_, ctx_) == 1;
  }

 private:
  BN_CTX* ctx_;
  BIGNUM *p_, *q_, *g_, *p_minus_1_, *x_, *y_, *r_;
  BN_MONT_CTX* mont_;
  bool ok_ = false;
};

// A certificate's TBSCertificate and signature, for the CA's RSA verify.
struct CertSignature {
  Bytes tbs;
  Bytes signature;
};

CertSignature SignatureOf(const pki::Certificate& cert) {
  // A private copy: i2d_re_X509_tbs resets the copy's cached encoding.
  const uint8_t* p = cert.der().data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(cert.der().size()));
  CertSignature out;
  if (x == nullptr) return out;
  uint8_t* tbs = nullptr;
  const int n = i2d_re_X509_tbs(x, &tbs);
  if (n > 0) out.tbs.assign(tbs, tbs + n);
  OPENSSL_free(tbs);
  const ASN1_BIT_STRING* sig = nullptr;
  X509_get0_signature(&sig, nullptr, x);
  if (sig != nullptr) {
    const uint8_t* d = ASN1_STRING_get0_data(sig);
    out.signature.assign(d, d + ASN1_STRING_length(sig));
  }
  X509_free(x);
  return out;
}

// The asymmetric operations a step can consist of.
enum class Op {
  kDhKeygen,           // fresh x, g^x
  kDhDeriveResponder,  // DHi^x with the x of the preceding kDhKeygen
  kDhDeriveInitiator,  // DHr^x with the Initiator's stored x
  kCertVerifyAlice,    // the CA's signature on alice's certificate
  kCertVerifyBob,      // ... on bob's
  kVerifySignI,        // SIGNi with alice's key
  kVerifySignR,        // SIGNr with bob's key
  kSignI,              // alice signs the I_MESSAGE
  kSignR,              // bob signs the R_MESSAGE
  kEncryptToBob,       // PKE under bob's key (PK mode)
  kEncryptToAlice,     // PKE under alice's key (RSA-R)
  kDecryptBob,         // bob decrypts the I_MESSAGE's PKE (PK mode)
  kDecryptAlice,       // alice decrypts the R_MESSAGE's PKE (RSA-R)
};

const char* OpName(Op op) {
  switch (op) {
    case Op::kDhKeygen:
      return "DH keygen";
    case Op::kDhDeriveResponder:
    case Op::kDhDeriveInitiator:
      return "DH derive";
    case Op::kCertVerifyAlice:
    case Op::kCertVerifyBob:
      return "cert RSA verify";
    case Op::kVerifySignI:
    case Op::kVerifySignR:
      return "RSA verify";
    case Op::kSignI:
    case Op::kSignR:
      return "RSA sign";
    case Op::kEncryptToBob:
    case Op::kEncryptToAlice:
      return "RSA encrypt";
    case Op::kDecryptBob:
    case Op::kDecryptAlice:
      return "RSA decrypt";
  }
  return "?";
}

// Which operations each step performs, counted from core/exchange (DH mode:
// dh.cc VerifyPeer / VerifySigned / dh_internal.cc; PK: pk.cc; RSA-R:
// rsa_r.cc VerifySender). "cert RSA verify" is the chain verification of
// CertificateVerifier::Verify (one signature: leaf by anchor).
struct StepFloor {
  const char* step;
  std::vector<Op> ops;
};
struct ModeFloor {
  const char* mode;
  std::vector<StepFloor> steps;  // initiate, respond, complete
};

const std::vector<ModeFloor>& Floors() {
  static const std::vector<ModeFloor>* const floors =
      new std::vector<ModeFloor>{
          {"dh",
           {{"initiate", {Op::kDhKeygen, Op::kSignI}},
            {"respond",
             {Op::kCertVerifyAlice, Op::kVerifySignI, Op::kDhKeygen,
              Op::kDhDeriveResponder, Op::kSignR}},
            {"complete",
             {Op::kCertVerifyBob, Op::kVerifySignR, Op::kDhDeriveInitiator}}}},
          {"dhhmac",
           {{"initiate", {Op::kDhKeygen}},
            {"respond", {Op::kDhKeygen, Op::kDhDeriveResponder}},
            {"complete", {Op::kDhDeriveInitiator}}}},
          {"pk",
           {{"initiate", {Op::kCertVerifyBob, Op::kEncryptToBob, Op::kSignI}},
            {"respond",
             {Op::kCertVerifyAlice, Op::kVerifySignI, Op::kDecryptBob}},
            {"complete", {}}}},  // VerifyPkResponse: HMAC only
          {"rsa_r",
           {{"initiate", {Op::kSignI}},
            {"respond",
             {Op::kCertVerifyAlice, Op::kVerifySignI, Op::kEncryptToAlice,
              Op::kSignR}},
            {"complete",
             {Op::kCertVerifyBob, Op::kVerifySignR, Op::kDecryptAlice}}}},
      };
  return *floors;
}

// Raw contexts for the three keys, and the DH group.
struct Raw {
  RawRsa ca, alice, bob;
  RawDh dh;
  CertSignature alice_cert, bob_cert;
  Raw()
      : ca(GetPki().ca.key.evp_pkey()),
        alice(GetPki().alice.key.evp_pkey()),
        bob(GetPki().bob.key.evp_pkey()),
        alice_cert(SignatureOf(GetPki().alice.cert)),
        bob_cert(SignatureOf(GetPki().bob.cert)) {}
  bool ok() const { return ca.ok() && alice.ok() && bob.ok() && dh.ok(); }
};

Raw& GetRaw() {
  static Raw* const raw = new Raw();
  return *raw;
}

// The data of one real exchange that the floor works on.
struct FloorData {
  Bytes i_signed, i_sig;  // the I_MESSAGE without / its SIGN's Signature
  Bytes r_signed, r_sig;  // the same for the reply
  Bytes dh_i, dh_r;       // DHi, DHr values
  Bytes x_i;              // the Initiator's DH private value
  Bytes pke;              // the PKE payload's data (PK: I_MESSAGE; RSA-R: R)
  Bytes envelope_key = Bytes(kEnvelopeKeyOctets, 0x5A);  // for encryptions
};

// Splits a message ending with a SIGN payload; fills DH and PKE values.
absl::Status Dissect(const Bytes& wire, bool initiator, FloorData* d) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  if (!m.ok()) return m.status();
  if (!m->payloads.empty()) {
    if (const auto* s = std::get_if<SignPayload>(&m->payloads.back())) {
      const size_t n = s->signature.size();
      Bytes& signed_part = initiator ? d->i_signed : d->r_signed;
      signed_part.assign(wire.begin(), wire.end() - n);
      (initiator ? d->i_sig : d->r_sig) = s->signature;
    }
  }
  if (const DhPayload* dh = m->Find<DhPayload>()) {
    (initiator ? d->dh_i : d->dh_r) = dh->value;  // an R_MESSAGE's first: DHr
  }
  if (const PkePayload* pke = m->Find<PkePayload>()) d->pke = pke->data;
  return absl::OkStatus();
}

FloorData& GetFloorData(Mode& mode) {
  static std::map<const Mode*, FloorData> data;
  auto it = data.find(&mode);
  if (it != data.end()) return it->second;
  FloorData& d = data[&mode];
  const Sample& s = GetSample(mode);
  if (absl::Status st = Dissect(s.init->i_message, true, &d); !st.ok()) {
    Die("I_MESSAGE", st);
  }
  if (absl::Status st = Dissect(s.reply, false, &d); !st.ok()) {
    Die("reply", st);
  }
  if (s.init->dh_state) {
    d.x_i.assign(s.init->dh_state->dh_private.span().begin(),
                 s.init->dh_state->dh_private.span().end());
  }
  if (mode.name() == "rsa_r") {
    // RFC 4738 §3.6: SIGNr covers R_MESSAGE || IDi || IDr || T, the ID data
    // of the I_MESSAGE's IDi and of the R_MESSAGE's IDr (else the
    // I_MESSAGE's), and the TS value of the R_MESSAGE's T.
    absl::StatusOr<Message> im = ParseMessage(s.init->i_message);
    absl::StatusOr<Message> rm = ParseMessage(s.reply);
    if (!im.ok() || !rm.ok()) Die("RSA-R messages", absl::InternalError(""));
    std::vector<const IdPayload*> ids_i = im->FindAll<IdPayload>();
    std::vector<const IdPayload*> ids_r = rm->FindAll<IdPayload>();
    const IdPayload* id_r = !ids_r.empty()     ? ids_r[0]
                            : ids_i.size() > 1 ? ids_i[1]
                                               : nullptr;
    if (!ids_i.empty()) {
      d.r_signed.insert(d.r_signed.end(), ids_i[0]->data.begin(),
                        ids_i[0]->data.end());
    }
    if (id_r != nullptr) {
      d.r_signed.insert(d.r_signed.end(), id_r->data.begin(), id_r->data.end());
    }
    if (const TimestampPayload* t = rm->Find<TimestampPayload>()) {
      for (int i = 7; i >= 0; --i) {
        d.r_signed.push_back(static_cast<uint8_t>(t->value >> (8 * i)));
      }
    }
  }
  return d;
}

// Scratch space for one floor iteration.
struct Scratch {
  uint8_t x[kModpOctets], y[kModpOctets], z[kModpOctets];
  uint8_t sig[kRsaOctets], ct[kRsaOctets], pt[kRsaOctets];
  size_t pt_len = 0;
};

bool RunOp(Op op, Raw& raw, const FloorData& d, Scratch& s) {
  switch (op) {
    case Op::kDhKeygen:
      return raw.dh.Keygen(s.x, s.y);
    case Op::kDhDeriveResponder:
      return raw.dh.Derive(s.x, d.dh_i.data(), s.z);
    case Op::kDhDeriveInitiator:
      return raw.dh.Derive(d.x_i.data(), d.dh_r.data(), s.z);
    case Op::kCertVerifyAlice:
      return raw.ca.Verify(raw.alice_cert.tbs, raw.alice_cert.signature);
    case Op::kCertVerifyBob:
      return raw.ca.Verify(raw.bob_cert.tbs, raw.bob_cert.signature);
    case Op::kVerifySignI:
      return raw.alice.Verify(d.i_signed, d.i_sig);
    case Op::kVerifySignR:
      return raw.bob.Verify(d.r_signed, d.r_sig);
    case Op::kSignI:
      return raw.alice.Sign(d.i_signed, s.sig);
    case Op::kSignR:
      return raw.bob.Sign(d.r_signed, s.sig);
    case Op::kEncryptToBob:
      return raw.bob.Encrypt(d.envelope_key, s.ct);
    case Op::kEncryptToAlice:
      return raw.alice.Encrypt(d.envelope_key, s.ct);
    case Op::kDecryptBob:
      return raw.bob.Decrypt(d.pke, s.pt, &s.pt_len);
    case Op::kDecryptAlice:
      return raw.alice.Decrypt(d.pke, s.pt, &s.pt_len);
  }
  return false;
}

void BM_Floor(benchmark::State& state, Mode* mode, const StepFloor* step) {
  Raw& raw = GetRaw();
  const FloorData& d = GetFloorData(*mode);
  Scratch s;
  for (auto _ : state) {
    for (Op op : step->ops) {
      if (!RunOp(op, raw, d, s)) {
        state.SkipWithError(OpName(op));
        return;
      }
    }
    benchmark::DoNotOptimize(s.z);
    benchmark::DoNotOptimize(s.sig);
  }
}

// Each floor op checked against the real exchange (see the file comment).
absl::Status CheckFloor(Mode& mode, const ModeFloor& floor) {
  Raw& raw = GetRaw();
  if (!raw.ok()) return absl::InternalError("OpenSSL setup failed");
  const FloorData& d = GetFloorData(mode);
  const Sample& sample = GetSample(mode);
  Scratch s;
  auto fail = [&](Op op, absl::string_view why) {
    return absl::InternalError(
        absl::StrCat(mode.name(), " floor, ", OpName(op), ": ", why));
  };
  for (const StepFloor& step : floor.steps) {
    for (Op op : step.ops) {
      if (!RunOp(op, raw, d, s)) return fail(op, "OpenSSL refused");
      switch (op) {
        case Op::kSignI:
        case Op::kSignR: {
          const Bytes& real = op == Op::kSignI ? d.i_sig : d.r_sig;
          if (real.size() != kRsaOctets ||
              std::memcmp(real.data(), s.sig, kRsaOctets) != 0) {
            return fail(op, "differs from the real SIGN payload");
          }
          break;
        }
        case Op::kDhKeygen: {
          uint8_t y[kModpOctets];
          if (d.x_i.size() != kModpOctets || d.dh_i.size() != kModpOctets ||
              !raw.dh.Public(d.x_i.data(), y) ||
              std::memcmp(y, d.dh_i.data(), kModpOctets) != 0) {
            return fail(op, "g^x of the stored x is not the DHi sent");
          }
          break;
        }
        case Op::kDhDeriveInitiator: {
          absl::StatusOr<DhKeyPair> kp =
              DhKeyPair::FromPrivateValue(DhGroup::kModp1536, d.x_i);
          if (!kp.ok()) return kp.status();
          absl::StatusOr<SecretBytes> tgk = kp->SharedSecret(d.dh_r);
          if (!tgk.ok()) return tgk.status();
          if (tgk->size() != kModpOctets ||
              std::memcmp(tgk->data(), s.z, kModpOctets) != 0) {
            return fail(op, "differs from DhKeyPair::SharedSecret");
          }
          break;
        }
        case Op::kDecryptBob:
        case Op::kDecryptAlice:
          if (s.pt_len != kEnvelopeKeyOctets ||
              (sample.init->envelope_key.size() == kEnvelopeKeyOctets &&
               std::memcmp(sample.init->envelope_key.data(), s.pt,
                           kEnvelopeKeyOctets) != 0)) {
            return fail(op, "not the envelope key");
          }
          break;
        case Op::kEncryptToBob:
        case Op::kEncryptToAlice: {
          RawRsa& key = op == Op::kEncryptToBob ? raw.bob : raw.alice;
          if (!key.Decrypt(absl::MakeConstSpan(s.ct, kRsaOctets), s.pt,
                           &s.pt_len) ||
              s.pt_len != kEnvelopeKeyOctets ||
              std::memcmp(s.pt, d.envelope_key.data(), kEnvelopeKeyOctets) !=
                  0) {
            return fail(op, "does not decrypt back");
          }
          break;
        }
        default:
          break;  // verifications: RunOp succeeding is the check
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Single operations: raw, and through core's wrappers.

void BM_Op(benchmark::State& state, Op op, Mode* mode) {
  Raw& raw = GetRaw();
  const FloorData& d = GetFloorData(*mode);
  Scratch s;
  if (op == Op::kDhDeriveResponder) raw.dh.Keygen(s.x, s.y);
  for (auto _ : state) {
    if (!RunOp(op, raw, d, s)) {
      state.SkipWithError(OpName(op));
      break;
    }
    benchmark::DoNotOptimize(s.z);
  }
}

void BM_OpSubgroupModexp(benchmark::State& state, Mode* mode) {
  Raw& raw = GetRaw();
  const FloorData& d = GetFloorData(*mode);
  for (auto _ : state) {
    if (!raw.dh.SubgroupByModexp(d.dh_i.data())) {
      state.SkipWithError("not in the subgroup");
      break;
    }
  }
}

void BM_OpSubgroupLegendre(benchmark::State& state, Mode* mode) {
  Raw& raw = GetRaw();
  const FloorData& d = GetFloorData(*mode);
  for (auto _ : state) {
    if (!raw.dh.SubgroupByLegendre(d.dh_i.data())) {
      state.SkipWithError("not in the subgroup");
      break;
    }
  }
}

template <typename F>
void Loop(benchmark::State& state, F f) {
  for (auto _ : state) {
    absl::Status s = f();
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
}

void RegisterOurs(Mode* dh) {
  const Pki& pki = GetPki();
  const FloorData& d = GetFloorData(*dh);
  const Bytes x_i = d.x_i;
  auto reg = [](const std::string& name, auto f) {
    benchmark::RegisterBenchmark(name.c_str(), [f](benchmark::State& st) {
      Loop(st, f);
    })->Unit(benchmark::kMicrosecond);
  };
  reg("ours/dh_keygen", [] {
    OpenSslRandom rng;
    return DhKeyPair::Generate(DhGroup::kModp1536, rng).status();
  });
  reg("ours/dh_from_private_value", [x_i] {
    return DhKeyPair::FromPrivateValue(DhGroup::kModp1536, x_i).status();
  });
  auto kp = std::make_shared<DhKeyPair>(
      Must(DhKeyPair::FromPrivateValue(DhGroup::kModp1536, x_i), "key pair"));
  const Bytes dh_r = d.dh_r;
  reg("ours/dh_shared_secret",
      [kp, dh_r] { return kp->SharedSecret(dh_r).status(); });
  reg("ours/dh_validate_public_value",
      [dh_r] { return ValidateDhPublicValue(DhGroup::kModp1536, dh_r); });
  const Bytes i_signed = d.i_signed, i_sig = d.i_sig;
  const RsaPrivateKey* alice_key = &pki.alice.key;
  reg("ours/rsa_sign", [alice_key, i_signed] {
    return alice_key->Sign(RsaSignatureParams{}, i_signed).status();
  });
  auto alice_pub = std::make_shared<RsaPublicKey>(
      Must(pki.alice.cert.rsa_public_key(), "alice's public key"));
  reg("ours/rsa_verify", [alice_pub, i_signed, i_sig] {
    return alice_pub->Verify(RsaSignatureParams{}, i_signed, i_sig);
  });
  const Bytes env(kEnvelopeKeyOctets, 0x5A);
  reg("ours/rsa_encrypt", [alice_pub, env] {
    return alice_pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, env).status();
  });
  auto ct = std::make_shared<Bytes>(
      Must(alice_pub->Encrypt(RsaEncryptionScheme::kPkcs1v15, env), "encrypt"));
  reg("ours/rsa_decrypt", [alice_key, ct] {
    return alice_key->Decrypt(RsaEncryptionScheme::kPkcs1v15, *ct).status();
  });
  const Bytes der = pki.alice.cert.der();
  reg("ours/cert_from_der",
      [der] { return pki::Certificate::FromDer(der).status(); });
  const pki::Certificate alice_cert = pki.alice.cert;
  const pki::CertificateVerifier* verifier = pki.verifier.get();
  reg("ours/cert_parse_remembered",
      [verifier, der] { return verifier->ParseCertificate(der).status(); });
  reg("ours/cert_verify_chain", [verifier, alice_cert] {
    return verifier
        ->Verify(absl::MakeConstSpan(&alice_cert, 1), pki::testing::TestNow(),
                 pki::KeyUsage::kDigitalSignature)
        .status();
  });
}

// ---------------------------------------------------------------------------
// Reporting.

// The console output, plus each benchmark's CPU time per iteration (ns):
// the mean aggregate when there are repetitions, else the iteration run.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
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
        if (r.aggregate_name == "mean" &&
            r.aggregate_unit == benchmark::kTime) {
          means_[name] = r.GetAdjustedCPUTime() /
                         benchmark::GetTimeUnitMultiplier(r.time_unit) * 1e9;
        }
        continue;
      }
      if (r.iterations == 0) continue;
      Sum& s = sums_[name];
      s.seconds += r.cpu_accumulated_time;
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

std::string Ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b <= 0) return "n/a (not run)";
  return absl::StrFormat("%.2fx (%.0f ns / %.0f ns)", *a / *b, *a, *b);
}

void PrintRatios(const CapturingReporter& rep) {
  std::printf("\n");
  for (const ModeFloor& mf : Floors()) {
    std::optional<double> floor_sum = 0.0;
    for (const StepFloor& step : mf.steps) {
      const std::string base = absl::StrCat(mf.mode, "/", step.step);
      const std::optional<double> ours = rep.Ns(base);
      std::vector<std::string> ops;
      for (Op op : step.ops) ops.push_back(OpName(op));
      if (step.ops.empty()) {
        std::printf(
            "%s_%s: %s ns, no asymmetric operation (primitive floor 0)\n",
            mf.mode, step.step,
            ours ? absl::StrFormat("%.0f", *ours).c_str() : "n/a");
        continue;
      }
      const std::optional<double> floor =
          rep.Ns(absl::StrCat(mf.mode, "/floor_", step.step));
      if (floor && floor_sum) {
        *floor_sum += *floor;
      } else {
        floor_sum.reset();
      }
      std::printf("%s_%s / primitive floor = %s [%s]\n", mf.mode, step.step,
                  Ratio(ours, floor).c_str(),
                  absl::StrJoin(ops, " + ").c_str());
    }
    std::printf(
        "%s_exchange / primitive floor = %s\n", mf.mode,
        Ratio(rep.Ns(absl::StrCat(mf.mode, "/exchange")), floor_sum).c_str());
  }
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  static DhMode dh;
  static DhhmacMode dhhmac;
  static PkMode pk;
  static RsaRMode rsa_r;
  std::map<std::string, Mode*> modes = {
      {"dh", &dh}, {"dhhmac", &dhhmac}, {"pk", &pk}, {"rsa_r", &rsa_r}};
  for (const ModeFloor& mf : Floors()) {
    if (absl::Status s = CheckFloor(*modes.at(mf.mode), mf); !s.ok()) {
      std::fprintf(stderr, "primitive floor self-check: %s\n",
                   s.ToString().c_str());
      return 1;
    }
  }

  for (const ModeFloor& mf : Floors()) {
    Mode* m = modes.at(mf.mode);
    const std::string n = mf.mode;
    benchmark::RegisterBenchmark((n + "/initiate").c_str(), BM_Initiate, m)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((n + "/respond").c_str(), BM_Respond, m)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((n + "/complete").c_str(), BM_Complete, m)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((n + "/exchange").c_str(), BM_Exchange, m)
        ->Unit(benchmark::kMicrosecond);
    for (const StepFloor& step : mf.steps) {
      if (step.ops.empty()) continue;
      benchmark::RegisterBenchmark((n + "/floor_" + step.step).c_str(),
                                   BM_Floor, m, &step)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  const std::pair<const char*, Op> ops[] = {
      {"op/dh_keygen", Op::kDhKeygen},
      {"op/dh_derive", Op::kDhDeriveResponder},
      {"op/rsa_sign", Op::kSignI},
      {"op/rsa_verify", Op::kVerifySignI},
      {"op/cert_rsa_verify", Op::kCertVerifyAlice},
  };
  for (const auto& [name, op] : ops) {
    benchmark::RegisterBenchmark(name, BM_Op, op, &dh)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("op/rsa_encrypt", BM_Op, Op::kEncryptToBob, &pk)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("op/rsa_decrypt", BM_Op, Op::kDecryptBob, &pk)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("op/dh_subgroup_modexp", BM_OpSubgroupModexp,
                               &dh)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("op/dh_subgroup_legendre", BM_OpSubgroupLegendre,
                               &dh)
      ->Unit(benchmark::kMicrosecond);
  RegisterOurs(&dh);

  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  PrintRatios(reporter);

  for (const std::string& e : reporter.errors()) {
    std::fprintf(stderr, "benchmark error: %s\n", e.c_str());
  }
  return reporter.errors().empty() ? 0 : 1;
}

}  // namespace
}  // namespace bench
}  // namespace mikey

int main(int argc, char** argv) { return mikey::bench::Main(argc, argv); }
