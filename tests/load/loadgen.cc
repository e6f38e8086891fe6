// loadgen: a gRPC load generator for mikeyd (async C++ client).
//
// N channels (separate HTTP/2 connections), each with its own completion
// queue and thread, keep M calls outstanding (closed loop, --rate=0) or
// send at a fixed offered rate (open loop, --rate=R calls/s in total, paced
// by one more thread per channel; latency is measured from each call's
// scheduled send time, so a slow server cannot hide queueing delay). RPCs:
//
//   health    grpc.health.v1.Health/Check for "" (the trivial baseline: no
//             MIKEY work at all; raw protobuf bytes, generic stub)
//   decode    KeyBroker/Decode of a fixed 91-octet PSK I_MESSAGE
//   initiate  KeyBroker/Initiate, MODE_PSK, one stream, keystore key
//   respond   KeyBroker/Respond of I_MESSAGEs made by Initiate before the
//             timed phase (--respond_pool of them, each used once, so the
//             replay cache accepts every one); or, with --respond_psk_file,
//             made here while the run goes (core's InitiatePsk with the
//             keystore's PSK), for runs longer than a pool made in advance
//             can serve: its last messages would have left the replay
//             window before they were sent
//   derive    KeyBroker/DeriveSessionKeys (RFC 3711 B.3 key and salt)
//   echo      mikey.broker.v1.Echo/Echo (mikeyd --echo_service): the trivial
//             RPC, with --echo_request_bytes of payload and
//             --echo_response_bytes back, to match another RPC's octets
//
// The summary gives the mean request and response sizes (protobuf octets),
// so that an echo run can be sized like the RPC it is compared with.
//
// Prints a human summary, then one line of JSON (starting with '{').
// Bounded: loopback targets only, at most 900 s, 4096 calls in flight,
// 64 channels, 2 million pooled I_MESSAGEs.

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "core/exchange/psk.h"
#include "core/srtp/suite.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "mikey/broker/v1/broker.pb.h"
#include "mikey/broker/v1/echo.pb.h"
#include "service/address.h"
#include "service/keystore/keystore.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "mikeyd (or a balancer in front of it): HOST:PORT, loopback only");
ABSL_FLAG(std::string, rpc, "respond",
          "health | decode | initiate | respond | derive | echo");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "length of the measured phase (at most 900s)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "load before the measured phase, not counted");
ABSL_FLAG(double, rate, 0,
          "open loop: calls per second offered in total; 0: closed loop");
ABSL_FLAG(int, concurrency, 64,
          "calls in flight at most, over all channels (closed loop: always)");
ABSL_FLAG(int, channels, 2,
          "gRPC channels (connections), each with its own thread");
ABSL_FLAG(int, mikeyd_pid, 0,
          "sample this process's VmRSS from /proc every second, and its CPU "
          "time per call; 0: none");
ABSL_FLAG(std::string, key_id, "demo-psk",
          "keystore PSK id (initiate/respond)");
ABSL_FLAG(int, respond_pool, 0,
          "I_MESSAGEs to make before a respond run; 0: an estimate from "
          "--rate, or (closed loop) as many as Initiate makes in 1.2 times "
          "warmup + duration");
ABSL_FLAG(std::string, respond_psk_file, "",
          "respond: make the I_MESSAGEs here, during the run, with the PSK "
          "in this file (hexadecimal, as in mikeyd's keystore directory: the "
          "version --key_id resolves to), instead of a pool made by Initiate "
          "beforehand");
ABSL_FLAG(int, echo_request_bytes, 0,
          "echo: octets of payload in each EchoRequest");
ABSL_FLAG(int, echo_response_bytes, 0,
          "echo: octets of payload in each EchoResponse (at most 65536); 0: "
          "the request's payload comes back");
