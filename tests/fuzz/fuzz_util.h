// Shared by the fuzz targets (tests/fuzz/*_fuzzer.cc) and the corpus
// generator (make_corpus.cc): the fixed keys, identities, clocks and
// initiations both sides must agree on, and the "fix-ups" that let a fuzz
// target get past the checks a fuzzer cannot satisfy by mutation: a MAC it
// cannot forge, a signature it cannot make, a key it must encrypt under.
//
// The fix-up variants read the fuzzer's input as a MIKEY message with its
// secrets in clear (KEMAC Encr data = the plaintext key data chain, PKE data
// = the envelope key) and then do what an honest sender would: encrypt, MAC,
// sign with the keys the harness holds. The code under test then sees a
// message that authenticates, so decryption, key data parsing, policy and
// key derivation are fuzzed too.

#ifndef MIKEY_TESTS_FUZZ_FUZZ_UTIL_H_
#define MIKEY_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/rsa.h"
#include "core/exchange/clock.h"
#include "core/exchange/pk.h"
#include "core/exchange/psk.h"
#include "core/exchange/types.h"
#include "core/message/message.h"
#include "core/pki/certificate.h"
#include "core/pki/testing/test_pki.h"

// Aborts (a crash libFuzzer reports, with the input saved) when `cond` is
// false: for properties the code under test must keep.
#define FUZZ_CHECK(cond, what)                                             \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #cond, std::string(what).c_str());            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

namespace mikey {
namespace fuzz {

// ---------------------------------------------------------------------------
// What the fuzz targets and the corpus generator share.

// The pre-shared key of the PSK and DHHMAC targets (32 octets, 0x00..0x1f).
SecretBytes FuzzPsk();

// 2030-06-01 12:00:00 UTC (the certificates' "now").
absl::Time FuzzNow();
// NTP value of FuzzNow().
uint64_t FuzzNowNtp();

inline constexpr uint32_t kCsbId = 0x0badcafe;
inline constexpr uint64_t kRngSeed = 0x6d696b6579;  // "mikey"

// The state token keystore: key id "state-key", versions 1 (32 octets) and
// 2 (48 octets) of constant octets.
inline constexpr char kStateKeyId[] = "state-key";
Bytes StateKeyMaterial(uint32_t version);

inline constexpr char kInitiatorUri[] = "sip:alice@example.com";
inline constexpr char kResponderUri[] = "sip:bob@example.com";
IdPayload UriId(const char* uri);

// The streams every initiation offers: two SRTP streams with different
// suites (so two SP payloads).
std::vector<exchange::PskStreamSpec> FuzzStreams();

// A CA and two RSA leaves (Initiator "alice", Responder "bob"), generated
// once per process. The keys are 1024 bits to keep signing and decryption
// cheap in the fuzz loop (the options set min_rsa_bits to 1024); the
// certificates are valid from 1950 to 2099 so that any timestamp the fuzzer
// writes lies inside them.
struct FuzzPki {
  pki::testing::Issued ca;
  pki::testing::Issued initiator;
  pki::testing::Issued responder;
  std::unique_ptr<pki::CertificateVerifier> verifier;

  exchange::PkCredential InitiatorCredential() const;
  exchange::PkCredential ResponderCredential() const;

  static const FuzzPki& Get();

