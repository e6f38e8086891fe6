#include "core/bytes/writer.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace mikey {

absl::Status Writer::DoesNotFit(const LazyName& field, uint64_t value,
                                int bits) {
  std::string text = field.ToString();
  absl::StrAppend(&text, ": value ", value, " does not fit in ", bits, " bits");
  return absl::InvalidArgumentError(text);
}

}  // namespace mikey
