#include "core/exchange/null_mode.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/random.h"
#include "core/exchange/internal.h"

namespace mikey {
namespace exchange {

using exchange_internal::CheckNtpWindow;
using exchange_internal::ChooseCsbId;
using exchange_internal::PolicyFor;
using exchange_internal::Refusal;
using exchange_internal::SecurityPolicies;
using exchange_internal::StreamPolicies;

namespace {

constexpr size_t kNullMkiLength = 4;  // what Live555 requires
constexpr size_t kRandLength = 16;

// The master key and salt of `kd` for `suite`.
absl::Status SplitKeyData(const KeyDataPayload& kd,
                          const srtp::CryptoSuite& suite, size_t index,
                          StreamKeys* s) {
  const size_t mk = suite.master_key_length;
  const size_t ms = suite.master_salt_length;
  const std::string where = absl::StrCat("KEMAC key data #", index + 1);
  if (kd.type == key_data_type::kTek) {
    // key || salt in one field (GStreamer, Live555, gortsplib).
    if (kd.key.size() != mk + ms) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": TEK of ", kd.key.size(), " octets; ",
                       suite.name, " needs key || salt = ", mk + ms));
    }
    s->master_key = SecretBytes(kd.key.span().first(mk));
    s->master_salt = SecretBytes(kd.key.span().subspan(mk));
    return absl::OkStatus();
  }
  if (kd.type == key_data_type::kTekSalt) {
    if (kd.key.size() != mk || !kd.salt || kd.salt->size() != ms) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": TEK+SALT of ", kd.key.size(), " + ",
                       kd.salt ? kd.salt->size() : 0, " octets; ", suite.name,
                       " needs ", mk, " + ", ms));
    }
    s->master_key = kd.key;
    s->master_salt = *kd.salt;
    return absl::OkStatus();
  }
  return absl::UnimplementedError(absl::StrCat(
      where, ": key data type ", static_cast<int>(kd.type),
      " (TGK) in a MIKEY-NULL message; only TEK (2) and TEK+SALT (3) are "
      "accepted"));
}

}  // namespace

