// Writes the seed corpora of the fuzz targets, corpus/<target>/<name>:
//
//   bazel run //tests/fuzz:make_corpus [-- OUT_DIR]
//
// (OUT_DIR defaults to tests/fuzz/corpus of the workspace `bazel run` is
// called from.) Seeds are messages the exchanges themselves build with the
// same fixed PSK, identities, clock and deterministic random source as the
// fuzz targets (fuzz_util.h), so the targets' own initiations and these
// answers match; the MIKEY-NULL samples of deployed peers
// (tests/interop/testdata/*.b64); a few hand-made messages for payloads the
// exchanges never send; and SDP / RTSP text. Messages that carry signatures
// or RSA ciphertexts are written in the form the fix-up variants read
// (secrets in clear, signatures zero), so the output does not depend on the
// RSA keys generated at run time: running this twice writes the same files.
// Each seed starts with the target's flag octet (see each *_fuzzer.cc),
// except for message_fuzzer.
//
// Files of fuzzer-found crashes that are kept as regression inputs are named
// crash-*; this program never writes or deletes those.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/crypto/random.h"
#include "core/exchange/dh.h"
#include "core/exchange/dhhmac.h"
#include "core/exchange/null_mode.h"
#include "core/exchange/pk.h"
#include "core/exchange/psk.h"
#include "core/exchange/rsa_r.h"
#include "core/message/message.h"
#include "core/replay/counter_store.h"
#include "core/sdp/key_mgmt.h"
#include "service/keystore/keystore.h"
#include "service/state/state_token.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

namespace fs = std::filesystem;

template <typename T>
T Must(absl::StatusOr<T> v, absl::string_view what) {
  if (!v.ok()) {
    std::fprintf(stderr, "make_corpus: %s: %s\n", std::string(what).c_str(),
                 v.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(v);
}

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}

  // Writes `data` as corpus/<target>/<name>, with the flag octet in front
  // unless `flags` is negative.
  void Add(const std::string& target, const std::string& name, int flags,
           absl::Span<const uint8_t> data) {
    Bytes out;
    if (flags >= 0) out.push_back(static_cast<uint8_t>(flags));
    out.insert(out.end(), data.begin(), data.end());
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    const fs::path path = dir / name;
    if (!WriteFile(path.string(), out)) {
      std::fprintf(stderr, "make_corpus: cannot write %s\n",
                   path.string().c_str());
      std::exit(1);
    }
    ++written_;
  }
  // Also as a message_fuzzer seed.
  void AddMessage(const std::string& name, absl::Span<const uint8_t> wire) {
    Add("message_fuzzer", name, -1, wire);
  }

  size_t written() const { return written_; }

 private:
  fs::path root_;
  size_t written_ = 0;
};

Bytes AsBytes(absl::string_view s) { return Bytes(s.begin(), s.end()); }

Message Parse(absl::Span<const uint8_t> wire) {
  return Must(ParseMessage(wire), "parse own message");
}

Bytes Serialize(const Message& m) {
  return Must(SerializeMessage(m), "serialize own message");
}

// Zeroes the signature of a message whose last payload is SIGN.
Message ZeroSignature(Message m) {
  if (auto* s = std::get_if<SignPayload>(&m.payloads.back())) {
    std::fill(s->signature.begin(), s->signature.end(), 0);
  }
  return m;
}

// The KEMAC of `m` decrypted in place (keys from `key`, RAND `rand`, T value
// `t`), its MAC zeroed: the form the fix-up variants read.
void DecryptKemacInPlace(Message* m, absl::Span<const uint8_t> key,
                         absl::Span<const uint8_t> rand, uint64_t t) {
  KemacPayload& kemac =
      std::get<KemacPayload>(m->payloads[*IndexOf<KemacPayload>(*m)]);
  // RSA-R group mode (RFC 4738 §3.6): a CSB_ID General Extension's CSB ID
  // keys the KEMAC.
  uint32_t csb_id = m->header.csb_id;
  for (const GeneralExtensionPayload* g :
       m->FindAll<GeneralExtensionPayload>()) {
    if (g->type == gen_ext_type::kCsbId && g->data.size() == 4) {
      csb_id = (uint32_t{g->data[0]} << 24) | (uint32_t{g->data[1]} << 16) |
               (uint32_t{g->data[2]} << 8) | g->data[3];
    }
  }
  kemac.encr_data =
      Must(DecryptKemacData(*PrfHash(m->header.prf_func), key, csb_id, rand, t,
                            kemac.encr_alg, kemac.encr_data),
           "decrypt KEMAC");
  std::fill(kemac.mac.begin(), kemac.mac.end(), 0);
}

