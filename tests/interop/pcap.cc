#include "tests/interop/pcap.h"

#include <cstdlib>

namespace mikey {
namespace interop {
namespace {

// The pcap file header and record headers are in the writer's byte order
// (we write little-endian, magic 0xa1b2c3d4); the frame itself is network
// byte order.
void PutLe32(std::vector<uint8_t>* out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutLe16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
void PutBe16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

uint16_t Ipv4HeaderChecksum(const uint8_t* header) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (header[i] << 8) | header[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::vector<uint8_t> MakeUdpPcap(
    const std::vector<std::vector<uint8_t>>& datagrams, uint16_t dst_port) {
  std::vector<uint8_t> out;
  PutLe32(&out, 0xa1b2c3d4);  // magic: microsecond timestamps
  PutLe16(&out, 2);           // version 2.4
  PutLe16(&out, 4);
  PutLe32(&out, 0);       // thiszone
  PutLe32(&out, 0);       // sigfigs
  PutLe32(&out, 262144);  // snaplen
  PutLe32(&out, 1);       // LINKTYPE_ETHERNET

  uint32_t index = 0;
  for (const std::vector<uint8_t>& payload : datagrams) {
    if (payload.size() >= 65000) std::abort();  // test data error
    std::vector<uint8_t> frame;
    // Ethernet II: locally administered MACs, EtherType IPv4.
    for (int i = 0; i < 6; ++i) frame.push_back(0x02);
    for (int i = 0; i < 6; ++i) frame.push_back(0x04);
    PutBe16(&frame, 0x0800);
    // IPv4, no options.
    const size_t ip_start = frame.size();
    const uint16_t udp_len = static_cast<uint16_t>(8 + payload.size());
    frame.push_back(0x45);
    frame.push_back(0x00);
    PutBe16(&frame, static_cast<uint16_t>(20 + udp_len));
    PutBe16(&frame, static_cast<uint16_t>(index));  // identification
    PutBe16(&frame, 0x4000);                        // don't fragment
    frame.push_back(64);                            // TTL
    frame.push_back(17);                            // UDP
    PutBe16(&frame, 0);                             // checksum, below
    for (uint8_t b : {127, 0, 0, 1}) frame.push_back(b);
    for (uint8_t b : {127, 0, 0, 2}) frame.push_back(b);
    const uint16_t csum = Ipv4HeaderChecksum(&frame[ip_start]);
    frame[ip_start + 10] = static_cast<uint8_t>(csum >> 8);
    frame[ip_start + 11] = static_cast<uint8_t>(csum);
    // UDP; checksum 0 = not computed (allowed for IPv4).
    PutBe16(&frame, 40000);
    PutBe16(&frame, dst_port);
    PutBe16(&frame, udp_len);
    PutBe16(&frame, 0);
    frame.insert(frame.end(), payload.begin(), payload.end());

    PutLe32(&out, index);  // ts_sec
    PutLe32(&out, 0);      // ts_usec
    PutLe32(&out, static_cast<uint32_t>(frame.size()));
    PutLe32(&out, static_cast<uint32_t>(frame.size()));
    out.insert(out.end(), frame.begin(), frame.end());
    ++index;
  }
  return out;
}

}  // namespace interop
}  // namespace mikey
