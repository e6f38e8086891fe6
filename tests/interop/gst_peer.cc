#include "tests/interop/gst_peer.h"

#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mikey {
namespace interop {
namespace {

std::string HexOrDash(const guint8* data, size_t len) {
  if (data == nullptr || len == 0) return "-";
  return ToHex(absl::MakeConstSpan(data, len));
}

Bytes FromHexOrDash(absl::string_view s) {
  if (s == "-") return {};
  return FromHex(s);
}

size_t GstTsLength(int ts_type) {
  return ts_type == GST_MIKEY_TS_TYPE_COUNTER ? 4 : 8;
}

}  // namespace

std::string DumpGstMessage(const GstMIKEYMessage* msg) {
  std::ostringstream out;
  out << "MSG " << int{msg->version} << " " << static_cast<int>(msg->type)
      << " " << (msg->V ? 1 : 0) << " " << static_cast<int>(msg->prf_func)
      << " " << msg->CSB_id << " " << static_cast<int>(msg->map_type) << "\n";
  for (guint i = 0; i < gst_mikey_message_get_n_cs(msg); ++i) {
    const GstMIKEYMapSRTP* cs = gst_mikey_message_get_cs_srtp(msg, i);
    out << "CS " << int{cs->policy} << " " << cs->ssrc << " " << cs->roc
        << "\n";
  }
  for (guint i = 0; i < gst_mikey_message_get_n_payloads(msg); ++i) {
    const GstMIKEYPayload* p = gst_mikey_message_get_payload(msg, i);
    switch (p->type) {
      case GST_MIKEY_PT_T: {
        auto* t = reinterpret_cast<const GstMIKEYPayloadT*>(p);
        out << "T " << static_cast<int>(t->type) << " "
            << HexOrDash(t->ts_value, GstTsLength(t->type)) << "\n";
        break;
      }
      case GST_MIKEY_PT_RAND: {
        auto* r = reinterpret_cast<const GstMIKEYPayloadRAND*>(p);
        out << "RAND " << HexOrDash(r->rand, r->len) << "\n";
        break;
      }
      case GST_MIKEY_PT_SP: {
        auto* sp = reinterpret_cast<const GstMIKEYPayloadSP*>(p);
        out << "SP " << sp->policy << " " << static_cast<int>(sp->proto)
            << "\n";
        for (guint k = 0; k < gst_mikey_payload_sp_get_n_params(p); ++k) {
          const GstMIKEYPayloadSPParam* param =
              gst_mikey_payload_sp_get_param(p, k);
          out << "PARAM " << int{param->type} << " "
              << HexOrDash(param->val, param->len) << "\n";
        }
        break;
      }
      case GST_MIKEY_PT_KEMAC: {
        auto* k = reinterpret_cast<const GstMIKEYPayloadKEMAC*>(p);
        out << "KEMAC " << static_cast<int>(k->enc_alg) << " "
            << static_cast<int>(k->mac_alg) << "\n";
        for (guint s = 0; s < gst_mikey_payload_kemac_get_n_sub(p); ++s) {
          const GstMIKEYPayload* sub = gst_mikey_payload_kemac_get_sub(p, s);
          if (sub->type != GST_MIKEY_PT_KEY_DATA) {
            out << "SUB " << static_cast<int>(sub->type) << "\n";
            continue;
          }
          auto* kd = reinterpret_cast<const GstMIKEYPayloadKeyData*>(sub);
          out << "KD " << static_cast<int>(kd->key_type) << " "
              << HexOrDash(kd->key_data, kd->key_len) << " "
              << HexOrDash(kd->salt_data, kd->salt_len) << " "
              << static_cast<int>(kd->kv_type) << " "
              << HexOrDash(kd->kv_data[0], kd->kv_len[0]) << " "
              << HexOrDash(kd->kv_data[1], kd->kv_len[1]) << "\n";
        }
        break;
      }
      case GST_MIKEY_PT_PKE: {
        auto* pke = reinterpret_cast<const GstMIKEYPayloadPKE*>(p);
        out << "PKE " << static_cast<int>(pke->C) << " "
            << HexOrDash(pke->data, pke->data_len) << "\n";
        break;
      }
      default:
        out << "OTHER " << static_cast<int>(p->type) << "\n";
        break;
    }
  }
  return out.str();
}

absl::StatusOr<GstMessageView> ParseGstDump(const std::string& dump) {
  GstMessageView view;
  bool have_msg = false;
  for (absl::string_view line : absl::StrSplit(dump, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    auto num = [&](size_t i) -> long long {
      long long v = -1;
      if (i >= f.size() || !absl::SimpleAtoi(f[i], &v)) return -1;
      return v;
    };
    auto bytes = [&](size_t i) -> Bytes {
      return i < f.size() ? FromHexOrDash(f[i]) : Bytes{};
    };
    const std::string& tag = f[0];
    if (tag == "MSG" && f.size() == 7) {
      view.version = static_cast<int>(num(1));
      view.type = static_cast<int>(num(2));
      view.v = num(3) == 1;
      view.prf = static_cast<int>(num(4));
      view.csb_id = static_cast<uint32_t>(num(5));
      view.map_type = static_cast<int>(num(6));
      have_msg = true;
    } else if (tag == "CS" && f.size() == 4) {
      view.cs.push_back({static_cast<int>(num(1)),
                         static_cast<uint32_t>(num(2)),
                         static_cast<uint32_t>(num(3))});
    } else if (tag == "T" && f.size() == 3) {
      GstPayloadView p;
      p.type = GST_MIKEY_PT_T;
      p.ts_type = static_cast<int>(num(1));
      p.ts_value = bytes(2);
      view.payloads.push_back(p);
    } else if (tag == "RAND" && f.size() == 2) {
      GstPayloadView p;
      p.type = GST_MIKEY_PT_RAND;
      p.rand = bytes(1);
      view.payloads.push_back(p);
    } else if (tag == "SP" && f.size() == 3) {
      GstPayloadView p;
      p.type = GST_MIKEY_PT_SP;
      p.policy = static_cast<int>(num(1));
      p.proto = static_cast<int>(num(2));
      view.payloads.push_back(p);
    } else if (tag == "PARAM" && f.size() == 3 && !view.payloads.empty() &&
               view.payloads.back().type == GST_MIKEY_PT_SP) {
      view.payloads.back().params.push_back(
          {static_cast<int>(num(1)), bytes(2)});
    } else if (tag == "KEMAC" && f.size() == 3) {
      GstPayloadView p;
      p.type = GST_MIKEY_PT_KEMAC;
      p.enc_alg = static_cast<int>(num(1));
      p.mac_alg = static_cast<int>(num(2));
      view.payloads.push_back(p);
    } else if (tag == "KD" && f.size() == 7 && !view.payloads.empty() &&
               view.payloads.back().type == GST_MIKEY_PT_KEMAC) {
      GstKeyDataView kd;
      kd.key_type = static_cast<int>(num(1));
      kd.key = bytes(2);
      kd.salt = bytes(3);
      kd.kv_type = static_cast<int>(num(4));
      kd.kv0 = bytes(5);
      kd.kv1 = bytes(6);
      view.payloads.back().key_data.push_back(kd);
    } else if (tag == "SUB" && !view.payloads.empty() &&
               view.payloads.back().type == GST_MIKEY_PT_KEMAC) {
      view.payloads.back().kemac_other_subs++;
    } else if (tag == "PKE" && f.size() == 3) {
      GstPayloadView p;
      p.type = GST_MIKEY_PT_PKE;
      p.pke_c = static_cast<int>(num(1));
      p.pke_data = bytes(2);
      view.payloads.push_back(p);
    } else if (tag == "OTHER" && f.size() == 2) {
      GstPayloadView p;
      p.type = static_cast<int>(num(1));
      view.payloads.push_back(p);
    } else {
      return absl::InternalError(
          absl::StrCat("unexpected line in GStreamer dump: ", line));
    }
  }
  if (!have_msg) return absl::InternalError("GStreamer dump has no MSG line");
  return view;
}

std::string GstParseResult::Describe() const {
  if (!outcome.ok())
    return absl::StrCat("GStreamer child ", outcome.Describe());
  return parsed ? "GStreamer parsed the message"
                : "GStreamer rejected the message (returned NULL)";
}

GstParseResult ParseWithGstreamer(const Bytes& wire, absl::Duration timeout) {
  GstParseResult result;
  result.outcome = RunIsolated(
      [&wire]() -> std::string {
        GError* error = nullptr;
        // new_from_data asserts data != NULL; give it a valid pointer even
        // for an empty input.
        static const guint8 kEmpty[1] = {0};
        GstMIKEYMessage* msg = gst_mikey_message_new_from_data(
            wire.empty() ? kEmpty : wire.data(), wire.size(), nullptr, &error);
        if (error != nullptr) g_error_free(error);
        if (msg == nullptr) return "NULL\n";
        std::string dump = DumpGstMessage(msg);
        gst_mikey_message_unref(msg);
        return dump;
      },
      timeout);
  if (!result.outcome.ok()) return result;
  if (result.outcome.output == "NULL\n") return result;
  absl::StatusOr<GstMessageView> view = ParseGstDump(result.outcome.output);
  if (!view.ok()) {
    // Treat an unreadable dump as a failed child, with the reason.
    result.outcome.kind = ChildOutcome::kForkFailed;
    result.outcome.error = std::string(view.status().message());
    return result;
  }
  result.parsed = true;
  result.view = *std::move(view);
  return result;
}

absl::StatusOr<Bytes> BuildWithGstreamer(
    const std::function<GstMIKEYMessage*()>& make, absl::Duration timeout) {
  ChildOutcome outcome = RunIsolated(
      [&make]() -> std::string {
        GstMIKEYMessage* msg = make();
        if (msg == nullptr) return "";
        GError* error = nullptr;
        GBytes* bytes = gst_mikey_message_to_bytes(msg, nullptr, &error);
        gst_mikey_message_unref(msg);
        if (bytes == nullptr) {
          if (error != nullptr) g_error_free(error);
          return "";
        }
        gsize size = 0;
        const char* data =
            static_cast<const char*>(g_bytes_get_data(bytes, &size));
        std::string out = "OK" + std::string(data, size);
        g_bytes_unref(bytes);
        return out;
      },
      timeout);
  if (!outcome.ok()) {
    return absl::InternalError(
        absl::StrCat("GStreamer build child ", outcome.Describe()));
  }
  if (outcome.output.size() < 2 || outcome.output.compare(0, 2, "OK") != 0) {
    return absl::InternalError("GStreamer failed to build the message");
  }
  return Bytes(outcome.output.begin() + 2, outcome.output.end());
}

}  // namespace interop
}  // namespace mikey