namespace exchange_internal {

absl::StatusOr<KeyResult> KeysFromNullMessage(
    const Message& m, const MessageLayout& layout,
    const NullResponderOptions& options, const Clock& clock) {
  if (m.header.data_type != data_type::kPskInit) {
    return absl::InvalidArgumentError(
        absl::StrCat("HDR: data type ", static_cast<int>(m.header.data_type),
                     ", expected 0 (PSK I_MESSAGE)"));
  }
  std::optional<size_t> kemac_index = IndexOf<KemacPayload>(m);
  if (!kemac_index) {
    return absl::InvalidArgumentError("MIKEY-NULL: no KEMAC payload");
  }
  const KemacPayload& kemac = std::get<KemacPayload>(m.payloads[*kemac_index]);
  if (kemac.encr_alg != encr_alg::kNull || kemac.mac_alg != mac_alg::kNull) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEMAC: encryption ", static_cast<int>(kemac.encr_alg),
                     ", MAC ", static_cast<int>(kemac.mac_alg),
                     ": not a MIKEY-NULL message (both must be NULL)"));
  }
  size_t kemacs = 0, t_count = 0;
  const TimestampPayload* t = nullptr;
  for (const Payload& p : m.payloads) {
    if (std::holds_alternative<KemacPayload>(p)) ++kemacs;
    if (const auto* tp = std::get_if<TimestampPayload>(&p)) {
      if (t_count++ == 0) t = tp;
    }
  }
  if (kemacs != 1) {
    return absl::InvalidArgumentError("MIKEY-NULL: more than one KEMAC");
  }

  // Timestamp.
  if (t_count > 1) {
    return absl::InvalidArgumentError("MIKEY-NULL: more than one T payload");
  }
  if (options.check_timestamp) {
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          "MIKEY-NULL: no T payload (timestamp check enabled)");
    }
    if (std::optional<Refusal> r =
            CheckNtpWindow(*t, clock, options.max_clock_skew, "MIKEY-NULL")) {
      return r->status;
    }
  }

  // Crypto sessions.
  const SrtpCsEntry default_entry{};  // one stream, SSRC 0
  absl::Span<const SrtpCsEntry> entries;
  if (m.header.cs_id_map_type == cs_id_map_type::kSrtpId) {
    entries = m.header.srtp_map;
  } else if (m.header.cs_id_map_type != cs_id_map_type::kEmpty) {
    return absl::UnimplementedError(absl::StrCat(
        "HDR: CS ID map type ", static_cast<int>(m.header.cs_id_map_type),
        " not supported (0 SRTP-ID, 1 empty)"));
  }
  if (entries.empty()) entries = absl::MakeConstSpan(&default_entry, 1);

  // Key data: one shared, or one per crypto session.
  const size_t encr_offset = layout.payloads[*kemac_index].begin + 4;
  absl::StatusOr<std::vector<KeyDataPayload>> kd =
      ParseKeyDataList(kemac.encr_data, encr_offset);
  if (!kd.ok()) return kd.status();
  if (kd->size() != 1 && kd->size() != entries.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KEMAC: ", kd->size(), " key data sub-payloads for ", entries.size(),
        " crypto sessions (expected 1, shared, or one per session)"));
  }

  KeyResult result;
  result.csb_id = m.header.csb_id;
  result.streams.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    // Crypto sessions that name the same SP share its policy: decode it once.
    size_t same = 0;
    while (same < i && entries[same].policy_no != entries[i].policy_no) ++same;
    absl::StatusOr<srtp::SrtpPolicy> policy;
    if (same < i) {
      policy = result.streams[same].policy;
    } else {
      std::optional<uint8_t> err;
      policy = PolicyFor(m, entries[i].policy_no, options.allowed_suites, &err);
    }
    if (!policy.ok()) return policy.status();
    const size_t k = kd->size() == 1 ? 0 : i;
    const KeyDataPayload& key = (*kd)[k];
    StreamKeys s;
    s.ssrc = entries[i].ssrc;
    s.roc = entries[i].roc;
    s.policy_no = entries[i].policy_no;
    s.cs_id = static_cast<uint8_t>(i + 1);
    s.csb_id = m.header.csb_id;
    s.suite = policy->suite;
    s.policy = *policy;
    if (absl::Status st = SplitKeyData(key, *policy->suite, k, &s); !st.ok()) {
      return st;
    }
    if (key.validity.type == key_validity::kSpi) s.mki = key.validity.spi;
    result.streams.push_back(std::move(s));
  }
  return result;
}

}  // namespace exchange_internal

absl::StatusOr<KeyResult> AcceptNull(absl::Span<const uint8_t> i_message,
                                     const NullResponderOptions& options,
                                     const Clock& clock) {
  MessageLayout layout;
  absl::StatusOr<Message> m = ParseMessage(i_message, &layout);
  if (!m.ok()) return m.status();
  return exchange_internal::KeysFromNullMessage(*m, layout, options, clock);
}

