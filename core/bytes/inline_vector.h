// InlineVector<T, N>: a vector of trivially copyable T that keeps up to N
// elements inside the object and only goes to the heap beyond that; and
// InlineBytes<N>, the byte string built on it. For the short public fields of
// MIKEY messages (SP parameter values of 1 to 4 octets, RANDs of 16 to 32,
// MACs of 20 or 32, CS ID maps of a few streams): parsing or building one
// then costs no allocation.
//
// It reads like the std::vector it replaces (data(), size(), begin()/end(),
// push_back(), assign(), resize(), ==) and converts implicitly from and to a
// std::vector, from a span and from a brace list, so code written for the
// vectors these fields used to be still compiles. It converts to
// absl::Span<const T> as any contiguous container does; prefer that to the
// vector conversion, which copies.
//
// Not for key material: it does not wipe its storage. Keys, salts and key
// data chains stay in SecretBytes.

#ifndef MIKEY_CORE_BYTES_INLINE_VECTOR_H_
#define MIKEY_CORE_BYTES_INLINE_VECTOR_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/types/span.h"
#include "core/bytes/short_copy.h"

namespace mikey {

template <typename T, size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T>,
                "elements are copied as octets");
  static_assert(N > 0);

 public:
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;

  // Elements held without a heap allocation.
  static constexpr size_t kInlineCapacity = N;

  InlineVector() = default;
  // Implicit, like the vectors these fields used to be: RandPayload{bytes},
  // `kemac.mac = Bytes(20, 0)`, `header.srtp_map = entries`.
  InlineVector(absl::Span<const T> items) {  // NOLINT(runtime/explicit)
    assign(items);
  }
  InlineVector(const std::vector<T>& items) {  // NOLINT(runtime/explicit)
    assign(absl::MakeConstSpan(items));
  }
  InlineVector(std::initializer_list<T> items) {
    assign(absl::MakeConstSpan(items.begin(), items.size()));
  }
  InlineVector(size_t n, const T& value) { resize(n, value); }
  template <typename It,
            typename = std::enable_if_t<std::is_convertible_v<
                typename std::iterator_traits<It>::iterator_category,
                std::forward_iterator_tag>>>
  InlineVector(It first, It last) {
    assign(first, last);
  }

  InlineVector(const InlineVector& other) {
    if (other.on_heap()) {
      assign(other.span());
    } else {
      storage_ = other.storage_;  // A fixed-size copy of the inline buffer.
      size_ = other.size_;
    }
  }
  InlineVector(InlineVector&& other) noexcept { TakeFrom(other); }
  InlineVector& operator=(const InlineVector& other) {
    assign(other.span());  // Safe when other is *this.
    return *this;
  }
  InlineVector& operator=(InlineVector&& other) noexcept {
    if (this != &other) {
      FreeHeap();
      TakeFrom(other);
    }
    return *this;
  }
  ~InlineVector() { FreeHeap(); }

  T* data() { return on_heap() ? storage_.heap : storage_.items; }
  const T* data() const { return on_heap() ? storage_.heap : storage_.items; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return span()[i]; }
  const T& operator[](size_t i) const { return span()[i]; }
  T& front() { return span().front(); }
  const T& front() const { return span().front(); }
  T& back() { return span().back(); }
  const T& back() const { return span().back(); }

  iterator begin() { return span().begin(); }
  iterator end() { return span().end(); }
  const_iterator begin() const { return span().begin(); }
  const_iterator end() const { return span().end(); }

  // Replaces the contents; `items` may point into this object.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void assign(absl::Span<const T> items) {
    if (ABSL_PREDICT_TRUE(items.size() <= N && !on_heap())) {
      // The usual case, inline to inline: a copy and nothing to free.
      CopyItems(absl::MakeSpan(storage_.items, items.size()), items);
      size_ = items.size();
      return;
    }
    Rebuild(items, items.size(), T{});
  }
  void assign(size_t n, const T& value) {
    clear();
    resize(n, value);
  }
  template <typename It,
            typename = std::enable_if_t<std::is_convertible_v<
                typename std::iterator_traits<It>::iterator_category,
                std::forward_iterator_tag>>>
  void assign(It first, It last) {
    if constexpr (std::is_convertible_v<It, const T*>) {
      const T* const p = first;
      assign(absl::MakeConstSpan(p, static_cast<size_t>(last - first)));
    } else {
      InlineVector fresh;
      fresh.resize(static_cast<size_t>(std::distance(first, last)));
      std::copy(first, last, fresh.begin());
      *this = std::move(fresh);
    }
  }

  // Keeps the first min(n, size()) elements; new ones are `value`.
  void resize(size_t n, const T& value = T{}) {
    if (n == size_) return;
    if (n <= Capacity(size_) && (n > N) == on_heap()) {
      // Room in the current storage (Capacity(size_) never exceeds the
      // block's real size: it only shrinks with size_).
      if (n > size_) std::fill_n(data() + size_, n - size_, value);
      size_ = n;
      return;
    }
    Rebuild(span().first(std::min(n, size_)), n, value);
  }
  void push_back(const T& item) {
    if (size_ < Capacity(size_) && (size_ + 1 > N) == on_heap()) {
      data()[size_++] = item;
      return;
    }
    const T copy = item;  // `item` may be one of ours.
    resize(size_ + 1, copy);
  }
  // Appends T{args...} (brace initialization, so aggregates work too).
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    push_back(T{std::forward<Args>(args)...});
    return back();
  }
  // The storage grows geometrically by itself; kept for code written for
  // std::vector.
  void reserve(size_t) {}
  void clear() { resize(0); }

  // A copy in a std::vector, for code written for the vector these fields
  // used to be (`const Bytes& mac = kemac.mac`). Implicit for that reason:
  // prefer passing an absl::Span, which copies nothing.
  operator std::vector<T>() const {  // NOLINT(runtime/explicit)
    return std::vector<T>(begin(), end());
  }

  friend bool operator==(const InlineVector& a, const InlineVector& b) {
    return Equal(a.span(), b.span());
  }
  friend bool operator!=(const InlineVector& a, const InlineVector& b) {
    return !(a == b);
  }
  friend bool operator==(const InlineVector& a, const std::vector<T>& b) {
    return Equal(a.span(), absl::MakeConstSpan(b));
  }
  friend bool operator!=(const InlineVector& a, const std::vector<T>& b) {
    return !(a == b);
  }
  friend bool operator==(const std::vector<T>& a, const InlineVector& b) {
    return b == a;
  }
  friend bool operator!=(const std::vector<T>& a, const InlineVector& b) {
    return !(b == a);
  }

 private:
  bool on_heap() const { return size_ > N; }
  absl::Span<T> span() { return absl::MakeSpan(data(), size_); }
  absl::Span<const T> span() const {
    return absl::MakeConstSpan(data(), size_);
  }

  // Room in the storage that holds `size` elements: N inline, else the heap
  // block, whose size is the power of two at or above `size` (so that
  // push_back is amortized constant time without storing a capacity).
  static size_t Capacity(size_t size) {
    if (size <= N) return N;
    size_t capacity = 2 * N;
    while (capacity < size) capacity *= 2;
    return capacity;
  }

  static bool Equal(absl::Span<const T> a, absl::Span<const T> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

  // Copies elements as octets; `from` may overlap `to`.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static void CopyItems(absl::Span<T> to,
                                                     absl::Span<const T> from) {
    bytes_internal::CopyShort(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(to.data()),
                       to.size() * sizeof(T)),
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(from.data()),
                            from.size() * sizeof(T)));
  }

  // Moves to fresh storage for `n` elements (inline, or a new heap block),
  // holding `prefix` and then `fill` up to n, and frees the old block.
  // `prefix` may point into the old storage: an old heap block is freed only
  // at the end, and CopyItems allows overlap.
  ABSL_ATTRIBUTE_NOINLINE void Rebuild(absl::Span<const T> prefix, size_t n,
                                       const T& fill) {
    T* const old_heap = on_heap() ? storage_.heap : nullptr;
    const T fill_copy = fill;  // `fill` may be one of ours.
    absl::Span<T> to = n <= N ? absl::MakeSpan(storage_.items, n)
                              : absl::MakeSpan(new T[Capacity(n)], n);
    CopyItems(to, prefix);
    std::fill(to.begin() + prefix.size(), to.end(), fill_copy);
    if (n > N) storage_.heap = to.data();
    size_ = n;
    delete[] old_heap;
  }

  // Moves other's contents here (this object holds no heap block).
  void TakeFrom(InlineVector& other) {
    storage_ = other.storage_;  // The inline elements or the heap pointer.
    size_ = other.size_;
    other.size_ = 0;
  }

  void FreeHeap() {
    if (on_heap()) delete[] storage_.heap;
  }

  size_t size_ = 0;
  union Storage {
    // Zeroed, so that copying the whole buffer never reads indeterminate
    // octets.
    Storage() { std::memset(static_cast<void*>(this), 0, sizeof(*this)); }
    T items[N];
    T* heap;  // size_ elements in a block of Capacity(size_), when size_ > N
  } storage_;
};

// Octets: the short public fields of a message.
template <size_t N>
using InlineBytes = InlineVector<uint8_t, N>;

}  // namespace mikey

#endif  // MIKEY_CORE_BYTES_INLINE_VECTOR_H_
