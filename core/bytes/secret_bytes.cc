#include "core/bytes/secret_bytes.h"

#include <string.h>

namespace mikey {

void SecureWipe(void* p, size_t n) {
  if (p != nullptr && n != 0) explicit_bzero(p, n);
}

bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

void SecretBytes::Wipe() {
  // Wipe the whole capacity: earlier, longer contents may still be there.
  SecureWipe(bytes_.data(), bytes_.capacity());
  bytes_.clear();
  bytes_.shrink_to_fit();
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

}  // namespace mikey
