#include "service/decode.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/message/message.h"
#include "core/sdp/key_mgmt.h"

namespace mikey {
namespace service {
namespace {

namespace pb = ::mikey::broker::v1;

// ---------------------------------------------------------------------------
// Names. The API documents these strings (broker.proto), so they live here
// rather than borrowing core's display names.

struct Named {
  uint32_t value;
  const char* name;
};

template <size_t N>
const char* Lookup(const Named (&table)[N], uint32_t value) {
  for (const Named& n : table) {
    if (n.value == value) return n.name;
  }
  return "";
}

// IANA "MIKEY Payload Name Spaces", Data Type.
constexpr Named kDataTypeNames[] = {
    {data_type::kPskInit, "Pre-shared"},
    {data_type::kPskVerify, "PSK ver msg"},
    {data_type::kPkInit, "Public key"},
    {data_type::kPkVerify, "PK ver msg"},
    {data_type::kDhInit, "D-H init"},
    {data_type::kDhResp, "D-H resp"},
    {data_type::kError, "Error"},
    {data_type::kDhhmacInit, "DHHMAC init"},
    {data_type::kDhhmacResp, "DHHMAC resp"},
    {data_type::kRsaRInit, "RSA-R I_MSG"},
    {data_type::kRsaRResp, "RSA-R R_MSG"},
    {data_type::kSakkeInit, "SAKKE"},
};

constexpr Named kPayloadNames[] = {
    {payload_type::kKemac, "KEMAC"},
    {payload_type::kPke, "PKE"},
    {payload_type::kDh, "DH"},
    {payload_type::kSign, "SIGN"},
    {payload_type::kT, "T"},
    {payload_type::kId, "ID"},
    {payload_type::kCert, "CERT"},
    {payload_type::kChash, "CHASH"},
    {payload_type::kV, "V"},
    {payload_type::kSp, "SP"},
    {payload_type::kRand, "RAND"},
    {payload_type::kErr, "ERR"},
    {payload_type::kIdr, "IDR"},
    {payload_type::kGeneralExtension, "GEN-EXT"},
    {payload_type::kSakke, "SAKKE"},
};

constexpr Named kEncrAlgNames[] = {
    {encr_alg::kNull, "NULL"},
    {encr_alg::kAesCm128, "AES-CM-128"},
    {encr_alg::kAesKw128, "AES-KW-128"},
};

constexpr Named kMacAlgNames[] = {
    {mac_alg::kNull, "NULL"},
    {mac_alg::kHmacSha1_160, "HMAC-SHA-1-160"},
    {mac_alg::kHmacSha256_256, "HMAC-SHA-256-256"},
};

constexpr Named kKeyDataTypeNames[] = {
    {key_data_type::kTgk, "TGK"},
    {key_data_type::kTgkSalt, "TGK+SALT"},
    {key_data_type::kTek, "TEK"},
    {key_data_type::kTekSalt, "TEK+SALT"},
};

constexpr Named kKeyValidityNames[] = {
    {key_validity::kNull, "NULL"},
    {key_validity::kSpi, "SPI/MKI"},
    {key_validity::kInterval, "Interval"},
};

constexpr Named kPkeCacheNames[] = {
    {0, "No cache"},
    {1, "Cache"},
    {2, "Cache for CSB"},
};

constexpr Named kDhGroupNames[] = {
    {dh_group::kOakley5, "OAKLEY 5"},
    {dh_group::kOakley1, "OAKLEY 1"},
    {dh_group::kOakley2, "OAKLEY 2"},
    {dh_group::kX25519Private, "X25519 (private use)"},
};

constexpr Named kSignTypeNames[] = {
    {sign_type::kRsaPkcs1, "RSA/PKCS#1/1.5"},
    {sign_type::kRsaPss, "RSA/PSS"},
    {sign_type::kEccsi, "ECCSI"},
};

constexpr Named kTsTypeNames[] = {
    {ts_type::kNtpUtc, "NTP-UTC"},
    {ts_type::kNtp, "NTP"},
    {ts_type::kCounter, "COUNTER"},
    {ts_type::kNtpUtc32, "NTP-UTC-32"},
};

constexpr Named kIdTypeNames[] = {
    {id_type::kNai, "NAI"},
    {id_type::kUri, "URI"},
    {id_type::kByteString, "Byte string"},
};

// RFC 6043 section 6.6 and RFC 6509 section 4.4.
constexpr Named kIdRoleNames[] = {
    {1, "IDRi"},   {2, "IDRr"},    {3, "IDRkms"},  {4, "IDRpsk"},
    {5, "IDRapp"}, {6, "IDRkmsi"}, {7, "IDRkmsr"},
};

constexpr Named kCertTypeNames[] = {
    {cert_type::kX509v3, "X.509v3"},
    {cert_type::kX509v3Url, "X.509v3 URL"},
    {cert_type::kX509v3Sign, "X.509v3 Sign"},
    {cert_type::kX509v3Encr, "X.509v3 Encr"},
};

constexpr Named kHashFuncNames[] = {
    {hash_func::kSha1, "SHA-1"},
    {hash_func::kMd5, "MD5"},
};

constexpr Named kSpProtTypeNames[] = {
    {sp_prot_type::kSrtp, "SRTP"},
};

constexpr Named kErrorNames[] = {
    {error_no::kAuthFailure, "Authentication failure"},
    {error_no::kInvalidTs, "Invalid timestamp"},
    {error_no::kInvalidPrf, "PRF function not supported"},
    {error_no::kInvalidMac, "MAC algorithm not supported"},
    {error_no::kInvalidEa, "Encryption algorithm not supported"},
    {error_no::kInvalidHa, "Hash function not supported"},
    {error_no::kInvalidDh, "DH group not supported"},
    {error_no::kInvalidId, "ID not supported"},
    {error_no::kInvalidCert, "Certificate not supported"},
    {error_no::kInvalidSp, "SP type not supported"},
    {error_no::kInvalidSpPar, "SP parameters not supported"},
    {error_no::kInvalidDt, "Data type not supported"},
    {error_no::kUnspecified, "Unspecified error"},
};

constexpr Named kGenExtTypeNames[] = {
    {gen_ext_type::kVendorId, "Vendor-ID"},
    {gen_ext_type::kSdpIds, "SDP-IDs"},
};

// SRTP policy parameters (RFC 3830 section 6.10.1, RFC 4771, RFC 7714,
// 3GPP TS 33.180).
constexpr Named kSrtpParamNames[] = {
    {srtp_param::kEncrAlg, "encryption_algorithm"},
    {srtp_param::kEncrKeyLen, "session_encryption_key_length"},
    {srtp_param::kAuthAlg, "authentication_algorithm"},
    {srtp_param::kAuthKeyLen, "session_authentication_key_length"},
    {srtp_param::kSaltKeyLen, "session_salt_key_length"},
    {srtp_param::kPrf, "srtp_prf"},
    {srtp_param::kKeyDerivationRate, "key_derivation_rate"},
    {srtp_param::kSrtpEncr, "srtp_encryption"},
    {srtp_param::kSrtcpEncr, "srtcp_encryption"},
    {srtp_param::kFecOrder, "fec_order"},
    {srtp_param::kSrtpAuth, "srtp_authentication"},
    {srtp_param::kAuthTagLen, "authentication_tag_length"},
    {srtp_param::kSrtpPrefixLen, "srtp_prefix_length"},
    {srtp_param::kRocTransmissionRate, "roc_transmission_rate"},
    {srtp_param::kSrtpAuthTagLen, "srtp_authentication_tag_length"},
    {srtp_param::kSrtcpAuthTagLen, "srtcp_authentication_tag_length"},
    {srtp_param::kAeadAuthTagLen, "aead_authentication_tag_length"},
};

constexpr Named kSrtpEncrAlgValues[] = {
    {0, "NULL"}, {1, "AES-CM"}, {2, "AES-F8"}, {6, "AES-GCM"}};
constexpr Named kSrtpAuthAlgValues[] = {
    {0, "NULL"}, {1, "HMAC-SHA-1"}, {2, "RCCm1"}, {3, "RCCm2"}, {4, "RCCm3"}};
constexpr Named kSrtpPrfValues[] = {{0, "AES-CM"}};
constexpr Named kSrtpFecOrderValues[] = {{0, "FEC-SRTP"}};
constexpr Named kOffOnValues[] = {{0, "off"}, {1, "on"}};

// The name of an enumerated SRTP parameter's value, or "".
const char* SrtpValueName(uint8_t type, uint64_t value) {
  if (value > 0xff) return "";
  const uint32_t v = static_cast<uint32_t>(value);
  switch (type) {
    case srtp_param::kEncrAlg:
      return Lookup(kSrtpEncrAlgValues, v);
    case srtp_param::kAuthAlg:
      return Lookup(kSrtpAuthAlgValues, v);
    case srtp_param::kPrf:
      return Lookup(kSrtpPrfValues, v);
    case srtp_param::kFecOrder:
      return Lookup(kSrtpFecOrderValues, v);
    case srtp_param::kSrtpEncr:
    case srtp_param::kSrtcpEncr:
    case srtp_param::kSrtpAuth:
      return Lookup(kOffOnValues, v);
    default:
      return "";
  }
}

pb::DataType DataTypeEnum(uint8_t v) {
  switch (v) {
    case data_type::kPskInit:
      return pb::DATA_TYPE_PSK_INIT;
    case data_type::kPskVerify:
      return pb::DATA_TYPE_PSK_VERIFY;
    case data_type::kPkInit:
      return pb::DATA_TYPE_PK_INIT;
    case data_type::kPkVerify:
      return pb::DATA_TYPE_PK_VERIFY;
    case data_type::kDhInit:
      return pb::DATA_TYPE_DH_INIT;
    case data_type::kDhResp:
      return pb::DATA_TYPE_DH_RESP;
    case data_type::kError:
      return pb::DATA_TYPE_ERROR;
    case data_type::kDhhmacInit:
      return pb::DATA_TYPE_DHHMAC_INIT;
    case data_type::kDhhmacResp:
      return pb::DATA_TYPE_DHHMAC_RESP;
    case data_type::kRsaRInit:
      return pb::DATA_TYPE_RSA_R_INIT;
    case data_type::kRsaRResp:
      return pb::DATA_TYPE_RSA_R_RESP;
    case data_type::kSakkeInit:
      return pb::DATA_TYPE_SAKKE_INIT;
    default:
      return pb::DATA_TYPE_UNSPECIFIED;
  }
}

pb::PrfFunc PrfFuncEnum(uint8_t v) {
  switch (v) {
    case prf_func::kMikey1:
      return pb::PRF_FUNC_MIKEY_1;
    case prf_func::kMikey256:
      return pb::PRF_FUNC_MIKEY_256;
    case prf_func::kMikey384:
      return pb::PRF_FUNC_MIKEY_384;
    case prf_func::kMikey512:
      return pb::PRF_FUNC_MIKEY_512;
    default:
      return pb::PRF_FUNC_UNSPECIFIED;
  }
}

pb::CsIdMapType CsIdMapTypeEnum(uint8_t v) {
  switch (v) {
    case cs_id_map_type::kSrtpId:
      return pb::CS_ID_MAP_TYPE_SRTP_ID;
    case cs_id_map_type::kEmpty:
      return pb::CS_ID_MAP_TYPE_EMPTY;
    case cs_id_map_type::kGenericId:
      return pb::CS_ID_MAP_TYPE_GENERIC_ID;
    default:
      return pb::CS_ID_MAP_TYPE_UNSPECIFIED;
  }
}

// ---------------------------------------------------------------------------
// Field helpers.

std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

// `b` as text when every octet is printable ASCII (so it is valid UTF-8, as
// proto strings must be), else "".
std::string PrintableText(const Bytes& b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c > 0x7e) return "";
  }
  return ToString(b);
}

// Seconds from the NTP epoch (1900-01-01) to the Unix epoch.
constexpr int64_t kNtpToUnixSeconds = 2208988800;

// A 64-bit NTP timestamp (era 0) as RFC 3339 UTC, e.g. 2024-01-01T00:00:00.5Z.
std::string NtpToRfc3339(uint64_t ntp) {
  const int64_t seconds = static_cast<int64_t>(ntp >> 32);
  const uint64_t fraction = ntp & 0xffffffffu;
  // fraction < 2^32, so fraction * 10^9 < 2^62: no overflow.
  const int64_t nanos = static_cast<int64_t>((fraction * 1000000000u) >> 32);
  const absl::Time t = absl::FromUnixSeconds(seconds - kNtpToUnixSeconds) +
                       absl::Nanoseconds(nanos);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void FillKeyValidity(const KeyValidity& kv, pb::KeyValidity* out) {
  out->set_type(kv.type);
  out->set_type_name(Lookup(kKeyValidityNames, kv.type));
  out->set_spi(ToString(kv.spi));
  out->set_valid_from(ToString(kv.valid_from));
  out->set_valid_to(ToString(kv.valid_to));
}

// Fills one payload's body. KEMAC needs the key data chain parsed, which
// can fail; everything else is a field-by-field copy.
class PayloadFiller {
 public:
  PayloadFiller(pb::Payload* out, size_t offset) : out_(out), offset_(offset) {}

  absl::Status operator()(const KemacPayload& p) {
    pb::KemacPayload* k = out_->mutable_kemac();
    k->set_encryption_algorithm(p.encr_alg);
    k->set_encryption_algorithm_name(Lookup(kEncrAlgNames, p.encr_alg));
    k->set_encrypted_data_length(static_cast<uint32_t>(p.encr_data.size()));
    k->set_mac_algorithm(p.mac_alg);
    k->set_mac_algorithm_name(Lookup(kMacAlgNames, p.mac_alg));
    k->set_mac(ToString(p.mac));
    if (p.encr_alg != encr_alg::kNull) return absl::OkStatus();
    // The key data chain starts after next payload (1), encr alg (1) and
    // encr data len (2).
    absl::StatusOr<std::vector<KeyDataPayload>> key_data =
        ParseKeyDataList(p.encr_data, offset_ + 4);
    if (!key_data.ok()) return key_data.status();
    for (const KeyDataPayload& kd : *key_data) {
      pb::KeyDataInfo* info = k->add_key_data();
      info->set_type(kd.type);
      info->set_type_name(Lookup(kKeyDataTypeNames, kd.type));
      info->set_key_length(static_cast<uint32_t>(kd.key.size()));
      if (kd.salt.has_value()) {
        info->set_salt_length(static_cast<uint32_t>(kd.salt->size()));
      }
      FillKeyValidity(kd.validity, info->mutable_key_validity());
    }
    return absl::OkStatus();
  }

  absl::Status operator()(const PkePayload& p) {
    pb::PkePayload* o = out_->mutable_pke();
    o->set_cache(p.cache);
    o->set_cache_name(Lookup(kPkeCacheNames, p.cache));
    o->set_data(ToString(p.data));
    return absl::OkStatus();
  }

  absl::Status operator()(const DhPayload& p) {
    pb::DhPayload* o = out_->mutable_dh();
    o->set_group(p.group);
    o->set_group_name(Lookup(kDhGroupNames, p.group));
    o->set_value(ToString(p.value));
    FillKeyValidity(p.validity, o->mutable_key_validity());
    return absl::OkStatus();
  }

  absl::Status operator()(const SignPayload& p) {
    pb::SignPayload* o = out_->mutable_sign();
    o->set_type(p.type);
    o->set_type_name(Lookup(kSignTypeNames, p.type));
    o->set_signature(ToString(p.signature));
    return absl::OkStatus();
  }

  absl::Status operator()(const TimestampPayload& p) {
    pb::TimestampPayload* o = out_->mutable_timestamp();
    o->set_type(p.ts_type);
    o->set_type_name(Lookup(kTsTypeNames, p.ts_type));
    o->set_value(p.value);
    if (p.ts_type == ts_type::kNtpUtc || p.ts_type == ts_type::kNtp) {
      o->set_time(NtpToRfc3339(p.value));
    }
    return absl::OkStatus();
  }

  absl::Status operator()(const IdPayload& p) {
    pb::IdPayload* o = out_->mutable_id();
    o->set_type(p.id_type);
    o->set_type_name(Lookup(kIdTypeNames, p.id_type));
    o->set_data(ToString(p.data));
    o->set_text(PrintableText(p.data));
    return absl::OkStatus();
  }

  absl::Status operator()(const IdrPayload& p) {
    pb::IdrPayload* o = out_->mutable_idr();
    o->set_role(p.role);
    o->set_role_name(Lookup(kIdRoleNames, p.role));
    o->set_type(p.id_type);
    o->set_type_name(Lookup(kIdTypeNames, p.id_type));
    o->set_data(ToString(p.data));
    o->set_text(PrintableText(p.data));
    return absl::OkStatus();
  }

  absl::Status operator()(const CertPayload& p) {
    pb::CertPayload* o = out_->mutable_cert();
    o->set_type(p.cert_type);
    o->set_type_name(Lookup(kCertTypeNames, p.cert_type));
    o->set_data(ToString(p.data));
    o->set_text(PrintableText(p.data));
    return absl::OkStatus();
  }

  absl::Status operator()(const ChashPayload& p) {
    pb::ChashPayload* o = out_->mutable_chash();
    o->set_hash_function(p.hash_func);
    o->set_hash_function_name(Lookup(kHashFuncNames, p.hash_func));
    o->set_hash(ToString(p.hash));
    return absl::OkStatus();
  }

  absl::Status operator()(const VerificationPayload& p) {
    pb::VerificationPayload* o = out_->mutable_verification();
    o->set_auth_algorithm(p.auth_alg);
    o->set_auth_algorithm_name(Lookup(kMacAlgNames, p.auth_alg));
    o->set_mac(ToString(p.mac));
    return absl::OkStatus();
  }

  absl::Status operator()(const SecurityPolicyPayload& p) {
    pb::SecurityPolicyPayload* o = out_->mutable_security_policy();
    o->set_policy_no(p.policy_no);
    o->set_prot_type(p.prot_type);
    o->set_prot_type_name(Lookup(kSpProtTypeNames, p.prot_type));
    const bool srtp = p.prot_type == sp_prot_type::kSrtp;
    for (const PolicyParam& param : p.params) {
      pb::PolicyParam* q = o->add_params();
      q->set_type(param.type);
      q->set_value(ToString(param.value));
      if (srtp) q->set_name(Lookup(kSrtpParamNames, param.type));
      if (!param.value.empty() && param.value.size() <= 8) {
        uint64_t v = 0;
        for (uint8_t octet : param.value) v = (v << 8) | octet;
        q->set_int_value(v);
        if (srtp) q->set_value_name(SrtpValueName(param.type, v));
      }
    }
    return absl::OkStatus();
  }

  absl::Status operator()(const RandPayload& p) {
    out_->mutable_rand()->set_rand(ToString(p.rand));
    return absl::OkStatus();
  }

  absl::Status operator()(const ErrorPayload& p) {
    pb::ErrorPayload* o = out_->mutable_error();
    o->set_error_no(p.error_no);
    o->set_error_name(Lookup(kErrorNames, p.error_no));
    o->set_reserved(p.reserved);
    return absl::OkStatus();
  }

  absl::Status operator()(const GeneralExtensionPayload& p) {
    pb::GeneralExtensionPayload* o = out_->mutable_general_extension();
    o->set_type(p.type);
    o->set_type_name(Lookup(kGenExtTypeNames, p.type));
    o->set_data(ToString(p.data));
    o->set_text(PrintableText(p.data));
    return absl::OkStatus();
  }

  absl::Status operator()(const SakkePayload& p) {
    pb::SakkePayload* o = out_->mutable_sakke();
    o->set_params(p.params);
    o->set_id_scheme(p.id_scheme);
    o->set_data(ToString(p.data));
    return absl::OkStatus();
  }

 private:
  pb::Payload* out_;
  size_t offset_;
};

void FillHeader(const CommonHeader& h, size_t length, pb::CommonHeader* out) {
  out->set_version(h.version);
  out->set_data_type(DataTypeEnum(h.data_type));
  out->set_data_type_value(h.data_type);
  out->set_data_type_name(Lookup(kDataTypeNames, h.data_type));
  out->set_v_flag(h.v_flag);
  out->set_prf_func(PrfFuncEnum(h.prf_func));
  out->set_prf_func_value(h.prf_func);
  out->set_csb_id(h.csb_id);
  out->set_cs_count(static_cast<uint32_t>(h.cs_count()));
  out->set_cs_id_map_type(CsIdMapTypeEnum(h.cs_id_map_type));
  out->set_cs_id_map_type_value(h.cs_id_map_type);
  for (size_t i = 0; i < h.srtp_map.size(); ++i) {
    pb::SrtpCsEntry* e = out->add_srtp_map();
    e->set_cs_id(static_cast<uint32_t>(i + 1));
    e->set_policy_no(h.srtp_map[i].policy_no);
    e->set_ssrc(h.srtp_map[i].ssrc);
    e->set_roc(h.srtp_map[i].roc);
  }
  for (const GenericCsEntry& g : h.generic_map) {
    pb::GenericCsEntry* e = out->add_generic_map();
    e->set_cs_id(g.cs_id);
    e->set_prot_type(g.prot_type);
    e->set_s_flag(g.s_flag);
    for (uint8_t p : g.policy_nos) e->add_policy_nos(p);
    e->set_session_data(ToString(g.session_data));
    e->set_spi(ToString(g.spi));
  }
  out->set_length(static_cast<uint32_t>(length));
}

// Wipes, on scope exit, the clear key data a parsed message holds (KEMACs
// with NULL encryption carry keys in clear in `encr_data`, a plain vector).
class ClearKeyWiper {
 public:
  explicit ClearKeyWiper(Message* m) : m_(m) {}
  ~ClearKeyWiper() {
    for (Payload& p : m_->payloads) {
      if (KemacPayload* k = std::get_if<KemacPayload>(&p)) {
        SecureWipe(k->encr_data.data(), k->encr_data.size());
      }
    }
  }
  ClearKeyWiper(const ClearKeyWiper&) = delete;
  ClearKeyWiper& operator=(const ClearKeyWiper&) = delete;

 private:
  Message* m_;
};

// Wipes a byte buffer on scope exit (decoded wire bytes may hold keys).
class BufferWiper {
 public:
  explicit BufferWiper(Bytes* b) : b_(b) {}
  ~BufferWiper() { SecureWipe(b_->data(), b_->size()); }
  BufferWiper(const BufferWiper&) = delete;
  BufferWiper& operator=(const BufferWiper&) = delete;

 private:
  Bytes* b_;
};

// Which form `text` is in, following the order in which
// sdp::ExtractMikeyFromText tries them. Used only to label the response: the
// message itself always comes from ExtractMikeyFromText.
pb::InputForm ClassifyText(absl::string_view text) {
  absl::string_view body = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(body, "v=")) return pb::INPUT_FORM_SDP;
  if (absl::StartsWithIgnoreCase(body, "keymgmt")) {
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(body.substr(7));
    if (absl::StartsWith(rest, ":")) return pb::INPUT_FORM_RTSP_HEADER;
  }
  if (absl::StartsWithIgnoreCase(body, "a=key-mgmt") ||
      absl::StartsWithIgnoreCase(body, "key-mgmt:") ||
      (body.size() > 5 && absl::StartsWithIgnoreCase(body, "mikey") &&
       (body[5] == ' ' || body[5] == '\t'))) {
    return pb::INPUT_FORM_SDP_ATTRIBUTE;
  }
  // "prot=" at the start or after whitespace, ';' or ','.
  for (size_t pos = body.find('='); pos != absl::string_view::npos;
       pos = body.find('=', pos + 1)) {
    if (pos < 4 || !absl::EqualsIgnoreCase(body.substr(pos - 4, 4), "prot")) {
      continue;
    }
    const size_t start = pos - 4;
    if (start == 0 || absl::ascii_isspace(body[start - 1]) ||
        body[start - 1] == ';' || body[start - 1] == ',') {
      return pb::INPUT_FORM_RTSP_HEADER;
    }
  }
  return pb::INPUT_FORM_BASE64;
}

// Where the message was found, for the SDP and RTSP forms. Best effort: the
// text already parsed once, so these cannot fail in practice; if they do,
// the location is simply left out.
void FillLocation(absl::string_view text, pb::InputForm form,
                  pb::DecodeResponse* response) {
  if (form == pb::INPUT_FORM_SDP) {
    absl::StatusOr<std::vector<sdp::FoundKeyMgmt>> found =
        sdp::FindKeyMgmtInSdp(text);
    if (!found.ok()) return;
    for (sdp::FoundKeyMgmt& f : *found) {
      if (f.protocol != "mikey") continue;
      pb::SdpLocation* loc = response->mutable_sdp_location();
      loc->set_line(static_cast<uint32_t>(f.line_number));
      loc->set_media_index(f.media_index);
      SecureWipe(f.data.data(), f.data.size());
    }
  } else if (form == pb::INPUT_FORM_RTSP_HEADER) {
    absl::StatusOr<sdp::RtspKeyMgmt> parsed = sdp::ParseRtspKeyMgmt(text);
    if (!parsed.ok()) return;
    response->mutable_rtsp_location()->set_uri(
        PrintableText(Bytes(parsed->uri.begin(), parsed->uri.end())));
    SecureWipe(parsed->data.data(), parsed->data.size());
  }
}

}  // namespace

