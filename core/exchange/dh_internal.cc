#include "core/exchange/dh_internal.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/reader.h"
#include "core/bytes/secret_bytes.h"
#include "core/bytes/writer.h"
#include "core/crypto/dh.h"
#include "core/kdf/kdf.h"

namespace mikey {
namespace exchange {

// ---------------------------------------------------------------------------
// Public parts of dh_common.h.

std::vector<uint8_t> DefaultAllowedDhGroups() {
  return {dh_group::kOakley5, dh_group::kOakley2};
}

namespace {

// "MKDH" || version || data type || u16 key length || key ||
// [version 2: u8 key check length (16) || key check] || u32 I_MESSAGE length
// || I_MESSAGE.
constexpr uint8_t kStateMagic[4] = {'M', 'K', 'D', 'H'};
constexpr uint8_t kStateVersion1 = 1;  // no key check
constexpr uint8_t kStateVersion2 = 2;  // with a key check
// Far above any real I_MESSAGE (a few kilobytes with certificates); bounds
// what a forged state could make us allocate.
constexpr size_t kMaxStateMessage = 1 << 20;

}  // namespace

absl::StatusOr<SecretBytes> SerializeDhInitiatorState(
    const DhInitiatorState& state) {
  if (state.data_type != data_type::kDhInit &&
      state.data_type != data_type::kDhhmacInit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DH initiator state: data type ", static_cast<int>(state.data_type),
        " (expected 4 DH or 7 DHHMAC)"));
  }
  if (state.i_message.size() > kMaxStateMessage ||
      state.dh_private.size() > 0xFFFF) {
    return absl::InvalidArgumentError("DH initiator state: too large");
  }
  const bool with_check = !state.key_check.empty();
  if (with_check && state.key_check.size() != kDhKeyCheckOctets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DH initiator state: key check of ", state.key_check.size(),
        " octets (expected ", kDhKeyCheckOctets, ")"));
  }
  const size_t total = sizeof(kStateMagic) + 2 + 2 + state.dh_private.size() +
                       (with_check ? 1 + kDhKeyCheckOctets : 0) + 4 +
                       state.i_message.size();
  Writer w;
  w.Reserve(total);  // no reallocation: no stray copy of the private key
  w.AddBytes(kStateMagic);
  w.AddU8(with_check ? kStateVersion2 : kStateVersion1);
  w.AddU8(state.data_type);
  w.AddU16(static_cast<uint16_t>(state.dh_private.size()));
  w.AddBytes(state.dh_private.span());
  if (with_check) {
    w.AddU8(static_cast<uint8_t>(state.key_check.size()));
    w.AddBytes(state.key_check);
  }
  w.AddU32(static_cast<uint32_t>(state.i_message.size()));
  w.AddBytes(state.i_message);
  std::vector<uint8_t> bytes = std::move(w).Finish();
  SecretBytes out(bytes);
  SecureWipe(bytes.data(), bytes.size());
  return out;
}

absl::StatusOr<DhInitiatorState> ParseDhInitiatorState(
    absl::Span<const uint8_t> serialized) {
  Reader r(serialized, 0, "DH initiator state");
  absl::Span<const uint8_t> magic;
  uint8_t version = 0;
  DhInitiatorState state;
  if (absl::Status s = r.ReadBytes("magic", 4, &magic); !s.ok()) return s;
  if (!std::equal(magic.begin(), magic.end(), kStateMagic)) {
    return r.ErrorAt(0, "magic", "not a DH initiator state");
  }
  if (absl::Status s = r.ReadU8("version", &version); !s.ok()) return s;
  if (version != kStateVersion1 && version != kStateVersion2) {
    return r.Error("version", absl::StrCat("unknown version ", version));
  }
  if (absl::Status s = r.ReadU8("data type", &state.data_type); !s.ok()) {
    return s;
  }
  if (state.data_type != data_type::kDhInit &&
      state.data_type != data_type::kDhhmacInit) {
    return r.Error("data type", "expected 4 (DH) or 7 (DHHMAC)");
  }
  uint16_t key_len = 0;
  absl::Span<const uint8_t> key;
  if (absl::Status s = r.ReadU16("private key length", &key_len); !s.ok()) {
    return s;
  }
  if (absl::Status s = r.ReadBytes("private key", key_len, &key); !s.ok()) {
    return s;
  }
  state.dh_private = SecretBytes(key);
  if (version == kStateVersion2) {
    uint8_t check_len = 0;
    absl::Span<const uint8_t> check;
    if (absl::Status s = r.ReadU8("key check length", &check_len); !s.ok()) {
      return s;
    }
    if (check_len != kDhKeyCheckOctets) {
      return r.Error("key check length", absl::StrCat(check_len, " (expected ",
                                                      kDhKeyCheckOctets, ")"));
    }
    if (absl::Status s = r.ReadBytes("key check", check_len, &check); !s.ok()) {
      return s;
    }
    state.key_check.assign(check.begin(), check.end());
  }
  uint32_t msg_len = 0;
  absl::Span<const uint8_t> msg;
  if (absl::Status s = r.ReadU32("I_MESSAGE length", &msg_len); !s.ok()) {
    return s;
  }
  if (msg_len > kMaxStateMessage) {
    return r.Error("I_MESSAGE length", "too large");
  }
  if (absl::Status s = r.ReadBytes("I_MESSAGE", msg_len, &msg); !s.ok()) {
    return s;
  }
  if (!r.empty()) return r.Error("end", "trailing octets");
  state.i_message.assign(msg.begin(), msg.end());
  return state;
}

