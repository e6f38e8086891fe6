#include "service/telemetry/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

HttpResponse TestHandler(absl::string_view path) {
  HttpResponse r;
  if (path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = "up 1\n";
  } else {
    r.status = 404;
    r.body = "nope\n";
  }
  return r;
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n =
        ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (431): fine
    done += static_cast<size_t>(n);
  }
}

// Reads until EOF (or 10 s).
std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

std::string Exchange(int port, const std::string& request) {
  int fd = Connect(port);
  SendAll(fd, request);
  std::string response = ReadAll(fd);
  ::close(fd);
  return response;
}

TEST(HttpRespondTest, Get) {
  EXPECT_EQ(
      HttpRespond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", TestHandler),
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/plain; version=0.0.4\r\n"
      "Content-Length: 5\r\n"
      "Cache-Control: no-store\r\n"
      "Connection: close\r\n"
      "\r\n"
      "up 1\n");
}

TEST(HttpRespondTest, HeadHasNoBody) {
  const std::string r =
      HttpRespond("HEAD /metrics HTTP/1.0\r\n\r\n", TestHandler);
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(absl::EndsWith(r,
                             "Content-Length: 5\r\nCache-Control: "
                             "no-store\r\nConnection: close\r\n\r\n"))
      << r;
}

TEST(HttpRespondTest, QueryStringIgnoredAndBareLfAccepted) {
  EXPECT_TRUE(absl::StartsWith(
      HttpRespond("GET /metrics?x=1 HTTP/1.1\n\n", TestHandler),
      "HTTP/1.1 200 OK\r\n"));
}

TEST(HttpRespondTest, Errors) {
  struct Case {
    const char* request;
    const char* status_line;
  } cases[] = {
      {"GET /other HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n"},
      {"POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed\r\n"},
      {"GET /metrics HTTP/2.0\r\n\r\n",
       "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
      {"GET /metrics\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET  /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /metrics FOO/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
  };
  for (const Case& c : cases) {
    const std::string r = HttpRespond(c.request, TestHandler);
    EXPECT_TRUE(absl::StartsWith(r, c.status_line)) << c.request << " -> " << r;
  }
  EXPECT_NE(HttpRespond("PUT / HTTP/1.1\r\n\r\n", TestHandler)
                .find("\r\nAllow: GET, HEAD\r\n"),
            std::string::npos);
  // Content-Length: 0 is no body: fine.
  EXPECT_TRUE(absl::StartsWith(
      HttpRespond("GET /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
                  TestHandler),
      "HTTP/1.1 200 OK\r\n"));
}

TEST(HttpServerTest, ServesOverTcp) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", TestHandler);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  std::string r = Exchange(port, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(absl::EndsWith(r, "\r\n\r\nup 1\n")) << r;
  // The request may arrive in pieces.
  int fd = Connect(port);
  SendAll(fd, "GET /met");
  absl::SleepFor(absl::Milliseconds(50));
  SendAll(fd, "rics HTTP/1.1\r\n");
  absl::SleepFor(absl::Milliseconds(50));
  SendAll(fd, "\r\n");
  r = ReadAll(fd);
  ::close(fd);
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "GET /x HTTP/1.1\r\n\r\n"),
                               "HTTP/1.1 404 Not Found\r\n"));
}

TEST(HttpServerTest, OversizedRequestIs431AndServerStaysUp) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", TestHandler);
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::string huge = "GET /metrics HTTP/1.1\r\nX: " +
                     std::string(HttpServer::kMaxRequestBytes, 'a') +
                     "\r\n\r\n";
  EXPECT_TRUE(absl::StartsWith(Exchange(port, huge),
                               "HTTP/1.1 431 Request Header Fields Too Large"));
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"),
                               "HTTP/1.1 200 OK\r\n"));
}

TEST(HttpServerTest, SlowClientsTimeOutWithoutBlockingOthers) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      "127.0.0.1:0", TestHandler, /*connection_timeout=*/absl::Seconds(1));
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  // Idle connections that never finish a request.
  std::vector<int> idle;
  for (int i = 0; i < 5; ++i) {
    idle.push_back(Connect(port));
    SendAll(idle.back(), "GET /metr");
  }
  // Others are served meanwhile.
  const absl::Time start = absl::Now();
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"),
                               "HTTP/1.1 200 OK\r\n"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  // The idle ones are closed after the timeout, with nothing sent.
  for (int fd : idle) {
    EXPECT_EQ(ReadAll(fd), "");
    ::close(fd);
  }
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
}

TEST(HttpServerTest, MoreConnectionsThanTheLimitWait) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      "127.0.0.1:0", TestHandler, /*connection_timeout=*/absl::Seconds(1));
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::vector<int> idle;
  for (int i = 0; i < HttpServer::kMaxConnections; ++i) {
    idle.push_back(Connect(port));
  }
  // This one waits in the backlog until the idle ones time out, then is
  // served.
  EXPECT_TRUE(absl::StartsWith(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"),
                               "HTTP/1.1 200 OK\r\n"));
  for (int fd : idle) ::close(fd);
}

TEST(HttpServerTest, ConcurrentClients) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", TestHandler);
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (absl::StartsWith(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"),
                             "HTTP/1.1 200 OK\r\n")) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST(HttpServerTest, StartErrors) {
  EXPECT_EQ(HttpServer::Start("nonsense", TestHandler).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpServer::Start("example.com:0", TestHandler).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<HttpServer>> first =
      HttpServer::Start("127.0.0.1:0", TestHandler);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(
      absl::StrCat("127.0.0.1:", (*first)->port()), TestHandler);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  // IPv6 loopback and "localhost" work too.
  EXPECT_TRUE(HttpServer::Start("[::1]:0", TestHandler).ok() ||
              ::access("/proc/net/if_inet6", F_OK) != 0);
  EXPECT_TRUE(HttpServer::Start("localhost:0", TestHandler).ok());
}

TEST(HttpServerTest, StopsPromptlyWithOpenConnections) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1:0", TestHandler);
  ASSERT_TRUE(server.ok());
  int fd = Connect((*server)->port());
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  server->reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(ReadAll(fd), "");
  ::close(fd);
}

}  // namespace
}  // namespace telemetry
}  // namespace service
}  // namespace mikey
