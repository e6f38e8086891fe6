// Running Wireshark's MIKEY dissector (tshark, from Debian's tshark package)
// over datagrams, and reading back what it dissected.

#ifndef MIKEY_TESTS_INTEROP_TSHARK_PEER_H_
#define MIKEY_TESTS_INTEROP_TSHARK_PEER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/interop/pdml.h"

namespace mikey {
namespace interop {

// Where the setup (tools/setup, CI) installs tshark. The tests fail, saying
// so, when it is missing: a skipped interop test would hide a broken setup.
inline constexpr char kTsharkPath[] = "/usr/bin/tshark";

// Writes the datagrams as UDP to port 2269 into $TEST_TMPDIR/<name>.pcap,
// runs `tshark -r <pcap> -T pdml` (HOME=$TEST_TMPDIR, which tshark needs
// writable) and returns one PDML <packet> per datagram.
absl::StatusOr<std::vector<PdmlNode>> DissectWithTshark(
    const std::vector<std::vector<uint8_t>>& datagrams, absl::string_view name);

// Problems Wireshark reported anywhere in the packet: a _ws.malformed
// protocol ("Malformed Packet") or expert info of severity Warning or Error
// (with its message). Empty when the dissection was clean.
std::vector<std::string> DissectionProblems(const PdmlNode& packet);

// The PDML field name Wireshark gives the payload of wire type `type`
// ("mikey.kemac", "mikey.t", ...), or "" for a type it does not know.
std::string TsharkPayloadName(uint8_t type);

// The payload nodes (direct children of the "mikey" proto, after the common
// header) in wire order.
std::vector<const PdmlNode*> TsharkPayloads(const PdmlNode& mikey_proto);

// Numeric value of a field's "show" attribute: decimal, or hex with 0x.
// Returns -1 when the node is null or the text is not a number.
long long ShowNumber(const PdmlNode* node);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_TSHARK_PEER_H_
