// Common header (RFC 3830 §6.1, RFC 6043 §6.1), names and algorithm tables.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

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

size_t CommonHeader::cs_count() const {
  switch (cs_id_map_type) {
    case cs_id_map_type::kSrtpId:
      return srtp_map.size();
    case cs_id_map_type::kGenericId:
      return generic_map.size();
    case cs_id_map_type::kEmpty:
      return empty_map_cs_count;
    default:
      return 0;
  }
}

const PolicyParam* SecurityPolicyPayload::Find(uint8_t type) const {
  for (const PolicyParam& p : params) {
    if (p.type == type) return &p;
  }
  return nullptr;
}

const char* PayloadName(uint8_t payload_type) {
  switch (payload_type) {
    case payload_type::kLast:
      return "LAST";
    case payload_type::kKemac:
      return "KEMAC";
    case payload_type::kPke:
      return "PKE";
    case payload_type::kDh:
      return "DH";
    case payload_type::kSign:
      return "SIGN";
    case payload_type::kT:
      return "T";
    case payload_type::kId:
      return "ID";
    case payload_type::kCert:
      return "CERT";
    case payload_type::kChash:
      return "CHASH";
    case payload_type::kV:
      return "V";
    case payload_type::kSp:
      return "SP";
    case payload_type::kRand:
      return "RAND";
    case payload_type::kErr:
      return "ERR";
    case payload_type::kIdr:
      return "IDR";
    case payload_type::kKeyData:
      return "KEY-DATA";
    case payload_type::kGeneralExtension:
      return "GEN-EXT";
    case payload_type::kSakke:
      return "SAKKE";
    default:
      return "UNKNOWN";
  }
}

const char* DataTypeName(uint8_t data_type) {
  switch (data_type) {
    case data_type::kPskInit:
      return "PSK init";
    case data_type::kPskVerify:
      return "PSK verify";
    case data_type::kPkInit:
      return "PK init";
    case data_type::kPkVerify:
      return "PK verify";
    case data_type::kDhInit:
      return "DH init";
    case data_type::kDhResp:
      return "DH resp";
    case data_type::kError:
      return "Error";
    case data_type::kDhhmacInit:
      return "DHHMAC init";
    case data_type::kDhhmacResp:
      return "DHHMAC resp";
    case data_type::kRsaRInit:
      return "RSA-R I_MSG";
    case data_type::kRsaRResp:
      return "RSA-R R_MSG";
    case data_type::kSakkeInit:
      return "SAKKE I_MESSAGE";
    default:
      return "UNKNOWN";
  }
}

