// How much heap mikeyd has allocated and not freed, for the
// mikeyd_heap_*_bytes gauges.
//
// RSS is a poor leak signal for a gRPC server: glibc keeps freed memory in
// per-thread arenas, and which arena a connection's buffers land in varies,
// so RSS after the same work moves by megabytes either way. The allocator's
// own count of live bytes does not: it comes back to where it was once the
// work's allocations are freed.

#ifndef MIKEY_SERVICE_TELEMETRY_HEAP_USAGE_H_
#define MIKEY_SERVICE_TELEMETRY_HEAP_USAGE_H_

#include <cstdint>
#include <optional>

namespace mikey {
namespace service {
namespace telemetry {

struct HeapUsage {
  // Bytes in allocations not yet freed (small-chunk arenas plus chunks the
  // allocator mmapped on their own).
  uint64_t in_use = 0;
  // Bytes the allocator holds from the system for the heap, in use or free.
  uint64_t held = 0;
};

// Asks the allocator: glibc's mallinfo2(), or the sanitizer allocator's
// counters in an ASan build (which replaces malloc). nullopt where neither
// is available. Walks every arena under its lock, so it is for scrapes, not
// for hot paths.
std::optional<HeapUsage> ReadHeapUsage();

}  // namespace telemetry
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TELEMETRY_HEAP_USAGE_H_
