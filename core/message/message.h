// The MIKEY message model (RFC 3830 §6, with RFC 4650, 4738, 6043, 6509).
//
// A Message is a plain value: a common header and an ordered list of
// payloads. ParseMessage() turns wire bytes into one, strictly; Serialize-
// Message() turns one back into bytes, computing every length and
// next-payload field itself. For every well-formed input,
// SerializeMessage(ParseMessage(b)) == b.
//
// Enumerated fields are stored as their wire integers (with named constants
// below) so that values this code does not know still round-trip where the
// format allows it; where an unknown value makes the length of what follows
// unknowable (a MAC algorithm, a DH group), parsing fails naming it.
//
// Key material that travels in clear (MIKEY-NULL key data) is held in
// SecretBytes; everything else is public. Short public fields (SP parameter
// values, RAND, MACs, hashes, the SRTP-ID map) are InlineVectors, held inside
// their payload up to a typical size: parsing a typical message allocates
// only for the payload list, each SP's parameter list and the KEMAC's data.

#ifndef MIKEY_CORE_MESSAGE_MESSAGE_H_
#define MIKEY_CORE_MESSAGE_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/bytes/inline_vector.h"
#include "core/bytes/secret_bytes.h"

namespace mikey {

using Bytes = std::vector<uint8_t>;
// SP parameter values (1 to 4 octets in practice): inline up to 8 octets.
using ShortBytes = InlineBytes<8>;
// RANDs (16 to 32 octets), MACs (20 or 32) and CHASH hashes (16 or 20):
// inline up to 32 octets.
using DigestBytes = InlineBytes<32>;

// ---------------------------------------------------------------------------
// Wire constants.

// Common header data types (RFC 3830 Table 6.1.a; RFC 4650, 4738, 6509).
namespace data_type {
inline constexpr uint8_t kPskInit = 0;
inline constexpr uint8_t kPskVerify = 1;
inline constexpr uint8_t kPkInit = 2;
inline constexpr uint8_t kPkVerify = 3;
inline constexpr uint8_t kDhInit = 4;
inline constexpr uint8_t kDhResp = 5;
inline constexpr uint8_t kError = 6;
inline constexpr uint8_t kDhhmacInit = 7;
inline constexpr uint8_t kDhhmacResp = 8;
inline constexpr uint8_t kRsaRInit = 9;
inline constexpr uint8_t kRsaRResp = 10;
inline constexpr uint8_t kSakkeInit = 26;
}  // namespace data_type

// Payload type numbers used in next-payload fields (RFC 3830 Table 6.1.b).
namespace payload_type {
inline constexpr uint8_t kLast = 0;
inline constexpr uint8_t kKemac = 1;
inline constexpr uint8_t kPke = 2;
inline constexpr uint8_t kDh = 3;
inline constexpr uint8_t kSign = 4;
inline constexpr uint8_t kT = 5;
inline constexpr uint8_t kId = 6;
inline constexpr uint8_t kCert = 7;
inline constexpr uint8_t kChash = 8;
inline constexpr uint8_t kV = 9;
inline constexpr uint8_t kSp = 10;
inline constexpr uint8_t kRand = 11;
inline constexpr uint8_t kErr = 12;
inline constexpr uint8_t kIdr = 14;      // RFC 6043
inline constexpr uint8_t kKeyData = 20;  // only inside KEMAC
inline constexpr uint8_t kGeneralExtension = 21;
inline constexpr uint8_t kSakke = 26;  // RFC 6509
}  // namespace payload_type

// PRF functions (RFC 3830 §6.1, RFC 6043 §6.1).
namespace prf_func {
inline constexpr uint8_t kMikey1 = 0;    // HMAC-SHA-1
inline constexpr uint8_t kMikey256 = 1;  // HMAC-SHA-256
inline constexpr uint8_t kMikey384 = 2;
inline constexpr uint8_t kMikey512 = 3;
}  // namespace prf_func

// CS ID map types (RFC 3830 §6.1, RFC 6043 §6.1.2).
namespace cs_id_map_type {
inline constexpr uint8_t kSrtpId = 0;
inline constexpr uint8_t kEmpty = 1;
inline constexpr uint8_t kGenericId = 2;
}  // namespace cs_id_map_type

// KEMAC encryption and MAC algorithms (RFC 3830 §6.2, RFC 6043).
namespace encr_alg {
inline constexpr uint8_t kNull = 0;
inline constexpr uint8_t kAesCm128 = 1;
inline constexpr uint8_t kAesKw128 = 2;
}  // namespace encr_alg
namespace mac_alg {
inline constexpr uint8_t kNull = 0;
inline constexpr uint8_t kHmacSha1_160 = 1;
inline constexpr uint8_t kHmacSha256_256 = 2;  // RFC 6043
}  // namespace mac_alg

// Key data types and key validity (RFC 3830 §6.13).
namespace key_data_type {
inline constexpr uint8_t kTgk = 0;
inline constexpr uint8_t kTgkSalt = 1;
inline constexpr uint8_t kTek = 2;
inline constexpr uint8_t kTekSalt = 3;
}  // namespace key_data_type
namespace key_validity {
inline constexpr uint8_t kNull = 0;
inline constexpr uint8_t kSpi = 1;
inline constexpr uint8_t kInterval = 2;
}  // namespace key_validity

// DH groups (RFC 3830 §6.4). 255 is this project's X25519 (non-standard,
// private use; the value the Rust crate mykey uses).
namespace dh_group {
inline constexpr uint8_t kOakley5 = 0;  // 1536-bit MODP, 192-octet values
inline constexpr uint8_t kOakley1 = 1;  // 768-bit MODP, 96-octet values
inline constexpr uint8_t kOakley2 = 2;  // 1024-bit MODP, 128-octet values
inline constexpr uint8_t kX25519Private = 255;  // 32-octet values
}  // namespace dh_group

// SIGN payload signature types (RFC 3830 §6.5, RFC 6509).
namespace sign_type {
inline constexpr uint8_t kRsaPkcs1 = 0;
inline constexpr uint8_t kRsaPss = 1;
inline constexpr uint8_t kEccsi = 2;
}  // namespace sign_type

// Timestamp types (RFC 3830 §6.6, RFC 6043 §6.6).
namespace ts_type {
inline constexpr uint8_t kNtpUtc = 0;    // 64 bit
inline constexpr uint8_t kNtp = 1;       // 64 bit
inline constexpr uint8_t kCounter = 2;   // 32 bit
inline constexpr uint8_t kNtpUtc32 = 3;  // 32 bit (RFC 6043)
}  // namespace ts_type

// ID types (RFC 3830 §6.7, RFC 6043 §6.6) and CERT types (§6.7).
namespace id_type {
inline constexpr uint8_t kNai = 0;
inline constexpr uint8_t kUri = 1;
inline constexpr uint8_t kByteString = 2;  // RFC 6043
}  // namespace id_type
namespace cert_type {
inline constexpr uint8_t kX509v3 = 0;
inline constexpr uint8_t kX509v3Url = 1;
inline constexpr uint8_t kX509v3Sign = 2;
inline constexpr uint8_t kX509v3Encr = 3;
}  // namespace cert_type

// CHASH hash functions (RFC 3830 §6.8).
namespace hash_func {
inline constexpr uint8_t kSha1 = 0;  // 20 octets
inline constexpr uint8_t kMd5 = 1;   // 16 octets
}  // namespace hash_func

// SP protocol types and SRTP policy parameter types (RFC 3830 §6.10.1,
// RFC 7714, TS 33.180).
namespace sp_prot_type {
inline constexpr uint8_t kSrtp = 0;
}  // namespace sp_prot_type
namespace srtp_param {
inline constexpr uint8_t kEncrAlg = 0;
inline constexpr uint8_t kEncrKeyLen = 1;
inline constexpr uint8_t kAuthAlg = 2;
inline constexpr uint8_t kAuthKeyLen = 3;
inline constexpr uint8_t kSaltKeyLen = 4;
inline constexpr uint8_t kPrf = 5;
inline constexpr uint8_t kKeyDerivationRate = 6;
inline constexpr uint8_t kSrtpEncr = 7;
inline constexpr uint8_t kSrtcpEncr = 8;
inline constexpr uint8_t kFecOrder = 9;
inline constexpr uint8_t kSrtpAuth = 10;
inline constexpr uint8_t kAuthTagLen = 11;
inline constexpr uint8_t kSrtpPrefixLen = 12;
inline constexpr uint8_t kRocTransmissionRate = 13;
inline constexpr uint8_t kSrtpAuthTagLen = 18;
inline constexpr uint8_t kSrtcpAuthTagLen = 19;
inline constexpr uint8_t kAeadAuthTagLen = 20;
}  // namespace srtp_param

// Error numbers (RFC 3830 §6.12).
namespace error_no {
inline constexpr uint8_t kAuthFailure = 0;
inline constexpr uint8_t kInvalidTs = 1;
inline constexpr uint8_t kInvalidPrf = 2;
inline constexpr uint8_t kInvalidMac = 3;
inline constexpr uint8_t kInvalidEa = 4;
inline constexpr uint8_t kInvalidHa = 5;
inline constexpr uint8_t kInvalidDh = 6;
inline constexpr uint8_t kInvalidId = 7;
inline constexpr uint8_t kInvalidCert = 8;
inline constexpr uint8_t kInvalidSp = 9;
inline constexpr uint8_t kInvalidSpPar = 10;
inline constexpr uint8_t kInvalidDt = 11;
inline constexpr uint8_t kUnspecified = 12;
}  // namespace error_no

// General extension types (RFC 3830 §6.15, RFC 4567).
namespace gen_ext_type {
inline constexpr uint8_t kVendorId = 0;
inline constexpr uint8_t kSdpIds = 1;
inline constexpr uint8_t kTeslaIKey = 2;  // RFC 4738 §3.9.3 (RFC 4442)
inline constexpr uint8_t kKeyId = 3;      // RFC 4563
inline constexpr uint8_t kCsbId = 4;      // RFC 4738 §3.9.3: group CSB_ID
}  // namespace gen_ext_type

// ---------------------------------------------------------------------------
// Common header (§6.1).

// One SRTP-ID map entry; its cs_id is its 1-based position in the map.
struct SrtpCsEntry {
  uint8_t policy_no = 0;
  uint32_t ssrc = 0;
  uint32_t roc = 0;
  bool operator==(const SrtpCsEntry& o) const {
    return policy_no == o.policy_no && ssrc == o.ssrc && roc == o.roc;
  }
};

// One GENERIC-ID map entry (RFC 6043 §6.1.2.1).
struct GenericCsEntry {
  uint8_t cs_id = 0;
  uint8_t prot_type = 0;
  bool s_flag = false;              // session data present
  std::vector<uint8_t> policy_nos;  // #P entries, at most 127
  Bytes session_data;               // 16-bit length on the wire
  Bytes spi;                        // 8-bit length on the wire
  bool operator==(const GenericCsEntry& o) const {
    return cs_id == o.cs_id && prot_type == o.prot_type && s_flag == o.s_flag &&
           policy_nos == o.policy_nos && session_data == o.session_data &&
           spi == o.spi;
  }
};

struct CommonHeader {
  uint8_t version = 1;
  uint8_t data_type = data_type::kPskInit;
  bool v_flag = false;
  uint8_t prf_func = prf_func::kMikey1;  // 7 bits
  uint32_t csb_id = 0;
  uint8_t cs_id_map_type = cs_id_map_type::kSrtpId;
  // Exactly one of these is used, chosen by cs_id_map_type; #CS on the wire is
  // its size. For the empty map, #CS is carried in empty_map_cs_count.
  // Up to 4 SRTP streams are held without an allocation.
  InlineVector<SrtpCsEntry, 4> srtp_map;
  std::vector<GenericCsEntry> generic_map;
  uint8_t empty_map_cs_count = 0;

