// SecretBytes holds key material: it wipes its storage when destroyed or
// reassigned, never prints its contents, and compares in constant time.
// Every key, salt and TGK in core lives in one of these.

#ifndef MIKEY_CORE_BYTES_SECRET_BYTES_H_
#define MIKEY_CORE_BYTES_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

#include "absl/types/span.h"

namespace mikey {

// Overwrites `n` bytes at `p` in a way the optimizer may not remove.
void SecureWipe(void* p, size_t n);

// Compares two byte strings in time that depends only on their lengths.
bool ConstantTimeEquals(absl::Span<const uint8_t> a,
                        absl::Span<const uint8_t> b);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : bytes_(n, 0) {}
  explicit SecretBytes(absl::Span<const uint8_t> bytes)
      : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes() { Wipe(); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }

  absl::Span<const uint8_t> span() const { return bytes_; }
  absl::Span<uint8_t> mutable_span() { return absl::MakeSpan(bytes_); }

  // Wipes and releases the contents.
  void Wipe();

  // Constant-time equality, for tests and MAC checks.
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return ConstantTimeEquals(a.span(), b.span());
  }
  friend bool operator!=(const SecretBytes& a, const SecretBytes& b) {
    return !(a == b);
  }
  // Prints only the length, so a stray log line cannot leak a key.
  friend std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
    return os << "<secret " << s.size() << " octets>";
  }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_SECRET_BYTES_H_
