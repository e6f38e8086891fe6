#include "service/broker/convert.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/bytes/reader.h"
#include "core/sdp/key_mgmt.h"
#include "service/decode.h"

namespace mikey {
namespace service {
namespace keybroker {

namespace pb = ::mikey::broker::v1;

const char* ModeName(pb::Mode mode) {
  switch (mode) {
    case pb::MODE_PSK:
      return "PSK";
    case pb::MODE_PSK_NULL:
      return "PSK_NULL";
    case pb::MODE_DH:
      return "DH";
    case pb::MODE_DHHMAC:
      return "DHHMAC";
    case pb::MODE_PUBLIC_KEY:
      return "PUBLIC_KEY";
    case pb::MODE_RSA_R:
      return "RSA_R";
    default:
      return "";
  }
}

absl::StatusOr<Bytes> ExtractMikey(const pb::MikeyInput& input,
                                   absl::string_view field) {
  switch (input.input_case()) {
    case pb::MikeyInput::kMessage: {
      const std::string& m = input.message();
      if (m.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".message: empty"));
      }
      if (m.size() > kMaxDecodeInputSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".message: ", m.size(), " octets, more than the limit of ",
            kMaxDecodeInputSize));
      }
      return Bytes(m.begin(), m.end());
    }
    case pb::MikeyInput::kText: {
      const std::string& text = input.text();
      if (text.size() > kMaxDecodeInputSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".text: ", text.size(), " octets, more than the limit of ",
            kMaxDecodeInputSize));
      }
      absl::StatusOr<Bytes> wire = sdp::ExtractMikeyFromText(text);
      if (!wire.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".text: ", wire.status().message()));
      }
      return wire;
    }
    case pb::MikeyInput::INPUT_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": no MIKEY message given (set ", field,
                   ".message or ", field, ".text)"));
}

absl::StatusOr<HeaderPeek> PeekHeader(absl::Span<const uint8_t> message,
                                      absl::string_view field) {
  Reader r(message, 0, "HDR");
  uint8_t version = 0, next = 0, v_prf = 0;
  HeaderPeek out;
  absl::Status s = r.ReadU8("version", &version);
  if (s.ok() && version != 1) {
    s = r.ErrorAt(0, "version",
                  absl::StrCat(static_cast<int>(version), " (expected 1)"));
  }
  if (s.ok()) s = r.ReadU8("data type", &out.data_type);
  if (s.ok()) s = r.ReadU8("next payload", &next);
  if (s.ok()) s = r.ReadU8("V/PRF func", &v_prf);
  if (s.ok()) s = r.ReadU32("CSB ID", &out.csb_id);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", s.message()));
  }
  return out;
}

absl::StatusOr<const srtp::CryptoSuite*> SuiteByName(absl::string_view name,
                                                     absl::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": no SRTP crypto suite given"));
  }
  absl::StatusOr<const srtp::CryptoSuite*> suite = srtp::FindSuite(name);
  if (suite.ok()) return suite;
  std::vector<std::string> names;
  for (const srtp::CryptoSuite& s : srtp::AllSuites()) {
    names.emplace_back(s.name);
  }
  std::string shown(name.substr(0, 64));
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown SRTP crypto suite '", shown,
                   "' (known: ", absl::StrJoin(names, ", "), ")"));
}

absl::StatusOr<uint8_t> PrfFuncWire(pb::PrfFunc prf) {
  switch (prf) {
    case pb::PRF_FUNC_UNSPECIFIED:
    case pb::PRF_FUNC_MIKEY_1:
      return prf_func::kMikey1;
    case pb::PRF_FUNC_MIKEY_256:
      return prf_func::kMikey256;
    case pb::PRF_FUNC_MIKEY_384:
      return prf_func::kMikey384;
    case pb::PRF_FUNC_MIKEY_512:
      return prf_func::kMikey512;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("prf_func: unknown value ", static_cast<int>(prf)));
  }
}

namespace {

absl::Status CheckKdr(uint32_t kdr) {
  if (kdr == 0) return absl::OkStatus();
  if ((kdr & (kdr - 1)) != 0 || kdr > (1u << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_derivation_rate: ", kdr,
                     " (expected 0 or a power of 2 up to 2^24)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<StreamParams>> StreamsFromRequest(
    const pb::InitiateRequest& request) {
  if (absl::Status s = CheckKdr(request.key_derivation_rate()); !s.ok()) {
    return s;
  }
  if (request.streams_size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("streams: ", request.streams_size(),
                     " streams (a MIKEY message keys at most 255)"));
  }
  std::vector<StreamParams> out;
  pb::StreamSpec default_stream;
  const int n = request.streams_size() == 0 ? 1 : request.streams_size();
  for (int i = 0; i < n; ++i) {
    const pb::StreamSpec& spec =
        request.streams_size() == 0 ? default_stream : request.streams(i);
    const std::string& name =
        spec.suite().empty() ? request.suite() : spec.suite();
    const std::string field =
        spec.suite().empty()
            ? (request.streams_size() == 0
                   ? std::string("suite")
                   : absl::StrCat("suite (for streams[", i, "])"))
            : absl::StrCat("streams[", i, "].suite");
    absl::StatusOr<const srtp::CryptoSuite*> suite = SuiteByName(name, field);
    if (!suite.ok()) return suite.status();
    StreamParams p;
    p.ssrc = spec.ssrc();
    p.roc = spec.roc();
    p.policy.suite = *suite;
    p.policy.key_derivation_rate = request.key_derivation_rate();
    out.push_back(p);
  }
  return out;
}

absl::StatusOr<std::optional<IdPayload>> IdPayloadFrom(
    const std::string& id, absl::string_view field) {
  constexpr size_t kMaxIdLength = 1024;
  if (id.empty()) return std::optional<IdPayload>();
  if (id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", id.size(), " octets (at most ", kMaxIdLength, ")"));
  }
  IdPayload p;
  p.id_type = id_type::kUri;
  p.data.assign(id.begin(), id.end());
  return std::optional<IdPayload>(std::move(p));
}

void FillStreamKeys(const exchange::KeyResult& keys,
                    google::protobuf::RepeatedPtrField<pb::StreamKeys>* out) {
  for (const exchange::StreamKeys& s : keys.streams) {
    pb::StreamKeys* k = out->Add();
    k->set_ssrc(s.ssrc);
    k->set_roc(s.roc);
    if (s.suite != nullptr) k->set_suite(std::string(s.suite->name));
    k->set_master_key(reinterpret_cast<const char*>(s.master_key.data()),
                      s.master_key.size());
    k->set_master_salt(reinterpret_cast<const char*>(s.master_salt.data()),
                       s.master_salt.size());
    k->set_mki(std::string(s.mki.begin(), s.mki.end()));
    k->set_csb_id(s.csb_id);
    k->set_cs_id(s.cs_id);
    k->set_policy_no(s.policy_no);
    k->set_key_derivation_rate(s.policy.key_derivation_rate);
    k->set_srtp_encryption(s.policy.srtp_encryption);
    k->set_srtcp_encryption(s.policy.srtcp_encryption);
    k->set_srtp_authentication(s.policy.srtp_authentication);
  }
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
