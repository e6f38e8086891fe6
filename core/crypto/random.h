// Sources of random octets. Core takes a RandomSource wherever it needs
// randomness (RAND payloads, TGKs, DH secrets), so tests can be
// deterministic and the service decides where randomness comes from.

#ifndef MIKEY_CORE_CRYPTO_RANDOM_H_
#define MIKEY_CORE_CRYPTO_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"

namespace mikey {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` entirely, or fails.
  virtual absl::Status Fill(absl::Span<uint8_t> out) = 0;
};

// The library's CSPRNG (RAND_bytes). Stateless and thread-safe.
class OpenSslRandom final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override;
};

// Draws from `source` in blocks of kBlock octets and hands them out in
// order, so that many small requests cost one call of the source (OpenSSL 3's
// RAND_bytes costs about half a microsecond per call, whatever its length,
// and a PSK exchange makes five or six small draws). Octets are handed out
// once each and wiped from the buffer as they go; what is left is wiped on
// destruction. Requests of kBlock octets or more bypass the buffer.
// Not thread-safe: one per thread.
class BufferedRandom final : public RandomSource {
 public:
  static constexpr size_t kBlock = 256;
  // `source` must outlive this.
  explicit BufferedRandom(RandomSource* source) : source_(source) {}
  ~BufferedRandom() override;
  BufferedRandom(const BufferedRandom&) = delete;
  BufferedRandom& operator=(const BufferedRandom&) = delete;

  absl::Status Fill(absl::Span<uint8_t> out) override;

 private:
  RandomSource* const source_;
  uint8_t buffer_[kBlock];
  size_t used_ = kBlock;  // Octets of buffer_ already handed out.
};

// FOR TESTS ONLY: a reproducible stream, the AES-128-CTR keystream under the
// key 0^64 || seed (seed big-endian) from the all-zero counter block; each
// Fill() continues the stream. Not thread-safe.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed);
  absl::Status Fill(absl::Span<uint8_t> out) override;

 private:
  uint8_t key_[16];
  uint8_t counter_[16] = {};
  uint8_t block_[16] = {};
  size_t used_ = 16;  // Octets of block_ already handed out.
};

// Conveniences: `n` fresh octets.
absl::StatusOr<std::vector<uint8_t>> RandomBytes(RandomSource& rng, size_t n);
absl::StatusOr<SecretBytes> RandomSecret(RandomSource& rng, size_t n);

}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_RANDOM_H_