namespace dh_internal {

using exchange_internal::AppendSupportedPolicies;
using exchange_internal::CheckNtpWindow;
using exchange_internal::CheckPrfFunc;
using exchange_internal::CheckRandLength;
using exchange_internal::ChooseCsbId;
using exchange_internal::CommitReplayId;
using exchange_internal::DeriveStreams;
using exchange_internal::FirstTimestamp;
using exchange_internal::kMinRandLength;
using exchange_internal::PolicyFor;
using exchange_internal::ReceivedPrf;
using exchange_internal::Refuse;
using exchange_internal::ResponderTimestamp;
using exchange_internal::SecurityPolicies;
using exchange_internal::StreamPolicies;
using exchange_internal::SupportedPrf;
using exchange_internal::TimestampWire;

namespace {

// CERT payloads accepted in one message (a leaf and its intermediates).
constexpr size_t kMaxCertPayloads = 10;

const char* Shape(uint8_t data_type) {
  switch (data_type) {
    case data_type::kDhInit:
      return "HDR, T, RAND, [IDi|CERTi], [IDr], {SP}, DHi, SIGNi";
    case data_type::kDhResp:
      return "HDR, T, [IDr|CERTr], IDi, DHr, DHi, SIGNr";
    case data_type::kDhhmacInit:
      return "HDR, T, RAND, [IDi], IDr, {SP}, DHi, KEMAC";
    case data_type::kDhhmacResp:
      return "HDR, T, [IDr], IDi, DHr, DHi, KEMAC";
  }
  return "?";
}

absl::Status WrongDataType(const Message& m, uint8_t expected) {
  return absl::InvalidArgumentError(absl::StrCat(
      "HDR: data type ", static_cast<int>(m.header.data_type), " (",
      DataTypeName(m.header.data_type), "), expected ",
      static_cast<int>(expected), " (", DataTypeName(expected), ")"));
}

std::string Where(const Message& m, const MessageLayout& layout, size_t i) {
  return absl::StrCat(PayloadName(PayloadTypeOf(m.payloads[i])), " payload #",
                      i + 1, " at offset ", layout.payloads[i].begin);
}

template <typename T>
const T& At(const Message& m, size_t i) {
  return std::get<T>(m.payloads[i]);
}

std::vector<Bytes> CertDataOf(const Message& m,
                              const std::vector<size_t>& certs) {
  std::vector<Bytes> out;
  for (size_t i : certs) out.push_back(At<CertPayload>(m, i).data);
  return out;
}

bool SameId(const IdPayload& a, const IdPayload& b) {
  return a.id_type == b.id_type && a.data == b.data;
}

}  // namespace

absl::Status RefuseWith(Refusal* refusal, absl::Status status,
                        std::optional<uint8_t> error_no) {
  *refusal = Refuse(status, error_no);
  return status;
}

std::optional<DhGroup> DhGroupFromWire(uint8_t group) {
  switch (group) {
    case dh_group::kOakley5:
      return DhGroup::kModp1536;
    case dh_group::kOakley1:
      return DhGroup::kModp768;
    case dh_group::kOakley2:
      return DhGroup::kModp1024;
    case dh_group::kX25519Private:
      return DhGroup::kX25519;
  }
  return std::nullopt;
}

uint8_t WireDhGroup(DhGroup group) {
  switch (group) {
    case DhGroup::kModp1536:
      return dh_group::kOakley5;
    case DhGroup::kModp768:
      return dh_group::kOakley1;
    case DhGroup::kModp1024:
      return dh_group::kOakley2;
    case DhGroup::kX25519:
      return dh_group::kX25519Private;
  }
  return dh_group::kOakley5;
}

// ---------------------------------------------------------------------------
// Message shapes.

const TimestampPayload& DhIMessage::T() const {
  return At<TimestampPayload>(m, t);
}
absl::Span<const uint8_t> DhIMessage::Rand() const {
  return At<RandPayload>(m, rand).rand;
}
const DhPayload& DhIMessage::Dh() const { return At<DhPayload>(m, dh); }
const IdPayload* DhIMessage::IdI() const {
  return id_i ? &At<IdPayload>(m, *id_i) : nullptr;
}
const IdPayload* DhIMessage::IdR() const {
  return id_r ? &At<IdPayload>(m, *id_r) : nullptr;
}
absl::Span<const uint8_t> DhIMessage::IdIData() const {
  return id_i ? absl::MakeConstSpan(IdI()->data) : absl::Span<const uint8_t>();
}
absl::Span<const uint8_t> DhIMessage::IdRData() const {
  return id_r ? absl::MakeConstSpan(IdR()->data) : absl::Span<const uint8_t>();
}
std::vector<Bytes> DhIMessage::CertData() const { return CertDataOf(m, certs); }

const TimestampPayload& DhRMessage::T() const {
  return At<TimestampPayload>(m, t);
}
const DhPayload& DhRMessage::DhR() const { return At<DhPayload>(m, dh_r); }
const DhPayload& DhRMessage::DhI() const { return At<DhPayload>(m, dh_i); }
const IdPayload* DhRMessage::IdI() const {
  return id_i ? &At<IdPayload>(m, *id_i) : nullptr;
}
const IdPayload* DhRMessage::IdR() const {
  return id_r ? &At<IdPayload>(m, *id_r) : nullptr;
}
std::vector<Bytes> DhRMessage::CertData() const { return CertDataOf(m, certs); }

absl::StatusOr<DhIMessage> ParseDhIMessage(absl::Span<const uint8_t> wire,
                                           uint8_t data_type,
                                           uint8_t auth_payload,
                                           bool* wrong_data_type) {
  DhIMessage im;
  absl::StatusOr<Message> parsed = ParseMessage(wire, &im.layout);
  if (!parsed.ok()) return parsed.status();
  im.m = *std::move(parsed);
  if (im.m.header.data_type != data_type) {
    if (wrong_data_type != nullptr) *wrong_data_type = true;
    return WrongDataType(im.m, data_type);
  }
  const std::string shape =
      absl::StrCat(DataTypeName(data_type), " (", Shape(data_type), ")");
  const bool dhhmac = auth_payload == payload_type::kKemac;
  std::optional<size_t> t, rand, dh, auth;
  std::vector<size_t> ids;
  for (size_t i = 0; i < im.m.payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(im.m.payloads[i]);
    const auto once = [&](std::optional<size_t>* slot) -> absl::Status {
      if (slot->has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(im.m, im.layout, i), ": repeated in a ", shape));
      }
      *slot = i;
      return absl::OkStatus();
    };
    absl::Status s;
    if (type == auth_payload) {
      s = once(&auth);
    } else if (type == payload_type::kT) {
      s = once(&t);
    } else if (type == payload_type::kRand) {
      s = once(&rand);
    } else if (type == payload_type::kDh) {
      s = once(&dh);
    } else if (type == payload_type::kId) {
      if (ids.size() == 2) {
        s = absl::InvalidArgumentError(absl::StrCat(
            Where(im.m, im.layout, i),
            ": a third ID payload (at most IDi and IDr) in a ", shape));
      }
      ids.push_back(i);
    } else if (type == payload_type::kCert && dhhmac) {
      // RFC 4650 §4.3: "For DHHMAC, this payload SHALL only hold a
      // non-certificate-based identity"; CERT is not in its Table 4.1.b.
      s = absl::InvalidArgumentError(absl::StrCat(
          Where(im.m, im.layout, i), ": not allowed in a ", shape));
    } else if (type == payload_type::kCert) {
      if (im.certs.size() == kMaxCertPayloads) {
        s = absl::InvalidArgumentError(
            absl::StrCat(Where(im.m, im.layout, i), ": more than ",
                         kMaxCertPayloads, " CERT payloads"));
      }
      im.certs.push_back(i);
    } else if (type != payload_type::kSp && type != payload_type::kIdr &&
               type != payload_type::kGeneralExtension) {
      s = absl::InvalidArgumentError(absl::StrCat(
          Where(im.m, im.layout, i), ": not allowed in a ", shape));
    }
    if (!s.ok()) return s;
  }
  const auto missing = [&](const char* what) {
    return absl::InvalidArgumentError(
        absl::StrCat(DataTypeName(data_type), ": no ", what, " payload"));
  };
  if (!t) return missing("T");
  if (!rand) return missing("RAND");
  if (!dh) return missing("DH");
  if (!auth) return missing(PayloadName(auth_payload));
  if (*auth + 1 != im.m.payloads.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(im.m, im.layout, *auth),
                     ": must be the last payload of a ", shape));
  }
  if (*dh > *auth) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(im.m, im.layout, *dh), ": DHi after the ",
                     PayloadName(auth_payload), " payload"));
  }
  // DH: [IDi|CERTi], [IDr]: an ID after the CERT payloads, with no ID
  // before them, is IDr (the certificate stands in for IDi). DHHMAC (RFC 4650
  // §3): "[IDi], IDr" -- "The initiator SHALL always include the recipient's
  // identity", IDi is the optional one, so a single ID payload is IDr.
  if (ids.size() == 2) {
    im.id_i = ids[0];
    im.id_r = ids[1];
  } else if (ids.size() == 1) {
    if (dhhmac || (!im.certs.empty() && ids[0] > im.certs.front())) {
      im.id_r = ids[0];
    } else {
      im.id_i = ids[0];
    }
  }
  im.t = *t;
  im.rand = *rand;
  im.dh = *dh;
  im.auth = *auth;
  return im;
}

