#include "service/broker/broker.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/bytes/reader.h"
#include "core/bytes/secret_bytes.h"
#include "core/bytes/writer.h"
#include "core/message/message.h"
#include "core/sdp/key_mgmt.h"
#include "core/srtp/key_derivation.h"
#include "service/decode.h"

namespace mikey {
namespace service {
namespace keybroker {

namespace pb = ::mikey::broker::v1;

namespace {

// The state token's payload: which key the exchange used, then the
// adapter's own state.
//   format(1) = 1
//   kind(1): 0 no key | 1 keystore: id length(1) id version(4)
//            | 2 inline: length(2) key
//   adapter state (the rest)
constexpr uint8_t kEnvelopeFormat = 1;
constexpr uint8_t kKeyNone = 0;
constexpr uint8_t kKeyStore = 1;
constexpr uint8_t kKeyInline = 2;

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

absl::StatusOr<SecretBytes> SealEnvelope(const ResolvedKey* key,
                                         absl::Span<const uint8_t> state) {
  Writer w;
  w.Reserve(2 + (key ? 2 + key->key_id.size() + 4 + key->material.size() : 0) +
            state.size());
  w.AddU8(kEnvelopeFormat);
  absl::Status s;
  if (key == nullptr) {
    w.AddU8(kKeyNone);
  } else if (key->is_inline()) {
    w.AddU8(kKeyInline);
    s = w.AddU16LengthPrefixed("inline key", key->material.span());
  } else {
    w.AddU8(kKeyStore);
    s = w.AddU8LengthPrefixed("key id", AsBytes(key->key_id));
    w.AddU32(key->version);
  }
  w.AddBytes(state);
  std::vector<uint8_t> bytes = std::move(w).Finish();
  SecretBytes out(bytes);
  SecureWipe(bytes.data(), bytes.size());
  if (!s.ok()) return s;
  return out;
}

struct Envelope {
  uint8_t kind = kKeyNone;
  std::string key_id;
  uint32_t version = 0;
  absl::Span<const uint8_t> inline_key;  // into the opened payload
  absl::Span<const uint8_t> state;       // into the opened payload
};

// The payload was authenticated, so a malformed one is this server's bug.
absl::StatusOr<Envelope> OpenEnvelope(absl::Span<const uint8_t> payload) {
  Reader r(payload, 0, "state envelope");
  Envelope e;
  uint8_t format = 0;
  absl::Status s = r.ReadU8("format", &format);
  if (s.ok() && format != kEnvelopeFormat) {
    s = r.Error("format", "unknown value");
  }
  if (s.ok()) s = r.ReadU8("key kind", &e.kind);
  if (s.ok() && e.kind == kKeyStore) {
    uint8_t len = 0;
    absl::Span<const uint8_t> id;
    s = r.ReadU8("key id length", &len);
    if (s.ok()) s = r.ReadBytes("key id", len, &id);
    if (s.ok()) s = r.ReadU32("key version", &e.version);
    e.key_id.assign(id.begin(), id.end());
  } else if (s.ok() && e.kind == kKeyInline) {
    uint16_t len = 0;
    s = r.ReadU16("inline key length", &len);
    if (s.ok()) s = r.ReadBytes("inline key", len, &e.inline_key);
  } else if (s.ok() && e.kind != kKeyNone) {
    s = r.Error("key kind", "unknown value");
  }
  if (!s.ok()) return absl::InternalError(s.message());
  e.state = r.ReadRest();
  return e;
}

// Wipes a message buffer when leaving scope (MIKEY-NULL messages hold keys).
class WipeOnExit {
 public:
  explicit WipeOnExit(Bytes* b) : b_(b) {}
  ~WipeOnExit() { SecureWipe(b_->data(), b_->size()); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  Bytes* b_;
};

absl::Status CheckDeadline(const CallContext& call) {
  return call.check_deadline ? call.check_deadline() : absl::OkStatus();
}

void RecordKey(const CallContext& call, const ResolvedKey* key) {
  if (call.record == nullptr || key == nullptr) return;
  call.record->key_id = key->key_id;
  call.record->key_version = static_cast<int>(key->version);
}

// Sets response.key for a keystore key; no key or an inline key leave it
// unset.
template <typename Response>
void SetKeyUsed(const ResolvedKey* key, Response* response) {
  if (key == nullptr || key->is_inline()) return;
  response->mutable_key()->set_key_id(key->key_id);
  response->mutable_key()->set_version(key->version);
}

std::string ToString(absl::Span<const uint8_t> b) {
  return std::string(b.begin(), b.end());
}

bool IsResponseDataType(uint8_t dt) {
  return dt == data_type::kPskVerify || dt == data_type::kPkVerify ||
         dt == data_type::kDhResp || dt == data_type::kError ||
         dt == data_type::kDhhmacResp || dt == data_type::kRsaRResp;
}

// The mode an I_MESSAGE data type belongs to, for "not implemented" errors.
pb::Mode ModeOfDataType(uint8_t dt) {
  switch (dt) {
    case data_type::kPskInit:
      return pb::MODE_PSK;
    case data_type::kPkInit:
      return pb::MODE_PUBLIC_KEY;
    case data_type::kDhInit:
      return pb::MODE_DH;
    case data_type::kDhhmacInit:
      return pb::MODE_DHHMAC;
    case data_type::kRsaRInit:
      return pb::MODE_RSA_R;
    default:
      return pb::MODE_UNSPECIFIED;
  }
}

// Whether `key` is of the kind the mode uses (mode_adapter.h, Traits).
absl::Status CheckKeyKind(const ModeAdapter::Traits& traits,
                          const ResolvedKey& key, absl::string_view field) {
  const char* mode = ModeName(traits.mode);
  if (traits.key_kind == ModeAdapter::Traits::KeyKind::kCredential) {
    if (key.is_inline()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".inline_key: mode ", mode,
          " needs an RSA credential of the keystore (", field,
          ".key_id naming <key_id>.v<N>.key.pem and .crt.pem files)"));
    }
    if (!key.is_credential()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".key_id: '", key.key_id, "' is a symmetric key; mode ", mode,
          " needs an RSA credential (<key_id>.v<N>.key.pem and .crt.pem "
          "files)"));
    }
  } else if (key.is_credential()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".key_id: '", key.key_id, "' is an RSA credential; mode ", mode,
        " needs a symmetric key (<key_id>.v<N> hex files)"));
  }
  return absl::OkStatus();
}

