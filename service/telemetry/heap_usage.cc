#include "service/telemetry/heap_usage.h"

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define MIKEY_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIKEY_SANITIZER_ALLOCATOR 1
#endif
#endif

#if defined(MIKEY_SANITIZER_ALLOCATOR)
// From <sanitizer/allocator_interface.h>, which gcc does not install.
extern "C" size_t __sanitizer_get_current_allocated_bytes(void);
extern "C" size_t __sanitizer_get_heap_size(void);
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mikey {
namespace service {
namespace telemetry {

std::optional<HeapUsage> ReadHeapUsage() {
#if defined(MIKEY_SANITIZER_ALLOCATOR)
  HeapUsage usage;
  usage.in_use = __sanitizer_get_current_allocated_bytes();
  usage.held = __sanitizer_get_heap_size();
  return usage;
#elif defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  // uordblks: in use in the arenas; hblkhd: mmapped chunks (always in use);
  // arena: what the arenas hold from the system (sbrk and mmapped heaps).
  const struct mallinfo2 info = mallinfo2();
  HeapUsage usage;
  usage.in_use = info.uordblks + info.hblkhd;
  usage.held = info.arena + info.hblkhd;
  return usage;
#else
  return std::nullopt;
#endif
}

}  // namespace telemetry
}  // namespace service
}  // namespace mikey
