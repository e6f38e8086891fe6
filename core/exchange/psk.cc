// MIKEY PSK mode. Readings of RFC 3830 this file relies on:
//
// KEMAC MAC coverage (§5.2, §6.2): the MAC is computed over the entire
// MIKEY message except the MAC field itself, so it covers the common header,
// every payload, and the KEMAC payload up to and including its MAC alg
// octet. With KEMAC last (as §3.1 orders the I_MESSAGE) that is the message
// minus its final MAC octets; the code below also handles payloads after the
// MAC field by covering them too.
//
// Verification message V (§3.1, §5.2). §3.1: "The verification message, V,
// is a MAC computed over the Responder's entire message, the timestamp (the
// same as the one that was included in the Initiator's message), and the two
// parties identities, using the authentication key." §5.2: "In the case of
// the verification message, the Identity_i || Identity_r || Timestamp MUST
// directly follow the MIKEY message in the Verification MAC calculation.
// Note that the added identities and timestamp are identical to those
// transported in the ID and T payloads." So the V MAC input here is
//     R_MESSAGE minus its MAC field || IDi || IDr || T_i
// where IDi / IDr are the ID data of the Initiator and Responder (empty when
// a party's identity is not carried in the exchange) and T_i is the TS value
// field of the Initiator's T payload (8 octets for NTP/NTP-UTC, 4 for
// COUNTER). minisip appends only T_i, which is the same bytes when no ID
// payload is used -- the usual case. IDi is the first ID payload of the
// I_MESSAGE; IDr is the ID payload of the R_MESSAGE if it has one, else the
// second ID payload of the I_MESSAGE. Error messages (§5.1.2: "HDR, T,
// {ERR}, {SP}, [V|SIGNr]") are protected the same way, with the I_MESSAGE's
// IDi and IDr.
//
// The Responder's timestamp (§5.2): "Note that all messages from the
// Initiator MUST use a unique timestamp. The Responder does not create a new
// timestamp, but uses the timestamp used by the Initiator." The R_MESSAGE
// and Error messages therefore carry the Initiator's T payload unchanged
// (same TS type and value), so T in the R_MESSAGE and the T_i appended to the
// V MAC input are the same value. VerifyPskResponse accepts that, and also a
// Responder's own fresh NTP timestamp (minisip sends one) within the clock
// skew; an echoed NTP T_i is within the skew whenever the answer comes within
// the skew of the I_MESSAGE.
//
// Error numbers (§6.12): a MAC that does not verify is "Auth failure" (0);
// "Invalid MAC" (3) is an unsupported MAC algorithm, like "Invalid EA" (4)
// for an encryption algorithm and "Invalid PRF" (2).
//
// Clock skew (§5.4): the Responder rejects an Initiator timestamp outside
// the allowed clock skew and keeps accepted messages in a replay cache for at
// least that long. The RFC leaves the skew to local policy; the default
// kDefaultMaxClockSkew (5 minutes, the conventional value for timestamp-based
// replay protection, e.g. Kerberos) is configurable per call. A replay-cache
// entry lives until T_i + skew, after which the timestamp check alone
// rejects the message.
//
// AES-KW (§4.2.3): "The 128-bit key and a 64-bit salt, S, are derived in
// accordance to Section 4.1.4 and the key wrap IV is then set to S." S is
// derived with the salt constant 0x29B88916 (Table 4.1.4), 8 octets. RFC 3394
// needs a multiple of 8 octets: the key data chain is padded with zero
// octets to the next multiple of 8 (at least 16) before wrapping, and the
// padding is stripped after unwrapping (the chain's own length fields
// delimit it). RFC 3830 does not spell out padding and no deployed peer
// implements AES-KW KEMACs, so the padding is this code's convention.

#include "core/exchange/psk.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/bytes/secret_bytes.h"
#include "core/crypto/aes.h"
#include "core/crypto/hmac.h"
#include "core/crypto/random.h"
#include "core/exchange/internal.h"
#include "core/exchange/null_mode.h"
#include "core/kdf/kdf.h"
#include "core/kdf/prf.h"