absl::Status ErrorWithRespondError(absl::Status status,
                                   absl::Span<const uint8_t> reply,
                                   std::optional<uint8_t> error_no) {
  pb::RespondError detail;
  detail.set_error_message(ToString(reply));
  detail.set_key_mgmt(sdp::FormatKeyMgmtValue(reply));
  // Name the error from the message itself (DecodeMessage names ERR
  // payloads as the API documents them).
  pb::DecodedMessage decoded;
  if (DecodeMessage(reply, &decoded).ok()) {
    for (const pb::Payload& p : decoded.payloads()) {
      if (p.has_error()) {
        detail.set_error_no(p.error().error_no());
        detail.set_error_name(p.error().error_name());
        break;
      }
    }
  } else if (error_no) {
    detail.set_error_no(*error_no);
  }
  status.SetPayload(kRespondErrorTypeUrl,
                    absl::Cord(detail.SerializeAsString()));
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Broker>> Broker::Create(
    const BrokerOptions& options) {
  BrokerParts parts;
  if (options.keystore_dir.empty()) {
    OpenSslRandom rng;
    absl::StatusOr<std::shared_ptr<const keystore::KeySnapshot>> demo =
        keystore::GenerateDemoKeys({options.demo_key_id, options.state_key_id},
                                   rng);
    if (!demo.ok()) return demo.status();
    parts.keys = std::make_unique<keystore::StaticKeyStore>(*std::move(demo));
  } else {
    keystore::DirectoryKeyStore::Options ks;
    ks.reload_interval = options.keystore_reload_interval;
    auto user_callback = options.on_keystore_reload;
    ks.on_reload = [user_callback](const keystore::ReloadEvent& e) {
      if (e.status.ok()) {
        std::cerr << "mikeyd: keystore: reloaded " << e.dir << " ("
                  << e.key_count << " keys)" << std::endl;
      } else {
        std::cerr << "mikeyd: keystore: reload of " << e.dir
                  << " failed, keeping the previous keys (" << e.key_count
                  << "): " << e.status.message() << std::endl;
      }
      if (user_callback) user_callback(e);
    };
    absl::StatusOr<std::unique_ptr<keystore::DirectoryKeyStore>> store =
        keystore::DirectoryKeyStore::Open(options.keystore_dir, std::move(ks));
    if (!store.ok()) {
      return absl::Status(store.status().code(),
                          absl::StrCat("keystore: ", store.status().message()));
    }
    parts.keys = *std::move(store);
  }
  return std::make_unique<Broker>(options, std::move(parts));
}

Broker::Broker(const BrokerOptions& options, BrokerParts parts)
    : options_(options),
      keys_(std::move(parts.keys)),
      registry_(parts.registry
                    ? std::move(parts.registry)
                    : std::make_unique<ModeRegistry>(DefaultModeRegistry())),
      resolver_(keys_.get(), options.inline_keys_allowed),
      sealer_(keys_.get(), options.state_key_id, options.state_ttl) {
  if (parts.replay_cache == nullptr) parts.replay_cache = options.replay_cache;
  if (parts.replay_cache == nullptr) {
    own_replay_cache_ = std::make_unique<replay::InMemoryReplayCache>(
        std::max<size_t>(1, options.replay_cache_capacity));
    parts.replay_cache = own_replay_cache_.get();
  }
  if (options.trust == nullptr) {
    own_trust_ = std::make_unique<trust::TrustStore>();
  }
  env_.trust = options.trust != nullptr ? options.trust : own_trust_.get();
  env_.clock = parts.clock ? parts.clock : &system_clock_;
  env_.rng = parts.rng ? parts.rng : &system_rng_;
  env_.replay_cache = parts.replay_cache;
  env_.max_clock_skew = options.replay_max_skew;
}

const keystore::DirectoryKeyStore* Broker::directory_keystore() const {
  return dynamic_cast<const keystore::DirectoryKeyStore*>(keys_.get());
}

std::string Broker::Banner() const {
  std::shared_ptr<const keystore::KeySnapshot> keys = keys_->Current();
  std::string out =
      options_.keystore_dir.empty()
          ? absl::StrCat(
                "mikeyd: keystore: DEMO keys generated in memory at start (",
                absl::StrJoin(keys->ids(), ", "),
                "): random and different in every process; configure a "
                "keystore directory to share keys")
          : absl::StrCat(
                "mikeyd: keystore: ", options_.keystore_dir, ": ",
                keys->key_count(), " key(s) (", keys->credential_count(),
                " RSA credential(s)): ", absl::StrJoin(keys->ids(), ", "));
  absl::StrAppend(&out, "\nmikeyd: trust: ", env_.trust->Describe());
  absl::Status state = CheckStateKey();
  absl::StrAppend(
      &out, "\nmikeyd: state tokens: ",
      state.ok()
          ? absl::StrCat("sealed with keystore key '", options_.state_key_id,
                         "', valid ", absl::FormatDuration(options_.state_ttl))
          : absl::StrCat("WARNING: ", state.message()));
  return out;
}

absl::Status Broker::CheckStateKey() const {
  std::shared_ptr<const keystore::KeySnapshot> snapshot = keys_->Current();
  const keystore::Key* key = snapshot->Find(options_.state_key_id);
  if (key == nullptr || key->versions.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state key '", options_.state_key_id,
        "' is not in the keystore: exchanges that need Complete (PSK and "
        "PUBLIC_KEY with the V flag, DH, DHHMAC, RSA_R) will fail until it "
        "is added"));
  }
  for (const keystore::KeyVersion& v : key->versions) {
    if (v.is_credential()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state key '", options_.state_key_id,
          "' is an RSA credential; it must be a symmetric key (hex file)"));
    }
    if (v.material.size() < state::kMinStateKeyLength) {
      return absl::FailedPreconditionError(absl::StrCat(
          "state key '", options_.state_key_id, "' version ", v.version,
          " has ", v.material.size(), " octets; at least ",
          state::kMinStateKeyLength, " are needed"));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Initiate.

absl::Status Broker::Initiate(const pb::InitiateRequest& request,
                              pb::InitiateResponse* response,
                              const CallContext& call) {
  response->Clear();
  const pb::Mode mode = request.mode();
  const char* mode_name = ModeName(mode);
  if (mode_name[0] == '\0') {
    return absl::InvalidArgumentError(
        "mode: required (MODE_PSK, MODE_PSK_NULL, MODE_DH, MODE_DHHMAC, "
        "MODE_PUBLIC_KEY or MODE_RSA_R)");
  }
  if (call.record != nullptr) call.record->mode = mode_name;
  const ModeAdapter* adapter = registry_->ByMode(mode);
  if (adapter == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("mode ", mode_name,
                     ": not implemented by this server yet (implemented: ",
                     registry_->ModeNames(), ")"));
  }
  const ModeAdapter::Traits& traits = adapter->traits();

  // Authorization before anything that looks at the key.
  const std::string key_id =
      request.key().key_case() == pb::KeyReference::kKeyId
          ? request.key().key_id()
          : std::string();
  if (absl::Status s = call.authorize(key_id); !s.ok()) return s;

  if (!traits.initiate_needs_key && KeyResolver::IsSet(request.key())) {
    return absl::InvalidArgumentError(
        absl::StrCat("key: mode ", mode_name, " uses no key"));
  }
  if (!traits.uses_peer_certificate && !request.peer_certificate().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "peer_certificate: mode ", mode_name, " uses no certificate"));
  }
  InitiateParams params;
  params.request = &request;
  absl::StatusOr<std::vector<StreamParams>> streams =
      StreamsFromRequest(request);
  if (!streams.ok()) return streams.status();
  params.streams = *std::move(streams);
  if (call.record != nullptr) {
    call.record->stream_count = static_cast<int>(params.streams.size());
  }
  absl::StatusOr<uint8_t> prf = PrfFuncWire(request.prf_func());
  if (!prf.ok()) return prf.status();
  params.prf_func = *prf;
  std::optional<ResolvedKey> key;
  if (traits.initiate_needs_key) {
    absl::StatusOr<ResolvedKey> k =
        resolver_.ForNewExchange(request.key(), "key");
    if (!k.ok()) return k.status();
    key = *std::move(k);
    params.key = &*key;
    RecordKey(call, params.key);
    if (absl::Status s = CheckKeyKind(traits, *key, "key"); !s.ok()) return s;
  }

  if (absl::Status s = CheckDeadline(call); !s.ok()) return s;
  absl::StatusOr<Initiation> init = adapter->Initiate(params, env_);
  if (!init.ok()) return init.status();
  if (call.record != nullptr) call.record->csb_id = init->csb_id;

  std::string sdp_out;
  if (!request.sdp().empty()) {
    absl::StatusOr<std::string> sdp =
        sdp::InsertKeyMgmtInSdp(request.sdp(), init->i_message);
    if (!sdp.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sdp: ", sdp.status().message()));
    }
    sdp_out = *std::move(sdp);
  }
  if (init->state) {
    absl::StatusOr<SecretBytes> envelope =
        SealEnvelope(params.key, init->state->span());
    if (!envelope.ok()) return envelope.status();
    absl::StatusOr<state::SealedState> sealed =
        sealer_.Seal({static_cast<uint8_t>(mode), init->csb_id},
                     envelope->span(), env_.clock->Now(), *env_.rng);
    if (!sealed.ok()) return sealed.status();
    response->set_state(ToString(sealed->token));
    response->mutable_state_expire_time()->set_seconds(
        absl::ToUnixSeconds(sealed->expires));
  }

  response->set_mode(mode);
  response->set_i_message(ToString(init->i_message));
  response->set_key_mgmt(sdp::FormatKeyMgmtValue(init->i_message));
  response->set_csb_id(init->csb_id);
  if (init->keys) FillStreamKeys(*init->keys, response->mutable_streams());
  response->set_sdp(std::move(sdp_out));
  SetKeyUsed(params.key, response);
  // The I_MESSAGE of MIKEY-NULL holds keys in clear.
  SecureWipe(init->i_message.data(), init->i_message.size());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Respond.

