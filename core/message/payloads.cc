// The payloads of RFC 3830 §6.2-6.15, RFC 6043 §6.6 (IDR) and RFC 6509 §4.2
// (SAKKE): one parse and one serialize function each.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/writer.h"
#include "core/message/internal.h"
#include "core/message/message.h"

namespace mikey {
namespace message_internal {
namespace {

// Reads an 8- or 16-bit length and that many octets, as a view.
absl::Status ReadU8Prefixed(Reader* r, const char* len_field, const char* field,
                            absl::Span<const uint8_t>* out) {
  uint8_t len = 0;
  if (auto s = r->ReadU8(len_field, &len); !s.ok()) return s;
  return r->ReadBytes(field, len, out);
}
absl::Status ReadU16Prefixed(Reader* r, const char* len_field,
                             const char* field,
                             absl::Span<const uint8_t>* out) {
  uint16_t len = 0;
  if (auto s = r->ReadU16(len_field, &len); !s.ok()) return s;
  return r->ReadBytes(field, len, out);
}

// Copies `bytes` into `out` (a Bytes or an InlineBytes).
template <typename Out>
void Assign(absl::Span<const uint8_t> bytes, Out* out) {
  out->assign(bytes.begin(), bytes.end());
}

// Every payload but SIGN opens with its next-payload field.
absl::Status ReadNext(Reader* r, uint8_t* next) {
  return r->ReadU8("next payload", next);
}

// ---------------------------------------------------------------------------
// Parsers. Each reads the whole payload, next-payload field included.
//
// Each reads every field into locals first and only then stores them into
// the payload and `*next`: a store through a uint8_t pointer may alias
// anything, the reader's position included, which would then be reloaded
// from memory before every read that follows.

absl::Status ParseKemac(Reader* r, KemacPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t encr_alg = 0;
  absl::Span<const uint8_t> encr_data;
  uint8_t mac_alg = 0;
  absl::Span<const uint8_t> mac;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("Encr alg", &encr_alg); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "Encr data len", "Encr data", &encr_data);
      !s.ok()) {
    return s;
  }
  const size_t at = r->offset();
  if (auto s = r->ReadU8("MAC alg", &mac_alg); !s.ok()) return s;
  std::optional<size_t> mac_len = MacLength(mac_alg);
  if (!mac_len) {
    return r->ErrorAt(at, "MAC alg",
                      absl::StrCat("unknown MAC algorithm ", mac_alg,
                                   ": the MAC's length is unknown"));
  }
  if (auto s = r->ReadBytes("MAC", *mac_len, &mac); !s.ok()) return s;
  *next = next_type;
  p->encr_alg = encr_alg;
  // Sized exactly: one allocation of the data's length.
  Assign(encr_data, &p->encr_data);
  p->mac_alg = mac_alg;
  Assign(mac, &p->mac);
  return absl::OkStatus();
}

// PKE (§6.3): next | C(2) Data len(14) | Data.
absl::Status ParsePke(Reader* r, PkePayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint16_t c_len = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU16("C/Data len", &c_len); !s.ok()) return s;
  if (auto s = r->ReadBytes("Data", c_len & 0x3fff, &data); !s.ok()) return s;
  *next = next_type;
  p->cache = static_cast<uint8_t>(c_len >> 14);
  Assign(data, &p->data);
  return absl::OkStatus();
}

// DH (§6.4): next | DH-Group | DH-value | Reserv(4) KV(4) | KV data.
absl::Status ParseDh(Reader* r, DhPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t group = 0;
  absl::Span<const uint8_t> value;
  uint8_t reserv_kv = 0;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  size_t at = r->offset();
  if (auto s = r->ReadU8("DH-Group", &group); !s.ok()) return s;
  std::optional<size_t> len = DhValueLength(group);
  if (!len) {
    return r->ErrorAt(at, "DH-Group",
                      absl::StrCat("unknown DH group ", group,
                                   ": the DH value's length is unknown"));
  }
  if (auto s = r->ReadBytes("DH-value", *len, &value); !s.ok()) return s;
  at = r->offset();
  if (auto s = r->ReadU8("Reserv/KV", &reserv_kv); !s.ok()) return s;
  if ((reserv_kv >> 4) != 0) {
    return r->ErrorAt(
        at, "Reserv",
        absl::StrCat("reserved bits are ", reserv_kv >> 4, ", must be 0"));
  }
  *next = next_type;
  p->group = group;
  Assign(value, &p->value);
  return ParseKeyValidity(reserv_kv & 0x0f, at, r, &p->validity);
}

// SIGN (§6.5): S type(4) Signature len(12) | Signature. No next payload.
absl::Status ParseSign(Reader* r, SignPayload* p, uint8_t* next) {
  uint16_t type_len = 0;
  absl::Span<const uint8_t> signature;
  if (auto s = r->ReadU16("S type/Signature len", &type_len); !s.ok()) {
    return s;
  }
  if (auto s = r->ReadBytes("Signature", type_len & 0x0fff, &signature);
      !s.ok()) {
    return s;
  }
  *next = payload_type::kLast;
  p->type = static_cast<uint8_t>(type_len >> 12);
  Assign(signature, &p->signature);
  return absl::OkStatus();
}

