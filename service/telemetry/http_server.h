// A very small HTTP/1.1 server for operations endpoints (GET /metrics,
// GET /healthz), over POSIX sockets, on one thread.
//
// It reads one request per connection and closes the connection after the
// response (Connection: close). Limits, so a slow or hostile client cannot
// hold it up: the request head must fit in kMaxRequestBytes (431 otherwise),
// each connection gets kConnectionTimeout in total to send its request and
// read the response, and at most kMaxConnections are open at once (further
// ones wait in the listen backlog). Requests with a body are refused (400).
// GET and HEAD only (405 otherwise); unknown paths are 404.

#ifndef MIKEY_SERVICE_TELEMETRY_HTTP_SERVER_H_
#define MIKEY_SERVICE_TELEMETRY_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mikey {
namespace service {
namespace telemetry {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server thread with the request's path (query string
// removed); returns nullopt-like 404 by setting status. Must be quick.
using HttpHandler = std::function<HttpResponse(absl::string_view path)>;

class HttpServer {
 public:
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr int kMaxConnections = 16;
  static constexpr absl::Duration kConnectionTimeout = absl::Seconds(5);

  // Binds `listen` (HOST:PORT; port 0 picks one) and starts serving.
  // UNAVAILABLE when the address cannot be bound; INVALID_ARGUMENT when it is
  // malformed. HOST must be a numeric address or "localhost".
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen, HttpHandler handler,
      absl::Duration connection_timeout = kConnectionTimeout);

  // Stops the thread and closes every socket.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when port 0 was asked for).
  int port() const { return port_; }

 private:
  HttpServer(int listen_fd, int wake_read, int wake_write, int port,
             HttpHandler handler, absl::Duration connection_timeout);
  void Loop();

  const int listen_fd_;
  const int wake_read_;
  const int wake_write_;
  const int port_;
  const HttpHandler handler_;
  const absl::Duration connection_timeout_;
  std::thread thread_;
};

// Builds the response bytes for a request head (everything up to and
// including the blank line). Exposed for tests.
std::string HttpRespond(absl::string_view request_head,
                        const HttpHandler& handler);

// The response bytes for an error status with a short plain-text body.
std::string HttpErrorResponse(int status);

}  // namespace telemetry
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TELEMETRY_HTTP_SERVER_H_
