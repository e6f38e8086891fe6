#include "service/replay/redis_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hiredis/hiredis.h"

namespace mikey {
namespace service {
namespace replay {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Reply Run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> len;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    len.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(argv.size()), argv.data(), len.data())));
}

RedisValue ToValue(const redisReply& r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::kString;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::kStatus;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::kError;
      v.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::kInteger;
      v.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::kArray;
      break;
    default:
      v.type = RedisValue::kNil;
  }
  return v;
}

}  // namespace

absl::StatusOr<int> RedisTestServer::FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof(sa);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", std::strerror(errno)));
  }
  close(fd);
  return ntohs(sa.sin_port);
}

absl::StatusOr<std::unique_ptr<RedisTestServer>> RedisTestServer::Start(
    std::vector<std::string> extra_args) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string base = tmp != nullptr ? tmp : "/tmp";
  absl::Status last = absl::UnavailableError("not started");
  // The free port may be taken between FreePort() and redis-server's bind:
  // try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    std::string dir = absl::StrCat(base, "/redis-", *port);
    mkdir(dir.c_str(), 0700);
    std::unique_ptr<RedisTestServer> server(
        new RedisTestServer(dir, *port, extra_args));
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

std::string RedisTestServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::Status RedisTestServer::Launch() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--daemonize",
                                   "no"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    execvp(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("redis-server exited (status ",
                                                 status, "); see ", dir_,
                                                 "/redis.log"));
    }
    Context c(redisConnect("127.0.0.1", port_));
    if (c != nullptr && !c->err) {
      Reply r = Run(c.get(), {"PING"});
      // NOAUTH also means it is up.
      if (r != nullptr) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Stop().IgnoreError();
  return absl::DeadlineExceededError("redis-server did not start in 10s");
}

absl::Status RedisTestServer::Stop() {
  if (pid_ < 0) return absl::OkStatus();
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status RedisTestServer::Restart() {
  if (pid_ >= 0) return absl::FailedPreconditionError("still running");
  return Launch();
}

RedisTestServer::~RedisTestServer() { Stop().IgnoreError(); }

absl::StatusOr<RedisValue> RedisTestServer::Command(
    const std::vector<std::string>& args, int db,
    const std::string& password) const {
  Context c(redisConnect("127.0.0.1", port_));
  if (c == nullptr || c->err) {
    return absl::UnavailableError(
        absl::StrCat("connect: ", c ? c->errstr : "out of memory"));
  }
  if (!password.empty()) Run(c.get(), {"AUTH", password});
  if (db != 0) Run(c.get(), {"SELECT", absl::StrCat(db)});
  Reply r = Run(c.get(), args);
  if (r == nullptr) return absl::UnavailableError(c->errstr);
  return ToValue(*r);
}

}  // namespace replay
}  // namespace service
}  // namespace mikey
