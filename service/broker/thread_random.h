// The broker's randomness: OpenSSL's CSPRNG, drawn through one
// BufferedRandom per thread (see core/crypto/random.h for why).

#ifndef MIKEY_SERVICE_BROKER_THREAD_RANDOM_H_
#define MIKEY_SERVICE_BROKER_THREAD_RANDOM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/crypto/random.h"

namespace mikey {
namespace service {
namespace keybroker {

// Thread-safe: every thread has its own buffer (wiped when the thread ends).
class PerThreadRandom final : public RandomSource {
 public:
  absl::Status Fill(absl::Span<uint8_t> out) override {
    thread_local OpenSslRandom source;
    thread_local BufferedRandom buffered(&source);
    return buffered.Fill(out);
  }
};

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_THREAD_RANDOM_H_