namespace mikey {
namespace exchange {

using exchange_internal::AppendSupportedPolicies;
using exchange_internal::AuthKey;
using exchange_internal::CheckKemacAlgs;
using exchange_internal::CheckNtpWindow;
using exchange_internal::CheckPrfFunc;
using exchange_internal::CheckRandLength;
using exchange_internal::CheckReceivedKemac;
using exchange_internal::CheckTgkLength;
using exchange_internal::ChooseCsbId;
using exchange_internal::CommitReplayId;
using exchange_internal::DefaultMacAlg;
using exchange_internal::DeriveMessageKeys;
using exchange_internal::DeriveStreams;
using exchange_internal::ErrorName;
using exchange_internal::FirstTimestamp;
using exchange_internal::IvTimestamp;
using exchange_internal::kMaxTgkLength;
using exchange_internal::kMinPskLength;
using exchange_internal::kMinRandLength;
using exchange_internal::kMinTgkLength;
using exchange_internal::MacHash;
using exchange_internal::MacInput;
using exchange_internal::MacLength;
using exchange_internal::MaxMasterKeyLength;
using exchange_internal::MessageKeys;
using exchange_internal::PadForKeyWrap;
using exchange_internal::ParsePaddedKeyDataList;
using exchange_internal::PolicyFor;
using exchange_internal::ReceivedKemacAlgs;
using exchange_internal::Refusal;
using exchange_internal::Refuse;
using exchange_internal::RefuseIfReplayed;
using exchange_internal::ResponderTimestamp;
using exchange_internal::SecurityPolicies;
using exchange_internal::SerializeWithTrailingMac;
using exchange_internal::SplitAtMac;
using exchange_internal::StreamPolicies;
using exchange_internal::SupportedPrf;
using exchange_internal::TimestampWire;

namespace {

// The fields of a PSK I_MESSAGE, as indices into its payloads.
struct IMessage {
  Message m;
  MessageLayout layout;
  std::optional<size_t> t;  // checked present except for MIKEY-NULL
  std::optional<size_t> rand;
  std::optional<size_t> id_i;
  std::optional<size_t> id_r;
  size_t kemac = 0;

  const TimestampPayload& T() const {
    return std::get<TimestampPayload>(m.payloads[*t]);
  }
  const KemacPayload& Kemac() const {
    return std::get<KemacPayload>(m.payloads[kemac]);
  }
  absl::Span<const uint8_t> Rand() const {
    if (!rand) return {};
    return std::get<RandPayload>(m.payloads[*rand]).rand;
  }
  absl::Span<const uint8_t> IdI() const {
    if (!id_i) return {};
    return std::get<IdPayload>(m.payloads[*id_i]).data;
  }
  absl::Span<const uint8_t> IdR() const {
    if (!id_r) return {};
    return std::get<IdPayload>(m.payloads[*id_r]).data;
  }
  // Offset of the KEMAC's Encr data in the wire bytes.
  size_t EncrDataOffset() const { return layout.payloads[kemac].begin + 4; }
};

// Parses a PSK I_MESSAGE and checks its payload set. Data type mismatch is
// reported through `*wrong_data_type` (the caller answers Invalid DT).
absl::StatusOr<IMessage> ParseIMessage(absl::Span<const uint8_t> wire,
                                       bool* wrong_data_type) {
  IMessage im;
  absl::StatusOr<Message> m = ParseMessage(wire, &im.layout);
  if (!m.ok()) return m.status();
  im.m = *std::move(m);
  if (im.m.header.data_type != data_type::kPskInit) {
    if (wrong_data_type != nullptr) *wrong_data_type = true;
    return absl::InvalidArgumentError(absl::StrCat(
        "HDR: data type ", static_cast<int>(im.m.header.data_type), " (",
        DataTypeName(im.m.header.data_type), "), expected 0 (PSK I_MESSAGE)"));
  }
  std::optional<size_t> t, kemac;
  size_t ids = 0;
  for (size_t i = 0; i < im.m.payloads.size(); ++i) {
    const Payload& p = im.m.payloads[i];
    const uint8_t type = PayloadTypeOf(p);
    // Formatted only for an error: the success path builds no strings.
    auto where = [&im, type, i]() {
      return absl::StrCat(PayloadName(type), " payload #", i + 1, " at offset ",
                          im.layout.payloads[i].begin);
    };
    switch (type) {
      case payload_type::kT:
        if (t) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(), ": a second T payload"));
        }
        t = i;
        break;
      case payload_type::kRand:
        if (im.rand) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(), ": a second RAND payload"));
        }
        im.rand = i;
        break;
      case payload_type::kId:
        if (ids == 0) {
          im.id_i = i;
        } else if (ids == 1) {
          im.id_r = i;
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              where(),
              ": a third ID payload (a PSK I_MESSAGE has at most IDi "
              "and IDr)"));
        }
        ++ids;
        break;
      case payload_type::kKemac:
        if (kemac) {
          return absl::InvalidArgumentError(
              absl::StrCat(where(), ": a second KEMAC payload"));
        }
        kemac = i;
        break;
      case payload_type::kSp:
      case payload_type::kIdr:
      case payload_type::kGeneralExtension:
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            where(),
            ": not allowed in a PSK I_MESSAGE (HDR, T, RAND, [IDi], "
            "[IDr], {SP}, KEMAC)"));
    }
  }
  if (!kemac) {
    return absl::InvalidArgumentError("PSK I_MESSAGE: no KEMAC payload");
  }
  if (*kemac + 1 != im.m.payloads.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KEMAC payload #", *kemac + 1,
                     ": must be the last payload of a PSK I_MESSAGE"));
  }
  im.t = t;
  im.kemac = *kemac;
  return im;
}

