// GStreamer's MIKEY implementation (libgstsdp, gst/sdp/gstmikey.h) as an
// independent peer.
//
// Every call into GStreamer happens in a fork()ed child (RunIsolated) with a
// deadline, never in the test process:
//  - GStreamer 1.22's parser loops forever on payload types it lacks (DH,
//    SIGN, ID, CERT, CHASH, V, ERR, General Extension, any unknown type, and
//    a KEMAC inside a PK message, where it expects an ID sub-payload), so a
//    parse can hang; the child is killed at the deadline instead.
//  - The test process never initialises GLib/GStreamer, so forking is safe.
// The child reports what GStreamer parsed as a line-oriented text dump, which
// the parent turns back into GstMessageView for comparison.

#ifndef MIKEY_TESTS_INTEROP_GST_PEER_H_
#define MIKEY_TESTS_INTEROP_GST_PEER_H_

#include <gst/sdp/gstmikey.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/interop/interop_util.h"

namespace mikey {
namespace interop {

// What GStreamer's structs held after parsing, field by field.
struct GstKeyDataView {
  int key_type = -1;  // GstMIKEYKeyDataType as GStreamer stored it
  Bytes key;
  Bytes salt;
  int kv_type = -1;
  Bytes kv0;  // SPI, or Valid From
  Bytes kv1;  // Valid To
};
struct GstSpParamView {
  int type = -1;
  Bytes value;
};
struct GstPayloadView {
  int type = -1;  // GstMIKEYPayloadType
  // T
  int ts_type = -1;
  Bytes ts_value;
  // RAND
  Bytes rand;
  // SP
  int policy = -1;
  int proto = -1;
  std::vector<GstSpParamView> params;
  // KEMAC
  int enc_alg = -1;
  int mac_alg = -1;
  std::vector<GstKeyDataView> key_data;
  int kemac_other_subs = 0;  // sub-payloads that are not key data
  // PKE
  int pke_c = -1;
  Bytes pke_data;
};
struct GstCsView {
  int policy = -1;
  uint32_t ssrc = 0;
  uint32_t roc = 0;
};
struct GstMessageView {
  int version = -1;
  int type = -1;
  bool v = false;
  int prf = -1;
  uint32_t csb_id = 0;
  int map_type = -1;
  std::vector<GstCsView> cs;
  std::vector<GstPayloadView> payloads;
};

struct GstParseResult {
  ChildOutcome outcome;  // how the child running GStreamer ended
  bool parsed = false;   // gst_mikey_message_new_from_data returned non-NULL
  GstMessageView view;   // valid when parsed
  std::string Describe() const;
};

// Parses `wire` with gst_mikey_message_new_from_data in a child process.
GstParseResult ParseWithGstreamer(const Bytes& wire,
                                  absl::Duration timeout = absl::Seconds(5));

// Runs `make` in a child, serializes the message it returns with
// gst_mikey_message_to_bytes and returns the bytes. `make` must return a
// new message (ownership passes to the helper), or null to signal failure.
absl::StatusOr<Bytes> BuildWithGstreamer(
    const std::function<GstMIKEYMessage*()>& make,
    absl::Duration timeout = absl::Seconds(10));

// The line-oriented dump used between child and parent (exposed for tests).
std::string DumpGstMessage(const GstMIKEYMessage* msg);
absl::StatusOr<GstMessageView> ParseGstDump(const std::string& dump);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_GST_PEER_H_
