// Helpers shared by the interoperability tests: hex and base64 for test data,
// runfiles, and two ways of running a peer that may misbehave without letting
// it hang or crash the test process:
//
//   RunIsolated()  runs a function in a fork()ed child (used for GStreamer,
//                  whose MIKEY parser loops forever on payloads it lacks);
//   RunProgram()   runs an executable (tshark) with a deadline.
//
// Both kill the child with SIGKILL at the deadline, so a test never waits
// longer than the timeout it passed.

#ifndef MIKEY_TESTS_INTEROP_INTEROP_UTIL_H_
#define MIKEY_TESTS_INTEROP_INTEROP_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace mikey {
namespace interop {

using Bytes = std::vector<uint8_t>;

// "0a1b..." (lower case) and back. FromHex ignores spaces, newlines and ':'
// so hand-assembled messages can be laid out field by field; it aborts the
// test binary on malformed input (test data is ours, not an input).
std::string ToHex(absl::Span<const uint8_t> bytes);
Bytes FromHex(absl::string_view hex);

// Concatenates byte strings (for assembling wire bytes field by field).
Bytes Cat(std::initializer_list<Bytes> parts);

// Standard base64 of the test data files (whitespace ignored).
absl::StatusOr<Bytes> DecodeBase64(absl::string_view text);
std::string EncodeBase64(absl::Span<const uint8_t> bytes);

// Path of a data file of this package inside the test's runfiles, e.g.
// RunfilePath("tests/interop/testdata/onvif_psk_null.b64").
std::string RunfilePath(absl::string_view workspace_relative);
absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFile(const std::string& path, absl::Span<const uint8_t> data);
// $TEST_TMPDIR (or /tmp when run outside Bazel).
std::string TestTmpDir();

// How a child ended.
struct ChildOutcome {
  enum Kind { kExited, kSignaled, kTimedOut, kForkFailed };
  Kind kind = kForkFailed;
  int code = -1;       // exit status (kExited) or signal number (kSignaled)
  std::string output;  // what the child wrote to its result pipe / stdout
  std::string error;   // stderr of RunProgram; reason for kForkFailed
  bool ok() const { return kind == kExited && code == 0; }
  std::string Describe() const;
};

// Runs `fn` in a fork()ed child and returns what it returned. The child ends
// with _exit(0) after writing the result, so no atexit handler, gtest
// listener or buffered stdio of the parent runs twice. A child that has not
// finished after `timeout` is killed (SIGKILL) and reported as kTimedOut.
ChildOutcome RunIsolated(const std::function<std::string()>& fn,
                         absl::Duration timeout);

// Runs `argv[0]` (an absolute path) with `argv` and the extra environment
// `env` (added to, or replacing entries of, the parent's), capturing stdout
// and stderr. Killed and reported as kTimedOut after `timeout`.
ChildOutcome RunProgram(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env,
                        absl::Duration timeout);

}  // namespace interop
}  // namespace mikey

#endif  // MIKEY_TESTS_INTEROP_INTEROP_UTIL_H_