// By value: RandPayload::rand is not a Bytes (a reference would dangle).
Bytes RandOf(const Message& m) {
  const auto& r = m.Find<RandPayload>()->rand;
  return Bytes(r.begin(), r.end());
}
uint64_t TOf(const Message& m) { return m.Find<TimestampPayload>()->value; }

// --- Interop samples and hand-made messages --------------------------------

std::vector<std::pair<std::string, Bytes>> InteropSamples(
    const fs::path& workspace) {
  std::vector<std::pair<std::string, Bytes>> out;
  const fs::path dir = workspace / "tests/interop/testdata";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".b64") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    std::ifstream f(p);
    std::string text;  // line-wrapped base64 too
    for (std::istreambuf_iterator<char> it(f), end; it != end; ++it) {
      if (*it != '\n' && *it != '\r') text.push_back(*it);
    }
    out.emplace_back(p.stem().string(),
                     Must(sdp::DecodeBase64(text), p.string()));
  }
  if (out.empty()) {
    std::fprintf(stderr, "make_corpus: no samples in %s\n",
                 dir.string().c_str());
    std::exit(1);
  }
  return out;
}

// Messages with the payloads and header forms no exchange here sends.
void HandMade(Corpus& c, absl::Span<const uint8_t> x509) {
  {  // GENERIC-ID map (RFC 6043), IDR, SAKKE, general extension.
    Message m;
    m.header.data_type = data_type::kSakkeInit;
    m.header.prf_func = prf_func::kMikey256;
    m.header.csb_id = kCsbId;
    m.header.cs_id_map_type = cs_id_map_type::kGenericId;
    GenericCsEntry e;
    e.cs_id = 1;
    e.prot_type = 0;
    e.s_flag = true;
    e.policy_nos = {0, 1};
    e.session_data = {1, 2, 3, 4, 5, 6, 7, 8};
    e.spi = {0xaa, 0xbb};
    m.header.generic_map.push_back(e);
    m.payloads.push_back(TimestampPayload{ts_type::kNtpUtc32, 0x12345678});
    m.payloads.push_back(RandPayload{Bytes(16, 0x5a)});
    m.payloads.push_back(IdrPayload{1, id_type::kUri, AsBytes(kInitiatorUri)});
    m.payloads.push_back(IdrPayload{2, id_type::kByteString, Bytes(5, 0x01)});
    m.payloads.push_back(SakkePayload{1, 1, Bytes(40, 0x77)});
    m.payloads.push_back(
        GeneralExtensionPayload{gen_ext_type::kSdpIds, Bytes{0, 1, 2, 3}});
    m.payloads.push_back(SignPayload{sign_type::kEccsi, Bytes(32, 0)});
    c.AddMessage("handmade-generic-id-sakke", Serialize(m));
  }
  {  // Empty CS ID map, ERR, CERT, CHASH, DH with an interval key validity.
    Message m;
    m.header.data_type = data_type::kError;
    m.header.cs_id_map_type = cs_id_map_type::kEmpty;
    m.header.empty_map_cs_count = 2;
    m.payloads.push_back(TimestampPayload{ts_type::kCounter, 7});
    m.payloads.push_back(ErrorPayload{error_no::kInvalidTs, 0});
    m.payloads.push_back(ErrorPayload{error_no::kInvalidSp, 0});
    m.payloads.push_back(
        CertPayload{cert_type::kX509v3, Bytes(x509.begin(), x509.end())});
    m.payloads.push_back(ChashPayload{hash_func::kMd5, Bytes(16, 0x33)});
    KeyValidity kv;
    kv.type = key_validity::kInterval;
    kv.valid_from = {0, 0, 1};
    kv.valid_to = {0xff, 0xff, 0xff};
    m.payloads.push_back(DhPayload{dh_group::kX25519Private, Bytes(32, 9), kv});
    m.payloads.push_back(
        VerificationPayload{mac_alg::kHmacSha256_256, Bytes(32, 0x11)});
    c.AddMessage("handmade-error-cert-chash", Serialize(m));
  }
  {  // A key data chain on its own: TGK+SALT with SPI, TEK with interval.
    KeyDataPayload a;
    a.type = key_data_type::kTgkSalt;
    a.key = SecretBytes(Bytes(16, 1));
    a.salt = SecretBytes(Bytes(14, 2));
    a.validity.type = key_validity::kSpi;
    a.validity.spi = {0xde, 0xad, 0xbe, 0xef};
    KeyDataPayload b;
    b.type = key_data_type::kTek;
    b.key = SecretBytes(Bytes(30, 3));
    b.validity.type = key_validity::kInterval;
    b.validity.valid_from = {1};
    b.validity.valid_to = {2, 3};
    const std::vector<KeyDataPayload> chain = {a, b};
    const SecretBytes wire = Must(SerializeKeyDataList(chain), "key data");
    c.AddMessage("keydata-chain", wire.span());
  }
}

