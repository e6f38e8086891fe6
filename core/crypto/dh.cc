// MODP arithmetic is done on BIGNUMs (BN_mod_exp_mont_consttime for every
// exponentiation with a private exponent), which OpenSSL 3 and BoringSSL
// share; X25519 through the EVP raw-key API.

#include "core/crypto/dh.h"

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/crypto/openssl_util.h"

namespace mikey {
namespace {

using crypto_internal::ClearOpenSslErrors;
using crypto_internal::OpenSslError;

// The primes, as printed in RFC 2409 §6.1, §6.2 and RFC 3526 §2 (the tests
// compare them with BN_get_rfc2409_prime_768/1024 and
// BN_get_rfc3526_prime_1536).
constexpr char kPrime768[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";
constexpr char kPrime1024[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";
constexpr char kPrime1536[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";

constexpr size_t kX25519Octets = 32;
// Rejection sampling of x needs more than one draw with probability about
// 2^-64 for these primes; the bound only turns a broken RandomSource into an
// error instead of a loop.
constexpr int kMaxPrivateKeyDraws = 64;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

const char* PrimeHex(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return kPrime768;
    case DhGroup::kModp1024:
      return kPrime1024;
    case DhGroup::kModp1536:
      return kPrime1536;
    case DhGroup::kX25519:
      break;
  }
  return nullptr;
}

// p, q = (p-1)/2 and g = 2 of a MODP group.
struct ModpParams {
  BnPtr p, q, g;
};

absl::StatusOr<ModpParams> LoadParams(DhGroup group) {
  const char* hex = PrimeHex(group);
  if (hex == nullptr) {
    return absl::InternalError(
        absl::StrCat(DhGroupName(group), " is not a MODP group"));
  }
  ModpParams m;
  BIGNUM* p = nullptr;
  if (BN_hex2bn(&p, hex) == 0) return OpenSslError("BN_hex2bn");
  m.p.reset(p);
  m.q.reset(BN_dup(m.p.get()));
  m.g.reset(BN_new());
  if (m.q == nullptr || m.g == nullptr || !BN_rshift1(m.q.get(), m.q.get()) ||
      !BN_set_word(m.g.get(), 2)) {
    return OpenSslError("DH group parameters");
  }
  return m;
}

// The three low bits of a non-negative `bn`.
int Low3Bits(const BIGNUM* bn) {
  return BN_is_bit_set(bn, 0) | (BN_is_bit_set(bn, 1) << 1) |
         (BN_is_bit_set(bn, 2) << 2);
}

// The Jacobi symbol (a/n) for 0 <= a < n, n odd: 1, -1, or 0 when a and n
// share a factor. For a prime n it is the Legendre symbol: 1 iff a is a
// non-zero square mod n. Euclid's algorithm with the symbol's rules: strip
// the factors of 2 of a ((2/n) = -1 iff n = 3, 5 mod 8), swap a and n by
// quadratic reciprocity (negating when both are 3 mod 4), reduce. O(n^2)
// word operations against the O(n^3) of an exponentiation. Variable time:
// for public values only.
absl::StatusOr<int> Jacobi(const BIGNUM* a_in, const BIGNUM* n_in,
                           BN_CTX* ctx) {
  BnPtr a(BN_dup(a_in)), n(BN_dup(n_in)), r(BN_new());
  if (a == nullptr || n == nullptr || r == nullptr) {
    return OpenSslError("Jacobi symbol");
  }
  int t = 1;
  while (!BN_is_zero(a.get())) {
    int k = 0;
    while (!BN_is_bit_set(a.get(), k)) ++k;
    if (k > 0 && !BN_rshift(a.get(), a.get(), k)) {
      return OpenSslError("Jacobi symbol: BN_rshift");
    }
    const int n_low = Low3Bits(n.get());
    if ((k & 1) != 0 && (n_low == 3 || n_low == 5)) t = -t;
    if ((Low3Bits(a.get()) & 3) == 3 && (n_low & 3) == 3) t = -t;
    // (a, n) <- (n mod a, a).
    if (!BN_nnmod(r.get(), n.get(), a.get(), ctx)) {
      return OpenSslError("Jacobi symbol: BN_nnmod");
    }
    std::swap(n, a);
    std::swap(a, r);
  }
  return BN_is_one(n.get()) ? t : 0;
}

// `bn` as exactly out.size() octets, big-endian, leading zeros kept.
absl::Status ToFixed(const BIGNUM* bn, absl::Span<uint8_t> out) {
#ifdef OPENSSL_IS_BORINGSSL
  if (!BN_bn2bin_padded(out.data(), out.size(), bn)) {
    return OpenSslError("BN_bn2bin_padded");
  }
#else
  if (!crypto_internal::FitsInt(out.size()) ||
      BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) !=
          static_cast<int>(out.size())) {
    return OpenSslError("BN_bn2binpad");
  }
#endif
  return absl::OkStatus();
}

absl::StatusOr<BnPtr> FromBytes(absl::Span<const uint8_t> bytes) {
  BnPtr bn(BN_bin2bn(bytes.data(), bytes.size(), nullptr));
  if (bn == nullptr) return OpenSslError("BN_bin2bn");
  return bn;
}

// Checks 2 <= x <= q-1 for a MODP private exponent.
bool PrivateInRange(const BIGNUM* x, const ModpParams& m) {
  return !BN_is_zero(x) && !BN_is_one(x) && BN_cmp(x, m.q.get()) < 0;
}

// g^x mod p as a fixed-length public value.
absl::StatusOr<std::vector<uint8_t>> ModpPublic(DhGroup group,
                                                const ModpParams& m,
                                                const BIGNUM* x) {
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr y(BN_new());
  if (ctx == nullptr || y == nullptr ||
      !BN_mod_exp_mont_consttime(y.get(), m.g.get(), x, m.p.get(), ctx.get(),
                                 nullptr)) {
    return OpenSslError("DH public value (g^x mod p)");
  }
  std::vector<uint8_t> out(DhValueOctets(group));
  if (absl::Status s = ToFixed(y.get(), absl::MakeSpan(out)); !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> X25519Public(
    absl::Span<const uint8_t> private_value) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_X25519, nullptr, private_value.data(), private_value.size()));
  if (key == nullptr) return OpenSslError("X25519 private key");
  std::vector<uint8_t> out(kX25519Octets);
  size_t len = out.size();
  if (!EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) ||
      len != kX25519Octets) {
    return OpenSslError("X25519 public key");
  }
  return out;
}

absl::Status CheckLength(DhGroup group, absl::Span<const uint8_t> value,
                         absl::string_view what) {
  if (value.size() != DhValueOctets(group)) {
    return absl::InvalidArgumentError(
        absl::StrCat(DhGroupName(group), " ", what, " of ", value.size(),
                     " octets (expected ", DhValueOctets(group), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

size_t DhValueOctets(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return 96;
    case DhGroup::kModp1024:
      return 128;
    case DhGroup::kModp1536:
      return 192;
    case DhGroup::kX25519:
      return kX25519Octets;
  }
  return 0;
}

absl::string_view DhGroupName(DhGroup group) {
  switch (group) {
    case DhGroup::kModp768:
      return "OAKLEY 1 (768-bit MODP)";
    case DhGroup::kModp1024:
      return "OAKLEY 2 (1024-bit MODP)";
    case DhGroup::kModp1536:
      return "OAKLEY 5 (1536-bit MODP)";
    case DhGroup::kX25519:
      return "X25519";
  }
  return "unknown DH group";
}

std::vector<uint8_t> DhGroupPrime(DhGroup group) {
  absl::StatusOr<ModpParams> m = LoadParams(group);
  if (!m.ok()) return {};
  std::vector<uint8_t> out(DhValueOctets(group));
  if (!ToFixed(m->p.get(), absl::MakeSpan(out)).ok()) return {};
  return out;
}

absl::Status ValidateDhPublicValue(DhGroup group,
                                   absl::Span<const uint8_t> value) {
  if (absl::Status s = CheckLength(group, value, "public value"); !s.ok()) {
    return s;
  }
  if (group == DhGroup::kX25519) return absl::OkStatus();
  absl::StatusOr<ModpParams> m = LoadParams(group);
  if (!m.ok()) return m.status();
  absl::StatusOr<BnPtr> y = FromBytes(value);
  if (!y.ok()) return y.status();
  BnPtr p_minus_1(BN_dup(m->p.get()));
  if (p_minus_1 == nullptr || !BN_sub_word(p_minus_1.get(), 1)) {
    return OpenSslError("p - 1");
  }
  const BIGNUM* yv = y->get();
  const auto invalid = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(DhGroupName(group), " public value ", what));
  };
  if (BN_is_zero(yv)) return invalid("is 0");
  if (BN_is_one(yv)) return invalid("is 1");
  const int c = BN_cmp(yv, p_minus_1.get());
  if (c == 0) return invalid("is p-1");
  if (c > 0) return invalid("is not less than the prime p");
  // Subgroup membership, y^q = 1 (mod p). p = 2q + 1 with q prime, so by
  // Euler's criterion y^q = (y/p), the Legendre symbol: the subgroup of order
  // q is the quadratic residues. The symbol costs a small fraction of the
  // exponentiation (dh_test checks the two agree).
  BnCtxPtr ctx(BN_CTX_new());
  if (ctx == nullptr) return OpenSslError("BN_CTX_new");
  absl::StatusOr<int> legendre = Jacobi(yv, m->p.get(), ctx.get());
  if (!legendre.ok()) return legendre.status();
  if (*legendre != 1) {
    return invalid("is not in the prime-order subgroup (y^q != 1 mod p)");
  }
  return absl::OkStatus();
}

absl::StatusOr<DhKeyPair> DhKeyPair::Generate(DhGroup group,
                                              RandomSource& rng) {
  if (group == DhGroup::kX25519) {
    absl::StatusOr<SecretBytes> x = RandomSecret(rng, kX25519Octets);
    if (!x.ok()) return x.status();
    absl::StatusOr<std::vector<uint8_t>> pub = X25519Public(x->span());
    if (!pub.ok()) return pub.status();
    return DhKeyPair(group, *std::move(pub), *std::move(x));
  }
  absl::StatusOr<ModpParams> m = LoadParams(group);
  if (!m.ok()) return m.status();
  // x uniform in [2, q-1]: draw the bit length of q (one bit less than p,
  // whose top bit is the first of the octets) and reject what is out of range.
  SecretBytes x_bytes(DhValueOctets(group));
  for (int draw = 0; draw < kMaxPrivateKeyDraws; ++draw) {
    if (absl::Status s = rng.Fill(x_bytes.mutable_span()); !s.ok()) return s;
    x_bytes[0] &= 0x7F;
    absl::StatusOr<BnPtr> x = FromBytes(x_bytes.span());
    if (!x.ok()) return x.status();
    if (!PrivateInRange(x->get(), *m)) continue;
    absl::StatusOr<std::vector<uint8_t>> pub = ModpPublic(group, *m, x->get());
    if (!pub.ok()) return pub.status();
    return DhKeyPair(group, *std::move(pub), std::move(x_bytes));
  }
  return absl::InternalError(
      "DH private key: the random source kept producing values out of range");
}

absl::StatusOr<DhKeyPair> DhKeyPair::FromPrivateValue(
    DhGroup group, absl::Span<const uint8_t> private_value) {
  if (absl::Status s = CheckLength(group, private_value, "private value");
      !s.ok()) {
    return s;
  }
  if (group == DhGroup::kX25519) {
    absl::StatusOr<std::vector<uint8_t>> pub = X25519Public(private_value);
    if (!pub.ok()) return pub.status();
    return DhKeyPair(group, *std::move(pub), SecretBytes(private_value));
  }
  absl::StatusOr<ModpParams> m = LoadParams(group);
  if (!m.ok()) return m.status();
  absl::StatusOr<BnPtr> x = FromBytes(private_value);
  if (!x.ok()) return x.status();
  if (!PrivateInRange(x->get(), *m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        DhGroupName(group), " private value out of range (expected 2 to q-1)"));
  }
  absl::StatusOr<std::vector<uint8_t>> pub = ModpPublic(group, *m, x->get());
  if (!pub.ok()) return pub.status();
  return DhKeyPair(group, *std::move(pub), SecretBytes(private_value));
}

absl::StatusOr<SecretBytes> DhSharedSecret(
    DhGroup group, absl::Span<const uint8_t> private_value,
    absl::Span<const uint8_t> peer_public) {
  if (absl::Status s = CheckLength(group, private_value, "private value");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateDhPublicValue(group, peer_public); !s.ok()) {
    return s;
  }
  if (group == DhGroup::kX25519) {
    PkeyPtr key(EVP_PKEY_new_raw_private_key(
        EVP_PKEY_X25519, nullptr, private_value.data(), private_value.size()));
    PkeyPtr peer(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()));
    if (key == nullptr || peer == nullptr) return OpenSslError("X25519 keys");
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
      return OpenSslError("X25519 derivation setup");
    }
    SecretBytes out(kX25519Octets);
    size_t len = out.size();
    if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
      // Both libraries refuse an all-zero result (a low-order peer point).
      ClearOpenSslErrors();
      return absl::InvalidArgumentError(
          "X25519 public value is a low-order point (the shared secret would "
          "be zero)");
    }
    uint8_t acc = 0;
    for (size_t i = 0; i < out.size(); ++i) acc |= out[i];
    if (len != kX25519Octets || acc == 0) {
      return absl::InvalidArgumentError(
          "X25519 public value is a low-order point (the shared secret would "
          "be zero)");
    }
    return out;
  }

  absl::StatusOr<ModpParams> m = LoadParams(group);
  if (!m.ok()) return m.status();
  absl::StatusOr<BnPtr> x = FromBytes(private_value);
  if (!x.ok()) return x.status();
  if (!PrivateInRange(x->get(), *m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        DhGroupName(group), " private value out of range (expected 2 to q-1)"));
  }
  absl::StatusOr<BnPtr> y = FromBytes(peer_public);
  if (!y.ok()) return y.status();
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr z(BN_new());
  if (ctx == nullptr || z == nullptr ||
      !BN_mod_exp_mont_consttime(z.get(), y->get(), x->get(), m->p.get(),
                                 ctx.get(), nullptr)) {
    return OpenSslError("DH shared secret (y^x mod p)");
  }
  SecretBytes out(DhValueOctets(group));
  if (absl::Status s = ToFixed(z.get(), out.mutable_span()); !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> DhKeyCheck(
    DhGroup group, absl::Span<const uint8_t> private_value,
    absl::Span<const uint8_t> public_value) {
  static constexpr absl::string_view kLabel = "MIKEY DH key check";
  const size_t n = DhValueOctets(group);
  if (private_value.size() != n || public_value.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        DhGroupName(group), " key check: values of ", private_value.size(),
        " and ", public_value.size(), " octets (expected ", n, ")"));
  }
  // The IKE group numbers: OAKLEY 1, 2 and 5 (RFC 2409, RFC 3526), Curve25519
  // 31 (RFC 8031).
  uint8_t group_octet = 0;
  switch (group) {
    case DhGroup::kModp768:
      group_octet = 1;
      break;
    case DhGroup::kModp1024:
      group_octet = 2;
      break;
    case DhGroup::kModp1536:
      group_octet = 5;
      break;
    case DhGroup::kX25519:
      group_octet = 31;
      break;
  }
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  if (ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), kLabel.data(), kLabel.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), &group_octet, 1) != 1 ||
      EVP_DigestUpdate(ctx.get(), private_value.data(), n) != 1 ||
      EVP_DigestUpdate(ctx.get(), public_value.data(), n) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 ||
      len < kDhKeyCheckOctets) {
    return OpenSslError("DH key check (SHA-256)");
  }
  std::vector<uint8_t> out(digest, digest + kDhKeyCheckOctets);
  SecureWipe(digest, sizeof(digest));
  return out;
}

absl::StatusOr<SecretBytes> DhKeyPair::SharedSecret(
    absl::Span<const uint8_t> peer_public) const {
  return DhSharedSecret(group_, private_.span(), peer_public);
}

}  // namespace mikey