// T (§6.6): next | TS type | TS value (64 or 32 bits).
absl::Status ParseT(Reader* r, TimestampPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t ts_type = 0;
  uint64_t value = 0;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  const size_t at = r->offset();
  if (auto s = r->ReadU8("TS type", &ts_type); !s.ok()) return s;
  std::optional<size_t> len = TimestampLength(ts_type);
  if (!len) {
    return r->ErrorAt(at, "TS type",
                      absl::StrCat("unknown timestamp type ", ts_type,
                                   ": the timestamp's length is unknown"));
  }
  if (*len == 8) {
    if (auto s = r->ReadU64("TS value", &value); !s.ok()) return s;
  } else {
    uint32_t v = 0;
    if (auto s = r->ReadU32("TS value", &v); !s.ok()) return s;
    value = v;
  }
  *next = next_type;
  p->ts_type = ts_type;
  p->value = value;
  return absl::OkStatus();
}

// ID / CERT (§6.7): next | type | len(16) | data.
absl::Status ParseId(Reader* r, IdPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t id_type = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("ID type", &id_type); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "ID len", "ID data", &data); !s.ok()) {
    return s;
  }
  *next = next_type;
  p->id_type = id_type;
  Assign(data, &p->data);
  return absl::OkStatus();
}

absl::Status ParseCert(Reader* r, CertPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t cert_type = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("Cert type", &cert_type); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "Cert len", "Certificate", &data); !s.ok()) {
    return s;
  }
  *next = next_type;
  p->cert_type = cert_type;
  Assign(data, &p->data);
  return absl::OkStatus();
}

// IDR (RFC 6043 §6.6): next | ID role | ID type | ID len(16) | ID data.
absl::Status ParseIdr(Reader* r, IdrPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t role = 0;
  uint8_t id_type = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("ID role", &role); !s.ok()) return s;
  if (auto s = r->ReadU8("ID type", &id_type); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "ID len", "ID data", &data); !s.ok()) {
    return s;
  }
  *next = next_type;
  p->role = role;
  p->id_type = id_type;
  Assign(data, &p->data);
  return absl::OkStatus();
}

// CHASH (§6.8): next | Hash func | Hash.
absl::Status ParseChash(Reader* r, ChashPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t hash_func = 0;
  absl::Span<const uint8_t> hash;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  const size_t at = r->offset();
  if (auto s = r->ReadU8("Hash func", &hash_func); !s.ok()) return s;
  std::optional<size_t> len = HashLength(hash_func);
  if (!len) {
    return r->ErrorAt(at, "Hash func",
                      absl::StrCat("unknown hash function ", hash_func,
                                   ": the hash's length is unknown"));
  }
  if (auto s = r->ReadBytes("Hash", *len, &hash); !s.ok()) return s;
  *next = next_type;
  p->hash_func = hash_func;
  Assign(hash, &p->hash);
  return absl::OkStatus();
}

// V (§6.9): next | Auth alg | Ver data (MAC).
absl::Status ParseV(Reader* r, VerificationPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t auth_alg = 0;
  absl::Span<const uint8_t> mac;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  const size_t at = r->offset();
  if (auto s = r->ReadU8("Auth alg", &auth_alg); !s.ok()) return s;
  std::optional<size_t> len = MacLength(auth_alg);
  if (!len) {
    return r->ErrorAt(at, "Auth alg",
                      absl::StrCat("unknown authentication algorithm ",
                                   auth_alg, ": the MAC's length is unknown"));
  }
  if (auto s = r->ReadBytes("Ver data", *len, &mac); !s.ok()) return s;
  *next = next_type;
  p->auth_alg = auth_alg;
  Assign(mac, &p->mac);
  return absl::OkStatus();
}

// Policy parameters an SP payload usually holds (an SRTP policy has 10 to
// 13): room reserved for them up front.
constexpr size_t kTypicalPolicyParams = 16;

