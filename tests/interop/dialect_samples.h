// MIKEY-NULL messages in the shapes that deployed peers send (see
// MIKEY-NOTES.md "Deployed dialects"), assembled by hand field by field from
// reading each sender's code, together with the field values each one must
// parse to. The same bytes are kept as tests/interop/testdata/*.b64 (also the
// seed corpus for fuzzing); testdata/README.md says where each shape comes
// from.
//
// The expected values are written out independently of the hex, so a slip in
// the hand assembly shows up as a disagreement with GStreamer, tshark or our
// parser rather than being silently copied into the expectations.

#ifndef MIKEY_TESTS_INTEROP_DIALECT_SAMPLES_H_
#define MIKEY_TESTS_INTEROP_DIALECT_SAMPLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/interop/interop_util.h"

namespace mikey {
namespace interop {

struct ExpectedCs {
  uint8_t policy_no;
  uint32_t ssrc;
  uint32_t roc;
};

struct ExpectedKeyData {
  uint8_t type;  // 2 TEK, 3 TEK+SALT (wire nibble)
  std::string key_hex;
  std::string salt_hex;  // empty: no salt field on the wire
  uint8_t kv;            // 0 NULL, 1 SPI/MKI
  std::string spi_hex;   // SPI/MKI when kv == 1
};

struct DialectSample {
  std::string name;    // short id, also the test data file stem
  std::string source;  // who sends this shape and where we read it
  std::string quirks;  // what deviates from a plain RFC 3830 reading
  Bytes wire;          // hand-assembled message

  // Expected field values.
  uint32_t csb_id;
  std::vector<ExpectedCs> cs;
  std::vector<uint8_t> payload_types;  // wire payload types after HDR, in order
  uint8_t ts_type;
  uint64_t ts_value;
  std::string rand_hex;  // empty: no RAND payload
  std::vector<std::pair<uint8_t, std::string>> sp_params;  // empty: no SP
  ExpectedKeyData key;  // the single key data sub-payload of the KEMAC
};

// All samples, in a fixed order.
const std::vector<DialectSample>& DialectSamples();

// The workspace-relative path of a sample's test data file.
std::string DialectSamplePath(const DialectSample& sample);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_DIALECT_SAMPLES_H_