absl::StatusOr<DhRMessage> ParseDhRMessage(absl::Span<const uint8_t> wire,
                                           uint8_t data_type,
                                           uint8_t auth_payload) {
  DhRMessage rm;
  absl::StatusOr<Message> parsed = ParseMessage(wire, &rm.layout);
  if (!parsed.ok()) return parsed.status();
  rm.m = *std::move(parsed);
  if (rm.m.header.data_type != data_type) {
    return WrongDataType(rm.m, data_type);
  }
  const std::string shape =
      absl::StrCat(DataTypeName(data_type), " (", Shape(data_type), ")");
  std::optional<size_t> t, auth;
  std::vector<size_t> ids, dhs;
  for (size_t i = 0; i < rm.m.payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(rm.m.payloads[i]);
    absl::Status s;
    if (type == auth_payload && !auth) {
      auth = i;
    } else if (type == payload_type::kT && !t) {
      t = i;
    } else if (type == payload_type::kDh && dhs.size() < 2) {
      dhs.push_back(i);
    } else if (type == payload_type::kId && ids.size() < 2) {
      ids.push_back(i);
    } else if (type == payload_type::kCert &&
               auth_payload != payload_type::kKemac &&
               rm.certs.size() < kMaxCertPayloads) {
      rm.certs.push_back(i);  // DH only: DHHMAC has no CERT (RFC 4650 §4.3)
    } else if (type != payload_type::kSp && type != payload_type::kIdr &&
               type != payload_type::kGeneralExtension) {
      // SP is not part of the R_MESSAGE but some peers (minisip) echo it;
      // it is covered by the MAC / signature and ignored.
      s = absl::InvalidArgumentError(
          absl::StrCat(Where(rm.m, rm.layout, i),
                       ": not allowed (or repeated) in a ", shape));
    }
    if (!s.ok()) return s;
  }
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat(DataTypeName(data_type), ": no T payload"));
  }
  if (dhs.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(DataTypeName(data_type), ": ", dhs.size(),
                     " DH payloads (expected DHr and DHi)"));
  }
  if (!auth) {
    return absl::InvalidArgumentError(
        absl::StrCat(DataTypeName(data_type), ": no ",
                     PayloadName(auth_payload), " payload"));
  }
  if (*auth + 1 != rm.m.payloads.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(rm.m, rm.layout, *auth),
                     ": must be the last payload of a ", shape));
  }
  if (ids.size() == 2) {
    rm.id_r = ids[0];
    rm.id_i = ids[1];
  } else if (ids.size() == 1) {
    rm.id_i = ids[0];
  }
  rm.t = *t;
  rm.dh_r = dhs[0];
  rm.dh_i = dhs[1];
  rm.auth = *auth;
  return rm;
}