  // #CS as it goes on the wire.
  size_t cs_count() const;

  bool operator==(const CommonHeader& o) const {
    return version == o.version && data_type == o.data_type &&
           v_flag == o.v_flag && prf_func == o.prf_func && csb_id == o.csb_id &&
           cs_id_map_type == o.cs_id_map_type && srtp_map == o.srtp_map &&
           generic_map == o.generic_map &&
           empty_map_cs_count == o.empty_map_cs_count;
  }
};

// ---------------------------------------------------------------------------
// Payloads. Each struct is the payload's fields minus next-payload and any
// length that follows from its contents.

// Key validity data of a Key data sub-payload or DH payload (§6.14).
struct KeyValidity {
  uint8_t type = key_validity::kNull;
  Bytes spi;         // kSpi: SPI/MKI, 8-bit length
  Bytes valid_from;  // kInterval: 8-bit length each
  Bytes valid_to;
  bool operator==(const KeyValidity& o) const {
    return type == o.type && spi == o.spi && valid_from == o.valid_from &&
           valid_to == o.valid_to;
  }
};

// Key data sub-payload (§6.13), found inside a KEMAC's (decrypted) data.
struct KeyDataPayload {
  uint8_t type = key_data_type::kTgk;  // 4 bits
  SecretBytes key;                     // 16-bit length
  std::optional<SecretBytes> salt;     // present iff type is TGK+SALT/TEK+SALT
  KeyValidity validity;                // KV nibble is validity.type
  bool operator==(const KeyDataPayload& o) const {
    return type == o.type && key == o.key && salt == o.salt &&
           validity == o.validity;
  }
};

// KEMAC (§6.2). `encr_data` is the wire bytes of the key data chain: in clear
// for NULL encryption, ciphertext otherwise (see ParseKeyDataList).
struct KemacPayload {
  uint8_t encr_alg = encr_alg::kNull;
  Bytes encr_data;  // 16-bit length
  uint8_t mac_alg = mac_alg::kNull;
  DigestBytes mac;  // length fixed by mac_alg
  bool operator==(const KemacPayload& o) const {
    return encr_alg == o.encr_alg && encr_data == o.encr_data &&
           mac_alg == o.mac_alg && mac == o.mac;
  }
};

// PKE (§6.3): the envelope key encrypted with the responder's public key.
struct PkePayload {
  uint8_t cache = 0;  // C, 2 bits: 0 no cache, 1 cache, 2 cache for CSB
  Bytes data;         // 14-bit length
  bool operator==(const PkePayload& o) const {
    return cache == o.cache && data == o.data;
  }
};

// DH (§6.4). The value's length is implied by the group.
struct DhPayload {
  uint8_t group = dh_group::kOakley5;
  Bytes value;
  KeyValidity validity;  // KV nibble is validity.type; Reserv is 0
  bool operator==(const DhPayload& o) const {
    return group == o.group && value == o.value && validity == o.validity;
  }
};

// SIGN (§6.5). Always the last payload; it has no next-payload field.
struct SignPayload {
  uint8_t type = sign_type::kRsaPkcs1;  // 4 bits
  Bytes signature;                      // 12-bit length
  bool operator==(const SignPayload& o) const {
    return type == o.type && signature == o.signature;
  }
};

// T (§6.6). COUNTER and NTP-UTC-32 values are 32 bits, the others 64.
struct TimestampPayload {
  uint8_t ts_type = ts_type::kNtpUtc;
  uint64_t value = 0;
  bool operator==(const TimestampPayload& o) const {
    return ts_type == o.ts_type && value == o.value;
  }
};

// ID (§6.7).
struct IdPayload {
  uint8_t id_type = id_type::kUri;
  Bytes data;  // 16-bit length
  bool operator==(const IdPayload& o) const {
    return id_type == o.id_type && data == o.data;
  }
};

// IDR (RFC 6043 §6.6): ID with a role (1 IDRi, 2 IDRr, 3 IDRkmsi, ...).
struct IdrPayload {
  uint8_t role = 0;
  uint8_t id_type = id_type::kUri;
  Bytes data;  // 16-bit length
  bool operator==(const IdrPayload& o) const {
    return role == o.role && id_type == o.id_type && data == o.data;
  }
};

// CERT (§6.7).
struct CertPayload {
  uint8_t cert_type = cert_type::kX509v3;
  Bytes data;  // 16-bit length
  bool operator==(const CertPayload& o) const {
    return cert_type == o.cert_type && data == o.data;
  }
};

// CHASH (§6.8). The hash length is implied by the function.
struct ChashPayload {
  uint8_t hash_func = hash_func::kSha1;
  DigestBytes hash;
  bool operator==(const ChashPayload& o) const {
    return hash_func == o.hash_func && hash == o.hash;
  }
};

// V (§6.9). The MAC length is implied by the algorithm (mac_alg values).
struct VerificationPayload {
  uint8_t auth_alg = mac_alg::kHmacSha1_160;
  DigestBytes mac;
  bool operator==(const VerificationPayload& o) const {
    return auth_alg == o.auth_alg && mac == o.mac;
  }
};

// One SP policy parameter (§6.10): type, 8-bit length, value.
struct PolicyParam {
  uint8_t type = 0;
  ShortBytes value;
  bool operator==(const PolicyParam& o) const {
    return type == o.type && value == o.value;
  }
};

// SP (§6.10). Parameters keep their wire order; unknown types are kept.
struct SecurityPolicyPayload {
  uint8_t policy_no = 0;
  uint8_t prot_type = sp_prot_type::kSrtp;
  std::vector<PolicyParam> params;  // 16-bit total length on the wire
  // The first parameter of `type`, or null.
  const PolicyParam* Find(uint8_t type) const;
  bool operator==(const SecurityPolicyPayload& o) const {
    return policy_no == o.policy_no && prot_type == o.prot_type &&
           params == o.params;
  }
};

// RAND (§6.11).
struct RandPayload {
  DigestBytes rand;  // 8-bit length
  bool operator==(const RandPayload& o) const { return rand == o.rand; }
};

// ERR (§6.12).
struct ErrorPayload {
  uint8_t error_no = error_no::kUnspecified;
  uint16_t reserved = 0;
  bool operator==(const ErrorPayload& o) const {
    return error_no == o.error_no && reserved == o.reserved;
  }
};

// General extension (§6.15).
struct GeneralExtensionPayload {
  uint8_t type = gen_ext_type::kVendorId;
  Bytes data;  // 16-bit length
  bool operator==(const GeneralExtensionPayload& o) const {
    return type == o.type && data == o.data;
  }
};

// SAKKE (RFC 6509 §4.2): carried as opaque data here.
struct SakkePayload {
  uint8_t params = 1;     // SAKKE parameter set
  uint8_t id_scheme = 1;  // 1 = tel URI with monthly keys (RFC 6509)
  Bytes data;             // 16-bit length: the SAKKE Encapsulated Data
  bool operator==(const SakkePayload& o) const {
    return params == o.params && id_scheme == o.id_scheme && data == o.data;
  }
};

using Payload = std::variant<KemacPayload, PkePayload, DhPayload, SignPayload,
                             TimestampPayload, IdPayload, IdrPayload,
                             CertPayload, ChashPayload, VerificationPayload,
                             SecurityPolicyPayload, RandPayload, ErrorPayload,
                             GeneralExtensionPayload, SakkePayload>;

// The wire payload type number of a payload, and a short name for errors
// and display ("KEMAC", "T", "SP", ...).
inline uint8_t PayloadTypeOf(const Payload& p) {
  // Indexed by the alternative's position in the Payload variant (checked in
  // payloads.cc).
  constexpr uint8_t kTypes[std::variant_size_v<Payload>] = {
      payload_type::kKemac, payload_type::kPke,
      payload_type::kDh,    payload_type::kSign,
      payload_type::kT,     payload_type::kId,
      payload_type::kIdr,   payload_type::kCert,
      payload_type::kChash, payload_type::kV,
      payload_type::kSp,    payload_type::kRand,
      payload_type::kErr,   payload_type::kGeneralExtension,
      payload_type::kSakke};
  return kTypes[p.index()];
}
const char* PayloadName(uint8_t payload_type);
const char* DataTypeName(uint8_t data_type);

struct Message {
  CommonHeader header;
  std::vector<Payload> payloads;

