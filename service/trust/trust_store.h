// Trust for peers' certificates in the public-key modes (DH, PUBLIC_KEY,
// RSA_R): which trust anchors (CA certificates) and/or SPKI pins verify the
// certificate a peer presents (in CERT payloads, or given in a request).
//
// One global set, and optionally sets per keystore key id: an exchange that
// uses own credential K verifies its peer with the set configured for K if
// there is one, else with the global set. A per-key set REPLACES the global
// one (it does not add to it), so a key can be confined to one CA or to a
// few pinned peers. What a set means (core/pki/certificate.h):
//   anchors only   the peer's chain must verify up to one of them;
//   pins only      the peer's leaf SPKI must be pinned (self-signed works);
//   both           the chain must verify AND a certificate of it be pinned;
//   neither        nothing is trusted: every peer certificate is refused.
//
// Everything is read and checked once, when the store is loaded (mikeyd's
// start); restart to change it.

#ifndef MIKEY_SERVICE_TRUST_TRUST_STORE_H_
#define MIKEY_SERVICE_TRUST_TRUST_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/pki/certificate.h"
#include "service/trust/trust_options.h"

namespace mikey {
namespace service {
namespace trust {

// A pin in either accepted form. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<pki::Sha256Digest> ParseSpkiPin(absl::string_view pin,
                                               absl::string_view field);

class TrustStore {
 public:
  // Reads every CA file and parses every pin. Errors name the field as
  // written in the configuration file: "trust.ca_files[1]: FILE: ...",
  // "trust.per_key['cam-1'].pins[0]: ..." (INVALID_ARGUMENT for bad
  // content, FAILED_PRECONDITION for a file that cannot be read).
  static absl::StatusOr<std::unique_ptr<TrustStore>> Load(
      const TrustOptions& options);

  // A store that trusts nothing (no anchors, no pins).
  TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;

  // The verifier for exchanges using own key `key_id`.
  const pki::CertificateVerifier& ForKey(absl::string_view key_id) const;
  // Whether any anchor or pin applies to `key_id` (else ForKey trusts
  // nothing).
  bool HasTrustFor(absl::string_view key_id) const;

  // One line for the startup banner: counts, never certificate contents.
  std::string Describe() const;

 private:
  struct Set {
    std::unique_ptr<pki::CertificateVerifier> verifier;
    size_t anchors = 0;
    size_t pins = 0;
  };
  static absl::StatusOr<Set> LoadSet(const TrustSources& sources,
                                     const std::string& field);
  const Set& SetFor(absl::string_view key_id) const;

  Set global_;
  std::map<std::string, Set, std::less<>> per_key_;
};

}  // namespace trust
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_TRUST_TRUST_STORE_H_