// ---------------------------------------------------------------------------
// Initiator.

absl::StatusOr<Message> BuildIMessage(const DhInitiatorCommon& options,
                                      uint8_t data_type,
                                      absl::string_view caller,
                                      const Clock& clock, RandomSource& rng,
                                      std::optional<DhKeyPair>* key_pair) {
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> policies =
      StreamPolicies(caller, options.streams);
  if (!policies.ok()) return policies.status();
  if (absl::Status s = CheckPrfFunc(caller, options.prf_func).status();
      !s.ok()) {
    return s;
  }
  std::optional<DhGroup> group = DhGroupFromWire(options.dh_group);
  if (!group) {
    return absl::InvalidArgumentError(absl::StrCat(
        caller, ": DH group ", static_cast<int>(options.dh_group),
        " not supported (0 OAKLEY 5, 1 OAKLEY 1, 2 OAKLEY 2, 255 X25519)"));
  }
  if (absl::Status s = CheckRandLength(caller, options.rand_length); !s.ok()) {
    return s;
  }
  const bool dhhmac = data_type == data_type::kDhhmacInit;
  if (!dhhmac && options.id_r && !options.id_i && options.certs_i.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        caller, ": IDr without IDi or CERTi (the first ID payload is IDi)"));
  }
  if (dhhmac && options.id_i && !options.id_r) {
    // "[IDi], IDr" (RFC 4650 §3): a lone ID payload is IDr.
    return absl::InvalidArgumentError(absl::StrCat(
        caller,
        ": IDi without IDr (RFC 4650 §3: the Initiator SHALL always include "
        "the Responder's identity; a single ID payload is IDr)"));
  }
  if (dhhmac && !options.certs_i.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(caller, ": DHHMAC carries no CERT payload"));
  }
  if (options.certs_i.size() > kMaxCertPayloads) {
    return absl::InvalidArgumentError(absl::StrCat(
        caller, ": more than ", kMaxCertPayloads, " certificates"));
  }

  absl::StatusOr<uint32_t> csb_id = ChooseCsbId(options.csb_id, rng);
  if (!csb_id.ok()) return csb_id.status();
  absl::StatusOr<Bytes> rand = RandomBytes(rng, options.rand_length);
  if (!rand.ok()) return rand.status();
  absl::StatusOr<DhKeyPair> kp = DhKeyPair::Generate(*group, rng);
  if (!kp.ok()) return kp.status();

  Message m;
  m.header.version = 1;
  m.header.data_type = data_type;
  // The response is mandatory in the DH modes and receivers ignore V; it is
  // set as minisip sets it.
  m.header.v_flag = true;
  m.header.prf_func = options.prf_func;
  m.header.csb_id = *csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  SecurityPolicies(*policies, options.sp_dialect, &sps, &policy_nos);
  for (size_t i = 0; i < options.streams.size(); ++i) {
    m.header.srtp_map.push_back(SrtpCsEntry{
        policy_nos[i], options.streams[i].ssrc, options.streams[i].roc});
  }
  m.payloads.push_back(TimestampPayload{ts_type::kNtpUtc, clock.NowNtp()});
  m.payloads.push_back(RandPayload{*std::move(rand)});
  if (options.id_i) m.payloads.push_back(*options.id_i);
  for (const Bytes& cert : options.certs_i) {
    m.payloads.push_back(CertPayload{cert_type::kX509v3, cert});
  }
  if (options.id_r) m.payloads.push_back(*options.id_r);
  for (SecurityPolicyPayload& sp : sps) m.payloads.push_back(std::move(sp));
  DhPayload dh;
  dh.group = options.dh_group;
  dh.value = kp->public_value();
  dh.validity = options.tgk_validity;
  m.payloads.push_back(std::move(dh));
  key_pair->emplace(*std::move(kp));
  return m;
}

