// mikeyd's authorization policy: which caller may call which KeyBroker RPC
// with which keystore keys. Default deny. The file format is the JSON form of
// mikey.mikeyd.v1.Policy (service/auth/policy.proto); docs/CONFIG.md has
// examples.

#ifndef MIKEY_SERVICE_AUTH_POLICY_H_
#define MIKEY_SERVICE_AUTH_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/call_guard.h"

namespace mikey {
namespace service {
namespace auth {

// The identity of callers without a verified client certificate.
inline constexpr char kAnonymous[] = "anonymous";

// Glob match: '*' matches any run of characters (also none), '?' exactly one
// character; everything else matches itself (no escapes, no classes).
// Iterative, O(|pattern| * |text|) at worst.
bool GlobMatch(absl::string_view pattern, absl::string_view text);

// The KeyBroker RPC method names, from the service's descriptor.
std::vector<std::string> KeyBrokerRpcNames();

class Policy {
 public:
  struct Rule {
    std::string client;
    std::vector<std::string> rpcs;     // names, or "*"
    std::vector<std::string> key_ids;  // glob patterns
  };

  // Parses and checks the JSON text of a policy. INVALID_ARGUMENT naming the
  // field ("rules[1].rpcs[0]: ...") otherwise; `source` (a file name)
  // prefixes every message.
  static absl::StatusOr<Policy> Parse(absl::string_view json,
                                      absl::string_view source);
  // Reads and parses a policy file.
  static absl::StatusOr<Policy> Load(const std::string& path);

  // Whether `caller` may call `rpc` using keystore key `key_id` (empty: the
  // call names no keystore key). Unauthenticated callers match only rules
  // whose client is exactly "anonymous"; authenticated ones match rules whose
  // client pattern matches their name ("*": all of them).
  bool Allows(const CallerIdentity& caller, absl::string_view rpc,
              absl::string_view key_id) const;

  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

}  // namespace auth
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_AUTH_POLICY_H_
