// What the public-key mode adapters (dh_adapter.cc, pk_adapter.cc,
// rsa_r_adapter.cc) share: the own credential as core wants it, the peer's
// certificates from a request, the trust for a key id, request fields common
// to the modes, and certificate chains inside state. No cryptography: core
// does all of it.

#ifndef MIKEY_SERVICE_BROKER_PUBKEY_SUPPORT_H_
#define MIKEY_SERVICE_BROKER_PUBKEY_SUPPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/exchange/pk.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/broker/key_resolver.h"
#include "service/broker/mode_adapter.h"

namespace mikey {
namespace service {
namespace keybroker {

// The credential of `key` (the Broker checked it is one), borrowed: valid
// as long as `key`.
exchange::PkCredential CredentialOf(const ResolvedKey& key);

// The verifier for peers of exchanges that use own key `key`.
const pki::CertificateVerifier& VerifierFor(const ExchangeEnv& env,
                                            const ResolvedKey& key);

// `status` with `prefix` before its message (payloads kept).
absl::Status Prefixed(const absl::Status& status, absl::string_view prefix);

// `status` with a hint appended when it is a certificate refusal and no
// trust at all is configured for `key` (the usual cause, then).
absl::Status WithTrustHint(absl::Status status, const ExchangeEnv& env,
                           const ResolvedKey& key);

// InitiateRequest.peer_certificate: PEM (one or more certificates, leaf
// first) or one DER certificate. Empty field: empty vector.
// INVALID_ARGUMENT "peer_certificate: ..." otherwise.
absl::StatusOr<std::vector<pki::Certificate>> PeerChainOf(
    const broker::v1::InitiateRequest& request);
// The same for RespondRequest.peer_certificate (the Initiator's chain, for
// an I_MESSAGE without CERT).
absl::StatusOr<std::vector<pki::Certificate>> PeerChainOf(
    const broker::v1::RespondRequest& request);

// IDi / IDr of InitiateRequest (IDr only with IDi).
struct RequestIds {
  std::optional<IdPayload> id_i;
  std::optional<IdPayload> id_r;
};
absl::StatusOr<RequestIds> IdsOf(const broker::v1::InitiateRequest& request);

// InitiateRequest.mki as TGK key validity (SPI/MKI), or none.
absl::StatusOr<KeyValidity> MkiValidityOf(
    const broker::v1::InitiateRequest& request);

// RespondRequest.allowed_dh_groups as wire numbers (empty: none given).
absl::StatusOr<std::vector<uint8_t>> AllowedDhGroupsOf(
    const broker::v1::RespondRequest& request);

// Certificates inside adapter state: count(1) || { length(2) || DER }.
absl::Status EncodeChain(absl::Span<const pki::Certificate> chain, Writer* w);
size_t EncodedChainSize(absl::Span<const pki::Certificate> chain);
// The state was sealed by this server, so failures are INTERNAL.
absl::StatusOr<std::vector<pki::Certificate>> DecodeChain(Reader* r);

// Copies a Writer's output into wiped storage (state may hold keys).
SecretBytes FinishSecret(Writer w);

// A Response of `mode` from core's result fields.
template <typename CoreResponse>
Response ToResponse(broker::v1::Mode mode, CoreResponse r,
                    const ResolvedKey* key, const ExchangeEnv& env) {
  Response out;
  out.mode = mode;
  out.status =
      key != nullptr ? WithTrustHint(r.status, env, *key) : std::move(r.status);
  out.keys = std::move(r.keys);
  out.reply = std::move(r.reply);
  out.error_no = r.error_no;
  out.key = key;
  return out;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey

#endif  // MIKEY_SERVICE_BROKER_PUBKEY_SUPPORT_H_