// The Initiator's timestamp as it goes into V MACs.
Bytes InitiatorT(const IMessage& im) { return TimestampWire(im.T()); }

// Builds the Error message answering `im` (HDR, T, {ERR}, [V]). V is added
// when the authentication key can be derived; `mac` is the V auth alg.
absl::StatusOr<Bytes> BuildErrorMessage(const IMessage& im, uint8_t err,
                                        absl::Span<const uint8_t> psk,
                                        const PskResponderOptions& options,
                                        const Clock& clock) {
  Message e;
  e.header = im.m.header;
  e.header.data_type = data_type::kError;
  e.header.v_flag = false;
  e.payloads.push_back(ResponderTimestamp(im.t ? &im.T() : nullptr, clock));
  e.payloads.push_back(ErrorPayload{err, 0});
  AppendSupportedPolicies(&e, err, options.allowed_suites,
                          srtp::SpDialect::kRfc3830);

  std::optional<HashAlg> prf = SupportedPrf(im.m.header.prf_func);
  const bool can_mac = prf.has_value() && im.t.has_value() &&
                       im.Rand().size() >= kMinRandLength &&
                       psk.size() >= kMinPskLength;
  if (!can_mac) return SerializeMessage(e);
  const uint8_t mac = MacHash(im.Kemac().mac_alg).has_value()
                          ? im.Kemac().mac_alg
                          : DefaultMacAlg(im.m.header.prf_func);
  absl::StatusOr<SecretBytes> key =
      AuthKey(*prf, psk, im.m.header.csb_id, im.Rand(), mac);
  if (!key.ok()) return key.status();
  e.payloads.push_back(VerificationPayload{mac, Bytes(MacLength(mac), 0)});
  const Bytes t_i = InitiatorT(im);
  return SerializeWithTrailingMac(e, mac, key->span(),
                                  {im.IdI(), im.IdR(), t_i});
}

// The identity of a received message for the replay cache: CSB ID, the
// Initiator's T, RAND and the KEMAC MAC (which covers all the rest).
std::string ReplayId(const IMessage& im) {
  constexpr absl::string_view kPrefix = "mikey-psk:";
  const Bytes t = InitiatorT(im);
  const absl::Span<const uint8_t> rand = im.Rand();
  const Bytes& mac = im.Kemac().mac;
  std::string id;  // built in one allocation
  id.reserve(kPrefix.size() + 4 + t.size() + 1 + rand.size() + mac.size());
  id.append(kPrefix.data(), kPrefix.size());
  const uint32_t csb = im.m.header.csb_id;
  for (int i = 3; i >= 0; --i) id.push_back(static_cast<char>(csb >> (8 * i)));
  id.append(t.begin(), t.end());
  id.push_back(static_cast<char>(rand.size()));
  id.append(rand.begin(), rand.end());
  id.append(mac.begin(), mac.end());
  return id;
}

// Everything RespondPsk does after parsing; returns keys and R_MESSAGE or a
// refusal. State is committed only at the end.
struct Accepted {
  KeyResult keys;
  Bytes reply;
};