// SP (§6.10): next | Policy no | Prot type | Policy param length(16) |
// params, each Type(8) Length(8) Value.
absl::Status ParseSp(Reader* r, SecurityPolicyPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t policy_no = 0;
  uint8_t prot_type = 0;
  uint16_t params_len = 0;
  absl::Span<const uint8_t> param_bytes;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("Policy no", &policy_no); !s.ok()) return s;
  if (auto s = r->ReadU8("Prot type", &prot_type); !s.ok()) return s;
  if (auto s = r->ReadU16("Policy param length", &params_len); !s.ok()) {
    return s;
  }
  const size_t params_at = r->offset();
  if (auto s = r->ReadBytes("Policy param", params_len, &param_bytes);
      !s.ok()) {
    return s;
  }
  *next = next_type;
  p->policy_no = policy_no;
  p->prot_type = prot_type;
  // One pass over the parameters, each type, length, value, appended as it
  // is read. The list is reserved for at most kTypicalPolicyParams, and never
  // for more than the parameters that can be in the octets really present
  // (each takes at least 2), so no length field sizes an allocation; a longer
  // list grows as a vector does. The indexed field names ("policy param 3
  // value") are built only on the error paths, from a copy of the reader that
  // is given r's context (this payload's name) only then: the reader's
  // address never escapes, so it stays in registers.
  constexpr absl::string_view kParam = "policy param ";
  Reader scan(param_bytes, params_at, LazyName(""));
  std::vector<PolicyParam>& params = p->params;
  params.clear();
  params.reserve(std::min<size_t>(params_len / 2, kTypicalPolicyParams));
  while (!scan.empty()) {
    uint8_t type = 0;
    uint8_t len = 0;
    absl::Span<const uint8_t> value;
    (void)scan.TryReadU8(&type);  // Cannot fail: the reader is not empty.
    if (ABSL_PREDICT_FALSE(!scan.TryReadU8(&len))) {
      Reader at = scan;
      at.set_context(r->context());
      return at.ReadU8(LazyName(kParam, params.size() + 1, " length"), &len);
    }
    if (ABSL_PREDICT_FALSE(!scan.TryReadBytes(len, &value))) {
      Reader at = scan;
      at.set_context(r->context());
      return at.ReadBytes(LazyName(kParam, params.size() + 1, " value"), len,
                          &value);
    }
    // Filled in place: a temporary, written octet by octet and then copied
    // whole, would stall on store forwarding.
    // The value first: the compiler then still knows it is empty and inline.
    PolicyParam& param = params.emplace_back();
    param.value.assign(value);
    param.type = type;
  }
  return absl::OkStatus();
}

// RAND (§6.11): next | RAND len(8) | RAND. RFC 3830 asks for at least 16
// octets; shorter values are accepted here and left to policy.
absl::Status ParseRand(Reader* r, RandPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  absl::Span<const uint8_t> rand;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = ReadU8Prefixed(r, "RAND len", "RAND", &rand); !s.ok()) return s;
  *next = next_type;
  Assign(rand, &p->rand);
  return absl::OkStatus();
}

// ERR (§6.12): next | Error no | Reserved(16).
absl::Status ParseErr(Reader* r, ErrorPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t error_no = 0;
  uint16_t reserved = 0;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("Error no", &error_no); !s.ok()) return s;
  if (auto s = r->ReadU16("Reserved", &reserved); !s.ok()) return s;
  *next = next_type;
  p->error_no = error_no;
  p->reserved = reserved;
  return absl::OkStatus();
}

// General Extension (§6.15): next | Type | Length(16) | Data.
absl::Status ParseGenExt(Reader* r, GeneralExtensionPayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t type = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("Type", &type); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "Length", "Data", &data); !s.ok()) return s;
  *next = next_type;
  p->type = type;
  Assign(data, &p->data);
  return absl::OkStatus();
}

// SAKKE (RFC 6509 §4.2): next | SAKKE params | ID scheme | SAKKE data
// length(16) | SAKKE data.
absl::Status ParseSakke(Reader* r, SakkePayload* p, uint8_t* next) {
  uint8_t next_type = 0;
  uint8_t params = 0;
  uint8_t id_scheme = 0;
  absl::Span<const uint8_t> data;
  if (auto s = ReadNext(r, &next_type); !s.ok()) return s;
  if (auto s = r->ReadU8("SAKKE params", &params); !s.ok()) return s;
  if (auto s = r->ReadU8("ID scheme", &id_scheme); !s.ok()) return s;
  if (auto s = ReadU16Prefixed(r, "SAKKE data length", "SAKKE data", &data);
      !s.ok()) {
    return s;
  }
  *next = next_type;
  p->params = params;
  p->id_scheme = id_scheme;
  Assign(data, &p->data);
  return absl::OkStatus();
}

// Parses into a new payload of alternative T at the end of `out`.
template <typename T, typename F>
absl::Status ParseInto(F parse, Reader* r, std::vector<Payload>* out,
                       uint8_t* next) {
  Payload& p = out->emplace_back(std::in_place_type<T>);
  return parse(r, std::get_if<T>(&p), next);
}

// Payload types ParseMessage knows how to read at the top level.
bool IsTopLevelPayload(uint8_t type) {
  switch (type) {
    case payload_type::kKemac:
    case payload_type::kPke:
    case payload_type::kDh:
    case payload_type::kSign:
    case payload_type::kT:
    case payload_type::kId:
    case payload_type::kCert:
    case payload_type::kChash:
    case payload_type::kV:
    case payload_type::kSp:
    case payload_type::kRand:
    case payload_type::kErr:
    case payload_type::kIdr:
    case payload_type::kGeneralExtension:
    case payload_type::kSakke:
      return true;
    default:
      return false;
  }
}