// --- SDP / RTSP --------------------------------------------------------------

void SdpSeeds(Corpus& c, absl::Span<const uint8_t> mikey) {
  const std::string b64 = sdp::EncodeBase64(mikey);
  const Bytes tail(mikey.begin(),
                   mikey.begin() + std::min<size_t>(mikey.size(), 40));
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"sdp-crlf-session",
       absl::StrCat("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                    "a=key-mgmt:mikey ",
                    b64,
                    "\r\nm=video 0 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n")},
      {"sdp-lf-media",
       absl::StrCat("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n"
                    "m=audio 0 RTP/SAVP 0\na=key-mgmt:mikey ",
                    b64, "\nm=video 0 RTP/SAVP 96\na=key-mgmt:other AAAA\n")},
      {"sdp-no-media", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
      {"rtsp-gstreamer",
       absl::StrCat("KeyMgmt: prot=mikey; uri=\"rtsp://h/s\"; data=\"", b64,
                    "\"")},
      {"rtsp-gortsplib",
       absl::StrCat("prot=mikey;uri=\"rtsp://h:8554/a\\\"b\";data=\"", b64,
                    "\"")},
      {"rtsp-onvif-two-specs",
       absl::StrCat("KeyMgmt: prot=other; data=\"x\", prot=MIKEY; uri=\"\"; "
                    "data=",
                    b64)},
      {"attribute", absl::StrCat("a=key-mgmt:mikey ", b64)},
      {"attribute-value", absl::StrCat("  mikey\t", b64, "  ")},
      {"base64", b64},
  };
  for (const auto& [name, text] : texts) {
    Bytes data = AsBytes(text);
    data.insert(data.end(), tail.begin(), tail.end());
    c.Add("sdp_fuzzer", name, static_cast<int>(tail.size()), data);
  }
}

// --- Exchanges ---------------------------------------------------------------

