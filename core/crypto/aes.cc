// AES_wrap_key/AES_unwrap_key and AES_set_*_key are deprecated in OpenSSL 3,
// but EVP_aes_*_wrap does not exist in BoringSSL: the AES_* key wrap calls
// are the API both share.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "core/crypto/aes.h"

#include <openssl/aes.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/crypto/openssl_util.h"

namespace mikey {
namespace {

using crypto_internal::FitsInt;
using crypto_internal::OpenSslError;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

absl::Status CheckKeyLength(absl::string_view mode, size_t n) {
  if (n == 16 || n == 24 || n == 32) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(mode, ": key of ", n, " octets (expected 16, 24 or 32)"));
}

#if !defined(OPENSSL_IS_BORINGSSL) && OPENSSL_VERSION_NUMBER >= 0x30000000L
// OpenSSL 3 resolves EVP_aes_128_ctr() & co. in its provider store (a locked
// lookup) on every EVP_EncryptInit_ex that names one; an EVP_CIPHER fetched
// explicitly skips that. The function-local statics hold the fetched
// ciphers for the life of the process: constant lookup results (default
// library context and properties, what EVP_aes_* would find each time), set
// once by thread-safe static initialisation, never modified or freed. Not
// the mutable global state core avoids. The legacy cipher is the fallback.
const EVP_CIPHER* Fetched(const char* name, const EVP_CIPHER* fallback) {
  const EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, name, nullptr);
  return c != nullptr ? c : fallback;
}
#define MIKEY_FETCHED_CIPHER(name, legacy)                      \
  [] {                                                          \
    static const EVP_CIPHER* const c = Fetched(name, legacy()); \
    return c;                                                   \
  }()
#else
// BoringSSL: EVP_aes_*() are static tables, no lookup to save.
#define MIKEY_FETCHED_CIPHER(name, legacy) legacy()
#endif

const EVP_CIPHER* CtrCipher(size_t key_len) {
  switch (key_len) {
    case 16:
      return MIKEY_FETCHED_CIPHER("AES-128-CTR", EVP_aes_128_ctr);
    case 24:
      return MIKEY_FETCHED_CIPHER("AES-192-CTR", EVP_aes_192_ctr);
    default:
      return MIKEY_FETCHED_CIPHER("AES-256-CTR", EVP_aes_256_ctr);
  }
}

const EVP_CIPHER* GcmCipher(size_t key_len) {
  switch (key_len) {
    case 16:
      return MIKEY_FETCHED_CIPHER("AES-128-GCM", EVP_aes_128_gcm);
    case 24:
      return MIKEY_FETCHED_CIPHER("AES-192-GCM", EVP_aes_192_gcm);
    default:
      return MIKEY_FETCHED_CIPHER("AES-256-GCM", EVP_aes_256_gcm);
  }
}

#undef MIKEY_FETCHED_CIPHER

bool PartiallyOverlap(absl::Span<const uint8_t> a, absl::Span<uint8_t> b) {
  if (a.empty() || b.empty() || a.data() == b.data()) return false;
  const uint8_t* a0 = a.data();
  const uint8_t* b0 = b.data();
  return a0 < b0 + b.size() && b0 < a0 + a.size();
}

// Wipes an AES_KEY schedule on scope exit.
class ScopedAesKey {
 public:
  ScopedAesKey() = default;
  ScopedAesKey(const ScopedAesKey&) = delete;
  ScopedAesKey& operator=(const ScopedAesKey&) = delete;
  ~ScopedAesKey() { SecureWipe(&key_, sizeof(key_)); }
  AES_KEY* get() { return &key_; }

 private:
  AES_KEY key_;
};

}  // namespace

