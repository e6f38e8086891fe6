// Private helpers shared by the crypto wrappers. Not part of the API.

#ifndef MIKEY_CORE_CRYPTO_OPENSSL_UTIL_H_
#define MIKEY_CORE_CRYPTO_OPENSSL_UTIL_H_

#include <climits>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mikey {
namespace crypto_internal {

// An INTERNAL error naming `what` and the first queued OpenSSL error; clears
// the thread's OpenSSL error queue so later calls start clean.
absl::Status OpenSslError(absl::string_view what);

// Drops whatever errors OpenSSL queued (after an expected failure).
void ClearOpenSslErrors();

// Lengths handed to EVP_* calls must fit an int.
inline bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

}  // namespace crypto_internal
}  // namespace mikey

#endif  // MIKEY_CORE_CRYPTO_OPENSSL_UTIL_H_
