#include "service/replay/redis_replay_cache.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <cerrno>
#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/replay/replay_cache.h"
#include "hiredis/hiredis.h"
#include "service/address.h"

namespace mikey {
namespace service {
namespace replay {
namespace {

constexpr int kMaxPoolSize = 64;
// Replay windows are minutes (twice the allowed clock skew); a longer TTL is
// a caller's mistake, and Redis rejects absurd ones anyway.
constexpr absl::Duration kMaxTtl = absl::Hours(24);

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// hiredis writes with write(2): a write to a connection the peer has reset
// raises SIGPIPE, which would kill mikeyd. Block it in this thread for the
// duration of a command and discard one raised meanwhile (the write then
// fails with EPIPE, which hiredis reports), without touching the process's
// signal dispositions.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero = {0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// Sends one command. nullptr means an I/O or protocol failure: the context is
// unusable from then on (c->errstr says why).
ReplyPtr Command(redisContext* c,
                 std::initializer_list<absl::string_view> args) {
  ScopedSigpipeBlock no_sigpipe;
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (absl::string_view a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(argv.size()), argv.data(), argvlen.data())));
}

bool IsStatus(const redisReply& r, absl::string_view want) {
  return r.type == REDIS_REPLY_STATUS &&
         absl::string_view(r.str, r.len) == want;
}

std::string ReplyText(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
    case REDIS_REPLY_STRING:
      return std::string(r.str, r.len);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_INTEGER:
      return absl::StrCat("(integer) ", r.integer);
    default:
      return absl::StrCat("(reply type ", r.type, ")");
  }
}

absl::Status Unavailable(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(
      "replay cache (redis): ", what,
      "; refusing the message because its replay check could not be made"));
}

}  // namespace

void RedisReplayCache::ContextDeleter::operator()(redisContext* c) const {
  redisFree(c);
}

absl::StatusOr<std::unique_ptr<RedisReplayCache>> RedisReplayCache::Create(
    RedisReplayOptions options) {
  absl::StatusOr<HostPort> address = ParseHostPort(options.address);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay redis address: ", address.status().message()));
  }
  if (address->port == 0) {
    return absl::InvalidArgumentError(
        "replay redis address: port 0 (give Redis's port, e.g. 6379)");
  }
  auto positive = [](absl::Duration d) {
    return d > absl::ZeroDuration() && d < absl::Hours(1);
  };
  if (!positive(options.connect_timeout)) {
    return absl::InvalidArgumentError(
        "replay redis connect_timeout: must be more than 0 and under 1h");
  }
  if (!positive(options.command_timeout)) {
    return absl::InvalidArgumentError(
        "replay redis command_timeout: must be more than 0 and under 1h");
  }
  if (options.reconnect_backoff < absl::ZeroDuration() ||
      options.reconnect_backoff > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        "replay redis reconnect_backoff: must be 0 to 10m");
  }
  if (options.pool_size < 1 || options.pool_size > kMaxPoolSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay redis pool_size: ", options.pool_size,
                     " (expected 1 to ", kMaxPoolSize, ")"));
  }
  if (options.database < 0) {
    return absl::InvalidArgumentError("replay redis database: negative");
  }
  if (!options.username.empty() && options.password_file.empty()) {
    return absl::InvalidArgumentError(
        "replay redis username: given without password_file");
  }
  std::string password;
  if (!options.password_file.empty()) {
    std::ifstream in(options.password_file, std::ios::binary);
    std::stringstream contents;
    if (in.is_open()) contents << in.rdbuf();
    if (!in.is_open() || in.bad()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "replay redis password_file: cannot read ", options.password_file));
    }
    password = contents.str();
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("replay redis password_file: ", options.password_file,
                       " is empty or unreadable"));
    }
  }
  std::string host = address->host;
  int port = address->port;
  return std::unique_ptr<RedisReplayCache>(new RedisReplayCache(
      std::move(options), std::move(host), port, std::move(password)));
}

namespace {
// 128 random bits naming this cache instance, so that the tokens of two
// replicas (or two caches in one process) never collide.
std::string RandomInstanceId() {
  std::random_device rd;
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 4; ++j)
      bytes.push_back(static_cast<char>(v >> (8 * j)));
  }
  return absl::BytesToHexString(bytes);
}
}  // namespace

RedisReplayCache::RedisReplayCache(RedisReplayOptions options, std::string host,
                                   int port, std::string password)
    : options_(std::move(options)),
      host_(std::move(host)),
      port_(port),
      password_(std::move(password)),
      token_prefix_(RandomInstanceId()) {}