absl::StatusOr<Accepted> RespondParsed(const IMessage& im,
                                       absl::Span<const uint8_t> wire,
                                       absl::Span<const uint8_t> psk,
                                       const PskResponderOptions& options,
                                       const Clock& clock, Refusal* refusal) {
  auto refuse = [&](absl::Status s, std::optional<uint8_t> err) {
    *refusal = Refuse(s, err);
    return s;
  };
  const CommonHeader& hdr = im.m.header;
  const KemacPayload& kemac = im.Kemac();
  const TimestampPayload& t = im.T();

  // Algorithms.
  absl::StatusOr<ReceivedKemacAlgs> algs =
      CheckReceivedKemac(hdr, kemac, im.Rand(), im.rand.has_value(), refusal);
  if (!algs.ok()) return algs.status();

  // MAC first, in constant time, before anything is decrypted.
  absl::StatusOr<MessageKeys> keys =
      DeriveMessageKeys(algs->prf, psk, hdr.csb_id, im.Rand(), IvTimestamp(t),
                        kemac.encr_alg, kemac.mac_alg);
  if (!keys.ok()) return refuse(keys.status(), std::nullopt);
  const MacInput in =
      SplitAtMac(wire, im.layout, im.kemac, MacLength(kemac.mac_alg));
  if (!VerifyHmac(algs->mac, keys->auth_key.span(), {in.before, in.after},
                  in.mac)
           .ok()) {
    return refuse(absl::FailedPreconditionError(
                      "KEMAC: MAC verification failed (different pre-shared "
                      "key, or the message was altered)"),
                  error_no::kAuthFailure);
  }

  // Timestamp window (NTP) or counter (COUNTER); committed at the end.
  std::string counter_peer;
  const bool counter = t.ts_type == ts_type::kCounter;
  if (counter) {
    if (options.counter_store == nullptr) {
      return refuse(absl::FailedPreconditionError(
                        "T payload: COUNTER timestamp but no counter store "
                        "is configured"),
                    error_no::kInvalidTs);
    }
    if (!options.counter_peer.empty()) {
      counter_peer = options.counter_peer;
    } else if (im.id_i) {
      counter_peer.assign(im.IdI().begin(), im.IdI().end());
    } else {
      return refuse(absl::FailedPreconditionError(
                        "T payload: COUNTER timestamp from an unidentified "
                        "peer (no IDi payload and no counter_peer)"),
                    error_no::kInvalidTs);
    }
    absl::Status s = options.counter_store->Check(
        counter_peer, static_cast<uint32_t>(t.value));
    if (absl::IsAlreadyExists(s)) {
      return refuse(absl::FailedPreconditionError(
                        absl::StrCat("T payload: ", s.message())),
                    error_no::kInvalidTs);
    }
    if (!s.ok()) return refuse(s, std::nullopt);
  } else {
    if (std::optional<Refusal> r =
            CheckNtpWindow(t, clock, options.max_clock_skew, "PSK I_MESSAGE")) {
      *refusal = *r;
      return r->status;
    }
  }

  // Decrypt and read the TGK.
  absl::StatusOr<SecretBytes> plain =
      kemac.encr_alg == encr_alg::kAesCm128
          ? AesCmDecrypt(keys->encr_key.span(), keys->iv, kemac.encr_data)
          : AesKwUnwrap(keys->encr_key.span(), kemac.encr_data, keys->kw_iv);
  if (!plain.ok()) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC: Encr data at offset ", im.EncrDataOffset(),
                      " does not decrypt: ", plain.status().message())),
                  error_no::kUnspecified);
  }
  absl::StatusOr<std::vector<KeyDataPayload>> kd =
      kemac.encr_alg == encr_alg::kAesCm128
          ? ParseKeyDataList(plain->span(), im.EncrDataOffset())
          : ParsePaddedKeyDataList(*plain, im.EncrDataOffset());
  if (!kd.ok()) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC (decrypted): ", kd.status().message())),
                  error_no::kUnspecified);
  }
  if (kd->size() != 1) {
    return refuse(absl::UnimplementedError(absl::StrCat(
                      "KEMAC: ", kd->size(),
                      " key data sub-payloads; exactly one TGK is supported")),
                  error_no::kUnspecified);
  }
  const KeyDataPayload& tgk = kd->front();
  if (tgk.type != key_data_type::kTgk) {
    return refuse(absl::UnimplementedError(absl::StrCat(
                      "KEMAC: key data type ", static_cast<int>(tgk.type),
                      "; a PSK I_MESSAGE must carry a TGK (type 0)")),
                  error_no::kUnspecified);
  }
  if (tgk.key.size() < kMinTgkLength || tgk.key.size() > kMaxTgkLength) {
    return refuse(absl::InvalidArgumentError(absl::StrCat(
                      "KEMAC: TGK of ", tgk.key.size(), " octets (expected ",
                      kMinTgkLength, " to ", kMaxTgkLength, ")")),
                  error_no::kUnspecified);
  }

  // Policies and keys per crypto session.
  std::vector<srtp::SrtpPolicy> policies;
  policies.reserve(hdr.srtp_map.size());
  for (size_t i = 0; i < hdr.srtp_map.size(); ++i) {
    // Crypto sessions that name the same SP share its policy: decode it once
    // (PolicyFor depends only on the message, the number and the options).
    const uint8_t policy_no = hdr.srtp_map[i].policy_no;
    size_t same = 0;
    while (same < i && hdr.srtp_map[same].policy_no != policy_no) ++same;
    if (same < i) {
      policies.push_back(policies[same]);
      continue;
    }
    std::optional<uint8_t> err;
    absl::StatusOr<srtp::SrtpPolicy> p =
        PolicyFor(im.m, policy_no, options.allowed_suites, &err);
    if (!p.ok()) return refuse(p.status(), err);
    policies.push_back(*p);
  }
  const Bytes mki =
      tgk.validity.type == key_validity::kSpi ? tgk.validity.spi : Bytes();
  absl::StatusOr<KeyResult> result =
      DeriveStreams(algs->prf, tgk.key.span(), hdr.csb_id, im.Rand(),
                    hdr.srtp_map, policies, mki);
  if (!result.ok()) return refuse(result.status(), std::nullopt);

  // R_MESSAGE = HDR, T, [IDr], V when the Initiator asked for it; T is the
  // Initiator's (§5.2).
  Accepted accepted;
  if (hdr.v_flag) {
    Message r;
    r.header = hdr;
    r.header.data_type = data_type::kPskVerify;
    r.header.v_flag = false;
    r.payloads.push_back(t);
    if (options.id_r) r.payloads.push_back(*options.id_r);
    r.payloads.push_back(
        VerificationPayload{kemac.mac_alg, Bytes(MacLength(kemac.mac_alg), 0)});
    const absl::Span<const uint8_t> id_r =
        options.id_r ? absl::MakeConstSpan(options.id_r->data) : im.IdR();
    const Bytes t_i = InitiatorT(im);
    absl::StatusOr<Bytes> wire_r = SerializeWithTrailingMac(
        r, kemac.mac_alg, keys->auth_key.span(), {im.IdI(), id_r, t_i});
    if (!wire_r.ok()) return refuse(wire_r.status(), std::nullopt);
    accepted.reply = *std::move(wire_r);
  }

  // Commit: the only state change, and the last step.
  absl::Status commit;
  if (counter) {
    commit = RefuseIfReplayed(options.counter_store->CheckAndAdvance(
                                  counter_peer, static_cast<uint32_t>(t.value)),
                              "PSK I_MESSAGE", refusal);
  } else if (!options.skip_replay_check) {
    commit =
        CommitReplayId(*options.replay_cache, ReplayId(im), t.value,
                       options.max_clock_skew, clock, "PSK I_MESSAGE", refusal);
  }
  if (!commit.ok()) return commit;
  accepted.keys = *std::move(result);
  return accepted;
}

}  // namespace

