#include "core/crypto/rsa.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/openssl_util.h"

namespace mikey {

using crypto_internal::ClearOpenSslErrors;
using crypto_internal::EvpPkeyPtr;
using crypto_internal::FitsInt;
using crypto_internal::OpenSslError;

namespace crypto_internal {
void EvpPkeyDeleter::operator()(evp_pkey_st* p) const { EVP_PKEY_free(p); }
}  // namespace crypto_internal

namespace {

// PSS salt length "as long as the digest": RSA_PSS_SALTLEN_DIGEST in OpenSSL,
// the documented -1 in BoringSSL (which has no macro for it).
constexpr int kPssSaltLenDigest = -1;

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct Pkcs8Deleter {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};

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

absl::Status CheckRsaKey(EVP_PKEY* pkey, absl::string_view what) {
  if (EVP_PKEY_id(pkey) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": not an RSA key (key type ", EVP_PKEY_id(pkey), ")"));
  }
  const int bits = EVP_PKEY_bits(pkey);
  if (bits < static_cast<int>(kMinRsaModulusBits) ||
      bits > static_cast<int>(kMaxRsaModulusBits)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": RSA modulus of ", bits, " bits (accepted: ",
                     kMinRsaModulusBits, " to ", kMaxRsaModulusBits, ")"));
  }
  return absl::OkStatus();
}

// Sets PKCS#1 v1.5 or PSS (salt = hash length, MGF1 with the same hash) on a
// signing / verification context.
absl::Status SetSignaturePadding(EVP_PKEY_CTX* pctx,
                                 const RsaSignatureParams& params) {
  if (params.scheme == RsaSignatureScheme::kPkcs1v15) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return OpenSslError("EVP_PKEY_CTX_set_rsa_padding(PKCS1)");
    }
    return absl::OkStatus();
  }
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kPssSaltLenDigest) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Md(params.hash)) != 1) {
    return OpenSslError("EVP_PKEY_CTX: RSA-PSS parameters");
  }
  return absl::OkStatus();
}

absl::Status SetEncryptionPadding(EVP_PKEY_CTX* pctx,
                                  RsaEncryptionScheme scheme) {
  switch (scheme) {
    case RsaEncryptionScheme::kPkcs1v15:
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        return OpenSslError("EVP_PKEY_CTX_set_rsa_padding(PKCS1)");
      }
      return absl::OkStatus();
    case RsaEncryptionScheme::kOaepSha1:
    case RsaEncryptionScheme::kOaepSha256: {
      const EVP_MD* md =
          scheme == RsaEncryptionScheme::kOaepSha1 ? EVP_sha1() : EVP_sha256();
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
        return OpenSslError("EVP_PKEY_CTX: RSA-OAEP parameters");
      }
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown RSA encryption scheme");
}

}  // namespace

std::string RsaSignatureParamsName(const RsaSignatureParams& params) {
  return absl::StrCat(params.scheme == RsaSignatureScheme::kPkcs1v15
                          ? "RSA PKCS#1 v1.5"
                          : "RSA-PSS",
                      " with ", HashAlgName(params.hash));
}

// ---------------------------------------------------------------------------
// RsaPublicKey

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromSpkiDer(
    absl::Span<const uint8_t> der) {
  if (!FitsInt(der.size())) {
    return absl::InvalidArgumentError("SubjectPublicKeyInfo: too long");
  }
  const uint8_t* p = der.data();
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (raw == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        "SubjectPublicKeyInfo: not a valid DER public key");
  }
  std::shared_ptr<evp_pkey_st> key(raw, crypto_internal::EvpPkeyDeleter());
  if (p != der.data() + der.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SubjectPublicKeyInfo: ", der.data() + der.size() - p,
                     " trailing octets after the DER structure"));
  }
  if (absl::Status s = CheckRsaKey(raw, "SubjectPublicKeyInfo"); !s.ok()) {
    return s;
  }
  return RsaPublicKey(std::move(key));
}

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromCertificateDer(
    absl::Span<const uint8_t> der) {
  if (!FitsInt(der.size())) {
    return absl::InvalidArgumentError("certificate: too long");
  }
  const uint8_t* p = der.data();
  std::unique_ptr<X509, X509Deleter> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != der.data() + der.size()) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        "certificate: not a valid DER X.509 certificate");
  }
  EVP_PKEY* raw = X509_get_pubkey(cert.get());  // new reference
  if (raw == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        "certificate: subject public key cannot be decoded");
  }
  std::shared_ptr<evp_pkey_st> key(raw, crypto_internal::EvpPkeyDeleter());
  if (absl::Status s = CheckRsaKey(raw, "certificate public key"); !s.ok()) {
    return s;
  }
  return RsaPublicKey(std::move(key));
}

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromEvpPkey(evp_pkey_st* pkey) {
  if (pkey == nullptr) return absl::InvalidArgumentError("no public key");
  if (absl::Status s = CheckRsaKey(pkey, "public key"); !s.ok()) return s;
  EVP_PKEY_up_ref(pkey);
  return RsaPublicKey(
      std::shared_ptr<evp_pkey_st>(pkey, crypto_internal::EvpPkeyDeleter()));
}