ABSL_FLAG(int, echo_server_work_us, 0,
          "echo: microseconds the server busy-waits per call (at most 100)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "deadline of each call");
ABSL_FLAG(std::string, label, "", "free text copied into the JSON line");

namespace {

using Clock = std::chrono::steady_clock;

constexpr absl::Duration kMaxDuration = absl::Seconds(900);
constexpr int kMaxConcurrency = 4096;
constexpr int kMaxChannels = 64;
constexpr int kMaxPool = 2000000;
constexpr size_t kMaxSamplesPerThread = 20000000;
// Open loop: the sender thread wakes at most this often.
constexpr std::chrono::microseconds kSendTick(100);

// A PSK I_MESSAGE written by hand from RFC 3830 section 6 (NULL KEMAC): the
// message of deploy/mikeyd_client.py and tests/e2e/decode_e2e_test.py.
constexpr absl::string_view kDecodeMessageHex =
    "0100050012345678010000deadbeef00000007"
    "0b00e93c7f0080000000"
    "0a10000102030405060708090a0b0c0d0e0f"
    "010000001a000101010110020101070101"
    "0b010ac809505152535455565758"
    "0000002900310010a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "000eb0b1b2b3b4b5b6b7b8b9babbbcbd040000000100";

constexpr char kKeyBroker[] = "/mikey.broker.v1.KeyBroker/";

// A steady_clock instant as gRPC's monotonic clock (gRPC takes only
// system_clock time points).
gpr_timespec ToGpr(Clock::time_point tp) {
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(tp - Clock::now())
          .count();
  return gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_nanos(std::max<int64_t>(ns, 0), GPR_TIMESPAN));
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// ---------------------------------------------------------------------------
// The engine: one thread and completion queue per channel.

struct Job {
  std::string method;
  // Request number `seq` (0, 1, ...); nullptr when there are no more.
  std::function<const grpc::ByteBuffer*(int64_t seq)> request;
  // Called (on the channel's thread) with every OK response, when set.
  std::function<void(const grpc::ByteBuffer&)> on_response;
  absl::Duration warmup = absl::ZeroDuration();
  absl::Duration duration = absl::Seconds(10);
  double rate = 0;        // open loop when > 0
  int64_t max_calls = 0;  // stop after this many started calls when > 0
};

struct ThreadStats {
  std::vector<float> latency_us;  // measured phase, OK and errors
  int64_t ok = 0;
  int64_t dropped_samples = 0;
  std::map<int, int64_t> errors;     // status code -> count
  std::map<int, std::string> first;  // status code -> first message
  int64_t started_late = 0;          // open loop: sent > 1 ms behind schedule
  int64_t request_octets = 0;        // measured OK calls
  int64_t response_octets = 0;
};

struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
  Clock::time_point scheduled;
  size_t request_octets = 0;
  bool measured = false;
};

class Engine {
 public:
  Engine(std::vector<std::shared_ptr<grpc::Channel>> channels, int concurrency,
         absl::Duration timeout)
      : channels_(std::move(channels)),
        concurrency_(concurrency),
        timeout_(timeout) {}

  // Runs `job`; returns per-thread stats and the measured seconds.
  std::vector<ThreadStats> Run(const Job& job, double* measured_seconds) {
    const int n = static_cast<int>(channels_.size());
    std::vector<ThreadStats> stats(n);
    seq_.store(0);
    exhausted_.store(false);
    const Clock::time_point start = Clock::now();
    measure_from_ = start + ToChrono(job.warmup);
    end_ = measure_from_ + ToChrono(job.duration);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      int slots = concurrency_ / n + (i < concurrency_ % n ? 1 : 0);
      threads.emplace_back([this, &job, &stats, i, slots, n] {
        Loop(job, i, std::max(slots, 1), job.rate / n, &stats[i]);
      });
    }
    for (std::thread& t : threads) t.join();
    const Clock::time_point stop = std::min(Clock::now(), end_);
    *measured_seconds =
        stop > measure_from_
            ? std::chrono::duration<double>(stop - measure_from_).count()
            : 0;
    if (exhausted_.load() && last_measured_.load() > 0) {
      // Ran out of requests: measure up to the last completion.
      *measured_seconds =
          std::chrono::duration<double>(
              Clock::time_point(Clock::duration(last_measured_.load())) -
              measure_from_)
              .count();
    }
    return stats;
  }

  bool exhausted() const { return exhausted_.load(); }
  // Calls finished so far, warm-up included.
  int64_t finished() const { return finished_.load(); }

 private:
  static Clock::duration ToChrono(absl::Duration d) {
    return std::chrono::duration_cast<Clock::duration>(
        absl::ToChronoNanoseconds(d));
  }

  // Starts request `seq`; false when the job has no more requests.
  bool Start(const Job& job, grpc::GenericStub* stub, grpc::CompletionQueue* cq,
             Clock::time_point scheduled) {
    if (job.max_calls > 0 && seq_.load() >= job.max_calls) {
      exhausted_.store(true);
      return false;
    }
    const int64_t seq = seq_.fetch_add(1);
    if (job.max_calls > 0 && seq >= job.max_calls) {
      exhausted_.store(true);
      return false;
    }
    const grpc::ByteBuffer* request = job.request(seq);
    if (request == nullptr) {
      exhausted_.store(true);
      return false;
    }
    auto* call = new Call;
    call->scheduled = scheduled;
    call->request_octets = request->Length();
    call->measured = scheduled >= measure_from_;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               ToChrono(timeout_));
    call->reader =
        stub->PrepareUnaryCall(&call->context, job.method, *request, cq);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
    return true;
  }

  // Records one finished call in `stats`.
  void Finish(const Job& job, std::unique_ptr<Call> call, ThreadStats* stats) {
    const Clock::time_point done = Clock::now();
    finished_.fetch_add(1, std::memory_order_relaxed);
    if (call->status.ok() && job.on_response) job.on_response(call->response);
    if (!call->measured || done > end_) return;
    const double us =
        std::chrono::duration<double, std::micro>(done - call->scheduled)
            .count();
    if (stats->latency_us.size() < kMaxSamplesPerThread) {
      stats->latency_us.push_back(static_cast<float>(us));
    } else {
      ++stats->dropped_samples;
    }
    if (call->status.ok()) {
      ++stats->ok;
      stats->request_octets += static_cast<int64_t>(call->request_octets);
      stats->response_octets += static_cast<int64_t>(call->response.Length());
    } else {
      const int code = static_cast<int>(call->status.error_code());
      if (stats->errors[code]++ == 0) {
        stats->first[code] = call->status.error_message();
      }
    }
    int64_t t = done.time_since_epoch().count();
    int64_t prev = last_measured_.load();
    while (t > prev && !last_measured_.compare_exchange_weak(prev, t)) {
    }
  }

  void Loop(const Job& job, int index, int slots, double rate,
            ThreadStats* stats) {
    grpc::GenericStub stub(channels_[index]);
    grpc::CompletionQueue cq;
    stats->latency_us.reserve(std::min<size_t>(
        kMaxSamplesPerThread,
        rate > 0 ? static_cast<size_t>(
                       rate * absl::ToDoubleSeconds(job.duration) * 1.05 + 16)
                 : 1 << 20));
    if (rate > 0) {
      OpenLoop(job, index, slots, rate, &stub, &cq, stats);
    } else {
      ClosedLoop(job, slots, &stub, &cq, stats);
    }
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  // `slots` calls outstanding at all times, on this one thread.
  void ClosedLoop(const Job& job, int slots, grpc::GenericStub* stub,
                  grpc::CompletionQueue* cq, ThreadStats* stats) {
    int outstanding = 0;
    bool more = true;
    while (true) {
      if (Clock::now() >= end_) more = false;
      while (more && outstanding < slots) {
        more = Start(job, stub, cq, Clock::now());
        if (more) ++outstanding;
      }
      if (outstanding == 0) break;
      const Clock::time_point wake =
          more ? end_
               : Clock::now() + ToChrono(timeout_) + std::chrono::seconds(1);
      void* tag = nullptr;
      bool ok = false;
      grpc::CompletionQueue::NextStatus got =
          cq->AsyncNext(&tag, &ok, ToGpr(wake));
      if (got == grpc::CompletionQueue::SHUTDOWN) break;
      if (got == grpc::CompletionQueue::TIMEOUT) continue;
      --outstanding;
      Finish(job, std::unique_ptr<Call>(static_cast<Call*>(tag)), stats);
    }
  }

  // Open loop: a sender thread starts each call at its scheduled instant
  // (or, at rates over one call per kSendTick, within a tick of it),
  // sleeping in between (clock_nanosleep, 1 us timer slack), while this
  // thread takes completions. One thread doing both could only wake on
  // gRPC's timers, which have millisecond resolution: every call would then
  // leave up to 1 ms late, and that lateness, measured from the scheduled
  // instant, was most of the latency reported at low load.
  void OpenLoop(const Job& job, int index, int slots, double rate,
                grpc::GenericStub* stub, grpc::CompletionQueue* cq,
                ThreadStats* stats) {
    std::atomic<int> outstanding{0};
    std::atomic<bool> sender_done{false};
    std::atomic<int64_t> late{0};
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / rate));
    std::thread sender([&] {
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      // Stagger the channels' schedules.
      Clock::time_point next =
          Clock::now() + interval * index / static_cast<int>(channels_.size());
      Clock::time_point last_wake = Clock::now();
      while (next < end_) {
        const Clock::time_point now = Clock::now();
        if (next > now) {
          // At most one wake-up per kSendTick: at high rates the calls due
          // in a tick leave together (each at most a tick late, and its
          // latency counts from its own instant), as a wake-up per call
          // would cost more CPU than the call.
          std::this_thread::sleep_until(std::max(next, last_wake + kSendTick));
          last_wake = Clock::now();
          continue;
        }
        if (outstanding.load() >= slots) {
          // Every slot busy: the call waits here, and its latency (from
          // `next`) says so.
          std::this_thread::sleep_for(std::chrono::microseconds(20));
          continue;
        }
        if (now - next > std::chrono::milliseconds(1) &&
            next >= measure_from_) {
          late.fetch_add(1, std::memory_order_relaxed);
        }
        outstanding.fetch_add(1);
        if (!Start(job, stub, cq, next)) {
          outstanding.fetch_sub(1);
          break;
        }
        next += interval;
      }
      sender_done.store(true);
    });
    while (true) {
      if (sender_done.load() && outstanding.load() == 0) break;
      void* tag = nullptr;
      bool ok = false;
      grpc::CompletionQueue::NextStatus got = cq->AsyncNext(
          &tag, &ok, ToGpr(Clock::now() + std::chrono::milliseconds(5)));
      if (got == grpc::CompletionQueue::SHUTDOWN) break;
      if (got == grpc::CompletionQueue::TIMEOUT) continue;
      outstanding.fetch_sub(1);
      Finish(job, std::unique_ptr<Call>(static_cast<Call*>(tag)), stats);
    }
    sender.join();
    stats->started_late += late.load();
  }

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  const int concurrency_;
  const absl::Duration timeout_;
  std::atomic<int64_t> seq_{0};
  std::atomic<bool> exhausted_{false};
  std::atomic<int64_t> last_measured_{0};
  std::atomic<int64_t> finished_{0};
  Clock::time_point measure_from_;
  Clock::time_point end_;
};

