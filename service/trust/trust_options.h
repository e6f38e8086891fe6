// What the configuration says about trust for peers' certificates in the
// public-key modes (plain values; trust_store.h loads them).

#ifndef MIKEY_SERVICE_TRUST_TRUST_OPTIONS_H_
#define MIKEY_SERVICE_TRUST_TRUST_OPTIONS_H_

#include <map>
#include <string>
#include <vector>

namespace mikey {
namespace service {
namespace trust {

// One set of trust, as configured.
struct TrustSources {
  // PEM files of trust anchors (every CERTIFICATE block of each file).
  std::vector<std::string> ca_files;
  // SHA-256 pins of DER SubjectPublicKeyInfos: "sha256/<base64>" (the
  // RFC 7469 pin-sha256 value) or 64 hexadecimal digits.
  std::vector<std::string> pins;

  bool empty() const { return ca_files.empty() && pins.empty(); }
};

struct TrustOptions {
  TrustSources global;
  // Own key id -> the set that replaces `global` for exchanges using it.
  std::map<std::string, TrustSources> per_key;

  bool empty() const { return global.empty() && per_key.empty(); }
};

}  // namespace trust
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TRUST_TRUST_OPTIONS_H_
