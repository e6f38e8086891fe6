// Fuzzes the MIKEY message codec (core/message): ParseMessage on arbitrary
// bytes, with the properties message.h promises for what it accepts:
//   - SerializeMessage(ParseMessage(b)) == b, octet for octet;
//   - the layout covers the input: payload extents in order, inside it,
//     the last one ending at its end;
// and the same for ParseKeyDataList / SerializeKeyDataList (the chain inside
// a KEMAC), run on the whole input and on every NULL-encrypted KEMAC's data.

#include <cstddef>
#include <cstdint>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/message/message.h"
#include "tests/fuzz/fuzz_util.h"

namespace mikey {
namespace {

void CheckKeyDataList(absl::Span<const uint8_t> chain) {
  absl::StatusOr<std::vector<KeyDataPayload>> kd = ParseKeyDataList(chain);
  if (!kd.ok()) return;
  FUZZ_CHECK(!kd->empty(), "an empty key data list parsed");
  absl::StatusOr<SecretBytes> again = SerializeKeyDataList(*kd);
  FUZZ_CHECK(again.ok(),
             absl::StrCat("parsed key data list does not serialize: ",
                          again.status().ToString()));
  FUZZ_CHECK(again->span() == chain,
             "key data list does not serialize to its input");
}

void CheckMessage(absl::Span<const uint8_t> wire) {
  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(wire, &layout);
  if (!m.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(m.status()),
               absl::StrCat("parse failure that is not INVALID_ARGUMENT: ",
                            m.status().ToString()));
    return;
  }
  FUZZ_CHECK(layout.payloads.size() == m->payloads.size(),
             "layout and payload counts differ");
  size_t at = layout.header_end;
  FUZZ_CHECK(at <= wire.size(), "header ends past the input");
  for (const PayloadExtent& e : layout.payloads) {
    FUZZ_CHECK(e.begin == at && e.begin < e.end && e.end <= wire.size(),
               absl::StrCat("payload extent [", e.begin, ", ", e.end,
                            ") after offset ", at));
    at = e.end;
  }
  FUZZ_CHECK(at == wire.size(), "payloads do not end at the end of input");

  absl::StatusOr<Bytes> again = SerializeMessage(*m);
  FUZZ_CHECK(again.ok(), absl::StrCat("parsed message does not serialize: ",
                                      again.status().ToString()));
  FUZZ_CHECK(absl::MakeConstSpan(*again) == wire,
             "message does not serialize to its input");

  for (const Payload& p : m->payloads) {
    (void)PayloadName(PayloadTypeOf(p));
    if (const auto* k = std::get_if<KemacPayload>(&p)) {
      if (k->encr_alg == encr_alg::kNull && !k->encr_data.empty()) {
        CheckKeyDataList(k->encr_data);
      }
    }
  }
  (void)DataTypeName(m->header.data_type);
}

}  // namespace
}  // namespace mikey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::Span<const uint8_t> input(data, size);
  mikey::CheckMessage(input);
  mikey::CheckKeyDataList(input);
  return 0;
}
