// Fuzzes the state token opener (service/state/state_token.h): the sealed
// blob a caller hands back to Complete, i.e. attacker-controlled input to
// mikeyd. The library has no gRPC in it, so it is fuzzed like core.
//
// The first input octet selects (bit flags):
//   0x01  fix-up: the input's first 46 octets are the token header as it
//         is (magic, format, mode, key version, expiry, salt, IV) and the
//         rest is the payload in clear; the harness seals it the way Seal()
//         does (AES-256-GCM under HMAC-SHA-256(state key, label || salt),
//         AAD = header || CSB ID || key id) when the key version is one the
//         keystore holds, so the checks after authentication are reached;
//   0x02  open with another CSB ID than the one sealed for (must fail);
//   0x04  round trip: Seal() the input as a payload, then Open() it.
//
// Properties: no crash; Open() succeeds only for authentic tokens of the
// right exchange, returning exactly the sealed payload, mode and version.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/aes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "service/keystore/keystore.h"
#include "service/state/state_token.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace fuzz {
namespace {

using service::state::kHeaderSize;

constexpr const char* kKeyId = kStateKeyId;

struct Fixed {
  std::unique_ptr<service::keystore::StaticKeyStore> keys;
  std::unique_ptr<service::state::StateSealer> sealer;
};

const Fixed& Get() {
  static const Fixed* f = [] {
    auto snapshot = std::make_shared<service::keystore::KeySnapshot>();
    for (uint32_t v : {1u, 2u}) {
      FUZZ_CHECK(snapshot->Add(kKeyId, v, StateKeyMaterial(v)).ok(),
                 "keystore");
    }
    auto* f = new Fixed();
    f->keys = std::make_unique<service::keystore::StaticKeyStore>(snapshot);
    f->sealer = std::make_unique<service::state::StateSealer>(
        f->keys.get(), kKeyId, absl::Minutes(5));
    return f;
  }();
  return *f;
}

uint32_t ReadU32(absl::Span<const uint8_t> b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) |
         (uint32_t{b[at + 2]} << 8) | uint32_t{b[at + 3]};
}

// Seals `data` (header || payload in clear) as Seal() would; nullopt when the
// header names a key version the keystore does not hold.
std::optional<Bytes> Reseal(absl::Span<const uint8_t> data) {
  if (data.size() < kHeaderSize) return std::nullopt;
  const absl::Span<const uint8_t> header = data.first(kHeaderSize);
  const uint32_t version = ReadU32(header, 6);
  if (version != 1 && version != 2) return std::nullopt;
  const absl::Span<const uint8_t> salt = header.subspan(18, 16);
  const absl::Span<const uint8_t> iv = header.subspan(34, kGcmIvLength);
  const std::string label = "mikey-broker state token v1";
  const Bytes material = StateKeyMaterial(version);
  absl::StatusOr<std::vector<uint8_t>> key = HmacConcat(
      HashAlg::kSha256, material,
      {absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(label.data()),
                           label.size()),
       salt});
  FUZZ_CHECK(key.ok(), "token key");
  Bytes aad(header.begin(), header.end());
  for (int i = 3; i >= 0; --i)
    aad.push_back(static_cast<uint8_t>(kCsbId >> (8 * i)));
  aad.insert(aad.end(), kKeyId, kKeyId + std::string(kKeyId).size());
  absl::StatusOr<std::vector<uint8_t>> sealed =
      AesGcmSeal(*key, iv, aad, data.subspan(kHeaderSize));
  FUZZ_CHECK(sealed.ok(), "AES-GCM seal");
  Bytes token(header.begin(), header.end());
  token.insert(token.end(), sealed->begin(), sealed->end());
  return token;
}

void Fuzz(const Split& in) {
  const Fixed& f = Get();
  const absl::Time now = FuzzNow();
  const uint32_t csb = (in.flags & 0x02) ? kCsbId + 1 : kCsbId;

  if (in.flags & 0x04) {
    DeterministicRandom rng(kRngSeed);
    service::state::Binding b;
    b.mode = in.flags >> 3;
    b.csb_id = kCsbId;
    absl::StatusOr<service::state::SealedState> s =
        f.sealer->Seal(b, in.data, now, rng);
    if (!s.ok()) return;  // too large
    absl::StatusOr<service::state::OpenedState> o =
        f.sealer->Open(s->token, csb, now);
    if (csb != kCsbId) {
      FUZZ_CHECK(!o.ok(), "a token opened for another exchange");
      return;
    }
    FUZZ_CHECK(o.ok(), absl::StrCat("a fresh token does not open: ",
                                    o.status().ToString()));
    FUZZ_CHECK(o->payload.span() == in.data && o->mode == b.mode &&
                   o->key_version == s->key_version,
               "a token opened to something else than was sealed");
    return;
  }

  std::optional<Bytes> token;
  absl::Span<const uint8_t> wire = in.data;
  if (in.flags & 0x01) {
    token = Reseal(in.data);
    if (!token) return;
    wire = *token;
  }
  absl::StatusOr<service::state::OpenedState> o =
      f.sealer->Open(wire, csb, now);
  Report("Open", o.status());
  if (!o.ok()) return;
  FUZZ_CHECK(csb == kCsbId, "a token opened for another exchange");
  FUZZ_CHECK(o->expires > now, "an expired token opened");
  if (!token) return;  // a real token (the corpus has some): content unknown
  FUZZ_CHECK(o->payload.span() == in.data.subspan(kHeaderSize),
             "opened payload differs from the sealed one");
  FUZZ_CHECK(o->mode == in.data[5] && o->key_version == ReadU32(in.data, 6),
             "opened mode or version differs from the header");
}

}  // namespace
}  // namespace fuzz
}  // namespace mikey

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mikey::fuzz::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mikey::fuzz::Fuzz(mikey::fuzz::SplitInput(data, size));
  return 0;
}