// One payload of wire type `type` (not Last, not Key data): parses it from
// its first octet into a payload appended to `*out` (constructed there as the
// right alternative: nothing is moved or copied), storing its next-payload
// field in `*next` (kLast for SIGN, which has none). `r`'s context names the
// payload in errors. On failure `*out` may end with a partial payload.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::Status ParsePayload(
    uint8_t type, Reader* r, std::vector<Payload>* out, uint8_t* next) {
  switch (type) {
    case payload_type::kKemac:
      return ParseInto<KemacPayload>(ParseKemac, r, out, next);
    case payload_type::kPke:
      return ParseInto<PkePayload>(ParsePke, r, out, next);
    case payload_type::kDh:
      return ParseInto<DhPayload>(ParseDh, r, out, next);
    case payload_type::kSign:
      return ParseInto<SignPayload>(ParseSign, r, out, next);
    case payload_type::kT:
      return ParseInto<TimestampPayload>(ParseT, r, out, next);
    case payload_type::kId:
      return ParseInto<IdPayload>(ParseId, r, out, next);
    case payload_type::kCert:
      return ParseInto<CertPayload>(ParseCert, r, out, next);
    case payload_type::kChash:
      return ParseInto<ChashPayload>(ParseChash, r, out, next);
    case payload_type::kV:
      return ParseInto<VerificationPayload>(ParseV, r, out, next);
    case payload_type::kSp:
      return ParseInto<SecurityPolicyPayload>(ParseSp, r, out, next);
    case payload_type::kRand:
      return ParseInto<RandPayload>(ParseRand, r, out, next);
    case payload_type::kErr:
      return ParseInto<ErrorPayload>(ParseErr, r, out, next);
    case payload_type::kIdr:
      return ParseInto<IdrPayload>(ParseIdr, r, out, next);
    case payload_type::kGeneralExtension:
      return ParseInto<GeneralExtensionPayload>(ParseGenExt, r, out, next);
    case payload_type::kSakke:
      return ParseInto<SakkePayload>(ParseSakke, r, out, next);
    default:
      return r->Error("payload type",
                      absl::StrCat("unknown payload type ", type));
  }
}

// ---------------------------------------------------------------------------
// Serializers, in two passes: CheckPayload() checks that a payload can be
// written and gives its exact wire size, before anything is written;
// WritePayload() then writes it into a FixedWriter part of that size, and
// cannot fail. ctx() names the payload for errors.

// The alternative `p` holds, passed to `f`. A switch rather than std::visit,
// which reaches each of the 15 alternatives through a table of function
// pointers: here every case can be inlined.
template <typename F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline decltype(auto) VisitPayload(
    const Payload& p, F&& f) {
  switch (p.index()) {
    case 0:
      return f(*std::get_if<0>(&p));
    case 1:
      return f(*std::get_if<1>(&p));
    case 2:
      return f(*std::get_if<2>(&p));
    case 3:
      return f(*std::get_if<3>(&p));
    case 4:
      return f(*std::get_if<4>(&p));
    case 5:
      return f(*std::get_if<5>(&p));
    case 6:
      return f(*std::get_if<6>(&p));
    case 7:
      return f(*std::get_if<7>(&p));
    case 8:
      return f(*std::get_if<8>(&p));
    case 9:
      return f(*std::get_if<9>(&p));
    case 10:
      return f(*std::get_if<10>(&p));
    case 11:
      return f(*std::get_if<11>(&p));
    case 12:
      return f(*std::get_if<12>(&p));
    case 13:
      return f(*std::get_if<13>(&p));
    default:
      // The last alternative; std::get throws bad_variant_access, as
      // std::visit would, for a valueless variant.
      return f(std::get<14>(p));
  }
}
static_assert(std::variant_size_v<Payload> == 15,
              "VisitPayload has one case per alternative");

absl::Status Err(const LazyName& ctx, const absl::Status& s) {
  return WithContext(ctx, s);
}

ABSL_ATTRIBUTE_NOINLINE absl::Status LengthError(
    const LazyName& ctx, absl::string_view field, size_t have,
    std::optional<size_t> want, absl::string_view alg_field, uint8_t alg) {
  if (!want) {
    return FieldError(ctx, alg_field,
                      absl::StrCat("unknown value ", alg, ": the length of ",
                                   field, " would be unknown to the receiver"));
  }
  return FieldError(ctx, field,
                    absl::StrCat("is ", have, " octets but ", alg_field, " ",
                                 alg, " implies ", *want));
}

// The first policy parameter value that does not fit its 8-bit length, as
// an error (cold path: the check found one).
ABSL_ATTRIBUTE_NOINLINE absl::Status ParamValueTooLong(
    const LazyName& ctx, const SecurityPolicyPayload& p) {
  for (size_t i = 0; i < p.params.size(); ++i) {
    const size_t n = p.params[i].value.size();
    if (n > 0xff) {
      return Err(ctx, Writer::CheckFits(
                          LazyName("policy param ", i + 1, " value"), n, 8));
    }
  }
  return absl::InternalError("no policy parameter value is too long");
}