void PskSeeds(Corpus& c) {
  const SecretBytes psk = FuzzPsk();
  exchange::FixedClock clock(FuzzNow());
  struct Variant {
    std::string name;
    uint8_t prf;
    uint8_t encr;
    bool counter;
  };
  const std::vector<Variant> variants = {
      {"mikey1-aescm", prf_func::kMikey1, encr_alg::kAesCm128, false},
      {"mikey256-aeskw", prf_func::kMikey256, encr_alg::kAesKw128, false},
      {"mikey1-counter", prf_func::kMikey1, encr_alg::kAesCm128, true},
  };
  for (const Variant& v : variants) {
    exchange::PskInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.prf_func = v.prf;
    o.encr_alg = v.encr;
    o.v_flag = true;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    if (v.counter) o.counter = 42;
    o.tgk_validity.type = key_validity::kSpi;
    o.tgk_validity.spi = {1, 2, 3, 4};
    DeterministicRandom rng(kRngSeed);
    const Bytes i =
        Must(exchange::InitiatePsk(o, psk.span(), clock, rng), "InitiatePsk")
            .i_message;
    c.AddMessage("psk-i-" + v.name, i);
    const int counter_flag = v.counter ? 0x10 : 0;
    c.Add("psk_fuzzer", "respond-raw-" + v.name, 0x06 | counter_flag, i);
    Message plain = Parse(i);
    DecryptKemacInPlace(&plain, psk.span(), RandOf(plain), TOf(plain));
    c.Add("psk_fuzzer", "respond-fixup-" + v.name, 0x07 | counter_flag,
          Serialize(plain));

    exchange::PskResponderOptions ro;
    ro.skip_replay_check = true;
    ro.id_r = UriId(kResponderUri);
    replay::InMemoryCounterStore counters(4);
    if (v.counter) ro.counter_store = &counters;
    exchange::PskResponse r = exchange::RespondPsk(i, psk.span(), ro, clock);
    if (!r.status.ok() || r.reply.empty()) {
      std::fprintf(stderr, "make_corpus: RespondPsk: %s\n",
                   r.status.ToString().c_str());
      std::exit(1);
    }
    c.AddMessage("psk-r-" + v.name, r.reply);
    if (v.name == "mikey1-aescm") {  // the fuzzer's own I_MESSAGE
      c.Add("psk_fuzzer", "verify-raw", 0x42, r.reply);
      c.Add("psk_fuzzer", "verify-fixup", 0x43, r.reply);
      // An Error message with V: answer a message with a wrong MAC.
      Bytes bad = i;
      bad.back() ^= 1;
      exchange::PskResponse e =
          exchange::RespondPsk(bad, psk.span(), ro, clock);
      c.AddMessage("psk-error", e.reply);
      c.Add("psk_fuzzer", "verify-error", 0x43, e.reply);
    }
  }
}

void NullSeeds(Corpus& c,
               const std::vector<std::pair<std::string, Bytes>>& samples) {
  for (const auto& [name, wire] : samples) {
    if (name.rfind("x509", 0) == 0) continue;  // not a MIKEY message
    c.AddMessage("interop-" + name, wire);
    c.Add("null_fuzzer", name, 0x00, wire);
    c.Add("psk_fuzzer", "null-" + name, 0x28, wire);
  }
  exchange::FixedClock clock(FuzzNow());
  exchange::NullInitiatorOptions o;
  for (const exchange::PskStreamSpec& s : FuzzStreams()) {
    o.streams.push_back(exchange::NullStreamSpec{s.ssrc, s.roc, s.policy});
  }
  o.csb_id = kCsbId;
  o.per_stream_keys = true;
  DeterministicRandom rng(kRngSeed);
  const Bytes i =
      Must(exchange::InitiateNull(o, clock, rng), "InitiateNull").i_message;
  c.AddMessage("null-i", i);
  c.Add("null_fuzzer", "initiate-null", 0x03, i);
  c.Add("psk_fuzzer", "null-initiate", 0x0a, i);
}

constexpr uint8_t kGroups[] = {dh_group::kOakley5, dh_group::kOakley2,
                               dh_group::kOakley1, dh_group::kX25519Private};

std::string GroupName(uint8_t g) {
  return g == dh_group::kX25519Private ? "x25519"
                                       : absl::StrCat("oakley", g == 0 ? 5 : g);
}

void DhhmacSeeds(Corpus& c) {
  const SecretBytes psk = FuzzPsk();
  exchange::FixedClock clock(FuzzNow());
  for (uint8_t g : kGroups) {
    exchange::DhhmacInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.dh_group = g;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    DeterministicRandom rng(kRngSeed + g);
    const exchange::DhhmacInitiation init = Must(
        exchange::InitiateDhhmac(o, psk.span(), clock, rng), "InitiateDhhmac");
    const std::string n = GroupName(g);
    c.AddMessage("dhhmac-i-" + n, init.i_message);
    c.Add("dhhmac_fuzzer", "respond-raw-" + n, 0x22, init.i_message);
    c.Add("dhhmac_fuzzer", "respond-fixup-own-dh-" + n, 0x27, init.i_message);
    c.Add(
        "dhhmac_fuzzer", "state-" + n, 0x40,
        Must(exchange::SerializeDhInitiatorState(init.state), "state").span());

    exchange::DhhmacResponderOptions ro;
    ro.skip_replay_check = true;
    ro.id_r = UriId(kResponderUri);
    ro.allowed_dh_groups = {kGroups[0], kGroups[1], kGroups[2], kGroups[3]};
    DeterministicRandom rrng(kRngSeed);
    exchange::DhResponse r =
        exchange::RespondDhhmac(init.i_message, psk.span(), ro, clock, rrng);
    if (!r.status.ok()) {
      std::fprintf(stderr, "make_corpus: RespondDhhmac: %s\n",
                   r.status.ToString().c_str());
      std::exit(1);
    }
    c.AddMessage("dhhmac-r-" + n, r.reply);
    c.Add("dhhmac_fuzzer", "complete-raw-" + n, 0x0a, r.reply);
    c.Add("dhhmac_fuzzer", "complete-fixup-" + n, 0x0b, r.reply);
  }
}

