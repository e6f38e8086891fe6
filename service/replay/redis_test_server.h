// Test helper: a real redis-server (Debian's) on a free loopback port, in a
// directory of its own under $TEST_TMPDIR, without persistence
// (--save "" --appendonly no). Stopped (SIGTERM) by the destructor.

#ifndef MIKEY_SERVICE_REPLAY_REDIS_TEST_SERVER_H_
#define MIKEY_SERVICE_REPLAY_REDIS_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mikey {
namespace service {
namespace replay {

// A reply as the tests look at it.
struct RedisValue {
  enum Type { kString, kStatus, kError, kInteger, kNil, kArray } type = kNil;
  std::string text;       // kString, kStatus, kError
  long long integer = 0;  // kInteger
};

class RedisTestServer {
 public:
  // `extra_args` are passed to redis-server (e.g. {"--requirepass", "pw"}).
  static absl::StatusOr<std::unique_ptr<RedisTestServer>> Start(
      std::vector<std::string> extra_args = {});
  ~RedisTestServer();

  // SIGTERM and wait. The data is gone (no persistence).
  absl::Status Stop();
  // Starts again on the same port (after Stop()).
  absl::Status Restart();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"

  // One command on a new connection (AUTH first if `password` is set, then
  // SELECT `db` if not 0).
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& args,
                                     int db = 0,
                                     const std::string& password = "") const;

  // A loopback TCP port nothing listens on at the moment of the call.
  static absl::StatusOr<int> FreePort();

 private:
  RedisTestServer(std::string dir, int port, std::vector<std::string> args)
      : dir_(std::move(dir)), port_(port), extra_args_(std::move(args)) {}
  absl::Status Launch();

  const std::string dir_;
  const int port_;
  const std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

}  // namespace replay
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_REPLAY_REDIS_TEST_SERVER_H_