RedisReplayCache::~RedisReplayCache() = default;

std::string RedisReplayCache::KeyFor(absl::string_view id) const {
  return absl::StrCat(options_.key_prefix, absl::BytesToHexString(id));
}

std::string RedisReplayCache::NextToken() {
  return absl::StrCat(token_prefix_, "-", token_counter_.fetch_add(1) + 1);
}

RedisReplayCache::Stats RedisReplayCache::stats() const {
  Stats s;
  s.connects = connects_.load();
  s.connect_failures = connect_failures_.load();
  s.io_failures = io_failures_.load();
  s.error_replies = error_replies_.load();
  s.retries = retries_.load();
  return s;
}

bool RedisReplayCache::CanAcquire() const {
  return !idle_.empty() || open_ < options_.pool_size;
}

absl::StatusOr<RedisReplayCache::ContextPtr> RedisReplayCache::Connect() {
  ContextPtr c(redisConnectWithTimeout(
      host_.c_str(), port_, absl::ToTimeval(options_.connect_timeout)));
  if (c == nullptr) return absl::UnavailableError("out of memory");
  if (c->err) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", options_.address, ": ", c->errstr));
  }
  if (redisSetTimeout(c.get(), absl::ToTimeval(options_.command_timeout)) !=
      REDIS_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot set socket timeouts for ", options_.address, ": ", c->errstr));
  }
  // Best effort: detects a peer that vanished without closing.
  redisEnableKeepAlive(c.get());
  if (!password_.empty()) {
    ReplyPtr r = options_.username.empty()
                     ? Command(c.get(), {"AUTH", password_})
                     : Command(c.get(), {"AUTH", options_.username, password_});
    if (r == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("AUTH on ", options_.address, " failed: ", c->errstr));
    }
    // The reply names no password ("WRONGPASS invalid username-password
    // pair"), so it can be shown.
    if (!IsStatus(*r, "OK")) {
      return absl::UnavailableError(absl::StrCat("AUTH on ", options_.address,
                                                 " refused: ", ReplyText(*r)));
    }
  }
  if (options_.database != 0) {
    ReplyPtr r = Command(c.get(), {"SELECT", absl::StrCat(options_.database)});
    if (r == nullptr || !IsStatus(*r, "OK")) {
      return absl::UnavailableError(absl::StrCat(
          "SELECT ", options_.database, " on ", options_.address,
          " failed: ", r == nullptr ? std::string(c->errstr) : ReplyText(*r)));
    }
  }
  return c;
}

absl::StatusOr<RedisReplayCache::Lease> RedisReplayCache::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(
            absl::Condition(this, &RedisReplayCache::CanAcquire),
            options_.command_timeout)) {
      return Unavailable(
          absl::StrCat("no free connection to ", options_.address, " within ",
                       absl::FormatDuration(options_.command_timeout),
                       " (pool_size ", options_.pool_size, ")"));
    }
    if (!idle_.empty()) {
      Lease lease{std::move(idle_.back()), /*reused=*/true};
      idle_.pop_back();
      return lease;
    }
    if (std::chrono::steady_clock::now() < connect_not_before_) {
      return Unavailable(absl::StrCat(last_connect_error_,
                                      " (waiting before connecting again)"));
    }
    ++open_;
  }
  absl::StatusOr<ContextPtr> c = Connect();
  if (!c.ok()) {
    connect_failures_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    --open_;
    connect_not_before_ =
        std::chrono::steady_clock::now() +
        absl::ToChronoMilliseconds(options_.reconnect_backoff);
    last_connect_error_ = std::string(c.status().message());
    return Unavailable(c.status().message());
  }
  connects_.fetch_add(1);
  return Lease{std::move(*c), /*reused=*/false};
}

void RedisReplayCache::Release(ContextPtr context) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(context));
}

void RedisReplayCache::Discard() {
  // Connections made before this one failed most likely point at the same
  // dead or restarted server: close them too, so that the retry and the next
  // calls connect afresh instead of failing on them one by one.
  std::vector<ContextPtr> stale;
  {
    absl::MutexLock lock(&mu_);
    --open_;
    open_ -= static_cast<int>(idle_.size());
    stale.swap(idle_);
  }
  io_failures_.fetch_add(1);
}