absl::StatusOr<std::vector<uint8_t>> RsaPublicKey::ToSpkiDer() const {
  uint8_t* out = nullptr;
  const int n = i2d_PUBKEY(key_.get(), &out);
  if (n <= 0) return OpenSslError("i2d_PUBKEY");
  std::vector<uint8_t> der(out, out + n);
  OPENSSL_free(out);
  return der;
}

size_t RsaPublicKey::modulus_bits() const {
  return static_cast<size_t>(EVP_PKEY_bits(key_.get()));
}

size_t RsaPublicKey::modulus_length() const {
  return static_cast<size_t>(EVP_PKEY_size(key_.get()));
}

absl::Status RsaPublicKey::Verify(const RsaSignatureParams& params,
                                  absl::Span<const uint8_t> message,
                                  absl::Span<const uint8_t> signature) const {
  const EVP_MD* md = Md(params.hash);
  if (md == nullptr) return absl::InvalidArgumentError("unknown hash");
  if (signature.size() != modulus_length()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RSA signature verification failed: signature of ", signature.size(),
        " octets, the key's modulus has ", modulus_length()));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) {
    return OpenSslError("EVP_DigestVerifyInit");
  }
  if (absl::Status s = SetSignaturePadding(pctx, params); !s.ok()) return s;
  if (EVP_DigestVerifyUpdate(ctx.get(), message.data(), message.size()) != 1) {
    return OpenSslError("EVP_DigestVerifyUpdate");
  }
  if (EVP_DigestVerifyFinal(ctx.get(), signature.data(), signature.size()) !=
      1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat("RSA signature verification failed (",
                     RsaSignatureParamsName(params), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RsaPublicKey::Encrypt(
    RsaEncryptionScheme scheme, absl::Span<const uint8_t> plaintext) const {
  const size_t k = modulus_length();
  const size_t overhead =
      scheme == RsaEncryptionScheme::kPkcs1v15
          ? 11
          : 2 * (scheme == RsaEncryptionScheme::kOaepSha1 ? 20 : 32) + 2;
  if (plaintext.empty() || plaintext.size() + overhead > k) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA encryption: plaintext of ", plaintext.size(),
                     " octets (1 to ", k - overhead, " fit this key)"));
  }
  PkeyCtxPtr pctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (pctx == nullptr || EVP_PKEY_encrypt_init(pctx.get()) != 1) {
    return OpenSslError("EVP_PKEY_encrypt_init");
  }
  if (absl::Status s = SetEncryptionPadding(pctx.get(), scheme); !s.ok()) {
    return s;
  }
  size_t out_len = k;
  std::vector<uint8_t> out(k);
  if (EVP_PKEY_encrypt(pctx.get(), out.data(), &out_len, plaintext.data(),
                       plaintext.size()) != 1) {
    return OpenSslError("EVP_PKEY_encrypt");
  }
  out.resize(out_len);
  return out;
}

bool RsaPublicKey::Equals(const RsaPublicKey& other) const {
  if (key_ == nullptr || other.key_ == nullptr) return key_ == other.key_;
  // EVP_PKEY_cmp (BoringSSL, OpenSSL < 3) / EVP_PKEY_eq (OpenSSL 3): compare
  // the SPKI encodings instead, which both libraries produce identically.
  absl::StatusOr<std::vector<uint8_t>> a = ToSpkiDer();
  absl::StatusOr<std::vector<uint8_t>> b = other.ToSpkiDer();
  return a.ok() && b.ok() && *a == *b;
}