void DhSeeds(Corpus& c, absl::Span<const uint8_t> x509) {
  const FuzzPki& pki = FuzzPki::Get();
  exchange::FixedClock clock(FuzzNow());
  for (uint8_t g : kGroups) {
    exchange::DhInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.dh_group = g;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    o.credential = pki.InitiatorCredential();
    o.send_certificate = false;
    DeterministicRandom rng(kRngSeed + g);
    const exchange::DhInitiation init =
        Must(exchange::InitiateDh(o, clock, rng), "InitiateDh");
    const std::string n = GroupName(g);
    const Message im = Parse(init.i_message);
    c.AddMessage("dh-i-" + n, Serialize(ZeroSignature(im)));
    c.Add("dh_fuzzer", "respond-fixup-" + n, 0x23,
          Serialize(ZeroSignature(im)));
    c.Add("dh_fuzzer", "respond-fixup-own-dh-" + n, 0x27,
          Serialize(ZeroSignature(im)));
    if (g == dh_group::kOakley2) {  // with a CERTi (the harness swaps it)
      Message with_cert = ZeroSignature(im);
      with_cert.payloads.insert(
          with_cert.payloads.begin() + 2,
          CertPayload{cert_type::kX509v3, Bytes(x509.begin(), x509.end())});
      c.Add("dh_fuzzer", "respond-fixup-cert-" + n, 0x27, Serialize(with_cert));
    }

    exchange::DhResponderOptions ro;
    ro.skip_replay_check = true;
    ro.verifier = pki.verifier.get();
    ro.initiator_chain = {pki.initiator.cert};
    ro.min_rsa_bits = kFuzzRsaBits;
    ro.credential = pki.ResponderCredential();
    ro.send_certificate = false;
    ro.id_r = UriId(kResponderUri);
    ro.allowed_dh_groups = {kGroups[0], kGroups[1], kGroups[2], kGroups[3]};
    DeterministicRandom rrng(kRngSeed);
    exchange::DhModeResponse r =
        exchange::RespondDh(init.i_message, ro, clock, rrng);
    if (!r.status.ok()) {
      std::fprintf(stderr, "make_corpus: RespondDh: %s\n",
                   r.status.ToString().c_str());
      std::exit(1);
    }
    const Bytes reply = Serialize(ZeroSignature(Parse(r.reply)));
    c.AddMessage("dh-r-" + n, reply);
    c.Add("dh_fuzzer", "complete-fixup-" + n, 0x0b, reply);
  }
}