absl::StatusOr<RedisReplayCache::SetResult> RedisReplayCache::SetIfAbsent(
    Lease& lease, const std::string& key, const std::string& token,
    int64_t ttl_ms, bool check_token, bool* io_failure) {
  *io_failure = false;
  redisContext* c = lease.context.get();
  auto lost = [&](absl::string_view command) {
    std::string why = c->errstr;
    lease.context.reset();
    Discard();
    *io_failure = true;
    return Unavailable(
        absl::StrCat(command, " on ", options_.address, " failed: ", why));
  };
  auto refused = [&](absl::string_view command, const redisReply& r) {
    error_replies_.fetch_add(1);
    Release(std::move(lease.context));
    return Unavailable(absl::StrCat(command, " on ", options_.address,
                                    " answered: ", ReplyText(r)));
  };

  ReplyPtr set =
      Command(c, {"SET", key, token, "NX", "PX", absl::StrCat(ttl_ms)});
  if (set == nullptr) return lost("SET");
  if (IsStatus(*set, "OK")) {
    Release(std::move(lease.context));
    return SetResult::kInserted;
  }
  if (set->type != REDIS_REPLY_NIL) return refused("SET", *set);
  if (!check_token) {
    Release(std::move(lease.context));
    return SetResult::kExists;
  }
  // A retry found the key: it is ours if the first attempt was applied.
  ReplyPtr get = Command(c, {"GET", key});
  if (get == nullptr) return lost("GET");
  if (get->type != REDIS_REPLY_STRING && get->type != REDIS_REPLY_NIL) {
    return refused("GET", *get);
  }
  bool ours = get->type == REDIS_REPLY_STRING &&
              absl::string_view(get->str, get->len) == token;
  Release(std::move(lease.context));
  // NIL: the entry expired in between; it was there when SET ran, so the
  // message had been accepted before (conservatively a replay).
  return ours ? SetResult::kInserted : SetResult::kExists;
}

absl::Status RedisReplayCache::CheckAndInsert(absl::string_view id,
                                              absl::Time now,
                                              absl::Time expires_at) {
  constexpr size_t kMaxId = mikey::replay::InMemoryReplayCache::kMaxIdLength;
  if (id.empty() || id.size() > kMaxId) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay cache: message id of ", id.size(),
                     " octets (expected 1 to ", kMaxId, ")"));
  }
  if (expires_at <= now) {
    return absl::InvalidArgumentError(
        "replay cache: entry would expire immediately (expiry not after now)");
  }
  const absl::Duration ttl = expires_at - now;
  if (ttl > kMaxTtl) {
    return absl::InvalidArgumentError(
        absl::StrCat("replay cache: entry lifetime ", absl::FormatDuration(ttl),
                     " is over the limit of ", absl::FormatDuration(kMaxTtl)));
  }
  // Rounded up: an entry must never be forgotten before expires_at.
  const int64_t ttl_ms =
      absl::Ceil(ttl, absl::Milliseconds(1)) / absl::Milliseconds(1);
  const std::string key = KeyFor(id);
  const std::string token = NextToken();

  absl::StatusOr<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  bool io_failure = false;
  absl::StatusOr<SetResult> result = SetIfAbsent(
      *lease, key, token, ttl_ms, /*check_token=*/false, &io_failure);
  if (io_failure && lease->reused) {
    retries_.fetch_add(1);
    lease = Acquire();
    if (!lease.ok()) return lease.status();
    result = SetIfAbsent(*lease, key, token, ttl_ms, /*check_token=*/true,
                         &io_failure);
  }
  if (!result.ok()) return result.status();
  if (*result == SetResult::kExists) {
    return absl::AlreadyExistsError(
        "replayed message: an identical message was already accepted within "
        "the clock-skew window");
  }
  return absl::OkStatus();
}

absl::Status RedisReplayCache::Ping() {
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) return lease.status();
    redisContext* c = lease->context.get();
    ReplyPtr r = Command(c, {"PING"});
    if (r == nullptr) {
      std::string why = c->errstr;
      lease->context.reset();
      Discard();
      if (lease->reused && attempt == 0) continue;
      return absl::UnavailableError(
          absl::StrCat("redis PING on ", options_.address, " failed: ", why));
    }
    bool pong = IsStatus(*r, "PONG");
    std::string text = ReplyText(*r);
    Release(std::move(lease->context));
    if (!pong) {
      error_replies_.fetch_add(1);
      return absl::UnavailableError(absl::StrCat(
          "redis PING on ", options_.address, " answered: ", text));
    }
    return absl::OkStatus();
  }
  return absl::UnavailableError("redis PING: unreachable");
}

}  // namespace replay
}  // namespace service
}  // namespace mikey
