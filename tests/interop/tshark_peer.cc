#include "tests/interop/tshark_peer.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/interop/interop_util.h"
#include "tests/interop/pcap.h"

namespace mikey {
namespace interop {

absl::StatusOr<std::vector<PdmlNode>> DissectWithTshark(
    const std::vector<std::vector<uint8_t>>& datagrams,
    absl::string_view name) {
  if (access(kTsharkPath, X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        kTsharkPath,
        " is missing: the setup must install Debian's tshark package "
        "(DEBIAN_FRONTEND=noninteractive apt-get install -y tshark)"));
  }
  const std::string dir = TestTmpDir();
  const std::string pcap_path = absl::StrCat(dir, "/", name, ".pcap");
  absl::Status written = WriteFile(pcap_path, MakeUdpPcap(datagrams));
  if (!written.ok()) return written;

  // -n: no name resolution; -o: make sure UDP 2269 is MIKEY even if a user
  // profile changed it (HOME is private to the test anyway).
  ChildOutcome run =
      RunProgram({kTsharkPath, "-n", "-r", pcap_path, "-T", "pdml"},
                 {{"HOME", dir},
                  {"XDG_CONFIG_HOME", dir + "/.config"},
                  {"XDG_CACHE_HOME", dir + "/.cache"}},
                 absl::Seconds(120));
  if (!run.ok()) {
    return absl::InternalError(
        absl::StrCat("tshark ", run.Describe(), "; stderr: ", run.error));
  }
  absl::StatusOr<std::vector<PdmlNode>> packets = ParsePdml(run.output);
  if (!packets.ok()) return packets.status();
  if (packets->size() != datagrams.size()) {
    return absl::InternalError(absl::StrCat("tshark returned ", packets->size(),
                                            " packets for ", datagrams.size(),
                                            " datagrams; stderr: ", run.error));
  }
  return packets;
}

std::vector<std::string> DissectionProblems(const PdmlNode& packet) {
  // Expert severities as PDML shows them (epan/proto.h PI_WARN, PI_ERROR).
  constexpr long long kSeverityWarn = 0x00600000;
  std::vector<std::string> problems;
  for (const PdmlNode* n : packet.FindAllWithPrefix("_ws.")) {
    if (n->name == "_ws.malformed") {
      problems.push_back(absl::StrCat("malformed: ", n->showname));
    } else if (n->name == "_ws.expert") {
      const PdmlNode* sev = n->Child("_ws.expert.severity");
      const PdmlNode* msg = n->Child("_ws.expert.message");
      long long level = ShowNumber(sev);
      if (level >= kSeverityWarn) {
        problems.push_back(
            absl::StrCat("expert (", sev != nullptr ? sev->showname : "?",
                         "): ", msg != nullptr ? msg->show : n->showname));
      }
    }
  }
  return problems;
}

std::string TsharkPayloadName(uint8_t type) {
  switch (type) {
    case 1:
      return "mikey.kemac";
    case 2:
      return "mikey.pke";
    case 3:
      return "mikey.dh";
    case 4:
      return "mikey.sign";
    case 5:
      return "mikey.t";
    case 6:
      return "mikey.id";
    case 7:
      return "mikey.cert";
    case 8:
      return "mikey.chash";
    case 9:
      return "mikey.v";
    case 10:
      return "mikey.sp";
    case 11:
      return "mikey.rand";
    case 12:
      return "mikey.err";
    case 14:
      return "mikey.idr";
    case 21:
      return "mikey.ext";
    case 26:
      return "mikey.sakke";
    default:
      return "";
  }
}

std::vector<const PdmlNode*> TsharkPayloads(const PdmlNode& mikey_proto) {
  std::vector<const PdmlNode*> out;
  for (const PdmlNode& c : mikey_proto.children) {
    if (c.tag == "field" && c.name != "mikey.hdr") out.push_back(&c);
  }
  return out;
}

long long ShowNumber(const PdmlNode* node) {
  if (node == nullptr) return -1;
  absl::string_view s = node->show;
  long long v = 0;
  if (absl::StartsWith(s, "0x")) {
    uint64_t u;
    if (!absl::SimpleHexAtoi(s.substr(2), &u)) return -1;
    return static_cast<long long>(u);
  }
  if (!absl::SimpleAtoi(s, &v)) return -1;
  return v;
}

}  // namespace interop
}  // namespace mikey
