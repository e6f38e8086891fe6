// KeyResult <-> bytes, for adapters that put keys in a state token. The
// encoding is private to this service (tokens are opaque to callers and
// short-lived); it starts with a format octet.

#ifndef MIKEY_SERVICE_BROKER_KEY_RESULT_CODEC_H_
#define MIKEY_SERVICE_BROKER_KEY_RESULT_CODEC_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/types.h"

namespace mikey {
namespace service {
namespace keybroker {

// Appends `keys` to `w`. The caller makes `w` a buffer it wipes.
absl::Status EncodeKeyResult(const exchange::KeyResult& keys, Writer* w);

// Reads what EncodeKeyResult wrote. INVALID_ARGUMENT if malformed.
absl::StatusOr<exchange::KeyResult> DecodeKeyResult(Reader* r);

// Exact size EncodeKeyResult will write (so a Writer can reserve it and
// never leave a copy of the keys in reallocated memory).
size_t EncodedKeyResultSize(const exchange::KeyResult& keys);

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_KEY_RESULT_CODEC_H_
