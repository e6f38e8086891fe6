#include "service/telemetry/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "service/address.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string Serialize(const HttpResponse& response, bool with_body,
                      absl::string_view extra_headers = "") {
  return absl::StrCat("HTTP/1.1 ", response.status, " ",
                      ReasonPhrase(response.status),
                      "\r\nContent-Type: ", response.content_type,
                      "\r\nContent-Length: ", response.body.size(),
                      "\r\nCache-Control: no-store\r\nConnection: close\r\n",
                      extra_headers, "\r\n", with_body ? response.body : "");
}

// Position just past the blank line ending the request head, or npos.
size_t HeadEnd(absl::string_view data) {
  size_t crlf = data.find("\r\n\r\n");
  size_t lf = data.find("\n\n");
  size_t end = absl::string_view::npos;
  if (crlf != absl::string_view::npos) end = crlf + 4;
  if (lf != absl::string_view::npos && lf + 2 < end) end = lf + 2;
  return end;
}

void CloseFd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace

std::string HttpErrorResponse(int status) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(ReasonPhrase(status), "\n");
  return Serialize(response, /*with_body=*/true);
}

std::string HttpRespond(absl::string_view request_head,
                        const HttpHandler& handler) {
  std::vector<absl::string_view> lines = absl::StrSplit(request_head, '\n');
  for (absl::string_view& line : lines) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  }
  if (lines.empty()) return HttpErrorResponse(400);
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return HttpErrorResponse(400);
  }
  const absl::string_view method = parts[0];
  absl::string_view target = parts[1];
  const absl::string_view version = parts[2];
  if (!absl::StartsWith(version, "HTTP/")) return HttpErrorResponse(400);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return HttpErrorResponse(505);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (line.empty()) continue;  // the blank line(s) at the end
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return HttpErrorResponse(400);
    }
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return HttpErrorResponse(400);
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t length = 0;
      if (!absl::SimpleAtoi(value, &length) || length != 0) {
        return HttpErrorResponse(400);
      }
    }
  }
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    HttpResponse response;
    response.status = 405;
    response.body = "Method Not Allowed\n";
    return Serialize(response, true, "Allow: GET, HEAD\r\n");
  }
  if (!absl::StartsWith(target, "/")) return HttpErrorResponse(400);
  const size_t query = target.find('?');
  if (query != absl::string_view::npos) target = target.substr(0, query);
  return Serialize(handler(target), /*with_body=*/!head);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, HttpHandler handler,
    absl::Duration connection_timeout) {
  absl::StatusOr<HostPort> address = ParseHostPort(listen);
  if (!address.ok()) return address.status();
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  std::string host = address->host;
  if (absl::EqualsIgnoreCase(host, "localhost")) host = "127.0.0.1";
  {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(address->port);
      length = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      family = AF_INET6;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(address->port);
      length = sizeof(*v6);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("address '", listen,
                       "': host must be a numeric IP address or localhost"));
    }
  }
  const int fd =
      ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("socket: ", std::strerror(errno)));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      ::listen(fd, 64) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, ": ", std::strerror(err)));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  const int port =
      family == AF_INET
          ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
          : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  int wake[2];
  if (::pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("pipe: ", std::strerror(err)));
  }
  std::unique_ptr<HttpServer> server(new HttpServer(
      fd, wake[0], wake[1], port, std::move(handler), connection_timeout));
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

HttpServer::HttpServer(int listen_fd, int wake_read, int wake_write, int port,
                       HttpHandler handler, absl::Duration connection_timeout)
    : listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      port_(port),
      handler_(std::move(handler)),
      connection_timeout_(connection_timeout) {}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    const char byte = 0;
    while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  CloseFd(listen_fd_);
  CloseFd(wake_read_);
  CloseFd(wake_write_);
}