// This process's CPU time (user + system) so far, in microseconds.
int64_t ProcessCpuMicros() {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return (static_cast<int64_t>(u.ru_utime.tv_sec) + u.ru_stime.tv_sec) *
             1000000 +
         u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

// ---------------------------------------------------------------------------
// RSS (and CPU time) of the server, once a second.

class RssSampler {
 public:
  explicit RssSampler(int pid) : pid_(pid) {
    if (pid_ <= 0) return;
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        lock.unlock();
        int64_t kib = Read();
        lock.lock();
        if (kib >= 0) samples_.push_back(kib);
        cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
      }
    });
  }
  ~RssSampler() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // The server's CPU time (user + system) so far in microseconds, or -1.
  int64_t CpuMicros() const {
    std::string stat;
    if (!ReadProcFile("stat", &stat)) return -1;
    // Fields 14 and 15 (utime, stime, in clock ticks) follow the command
    // name, which is in parentheses and may hold spaces.
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return -1;
    int64_t utime = 0, stime = 0;
    if (std::sscanf(stat.c_str() + paren + 1,
                    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %" SCNd64
                    " %" SCNd64,
                    &utime, &stime) != 2) {
      return -1;
    }
    return (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
  }

  // VmRSS in KiB, or -1.
  int64_t Read() const {
    std::string status;
    if (!ReadProcFile("status", &status)) return -1;
    const size_t line = status.find("\nVmRSS:");
    if (line == std::string::npos) return -1;
    return std::strtoll(status.c_str() + line + 7, nullptr, 10);
  }

  std::vector<int64_t> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  // /proc/PID/<name> of the server, at most 8 KiB of it.
  bool ReadProcFile(const char* name, std::string* out) const {
    if (pid_ <= 0) return false;
    char path[64];
    std::snprintf(path, sizeof(path), "/proc/%d/%s", pid_, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n <= 0) return false;
    out->assign(buf, static_cast<size_t>(n));
    return true;
  }

  const int pid_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<int64_t> samples_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------

absl::Status CheckFlags() {
  absl::StatusOr<mikey::service::HostPort> target =
      mikey::service::ParseHostPort(absl::GetFlag(FLAGS_target));
  if (!target.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: ", target.status().message()));
  }
  if (!mikey::service::IsLoopbackHost(target->host) || target->port == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--target: ", absl::GetFlag(FLAGS_target),
        " is not a loopback HOST:PORT (127.0.0.0/8, ::1, localhost): "
        "loadgen only loads this machine"));
  }
  const absl::Duration d = absl::GetFlag(FLAGS_duration);
  if (d <= absl::ZeroDuration() || d > kMaxDuration) {
    return absl::InvalidArgumentError("--duration: must be in (0, 900s]");
  }
  const absl::Duration w = absl::GetFlag(FLAGS_warmup);
  if (w < absl::ZeroDuration() || w > absl::Seconds(60)) {
    return absl::InvalidArgumentError("--warmup: must be in [0, 60s]");
  }
  const double rate = absl::GetFlag(FLAGS_rate);
  if (!(rate >= 0) || rate > 1e6) {
    return absl::InvalidArgumentError("--rate: must be in [0, 1e6]");
  }
  const int c = absl::GetFlag(FLAGS_concurrency);
  const int ch = absl::GetFlag(FLAGS_channels);
  if (ch < 1 || ch > kMaxChannels) {
    return absl::InvalidArgumentError("--channels: must be 1 to 64");
  }
  if (c < ch || c > kMaxConcurrency) {
    return absl::InvalidArgumentError(
        "--concurrency: must be --channels to 4096");
  }
  const int pool = absl::GetFlag(FLAGS_respond_pool);
  if (pool < 0 || pool > kMaxPool) {
    return absl::InvalidArgumentError("--respond_pool: must be 0 to 2000000");
  }
  const absl::Duration t = absl::GetFlag(FLAGS_timeout);
  if (t <= absl::ZeroDuration() || t > absl::Seconds(60)) {
    return absl::InvalidArgumentError("--timeout: must be in (0, 60s]");
  }
  return absl::OkStatus();
}

