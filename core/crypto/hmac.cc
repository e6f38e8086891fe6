// HMAC (RFC 2104) built here on the low-level hash functions SHA1_Init,
// SHA256_Init, SHA384_Init, SHA512_Init (and their Update/Final), which
// OpenSSL 3 (deprecated there, not removed) and BoringSSL both provide: the
// hash contexts are plain structs, so a keyed HMAC is three of them and
// restarting one is a struct copy. OpenSSL 3's HMAC_CTX, by contrast, goes
// through the provider layer: every init, final and restart allocates,
// reference-counts and frees provider contexts, and a MIKEY exchange (a
// dozen short MACs: the PRF, the message MAC) spent about a third of its
// time there. The RFC 2202 and RFC 4231 vectors, and a comparison with
// OpenSSL's HMAC() over random keys and messages, pin this down
// (core/crypto/crypto_test.cc).
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "core/crypto/hmac.h"

#include <openssl/sha.h>

#include <cstring>
#include <new>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"

namespace mikey {
namespace {

// One hash computation in progress, of whichever hash.
union HashState {
  SHA_CTX sha1;
  SHA256_CTX sha256;
  SHA512_CTX sha512;  // also SHA-384
};

void HashInit(HashAlg alg, HashState* h) {
  switch (alg) {
    case HashAlg::kSha1:
      SHA1_Init(&h->sha1);
      return;
    case HashAlg::kSha256:
      SHA256_Init(&h->sha256);
      return;
    case HashAlg::kSha384:
      SHA384_Init(&h->sha512);
      return;
    case HashAlg::kSha512:
      SHA512_Init(&h->sha512);
      return;
  }
}

void HashUpdate(HashAlg alg, HashState* h, const uint8_t* data, size_t n) {
  switch (alg) {
    case HashAlg::kSha1:
      SHA1_Update(&h->sha1, data, n);
      return;
    case HashAlg::kSha256:
      SHA256_Update(&h->sha256, data, n);
      return;
    case HashAlg::kSha384:
      SHA384_Update(&h->sha512, data, n);
      return;
    case HashAlg::kSha512:
      SHA512_Update(&h->sha512, data, n);
      return;
  }
}

// Writes DigestLength(alg) octets to `out`.
void HashFinal(HashAlg alg, HashState* h, uint8_t* out) {
  switch (alg) {
    case HashAlg::kSha1:
      SHA1_Final(out, &h->sha1);
      return;
    case HashAlg::kSha256:
      SHA256_Final(out, &h->sha256);
      return;
    case HashAlg::kSha384:
      SHA384_Final(out, &h->sha512);
      return;
    case HashAlg::kSha512:
      SHA512_Final(out, &h->sha512);
      return;
  }
}

bool KnownHash(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
    case HashAlg::kSha256:
    case HashAlg::kSha384:
    case HashAlg::kSha512:
      return true;
  }
  return false;
}

constexpr size_t kMaxBlockLength = 128;

}  // namespace

size_t DigestLength(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

size_t HashBlockLength(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
    case HashAlg::kSha256:
      return 64;
    case HashAlg::kSha384:
    case HashAlg::kSha512:
      return 128;
  }
  return 0;
}

absl::string_view HashAlgName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return "SHA-1";
    case HashAlg::kSha256:
      return "SHA-256";
    case HashAlg::kSha384:
      return "SHA-384";
    case HashAlg::kSha512:
      return "SHA-512";
  }
  return "unknown hash";
}

// The keyed states: after the key's inner pad (the start of every MAC) and
// after its outer pad; `current` is the MAC being computed. Wiped when freed.
struct HmacKeyedState {
  HashState inner;
  HashState outer;
  HashState current;
};

namespace {

void FreeState(HmacKeyedState* state) {
  if (state == nullptr) return;
  SecureWipe(state, sizeof(*state));
  delete state;
}

// Keys `state` with `key` (RFC 2104 section 2: a key longer than the block
// is hashed first; the key, zero-padded to the block, XOR ipad and opad).
void Key(HashAlg alg, absl::Span<const uint8_t> key, HmacKeyedState* state) {
  const size_t block = HashBlockLength(alg);
  uint8_t pad[kMaxBlockLength] = {};
  if (key.size() > block) {
    HashInit(alg, &state->current);
    HashUpdate(alg, &state->current, key.data(), key.size());
    HashFinal(alg, &state->current, pad);
  } else if (!key.empty()) {
    std::memcpy(pad, key.data(), key.size());
  }
  for (size_t i = 0; i < block; ++i) pad[i] ^= 0x36;
  HashInit(alg, &state->inner);
  HashUpdate(alg, &state->inner, pad, block);
  for (size_t i = 0; i < block; ++i) pad[i] ^= 0x36 ^ 0x5c;
  HashInit(alg, &state->outer);
  HashUpdate(alg, &state->outer, pad, block);
  SecureWipe(pad, sizeof(pad));
  state->current = state->inner;
}

}  // namespace