absl::Status Broker::Respond(const pb::RespondRequest& request,
                             pb::RespondResponse* response,
                             const CallContext& call) {
  response->Clear();
  absl::StatusOr<Bytes> i_message = ExtractMikey(request.input(), "input");
  if (!i_message.ok()) return i_message.status();
  WipeOnExit wipe(&*i_message);
  absl::StatusOr<HeaderPeek> peek = PeekHeader(*i_message, "input");
  if (!peek.ok()) return peek.status();
  if (call.record != nullptr) call.record->csb_id = peek->csb_id;

  const ModeAdapter* adapter = registry_->ByIMessageDataType(peek->data_type);
  if (adapter == nullptr) {
    const std::string what =
        absl::StrCat("input: data type ", peek->data_type, " (",
                     DataTypeName(peek->data_type), ")");
    if (IsResponseDataType(peek->data_type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what,
          " is not an I_MESSAGE: Respond takes the Initiator's message (an "
          "answer to this service's I_MESSAGE goes to Complete)"));
    }
    const pb::Mode mode = ModeOfDataType(peek->data_type);
    if (mode != pb::MODE_UNSPECIFIED ||
        peek->data_type == data_type::kSakkeInit) {
      if (call.record != nullptr) call.record->mode = ModeName(mode);
      return absl::UnimplementedError(
          absl::StrCat(what, ": mode ",
                       mode == pb::MODE_UNSPECIFIED ? "SAKKE" : ModeName(mode),
                       " is not implemented by this server yet"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a MIKEY data type this server knows"));
  }
  if (call.record != nullptr) {
    call.record->mode = ModeName(adapter->traits().mode);
  }

  const std::string key_id =
      request.key().key_case() == pb::KeyReference::kKeyId
          ? request.key().key_id()
          : std::string();
  if (absl::Status s = call.authorize(key_id); !s.ok()) return s;
  if (call.record != nullptr) call.record->key_id = key_id;

  std::vector<ResolvedKey> keys;
  if (KeyResolver::IsSet(request.key())) {
    absl::StatusOr<std::vector<ResolvedKey>> k =
        resolver_.ForVerification(request.key(), "key");
    if (!k.ok()) return k.status();
    keys = *std::move(k);
    if (absl::Status s = CheckKeyKind(adapter->traits(), keys.front(), "key");
        !s.ok()) {
      return s;
    }
  }
  if (!adapter->traits().uses_peer_certificate &&
      !request.peer_certificate().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer_certificate: mode ",
                     ModeName(adapter->traits().mode), " uses no certificate"));
  }
  RespondParams params;
  params.request = &request;
  params.keys = &keys;
  for (int i = 0; i < request.allowed_suites_size(); ++i) {
    absl::StatusOr<const srtp::CryptoSuite*> suite = SuiteByName(
        request.allowed_suites(i), absl::StrCat("allowed_suites[", i, "]"));
    if (!suite.ok()) return suite.status();
    params.allowed_suites.push_back(*suite);
  }

  if (absl::Status s = CheckDeadline(call); !s.ok()) return s;
  Response r = adapter->Respond(*i_message, params, env_);
  if (call.record != nullptr) {
    call.record->mode = ModeName(r.mode);
    RecordKey(call, r.key);
    if (r.keys) {
      call.record->stream_count = static_cast<int>(r.keys->streams.size());
    }
  }
  if (!r.status.ok()) {
    if (r.reply.empty()) return r.status;
    return ErrorWithRespondError(r.status, r.reply, r.error_no);
  }
  if (!r.keys) return absl::InternalError("Respond: no keys");

  std::string sdp_out;
  if (!request.sdp().empty() && !r.reply.empty()) {
    absl::StatusOr<std::string> sdp =
        sdp::InsertKeyMgmtInSdp(request.sdp(), r.reply);
    if (!sdp.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sdp: ", sdp.status().message()));
    }
    sdp_out = *std::move(sdp);
  }
  response->set_mode(r.mode);
  response->set_csb_id(r.keys->csb_id);
  FillStreamKeys(*r.keys, response->mutable_streams());
  if (!r.reply.empty()) {
    response->set_r_message(ToString(r.reply));
    response->set_key_mgmt(sdp::FormatKeyMgmtValue(r.reply));
  }
  response->set_sdp(std::move(sdp_out));
  SetKeyUsed(r.key, response);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Complete.

absl::Status Broker::Complete(const pb::CompleteRequest& request,
                              pb::CompleteResponse* response,
                              const CallContext& call) {
  response->Clear();
  if (absl::Status s = call.authorize(""); !s.ok()) return s;
  if (request.state().empty()) {
    return absl::InvalidArgumentError(
        "state: required (the state field of the InitiateResponse)");
  }
  absl::StatusOr<Bytes> message = ExtractMikey(request.input(), "input");
  if (!message.ok()) return message.status();
  WipeOnExit wipe(&*message);
  absl::StatusOr<HeaderPeek> peek = PeekHeader(*message, "input");
  if (!peek.ok()) return peek.status();
  if (call.record != nullptr) call.record->csb_id = peek->csb_id;

  absl::StatusOr<state::OpenedState> opened =
      sealer_.Open(AsBytes(request.state()), peek->csb_id, env_.clock->Now());
  if (!opened.ok()) return opened.status();
  const pb::Mode mode = static_cast<pb::Mode>(opened->mode);
  if (call.record != nullptr) call.record->mode = ModeName(mode);
  const ModeAdapter* adapter = registry_->ByMode(mode);
  if (adapter == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("state: an exchange of mode ", opened->mode,
                     ", which this server does not implement"));
  }
  absl::StatusOr<Envelope> envelope = OpenEnvelope(opened->payload.span());
  if (!envelope.ok()) return envelope.status();

  std::optional<ResolvedKey> key;
  if (envelope->kind == kKeyStore) {
    if (absl::Status s = call.authorize(envelope->key_id); !s.ok()) return s;
    absl::StatusOr<ResolvedKey> k =
        resolver_.Exact(envelope->key_id, envelope->version);
    if (!k.ok()) {
      return absl::Status(
          k.status().code(),
          absl::StrCat(k.status().message(),
                       " (the exchange was initiated with it; was it retired "
                       "since?)"));
    }
    key = *std::move(k);
  } else if (envelope->kind == kKeyInline) {
    key.emplace();
    key->material = SecretBytes(envelope->inline_key);
  }
  RecordKey(call, key ? &*key : nullptr);

  if (absl::Status s = CheckDeadline(call); !s.ok()) return s;
  absl::StatusOr<exchange::KeyResult> keys =
      adapter->Complete(*message, envelope->state, key ? &*key : nullptr, env_);
  if (!keys.ok()) return keys.status();
  if (call.record != nullptr) {
    call.record->stream_count = static_cast<int>(keys->streams.size());
  }
  response->set_mode(mode);
  response->set_csb_id(keys->csb_id);
  FillStreamKeys(*keys, response->mutable_streams());
  SetKeyUsed(key ? &*key : nullptr, response);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// DeriveSessionKeys.

namespace {

void FillSessionKeys(const srtp::SessionKeys& keys, pb::SessionKeys* out) {
  out->set_encryption_key(ToString(keys.encr_key.span()));
  out->set_authentication_key(ToString(keys.auth_key.span()));
  out->set_salt(ToString(keys.salt.span()));
}

}  // namespace

absl::Status Broker::DeriveSessionKeys(
    const pb::DeriveSessionKeysRequest& request,
    pb::DeriveSessionKeysResponse* response, const CallContext& call) {
  response->Clear();
  if (absl::Status s = call.authorize(""); !s.ok()) return s;
  absl::StatusOr<const srtp::CryptoSuite*> suite =
      SuiteByName(request.suite(), "suite");
  if (!suite.ok()) return suite.status();
  const srtp::CryptoSuite& cs = **suite;
  if (request.master_key().size() != cs.master_key_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("master_key: ", request.master_key().size(), " octets; ",
                     cs.name, " needs ", cs.master_key_length));
  }
  if (request.master_salt().size() != cs.master_salt_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("master_salt: ", request.master_salt().size(), " octets; ",
                     cs.name, " needs ", cs.master_salt_length));
  }
  const uint32_t kdr = request.key_derivation_rate();
  if (kdr != 0 && ((kdr & (kdr - 1)) != 0 || kdr > (1u << 24))) {
    return absl::InvalidArgumentError(
        absl::StrCat("key_derivation_rate: ", kdr,
                     " (expected 0 or a power of 2 up to 2^24)"));
  }
  if (request.srtp_index() >= (uint64_t{1} << 48)) {
    return absl::InvalidArgumentError(
        "srtp_index: more than 48 bits (RFC 3711 section 3.3.1)");
  }
  if (request.srtcp_index() >= (uint32_t{1} << 31)) {
    return absl::InvalidArgumentError(
        "srtcp_index: more than 31 bits (RFC 3711 section 3.4)");
  }
  if (absl::Status s = CheckDeadline(call); !s.ok()) return s;
  absl::StatusOr<srtp::SessionKeys> srtp_keys = srtp::DeriveSrtpKeys(
      cs, AsBytes(request.master_key()), AsBytes(request.master_salt()),
      request.srtp_index(), kdr);
  if (!srtp_keys.ok()) return srtp_keys.status();
  absl::StatusOr<srtp::SessionKeys> srtcp_keys = srtp::DeriveSrtcpKeys(
      cs, AsBytes(request.master_key()), AsBytes(request.master_salt()),
      request.srtcp_index(), kdr);
  if (!srtcp_keys.ok()) return srtcp_keys.status();
  FillSessionKeys(*srtp_keys, response->mutable_srtp());
  FillSessionKeys(*srtcp_keys, response->mutable_srtcp());
  return absl::OkStatus();
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