absl::Status AesCmXor(absl::Span<const uint8_t> key,
                      absl::Span<const uint8_t> iv,
                      absl::Span<const uint8_t> in, absl::Span<uint8_t> out) {
  absl::Status s = CheckKeyLength("AES-CM", key.size());
  if (!s.ok()) return s;
  if (iv.size() != kAesBlockLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-CM: IV of ", iv.size(), " octets (expected 16)"));
  }
  if (out.size() != in.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-CM: output of ", out.size(), " octets for input of ", in.size()));
  }
  if (PartiallyOverlap(in, out)) {
    return absl::InvalidArgumentError("AES-CM: input and output overlap");
  }
  if (!FitsInt(in.size())) {
    return absl::InvalidArgumentError("AES-CM: input too long");
  }
  if (in.empty()) return absl::OkStatus();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), CtrCipher(key.size()), nullptr, key.data(),
                         iv.data()) != 1) {
    return OpenSslError("AES-CM init");
  }
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(),
                        static_cast<int>(in.size())) != 1 ||
      static_cast<size_t>(len) != in.size()) {
    return OpenSslError("AES-CM update");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> AesCmEncrypt(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> plaintext) {
  std::vector<uint8_t> out(plaintext.size());
  absl::Status s = AesCmXor(key, iv, plaintext, absl::MakeSpan(out));
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> AesCmDecrypt(absl::Span<const uint8_t> key,
                                         absl::Span<const uint8_t> iv,
                                         absl::Span<const uint8_t> ciphertext) {
  SecretBytes out(ciphertext.size());
  absl::Status s = AesCmXor(key, iv, ciphertext, out.mutable_span());
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> AesCmKeystream(absl::Span<const uint8_t> key,
                                           absl::Span<const uint8_t> iv,
                                           size_t length) {
  SecretBytes out(
      length);  // Zeros: XORed with the keystream, it is the keystream.
  absl::Status s = AesCmXor(key, iv, out.span(), out.mutable_span());
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<uint8_t>> AesKwWrap(
    absl::Span<const uint8_t> kek, absl::Span<const uint8_t> key_data,
    absl::Span<const uint8_t> iv) {
  absl::Status s = CheckKeyLength("AES-KW", kek.size());
  if (!s.ok()) return s;
  if (!iv.empty() && iv.size() != kAesKwIvLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-KW: initial value of ", iv.size(), " octets (expected 8)"));
  }
  if (key_data.size() < 16 || key_data.size() % 8 != 0 ||
      !FitsInt(key_data.size() + 8)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-KW: key data of ", key_data.size(),
                     " octets (expected a multiple of 8, at least 16)"));
  }
  ScopedAesKey schedule;
  if (AES_set_encrypt_key(kek.data(), static_cast<unsigned>(kek.size() * 8),
                          schedule.get()) != 0) {
    return OpenSslError("AES-KW: AES_set_encrypt_key");
  }
  std::vector<uint8_t> out(key_data.size() + 8);
  const int n =
      AES_wrap_key(schedule.get(), iv.empty() ? nullptr : iv.data(), out.data(),
                   key_data.data(), static_cast<unsigned>(key_data.size()));
  if (n <= 0 || static_cast<size_t>(n) != out.size()) {
    return OpenSslError("AES-KW: AES_wrap_key");
  }
  return out;
}

absl::StatusOr<SecretBytes> AesKwUnwrap(absl::Span<const uint8_t> kek,
                                        absl::Span<const uint8_t> wrapped,
                                        absl::Span<const uint8_t> iv) {
  absl::Status s = CheckKeyLength("AES-KW", kek.size());
  if (!s.ok()) return s;
  if (!iv.empty() && iv.size() != kAesKwIvLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-KW: initial value of ", iv.size(), " octets (expected 8)"));
  }
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0 ||
      !FitsInt(wrapped.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-KW: wrapped data of ", wrapped.size(),
                     " octets (expected a multiple of 8, at least 24)"));
  }
  ScopedAesKey schedule;
  if (AES_set_decrypt_key(kek.data(), static_cast<unsigned>(kek.size() * 8),
                          schedule.get()) != 0) {
    return OpenSslError("AES-KW: AES_set_decrypt_key");
  }
  SecretBytes out(wrapped.size() - 8);
  // OpenSSL returns 0 and BoringSSL -1 on an integrity failure; both return
  // the plaintext length on success.
  const int n = AES_unwrap_key(schedule.get(), iv.empty() ? nullptr : iv.data(),
                               out.data(), wrapped.data(),
                               static_cast<unsigned>(wrapped.size()));
  if (n <= 0 || static_cast<size_t>(n) != out.size()) {
    crypto_internal::ClearOpenSslErrors();
    return absl::InvalidArgumentError("AES-KW: integrity check failed");
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> AesGcmSeal(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> aad, absl::Span<const uint8_t> plaintext) {
  absl::Status s = CheckKeyLength("AES-GCM", key.size());
  if (!s.ok()) return s;
  if (iv.size() != kGcmIvLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: IV of ", iv.size(), " octets (expected 12)"));
  }
  if (!FitsInt(aad.size()) || !FitsInt(plaintext.size() + kGcmTagLength)) {
    return absl::InvalidArgumentError("AES-GCM: input too long");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), GcmCipher(key.size()), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN,
                          static_cast<int>(kGcmIvLength), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) !=
          1) {
    return OpenSslError("AES-GCM init");
  }
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                        static_cast<int>(aad.size())) != 1) {
    return OpenSslError("AES-GCM AAD");
  }
  std::vector<uint8_t> out(plaintext.size() + kGcmTagLength);
  size_t written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                          static_cast<int>(plaintext.size())) != 1) {
      return OpenSslError("AES-GCM update");
    }
    written = static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    return OpenSslError("AES-GCM final");
  }
  written += static_cast<size_t>(len);
  if (written != plaintext.size()) {
    return absl::InternalError("AES-GCM: unexpected output length");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kGcmTagLength),
                          out.data() + written) != 1) {
    return OpenSslError("AES-GCM tag");
  }
  return out;
}

