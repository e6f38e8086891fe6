#include "core/crypto/openssl_util.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace mikey {
namespace crypto_internal {

absl::Status OpenSslError(absl::string_view what) {
  const auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return absl::InternalError(what);
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return absl::InternalError(absl::StrCat(what, ": ", buf));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace crypto_internal
}  // namespace mikey
