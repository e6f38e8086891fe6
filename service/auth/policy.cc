#include "service/auth/policy.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/auth/policy.pb.h"
#include "service/json_proto.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

constexpr size_t kMaxPatternBytes = 256;

// A pattern is printable ASCII or UTF-8 text without control characters.
absl::Status CheckPattern(absl::string_view pattern, absl::string_view field) {
  if (pattern.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  }
  if (pattern.size() > kMaxPatternBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxPatternBytes, " bytes"));
  }
  for (char c : pattern) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", absl::CHexEscape(pattern),
                       "' contains a control character"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  size_t p = 0, t = 0;
  size_t star = absl::string_view::npos;  // position of the last '*' seen
  size_t star_text = 0;                   // text position it matched up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != absl::string_view::npos) {
      // Let the last '*' swallow one more character and retry from there.
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> KeyBrokerRpcNames() {
  std::vector<std::string> names;
  const google::protobuf::ServiceDescriptor* service =
      broker::v1::DecodeRequest::descriptor()->file()->FindServiceByName(
          "KeyBroker");
  if (service == nullptr) return names;
  for (int i = 0; i < service->method_count(); ++i) {
    names.push_back(service->method(i)->name());
  }
  return names;
}

absl::StatusOr<Policy> Policy::Parse(absl::string_view json,
                                     absl::string_view source) {
  mikeyd::v1::Policy proto;
  if (absl::Status s = ParseJsonMessage(json, source, &proto); !s.ok()) {
    return s;
  }
  auto error = [source](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
  };
  if (proto.rules().empty()) {
    return error("rules: none given (the policy would deny every call)");
  }
  const std::vector<std::string> rpc_names = KeyBrokerRpcNames();
  Policy policy;
  for (int i = 0; i < proto.rules_size(); ++i) {
    const mikeyd::v1::PolicyRule& r = proto.rules(i);
    const std::string field = absl::StrCat("rules[", i, "]");
    Rule rule;
    if (absl::Status s = CheckPattern(r.client(), field + ".client"); !s.ok()) {
      return error(s.message());
    }
    rule.client = r.client();
    if (r.rpcs().empty()) {
      return error(absl::StrCat(
          field, ".rpcs: none given (name RPCs, or \"*\" for all of ",
          absl::StrJoin(rpc_names, ", "), ")"));
    }
    for (int j = 0; j < r.rpcs_size(); ++j) {
      const std::string& rpc = r.rpcs(j);
      bool known = rpc == "*";
      for (const std::string& name : rpc_names) known = known || rpc == name;
      if (!known) {
        return error(
            absl::StrCat(field, ".rpcs[", j, "]: '", absl::CHexEscape(rpc),
                         "' is not a KeyBroker RPC (",
                         absl::StrJoin(rpc_names, ", "), ", or \"*\")"));
      }
      rule.rpcs.push_back(rpc);
    }
    for (int j = 0; j < r.key_ids_size(); ++j) {
      if (absl::Status s = CheckPattern(
              r.key_ids(j), absl::StrCat(field, ".key_ids[", j, "]"));
          !s.ok()) {
        return error(s.message());
      }
      rule.key_ids.push_back(r.key_ids(j));
    }
    policy.rules_.push_back(std::move(rule));
  }
  return policy;
}

absl::StatusOr<Policy> Policy::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

bool Policy::Allows(const CallerIdentity& caller, absl::string_view rpc,
                    absl::string_view key_id) const {
  for (const Rule& rule : rules_) {
    const bool client_matches =
        caller.authenticated
            ? rule.client != kAnonymous && GlobMatch(rule.client, caller.name)
            : rule.client == kAnonymous;
    if (!client_matches) continue;
    bool rpc_matches = false;
    for (const std::string& r : rule.rpcs) {
      rpc_matches = rpc_matches || r == "*" || r == rpc;
    }
    if (!rpc_matches) continue;
    if (key_id.empty()) return true;
    for (const std::string& pattern : rule.key_ids) {
      if (GlobMatch(pattern, key_id)) return true;
    }
  }
  return false;
}

}  // namespace auth
}  // namespace service
}  // namespace mikey