absl::StatusOr<SecretBytes> AesGcmOpen(
    absl::Span<const uint8_t> key, absl::Span<const uint8_t> iv,
    absl::Span<const uint8_t> aad,
    absl::Span<const uint8_t> ciphertext_and_tag) {
  absl::Status s = CheckKeyLength("AES-GCM", key.size());
  if (!s.ok()) return s;
  if (iv.size() != kGcmIvLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: IV of ", iv.size(), " octets (expected 12)"));
  }
  if (ciphertext_and_tag.size() < kGcmTagLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: input of ", ciphertext_and_tag.size(),
                     " octets is shorter than the 16-octet tag"));
  }
  if (!FitsInt(aad.size()) || !FitsInt(ciphertext_and_tag.size())) {
    return absl::InvalidArgumentError("AES-GCM: input too long");
  }
  const size_t ct_len = ciphertext_and_tag.size() - kGcmTagLength;
  absl::Span<const uint8_t> ct = ciphertext_and_tag.first(ct_len);
  // The tag is copied: EVP_CTRL_GCM_SET_TAG takes a non-const pointer.
  uint8_t tag[kGcmTagLength];
  std::copy(ciphertext_and_tag.begin() + ct_len, ciphertext_and_tag.end(), tag);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), GcmCipher(key.size()), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN,
                          static_cast<int>(kGcmIvLength), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) !=
          1) {
    return OpenSslError("AES-GCM init");
  }
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                        static_cast<int>(aad.size())) != 1) {
    return OpenSslError("AES-GCM AAD");
  }
  SecretBytes out(ct_len);
  size_t written = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct.data(),
                          static_cast<int>(ct.size())) != 1) {
      return OpenSslError("AES-GCM update");
    }
    written = static_cast<size_t>(len);
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                          static_cast<int>(kGcmTagLength), tag) != 1) {
    return OpenSslError("AES-GCM set tag");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    crypto_internal::ClearOpenSslErrors();
    return absl::InvalidArgumentError("AES-GCM: authentication failed");
  }
  return out;
}

}  // namespace mikey
