// Key data sub-payload chain (RFC 3830 §6.13) carried inside a KEMAC.
//
//   next(8) | Type(4) KV(4) | Key data len(16) | Key data
//   [Salt len(16) | Salt data]   when Type is TGK+SALT (1) or TEK+SALT (3)
//   [KV data]                    SPI: len(8) SPI; Interval: VF len(8) VF
//                                VT len(8) VT (§6.14)
//
// Salt presence follows the Type, never the KV nibble. GStreamer's writer
// ORs 1 into the type when it has a salt, so its TEK-with-salt comes out as
// type 3 with a Salt len field: the same wire form as here.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/bytes/reader.h"
#include "core/bytes/secret_bytes.h"
#include "core/bytes/writer.h"
#include "core/message/internal.h"
#include "core/message/message.h"

namespace mikey {
namespace {

using message_internal::CheckKeyValidity;
using message_internal::FieldError;
using message_internal::KeyValidityDataSize;
using message_internal::ParseKeyValidity;
using message_internal::WithContext;
using message_internal::WriteKeyValidityData;

bool HasSalt(uint8_t type) {
  return type == key_data_type::kTgkSalt || type == key_data_type::kTekSalt;
}

// "KEY-DATA sub-payload #3", formatted only for errors.
LazyName SubPayloadName(size_t index) {
  return LazyName("KEY-DATA sub-payload #", index);
}

// Every sub-payload takes at least 4 octets; chains rarely hold more than 4.
constexpr size_t kMinSubPayloadSize = 4;
constexpr size_t kTypicalSubPayloadCount = 4;

}  // namespace

absl::StatusOr<std::vector<KeyDataPayload>> ParseKeyDataList(
    absl::Span<const uint8_t> chain, size_t base_offset) {
  if (chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(SubPayloadName(1).ToString(), " at offset ", base_offset,
                     ": the key data list is empty"));
  }
  Reader r(chain, base_offset, SubPayloadName(1));
  std::vector<KeyDataPayload> out;
  out.reserve(
      std::min(chain.size() / kMinSubPayloadSize, kTypicalSubPayloadCount));
  uint8_t next = payload_type::kKeyData;
  for (size_t index = 1; next != payload_type::kLast; ++index) {
    r.set_context(SubPayloadName(index));
    size_t at = r.offset();
    if (auto s = r.ReadU8("next payload", &next); !s.ok()) return s;
    if (next != payload_type::kKeyData && next != payload_type::kLast) {
      return r.ErrorAt(
          at, "next payload",
          absl::StrCat("is ", static_cast<int>(next),
                       "; inside a KEMAC only Key data (20) or Last (0) may "
                       "follow"));
    }
    at = r.offset();
    uint8_t type_kv = 0;
    if (auto s = r.ReadU8("Type/KV", &type_kv); !s.ok()) return s;
    KeyDataPayload& kd = out.emplace_back();
    kd.type = type_kv >> 4;
    if (kd.type > key_data_type::kTekSalt) {
      return r.ErrorAt(
          at, "Type",
          absl::StrCat("unknown key data type ", static_cast<int>(kd.type),
                       ": whether a salt follows is unknown"));
    }
    uint16_t key_len = 0;
    if (auto s = r.ReadU16("Key data len", &key_len); !s.ok()) return s;
    absl::Span<const uint8_t> bytes;
    if (auto s = r.ReadBytes("Key data", key_len, &bytes); !s.ok()) return s;
    kd.key = SecretBytes(bytes);
    if (HasSalt(kd.type)) {
      uint16_t salt_len = 0;
      if (auto s = r.ReadU16("Salt len", &salt_len); !s.ok()) return s;
      if (auto s = r.ReadBytes("Salt data", salt_len, &bytes); !s.ok()) {
        return s;
      }
      kd.salt = SecretBytes(bytes);
    }
    if (auto s = ParseKeyValidity(type_kv & 0x0f, at, &r, &kd.validity);
        !s.ok()) {
      return s;
    }
  }
  if (!r.empty()) {
    return r.Error("next payload",
                   absl::StrCat(r.remaining(),
                                " trailing octets after the Last key data "
                                "sub-payload"));
  }
  return out;
}

absl::StatusOr<SecretBytes> SerializeKeyDataList(
    absl::Span<const KeyDataPayload> key_data) {
  if (key_data.empty()) {
    return absl::InvalidArgumentError(
        "KEY-DATA: a key data list needs at least one sub-payload");
  }
  // Check everything and size the output first, so that the buffer holding
  // key material is allocated once and never reallocated.
  size_t total = 0;
  for (size_t i = 0; i < key_data.size(); ++i) {
    const KeyDataPayload& kd = key_data[i];
    const LazyName ctx = SubPayloadName(i + 1);
    if (kd.type > key_data_type::kTekSalt) {
      return FieldError(
          ctx, "Type",
          absl::StrCat("unknown key data type ", static_cast<int>(kd.type)));
    }
    if (HasSalt(kd.type) != kd.salt.has_value()) {
      return FieldError(ctx, "Salt data",
                        HasSalt(kd.type)
                            ? "type TGK+SALT/TEK+SALT needs a salt"
                            : "a salt needs type TGK+SALT or TEK+SALT");
    }
    if (auto s = Writer::CheckFits("Key data len", kd.key.size(), 16);
        !s.ok()) {
      return WithContext(ctx, s);
    }
    if (kd.salt) {
      if (auto s = Writer::CheckFits("Salt len", kd.salt->size(), 16);
          !s.ok()) {
        return WithContext(ctx, s);
      }
    }
    if (auto s = CheckKeyValidity(kd.validity, ctx); !s.ok()) return s;
    total += 4 + kd.key.size() + (kd.salt ? 2 + kd.salt->size() : 0) +
             KeyValidityDataSize(kd.validity);
  }

  // Written straight into the SecretBytes: no intermediate copy of the keys
  // to wipe, one allocation.
  SecretBytes out(total);
  FixedWriter w(out.mutable_span());
  for (size_t i = 0; i < key_data.size(); ++i) {
    const KeyDataPayload& kd = key_data[i];
    w.AddU8(i + 1 < key_data.size() ? payload_type::kKeyData
                                    : payload_type::kLast);
    w.AddU8(static_cast<uint8_t>((kd.type << 4) | kd.validity.type));
    w.AddU16(static_cast<uint16_t>(kd.key.size()));
    w.AddSecretBytes(kd.key.span());
    if (kd.salt) {
      w.AddU16(static_cast<uint16_t>(kd.salt->size()));
      w.AddSecretBytes(kd.salt->span());
    }
    WriteKeyValidityData(kd.validity, &w);
  }
  if (!w.full()) {
    return absl::InternalError("KEY-DATA: serialized size mismatch");
  }
  return out;
}

}  // namespace mikey