absl::StatusOr<DhInitiatorState> MakeInitiatorState(uint8_t data_type,
                                                    Bytes i_message,
                                                    const DhKeyPair& key_pair) {
  DhInitiatorState state;
  state.data_type = data_type;
  state.dh_private = key_pair.private_value();
  absl::StatusOr<std::vector<uint8_t>> check =
      DhKeyCheck(key_pair.group(), key_pair.private_value().span(),
                 key_pair.public_value());
  if (!check.ok()) return check.status();
  state.key_check = *std::move(check);
  state.i_message = std::move(i_message);
  return state;
}

absl::StatusOr<RestoredInitiator> RestoreInitiator(
    const DhInitiatorState& state, uint8_t data_type, uint8_t auth_payload) {
  if (state.data_type != data_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initiator state of data type ", static_cast<int>(state.data_type),
        " given for data type ", static_cast<int>(data_type)));
  }
  absl::StatusOr<DhIMessage> im =
      ParseDhIMessage(state.i_message, data_type, auth_payload, nullptr);
  if (!im.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("initiator state: I_MESSAGE: ", im.status().message()));
  }
  std::optional<DhGroup> group = DhGroupFromWire(im->Dh().group);
  if (!group) {
    return absl::InvalidArgumentError("initiator state: unknown DH group");
  }
  constexpr char kMismatch[] =
      "initiator state: the private key does not belong to the I_MESSAGE's "
      "DHi";
  if (!state.key_check.empty()) {
    // The tag Initiate computed: no exponentiation needed.
    absl::StatusOr<std::vector<uint8_t>> check =
        DhKeyCheck(*group, state.dh_private.span(), im->Dh().value);
    if (!check.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("initiator state: ", check.status().message()));
    }
    if (!ConstantTimeEquals(*check, state.key_check)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kMismatch, " (key check mismatch)"));
    }
  } else {
    absl::StatusOr<DhKeyPair> kp =
        DhKeyPair::FromPrivateValue(*group, state.dh_private.span());
    if (!kp.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("initiator state: ", kp.status().message()));
    }
    if (kp->public_value() != im->Dh().value) {
      return absl::InvalidArgumentError(kMismatch);
    }
  }
  return RestoredInitiator{*std::move(im), *group, state.dh_private};
}

