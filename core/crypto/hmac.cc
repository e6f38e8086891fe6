// HMAC_CTX is deprecated in OpenSSL 3 in favour of EVP_MAC, which BoringSSL
// lacks; HMAC_CTX is the API both share, so silence the deprecation here.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "core/crypto/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/openssl_util.h"

namespace mikey {
namespace {

using crypto_internal::FitsInt;
using crypto_internal::OpenSslError;

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
  // A non-null pointer even for an empty key: a null key would mean "reuse
  // the previous key" to HMAC_Init_ex.
  static const uint8_t kEmpty = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  if (HMAC_Init_ex(ctx, key_ptr, static_cast<int>(key.size()), md, nullptr) !=
      1) {
    HMAC_CTX_free(ctx);
    return OpenSslError("HMAC_Init_ex");
  }
  return HmacContext(alg, ctx);
}

HmacContext::HmacContext(HmacContext&& other) noexcept
    : alg_(other.alg_), ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

HmacContext& HmacContext::operator=(HmacContext&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) HMAC_CTX_free(ctx_);
    alg_ = other.alg_;
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

HmacContext::~HmacContext() {
  // HMAC_CTX_free cleanses the key schedule in both libraries.
  if (ctx_ != nullptr) HMAC_CTX_free(ctx_);
}

absl::Status HmacContext::Update(absl::Span<const uint8_t> data) {
  if (ctx_ == nullptr) return absl::FailedPreconditionError("HMAC: moved-from");
  if (data.empty()) return absl::OkStatus();
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
  unsigned int len = 0;
  if (HMAC_Final(ctx_, out.data(), &len) != 1) {
    return OpenSslError("HMAC_Final");
  }
  if (len != out.size()) return absl::InternalError("HMAC: unexpected length");
  // Restart with the same key (null key and md: reuse both).
  if (HMAC_Init_ex(ctx_, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("HMAC_Init_ex (reset)");
  }
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
  absl::StatusOr<std::vector<uint8_t>> expected = HmacConcat(alg, key, pieces);
  if (!expected.ok()) return expected.status();
  const bool equal =
      ConstantTimeEquals(absl::MakeConstSpan(*expected).first(mac.size()), mac);
  SecureWipe(expected->data(), expected->size());
  if (!equal) return absl::InvalidArgumentError("MAC mismatch");
  return absl::OkStatus();
}

}  // namespace mikey