void PkSeeds(Corpus& c) {
  const FuzzPki& pki = FuzzPki::Get();
  exchange::FixedClock clock(FuzzNow());
  struct Variant {
    std::string name;
    uint8_t encr;
    bool chash;
  };
  const std::vector<Variant> variants = {
      {"aescm", encr_alg::kAesCm128, false},
      {"aeskw-chash", encr_alg::kAesKw128, true},
  };
  for (const Variant& v : variants) {
    exchange::PkInitiatorOptions o;
    o.streams = FuzzStreams();
    o.csb_id = kCsbId;
    o.v_flag = true;
    o.encr_alg = v.encr;
    o.credential = pki.InitiatorCredential();
    o.send_certificate = false;
    o.id_i = UriId(kInitiatorUri);
    o.id_r = UriId(kResponderUri);
    o.responder_certificate = pki.responder.cert;
    o.send_chash = v.chash;
    DeterministicRandom rng(kRngSeed);
    const exchange::PkInitiation init =
        Must(exchange::InitiatePk(o, clock, rng), "InitiatePk");

    // Secrets in clear: PKE = the envelope key, KEMAC = IDi || TGK.
    Message plain = ZeroSignature(Parse(init.i_message));
    DecryptKemacInPlace(&plain, init.envelope_key.span(), RandOf(plain),
                        TOf(plain));
    for (Payload& p : plain.payloads) {
      if (auto* pke = std::get_if<PkePayload>(&p)) {
        pke->data.assign(init.envelope_key.span().begin(),
                         init.envelope_key.span().end());
      }
      if (auto* ch = std::get_if<ChashPayload>(&p)) {
        std::fill(ch->hash.begin(), ch->hash.end(), 0);
      }
    }
    c.AddMessage("pk-i-" + v.name, Serialize(plain));
    c.Add("pk_fuzzer", "respond-fixup-" + v.name, 0x03, Serialize(plain));
    c.Add("pk_fuzzer", "respond-signonly-" + v.name, 0x43, Serialize(plain));

    exchange::PkResponderOptions ro;
    ro.skip_replay_check = true;
    ro.verifier = pki.verifier.get();
    ro.initiator_chain = {pki.initiator.cert};
    ro.min_rsa_bits = kFuzzRsaBits;
    ro.credentials = {pki.ResponderCredential()};
    ro.id_r = UriId(kResponderUri);
    exchange::PkResponse r = exchange::RespondPk(init.i_message, ro, clock);
    if (!r.status.ok() || r.reply.empty()) {
      std::fprintf(stderr, "make_corpus: RespondPk: %s\n",
                   r.status.ToString().c_str());
      std::exit(1);
    }
    c.AddMessage("pk-r-" + v.name, r.reply);
    if (v.encr == encr_alg::kAesCm128) {  // the fuzzer's own I_MESSAGE
      c.Add("pk_fuzzer", "verify-raw", 0x0a, r.reply);
      c.Add("pk_fuzzer", "verify-fixup", 0x0b, r.reply);
      Bytes bad = init.i_message;
      bad[bad.size() / 2] ^= 1;  // somewhere in the KEMAC / PKE
      exchange::PkResponse e = exchange::RespondPk(bad, ro, clock);
      if (!e.reply.empty()) {
        c.AddMessage("pk-error", e.reply);
        c.Add("pk_fuzzer", "verify-error", 0x0b, e.reply);
      }
    }
  }
}

void RsaRSeeds(Corpus& c) {
  const FuzzPki& pki = FuzzPki::Get();
  exchange::FixedClock clock(FuzzNow());
  exchange::RsaRInitiatorOptions o;
  o.streams = FuzzStreams();
  o.csb_id = kCsbId;
  o.credential = pki.InitiatorCredential();
  o.send_certificate = false;
  o.id_i = UriId(kInitiatorUri);
  o.id_r = UriId(kResponderUri);
  DeterministicRandom rng(kRngSeed);
  const Bytes i = Must(exchange::InitiateRsaR(o, clock, rng), "InitiateRsaR");
  const Message im = Parse(i);
  c.AddMessage("rsa-r-i", Serialize(ZeroSignature(im)));
  c.Add("rsa_r_fuzzer", "respond-fixup", 0x03, Serialize(ZeroSignature(im)));
  c.Add("rsa_r_fuzzer", "respond-fixup-group", 0x43,
        Serialize(ZeroSignature(im)));

  struct Variant {
    std::string name;
    bool group;
  };
  for (const Variant& v : {Variant{"fresh", false}, Variant{"group", true}}) {
    exchange::RsaRResponderOptions ro;
    ro.skip_replay_check = true;
    ro.verifier = pki.verifier.get();
    ro.initiator_chain = {pki.initiator.cert};
    ro.min_rsa_bits = kFuzzRsaBits;
    ro.credential = pki.ResponderCredential();
    ro.send_certificate = false;
    ro.id_r = UriId(kResponderUri);
    if (v.group) {
      ro.group_csb_id = 0x67726f75;
      ro.group_rand = Bytes(16, 0x42);
      ro.group_tgk = SecretBytes(Bytes(32, 0x24));
      ro.encr_alg = encr_alg::kAesKw128;
    }
    DeterministicRandom rrng(kRngSeed);
    exchange::RsaRResponse r = exchange::RespondRsaR(i, ro, clock, rrng);
    if (!r.status.ok()) {
      std::fprintf(stderr, "make_corpus: RespondRsaR: %s\n",
                   r.status.ToString().c_str());
      std::exit(1);
    }
    // Secrets in clear: PKE = the envelope key, KEMAC = IDr || TGK.
    Message plain = ZeroSignature(Parse(r.reply));
    const PkePayload& pke = *plain.Find<PkePayload>();
    const SecretBytes env = Must(
        pki.initiator.key.Decrypt(RsaEncryptionScheme::kPkcs1v15, pke.data),
        "decrypt PKE");
    const Bytes& rand =
        plain.Find<RandPayload>() != nullptr ? RandOf(plain) : RandOf(im);
    DecryptKemacInPlace(&plain, env.span(), rand, TOf(plain));
    for (Payload& p : plain.payloads) {
      if (auto* k = std::get_if<PkePayload>(&p)) {
        k->data.assign(env.span().begin(), env.span().end());
      }
    }
    c.AddMessage("rsa-r-r-" + v.name, Serialize(plain));
    c.Add("rsa_r_fuzzer", "complete-fixup-" + v.name, 0x0b, Serialize(plain));
    c.Add("rsa_r_fuzzer", "complete-signonly-" + v.name, 0x8b,
          Serialize(plain));
  }
}