// Wire sizes: exact for every payload PayloadChecker accepts.
size_t WireSize(const KemacPayload& p) {
  return 5 + p.encr_data.size() + p.mac.size();
}
size_t WireSize(const PkePayload& p) { return 3 + p.data.size(); }
size_t WireSize(const DhPayload& p) {
  return 3 + p.value.size() + KeyValidityDataSize(p.validity);
}
size_t WireSize(const SignPayload& p) { return 2 + p.signature.size(); }
size_t WireSize(const TimestampPayload& p) {
  return 2 + TimestampLength(p.ts_type).value_or(8);
}
size_t WireSize(const IdPayload& p) { return 4 + p.data.size(); }
size_t WireSize(const IdrPayload& p) { return 5 + p.data.size(); }
size_t WireSize(const CertPayload& p) { return 4 + p.data.size(); }
size_t WireSize(const ChashPayload& p) { return 2 + p.hash.size(); }
size_t WireSize(const VerificationPayload& p) { return 2 + p.mac.size(); }
size_t WireSize(const RandPayload& p) { return 2 + p.rand.size(); }
size_t WireSize(const ErrorPayload&) { return 4; }
size_t WireSize(const GeneralExtensionPayload& p) { return 4 + p.data.size(); }
size_t WireSize(const SakkePayload& p) { return 5 + p.data.size(); }

// Checks one payload and gives its wire size in *size.
struct PayloadChecker {
  uint8_t next;
  uint8_t type;  // of the payload, and
  size_t index;  // its 1-based position, for ctx()
  size_t* size;

  // "SP payload #2": built only when an error is reported.
  LazyName ctx() const { return PayloadContext(type, index); }

  // `field` is `have` octets long, as `alg` of `alg_field` implies.
  absl::Status ExactLength(absl::string_view field, size_t have,
                           std::optional<size_t> want,
                           absl::string_view alg_field, uint8_t alg) const {
    if (ABSL_PREDICT_TRUE(want.has_value() && have == *want)) {
      return absl::OkStatus();
    }
    return LengthError(ctx(), field, have, want, alg_field, alg);
  }

  // `n` octets with an 8- or 16-bit length before them.
  absl::Status Prefixed(absl::string_view field, size_t n, int bits) const {
    if (auto s = Writer::CheckFits(field, n, bits); !s.ok()) {
      return Err(ctx(), s);
    }
    return absl::OkStatus();
  }

  absl::Status Size(size_t n) const {
    *size = n;
    return absl::OkStatus();
  }

