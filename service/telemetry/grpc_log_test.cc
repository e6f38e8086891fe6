#include "service/telemetry/grpc_log.h"

#include "grpc/support/log.h"
#include "gtest/gtest.h"
#include "service/telemetry/metrics.h"

namespace mikey {
namespace service {
namespace telemetry {
namespace {

// The server-side messages of gRPC 1.51 (ssl_transport_security.cc) for the
// handshakes the end-to-end test provokes, as mikeyd's stderr shows them.
TEST(GrpcLogTest, ClassifiesHandshakeFailures) {
  EXPECT_EQ(HandshakeFailureReason(
                "Handshake failed with fatal error SSL_ERROR_SSL: "
                "error:0A0000C7:SSL routines::peer did not return a "
                "certificate."),
            "no_client_certificate");
  EXPECT_EQ(HandshakeFailureReason(
                "Handshake failed with fatal error SSL_ERROR_SSL: "
                "error:0A000086:SSL routines::certificate verify failed."),
            "untrusted_certificate");
  EXPECT_EQ(HandshakeFailureReason(
                "Handshake failed with fatal error SSL_ERROR_SSL: "
                "error:0A00010B:SSL routines::wrong version number."),
            "not_tls");
  EXPECT_EQ(HandshakeFailureReason(
                "Handshake failed with fatal error SSL_ERROR_SSL: "
                "error:0A000412:SSL routines::sslv3 alert bad certificate."),
            "other");
  EXPECT_EQ(HandshakeFailureReason("Server Shutdown"), "");
  EXPECT_EQ(HandshakeFailureReason(""), "");
}

TEST(GrpcLogTest, HookCountsLoggedFailures) {
  MetricsRegistry registry;
  Counter* counter =
      *registry.AddCounter("tls_handshake_failures_total", "h", {"reason"});
  InstallGrpcLogHook(counter);
  // gRPC reads GRPC_VERBOSITY in grpc_init(); until then it logs nothing.
  gpr_log_verbosity_init();
  gpr_log(GPR_ERROR, "%s",
          "Handshake failed with fatal error SSL_ERROR_SSL: "
          "error:0A0000C7:SSL routines::peer did not return a certificate.");
  gpr_log(GPR_ERROR, "%s", "something else");
  EXPECT_EQ(counter->Value({"no_client_certificate"}), 1);
  InstallGrpcLogHook(nullptr);
  gpr_log(GPR_ERROR, "%s",
          "Handshake failed with fatal error SSL_ERROR_SSL: "
          "error:0A0000C7:SSL routines::peer did not return a certificate.");
  EXPECT_EQ(counter->Value({"no_client_certificate"}), 1);
}

}  // namespace
}  // namespace telemetry
}  // namespace service
}  // namespace mikey
