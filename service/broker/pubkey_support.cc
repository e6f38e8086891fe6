#include "service/broker/pubkey_support.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/trust/certificates.h"

namespace mikey {
namespace service {
namespace keybroker {

namespace pb = ::mikey::broker::v1;

exchange::PkCredential CredentialOf(const ResolvedKey& key) {
  exchange::PkCredential c;
  if (key.credential != nullptr) {
    c.chain = key.credential->chain;
    c.key = &key.credential->key;
  }
  return c;
}

const pki::CertificateVerifier& VerifierFor(const ExchangeEnv& env,
                                            const ResolvedKey& key) {
  return env.trust->ForKey(key.key_id);
}

namespace {

// `status`'s code and payloads with another message.
absl::Status WithMessage(const absl::Status& status,
                         absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

}  // namespace

absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  return WithMessage(status, absl::StrCat(prefix, status.message()));
}

absl::Status WithTrustHint(absl::Status status, const ExchangeEnv& env,
                           const ResolvedKey& key) {
  if (status.ok() || !pki::GetCertFailure(status).has_value() ||
      env.trust->HasTrustFor(key.key_id)) {
    return status;
  }
  return WithMessage(
      status, absl::StrCat(status.message(),
                           " (this server trusts no peer certificate for key '",
                           key.key_id,
                           "': configure trust.ca_files / trust.pins, or "
                           "trust.per_key, docs/CONFIG.md)"));
}

absl::StatusOr<std::vector<pki::Certificate>> PeerChainOf(
    const pb::InitiateRequest& request) {
  if (request.peer_certificate().empty()) {
    return std::vector<pki::Certificate>();
  }
  return trust::ParseCertificates(request.peer_certificate(),
                                  "peer_certificate");
}

absl::StatusOr<std::vector<pki::Certificate>> PeerChainOf(
    const pb::RespondRequest& request) {
  if (request.peer_certificate().empty()) {
    return std::vector<pki::Certificate>();
  }
  return trust::ParseCertificates(request.peer_certificate(),
                                  "peer_certificate");
}

absl::StatusOr<RequestIds> IdsOf(const pb::InitiateRequest& request) {
  RequestIds out;
  absl::StatusOr<std::optional<IdPayload>> id_i =
      IdPayloadFrom(request.initiator_id(), "initiator_id");
  if (!id_i.ok()) return id_i.status();
  absl::StatusOr<std::optional<IdPayload>> id_r =
      IdPayloadFrom(request.responder_id(), "responder_id");
  if (!id_r.ok()) return id_r.status();
  if (*id_r && !*id_i) {
    return absl::InvalidArgumentError(
        "responder_id: needs initiator_id too (the first ID payload is IDi)");
  }
  out.id_i = *std::move(id_i);
  out.id_r = *std::move(id_r);
  return out;
}

absl::StatusOr<KeyValidity> MkiValidityOf(const pb::InitiateRequest& request) {
  KeyValidity kv;
  if (request.has_mki() && !request.mki().empty()) {
    if (request.mki().size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("mki: ", request.mki().size(), " octets (at most 255)"));
    }
    kv.type = key_validity::kSpi;
    kv.spi.assign(request.mki().begin(), request.mki().end());
  }
  return kv;
}

absl::StatusOr<std::vector<uint8_t>> AllowedDhGroupsOf(
    const pb::RespondRequest& request) {
  std::vector<uint8_t> out;
  for (int i = 0; i < request.allowed_dh_groups_size(); ++i) {
    const uint32_t g = request.allowed_dh_groups(i);
    if (g > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_dh_groups[", i, "]: ", g,
                       " is not a DH-Group number (0 to 255)"));
    }
    out.push_back(static_cast<uint8_t>(g));
  }
  return out;
}

absl::Status EncodeChain(absl::Span<const pki::Certificate> chain, Writer* w) {
  if (chain.size() > 255) {
    return absl::InternalError("EncodeChain: more than 255 certificates");
  }
  w->AddU8(static_cast<uint8_t>(chain.size()));
  for (const pki::Certificate& c : chain) {
    if (absl::Status s = w->AddU16LengthPrefixed("certificate", c.der());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

size_t EncodedChainSize(absl::Span<const pki::Certificate> chain) {
  size_t n = 1;
  for (const pki::Certificate& c : chain) n += 2 + c.der().size();
  return n;
}

absl::StatusOr<std::vector<pki::Certificate>> DecodeChain(Reader* r) {
  uint8_t count = 0;
  absl::Status s = r->ReadU8("certificate count", &count);
  std::vector<pki::Certificate> out;
  for (uint8_t i = 0; s.ok() && i < count; ++i) {
    uint16_t length = 0;
    absl::Span<const uint8_t> der;
    s = r->ReadU16("certificate length", &length);
    if (s.ok()) s = r->ReadBytes("certificate", length, &der);
    if (!s.ok()) break;
    absl::StatusOr<pki::Certificate> cert = pki::Certificate::FromDer(der);
    if (!cert.ok()) {
      s = cert.status();
      break;
    }
    out.push_back(*std::move(cert));
  }
  if (!s.ok()) return absl::InternalError(s.message());
  return out;
}

SecretBytes FinishSecret(Writer w) {
  std::vector<uint8_t> bytes = std::move(w).Finish();
  SecretBytes out(bytes);
  SecureWipe(bytes.data(), bytes.size());
  return out;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