absl::StatusOr<PskInitiation> InitiatePsk(const PskInitiatorOptions& options,
                                          absl::Span<const uint8_t> psk,
                                          const Clock& clock,
                                          RandomSource& rng) {
  // Arguments.
  absl::StatusOr<std::vector<srtp::SrtpPolicy>> checked =
      StreamPolicies("InitiatePsk", options.streams);
  if (!checked.ok()) return checked.status();
  const std::vector<srtp::SrtpPolicy> policies = *std::move(checked);
  const size_t max_key = MaxMasterKeyLength(policies);
  const absl::StatusOr<HashAlg> prf =
      CheckPrfFunc("InitiatePsk", options.prf_func);
  if (!prf.ok()) return prf.status();
  absl::StatusOr<uint8_t> checked_mac = CheckKemacAlgs(
      "InitiatePsk", options.encr_alg, options.mac_alg, options.prf_func);
  if (!checked_mac.ok()) return checked_mac.status();
  const uint8_t mac = *checked_mac;
  if (psk.size() < kMinPskLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("InitiatePsk: pre-shared key of ", psk.size(),
                     " octets; at least ", kMinPskLength, " needed"));
  }
  if (absl::Status s = CheckRandLength("InitiatePsk", options.rand_length);
      !s.ok()) {
    return s;
  }
  if (options.id_r && !options.id_i) {
    return absl::InvalidArgumentError(
        "InitiatePsk: IDr without IDi (the first ID payload is IDi)");
  }
  const size_t tgk_len = options.tgk_length == 0 ? max_key : options.tgk_length;
  if (absl::Status s = CheckTgkLength("InitiatePsk", tgk_len); !s.ok()) {
    return s;
  }

  // Fresh values.
  absl::StatusOr<uint32_t> csb_id = ChooseCsbId(options.csb_id, rng);
  if (!csb_id.ok()) return csb_id.status();
  absl::StatusOr<Bytes> rand = RandomBytes(rng, options.rand_length);
  if (!rand.ok()) return rand.status();
  absl::StatusOr<SecretBytes> tgk = RandomSecret(rng, tgk_len);
  if (!tgk.ok()) return tgk.status();
  const TimestampPayload t_payload =
      options.counter ? TimestampPayload{ts_type::kCounter, *options.counter}
                      : TimestampPayload{ts_type::kNtpUtc, clock.NowNtp()};

  // Header and policies.
  Message m;
  m.header.version = 1;
  m.header.data_type = data_type::kPskInit;
  m.header.v_flag = options.v_flag;
  m.header.prf_func = options.prf_func;
  m.header.csb_id = *csb_id;
  m.header.cs_id_map_type = cs_id_map_type::kSrtpId;
  std::vector<SecurityPolicyPayload> sps;
  std::vector<uint8_t> policy_nos;
  SecurityPolicies(policies, options.sp_dialect, &sps, &policy_nos);
  for (size_t i = 0; i < options.streams.size(); ++i) {
    m.header.srtp_map.push_back(SrtpCsEntry{
        policy_nos[i], options.streams[i].ssrc, options.streams[i].roc});
  }

  // KEMAC.
  absl::StatusOr<MessageKeys> keys = DeriveMessageKeys(
      *prf, psk, *csb_id, *rand, IvTimestamp(t_payload), options.encr_alg, mac);
  if (!keys.ok()) return keys.status();
  KeyDataPayload kd;
  kd.type = key_data_type::kTgk;
  kd.key = *tgk;
  kd.validity = options.tgk_validity;
  absl::StatusOr<SecretBytes> plain =
      SerializeKeyDataList(absl::MakeConstSpan(&kd, 1));
  if (!plain.ok()) return plain.status();
  KemacPayload kemac;
  kemac.encr_alg = options.encr_alg;
  kemac.mac_alg = mac;
  kemac.mac = Bytes(MacLength(mac), 0);
  absl::StatusOr<Bytes> encr =
      options.encr_alg == encr_alg::kAesCm128
          ? AesCmEncrypt(keys->encr_key.span(), keys->iv, plain->span())
          : AesKwWrap(keys->encr_key.span(), PadForKeyWrap(*plain).span(),
                      keys->kw_iv);
  if (!encr.ok()) return encr.status();
  kemac.encr_data = *std::move(encr);

  // HDR, T, RAND, [IDi], [IDr], {SP}, KEMAC.
  m.payloads.push_back(t_payload);
  m.payloads.push_back(RandPayload{*rand});
  if (options.id_i) m.payloads.push_back(*options.id_i);
  if (options.id_r) m.payloads.push_back(*options.id_r);
  for (SecurityPolicyPayload& sp : sps) m.payloads.push_back(std::move(sp));
  m.payloads.push_back(std::move(kemac));

  PskInitiation out;
  absl::StatusOr<Bytes> wire =
      SerializeWithTrailingMac(m, mac, keys->auth_key.span(), {});
  if (!wire.ok()) return wire.status();
  out.i_message = *std::move(wire);
  const Bytes mki = options.tgk_validity.type == key_validity::kSpi
                        ? options.tgk_validity.spi
                        : Bytes();
  absl::StatusOr<KeyResult> result = DeriveStreams(
      *prf, tgk->span(), *csb_id, *rand, m.header.srtp_map, policies, mki);
  if (!result.ok()) return result.status();
  out.keys = *std::move(result);
  return out;
}

