// A classic libpcap capture file (LINKTYPE_ETHERNET) holding each given
// datagram as one Ethernet/IPv4/UDP frame, so that Wireshark's dissectors can
// be run over MIKEY messages we build (tshark decodes UDP port 2269 as MIKEY).

#ifndef MIKEY_TESTS_INTEROP_PCAP_H_
#define MIKEY_TESTS_INTEROP_PCAP_H_

#include <cstdint>
#include <vector>

namespace mikey {
namespace interop {

inline constexpr uint16_t kMikeyUdpPort = 2269;

// Frame i carries datagrams[i] from 127.0.0.1:40000 to 127.0.0.2:dst_port,
// with timestamp i seconds. Datagrams must be shorter than 65000 octets.
std::vector<uint8_t> MakeUdpPcap(
    const std::vector<std::vector<uint8_t>>& datagrams,
    uint16_t dst_port = kMikeyUdpPort);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_PCAP_H_