 private:
  FuzzPki();
};

inline constexpr size_t kFuzzRsaBits = 1024;

// ---------------------------------------------------------------------------
// Input helpers.

// The first octet of a fuzz input selects variants (bit flags); the rest is
// the data.
struct Split {
  uint8_t flags = 0;
  absl::Span<const uint8_t> data;
};
Split SplitInput(const uint8_t* data, size_t size);

// A clock standing at the message's first NTP / NTP-UTC timestamp (so the
// timestamp window passes), else at `fallback`.
exchange::FixedClock ClockAtTimestamp(const Message& m, absl::Time fallback);

// ---------------------------------------------------------------------------
// Fix-ups.

// The PRF hash of a PRF func the exchanges support (0, 1); nullopt otherwise.
std::optional<HashAlg> PrfHash(uint8_t prf_func);
// HMAC hash and MAC length of a KEMAC MAC / V auth alg (1, 2); nullopt / 0
// otherwise.
std::optional<HashAlg> MacHashOf(uint8_t mac_alg);
size_t MacLengthOf(uint8_t mac_alg);

// RFC 3830 §4.1.4 authentication key (length of `mac_alg`'s key) from a
// pre-shared or envelope key.
absl::StatusOr<SecretBytes> AuthKeyFor(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint8_t mac_alg);

// Encrypts a KEMAC's plaintext as a sender would (§4.1.4 keys from `key`,
// AES-CM IV from the salt, CSB ID and `t_value` per §4.2.3; AES-KW with the
// 64-bit salt as its IV (§4.2.3) and zero padding to a multiple of 8 octets,
// at least 16).
absl::StatusOr<Bytes> EncryptKemacData(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint64_t t_value, uint8_t encr_alg,
                                       absl::Span<const uint8_t> plain);

// The inverse of EncryptKemacData (AES-KW padding is kept).
absl::StatusOr<Bytes> DecryptKemacData(HashAlg prf,
                                       absl::Span<const uint8_t> key,
                                       uint32_t csb_id,
                                       absl::Span<const uint8_t> rand,
                                       uint64_t t_value, uint8_t encr_alg,
                                       absl::Span<const uint8_t> data);

// A T payload's value as on the wire: 4 octets for COUNTER and NTP-UTC-32,
// else 8 (big-endian).
Bytes TimestampWire(const TimestampPayload& t);

// A MAC to write into a KEMAC or V payload once the message is serialized:
// the payload's last MacLengthOf(mac_alg) octets become the HMAC of either
// the whole message except that field, followed by `suffix` (PSK, DHHMAC,
// V), or only that payload minus the field with its Next payload octet taken
// as zero (PK, RSA-R KEMAC: RFC 3830 §5.2).
struct MacFix {
  size_t index = 0;
  uint8_t mac_alg = 0;
  SecretBytes key;
  bool payload_only = false;
  std::vector<Bytes> suffix;
};

// Serializes `m` with, in this order: the MAC of `mac` (if given) and an RSA
// signature by `signer` (if given, and the last payload is a SIGN payload of
// S type 0 or 1: SHA-256, the signature field resized to the modulus) over
// everything before the Signature field followed by `sign_suffix` (RSA-R's
// SIGNr: IDi || IDr || T, RFC 4738 §3.6). Fails when `m` does not
// serialize. Checks (FUZZ_CHECK) that what SerializeMessage writes parses
// back to the same message.
absl::StatusOr<Bytes> SerializeFixed(
    Message m, const MacFix* mac, const RsaPrivateKey* signer,
    absl::Span<const uint8_t> sign_suffix = {});

// Replaces the data of the message's CERT payloads with `chain` (leaf first;
// later CERT payloads get the last certificate of the chain).
void ReplaceCerts(Message* m, absl::Span<const pki::Certificate> chain);

// The index of the first payload of type T, or nullopt.
template <typename T>
std::optional<size_t> IndexOf(const Message& m) {
  for (size_t i = 0; i < m.payloads.size(); ++i) {
    if (std::holds_alternative<T>(m.payloads[i])) return i;
  }
  return std::nullopt;
}

// Same keys, streams and suites? (For results two sides derived.)
bool SameKeys(const exchange::KeyResult& a, const exchange::KeyResult& b);

// Checks the invariants of a successful result: at least one stream, a suite
// for every stream and key/salt lengths matching it.
void CheckKeyResult(const exchange::KeyResult& keys);

// With MIKEY_FUZZ_VERBOSE set in the environment, prints "what: status" to
// stderr (to see how far corpus inputs get: run a target, or its corpus
// test, on them); otherwise does nothing.
void Report(const char* what, const absl::Status& status);

// Writes `data` to `dir`/`name` (for the corpus generator).
bool WriteFile(const std::string& path, absl::Span<const uint8_t> data);

}  // namespace fuzz
}  // namespace mikey

#endif  // MIKEY_TESTS_FUZZ_FUZZ_UTIL_H_