absl::StatusOr<KeyResult> CompleteAgreement(const RestoredInitiator& init,
                                            const DhRMessage& rm,
                                            const Clock& clock,
                                            absl::Duration max_clock_skew) {
  const DhIMessage& im = init.im;
  const CommonHeader& ih = im.m.header;
  const CommonHeader& rh = rm.m.header;
  const char* what = DataTypeName(rh.data_type);
  if (rh.csb_id != ih.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": HDR: CSB ID ", rh.csb_id,
                     " does not match the I_MESSAGE's ", ih.csb_id));
  }
  if (rh.prf_func != ih.prf_func) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": HDR: PRF func ", static_cast<int>(rh.prf_func),
        " differs from the I_MESSAGE's ", static_cast<int>(ih.prf_func)));
  }
  if (rh.cs_id_map_type != ih.cs_id_map_type ||
      rh.srtp_map.size() != ih.srtp_map.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": HDR: the CS ID map differs from the I_MESSAGE's"));
  }
  // The Responder may fill in SSRCs the Initiator left 0 (RFC 3830 §6.1.1);
  // nothing else may change.
  std::vector<SrtpCsEntry> entries = ih.srtp_map;
  for (size_t i = 0; i < entries.size(); ++i) {
    const SrtpCsEntry& r = rh.srtp_map[i];
    if (r.policy_no != entries[i].policy_no || r.roc != entries[i].roc ||
        (entries[i].ssrc != 0 && r.ssrc != entries[i].ssrc)) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": HDR: CS ID map entry ", i + 1,
                       " differs from the I_MESSAGE's"));
    }
    entries[i].ssrc = r.ssrc;
  }
  const DhPayload& dh_i = rm.DhI();
  if (dh_i.group != im.Dh().group || dh_i.value != im.Dh().value) {
    return absl::FailedPreconditionError(absl::StrCat(
        what,
        ": DHi does not echo this exchange's DH value (an answer to "
        "another I_MESSAGE)"));
  }
  if (rm.DhR().group != dh_i.group) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": DHr is in group ", static_cast<int>(rm.DhR().group),
        ", DHi in group ", static_cast<int>(dh_i.group)));
  }
  if (const IdPayload* sent = im.IdI(); sent != nullptr) {
    const IdPayload* echoed = rm.IdI();
    if (echoed == nullptr || !SameId(*sent, *echoed)) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": IDi ", echoed == nullptr ? "missing" : "differs from ours"));
    }
  }
  if (std::optional<Refusal> refusal =
          CheckNtpWindow(rm.T(), clock, max_clock_skew, what)) {
    return refusal->status;
  }
  absl::StatusOr<SecretBytes> tgk =
      DhSharedSecret(init.group, init.private_value.span(), rm.DhR().value);
  if (!tgk.ok()) {
    return absl::Status(tgk.status().code(),
                        absl::StrCat(what, ": DHr: ", tgk.status().message()));
  }
  std::optional<HashAlg> prf = SupportedPrf(ih.prf_func);
  if (!prf) return absl::InternalError("I_MESSAGE with unsupported PRF");
  std::vector<srtp::SrtpPolicy> policies;
  for (const SrtpCsEntry& e : ih.srtp_map) {
    std::optional<uint8_t> err;
    absl::StatusOr<srtp::SrtpPolicy> p = PolicyFor(im.m, e.policy_no, {}, &err);
    if (!p.ok()) return p.status();
    policies.push_back(*p);
  }
  const KeyValidity& kv = im.Dh().validity;
  const Bytes mki = kv.type == key_validity::kSpi ? kv.spi : Bytes();
  return DeriveStreams(*prf, tgk->span(), ih.csb_id, im.Rand(), entries,
                       policies, mki);
}