std::string InitiateRequestBytes(const std::string& key_id) {
  mikey::broker::v1::InitiateRequest r;
  r.set_mode(mikey::broker::v1::MODE_PSK);
  r.set_suite("AES_CM_128_HMAC_SHA1_80");
  r.add_streams()->set_ssrc(0x12345678);
  r.mutable_key()->set_key_id(key_id);
  return r.SerializeAsString();
}

// Respond requests whose I_MESSAGEs are made while the run goes: one
// thread keeps up to kAhead of them ready (each made with core's
// InitiatePsk, ~5 us), so a message is sent a fraction of a second after it
// is made, however long the run. The same request as Initiate would make
// (MODE_PSK, AES_CM_128_HMAC_SHA1_80, one stream, SSRC 0x12345678).
class LocalIMessageMaker {
 public:
  static constexpr size_t kAhead = 4096;

  LocalIMessageMaker(mikey::SecretBytes psk, std::string key_id)
      : psk_(std::move(psk)), key_id_(std::move(key_id)) {
    absl::StatusOr<const mikey::srtp::CryptoSuite*> suite =
        mikey::srtp::FindSuite("AES_CM_128_HMAC_SHA1_80");
    mikey::exchange::PskStreamSpec stream;
    stream.ssrc = 0x12345678;
    stream.policy.suite = *suite;
    options_.streams = {stream};
    thread_ = std::thread([this] { Produce(); });
  }
  ~LocalIMessageMaker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next request; the pointer stays valid until this thread's next call
  // (the caller copies it into its call at once). nullptr after a failure.
  const grpc::ByteBuffer* Next() {
    thread_local grpc::ByteBuffer taken;
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return !ready_.empty() || failed_; });
    if (ready_.empty()) return nullptr;
    taken = std::move(ready_.front());
    ready_.pop_front();
    ++taken_;
    changed_.notify_all();
    return &taken;
  }

  int64_t taken() {
    std::lock_guard<std::mutex> lock(mu_);
    return taken_;
  }
  // The first failure of InitiatePsk, if any.
  absl::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  void Produce() {
    mikey::exchange::SystemClock clock;
    mikey::OpenSslRandom rng;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock,
                      [this] { return stopping_ || ready_.size() < kAhead; });
        if (stopping_) return;
      }
      absl::StatusOr<mikey::exchange::PskInitiation> init =
          mikey::exchange::InitiatePsk(options_, psk_.span(), clock, rng);
      std::lock_guard<std::mutex> lock(mu_);
      if (!init.ok()) {
        status_ = init.status();
        failed_ = true;
        changed_.notify_all();
        return;
      }
      mikey::broker::v1::RespondRequest rr;
      rr.mutable_input()->set_message(
          std::string(init->i_message.begin(), init->i_message.end()));
      rr.mutable_key()->set_key_id(key_id_);
      ready_.push_back(ToBuffer(rr.SerializeAsString()));
      changed_.notify_all();
    }
  }

  const mikey::SecretBytes psk_;
  const std::string key_id_;
  mikey::exchange::PskInitiatorOptions options_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<grpc::ByteBuffer> ready_;
  bool stopping_ = false;
  bool failed_ = false;
  absl::Status status_;
  int64_t taken_ = 0;
  std::thread thread_;
};

