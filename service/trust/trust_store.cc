#include "service/trust/trust_store.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/json_proto.h"
#include "service/keystore/keystore.h"
#include "service/trust/certificates.h"

namespace mikey {
namespace service {
namespace trust {
namespace {

// CA bundles can be long (a system bundle has ~150 certificates).
constexpr size_t kMaxCaFileBytes = 1 << 20;
constexpr size_t kMaxAnchorsPerFile = 1000;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<pki::Sha256Digest> ParseSpkiPin(absl::string_view pin,
                                               absl::string_view field) {
  pki::Sha256Digest out{};
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", what,
        " (expected \"sha256/<base64 of the 32-octet SHA-256 of the DER "
        "SubjectPublicKeyInfo>\" or the same digest as 64 hex digits)"));
  };
  if (absl::StartsWith(pin, "sha256/")) {
    std::string digest;
    if (!absl::Base64Unescape(pin.substr(7), &digest)) {
      return bad("not base64 after 'sha256/'");
    }
    if (digest.size() != out.size()) {
      return bad(absl::StrCat(digest.size(), " octets after 'sha256/'"));
    }
    std::copy(digest.begin(), digest.end(), out.begin());
    return out;
  }
  if (pin.size() != 2 * out.size()) {
    return bad(absl::StrCat("not a pin: ", pin.size(), " characters"));
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(pin[2 * i]);
    const int lo = HexValue(pin[2 * i + 1]);
    if (hi < 0 || lo < 0) return bad("not hexadecimal");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

TrustStore::TrustStore() {
  global_.verifier =
      std::make_unique<pki::CertificateVerifier>(pki::TrustConfig());
}

absl::StatusOr<TrustStore::Set> TrustStore::LoadSet(const TrustSources& sources,
                                                    const std::string& field) {
  pki::TrustConfig config;
  for (size_t i = 0; i < sources.ca_files.size(); ++i) {
    const std::string f = absl::StrCat(field, ".ca_files[", i, "]");
    const std::string& path = sources.ca_files[i];
    if (path.empty()) return absl::InvalidArgumentError(f + ": empty path");
    absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxCaFileBytes);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat(f, ": ", text.status().message()));
    }
    absl::StatusOr<std::vector<pki::Certificate>> certs = ParseCertificates(
        *text, absl::StrCat(f, ": ", path), kMaxAnchorsPerFile);
    if (!certs.ok()) return certs.status();
    for (pki::Certificate& c : *certs) {
      config.trust_anchors.push_back(std::move(c));
    }
  }
  for (size_t i = 0; i < sources.pins.size(); ++i) {
    absl::StatusOr<pki::Sha256Digest> pin =
        ParseSpkiPin(sources.pins[i], absl::StrCat(field, ".pins[", i, "]"));
    if (!pin.ok()) return pin.status();
    config.pinned_spki_sha256.push_back(*pin);
  }
  Set set;
  set.anchors = config.trust_anchors.size();
  set.pins = config.pinned_spki_sha256.size();
  set.verifier = std::make_unique<pki::CertificateVerifier>(std::move(config));
  return set;
}

absl::StatusOr<std::unique_ptr<TrustStore>> TrustStore::Load(
    const TrustOptions& options) {
  auto store = std::make_unique<TrustStore>();
  absl::StatusOr<Set> global = LoadSet(options.global, "trust");
  if (!global.ok()) return global.status();
  store->global_ = *std::move(global);
  for (const auto& [key_id, sources] : options.per_key) {
    const std::string field =
        absl::StrCat("trust.per_key['", absl::CHexEscape(key_id), "']");
    if (!keystore::IsValidKeyId(key_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": not a key id (1 to ", keystore::kMaxKeyIdLength,
          " characters of [A-Za-z0-9._-], not starting with '.')"));
    }
    if (sources.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field,
          ": neither ca_files nor pins (a per-key entry replaces the global "
          "trust; an empty one would trust nothing)"));
    }
    absl::StatusOr<Set> set = LoadSet(sources, field);
    if (!set.ok()) return set.status();
    store->per_key_.emplace(key_id, *std::move(set));
  }
  return store;
}

const TrustStore::Set& TrustStore::SetFor(absl::string_view key_id) const {
  auto it = per_key_.find(key_id);
  return it == per_key_.end() ? global_ : it->second;
}

const pki::CertificateVerifier& TrustStore::ForKey(
    absl::string_view key_id) const {
  return *SetFor(key_id).verifier;
}

bool TrustStore::HasTrustFor(absl::string_view key_id) const {
  const Set& s = SetFor(key_id);
  return s.anchors > 0 || s.pins > 0;
}

std::string TrustStore::Describe() const {
  std::string out = absl::StrCat(
      "peer certificates (DH, PUBLIC_KEY, RSA_R): global ", global_.anchors,
      " trust anchor(s), ", global_.pins, " pin(s)");
  if (!per_key_.empty()) {
    absl::StrAppend(&out, "; ", per_key_.size(),
                    " key id(s) with their own trust");
  }
  if (global_.anchors == 0 && global_.pins == 0 && per_key_.empty()) {
    absl::StrAppend(&out,
                    " (nothing trusted: the public-key modes refuse every "
                    "peer until trust is configured)");
  }
  return out;
}

}  // namespace trust
}  // namespace service
}  // namespace mikey
