#include "service/auth/identity.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpc/grpc_security_constants.h"
#include "service/auth/policy.h"

namespace mikey {
namespace service {
namespace auth {
namespace {

// The first non-empty value of property `name`, or "".
std::string First(const grpc::AuthContext& context, const char* name) {
  for (const grpc::string_ref& value : context.FindPropertyValues(name)) {
    if (!value.empty()) return std::string(value.data(), value.size());
  }
  return "";
}

}  // namespace

CallerIdentity IdentityFromAuthContext(const grpc::AuthContext* context) {
  CallerIdentity anonymous{kAnonymous, false};
  if (context == nullptr || !context->IsPeerAuthenticated()) return anonymous;
  // Only a peer that presented a certificate counts: an authenticated context
  // without a certificate property is not one mikeyd set up.
  if (First(*context, GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) {
    return anonymous;
  }
  if (std::string uri = First(*context, GRPC_PEER_URI_PROPERTY_NAME);
      !uri.empty()) {
    return CallerIdentity{uri, true};
  }
  if (std::string dns = First(*context, GRPC_PEER_DNS_PROPERTY_NAME);
      !dns.empty()) {
    return CallerIdentity{absl::StrCat("DNS:", dns), true};
  }
  if (std::string cn = First(*context, GRPC_X509_CN_PROPERTY_NAME);
      !cn.empty()) {
    return CallerIdentity{absl::StrCat("CN=", cn), true};
  }
  return CallerIdentity{
      absl::StrCat("SUBJECT=",
                   First(*context, GRPC_X509_SUBJECT_PROPERTY_NAME)),
      true};
}

}  // namespace auth
}  // namespace service
}  // namespace mikey