namespace message_internal {

bool IsKnownDataType(uint8_t data_type) {
  return data_type <= data_type::kRsaRResp ||
         data_type == data_type::kSakkeInit;
}

absl::Status WithContext(const LazyName& context, const absl::Status& status) {
  if (status.ok()) return status;
  std::string text = context.ToString();
  absl::StrAppend(&text, ": ", status.message());
  return absl::Status(status.code(), text);
}

absl::Status FieldError(const LazyName& context, const LazyName& field,
                        absl::string_view what) {
  std::string text = context.ToString();
  text.append(": ");
  field.AppendTo(&text);
  absl::StrAppend(&text, ": ", what);
  return absl::InvalidArgumentError(text);
}

size_t HeaderWireSize(const CommonHeader& h) {
  size_t n = 10;
  n += 9 * h.srtp_map.size();
  for (const GenericCsEntry& e : h.generic_map) {
    n += 3 + e.policy_nos.size() + 2 + e.session_data.size() + 1 + e.spi.size();
  }
  return n;
}

namespace {

constexpr absl::string_view kHdr = "HDR";

// The common header's fixed fields: version, data type, next payload,
// V/PRF func, CSB ID, #CS, CS ID map type.
constexpr size_t kFixedHeaderSize = 10;
// One SRTP-ID map entry: Policy no, SSRC, ROC.
constexpr size_t kSrtpEntrySize = 9;

// Reads one SRTP-ID map entry from `r`, a reader over the whole map, which
// the caller has checked holds it.
void ReadSrtpEntry(Reader& r, SrtpCsEntry* e) {
  // Cannot fail: the whole map's length was checked.
  (void)r.TryReadU8(&e->policy_no);
  (void)r.TryReadU32(&e->ssrc);
  (void)r.TryReadU32(&e->roc);
}

// The fixed fields, for a header that holds all 10 octets (checked by the
// caller): reads that cannot fail from a reader over exactly those octets, and
// the same checks and errors as ReadFixedFieldsChecked.
absl::Status ReadFixedFields(Reader* r, CommonHeader* h, uint8_t* first_payload,
                             uint8_t* n_cs) {
  const size_t begin = r->offset();
  absl::Span<const uint8_t> bytes;
  (void)r->TryReadBytes(kFixedHeaderSize, &bytes);  // Checked by the caller.
  Reader f(bytes, begin, kHdr);
  uint8_t version = 0;
  uint8_t data_type = 0;
  uint8_t v_prf = 0;
  uint32_t csb_id = 0;
  uint8_t map_type = 0;
  // Cannot fail: the reader holds exactly these 10 octets.
  (void)f.TryReadU8(&version);
  (void)f.TryReadU8(&data_type);
  (void)f.TryReadU8(first_payload);
  (void)f.TryReadU8(&v_prf);
  (void)f.TryReadU32(&csb_id);
  (void)f.TryReadU8(n_cs);
  (void)f.TryReadU8(&map_type);
  h->version = version;
  if (version != 1) {
    return r->ErrorAt(begin, "version",
                      absl::StrCat("unsupported MIKEY version ", version,
                                   " (only version 1 exists)"));
  }
  h->data_type = data_type;
  if (!IsKnownDataType(data_type)) {
    return r->ErrorAt(begin + 1, "data type",
                      absl::StrCat("unknown data type ", data_type));
  }
  h->v_flag = (v_prf & 0x80) != 0;
  h->prf_func = v_prf & 0x7f;
  h->csb_id = csb_id;
  h->cs_id_map_type = map_type;
  return absl::OkStatus();
}

// The fixed fields read one at a time, each checked: for a header shorter
// than 10 octets, so that the error names the first field that is wrong or
// missing, as for any other truncation.
ABSL_ATTRIBUTE_NOINLINE absl::Status ReadFixedFieldsChecked(
    Reader* r, CommonHeader* h, uint8_t* first_payload, uint8_t* n_cs) {
  size_t at = r->offset();
  if (auto s = r->ReadU8("version", &h->version); !s.ok()) return s;
  if (h->version != 1) {
    return r->ErrorAt(at, "version",
                      absl::StrCat("unsupported MIKEY version ", h->version,
                                   " (only version 1 exists)"));
  }
  at = r->offset();
  if (auto s = r->ReadU8("data type", &h->data_type); !s.ok()) return s;
  if (!IsKnownDataType(h->data_type)) {
    return r->ErrorAt(at, "data type",
                      absl::StrCat("unknown data type ", h->data_type));
  }
  if (auto s = r->ReadU8("next payload", first_payload); !s.ok()) return s;
  uint8_t v_prf = 0;
  if (auto s = r->ReadU8("V/PRF func", &v_prf); !s.ok()) return s;
  h->v_flag = (v_prf & 0x80) != 0;
  h->prf_func = v_prf & 0x7f;
  if (auto s = r->ReadU32("CSB ID", &h->csb_id); !s.ok()) return s;
  if (auto s = r->ReadU8("#CS", n_cs); !s.ok()) return s;
  return r->ReadU8("CS ID map type", &h->cs_id_map_type);
}

// Reads one GENERIC-ID map entry (RFC 6043 §6.1.2.1):
// CS ID(8) Prot type(8) S(1)|#P(7) Ps(#P) Session Data Length(16)
// Session Data SPI Length(8) SPI.
absl::Status ParseGenericEntry(Reader* r, size_t index, GenericCsEntry* e) {
  static constexpr absl::string_view kEntry = "GENERIC-ID map entry ";
  auto field = [index](absl::string_view name) {
    return LazyName(kEntry, index, name);
  };
  if (auto s = r->ReadU8(field(" CS ID"), &e->cs_id); !s.ok()) return s;
  if (auto s = r->ReadU8(field(" Prot type"), &e->prot_type); !s.ok()) {
    return s;
  }
  uint8_t s_p = 0;
  if (auto s = r->ReadU8(field(" S/#P"), &s_p); !s.ok()) return s;
  e->s_flag = (s_p & 0x80) != 0;
  absl::Span<const uint8_t> bytes;
  if (auto s = r->ReadBytes(field(" Ps"), s_p & 0x7f, &bytes); !s.ok()) {
    return s;
  }
  e->policy_nos.assign(bytes.begin(), bytes.end());
  uint16_t session_len = 0;
  if (auto s = r->ReadU16(field(" Session Data Length"), &session_len);
      !s.ok()) {
    return s;
  }
  if (auto s = r->ReadBytes(field(" Session Data"), session_len, &bytes);
      !s.ok()) {
    return s;
  }
  e->session_data.assign(bytes.begin(), bytes.end());
  uint8_t spi_len = 0;
  if (auto s = r->ReadU8(field(" SPI Length"), &spi_len); !s.ok()) return s;
  if (auto s = r->ReadBytes(field(" SPI"), spi_len, &bytes); !s.ok()) {
    return s;
  }
  e->spi.assign(bytes.begin(), bytes.end());
  return absl::OkStatus();
}

// Turns a truncation inside the CS ID map into an error that names #CS: the
// usual cause is a #CS larger than the map really is.
absl::Status MapTruncated(const Reader& r, size_t map_offset, uint8_t n_cs,
                          size_t entry, const absl::Status& inner) {
  return r.ErrorAt(
      map_offset, "CS ID map info",
      absl::StrCat("#CS is ", n_cs, " but the map ends inside entry ", entry,
                   " (", inner.message(), ")"));
}

}  // namespace

absl::Status ParseHeader(Reader* r, CommonHeader* h, uint8_t* first_payload) {
  r->set_context(kHdr);
  uint8_t n_cs = 0;
  if (auto s = ABSL_PREDICT_TRUE(r->remaining() >= kFixedHeaderSize)
                   ? ReadFixedFields(r, h, first_payload, &n_cs)
                   : ReadFixedFieldsChecked(r, h, first_payload, &n_cs);
      !s.ok()) {
    return s;
  }
  const size_t at = r->offset() - 1;  // the CS ID map type
  const size_t map_offset = r->offset();
  h->srtp_map.clear();
  h->generic_map.clear();
  h->empty_map_cs_count = 0;
  switch (h->cs_id_map_type) {
    case cs_id_map_type::kSrtpId:
      // Each entry is 9 octets: check before allocating.
      if (r->remaining() < kSrtpEntrySize * n_cs) {
        return r->ErrorAt(map_offset, "CS ID map info",
                          absl::StrCat("#CS is ", n_cs, " (", 9 * n_cs,
                                       " octets of SRTP-ID map) but only ",
                                       r->remaining(), " octets remain"));
      }
      {
        absl::Span<const uint8_t> bytes;
        (void)r->TryReadBytes(kSrtpEntrySize * n_cs, &bytes);  // Checked.
        // A local reader over the map, which stays in registers.
        Reader map(bytes, map_offset, kHdr);
        h->srtp_map.resize(n_cs);
        for (SrtpCsEntry& e : h->srtp_map) ReadSrtpEntry(map, &e);
      }
      break;
    case cs_id_map_type::kEmpty:
      h->empty_map_cs_count = n_cs;
      break;
    case cs_id_map_type::kGenericId:
      for (size_t i = 0; i < n_cs; ++i) {
        GenericCsEntry e;
        if (auto s = ParseGenericEntry(r, i + 1, &e); !s.ok()) {
          return MapTruncated(*r, map_offset, n_cs, i + 1, s);
        }
        h->generic_map.push_back(std::move(e));
      }
      break;
    default:
      return r->ErrorAt(
          at, "CS ID map type",
          absl::StrCat("unknown CS ID map type ", h->cs_id_map_type,
                       ": the map's length is unknown"));
  }
  return absl::OkStatus();
}

absl::Status CheckHeader(const CommonHeader& h) {
  if (h.version != 1) {
    return FieldError(kHdr, "version",
                      absl::StrCat("unsupported MIKEY version ", h.version,
                                   " (only version 1 exists)"));
  }
  if (!IsKnownDataType(h.data_type)) {
    return FieldError(kHdr, "data type",
                      absl::StrCat("unknown data type ", h.data_type));
  }
  if (auto s = Writer::CheckFits("PRF func", h.prf_func, 7); !s.ok()) {
    return WithContext(kHdr, s);
  }
  switch (h.cs_id_map_type) {
    case cs_id_map_type::kSrtpId:
    case cs_id_map_type::kGenericId:
    case cs_id_map_type::kEmpty:
      break;
    default:
      return FieldError(
          kHdr, "CS ID map type",
          absl::StrCat("unknown CS ID map type ", h.cs_id_map_type));
  }
  if (h.cs_id_map_type != cs_id_map_type::kSrtpId && !h.srtp_map.empty()) {
    return FieldError(kHdr, "CS ID map info",
                      "SRTP-ID entries given but the map type is not SRTP-ID");
  }
  if (h.cs_id_map_type != cs_id_map_type::kGenericId &&
      !h.generic_map.empty()) {
    return FieldError(
        kHdr, "CS ID map info",
        "GENERIC-ID entries given but the map type is not GENERIC-ID");
  }
  if (h.cs_id_map_type != cs_id_map_type::kEmpty && h.empty_map_cs_count != 0) {
    return FieldError(kHdr, "#CS",
                      "empty_map_cs_count is set but the map type is not the "
                      "empty map");
  }
  if (auto s = Writer::CheckFits("#CS", h.cs_count(), 8); !s.ok()) {
    return WithContext(kHdr, s);
  }
  for (size_t i = 0; i < h.generic_map.size(); ++i) {
    const GenericCsEntry& e = h.generic_map[i];
    constexpr absl::string_view kEntry = "GENERIC-ID map entry ";
    if (auto s = Writer::CheckFits(LazyName(kEntry, i + 1, " #P"),
                                   e.policy_nos.size(), 7);
        !s.ok()) {
      return WithContext(kHdr, s);
    }
    if (auto s = Writer::CheckFits(LazyName(kEntry, i + 1, " Session Data"),
                                   e.session_data.size(), 16);
        !s.ok()) {
      return WithContext(kHdr, s);
    }
    if (auto s =
            Writer::CheckFits(LazyName(kEntry, i + 1, " SPI"), e.spi.size(), 8);
        !s.ok()) {
      return WithContext(kHdr, s);
    }
  }
  return absl::OkStatus();
}

bool WriteHeader(const CommonHeader& h, uint8_t first_payload,
                 absl::Span<uint8_t> buffer) {
  // A local writer, which stays in registers. Fixed-size parts are written
  // through a Sub() writer of constant size: one check of the space left for
  // the whole part, the compiler folding those of its fields.
  FixedWriter out(buffer);
  {
    FixedWriter fixed = out.Sub(kFixedHeaderSize);
    fixed.AddU8(h.version);
    fixed.AddU8(h.data_type);
    fixed.AddU8(first_payload);
    fixed.AddU8(static_cast<uint8_t>((h.v_flag ? 0x80 : 0x00) | h.prf_func));
    fixed.AddU32(h.csb_id);
    fixed.AddU8(static_cast<uint8_t>(h.cs_count()));
    fixed.AddU8(h.cs_id_map_type);
  }
  if (h.cs_id_map_type == cs_id_map_type::kSrtpId) {
    for (const SrtpCsEntry& e : h.srtp_map) {
      FixedWriter entry = out.Sub(kSrtpEntrySize);
      entry.AddU8(e.policy_no);
      entry.AddU32(e.ssrc);
      entry.AddU32(e.roc);
    }
  } else if (h.cs_id_map_type == cs_id_map_type::kGenericId) {
    for (const GenericCsEntry& e : h.generic_map) {
      out.AddU8(e.cs_id);
      out.AddU8(e.prot_type);
      out.AddU8(
          static_cast<uint8_t>((e.s_flag ? 0x80 : 0x00) | e.policy_nos.size()));
      out.AddBytes(e.policy_nos);
      out.AddU16(static_cast<uint16_t>(e.session_data.size()));
      out.AddBytes(e.session_data);
      out.AddU8(static_cast<uint8_t>(e.spi.size()));
      out.AddBytes(e.spi);
    }
  }
  return out.full();
}

}  // namespace message_internal
}  // namespace mikey