// ---------------------------------------------------------------------------
// RsaPrivateKey

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::Generate(size_t bits) {
  if (bits < kMinRsaModulusBits || bits > kMaxRsaModulusBits || bits % 8 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RSA key generation: ", bits, " bits (expected ", kMinRsaModulusBits,
        " to ", kMaxRsaModulusBits, ", a multiple of 8)"));
  }
  PkeyCtxPtr pctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  if (pctx == nullptr || EVP_PKEY_keygen_init(pctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(pctx.get(), static_cast<int>(bits)) !=
          1) {
    return OpenSslError("RSA key generation setup");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(pctx.get(), &raw) != 1) {
    return OpenSslError("EVP_PKEY_keygen");
  }
  return RsaPrivateKey(EvpPkeyPtr(raw));
}

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::FromDer(
    absl::Span<const uint8_t> der) {
  if (!FitsInt(der.size())) {
    return absl::InvalidArgumentError("private key: too long");
  }
  // PKCS#8 PrivateKeyInfo first, then PKCS#1 RSAPrivateKey.
  const uint8_t* p = der.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Deleter> p8(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  EvpPkeyPtr key;
  if (p8 != nullptr && p == der.data() + der.size()) {
    key.reset(EVP_PKCS82PKEY(p8.get()));
  }
  if (key == nullptr) {
    ClearOpenSslErrors();
    p = der.data();
    key.reset(d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p,
                             static_cast<long>(der.size())));
    if (key != nullptr && p != der.data() + der.size()) key.reset();
  }
  if (key == nullptr) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        "private key: neither DER PKCS#8 nor DER PKCS#1 RSAPrivateKey");
  }
  if (absl::Status s = CheckRsaKey(key.get(), "private key"); !s.ok()) {
    return s;
  }
  return RsaPrivateKey(std::move(key));
}

absl::StatusOr<SecretBytes> RsaPrivateKey::ToPkcs8Der() const {
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, Pkcs8Deleter> p8(
      EVP_PKEY2PKCS8(key_.get()));
  if (p8 == nullptr) return OpenSslError("EVP_PKEY2PKCS8");
  uint8_t* out = nullptr;
  const int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &out);
  if (n <= 0) return OpenSslError("i2d_PKCS8_PRIV_KEY_INFO");
  SecretBytes der(absl::MakeConstSpan(out, static_cast<size_t>(n)));
  OPENSSL_cleanse(out, static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<RsaPublicKey> RsaPrivateKey::PublicKey() const {
  uint8_t* out = nullptr;
  const int n = i2d_PUBKEY(key_.get(), &out);
  if (n <= 0) return OpenSslError("i2d_PUBKEY");
  absl::StatusOr<RsaPublicKey> pub = RsaPublicKey::FromSpkiDer(
      absl::MakeConstSpan(out, static_cast<size_t>(n)));
  OPENSSL_free(out);
  return pub;
}

size_t RsaPrivateKey::modulus_bits() const {
  return static_cast<size_t>(EVP_PKEY_bits(key_.get()));
}

size_t RsaPrivateKey::modulus_length() const {
  return static_cast<size_t>(EVP_PKEY_size(key_.get()));
}

absl::StatusOr<std::vector<uint8_t>> RsaPrivateKey::Sign(
    const RsaSignatureParams& params, absl::Span<const uint8_t> message) const {
  const EVP_MD* md = Md(params.hash);
  if (md == nullptr) return absl::InvalidArgumentError("unknown hash");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1) {
    return OpenSslError("EVP_DigestSignInit");
  }
  if (absl::Status s = SetSignaturePadding(pctx, params); !s.ok()) return s;
  if (EVP_DigestSignUpdate(ctx.get(), message.data(), message.size()) != 1) {
    return OpenSslError("EVP_DigestSignUpdate");
  }
  size_t len = 0;
  if (EVP_DigestSignFinal(ctx.get(), nullptr, &len) != 1) {
    return OpenSslError("EVP_DigestSignFinal (length)");
  }
  std::vector<uint8_t> sig(len);
  if (EVP_DigestSignFinal(ctx.get(), sig.data(), &len) != 1) {
    return OpenSslError("EVP_DigestSignFinal");
  }
  sig.resize(len);
  return sig;
}

absl::StatusOr<SecretBytes> RsaPrivateKey::Decrypt(
    RsaEncryptionScheme scheme, absl::Span<const uint8_t> ciphertext) const {
  const size_t k = modulus_length();
  if (ciphertext.size() != k) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA decryption failed: ciphertext of ", ciphertext.size(),
                     " octets, the key's modulus has ", k));
  }
  PkeyCtxPtr pctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (pctx == nullptr || EVP_PKEY_decrypt_init(pctx.get()) != 1) {
    return OpenSslError("EVP_PKEY_decrypt_init");
  }
  if (absl::Status s = SetEncryptionPadding(pctx.get(), scheme); !s.ok()) {
    return s;
  }
  SecretBytes out(k);
  size_t out_len = k;
  if (EVP_PKEY_decrypt(pctx.get(), out.data(), &out_len, ciphertext.data(),
                       ciphertext.size()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError("RSA decryption failed");
  }
  return SecretBytes(out.span().first(out_len));
}

}  // namespace mikey