// ---------------------------------------------------------------------------
// Responder.

absl::Status CheckIMessageBasics(const DhIMessage& im, Refusal* refusal) {
  const CommonHeader& hdr = im.m.header;
  if (absl::StatusOr<HashAlg> prf = ReceivedPrf(hdr, refusal); !prf.ok()) {
    return prf.status();
  }
  if (im.Rand().size() < kMinRandLength) {
    return RefuseWith(refusal,
                      absl::InvalidArgumentError(absl::StrCat(
                          "RAND payload: ", im.Rand().size(),
                          " octets, at least ", kMinRandLength, " needed")),
                      std::nullopt);
  }
  if (hdr.cs_id_map_type != cs_id_map_type::kSrtpId) {
    return RefuseWith(
        refusal,
        absl::UnimplementedError(absl::StrCat(
            "HDR: CS ID map type ", static_cast<int>(hdr.cs_id_map_type),
            " not supported (0 SRTP-ID)")),
        error_no::kUnspecified);
  }
  if (hdr.srtp_map.empty()) {
    return RefuseWith(refusal,
                      absl::InvalidArgumentError(
                          "HDR: the SRTP-ID map has no crypto session"),
                      error_no::kUnspecified);
  }
  return absl::OkStatus();
}

absl::StatusOr<ResponderAgreement> RespondAgreement(
    const DhIMessage& im, const ResponderLimits& limits, const Clock& clock,
    RandomSource& rng, Refusal* refusal) {
  const CommonHeader& hdr = im.m.header;
  const char* what = DataTypeName(hdr.data_type);
  if (std::optional<Refusal> r =
          CheckNtpWindow(im.T(), clock, limits.max_clock_skew, what)) {
    *refusal = *r;
    return r->status;
  }
  const DhPayload& dh = im.Dh();
  std::optional<DhGroup> group = DhGroupFromWire(dh.group);
  const bool allowed = std::find(limits.allowed_dh_groups.begin(),
                                 limits.allowed_dh_groups.end(),
                                 dh.group) != limits.allowed_dh_groups.end();
  if (!group || !allowed) {
    return RefuseWith(refusal,
                      absl::FailedPreconditionError(absl::StrCat(
                          "DHi payload: DH group ", static_cast<int>(dh.group),
                          " (", group ? DhGroupName(*group) : "unknown",
                          ") not accepted by local policy")),
                      error_no::kInvalidDh);
  }
  if (absl::Status s = ValidateDhPublicValue(*group, dh.value); !s.ok()) {
    return RefuseWith(refusal,
                      absl::InvalidArgumentError(absl::StrCat(
                          "DHi payload at offset ",
                          im.layout.payloads[im.dh].begin, ": ", s.message())),
                      error_no::kInvalidDh);
  }
  std::vector<srtp::SrtpPolicy> policies;
  for (const SrtpCsEntry& e : hdr.srtp_map) {
    std::optional<uint8_t> err;
    absl::StatusOr<srtp::SrtpPolicy> p =
        PolicyFor(im.m, e.policy_no, limits.allowed_suites, &err);
    if (!p.ok()) return RefuseWith(refusal, p.status(), err);
    policies.push_back(*p);
  }
  absl::StatusOr<DhKeyPair> kp = DhKeyPair::Generate(*group, rng);
  if (!kp.ok()) return RefuseWith(refusal, kp.status(), std::nullopt);
  absl::StatusOr<SecretBytes> tgk = kp->SharedSecret(dh.value);
  if (!tgk.ok()) {
    return RefuseWith(
        refusal,
        absl::Status(tgk.status().code(),
                     absl::StrCat("DHi payload: ", tgk.status().message())),
        error_no::kInvalidDh);
  }
  std::optional<HashAlg> prf = SupportedPrf(hdr.prf_func);
  const Bytes mki =
      dh.validity.type == key_validity::kSpi ? dh.validity.spi : Bytes();
  absl::StatusOr<KeyResult> keys = DeriveStreams(
      *prf, tgk->span(), hdr.csb_id, im.Rand(), hdr.srtp_map, policies, mki);
  if (!keys.ok()) return RefuseWith(refusal, keys.status(), std::nullopt);
  ResponderAgreement out;
  out.keys = *std::move(keys);
  out.key_pair.emplace(*std::move(kp));
  return out;
}

