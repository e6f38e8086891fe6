// Throughput of RedisReplayCache::CheckAndInsert against a local redis-server
// (loopback, no persistence), by pool size and number of caller threads.
// pool_size 1 is the same as one mutex-guarded connection.
//
//   bazel run -c opt //service/replay:redis_replay_cache_bench
//   bazel run -c opt //service/replay:redis_replay_cache_bench -- --rtt_us=300
//
// Loopback has an RTT of a few microseconds, so on a small machine the client
// and Redis compete for the same cores and the pool size hardly matters.
// --rtt_us=N puts a relay in front of Redis that holds every request for N
// microseconds, like a network hop between a pod and Redis; there a single
// connection caps a replica at 1/RTT calls per second and makes every call
// queue behind the others, which is what the pool is for.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "service/replay/redis_replay_cache.h"
#include "service/replay/redis_test_server.h"

namespace mikey {
namespace service {
namespace replay {
namespace {

std::string target_address;
std::unique_ptr<RedisReplayCache> cache;
std::atomic<uint64_t> next_id{0};

// Forwards each connection to Redis, delaying every request by `delay`
// (replies go back at once): one round trip costs at least `delay`. One
// thread per connection; threads live until the process ends.
class DelayRelay {
 public:
  DelayRelay(int redis_port, absl::Duration delay)
      : redis_port_(redis_port), delay_(delay) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    listen(listen_fd_, 64);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    std::thread([this] { AcceptLoop(); }).detach();
  }
  int port() const { return port_; }

 private:
  static void NoDelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  void AcceptLoop() {
    while (true) {
      int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      int upstream = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      sa.sin_port = htons(redis_port_);
      if (connect(upstream, reinterpret_cast<sockaddr*>(&sa), sizeof(sa))) {
        close(client);
        close(upstream);
        continue;
      }
      NoDelay(client);
      NoDelay(upstream);
      std::thread([=] { Pump(client, upstream, delay_); }).detach();
      std::thread([=] {
        Pump(upstream, client, absl::ZeroDuration());
      }).detach();
    }
  }
  static void Pump(int from, int to, absl::Duration delay) {
    char buf[16384];
    while (true) {
      ssize_t n = read(from, buf, sizeof(buf));
      if (n <= 0) break;
      if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
      if (write(to, buf, n) != n) break;
    }
    shutdown(to, SHUT_WR);
  }

  const int redis_port_;
  const absl::Duration delay_;
  int listen_fd_ = -1;
  int port_ = 0;
};

void BM_CheckAndInsert(benchmark::State& state) {
  if (state.thread_index() == 0) {
    RedisReplayOptions o;
    o.address = target_address;
    o.pool_size = static_cast<int>(state.range(0));
    cache = std::move(*RedisReplayCache::Create(o));
  }
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    // ~50-octet ids, like CSB ID + T + RAND + MAC.
    std::string id = absl::StrCat("bench-id-0123456789abcdef0123456789-",
                                  next_id.fetch_add(1));
    absl::Status s = cache->CheckAndInsert(id, now, now + absl::Minutes(1));
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["connects"] = static_cast<double>(cache->stats().connects);
  }
}

BENCHMARK(BM_CheckAndInsert)
    ->ArgName("pool")
    ->ArgsProduct({{1, 4, 8}})
    ->ThreadRange(1, 16)
    ->UseRealTime();

}  // namespace
}  // namespace replay
}  // namespace service
}  // namespace mikey

int main(int argc, char** argv) {
  using mikey::service::replay::DelayRelay;
  auto server = mikey::service::replay::RedisTestServer::Start();
  if (!server.ok()) {
    std::cerr << server.status() << std::endl;
    return 1;
  }
  int rtt_us = 0;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rtt_us=", 9) == 0) {
      rtt_us = std::atoi(argv[i] + 9);
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::unique_ptr<DelayRelay> relay;
  mikey::service::replay::target_address = (*server)->address();
  if (rtt_us > 0) {
    relay = std::make_unique<DelayRelay>((*server)->port(),
                                         absl::Microseconds(rtt_us));
    mikey::service::replay::target_address =
        absl::StrCat("127.0.0.1:", relay->port());
    std::cerr << "relay adding " << rtt_us << " us per request" << std::endl;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  mikey::service::replay::cache.reset();
  (*server)->Stop().IgnoreError();
  // The relay's threads are detached; exit without unwinding them.
  std::_Exit(0);
}
