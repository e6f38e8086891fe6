#include "core/crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

#include "core/crypto/aes.h"
#include "core/crypto/openssl_util.h"

namespace mikey {

absl::Status OpenSslRandom::Fill(absl::Span<uint8_t> out) {
  while (!out.empty()) {
    const size_t chunk = std::min<size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      return crypto_internal::OpenSslError("RAND_bytes");
    }
    out.remove_prefix(chunk);
  }
  return absl::OkStatus();
}

BufferedRandom::~BufferedRandom() { SecureWipe(buffer_, sizeof(buffer_)); }

absl::Status BufferedRandom::Fill(absl::Span<uint8_t> out) {
  if (out.size() >= kBlock) return source_->Fill(out);
  while (!out.empty()) {
    if (used_ == kBlock) {
      if (absl::Status s = source_->Fill(absl::MakeSpan(buffer_)); !s.ok()) {
        return s;
      }
      used_ = 0;
    }
    const size_t n = std::min(out.size(), kBlock - used_);
    std::copy(buffer_ + used_, buffer_ + used_ + n, out.begin());
    SecureWipe(buffer_ + used_, n);
    used_ += n;
    out.remove_prefix(n);
  }
  return absl::OkStatus();
}

DeterministicRandom::DeterministicRandom(uint64_t seed) {
  std::fill(key_, key_ + 8, 0);
  for (int i = 0; i < 8; ++i)
    key_[8 + i] = static_cast<uint8_t>(seed >> (56 - 8 * i));
}

absl::Status DeterministicRandom::Fill(absl::Span<uint8_t> out) {
  static const uint8_t kZeros[16] = {};
  for (uint8_t& b : out) {
    if (used_ == sizeof(block_)) {
      // Next keystream block: E(key, counter), then counter += 1 mod 2^128.
      absl::Status s = AesCmXor(key_, counter_, kZeros, block_);
      if (!s.ok()) return s;
      for (int i = 15; i >= 0 && ++counter_[i] == 0; --i) {
      }
      used_ = 0;
    }
    b = block_[used_++];
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RandomBytes(RandomSource& rng, size_t n) {
  std::vector<uint8_t> out(n);
  absl::Status s = rng.Fill(absl::MakeSpan(out));
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecretBytes> RandomSecret(RandomSource& rng, size_t n) {
  SecretBytes out(n);
  absl::Status s = rng.Fill(out.mutable_span());
  if (!s.ok()) return s;
  return out;
}

}  // namespace mikey
