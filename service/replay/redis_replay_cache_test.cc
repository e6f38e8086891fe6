// RedisReplayCache against a real redis-server (Debian's, started by the
// test on a free loopback port) and, for the failure modes a real server
// cannot be made to show on cue, against a scripted fake speaking RESP.
//
// Two cache instances on one Redis stand for two mikeyd replicas.

#include "service/replay/redis_replay_cache.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/replay/replay_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/replay/redis_test_server.h"
#include "service/replay/replay_cache_factory.h"

namespace mikey {
namespace service {
namespace replay {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An arbitrary fixed time: Redis expiry follows its own clock, the cache only
// sends the difference expires_at - now.
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

RedisReplayOptions OptionsFor(const std::string& address) {
  RedisReplayOptions o;
  o.address = address;
  o.connect_timeout = absl::Milliseconds(500);
  o.command_timeout = absl::Milliseconds(500);
  o.reconnect_backoff = absl::Milliseconds(50);
  o.pool_size = 4;
  return o;
}

std::unique_ptr<RedisReplayCache> MakeCache(RedisReplayOptions options) {
  absl::StatusOr<std::unique_ptr<RedisReplayCache>> cache =
      RedisReplayCache::Create(std::move(options));
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? std::move(*cache) : nullptr;
}

std::string WriteFile(const std::string& name, const std::string& contents) {
  std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

class RedisReplayCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisTestServer>> s =
        RedisTestServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }

  RedisValue Raw(const std::vector<std::string>& args, int db = 0) {
    absl::StatusOr<RedisValue> v = server_->Command(args, db);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : RedisValue();
  }

