#include "service/auth/identity.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "gtest/gtest.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

// An AuthContext holding given properties, as gRPC's SSL transport fills it.
class FakeAuthContext final : public grpc::AuthContext {
 public:
  FakeAuthContext(bool authenticated,
                  std::vector<std::pair<std::string, std::string>> properties)
      : authenticated_(authenticated), properties_(std::move(properties)) {}

  bool IsPeerAuthenticated() const override { return authenticated_; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {}; }
  std::string GetPeerIdentityPropertyName() const override { return ""; }
  std::vector<grpc::string_ref> FindPropertyValues(
      const std::string& name) const override {
    std::vector<grpc::string_ref> out;
    for (const auto& [key, value] : properties_) {
      if (key == name) out.emplace_back(value);
    }
    return out;
  }
  grpc::AuthPropertyIterator begin() const override { return Empty(); }
  grpc::AuthPropertyIterator end() const override { return Empty(); }
  void AddProperty(const std::string& key,
                   const grpc::string_ref& value) override {
    properties_.emplace_back(key, std::string(value.data(), value.size()));
  }
  bool SetPeerIdentityPropertyName(const std::string&) override {
    return false;
  }

 private:
  struct EmptyIterator : grpc::AuthPropertyIterator {};
  static grpc::AuthPropertyIterator Empty() { return EmptyIterator(); }

  bool authenticated_;
  std::vector<std::pair<std::string, std::string>> properties_;
};

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\n...";

TEST(IdentityTest, NoContextOrPlaintextIsAnonymous) {
  CallerIdentity id = IdentityFromAuthContext(nullptr);
  EXPECT_EQ(id.name, "anonymous");
  EXPECT_FALSE(id.authenticated);
  FakeAuthContext plaintext(false, {});
  id = IdentityFromAuthContext(&plaintext);
  EXPECT_EQ(id.name, "anonymous");
  EXPECT_FALSE(id.authenticated);
}

TEST(IdentityTest, UnverifiedCertificateIsAnonymous) {
  // Properties present but the peer is not authenticated: ignore them.
  FakeAuthContext context(false, {{GRPC_X509_PEM_CERT_PROPERTY_NAME, kPem},
                                  {GRPC_PEER_URI_PROPERTY_NAME, "spiffe://x"},
                                  {GRPC_X509_CN_PROPERTY_NAME, "cam"}});
  CallerIdentity id = IdentityFromAuthContext(&context);
  EXPECT_EQ(id.name, "anonymous");
  EXPECT_FALSE(id.authenticated);
}

TEST(IdentityTest, AuthenticatedWithoutCertificateIsAnonymous) {
  FakeAuthContext context(true, {{GRPC_X509_CN_PROPERTY_NAME, "cam"}});
  EXPECT_FALSE(IdentityFromAuthContext(&context).authenticated);
}

TEST(IdentityTest, UriSanFirst) {
  FakeAuthContext context(
      true, {{GRPC_X509_PEM_CERT_PROPERTY_NAME, kPem},
             {GRPC_X509_CN_PROPERTY_NAME, "cam"},
             {GRPC_PEER_DNS_PROPERTY_NAME, "cam.example.org"},
             {GRPC_PEER_URI_PROPERTY_NAME, "spiffe://example.org/cam"},
             {GRPC_PEER_URI_PROPERTY_NAME, "spiffe://example.org/second"}});
  CallerIdentity id = IdentityFromAuthContext(&context);
  EXPECT_EQ(id.name, "spiffe://example.org/cam");
  EXPECT_TRUE(id.authenticated);
}

TEST(IdentityTest, ThenDnsSanThenCommonNameThenSubject) {
  FakeAuthContext dns(true, {{GRPC_X509_PEM_CERT_PROPERTY_NAME, kPem},
                             {GRPC_X509_CN_PROPERTY_NAME, "cam"},
                             {GRPC_PEER_DNS_PROPERTY_NAME, "cam.example.org"}});
  EXPECT_EQ(IdentityFromAuthContext(&dns).name, "DNS:cam.example.org");
  FakeAuthContext cn(true, {{GRPC_X509_PEM_CERT_PROPERTY_NAME, kPem},
                            {GRPC_X509_CN_PROPERTY_NAME, "cam"}});
  EXPECT_EQ(IdentityFromAuthContext(&cn).name, "CN=cam");
  FakeAuthContext subject(true, {{GRPC_X509_PEM_CERT_PROPERTY_NAME, kPem},
                                 {GRPC_X509_SUBJECT_PROPERTY_NAME, "O=Acme"}});
  CallerIdentity id = IdentityFromAuthContext(&subject);
  EXPECT_EQ(id.name, "SUBJECT=O=Acme");
  EXPECT_TRUE(id.authenticated);
}

}  // namespace
}  // namespace auth
}  // namespace service
}  // namespace mikey
