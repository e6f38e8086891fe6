#include "tests/interop/interop_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace mikey {
namespace interop {

std::string ToHex(absl::Span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

Bytes FromHex(absl::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\n' || c == '\t' || c == ':') {
      continue;
    } else {
      std::fprintf(stderr, "FromHex: bad character '%c' in test data\n", c);
      std::abort();
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) {
    std::fprintf(stderr, "FromHex: odd number of digits in test data\n");
    std::abort();
  }
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

absl::StatusOr<Bytes> DecodeBase64(absl::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
  }
  std::string raw;
  if (!absl::Base64Unescape(compact, &raw)) {
    return absl::InvalidArgumentError("test data is not valid base64");
  }
  return Bytes(raw.begin(), raw.end());
}

std::string EncodeBase64(absl::Span<const uint8_t> bytes) {
  return absl::Base64Escape(absl::string_view(
      reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string RunfilePath(absl::string_view workspace_relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return std::string(workspace_relative);
  return absl::StrCat(srcdir, "/",
                      workspace != nullptr ? workspace : "mikey_broker", "/",
                      workspace_relative);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFile(const std::string& path,
                       absl::Span<const uint8_t> data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot create ", path));
  out.write(reinterpret_cast<const char*>(data.data()), data.size());
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string TestTmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ChildOutcome::Describe() const {
  switch (kind) {
    case kExited:
      return absl::StrCat("exited with status ", code);
    case kSignaled:
      return absl::StrCat("killed by signal ", code, " (", strsignal(code),
                          ")");
    case kTimedOut:
      return "did not finish before its deadline (killed)";
    case kForkFailed:
      return absl::StrCat("could not be started: ", error);
  }
  return "?";
}

namespace {

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Reads the given pipes until all reach EOF or the deadline passes. Returns
// false on deadline. outs[i] collects what fds[i] delivered.
bool DrainUntil(std::vector<int> fds, std::vector<std::string*> outs,
                absl::Time deadline) {
  std::vector<bool> open(fds.size(), true);
  size_t n_open = fds.size();
  char buf[65536];
  while (n_open > 0) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    std::vector<pollfd> pfds;
    std::vector<size_t> index;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!open[i]) continue;
      pfds.push_back({fds[i], POLLIN, 0});
      index.push_back(i);
    }
    int timeout_ms = static_cast<int>(
        std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000));
    int r = poll(pfds.data(), pfds.size(), timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    for (size_t k = 0; k < pfds.size(); ++k) {
      if (pfds[k].revents == 0) continue;
      size_t i = index[k];
      ssize_t n = read(fds[i], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open[i] = false;
        --n_open;
      } else {
        outs[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  return true;
}

// Waits for `pid`; if `kill_first`, kills it first. Fills kind/code.
void Reap(pid_t pid, bool kill_first, ChildOutcome* out) {
  if (kill_first) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (kill_first) {
    out->kind = ChildOutcome::kTimedOut;
    return;
  }
  if (WIFEXITED(status)) {
    out->kind = ChildOutcome::kExited;
    out->code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out->kind = ChildOutcome::kSignaled;
    out->code = WTERMSIG(status);
  }
}

// Waits for the child to end by itself until `deadline` (it may have closed
// its pipes just before exiting); kills it when the deadline passes.
void ReapBy(pid_t pid, absl::Time deadline, ChildOutcome* out) {
  while (absl::Now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) {
        out->kind = ChildOutcome::kExited;
        out->code = WEXITSTATUS(status);
      } else if (WIFSIGNALED(status)) {
        out->kind = ChildOutcome::kSignaled;
        out->code = WTERMSIG(status);
      }
      return;
    }
    if (r < 0 && errno != EINTR) return;
    usleep(2000);
  }
  Reap(pid, /*kill_first=*/true, out);
}

}  // namespace

ChildOutcome RunIsolated(const std::function<std::string()>& fn,
                         absl::Duration timeout) {
  ChildOutcome out;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    out.error = strerror(errno);
    return out;
  }
  std::fflush(nullptr);  // nothing buffered may be written twice
  const absl::Time deadline = absl::Now() + timeout;
  pid_t pid = fork();
  if (pid < 0) {
    out.error = strerror(errno);
    close(pipefd[0]);
    close(pipefd[1]);
    return out;
  }
  if (pid == 0) {
    close(pipefd[0]);
    // Second line of defence: even if the parent died, the child goes away.
    alarm(static_cast<unsigned>(absl::ToInt64Seconds(timeout)) + 2);
    std::string result = fn();
    WriteAll(pipefd[1], result);
    close(pipefd[1]);
    _exit(0);
  }
  close(pipefd[1]);
  bool finished = DrainUntil({pipefd[0]}, {&out.output}, deadline);
  close(pipefd[0]);
  if (!finished) {
    Reap(pid, /*kill_first=*/true, &out);
  } else {
    ReapBy(pid, deadline, &out);
  }
  return out;
}

ChildOutcome RunProgram(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env,
                        absl::Duration timeout) {
  ChildOutcome out;
  if (argv.empty()) {
    out.error = "empty argv";
    return out;
  }
  // Build argv/envp before fork: the child only calls async-signal-safe
  // functions.
  std::vector<char*> cargv;
  for (const std::string& a : argv)
    cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (env.count(key) == 0) env_strings.push_back(entry);
  }
  for (const auto& kv : env) env_strings.push_back(kv.first + "=" + kv.second);
  std::vector<char*> cenv;
  for (const std::string& e : env_strings)
    cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    out.error = strerror(errno);
    return out;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    out.error = strerror(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return out;
  }
  std::fflush(nullptr);
  const absl::Time deadline = absl::Now() + timeout;
  pid_t pid = fork();
  if (pid < 0) {
    out.error = strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      close(fd);
    return out;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(cargv[0], cargv.data(), cenv.data());
    static const char kMsg[] = "execve failed\n";
    ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  bool finished = DrainUntil({out_pipe[0], err_pipe[0]},
                             {&out.output, &out.error}, deadline);
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (!finished) {
    Reap(pid, /*kill_first=*/true, &out);
  } else {
    ReapBy(pid, deadline, &out);
  }
  return out;
}

}  // namespace interop
}  // namespace mikey