  // The first payload of type T, or null.
  template <typename T>
  const T* Find() const {
    for (const Payload& p : payloads) {
      if (const T* t = std::get_if<T>(&p)) return t;
    }
    return nullptr;
  }
  // Every payload of type T, in order.
  template <typename T>
  std::vector<const T*> FindAll() const {
    std::vector<const T*> out;
    for (const Payload& p : payloads) {
      if (const T* t = std::get_if<T>(&p)) out.push_back(t);
    }
    return out;
  }

  bool operator==(const Message& o) const {
    return header == o.header && payloads == o.payloads;
  }
};

// Where each part of a parsed message lies in its wire bytes, for the MAC and
// signature checks that cover "the message up to" some field.
struct PayloadExtent {
  size_t begin = 0;  // offset of the payload's first octet
  size_t end = 0;    // one past its last octet
};
struct MessageLayout {
  size_t header_end = 0;
  std::vector<PayloadExtent> payloads;  // parallel to Message::payloads
};

// Parses a whole MIKEY message. Fails with INVALID_ARGUMENT naming the payload,
// field and offset for: truncation, lengths that overrun, version != 1,
// unknown payload types, SIGN not last, trailing bytes, #CS disagreeing with
// the map, unknown algorithms whose length cannot be inferred.
absl::StatusOr<Message> ParseMessage(absl::Span<const uint8_t> wire,
                                     MessageLayout* layout = nullptr);

// Serializes a message, computing lengths and next-payload fields. Fails with
// INVALID_ARGUMENT when a field does not fit its wire width or contradicts
// another (a DH value of the wrong length for its group, SIGN not last, ...).
absl::StatusOr<Bytes> SerializeMessage(const Message& message);

// Key data chain inside a KEMAC (§6.13): parses the clear-text chain (the
// KEMAC's encr_data when encr_alg is NULL, or the decrypted data otherwise).
// `base_offset` is where the chain starts in the message, for errors.
absl::StatusOr<std::vector<KeyDataPayload>> ParseKeyDataList(
    absl::Span<const uint8_t> chain, size_t base_offset = 0);
absl::StatusOr<SecretBytes> SerializeKeyDataList(
    absl::Span<const KeyDataPayload> key_data);

}  // namespace mikey

#endif  // MIKEY_CORE_MESSAGE_MESSAGE_H_
