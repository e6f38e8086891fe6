#include "service/broker/key_result_codec.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/srtp/suite.h"

namespace mikey {
namespace service {
namespace keybroker {
namespace {

constexpr uint8_t kFormat = 1;

// Per stream: ssrc(4) roc(4) policy_no(1) cs_id(1) csb_id(4) kdr(4) flags(1)
// suite name(1+n) master key(1+n) master salt(1+n) mki(1+n).
constexpr size_t kFixedStreamSize = 4 + 4 + 1 + 1 + 4 + 4 + 1 + 4;

absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

}  // namespace

size_t EncodedKeyResultSize(const exchange::KeyResult& keys) {
  size_t n = 1 + 4 + 1;
  for (const exchange::StreamKeys& s : keys.streams) {
    n += kFixedStreamSize + (s.suite ? s.suite->name.size() : 0) +
         s.master_key.size() + s.master_salt.size() + s.mki.size();
  }
  return n;
}

absl::Status EncodeKeyResult(const exchange::KeyResult& keys, Writer* w) {
  if (keys.streams.size() > 255) {
    return absl::InternalError("KeyResult: more than 255 streams");
  }
  w->AddU8(kFormat);
  w->AddU32(keys.csb_id);
  w->AddU8(static_cast<uint8_t>(keys.streams.size()));
  for (const exchange::StreamKeys& s : keys.streams) {
    if (s.suite == nullptr) return absl::InternalError("KeyResult: no suite");
    w->AddU32(s.ssrc);
    w->AddU32(s.roc);
    w->AddU8(s.policy_no);
    w->AddU8(s.cs_id);
    w->AddU32(s.csb_id);
    w->AddU32(s.policy.key_derivation_rate);
    w->AddU8((s.policy.srtp_encryption ? 1 : 0) |
             (s.policy.srtcp_encryption ? 2 : 0) |
             (s.policy.srtp_authentication ? 4 : 0));
    absl::Status st = w->AddU8LengthPrefixed("suite", AsBytes(s.suite->name));
    if (st.ok()) st = w->AddU8LengthPrefixed("master key", s.master_key.span());
    if (st.ok()) {
      st = w->AddU8LengthPrefixed("master salt", s.master_salt.span());
    }
    if (st.ok()) st = w->AddU8LengthPrefixed("MKI", s.mki);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<exchange::KeyResult> DecodeKeyResult(Reader* r) {
  uint8_t format = 0, count = 0;
  exchange::KeyResult out;
  absl::Status s = r->ReadU8("format", &format);
  if (s.ok() && format != kFormat) {
    return r->Error("format", absl::StrCat("unknown value ", format));
  }
  if (s.ok()) s = r->ReadU32("CSB ID", &out.csb_id);
  if (s.ok()) s = r->ReadU8("stream count", &count);
  if (!s.ok()) return s;
  for (int i = 0; i < count; ++i) {
    exchange::StreamKeys k;
    uint8_t flags = 0, len = 0;
    absl::Span<const uint8_t> name, key, salt, mki;
    s = r->ReadU32("SSRC", &k.ssrc);
    if (s.ok()) s = r->ReadU32("ROC", &k.roc);
    if (s.ok()) s = r->ReadU8("policy no", &k.policy_no);
    if (s.ok()) s = r->ReadU8("cs_id", &k.cs_id);
    if (s.ok()) s = r->ReadU32("CSB ID", &k.csb_id);
    if (s.ok()) s = r->ReadU32("KDR", &k.policy.key_derivation_rate);
    if (s.ok()) s = r->ReadU8("flags", &flags);
    if (s.ok()) s = r->ReadU8("suite length", &len);
    if (s.ok()) s = r->ReadBytes("suite", len, &name);
    if (s.ok()) s = r->ReadU8("master key length", &len);
    if (s.ok()) s = r->ReadBytes("master key", len, &key);
    if (s.ok()) s = r->ReadU8("master salt length", &len);
    if (s.ok()) s = r->ReadBytes("master salt", len, &salt);
    if (s.ok()) s = r->ReadU8("MKI length", &len);
    if (s.ok()) s = r->ReadBytes("MKI", len, &mki);
    if (!s.ok()) return s;
    absl::StatusOr<const srtp::CryptoSuite*> suite =
        srtp::FindSuite(absl::string_view(
            reinterpret_cast<const char*>(name.data()), name.size()));
    if (!suite.ok()) return r->Error("suite", "unknown suite");
    k.suite = *suite;
    k.policy.suite = *suite;
    k.policy.srtp_encryption = flags & 1;
    k.policy.srtcp_encryption = flags & 2;
    k.policy.srtp_authentication = flags & 4;
    k.master_key = SecretBytes(key);
    k.master_salt = SecretBytes(salt);
    k.mki.assign(mki.begin(), mki.end());
    out.streams.push_back(std::move(k));
  }
  return out;
}

}  // namespace keybroker
}  // namespace service
}  // namespace mikey