void HttpServer::Loop() {
  enum class State { kReading, kWriting, kDraining };
  struct Connection {
    int fd;
    State state = State::kReading;
    std::string in;
    std::string out;
    size_t written = 0;
    absl::Time deadline;
  };
  std::vector<Connection> connections;
  std::vector<pollfd> fds;
  // After accept() fails for lack of resources (EMFILE, ENOBUFS, ...), the
  // listener stays readable: leave it alone for a moment instead of spinning.
  absl::Time accept_paused_until = absl::InfinitePast();
  while (true) {
    const absl::Time now = absl::Now();
    // Drop connections past their deadline.
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->deadline <= now) {
        ::close(it->fd);
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
    fds.clear();
    fds.push_back({wake_read_, POLLIN, 0});
    const bool accepting =
        connections.size() < static_cast<size_t>(kMaxConnections) &&
        now >= accept_paused_until;
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    absl::Time next_deadline = absl::InfiniteFuture();
    for (const Connection& c : connections) {
      fds.push_back(
          {c.fd,
           static_cast<short>(c.state == State::kWriting ? POLLOUT : POLLIN),
           0});
      next_deadline = std::min(next_deadline, c.deadline);
    }
    if (now < accept_paused_until) {
      next_deadline = std::min(next_deadline, accept_paused_until);
    }
    int timeout_ms = -1;
    if (next_deadline != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(std::max<int64_t>(
          1, absl::ToInt64Milliseconds(next_deadline - now) + 1));
    }
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;  // should not happen; stop serving rather than spin
    }
    if (fds[0].revents != 0) break;  // asked to stop

    // Existing connections first (fds[2..] match connections[0..]).
    std::vector<bool> closed(connections.size(), false);
    for (size_t i = 0; i < connections.size(); ++i) {
      const short revents = fds[i + 2].revents;
      if (revents == 0) continue;
      Connection& c = connections[i];
      if (c.state == State::kReading || c.state == State::kDraining) {
        char buffer[4096];
        const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          closed[i] = true;  // EOF or error: nothing more to do
          continue;
        }
        if (c.state == State::kDraining) continue;  // discard
        c.in.append(buffer, static_cast<size_t>(n));
        const size_t end = HeadEnd(c.in);
        if (end != absl::string_view::npos && end <= kMaxRequestBytes) {
          c.out = HttpRespond(absl::string_view(c.in).substr(0, end), handler_);
          c.state = State::kWriting;
        } else if (c.in.size() > kMaxRequestBytes) {
          c.out = HttpErrorResponse(431);
          c.state = State::kWriting;
        }
        if (c.state == State::kWriting) {
          c.in.clear();
          c.in.shrink_to_fit();
        }
      } else {  // kWriting
        const ssize_t n = ::send(c.fd, c.out.data() + c.written,
                                 c.out.size() - c.written, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) {
          closed[i] = true;
          continue;
        }
        c.written += static_cast<size_t>(n);
        if (c.written == c.out.size()) {
          // Done: tell the client, then read and discard until it closes
          // (closing with unread input would reset the connection and could
          // destroy the response in flight).
          ::shutdown(c.fd, SHUT_WR);
          c.out.clear();
          c.state = State::kDraining;
        }
      }
    }
    for (size_t i = connections.size(); i-- > 0;) {
      if (closed[i]) {
        ::close(connections[i].fd);
        connections.erase(connections.begin() + static_cast<ptrdiff_t>(i));
      }
    }

    if (accepting && fds[1].revents != 0) {
      while (connections.size() < static_cast<size_t>(kMaxConnections)) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
              errno != ECONNABORTED) {
            accept_paused_until = absl::Now() + absl::Milliseconds(100);
          }
          break;
        }
        connections.push_back(Connection{
            fd, State::kReading, {}, {}, 0, absl::Now() + connection_timeout_});
      }
    }
  }
  for (const Connection& c : connections) ::close(c.fd);
}

}  // namespace telemetry
}  // namespace service
}  // namespace mikey