  std::unique_ptr<RedisTestServer> server_;
};

TEST_F(RedisReplayCacheTest, SecondReplicaSeesTheFirstOnesEntry) {
  auto a = MakeCache(OptionsFor(server_->address()));
  auto b = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a && b);
  const std::string id("\x01\x02\xab\x00\xff", 5);
  EXPECT_TRUE(a->CheckAndInsert(id, kNow, kNow + absl::Minutes(10)).ok());
  EXPECT_EQ(b->CheckAndInsert(id, kNow, kNow + absl::Minutes(10)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(a->CheckAndInsert(id, kNow, kNow + absl::Minutes(10)).code(),
            absl::StatusCode::kAlreadyExists);
  // A different id (one octet changed) is a different message.
  const std::string other("\x01\x02\xab\x00\xfe", 5);
  EXPECT_TRUE(b->CheckAndInsert(other, kNow, kNow + absl::Minutes(10)).ok());
  EXPECT_EQ(a->CheckAndInsert(other, kNow, kNow + absl::Minutes(10)).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RedisReplayCacheTest, KeyIsNamespacedHexWithTheTtlAsked) {
  auto a = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a);
  const std::string id("\x01\x02\xab\x00\xff", 5);
  ASSERT_TRUE(a->CheckAndInsert(id, kNow, kNow + absl::Seconds(90)).ok());
  EXPECT_EQ(a->KeyFor(id), "mikey:replay:0102ab00ff");
  RedisValue keys = Raw({"DBSIZE"});
  EXPECT_EQ(keys.integer, 1);
  RedisValue pttl = Raw({"PTTL", "mikey:replay:0102ab00ff"});
  ASSERT_EQ(pttl.type, RedisValue::kInteger);
  EXPECT_GT(pttl.integer, 85000);
  EXPECT_LE(pttl.integer, 90000);
}

TEST_F(RedisReplayCacheTest, KeyPrefixesSeparateDeployments) {
  RedisReplayOptions oa = OptionsFor(server_->address());
  oa.key_prefix = "studio-a:replay:";
  RedisReplayOptions ob = OptionsFor(server_->address());
  ob.key_prefix = "studio-b:replay:";
  auto a = MakeCache(oa);
  auto b = MakeCache(ob);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->CheckAndInsert("m", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_TRUE(b->CheckAndInsert("m", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(Raw({"EXISTS", "studio-a:replay:6d"}).integer, 1);
  EXPECT_EQ(Raw({"EXISTS", "studio-b:replay:6d"}).integer, 1);
}

TEST_F(RedisReplayCacheTest, DatabaseIsSelected) {
  RedisReplayOptions o = OptionsFor(server_->address());
  o.database = 3;
  auto a = MakeCache(o);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->CheckAndInsert("m", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(Raw({"DBSIZE"}).integer, 0);
  EXPECT_EQ(Raw({"EXISTS", "mikey:replay:6d"}, /*db=*/3).integer, 1);
}

TEST_F(RedisReplayCacheTest, EntriesExpireForEveryReplica) {
  auto a = MakeCache(OptionsFor(server_->address()));
  auto b = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      a->CheckAndInsert("msg", kNow, kNow + absl::Milliseconds(300)).ok());
  EXPECT_EQ(
      b->CheckAndInsert("msg", kNow, kNow + absl::Milliseconds(300)).code(),
      absl::StatusCode::kAlreadyExists);
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(Raw({"EXISTS", "mikey:replay:6d7367"}).integer, 0);
  EXPECT_TRUE(
      b->CheckAndInsert("msg", kNow, kNow + absl::Milliseconds(300)).ok());
  EXPECT_EQ(
      a->CheckAndInsert("msg", kNow, kNow + absl::Milliseconds(300)).code(),
      absl::StatusCode::kAlreadyExists);
}

TEST_F(RedisReplayCacheTest, SubMillisecondLifetimeRoundsUpNotToZero) {
  // PX 0 would be a Redis error; the lifetime rounds up to 1 ms.
  auto a = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a);
  EXPECT_TRUE(
      a->CheckAndInsert("m", kNow, kNow + absl::Microseconds(300)).ok());
  EXPECT_EQ(a->stats().error_replies, 0u);
}

TEST_F(RedisReplayCacheTest, BadArgumentsSendNothing) {
  auto a = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->CheckAndInsert("m", kNow, kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->CheckAndInsert("m", kNow, kNow - absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->CheckAndInsert("", kNow, kNow + absl::Seconds(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      a->CheckAndInsert(std::string(1025, 'x'), kNow, kNow + absl::Seconds(1))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->CheckAndInsert("m", kNow, kNow + absl::Hours(25)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Raw({"DBSIZE"}).integer, 0);
  EXPECT_EQ(a->stats().connects, 0u);
  // The longest id is fine.
  EXPECT_TRUE(
      a->CheckAndInsert(std::string(1024, 'x'), kNow, kNow + absl::Seconds(5))
          .ok());
}

TEST_F(RedisReplayCacheTest, RaceAcrossReplicasAcceptsEachMessageOnce) {
  auto a = MakeCache(OptionsFor(server_->address()));
  auto b = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a && b);
  constexpr int kIds = 300;
  constexpr int kThreadsPerReplica = 4;
  std::vector<std::atomic<int>> accepted(kIds);
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerReplica; ++t) {
    RedisReplayCache* cache = t % 2 == 0 ? a.get() : b.get();
    threads.emplace_back([&, cache, t] {
      std::vector<int> order(kIds);
      for (int i = 0; i < kIds; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(t));
      for (int i : order) {
        absl::Status s = cache->CheckAndInsert(absl::StrCat("id-", i), kNow,
                                               kNow + absl::Minutes(1));
        if (s.ok()) {
          accepted[i].fetch_add(1);
        } else if (s.code() != absl::StatusCode::kAlreadyExists) {
          other_errors.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(other_errors.load(), 0);
  for (int i = 0; i < kIds; ++i) {
    EXPECT_EQ(accepted[i].load(), 1) << "id " << i;
  }
  EXPECT_EQ(Raw({"DBSIZE"}).integer, kIds);
  // Connections are pooled, not made per call.
  EXPECT_LE(a->stats().connects, 4u);
  EXPECT_LE(b->stats().connects, 4u);
}

TEST_F(RedisReplayCacheTest, RedisDownIsUnavailableNeverSuccess) {
  auto a = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->CheckAndInsert("before", kNow, kNow + absl::Minutes(1)).ok());
  ASSERT_TRUE(server_->Stop().ok());
  // With a pooled (now dead) connection: retried once on a new one, which
  // cannot connect.
  absl::Status s = a->CheckAndInsert("during", kNow, kNow + absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("refusing"));
  EXPECT_EQ(a->Ping().code(), absl::StatusCode::kUnavailable);
  // A message that was a replay is not let through either.
  EXPECT_EQ(a->CheckAndInsert("before", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kUnavailable);
  // A cache that never reached Redis.
  auto b = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->CheckAndInsert("x", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(RedisReplayCacheTest, FailsFastDuringReconnectBackoff) {
  absl::StatusOr<int> port = RedisTestServer::FreePort();
  ASSERT_TRUE(port.ok());
  RedisReplayOptions o = OptionsFor(absl::StrCat("127.0.0.1:", *port));
  o.reconnect_backoff = absl::Seconds(30);
  auto a = MakeCache(o);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->CheckAndInsert("x", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(a->stats().connect_failures, 1u);
  absl::Status s = a->CheckAndInsert("y", kNow, kNow + absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("waiting before connecting again"));
  EXPECT_EQ(a->stats().connect_failures, 1u);  // no second attempt
}

TEST_F(RedisReplayCacheTest, RecoversAfterRedisRestart) {
  auto a = MakeCache(OptionsFor(server_->address()));
  auto b = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->CheckAndInsert("one", kNow, kNow + absl::Minutes(1)).ok());
  ASSERT_EQ(b->CheckAndInsert("one", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);

  // Down: refused.
  ASSERT_TRUE(server_->Stop().ok());
  EXPECT_EQ(a->CheckAndInsert("two", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kUnavailable);
  // Back (empty: no persistence in this test): both replicas work again once
  // the backoff (50 ms) has passed.
  ASSERT_TRUE(server_->Restart().ok());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(a->CheckAndInsert("two", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(b->CheckAndInsert("two", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(a->Ping().ok());
  EXPECT_TRUE(b->Ping().ok());

  // A restart while connections sit idle in the pools: the next call fails
  // on its stale connection, retries on a new one, and succeeds.
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  const uint64_t retries = a->stats().retries;
  EXPECT_TRUE(a->CheckAndInsert("three", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(a->stats().retries, retries + 1);
  EXPECT_EQ(b->CheckAndInsert("three", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RedisReplayCacheTest, ErrorReplyIsUnavailable) {
  auto a = MakeCache(OptionsFor(server_->address()));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->CheckAndInsert("first", kNow, kNow + absl::Minutes(1)).ok());
  // Redis out of memory (noeviction): SET answers "-OOM ...".
  ASSERT_EQ(Raw({"CONFIG", "SET", "maxmemory", "1"}).text, "OK");
  absl::Status s = a->CheckAndInsert("second", kNow, kNow + absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(s.message(), HasSubstr("OOM"));
  EXPECT_EQ(a->stats().error_replies, 1u);
  ASSERT_EQ(Raw({"CONFIG", "SET", "maxmemory", "0"}).text, "OK");
  // The connection stays usable after an error reply.
  EXPECT_TRUE(a->CheckAndInsert("second", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(a->stats().connects, 1u);
}

TEST(RedisReplayCacheAuthTest, PasswordFromFile) {
  absl::StatusOr<std::unique_ptr<RedisTestServer>> server =
      RedisTestServer::Start({"--requirepass", "correct horse"});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();

  auto none = MakeCache(OptionsFor(address));
  ASSERT_TRUE(none);
  absl::Status s = none->CheckAndInsert("m", kNow, kNow + absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("NOAUTH"));

  RedisReplayOptions wrong = OptionsFor(address);
  wrong.password_file = WriteFile("wrong-pw", "battery staple\n");
  auto w = MakeCache(wrong);
  ASSERT_TRUE(w);
  s = w->CheckAndInsert("m", kNow, kNow + absl::Minutes(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("AUTH"));
  EXPECT_THAT(s.message(), Not(HasSubstr("battery")));

  RedisReplayOptions right = OptionsFor(address);
  right.password_file = WriteFile("right-pw", "correct horse\n");
  auto r = MakeCache(right);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->CheckAndInsert("m", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_TRUE(r->Ping().ok());
  absl::StatusOr<RedisValue> exists =
      (*server)->Command({"EXISTS", "mikey:replay:6d"}, 0, "correct horse");
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->integer, 1);
}

TEST(RedisReplayCacheCreateTest, RejectsBadOptions) {
  RedisReplayOptions o;
  o.address = "127.0.0.1:6379";
  EXPECT_TRUE(RedisReplayCache::Create(o).ok());

  auto code_with = [&](auto change) {
    RedisReplayOptions c = o;
    change(c);
    return RedisReplayCache::Create(c).status().code();
  };
  using Code = absl::StatusCode;
  EXPECT_EQ(code_with([](auto& c) { c.address = ""; }), Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.address = "redis"; }),
            Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.address = "redis:0"; }),
            Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.pool_size = 0; }),
            Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.pool_size = 65; }),
            Code::kInvalidArgument);
  EXPECT_EQ(
      code_with([](auto& c) { c.connect_timeout = absl::ZeroDuration(); }),
      Code::kInvalidArgument);
  EXPECT_EQ(
      code_with([](auto& c) { c.command_timeout = -absl::Milliseconds(1); }),
      Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.database = -1; }),
            Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.username = "mikeyd"; }),
            Code::kInvalidArgument);
  EXPECT_EQ(code_with([](auto& c) { c.password_file = "/nonexistent/pw"; }),
            Code::kFailedPrecondition);
  const std::string empty = WriteFile("empty-pw", "");
  EXPECT_EQ(code_with([&](auto& c) { c.password_file = empty; }),
            Code::kFailedPrecondition);
  // A DNS name is fine (resolved at connect time).
  EXPECT_EQ(code_with([](auto& c) {
              c.address = "redis.media.svc.cluster.local:6379";
            }),
            Code::kOk);
}

// --- A scripted fake Redis, for what a real one cannot be made to do on cue.

// Reads RESP command arrays from a connection and lets a script answer.
class FakeRedis {
 public:
  // What to do with one command: send `reply` (raw RESP), or close the
  // connection without replying, or neither (never answer).
  struct Action {
    std::string reply;
    bool close = false;
  };
  using Script = std::function<Action(int connection,
                                      const std::vector<std::string>& cmd)>;

  explicit FakeRedis(Script script) : script_(std::move(script)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeRedis() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::vector<std::vector<std::string>> commands() {
    absl::MutexLock l(&mu_);
    return commands_;
  }

 private:
  // Waits for `fd` to be readable, checking stop_ now and then.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  static bool ParseCommand(std::string& buf, std::vector<std::string>* cmd) {
    size_t pos = 0;
    auto line = [&](std::string* out) {
      size_t end = buf.find("\r\n", pos);
      if (end == std::string::npos) return false;
      *out = buf.substr(pos, end - pos);
      pos = end + 2;
      return true;
    };
    std::string head;
    if (!line(&head) || head.empty() || head[0] != '*') return false;
    int n = std::stoi(head.substr(1));
    std::vector<std::string> args;
    for (int i = 0; i < n; ++i) {
      std::string len_line;
      if (!line(&len_line)) return false;
      size_t len = std::stoul(len_line.substr(1));
      if (buf.size() < pos + len + 2) return false;
      args.push_back(buf.substr(pos, len));
      pos += len + 2;
    }
    buf.erase(0, pos);
    *cmd = std::move(args);
    return true;
  }

  void Loop() {
    int connection = 0;
    while (WaitReadable(fd_)) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string buf;
      bool open = true;
      while (open && WaitReadable(c)) {
        char chunk[4096];
        ssize_t n = read(c, chunk, sizeof(chunk));
        if (n <= 0) break;
        buf.append(chunk, n);
        std::vector<std::string> cmd;
        while (open && ParseCommand(buf, &cmd)) {
          {
            absl::MutexLock l(&mu_);
            commands_.push_back(cmd);
          }
          Action a = script_(connection, cmd);
          if (!a.reply.empty()) {
            (void)!write(c, a.reply.data(), a.reply.size());
          }
          if (a.close) open = false;
        }
      }
      close(c);
      ++connection;
    }
  }

  Script script_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> commands_ ABSL_GUARDED_BY(mu_);
};

std::string Bulk(const std::string& s) {
  return absl::StrCat("$", s.size(), "\r\n", s, "\r\n");
}

// The reply to a SET that was applied is lost with the connection; the retry
// finds the key, and its own token in it: accepted, not a false replay.
TEST(RedisReplayCacheRetryTest, LostReplyOfAppliedSetIsRecognised) {
  std::string stored;  // the token the fake "applied"
  FakeRedis fake([&](int connection, const std::vector<std::string>& cmd) {
    FakeRedis::Action a;
    if (cmd[0] == "SET" && connection == 0 && cmd[1] == "mikey:replay:31") {
      a.reply = "+OK\r\n";  // the first call, normally
    } else if (cmd[0] == "SET" && connection == 0) {
      stored = cmd[2];  // applied, but the connection drops before replying
      a.close = true;
    } else if (cmd[0] == "SET") {
      a.reply = "$-1\r\n";  // the retry: key exists
    } else if (cmd[0] == "GET") {
      a.reply = Bulk(stored);
    }
    return a;
  });
  auto cache = MakeCache(OptionsFor(fake.address()));
  ASSERT_TRUE(cache);
  ASSERT_TRUE(cache->CheckAndInsert("1", kNow, kNow + absl::Minutes(1)).ok());
  absl::Status s = cache->CheckAndInsert("2", kNow, kNow + absl::Minutes(1));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(cache->stats().retries, 1u);
  std::vector<std::vector<std::string>> cmds = fake.commands();
  ASSERT_EQ(cmds.size(), 4u);
  // SET key token NX PX ms, the same token both times, then GET.
  EXPECT_EQ(cmds[1].size(), 6u);
  EXPECT_EQ(cmds[1][1], "mikey:replay:32");
  EXPECT_EQ(cmds[1][3], "NX");
  EXPECT_EQ(cmds[1][4], "PX");
  EXPECT_EQ(cmds[1][5], "60000");
  EXPECT_EQ(cmds[2], cmds[1]);
  EXPECT_EQ(cmds[3], (std::vector<std::string>{"GET", "mikey:replay:32"}));
  // Tokens differ from call to call.
  EXPECT_NE(cmds[0][2], cmds[1][2]);
}

// Same, but the key holds another caller's token: a real replay.
TEST(RedisReplayCacheRetryTest, RetryFindingAnotherTokenIsAReplay) {
  FakeRedis fake([&](int connection, const std::vector<std::string>& cmd) {
    FakeRedis::Action a;
    if (cmd[0] == "SET" && connection == 0 && cmd[1] == "mikey:replay:31") {
      a.reply = "+OK\r\n";
    } else if (cmd[0] == "SET" && connection == 0) {
      a.close = true;
    } else if (cmd[0] == "SET") {
      a.reply = "$-1\r\n";
    } else if (cmd[0] == "GET") {
      a.reply = Bulk("someone-else-1");
    }
    return a;
  });
  auto cache = MakeCache(OptionsFor(fake.address()));
  ASSERT_TRUE(cache);
  ASSERT_TRUE(cache->CheckAndInsert("1", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ(cache->CheckAndInsert("2", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);
}

// A failure on a connection made for this very call is not retried (Redis is
// really failing), and a server that never answers costs one command timeout.
TEST(RedisReplayCacheRetryTest, SilentServerTimesOutUnavailable) {
  FakeRedis fake([&](int, const std::vector<std::string>&) {
    return FakeRedis::Action{};  // never answer
  });
  RedisReplayOptions o = OptionsFor(fake.address());
  o.command_timeout = absl::Milliseconds(200);
  auto cache = MakeCache(o);
  ASSERT_TRUE(cache);
  const absl::Time start = absl::Now();
  absl::Status s = cache->CheckAndInsert("1", kNow, kNow + absl::Minutes(1));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_GE(took, absl::Milliseconds(150));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_EQ(cache->stats().retries, 0u);
  EXPECT_EQ(cache->stats().io_failures, 1u);
}

// An unexpected reply type to SET is not taken for success.
TEST(RedisReplayCacheRetryTest, UnexpectedReplyIsUnavailable) {
  FakeRedis fake([&](int, const std::vector<std::string>&) {
    return FakeRedis::Action{":1\r\n"};
  });
  auto cache = MakeCache(OptionsFor(fake.address()));
  ASSERT_TRUE(cache);
  EXPECT_EQ(cache->CheckAndInsert("1", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kUnavailable);
}

TEST(MakeReplayCacheTest, MemoryAndRedis) {
  ReplayConfig memory;
  memory.kind = ReplayConfig::Kind::kMemory;
  memory.memory_capacity = 2;
  absl::StatusOr<std::unique_ptr<mikey::replay::ReplayCache>> m =
      MakeReplayCache(memory);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->CheckAndInsert("a", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ((*m)->CheckAndInsert("a", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE((*m)->CheckAndInsert("b", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ((*m)->CheckAndInsert("c", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kResourceExhausted);

  memory.memory_capacity = 0;
  EXPECT_EQ(MakeReplayCache(memory).status().code(),
            absl::StatusCode::kInvalidArgument);

  ReplayConfig redis;
  redis.kind = ReplayConfig::Kind::kRedis;
  EXPECT_EQ(MakeReplayCache(redis).status().code(),
            absl::StatusCode::kInvalidArgument);  // no address

  absl::StatusOr<std::unique_ptr<RedisTestServer>> server =
      RedisTestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  redis.redis.address = (*server)->address();
  absl::StatusOr<std::unique_ptr<mikey::replay::ReplayCache>> r1 =
      MakeReplayCache(redis);
  absl::StatusOr<std::unique_ptr<mikey::replay::ReplayCache>> r2 =
      MakeReplayCache(redis);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_TRUE((*r1)->CheckAndInsert("a", kNow, kNow + absl::Minutes(1)).ok());
  EXPECT_EQ((*r2)->CheckAndInsert("a", kNow, kNow + absl::Minutes(1)).code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace replay
}  // namespace service
}  // namespace mikey