double Percentile(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * (sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string CodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  if (code >= 0 && code < 17) return kNames[code];
  return absl::StrCat("CODE_", code);
}

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int Main() {
  if (absl::Status s = CheckFlags(); !s.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string key_id = absl::GetFlag(FLAGS_key_id);
  const int nchannels = absl::GetFlag(FLAGS_channels);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const double rate = absl::GetFlag(FLAGS_rate);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < nchannels; ++i) {
    grpc::ChannelArguments args;
    // One connection per channel, not a shared subchannel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("loadgen.channel", i);
    channels.push_back(grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args));
  }
  for (auto& ch : channels) {
    if (!ch->WaitForConnected(std::chrono::system_clock::now() +
                              std::chrono::seconds(10))) {
      std::fprintf(stderr, "loadgen: cannot connect to %s\n", target.c_str());
      return 1;
    }
  }
  Engine engine(channels, concurrency, absl::GetFlag(FLAGS_timeout));

  Job job;
  job.warmup = absl::GetFlag(FLAGS_warmup);
  job.duration = duration;
  job.rate = rate;
  grpc::ByteBuffer fixed;
  std::vector<grpc::ByteBuffer> pool;
  int64_t pool_made = 0;
  double pool_seconds = 0;
  std::unique_ptr<LocalIMessageMaker> maker;
  if (rpc == "health") {
    job.method = "/grpc.health.v1.Health/Check";
    fixed = ToBuffer("");  // HealthCheckRequest{service: ""}
  } else if (rpc == "decode") {
    mikey::broker::v1::DecodeRequest r;
    r.mutable_input()->set_message(absl::HexStringToBytes(kDecodeMessageHex));
    job.method = absl::StrCat(kKeyBroker, "Decode");
    fixed = ToBuffer(r.SerializeAsString());
  } else if (rpc == "initiate") {
    job.method = absl::StrCat(kKeyBroker, "Initiate");
    fixed = ToBuffer(InitiateRequestBytes(key_id));
  } else if (rpc == "derive") {
    mikey::broker::v1::DeriveSessionKeysRequest r;
    r.set_suite("AES_CM_128_HMAC_SHA1_80");
    r.set_master_key(
        absl::HexStringToBytes("E1F97A0D3E018BE0D64FA32C06DE4139"));
    r.set_master_salt(absl::HexStringToBytes("0EC675AD498AFEEBB6960B3AABE6"));
    job.method = absl::StrCat(kKeyBroker, "DeriveSessionKeys");
    fixed = ToBuffer(r.SerializeAsString());
  } else if (rpc == "echo") {
    const int request_bytes = absl::GetFlag(FLAGS_echo_request_bytes);
    const int response_bytes = absl::GetFlag(FLAGS_echo_response_bytes);
    if (request_bytes < 0 || request_bytes > 65536 || response_bytes < 0 ||
        response_bytes > 65536) {
      std::fprintf(stderr,
                   "loadgen: --echo_request_bytes and --echo_response_bytes "
                   "must be in [0, 65536]\n");
      return 2;
    }
    mikey::broker::v1::EchoRequest r;
    r.set_payload(std::string(request_bytes, 'e'));
    r.set_response_size(response_bytes);
    r.set_server_work_us(absl::GetFlag(FLAGS_echo_server_work_us));
    job.method = "/mikey.broker.v1.Echo/Echo";
    fixed = ToBuffer(r.SerializeAsString());
  } else if (rpc == "respond" &&
             !absl::GetFlag(FLAGS_respond_psk_file).empty()) {
    const std::string psk_file = absl::GetFlag(FLAGS_respond_psk_file);
    absl::StatusOr<mikey::SecretBytes> psk =
        mikey::service::keystore::LoadHexKeyFile(psk_file, psk_file);
    if (!psk.ok()) {
      std::fprintf(stderr, "loadgen: --respond_psk_file: %s\n",
                   std::string(psk.status().message()).c_str());
      return 2;
    }
    maker = std::make_unique<LocalIMessageMaker>(*std::move(psk), key_id);
    job.method = absl::StrCat(kKeyBroker, "Respond");
    job.request = [&maker](int64_t) { return maker->Next(); };
  } else if (rpc == "respond") {
    int n = absl::GetFlag(FLAGS_respond_pool);
    if (n == 0) {
      const double seconds = absl::ToDoubleSeconds(duration + job.warmup) + 1;
      n = rate > 0 ? static_cast<int>(
                         std::min<double>(kMaxPool, rate * seconds * 1.1 + 100))
                   : kMaxPool;
    }
    // The pool: Initiate n times (closed loop), each I_MESSAGE a new
    // RespondRequest.
    pool.reserve(n);
    std::mutex mu;
    Job make;
    make.method = absl::StrCat(kKeyBroker, "Initiate");
    const grpc::ByteBuffer init = ToBuffer(InitiateRequestBytes(key_id));
    make.request = [&init](int64_t) { return &init; };
    make.max_calls = n;
    // Closed loop without --respond_pool: Initiate for as long as the run
    // (plus a fifth); Respond costs about as much, so that is about enough.
    make.duration = absl::GetFlag(FLAGS_respond_pool) == 0 && rate == 0
                        ? (duration + job.warmup) * 1.2
                        : kMaxDuration;
    make.on_response = [&](const grpc::ByteBuffer& b) {
      mikey::broker::v1::InitiateResponse ir;
      if (!ir.ParseFromString(FromBuffer(b))) return;
      mikey::broker::v1::RespondRequest rr;
      rr.mutable_input()->set_message(ir.i_message());
      rr.mutable_key()->set_key_id(key_id);
      grpc::ByteBuffer buffer = ToBuffer(rr.SerializeAsString());
      std::lock_guard<std::mutex> lock(mu);
      pool.push_back(std::move(buffer));
    };
    const absl::Time t0 = absl::Now();
    double ignored;
    engine.Run(make, &ignored);
    pool_seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    pool_made = static_cast<int64_t>(pool.size());
    std::fprintf(stderr, "loadgen: %" PRId64 " I_MESSAGEs made in %.1fs\n",
                 pool_made, pool_seconds);
    if (pool.empty()) {
      std::fprintf(stderr, "loadgen: Initiate failed: no I_MESSAGE to send\n");
      return 1;
    }
    job.method = absl::StrCat(kKeyBroker, "Respond");
    job.request = [&pool](int64_t seq) -> const grpc::ByteBuffer* {
      return seq < static_cast<int64_t>(pool.size()) ? &pool[seq] : nullptr;
    };
  } else {
    std::fprintf(stderr,
                 "loadgen: --rpc: '%s' is not health, decode, initiate, "
                 "respond, derive or echo\n",
                 rpc.c_str());
    return 2;
  }
  if (!job.request) {
    job.request = [&fixed](int64_t) { return &fixed; };
  }

  RssSampler rss(absl::GetFlag(FLAGS_mikeyd_pid));
  const int64_t rss_before = rss.Read();
  double seconds = 0;
  // CPU per call, warm-up included: this process's and the server's.
  const int64_t finished_before = engine.finished();
  const int64_t client_cpu_before = ProcessCpuMicros();
  const int64_t server_cpu_before = rss.CpuMicros();
  std::vector<ThreadStats> stats = engine.Run(job, &seconds);
  const int64_t calls_run = engine.finished() - finished_before;
  const double client_cpu_us =
      calls_run > 0
          ? static_cast<double>(ProcessCpuMicros() - client_cpu_before) /
                calls_run
          : 0;
  const int64_t server_cpu_after = rss.CpuMicros();
  const double server_cpu_us =
      calls_run > 0 && server_cpu_before >= 0 && server_cpu_after >= 0
          ? static_cast<double>(server_cpu_after - server_cpu_before) /
                calls_run
          : -1;
  rss.Stop();
  const int64_t rss_after = rss.Read();

  std::vector<float> all;
  int64_t ok = 0, dropped = 0, late = 0, request_octets = 0,
          response_octets = 0;
  std::map<int, int64_t> errors;
  std::map<int, std::string> first;
  for (ThreadStats& s : stats) {
    all.insert(all.end(), s.latency_us.begin(), s.latency_us.end());
    ok += s.ok;
    dropped += s.dropped_samples;
    late += s.started_late;
    request_octets += s.request_octets;
    response_octets += s.response_octets;
    for (auto& [code, n] : s.errors) errors[code] += n;
    for (auto& [code, m] : s.first) first.emplace(code, m);
  }
  std::sort(all.begin(), all.end());
  int64_t failed = 0;
  for (auto& [code, n] : errors) failed += n;
  const double throughput = seconds > 0 ? ok / seconds : 0;
  const double mean_request =
      ok > 0 ? static_cast<double>(request_octets) / ok : 0;
  const double mean_response =
      ok > 0 ? static_cast<double>(response_octets) / ok : 0;
  const double p50 = Percentile(all, 50), p99 = Percentile(all, 99),
               p999 = Percentile(all, 99.9),
               pmax = all.empty() ? 0 : all.back();
  std::vector<int64_t> rss_series = rss.samples();
  int64_t rss_min = -1, rss_max = -1, rss_last = rss_after;
  if (!rss_series.empty()) {
    rss_min = *std::min_element(rss_series.begin(), rss_series.end());
    rss_max = *std::max_element(rss_series.begin(), rss_series.end());
  }

  std::printf("loadgen %s -> %s: %s, %d channel(s), %d in flight at most\n",
              rpc.c_str(), target.c_str(),
              rate > 0 ? absl::StrFormat("open loop %.0f/s", rate).c_str()
                       : "closed loop",
              nchannels, concurrency);
  if (maker != nullptr) {
    std::printf("  %" PRId64 " I_MESSAGEs made here during the run%s\n",
                maker->taken(), maker->status().ok() ? "" : " (then failed)");
    if (!maker->status().ok()) {
      std::fprintf(stderr, "loadgen: InitiatePsk: %s\n",
                   std::string(maker->status().message()).c_str());
    }
  }
  if (pool_made > 0) {
    std::printf("  pool: %" PRId64 " I_MESSAGEs made in %.1fs%s\n", pool_made,
                pool_seconds,
                engine.exhausted() ? " (used up before the end)" : "");
  }
  std::printf("  %.2fs measured: %" PRId64 " OK, %" PRId64
              " failed, %.0f OK/s\n",
              seconds, ok, failed, throughput);
  std::printf("  latency us: p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n", p50,
              p99, p999, pmax);
  std::printf("  octets per OK call: request %.0f, response %.0f\n",
              mean_request, mean_response);
  std::printf("  CPU per call: loadgen %.1f us", client_cpu_us);
  if (server_cpu_us >= 0) std::printf(", mikeyd %.1f us", server_cpu_us);
  std::printf(" (%s calls, warm-up included)\n",
              absl::StrCat(calls_run).c_str());
  for (auto& [code, n] : errors) {
    std::printf("  %s: %" PRId64 " (first: %s)\n", CodeName(code).c_str(), n,
                first[code].c_str());
  }
  if (late > 0) {
    std::printf("  open loop: %" PRId64 " calls sent >1 ms behind schedule\n",
                late);
  }
  if (rss_before >= 0) {
    std::printf("  mikeyd RSS KiB: before %" PRId64 ", during min %" PRId64
                " max %" PRId64 ", after %" PRId64 "\n",
                rss_before, rss_min, rss_max, rss_last);
  }

  std::vector<std::string> err_json;
  for (auto& [code, n] : errors) {
    err_json.push_back(absl::StrCat(JsonString(CodeName(code)), ":", n));
  }
  std::printf(
      "{\"rpc\":%s,\"target\":%s,\"label\":%s,\"rate\":%.1f,"
      "\"concurrency\":%d,\"channels\":%d,\"seconds\":%.3f,\"ok\":%" PRId64
      ",\"failed\":%" PRId64
      ",\"throughput\":%.1f,\"request_octets\":%.1f,"
      "\"response_octets\":%.1f,\"client_cpu_us\":%.2f,"
      "\"server_cpu_us\":%.2f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f,\"errors\":{%s},\"late\":%" PRId64
      ",\"pool\":%" PRId64
      ",\"pool_exhausted\":%s,\"rss_kib\":{\"before\":%" PRId64
      ",\"min\":%" PRId64 ",\"max\":%" PRId64 ",\"last\":%" PRId64
      ",\"series\":[%s]},\"dropped_samples\":%" PRId64 "}\n",
      JsonString(rpc).c_str(), JsonString(target).c_str(),
      JsonString(absl::GetFlag(FLAGS_label)).c_str(), rate, concurrency,
      nchannels, seconds, ok, failed, throughput, mean_request, mean_response,
      client_cpu_us, server_cpu_us, p50, p99, p999, pmax,
      absl::StrJoin(err_json, ",").c_str(), late, pool_made,
      engine.exhausted() ? "true" : "false", rss_before, rss_min, rss_max,
      rss_last, absl::StrJoin(rss_series, ",").c_str(), dropped);
  std::fflush(stdout);
  return maker != nullptr && !maker->status().ok() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadgen --target=127.0.0.1:PORT --rpc=respond [--rate=R] ...");
  absl::ParseCommandLine(argc, argv);
  // gRPC's mutexes are absl::Mutex: without this every lock maintains a
  // deadlock graph (a few percent of the client's CPU, as in mikeyd).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return Main();
}