  absl::Status operator()(const KemacPayload& p) const {
    if (auto s = ExactLength("MAC", p.mac.size(), MacLength(p.mac_alg),
                             "MAC alg", p.mac_alg);
        !s.ok()) {
      return s;
    }
    if (auto s = Prefixed("Encr data", p.encr_data.size(), 16); !s.ok()) {
      return s;
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const PkePayload& p) const {
    if (auto s = Writer::CheckFits("C", p.cache, 2); !s.ok()) {
      return Err(ctx(), s);
    }
    if (auto s = Writer::CheckFits("Data len", p.data.size(), 14); !s.ok()) {
      return Err(ctx(), s);
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const DhPayload& p) const {
    if (auto s = ExactLength("DH-value", p.value.size(), DhValueLength(p.group),
                             "DH-Group", p.group);
        !s.ok()) {
      return s;
    }
    if (auto s = CheckKeyValidity(p.validity, ctx()); !s.ok()) return s;
    return Size(WireSize(p));
  }

  absl::Status operator()(const SignPayload& p) const {
    if (next != payload_type::kLast) {
      return FieldError(ctx(), "position",
                        "SIGN must be the last payload of a message");
    }
    if (auto s = Writer::CheckFits("S type", p.type, 4); !s.ok()) {
      return Err(ctx(), s);
    }
    if (auto s = Writer::CheckFits("Signature len", p.signature.size(), 12);
        !s.ok()) {
      return Err(ctx(), s);
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const TimestampPayload& p) const {
    std::optional<size_t> len = TimestampLength(p.ts_type);
    if (!len) {
      return FieldError(ctx(), "TS type",
                        absl::StrCat("unknown timestamp type ", p.ts_type));
    }
    if (*len == 4) {
      if (auto s = Writer::CheckFits("TS value", p.value, 32); !s.ok()) {
        return Err(ctx(), s);
      }
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const IdPayload& p) const {
    if (auto s = Prefixed("ID data", p.data.size(), 16); !s.ok()) return s;
    return Size(WireSize(p));
  }

  absl::Status operator()(const IdrPayload& p) const {
    if (auto s = Prefixed("ID data", p.data.size(), 16); !s.ok()) return s;
    return Size(WireSize(p));
  }

  absl::Status operator()(const CertPayload& p) const {
    if (auto s = Prefixed("Certificate", p.data.size(), 16); !s.ok()) {
      return s;
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const ChashPayload& p) const {
    if (auto s = ExactLength("Hash", p.hash.size(), HashLength(p.hash_func),
                             "Hash func", p.hash_func);
        !s.ok()) {
      return s;
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const VerificationPayload& p) const {
    if (auto s = ExactLength("Ver data", p.mac.size(), MacLength(p.auth_alg),
                             "Auth alg", p.auth_alg);
        !s.ok()) {
      return s;
    }
    return Size(WireSize(p));
  }

  absl::Status operator()(const SecurityPolicyPayload& p) const {
    // One pass: the total, and whether any value overflows its 8-bit length
    // (found again, to name it, only then): the OR of the lengths exceeds
    // 0xff exactly when one of them does.
    size_t total = 0;
    size_t any_length = 0;
    for (const PolicyParam& param : p.params) {
      const size_t n = param.value.size();
      any_length |= n;
      total += 2 + n;
    }
    if (ABSL_PREDICT_FALSE(any_length > 0xff)) {
      return ParamValueTooLong(ctx(), p);
    }
    if (auto s = Writer::CheckFits("Policy param length", total, 16); !s.ok()) {
      return Err(ctx(), s);
    }
    return Size(5 + total);
  }

  absl::Status operator()(const RandPayload& p) const {
    if (auto s = Prefixed("RAND", p.rand.size(), 8); !s.ok()) return s;
    return Size(WireSize(p));
  }

  absl::Status operator()(const ErrorPayload& p) const {
    return Size(WireSize(p));
  }

  absl::Status operator()(const GeneralExtensionPayload& p) const {
    if (auto s = Prefixed("Data", p.data.size(), 16); !s.ok()) return s;
    return Size(WireSize(p));
  }

  absl::Status operator()(const SakkePayload& p) const {
    if (auto s = Prefixed("SAKKE data", p.data.size(), 16); !s.ok()) return s;
    return Size(WireSize(p));
  }
};

// Writes one payload that PayloadChecker accepted, `next` first, into `out`,
// the caller's local writer. Lengths were checked to fit their fields.
// Nothing is checked per payload: WritePayloads checks once, at the end, that
// the payloads filled exactly the size the checks found (parts written out of
// line report through `ok`). Fixed-size parts go through a Sub() writer of
// constant size: one check of the space left, the compiler folding those of
// the fields.
struct PayloadWriter {
  uint8_t next;
  FixedWriter& out;
  bool* ok;  // Cleared if a part written out of line did not fill its size.

  // SP policy parameters, each type, length, value. Out of line, through a
  // local copy of `out`: the parameters are the longest loop of a message's
  // writing, and inlined among the writers of every payload type their
  // writer's position would be spilled to memory (register pressure).
  ABSL_ATTRIBUTE_NOINLINE static void WritePolicyParams(
      absl::Span<const PolicyParam> params, FixedWriter& out) {
    FixedWriter w = out;
    for (const PolicyParam& param : params) {
      w.AddTypeLengthValue8(param.type, param.value);
    }
    out = w;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE static void U16Prefixed(
      absl::Span<const uint8_t> bytes, FixedWriter& out) {
    out.AddU16(static_cast<uint16_t>(bytes.size()));
    out.AddBytes(bytes);
  }

  void operator()(const KemacPayload& p) const {
    FixedWriter head = out.Sub(4);
    head.AddU8(next);
    head.AddU8(p.encr_alg);
    head.AddU16(static_cast<uint16_t>(p.encr_data.size()));
    out.AddBytes(p.encr_data);
    out.AddU8(p.mac_alg);
    out.AddBytes(p.mac);
  }

  void operator()(const PkePayload& p) const {
    out.AddU8(next);
    out.AddU16(static_cast<uint16_t>((p.cache << 14) | p.data.size()));
    out.AddBytes(p.data);
  }

  void operator()(const DhPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.group);
    out.AddBytes(p.value);
    out.AddU8(p.validity.type);  // Reserv(4) = 0 | KV(4)
    // Out of line, so given a part of its own: `out` stays in registers.
    FixedWriter kv = out.Sub(KeyValidityDataSize(p.validity));
    WriteKeyValidityData(p.validity, &kv);
    if (!kv.full()) *ok = false;
  }

  void operator()(const SignPayload& p) const {
    out.AddU16(static_cast<uint16_t>((p.type << 12) | p.signature.size()));
    out.AddBytes(p.signature);
  }

  void operator()(const TimestampPayload& p) const {
    if (TimestampLength(p.ts_type) == size_t{8}) {
      FixedWriter t = out.Sub(2 + 8);
      t.AddU8(next);
      t.AddU8(p.ts_type);
      t.AddU64(p.value);
    } else {
      FixedWriter t = out.Sub(2 + 4);
      t.AddU8(next);
      t.AddU8(p.ts_type);
      t.AddU32(static_cast<uint32_t>(p.value));
    }
  }

  void operator()(const IdPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.id_type);
    U16Prefixed(p.data, out);
  }

  void operator()(const IdrPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.role);
    out.AddU8(p.id_type);
    U16Prefixed(p.data, out);
  }

  void operator()(const CertPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.cert_type);
    U16Prefixed(p.data, out);
  }

  void operator()(const ChashPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.hash_func);
    out.AddBytes(p.hash);
  }

  void operator()(const VerificationPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.auth_alg);
    out.AddBytes(p.mac);
  }

  void operator()(const SecurityPolicyPayload& p) const {
    FixedWriter head = out.Sub(3);
    head.AddU8(next);
    head.AddU8(p.policy_no);
    head.AddU8(p.prot_type);
    // The parameters' total length goes before them; it is written once
    // they are, as the octets written since (checked to fit in 16 bits).
    FixedWriter params_len = out.Sub(2);
    const size_t params_begin = out.written();
    WritePolicyParams(p.params, out);
    params_len.AddU16(static_cast<uint16_t>(out.written() - params_begin));
  }

  void operator()(const RandPayload& p) const {
    FixedWriter head = out.Sub(2);
    head.AddU8(next);
    head.AddU8(static_cast<uint8_t>(p.rand.size()));
    out.AddBytes(p.rand);
  }

  void operator()(const ErrorPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.error_no);
    out.AddU16(p.reserved);
  }