absl::StatusOr<PskInitiation> InitiateNull(const NullInitiatorOptions& options,
                                           const Clock& clock,
                                           RandomSource& rng) {
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> checked =
      StreamPolicies("InitiateNull", options.streams);
  if (!checked.ok()) return checked.status();
  const std::vector<srtp::SrtpPolicy> policies = *std::move(checked);
  for (size_t i = 1; i < policies.size() && !options.per_stream_keys; ++i) {
    const srtp::CryptoSuite& first = *policies[0].suite;
    const srtp::CryptoSuite& suite = *policies[i].suite;
    if (suite.master_key_length != first.master_key_length ||
        suite.master_salt_length != first.master_salt_length) {
      return absl::InvalidArgumentError(
          absl::StrCat("InitiateNull: stream ", i, " (", suite.name,
                       ") has other key lengths than stream 0 (", first.name,
                       "); set per_stream_keys"));
    }
  }

  absl::StatusOr<uint32_t> csb_id = ChooseCsbId(options.csb_id, rng);
  if (!csb_id.ok()) return csb_id.status();
  absl::StatusOr<Bytes> rand = RandomBytes(rng, kRandLength);
  if (!rand.ok()) return rand.status();
  Bytes mki;
  if (options.mki.has_value()) {
    mki = *options.mki;
    if (mki.size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("InitiateNull: MKI of ", mki.size(), " octets"));
    }
  } else {
    absl::StatusOr<Bytes> r = RandomBytes(rng, kNullMkiLength);
    if (!r.ok()) return r.status();
    mki = *std::move(r);
  }

  Message m;
  m.header.data_type = data_type::kPskInit;
  m.header.v_flag = false;
  m.header.prf_func = prf_func::kMikey1;
  m.header.csb_id = *csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  // By default, auth key length 20 (as Live555 requires) for 80-bit tags and
  // the tag length for 32-bit ones (as GStreamer reads it): see null_mode.h.
  SecurityPolicies(policies, options.sp_dialect, &sps, &policy_nos);
  for (size_t i = 0; i < options.streams.size(); ++i) {
    m.header.srtp_map.push_back(SrtpCsEntry{
        policy_nos[i], options.streams[i].ssrc, options.streams[i].roc});
  }

  // Keys: TEK = key || salt, with SPI/MKI validity.
  const size_t n_keys = options.per_stream_keys ? policies.size() : 1;
  std::vector<KeyDataPayload> kds;
  KeyResult result;
  result.csb_id = *csb_id;
  for (size_t k = 0; k < n_keys; ++k) {
    const srtp::CryptoSuite& suite = *policies[k].suite;
    absl::StatusOr<SecretBytes> tek =
        RandomSecret(rng, suite.master_key_length + suite.master_salt_length);
    if (!tek.ok()) return tek.status();
    KeyDataPayload kd;
    kd.type = key_data_type::kTek;
    kd.key = *std::move(tek);
    if (!mki.empty()) {
      kd.validity.type = key_validity::kSpi;
      kd.validity.spi = mki;
    }
    kds.push_back(std::move(kd));
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    const KeyDataPayload& kd = kds[options.per_stream_keys ? i : 0];
    const srtp::CryptoSuite& suite = *policies[i].suite;
    StreamKeys s;
    s.ssrc = options.streams[i].ssrc;
    s.roc = options.streams[i].roc;
    s.policy_no = policy_nos[i];
    s.cs_id = static_cast<uint8_t>(i + 1);
    s.csb_id = *csb_id;
    s.suite = &suite;
    s.policy = policies[i];
    s.master_key = SecretBytes(kd.key.span().first(suite.master_key_length));
    s.master_salt = SecretBytes(kd.key.span().subspan(suite.master_key_length));
    s.mki = mki;
    result.streams.push_back(std::move(s));
  }
  absl::StatusOr<SecretBytes> chain = SerializeKeyDataList(kds);
  if (!chain.ok()) return chain.status();

  KemacPayload kemac;
  kemac.encr_alg = encr_alg::kNull;
  kemac.mac_alg = mac_alg::kNull;
  // The key travels in clear here by design (MIKEY-NULL): the message bytes
  // are the caller's to protect (TLS).
  kemac.encr_data.assign(chain->span().begin(), chain->span().end());

  // HDR, T, RAND, {SP}, KEMAC: Live555's order.
  m.payloads.push_back(TimestampPayload{ts_type::kNtpUtc, clock.NowNtp()});
  m.payloads.push_back(RandPayload{*rand});
  for (SecurityPolicyPayload& sp : sps) m.payloads.push_back(std::move(sp));
  m.payloads.push_back(std::move(kemac));

  absl::StatusOr<Bytes> wire = SerializeMessage(m);
  KemacPayload& sent = std::get<KemacPayload>(m.payloads.back());
  SecureWipe(sent.encr_data.data(), sent.encr_data.size());
  if (!wire.ok()) return wire.status();
  PskInitiation out;
  out.i_message = *std::move(wire);
  out.keys = std::move(result);
  return out;
}

}  // namespace exchange
}  // namespace mikey
