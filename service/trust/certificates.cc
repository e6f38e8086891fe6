#include "service/trust/certificates.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/trust/pem.h"

namespace mikey {
namespace service {
namespace trust {
namespace {

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// Prefixes `what` to a status from core (whose messages name no file).
absl::Status In(absl::string_view what, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

// DER starts with a SEQUENCE tag; PEM text may too (an ASCII '0'), so DER
// is only taken when it parses.
bool MayBeDer(absl::string_view data) {
  return !data.empty() && static_cast<uint8_t>(data[0]) == 0x30;
}

absl::StatusOr<std::vector<pki::Certificate>> ParseCertificates(
    absl::string_view data, absl::string_view what, size_t max_count) {
  std::vector<pki::Certificate> out;
  if (data.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": empty (expected a certificate, PEM or DER)"));
  }
  absl::Status der_error;
  if (MayBeDer(data)) {
    absl::StatusOr<pki::Certificate> cert =
        pki::Certificate::FromDer(AsBytes(data));
    if (cert.ok()) {
      out.push_back(*std::move(cert));
      return out;
    }
    der_error = cert.status();
  }
  absl::StatusOr<std::vector<PemBlock>> blocks = ParsePem(data, what);
  if (!blocks.ok()) return blocks.status();
  for (size_t i = 0; i < blocks->size(); ++i) {
    const PemBlock& b = (*blocks)[i];
    if (b.label != "CERTIFICATE") {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": PEM block ", i + 1, " is '", absl::CHexEscape(b.label),
          "' (only CERTIFICATE blocks belong here)"));
    }
    if (out.size() == max_count) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": more than ", max_count, " certificates"));
    }
    absl::StatusOr<pki::Certificate> cert =
        pki::Certificate::FromDer(b.der.span());
    if (!cert.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": certificate ", i + 1, ": ", cert.status().message()));
    }
    out.push_back(*std::move(cert));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": neither PEM (no CERTIFICATE block in it) nor a DER certificate",
        der_error.ok() ? "" : absl::StrCat(" (", der_error.message(), ")")));
  }
  return out;
}

absl::StatusOr<RsaPrivateKey> ParsePrivateKey(absl::string_view data,
                                              absl::string_view what) {
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": empty"));
  }
  absl::Status der_error;
  if (MayBeDer(data)) {
    absl::StatusOr<RsaPrivateKey> key = RsaPrivateKey::FromDer(AsBytes(data));
    if (key.ok()) return key;
    der_error = key.status();
  }
  absl::StatusOr<std::vector<PemBlock>> blocks = ParsePem(data, what);
  if (!blocks.ok()) return blocks.status();
  if (blocks->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": neither PEM (no PRIVATE KEY block in it) nor an unencrypted DER "
        "RSA private key (PKCS#8 or PKCS#1)",
        der_error.ok() ? "" : absl::StrCat(" (", der_error.message(), ")")));
  }
  if (blocks->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", blocks->size(),
                     " PEM blocks (expected exactly one private key)"));
  }
  const PemBlock& b = blocks->front();
  if (b.label == "ENCRYPTED PRIVATE KEY") {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": an encrypted private key; mikeyd reads unencrypted keys only "
        "(protect the file or Secret instead)"));
  }
  if (b.label != "PRIVATE KEY" && b.label != "RSA PRIVATE KEY") {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": PEM block '", absl::CHexEscape(b.label),
        "' (expected PRIVATE KEY or RSA PRIVATE KEY: an RSA key)"));
  }
  absl::StatusOr<RsaPrivateKey> key = RsaPrivateKey::FromDer(b.der.span());
  if (!key.ok()) return In(what, key.status());
  return key;
}

}  // namespace trust
}  // namespace service
}  // namespace mikey
