// HMAC_CTX is deprecated in OpenSSL 3 in favour of EVP_MAC, which BoringSSL
// lacks; HMAC_CTX is the API both share, so silence the deprecation here.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "core/crypto/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/openssl_util.h"

namespace mikey {
namespace {

using crypto_internal::FitsInt;
using crypto_internal::OpenSslError;

#if !defined(OPENSSL_IS_BORINGSSL) && OPENSSL_VERSION_NUMBER >= 0x30000000L
// OpenSSL 3 resolves EVP_sha1() & co. to a provider implementation on every
// HMAC_Init_ex that names one (a locked lookup in the provider store, about
// a fifth of a MIKEY exchange's time); an EVP_MD fetched explicitly skips
// that. The function-local statics in Md() hold the fetched EVP_MDs for the
// life of the process. This is not the mutable global state that core
// avoids: each is a constant lookup result, set once by a thread-safe static
// initialisation, never modified, and the same value EVP_sha1() would find
// each time (default library context, default properties). They are never
// freed (a one-time, bounded allocation per hash). If the fetch fails, the
// legacy EVP_MD is used as before.
const EVP_MD* Fetched(const char* name, const EVP_MD* fallback) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}

const EVP_MD* Md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1: {
      static const EVP_MD* const md = Fetched("SHA1", EVP_sha1());
      return md;
    }
    case HashAlg::kSha256: {
      static const EVP_MD* const md = Fetched("SHA256", EVP_sha256());
      return md;
    }
    case HashAlg::kSha384: {
      static const EVP_MD* const md = Fetched("SHA384", EVP_sha384());
      return md;
    }
    case HashAlg::kSha512: {
      static const EVP_MD* const md = Fetched("SHA512", EVP_sha512());
      return md;
    }
  }
  return nullptr;
}
#else
// BoringSSL (and OpenSSL before 3): EVP_sha1() & co. are static tables, no
// lookup to save.
const EVP_MD* Md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return nullptr;
}
#endif

// A non-null pointer even for an empty key: a null key would mean "reuse
// the previous key" to HMAC_Init_ex.
const uint8_t* KeyPointer(absl::Span<const uint8_t> key) {
  static const uint8_t kEmpty = 0;
  return key.empty() ? &kEmpty : key.data();
}

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

absl::StatusOr<HmacContext> HmacContext::Create(HashAlg alg,
                                                absl::Span<const uint8_t> key) {
  const EVP_MD* md = Md(alg);
  if (md == nullptr) return absl::InvalidArgumentError("HMAC: unknown hash");
  if (!FitsInt(key.size())) {
    return absl::InvalidArgumentError("HMAC: key too long");
  }
  HMAC_CTX* ctx = HMAC_CTX_new();
  if (ctx == nullptr) return OpenSslError("HMAC_CTX_new");
  if (HMAC_Init_ex(ctx, KeyPointer(key), static_cast<int>(key.size()), md,
                   nullptr) != 1) {
    HMAC_CTX_free(ctx);
    return OpenSslError("HMAC_Init_ex");
  }
  return HmacContext(alg, ctx);
}

HmacContext::HmacContext(HmacContext&& other) noexcept
    : alg_(other.alg_), ctx_(other.ctx_), finished_(other.finished_) {
  other.ctx_ = nullptr;
}

HmacContext& HmacContext::operator=(HmacContext&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) HMAC_CTX_free(ctx_);
    alg_ = other.alg_;
    ctx_ = other.ctx_;
    finished_ = other.finished_;
    other.ctx_ = nullptr;
  }
  return *this;
}

absl::Status HmacContext::Restart() {
  if (!finished_) return absl::OkStatus();
  // Null key and md: restart with both unchanged (a copy of the keyed inner
  // state, no new key schedule).
  if (HMAC_Init_ex(ctx_, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("HMAC_Init_ex (reset)");
  }
  finished_ = false;
  return absl::OkStatus();
}

absl::Status HmacContext::Rekey(absl::Span<const uint8_t> key) {
  if (ctx_ == nullptr) return absl::FailedPreconditionError("HMAC: moved-from");
  if (!FitsInt(key.size())) {
    return absl::InvalidArgumentError("HMAC: key too long");
  }
  if (HMAC_Init_ex(ctx_, KeyPointer(key), static_cast<int>(key.size()),
                   Md(alg_), nullptr) != 1) {
    return OpenSslError("HMAC_Init_ex");
  }
  finished_ = false;
  return absl::OkStatus();
}

HmacContext::~HmacContext() {
  // HMAC_CTX_free cleanses the key schedule in both libraries.
  if (ctx_ != nullptr) HMAC_CTX_free(ctx_);
}

absl::Status HmacContext::Update(absl::Span<const uint8_t> data) {
  if (ctx_ == nullptr) return absl::FailedPreconditionError("HMAC: moved-from");
  if (data.empty()) return absl::OkStatus();
  if (absl::Status s = Restart(); !s.ok()) return s;
  if (HMAC_Update(ctx_, data.data(), data.size()) != 1) {
    return OpenSslError("HMAC_Update");
  }
  return absl::OkStatus();
}

absl::Status HmacContext::Finish(absl::Span<uint8_t> out) {
  if (ctx_ == nullptr) return absl::FailedPreconditionError("HMAC: moved-from");
  if (out.size() != digest_length()) {
    return absl::InvalidArgumentError(
        absl::StrCat("HMAC: output buffer is ", out.size(), " octets, ",
                     HashAlgName(alg_), " needs ", digest_length()));
  }
  if (absl::Status s = Restart(); !s.ok()) return s;
  unsigned int len = 0;
  // Whatever happens next, the context must restart before its next use.
  finished_ = true;
  if (HMAC_Final(ctx_, out.data(), &len) != 1) {
    return OpenSslError("HMAC_Final");
  }
  if (len != out.size()) return absl::InternalError("HMAC: unexpected length");
  // The restart with the same key happens on the next Update() or Finish(),
  // so a context used for its last MAC never pays for it.
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