absl::Status DecodeMessage(absl::Span<const uint8_t> wire,
                           pb::DecodedMessage* out) {
  out->Clear();
  MessageLayout layout;
  absl::StatusOr<Message> parsed = ParseMessage(wire, &layout);
  if (!parsed.ok()) return parsed.status();
  Message& message = *parsed;
  ClearKeyWiper wiper(&message);
  if (layout.payloads.size() != message.payloads.size()) {
    return absl::InternalError("message layout does not match its payloads");
  }

  out->set_size(static_cast<uint32_t>(wire.size()));
  FillHeader(message.header, layout.header_end, out->mutable_header());
  for (size_t i = 0; i < message.payloads.size(); ++i) {
    const Payload& payload = message.payloads[i];
    const PayloadExtent& extent = layout.payloads[i];
    pb::Payload* p = out->add_payloads();
    p->set_offset(static_cast<uint32_t>(extent.begin));
    p->set_length(static_cast<uint32_t>(extent.end - extent.begin));
    const uint8_t type = PayloadTypeOf(payload);
    p->set_type(type);
    p->set_type_name(Lookup(kPayloadNames, type));
    absl::Status s = std::visit(PayloadFiller(p, extent.begin), payload);
    if (!s.ok()) {
      out->Clear();
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeInput(const pb::MikeyInput& input,
                         pb::DecodeResponse* response) {
  response->Clear();
  switch (input.input_case()) {
    case pb::MikeyInput::kMessage: {
      const std::string& m = input.message();
      if (m.empty()) {
        return absl::InvalidArgumentError("input.message: empty");
      }
      if (m.size() > kMaxDecodeInputSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input.message: ", m.size(), " octets, more than the limit of ",
            kMaxDecodeInputSize));
      }
      response->set_input_form(pb::INPUT_FORM_BYTES);
      response->set_input_size(static_cast<uint32_t>(m.size()));
      absl::Span<const uint8_t> wire(reinterpret_cast<const uint8_t*>(m.data()),
                                     m.size());
      absl::Status s = DecodeMessage(wire, response->mutable_message());
      if (!s.ok()) response->Clear();
      return s;
    }
    case pb::MikeyInput::kText: {
      const std::string& text = input.text();
      if (text.size() > kMaxDecodeInputSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input.text: ", text.size(), " octets, more than the limit of ",
            kMaxDecodeInputSize));
      }
      absl::StatusOr<Bytes> wire = sdp::ExtractMikeyFromText(text);
      if (!wire.ok()) return wire.status();
      BufferWiper wiper(&*wire);
      const pb::InputForm form = ClassifyText(text);
      response->set_input_form(form);
      response->set_input_size(static_cast<uint32_t>(text.size()));
      FillLocation(text, form, response);
      absl::Status s = DecodeMessage(*wire, response->mutable_message());
      if (!s.ok()) response->Clear();
      return s;
    }
    case pb::MikeyInput::INPUT_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "input: no MIKEY message given (set input.message or input.text)");
}

}  // namespace service
}  // namespace mikey
