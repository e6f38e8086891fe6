// Helpers shared by the public-key modes (PK, RFC 3830 §3.2; RSA-R,
// RFC 4738; usable by DH-SIGN, §3.3): SIGN payloads, CERT chains, the
// envelope-key KEMAC with an identity inside, verification messages. Not API.
//
// Readings of the RFCs these helpers implement (see pk.cc for the sources and
// what could and could not be checked against RFC text):
//
// SIGN coverage (§5.2, §6.5): the signature covers the whole message except
// the Signature field itself, i.e. from the common header up to and including
// the SIGN payload's 2-octet header (S type | Signature len). RFC 6509 §4.2
// states the same for ECCSI. minisip covers the same span (its buildSignData
// signs rawMessageLength() - sigLength octets, header included).
//
// Signature hash: RFC 3830 names RSA/PKCS#1/1.5 and RSA/PSS without a hash
// in the SIGN payload, so both ends must agree by configuration. Signing uses
// the configured RsaSignatureParams (default SHA-256); verification tries
// each hash in an accepted list (default SHA-256 only; add SHA-1 for legacy
// peers such as minisip).
//
// KEMAC in the public-key modes (§3.2, RFC 4738 §3): the encrypted part is
// `ID || {TGK}`: an ID payload (the sender's identity, "not a certificate")
// followed by the Key data sub-payloads, chained through their next-payload
// fields (ID's next payload = 20, Key data). The KEMAC MAC is "calculated
// over the KEMAC payload" (§3.2): here, every octet of the KEMAC payload from
// its Next payload field through the MAC alg field, i.e. the payload minus
// its MAC field. (The message-wide MAC of PSK mode cannot apply: SIGN, which
// follows, covers the MAC, so a MAC over the whole message would be
// circular.) minisip MACs the same span minus the Next payload octet and
// writes a wrong length field into its MAC input.

#ifndef MIKEY_CORE_EXCHANGE_PUBKEY_COMMON_H_
#define MIKEY_CORE_EXCHANGE_PUBKEY_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/internal.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"

namespace mikey {
namespace exchange {
namespace exchange_internal {

inline constexpr size_t kMinEnvelopeKeyLength = 16;
inline constexpr size_t kMaxEnvelopeKeyLength = 64;

// SIGN S type <-> RSA scheme. ECCSI (2) and unknown types: nullopt.
std::optional<RsaSignatureScheme> SchemeOfSignType(uint8_t s_type);
uint8_t SignTypeOf(RsaSignatureScheme scheme);

// Serializes `m`, whose last payload is a SIGN payload (contents ignored),
// with a signature by `key` over everything before the Signature field.
absl::StatusOr<Bytes> SerializeSigned(Message m, const RsaPrivateKey& key,
                                      const RsaSignatureParams& params);

// Same, but also fills the MAC of the KEMAC payload at `kemac_index` (over
// that payload minus its MAC field, with `auth_key`) before signing.
absl::StatusOr<Bytes> SerializeKemacAndSign(Message m, size_t kemac_index,
                                            absl::Span<const uint8_t> auth_key,
                                            const RsaPrivateKey& key,
                                            const RsaSignatureParams& params);

// Verifies the SIGN payload (the last payload of `wire`) with `key`, trying
// every hash in `hashes`. Failure: FAILED_PRECONDITION naming the scheme.
absl::Status VerifySigned(absl::Span<const uint8_t> wire,
                          const SignPayload& sign, const RsaPublicKey& key,
                          absl::Span<const HashAlg> hashes);

// The KEMAC MAC input: the KEMAC payload at `index` minus its MAC field.
absl::Span<const uint8_t> KemacMacInput(absl::Span<const uint8_t> wire,
                                        const MessageLayout& layout,
                                        size_t index, size_t mac_len);

// The X.509 chain of the CERT payloads of `m`, leaf first. Cert types 0
// (X.509v3) and 2 (X.509v3 signature) are accepted; URLs (1) are refused as
// UNIMPLEMENTED. An empty vector when `m` has no CERT payload. Certificates
// are parsed by `verifier` (which remembers those it accepted before) when
// one is given.
absl::StatusOr<std::vector<pki::Certificate>> CertChainOf(
    const Message& m, const MessageLayout& layout,
    const pki::CertificateVerifier* verifier);

// `ID || {key data}` as KEMAC plaintext (id may be null: key data only).
absl::StatusOr<SecretBytes> SerializeIdAndKeyData(
    const IdPayload* id, absl::Span<const KeyDataPayload> key_data);
struct KemacPlain {
  std::optional<IdPayload> id;
  std::vector<KeyDataPayload> key_data;
};
// Parses `ID || {key data}` (RFC form) or, failing that, `{key data}` alone
// (what older senders put in PK KEMACs). `base_offset` is for errors; with
// `key_wrap_padding` up to 7 trailing zero octets (AES-KW padding) are
// skipped.
absl::StatusOr<KemacPlain> ParseIdAndKeyData(absl::Span<const uint8_t> plain,
                                             size_t base_offset,
                                             bool key_wrap_padding);

// Encrypts / decrypts a KEMAC's Encr data with the message keys.
absl::StatusOr<Bytes> EncryptKemacData(uint8_t encr_alg, const MessageKeys& k,
                                       const SecretBytes& plain);
absl::StatusOr<SecretBytes> DecryptKemacData(uint8_t encr_alg,
                                             const MessageKeys& k,
                                             absl::Span<const uint8_t> data);

// An ID payload naming the holder of `cert`: its first SAN URI (type URI),
// else its first SAN e-mail (type NAI); nullopt if it has neither.
std::optional<IdPayload> IdFromCertificate(const pki::Certificate& cert);

// Checks that `id` (an ID payload found in a message) names the subject of
// `cert`: FAILED_PRECONDITION with error Invalid ID otherwise.
std::optional<Refusal> CheckIdBinding(const IdPayload& id,
                                      const pki::Certificate& cert,
                                      absl::string_view what);

// A refusal for a failed certificate check, with the error number its
// CertFailure maps to (Invalid Cert by default).
Refusal RefuseCert(const absl::Status& status);

// An unauthenticated Error message (HDR, T, ERR) answering header `hdr`.
absl::StatusOr<Bytes> BuildPlainError(const CommonHeader& hdr, uint8_t err,
                                      const Clock& clock);

// "Auth failure (0), Invalid TS (1)" for the ERR payloads of `m`.
std::string ErrorList(const Message& m);

}  // namespace exchange_internal
}  // namespace exchange
}  // namespace mikey

#endif  // MIKEY_CORE_EXCHANGE_PUBKEY_COMMON_H_