Message BuildRMessage(const DhIMessage& im, uint8_t data_type,
                      const DhKeyPair& key_pair,
                      const std::optional<IdPayload>& id_r,
                      const std::vector<Bytes>& certs_r,
                      const std::optional<IdPayload>& id_i_fallback,
                      const Clock& clock) {
  Message r;
  r.header = im.m.header;
  r.header.data_type = data_type;
  r.header.v_flag = false;
  // RFC 3830 §3.3: "The timestamp that is included in the answer is the same
  // as the one included in the Initiator's message" (RFC 4650 §3 likewise:
  // "sends an HMACed message including g^(xr) and the timestamp").
  r.payloads.push_back(im.T());
  if (id_r) r.payloads.push_back(*id_r);
  for (const Bytes& cert : certs_r) {
    r.payloads.push_back(CertPayload{cert_type::kX509v3, cert});
  }
  if (const IdPayload* id_i = im.IdI()) {
    r.payloads.push_back(*id_i);
  } else if (id_i_fallback) {
    r.payloads.push_back(*id_i_fallback);
  }
  DhPayload dh_r;
  dh_r.group = im.Dh().group;
  dh_r.value = key_pair.public_value();
  dh_r.validity = im.Dh().validity;
  r.payloads.push_back(std::move(dh_r));
  r.payloads.push_back(im.Dh());
  return r;
}

namespace {

Message ErrorSkeleton(const CommonHeader& header, const TimestampPayload* t_i,
                      uint8_t error_no, const Clock& clock) {
  Message e;
  e.header = header;
  e.header.data_type = data_type::kError;
  e.header.v_flag = false;
  e.payloads.push_back(ResponderTimestamp(t_i, clock));
  e.payloads.push_back(ErrorPayload{error_no, 0});
  return e;
}

}  // namespace

Message ErrorMessageSkeleton(const DhIMessage& im, uint8_t error_no,
                             absl::Span<const srtp::CryptoSuite* const> allowed,
                             const Clock& clock) {
  Message e = ErrorSkeleton(im.m.header, &im.T(), error_no, clock);
  AppendSupportedPolicies(&e, error_no, allowed, srtp::SpDialect::kRfc3830);
  return e;
}

Bytes InvalidDataTypeReply(absl::Span<const uint8_t> wire, const Clock& clock) {
  absl::StatusOr<Message> m = ParseMessage(wire);
  if (!m.ok()) return {};
  absl::StatusOr<Bytes> out = SerializeMessage(ErrorSkeleton(
      m->header, FirstTimestamp(*m), error_no::kInvalidDt, clock));
  return out.ok() ? *std::move(out) : Bytes();
}

absl::Status CommitReplay(const DhIMessage& im, absl::string_view prefix,
                          absl::Span<const uint8_t> auth_field,
                          replay::ReplayCache* cache,
                          absl::Duration max_clock_skew, const Clock& clock,
                          Refusal* refusal) {
  if (cache == nullptr) return absl::OkStatus();
  std::string id(prefix);
  const uint32_t csb = im.m.header.csb_id;
  for (int i = 3; i >= 0; --i) id.push_back(static_cast<char>(csb >> (8 * i)));
  const Bytes t = TimestampWire(im.T());
  id.append(t.begin(), t.end());
  const absl::Span<const uint8_t> rand = im.Rand();
  id.push_back(static_cast<char>(rand.size()));
  id.append(rand.begin(), rand.end());
  const absl::Span<const uint8_t> tag =
      auth_field.first(std::min<size_t>(auth_field.size(), 32));
  id.append(tag.begin(), tag.end());
  return CommitReplayId(*cache, id, im.T().value, max_clock_skew, clock,
                        DataTypeName(im.m.header.data_type), refusal);
}

}  // namespace dh_internal
}  // namespace exchange
}  // namespace mikey
