// Reading small JSON files (the configuration and the policy) into protobuf
// messages with protobuf's own JSON parser, strictly: unknown fields are
// errors, and errors name the file.

#ifndef MIKEY_SERVICE_JSON_PROTO_H_
#define MIKEY_SERVICE_JSON_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mikey {
namespace service {

// The largest configuration or policy file read.
inline constexpr size_t kMaxJsonFileBytes = 1 << 20;

// The contents of `path`. FAILED_PRECONDITION naming the file and the reason
// when it cannot be read, or is larger than `max_bytes`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes = kMaxJsonFileBytes);

// Checks that `json` is one well-formed JSON value (RFC 8259) with no key
// given twice in an object (keys compared as protobuf's JSON parser maps them
// to fields: "a_b" and "aB" are the same key). Protobuf's parser silently
// keeps the last of duplicate keys, which in a security configuration could
// hide a setting. Iterative, nesting depth at most kMaxJsonDepth.
// INVALID_ARGUMENT "line L, column C: what (at a.b[2])" otherwise.
inline constexpr int kMaxJsonDepth = 32;
absl::Status CheckStrictJson(absl::string_view json);

// CheckStrictJson, then parses `json` into `message` (proto3 JSON mapping,
// unknown fields rejected). INVALID_ARGUMENT "SOURCE: <what is wrong>"
// otherwise.
absl::Status ParseJsonMessage(absl::string_view json, absl::string_view source,
                              google::protobuf::Message* message);

}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_JSON_PROTO_H_