PskResponse RespondPsk(absl::Span<const uint8_t> i_message,
                       absl::Span<const uint8_t> psk,
                       const PskResponderOptions& options, const Clock& clock) {
  PskResponse out;
  bool wrong_data_type = false;
  absl::StatusOr<IMessage> im = ParseIMessage(i_message, &wrong_data_type);
  if (!im.ok()) {
    out.status = im.status();
    // A parseable message of another data type gets an (unauthenticated)
    // Invalid DT answer: MIKEY has no method negotiation but this.
    if (wrong_data_type) {
      absl::StatusOr<Message> m = ParseMessage(i_message);
      if (m.ok()) {
        Message e;
        e.header = m->header;
        e.header.data_type = data_type::kError;
        e.header.v_flag = false;
        e.payloads.push_back(ResponderTimestamp(FirstTimestamp(*m), clock));
        e.payloads.push_back(ErrorPayload{error_no::kInvalidDt, 0});
        absl::StatusOr<Bytes> wire = SerializeMessage(e);
        if (wire.ok()) {
          out.reply = *std::move(wire);
          out.error_no = error_no::kInvalidDt;
        }
      }
    }
    return out;
  }

  const KemacPayload& kemac = im->Kemac();
  if (kemac.encr_alg == encr_alg::kNull && kemac.mac_alg == mac_alg::kNull) {
    if (!options.allow_mikey_null) {
      out.status = absl::FailedPreconditionError(
          "KEMAC: NULL encryption and NULL MAC (MIKEY-NULL): unauthenticated "
          "keys are refused unless MIKEY-NULL is enabled");
      return out;  // no Error message: see null_mode.h
    }
    NullResponderOptions null_options;
    null_options.check_timestamp = !options.null_skip_timestamp_check;
    null_options.max_clock_skew = options.max_clock_skew;
    null_options.allowed_suites = options.allowed_suites;
    absl::StatusOr<KeyResult> keys = exchange_internal::KeysFromNullMessage(
        im->m, im->layout, null_options, clock);
    if (!keys.ok()) {
      out.status = keys.status();
      return out;
    }
    out.keys = *std::move(keys);
    out.mikey_null = true;
    return out;
  }

  if (!im->t) {
    out.status = absl::InvalidArgumentError(
        "PSK I_MESSAGE: no T payload (a timestamp is mandatory)");
    return out;
  }
  if (psk.size() < kMinPskLength) {
    out.status = absl::InvalidArgumentError(
        absl::StrCat("RespondPsk: pre-shared key of ", psk.size(),
                     " octets; at least ", kMinPskLength, " needed"));
    return out;
  }
  if (options.replay_cache == nullptr && !options.skip_replay_check &&
      im->T().ts_type != ts_type::kCounter) {
    out.status = absl::InvalidArgumentError(
        "RespondPsk: no replay cache given (RFC 3830 §5.4 requires one; set "
        "skip_replay_check only if the caller provides replay protection)");
    return out;
  }

  Refusal refusal;
  absl::StatusOr<Accepted> accepted =
      RespondParsed(*im, i_message, psk, options, clock, &refusal);
  if (accepted.ok()) {
    out.keys = std::move(accepted->keys);
    out.reply = std::move(accepted->reply);
    return out;
  }
  out.status = refusal.status.ok() ? accepted.status() : refusal.status;
  if (refusal.error_no) {
    absl::StatusOr<Bytes> err =
        BuildErrorMessage(*im, *refusal.error_no, psk, options, clock);
    if (err.ok()) {
      out.reply = *std::move(err);
      out.error_no = refusal.error_no;
    }
  }
  return out;
}