absl::StatusOr<HmacContext> HmacContext::Create(HashAlg alg,
                                                absl::Span<const uint8_t> key) {
  if (!KnownHash(alg)) return absl::InvalidArgumentError("HMAC: unknown hash");
  auto* state = new (std::nothrow) HmacKeyedState;
  if (state == nullptr) {
    return absl::ResourceExhaustedError("HMAC: out of memory");
  }
  Key(alg, key, state);
  return HmacContext(alg, state);
}

HmacContext::HmacContext(HmacContext&& other) noexcept
    : alg_(other.alg_), state_(other.state_) {
  other.state_ = nullptr;
}

HmacContext& HmacContext::operator=(HmacContext&& other) noexcept {
  if (this != &other) {
    FreeState(state_);
    alg_ = other.alg_;
    state_ = other.state_;
    other.state_ = nullptr;
  }
  return *this;
}

absl::Status HmacContext::Rekey(absl::Span<const uint8_t> key) {
  if (state_ == nullptr) {
    return absl::FailedPreconditionError("HMAC: moved-from");
  }
  Key(alg_, key, state_);
  return absl::OkStatus();
}

HmacContext::~HmacContext() { FreeState(state_); }

absl::Status HmacContext::Update(absl::Span<const uint8_t> data) {
  if (state_ == nullptr) {
    return absl::FailedPreconditionError("HMAC: moved-from");
  }
  if (data.empty()) return absl::OkStatus();
  HashUpdate(alg_, &state_->current, data.data(), data.size());
  return absl::OkStatus();
}

absl::Status HmacContext::Finish(absl::Span<uint8_t> out) {
  if (state_ == nullptr) {
    return absl::FailedPreconditionError("HMAC: moved-from");
  }
  if (out.size() != digest_length()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC: output buffer is ", out.size(), " octets, ",
                     HashAlgName(alg_), " needs ", digest_length()));
  }
  // H(K xor opad || H(K xor ipad || data)); then back to the keyed start.
  uint8_t inner_digest[kMaxDigestLength];
  HashFinal(alg_, &state_->current, inner_digest);
  state_->current = state_->outer;
  HashUpdate(alg_, &state_->current, inner_digest, digest_length());
  HashFinal(alg_, &state_->current, out.data());
  SecureWipe(inner_digest, sizeof(inner_digest));
  state_->current = state_->inner;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> HmacContext::Finish() {
  std::vector<uint8_t> out(digest_length());
  absl::Status s = Finish(absl::MakeSpan(out));
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Hmac(HashAlg alg,
                                          absl::Span<const uint8_t> key,
                                          absl::Span<const uint8_t> data) {
  return HmacConcat(alg, key, {data});
}

absl::StatusOr<std::vector<uint8_t>> HmacConcat(
    HashAlg alg, absl::Span<const uint8_t> key,
    std::initializer_list<absl::Span<const uint8_t>> pieces) {
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(alg, key);
  if (!ctx.ok()) return ctx.status();
  for (absl::Span<const uint8_t> piece : pieces) {
    absl::Status s = ctx->Update(piece);
    if (!s.ok()) return s;
  }
  return ctx->Finish();
}

absl::Status VerifyHmac(HashAlg alg, absl::Span<const uint8_t> key,
                        std::initializer_list<absl::Span<const uint8_t>> pieces,
                        absl::Span<const uint8_t> mac) {
  if (mac.size() < 4 || mac.size() > DigestLength(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC-", HashAlgName(alg), ": MAC of ", mac.size(),
                     " octets (expected 4..", DigestLength(alg), ")"));
  }
  absl::StatusOr<HmacContext> ctx = HmacContext::Create(alg, key);
  if (!ctx.ok()) return ctx.status();
  for (absl::Span<const uint8_t> piece : pieces) {
    if (absl::Status s = ctx->Update(piece); !s.ok()) return s;
  }
  uint8_t expected[kMaxDigestLength];
  absl::Status s = ctx->Finish(absl::MakeSpan(expected, DigestLength(alg)));
  const bool equal =
      s.ok() &&
      ConstantTimeEquals(absl::MakeConstSpan(expected, mac.size()), mac);
  SecureWipe(expected, sizeof(expected));
  if (!s.ok()) return s;
  if (!equal) return absl::InvalidArgumentError("MAC mismatch");
  return absl::OkStatus();
}

}  // namespace mikey
