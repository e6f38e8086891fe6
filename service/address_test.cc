#include "service/address.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "service/config.h"

namespace mikey {
namespace service {
namespace {

TEST(AddressTest, ParsesHostPort) {
  absl::StatusOr<HostPort> a = ParseHostPort("127.0.0.1:50051");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 50051);
  EXPECT_EQ(a->ToString(), "127.0.0.1:50051");

  a = ParseHostPort("[::1]:0");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  EXPECT_EQ(a->ToString(), "[::1]:0");

  a = ParseHostPort("localhost:65535");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->port, 65535);
}

TEST(AddressTest, RejectsMalformed) {
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":50051", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:+5", "127.0.0.1:5x", "::1:50051",
        "[::1]50051", "[::1:50051", "[nothex]:1", "127.0.0.1:000001"}) {
    absl::StatusOr<HostPort> a = ParseHostPort(bad);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(AddressTest, Loopback) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST",
                           "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host :
       {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com",
        "localhost.example.com", "127.1", "::ffff:10.0.0.1", "::2", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(ConfigTest, DefaultIsLoopbackPlaintextAndValid) {
  ServerConfig config = DefaultServerConfig();
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  EXPECT_TRUE(config.plaintext);
  EXPECT_TRUE(ValidateServerConfig(config).ok());
}

TEST(ConfigTest, PlaintextRefusesNonLoopback) {
  ServerConfig config = DefaultServerConfig();
  config.listen = "0.0.0.0:50051";
  absl::Status s = ValidateServerConfig(config);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("non-loopback"), absl::string_view::npos) << s;
  config.listen = "[::]:50051";
  EXPECT_FALSE(ValidateServerConfig(config).ok());
  config.listen = "nonsense";
  EXPECT_FALSE(ValidateServerConfig(config).ok());
}

TEST(ConfigTest, BannerSaysPlaintext) {
  std::string banner = StartupBanner(DefaultServerConfig(), false);
  EXPECT_NE(banner.find("PLAINTEXT"), std::string::npos) << banner;
  EXPECT_NE(banner.find("embedded default"), std::string::npos) << banner;
}

}  // namespace
}  // namespace service
}  // namespace mikey