  void operator()(const GeneralExtensionPayload& p) const {
    out.AddU8(next);
    out.AddU8(p.type);
    U16Prefixed(p.data, out);
  }

  void operator()(const SakkePayload& p) const {
    out.AddU8(next);
    out.AddU8(p.params);
    out.AddU8(p.id_scheme);
    U16Prefixed(p.data, out);
  }
};

}  // namespace

absl::Status ParseKeyValidity(uint8_t kv_type, size_t kv_offset, Reader* r,
                              KeyValidity* out) {
  *out = KeyValidity();
  out->type = kv_type;
  switch (kv_type) {
    case key_validity::kNull:
      return absl::OkStatus();
    case key_validity::kSpi: {
      absl::Span<const uint8_t> spi;
      if (auto s = ReadU8Prefixed(r, "SPI Length", "SPI", &spi); !s.ok()) {
        return s;
      }
      Assign(spi, &out->spi);
      return absl::OkStatus();
    }
    case key_validity::kInterval: {
      absl::Span<const uint8_t> valid_from;
      absl::Span<const uint8_t> valid_to;
      if (auto s = ReadU8Prefixed(r, "VF Length", "Valid From", &valid_from);
          !s.ok()) {
        return s;
      }
      if (auto s = ReadU8Prefixed(r, "VT Length", "Valid To", &valid_to);
          !s.ok()) {
        return s;
      }
      Assign(valid_from, &out->valid_from);
      Assign(valid_to, &out->valid_to);
      return absl::OkStatus();
    }
    default:
      return r->ErrorAt(kv_offset, "KV",
                        absl::StrCat("unknown key validity type ", kv_type,
                                     ": the KV data's length is unknown"));
  }
}

absl::Status CheckKeyValidity(const KeyValidity& kv, const LazyName& context) {
  switch (kv.type) {
    case key_validity::kNull:
      if (!kv.spi.empty() || !kv.valid_from.empty() || !kv.valid_to.empty()) {
        return FieldError(context, "KV data",
                          "SPI or interval given with key validity NULL");
      }
      return absl::OkStatus();
    case key_validity::kSpi:
      if (!kv.valid_from.empty() || !kv.valid_to.empty()) {
        return FieldError(context, "KV data",
                          "interval given with key validity SPI/MKI");
      }
      return WithContext(context, Writer::CheckFits("SPI", kv.spi.size(), 8));
    case key_validity::kInterval:
      if (!kv.spi.empty()) {
        return FieldError(context, "KV data",
                          "SPI given with key validity Interval");
      }
      if (auto s = Writer::CheckFits("Valid From", kv.valid_from.size(), 8);
          !s.ok()) {
        return WithContext(context, s);
      }
      return WithContext(context,
                         Writer::CheckFits("Valid To", kv.valid_to.size(), 8));
    default:
      return FieldError(context, "KV",
                        absl::StrCat("unknown key validity type ", kv.type));
  }
}

size_t KeyValidityDataSize(const KeyValidity& kv) {
  switch (kv.type) {
    case key_validity::kSpi:
      return 1 + kv.spi.size();
    case key_validity::kInterval:
      return 2 + kv.valid_from.size() + kv.valid_to.size();
    default:
      return 0;
  }
}

void WriteKeyValidityData(const KeyValidity& kv, FixedWriter* w) {
  if (kv.type == key_validity::kSpi) {
    w->AddU8(static_cast<uint8_t>(kv.spi.size()));
    w->AddBytes(kv.spi);
  } else if (kv.type == key_validity::kInterval) {
    w->AddU8(static_cast<uint8_t>(kv.valid_from.size()));
    w->AddBytes(kv.valid_from);
    w->AddU8(static_cast<uint8_t>(kv.valid_to.size()));
    w->AddBytes(kv.valid_to);
  }
}