void StateSeeds(Corpus& c) {
  auto snapshot = std::make_shared<service::keystore::KeySnapshot>();
  for (uint32_t v : {1u, 2u}) {
    if (!snapshot->Add(kStateKeyId, v, StateKeyMaterial(v)).ok()) std::exit(1);
  }
  service::keystore::StaticKeyStore keys(snapshot);
  service::state::StateSealer sealer(&keys, kStateKeyId, absl::Minutes(5));
  DeterministicRandom rng(kRngSeed);
  const Bytes payload = AsBytes("DH initiator state: private value etc.");
  service::state::Binding b;
  b.mode = 3;
  b.csb_id = kCsbId;
  const Bytes token =
      Must(sealer.Seal(b, payload, FuzzNow(), rng), "Seal").token;
  c.Add("state_token_fuzzer", "open-raw", 0x00, token);
  c.Add("state_token_fuzzer", "open-wrong-csb", 0x02, token);
  Bytes plain(token.begin(), token.begin() + service::state::kHeaderSize);
  plain.insert(plain.end(), payload.begin(), payload.end());
  c.Add("state_token_fuzzer", "open-fixup", 0x01, plain);
  Bytes v2 = plain;
  v2[9] = 2;  // key version 2
  c.Add("state_token_fuzzer", "open-fixup-v2", 0x01, v2);
  c.Add("state_token_fuzzer", "seal-open", 0x1c, payload);
}

}  // namespace
}  // namespace fuzz
}  // namespace mikey

int main(int argc, char** argv) {
  using namespace mikey::fuzz;  // NOLINT
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const fs::path workspace = ws != nullptr ? ws : ".";
  const fs::path out =
      argc > 1 ? fs::path(argv[1]) : workspace / "tests/fuzz/corpus";
  // Start from scratch, except for kept crash reproducers.
  if (fs::exists(out)) {
    for (const auto& dir : fs::directory_iterator(out)) {
      if (!dir.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(dir.path())) {
        if (f.path().filename().string().rfind("crash-", 0) != 0) {
          fs::remove(f.path());
        }
      }
    }
  }
  Corpus c(out);
  const auto samples = InteropSamples(workspace);
  mikey::Bytes x509;
  for (const auto& [name, wire] : samples) {
    if (name.rfind("x509", 0) == 0) x509 = wire;
  }
  HandMade(c, x509);
  SdpSeeds(c, samples.front().second);
  PskSeeds(c);
  NullSeeds(c, samples);
  DhhmacSeeds(c);
  DhSeeds(c, x509);
  PkSeeds(c);
  RsaRSeeds(c);
  StateSeeds(c);
  std::printf("make_corpus: wrote %zu files under %s\n", c.written(),
              out.string().c_str());
  return 0;
}