absl::Status VerifyPskResponse(absl::Span<const uint8_t> response,
                               absl::Span<const uint8_t> i_message,
                               absl::Span<const uint8_t> psk,
                               const Clock& clock,
                               absl::Duration max_clock_skew) {
  absl::StatusOr<IMessage> im = ParseIMessage(i_message, nullptr);
  if (!im.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("I_MESSAGE: ", im.status().message()));
  }
  if (!im->t) return absl::InvalidArgumentError("I_MESSAGE: no T payload");
  std::optional<HashAlg> prf = SupportedPrf(im->m.header.prf_func);
  const uint8_t i_mac = im->Kemac().mac_alg;
  if (!prf || !MacHash(i_mac) || im->Rand().size() < kMinRandLength) {
    return absl::InvalidArgumentError(
        "I_MESSAGE: not a protected PSK message (unsupported PRF, no MAC or "
        "no RAND): no verification message can be checked against it");
  }

  MessageLayout layout;
  absl::StatusOr<Message> r = ParseMessage(response, &layout);
  if (!r.ok()) return r.status();
  const bool is_error = r->header.data_type == data_type::kError;
  if (!is_error && r->header.data_type != data_type::kPskVerify) {
    return absl::InvalidArgumentError(
        absl::StrCat("HDR: data type ", static_cast<int>(r->header.data_type),
                     " (", DataTypeName(r->header.data_type),
                     "), expected 1 (PSK verification message) or 6 (Error)"));
  }
  if (!is_error && r->header.prf_func != im->m.header.prf_func) {
    return absl::InvalidArgumentError(
        absl::StrCat("HDR: PRF func ", static_cast<int>(r->header.prf_func),
                     " differs from the I_MESSAGE's ",
                     static_cast<int>(im->m.header.prf_func)));
  }
  if (r->header.csb_id != im->m.header.csb_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("HDR: CSB ID ", r->header.csb_id,
                     " does not match the I_MESSAGE's ", im->m.header.csb_id));
  }

  // Payload set: HDR, T, [IDr], V  or  HDR, T, {ERR}, {SP}, [V] (§5.1.2).
  std::optional<size_t> t, id_r, v;
  std::vector<uint8_t> errors;
  for (size_t i = 0; i < r->payloads.size(); ++i) {
    const uint8_t type = PayloadTypeOf(r->payloads[i]);
    const std::string where =
        absl::StrCat(PayloadName(type), " payload #", i + 1, " at offset ",
                     layout.payloads[i].begin);
    if (type == payload_type::kT && !t) {
      t = i;
    } else if (type == payload_type::kId && !id_r && !is_error) {
      id_r = i;
    } else if (type == payload_type::kErr && is_error) {
      errors.push_back(std::get<ErrorPayload>(r->payloads[i]).error_no);
    } else if (type == payload_type::kV && !v) {
      v = i;
    } else if (type == payload_type::kSp && is_error) {
      // The Responder's supported policies (§5.1.1): covered by V, ignored.
    } else if (type != payload_type::kGeneralExtension) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": not allowed (or repeated) in a ",
          is_error ? "MIKEY Error message" : "PSK verification message"));
    }
  }
  if (!t) return absl::InvalidArgumentError("response: no T payload");

  bool verified = false;
  if (v) {
    const auto& vp = std::get<VerificationPayload>(r->payloads[*v]);
    std::optional<HashAlg> h = MacHash(vp.auth_alg);
    if (!h || (!is_error && vp.auth_alg != i_mac)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "V payload: auth alg ", static_cast<int>(vp.auth_alg),
          is_error ? " not supported" : " differs from the KEMAC MAC alg"));
    }
    absl::StatusOr<SecretBytes> key =
        AuthKey(*prf, psk, im->m.header.csb_id, im->Rand(), vp.auth_alg);
    if (!key.ok()) return key.status();
    const MacInput in =
        SplitAtMac(response, layout, *v, MacLength(vp.auth_alg));
    const absl::Span<const uint8_t> idr =
        id_r ? absl::MakeConstSpan(std::get<IdPayload>(r->payloads[*id_r]).data)
             : im->IdR();
    const Bytes t_i = InitiatorT(*im);
    verified = VerifyHmac(*h, key->span(),
                          {in.before, in.after, im->IdI(), idr, t_i}, in.mac)
                   .ok();
  }

  if (is_error) {
    std::string list;
    for (uint8_t e : errors) {
      absl::StrAppend(&list, list.empty() ? "" : ", ", ErrorName(e), " (",
                      static_cast<int>(e), ")");
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "peer answered with a MIKEY Error message: ",
        list.empty() ? "no ERR payload" : list,
        verified ? "" : " [unauthenticated: no V payload that verifies]"));
  }
  if (!v) {
    return absl::InvalidArgumentError("PSK verification message: no V payload");
  }
  if (!verified) {
    return absl::FailedPreconditionError(
        "V payload: MAC verification failed (different pre-shared key, or "
        "the message was altered)");
  }
  // T: the Initiator's own (§5.2: "The Responder does not create a new
  // timestamp, but uses the timestamp used by the Initiator"), or a fresh
  // one from a Responder that makes its own (minisip). Either way an NTP
  // value must be within the skew (an echoed T_i is, when the answer is
  // timely); other types (an echoed COUNTER) cannot be checked against a
  // clock, and the V MAC binds the message to this exchange's T_i anyway.
  const auto& tp = std::get<TimestampPayload>(r->payloads[*t]);
  if (tp.ts_type == ts_type::kNtpUtc || tp.ts_type == ts_type::kNtp) {
    if (std::optional<Refusal> refusal = CheckNtpWindow(
            tp, clock, max_clock_skew, "PSK verification message")) {
      return refusal->status;
    }
  }
  return absl::OkStatus();
}

}  // namespace exchange
}  // namespace mikey