absl::Status ParsePayloadChain(uint8_t type, Reader* r,
                               std::vector<Payload>* out,
                               std::vector<PayloadExtent>* extents) {
  // The field that named the payload being parsed, for errors: the next
  // payload octet of the header (index 0) or of payload #named_by_index.
  size_t named_at = 2;  // the header's next-payload octet
  uint8_t named_by_type = payload_type::kLast;
  size_t named_by_index = 0;
  auto named_by = [&]() -> std::string {
    return named_by_index == 0
               ? std::string("HDR")
               : PayloadContext(named_by_type, named_by_index).ToString();
  };
  for (size_t index = 1; type != payload_type::kLast; ++index) {
    const size_t begin = r->offset();
    if (ABSL_PREDICT_FALSE(type == payload_type::kKeyData)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload #", index, " at offset ", begin,
          ": Key data (20) named by the next payload field of ", named_by(),
          " at offset ", named_at,
          ": a Key data sub-payload may only appear inside a KEMAC"));
    }
    if (ABSL_PREDICT_FALSE(!IsTopLevelPayload(type))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload #", index, " at offset ", begin, ": unknown payload type ",
          static_cast<int>(type), " named by the next payload field of ",
          named_by(), " at offset ", named_at));
    }
    r->set_context(PayloadContext(type, index));
    uint8_t next = payload_type::kLast;
    if (auto s = ParsePayload(type, r, out, &next); !s.ok()) return s;
    if (extents != nullptr) {
      extents->push_back(PayloadExtent{begin, r->offset()});
    }
    if (type == payload_type::kSign) {
      if (!r->empty()) {
        return r->Error(
            "end of message",
            absl::StrCat(r->remaining(),
                         " octets follow SIGN, which must be the last "
                         "payload (it has no next payload field)"));
      }
      break;
    }
    named_at = begin;  // every payload but SIGN opens with next payload
    named_by_type = type;
    named_by_index = index;
    type = next;
  }
  if (!r->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message: ", r->remaining(), " trailing octets at offset ",
                     r->offset(), " after the Last payload (", named_by(),
                     " ends the chain with next payload 0)"));
  }
  return absl::OkStatus();
}

namespace {

// The next-payload field of payloads[i]: the type of the payload after it.
uint8_t NextOf(absl::Span<const Payload> payloads, size_t i) {
  return i + 1 < payloads.size() ? PayloadTypeOf(payloads[i + 1])
                                 : payload_type::kLast;
}

}  // namespace

absl::Status CheckPayloads(absl::Span<const Payload> payloads, size_t* size) {
  size_t total = 0;
  // Each payload's type is the previous one's next.
  uint8_t type =
      payloads.empty() ? payload_type::kLast : PayloadTypeOf(payloads.front());
  for (size_t i = 0; i < payloads.size(); ++i) {
    const uint8_t next = NextOf(payloads, i);
    size_t part = 0;
    if (auto s =
            VisitPayload(payloads[i], PayloadChecker{next, type, i + 1, &part});
        !s.ok()) {
      return s;
    }
    total += part;
    type = next;
  }
  *size = total;
  return absl::OkStatus();
}

bool WritePayloads(absl::Span<const Payload> payloads,
                   absl::Span<uint8_t> buffer) {
  // A local writer over the caller's span (rather than the caller's writer,
  // copied in and out through memory).
  FixedWriter out(buffer);
  bool ok = true;
  for (size_t i = 0; i < payloads.size(); ++i) {
    VisitPayload(payloads[i], PayloadWriter{NextOf(payloads, i), out, &ok});
  }
  return ok && out.full();
}

}  // namespace message_internal

// PayloadTypeOf's table (message.h) follows the Payload variant's order.
static_assert(
    std::is_same_v<std::variant_alternative_t<0, Payload>, KemacPayload> &&
    std::is_same_v<std::variant_alternative_t<1, Payload>, PkePayload> &&
    std::is_same_v<std::variant_alternative_t<2, Payload>, DhPayload> &&
    std::is_same_v<std::variant_alternative_t<3, Payload>, SignPayload> &&
    std::is_same_v<std::variant_alternative_t<4, Payload>, TimestampPayload> &&
    std::is_same_v<std::variant_alternative_t<5, Payload>, IdPayload> &&
    std::is_same_v<std::variant_alternative_t<6, Payload>, IdrPayload> &&
    std::is_same_v<std::variant_alternative_t<7, Payload>, CertPayload> &&
    std::is_same_v<std::variant_alternative_t<8, Payload>, ChashPayload> &&
    std::is_same_v<std::variant_alternative_t<9, Payload>,
                   VerificationPayload> &&
    std::is_same_v<std::variant_alternative_t<10, Payload>,
                   SecurityPolicyPayload> &&
    std::is_same_v<std::variant_alternative_t<11, Payload>, RandPayload> &&
    std::is_same_v<std::variant_alternative_t<12, Payload>, ErrorPayload> &&
    std::is_same_v<std::variant_alternative_t<13, Payload>,
                   GeneralExtensionPayload> &&
    std::is_same_v<std::variant_alternative_t<14, Payload>, SakkePayload> &&
    std::variant_size_v<Payload> == 15);

}  // namespace mikey
