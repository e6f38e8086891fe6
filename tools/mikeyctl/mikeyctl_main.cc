// mikeyctl: command-line tool for MIKEY messages and the mikeyd server.
//
//   mikeyctl decode [--binary] [--server=HOST:PORT] [TEXT | -]
//   mikeyctl initiate --server=HOST:PORT --mode=MODE [options]
//   mikeyctl respond --server=HOST:PORT [options] [TEXT | -]
//   mikeyctl complete --server=HOST:PORT --state=BASE64 [TEXT | -]
//   mikeyctl derive [--server=HOST:PORT] --suite=S --master_key=HEX
//                   --master_salt=HEX
//
// decode: finds the MIKEY message in TEXT (base64, an a=key-mgmt line, an
// RTSP KeyMgmt header or a whole SDP; "-" or no TEXT reads stdin) and prints
// its structure as JSON (the DecodeResponse of the KeyBroker API, with proto
// field names). --binary reads raw MIKEY wire bytes from stdin instead.
// Offline by default, using the same converter as the server; --server sends
// a Decode RPC to mikeyd instead.
//
// initiate, respond, complete, derive: call the KeyBroker RPC of the same
// name on --server and print the response as JSON (bytes fields, keys
// included, in base64 as the protobuf JSON mapping has them). Each request
// can be given whole as JSON (--request) and/or built from flags (see
// --help). derive also works offline (no --server).
//
// Transport: plaintext gRPC to a loopback address, or TLS with --ca (the CA
// that signed mikeyd's certificate) and, for mutual TLS, --cert and --key.
//
// Exit status: 0 success, 1 bad input or failed RPC (error on stderr; a
// failed Respond that produced a MIKEY Error message for the peer prints it
// too), 2 usage error.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/random.h"
#include "core/exchange/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/address.h"
#include "service/broker/broker.h"
#include "service/decode.h"
#include "service/keystore/keystore.h"

ABSL_FLAG(std::string, server, "",
          "Send the request to mikeyd at HOST:PORT instead of working "
          "offline. Plaintext gRPC, so only loopback addresses are allowed.");
ABSL_FLAG(bool, binary, false,
          "decode: stdin holds raw MIKEY wire bytes, not text.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "Deadline for RPCs to --server.");

// TLS to mikeyd.
ABSL_FLAG(std::string, ca, "",
          "PEM file of the CA(s) that signed mikeyd's certificate: use TLS.");
ABSL_FLAG(std::string, cert, "",
          "PEM client certificate (chain) for mutual TLS (needs --key).");
ABSL_FLAG(std::string, key, "", "PEM private key of --cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name to expect in mikeyd's certificate, when it differs from the "
          "--server host.");

// Requests.
ABSL_FLAG(std::string, request, "",
          "initiate/respond/complete/derive: the request as JSON (proto3 JSON "
          "mapping of InitiateRequest, ...); flags given too are applied on "
          "top of it.");
ABSL_FLAG(std::string, mode, "",
          "initiate: psk, psk-null, dhhmac, dh, public-key or rsa-r.");
ABSL_FLAG(std::string, suite, "",
          "initiate/derive: SRTP crypto suite, e.g. AES_CM_128_HMAC_SHA1_80.");
ABSL_FLAG(std::string, streams, "",
          "initiate: comma-separated SSRC[:ROC[:SUITE]] (decimal, or hex with "
          "0x); default one stream with SSRC 0.");
ABSL_FLAG(std::string, prf, "", "initiate: mikey-1 (default) or mikey-256.");
ABSL_FLAG(bool, v_flag, false,
          "initiate: set the V flag (PSK: ask for a verification message).");
ABSL_FLAG(std::string, key_id, "",
          "initiate/respond: keystore key id of the (pre-shared) key.");
ABSL_FLAG(uint32_t, key_version, 0,
          "initiate/respond: a specific version of --key_id.");
ABSL_FLAG(std::string, inline_key, "",
          "initiate/respond: the key itself, in hex (if mikeyd allows it).");
ABSL_FLAG(std::string, initiator_id, "", "initiate: IDi (URI).");
ABSL_FLAG(std::string, responder_id, "", "initiate/respond: IDr (URI).");
ABSL_FLAG(std::string, peer_certificate, "",
          "initiate/respond: FILE with the peer's certificate (PEM, leaf "
          "first, or DER): initiate, the Responder's (PUBLIC_KEY) or the one "
          "to verify an R_MESSAGE without CERT; respond, the Initiator's, "
          "for an I_MESSAGE without CERT (DH, PUBLIC_KEY, RSA_R).");
ABSL_FLAG(std::string, csb_id, "",
          "initiate: CSB ID (decimal or 0x hex); default random.");
ABSL_FLAG(std::string, mki, "", "initiate: MKI in hex.");
ABSL_FLAG(int32_t, dh_group, -1,
          "initiate: DH group wire number (0 OAKLEY 5, 2 OAKLEY 2, 255 "
          "X25519).");
ABSL_FLAG(std::string, sdp, "",
          "initiate/respond: file holding an SDP to insert the MIKEY message "
          "into ('-': stdin, for initiate only).");
ABSL_FLAG(bool, accept_null, false,
          "respond: accept a MIKEY-NULL I_MESSAGE (unauthenticated keys).");
ABSL_FLAG(bool, skip_null_timestamp_check, false,
          "respond: MIKEY-NULL only, skip the timestamp window.");
ABSL_FLAG(std::string, allowed_suites, "",
          "respond: comma-separated SRTP suites to accept.");
ABSL_FLAG(std::string, allowed_dh_groups, "",
          "respond: comma-separated DH group numbers to accept.");
ABSL_FLAG(std::string, state, "",
          "complete: the state from the initiate response (base64).");
ABSL_FLAG(std::string, master_key, "", "derive: master key in hex.");
ABSL_FLAG(std::string, master_salt, "", "derive: master salt in hex.");
ABSL_FLAG(uint32_t, kdr, 0,
          "initiate/derive: key derivation rate (0 or a power of 2).");
ABSL_FLAG(uint64_t, srtp_index, 0, "derive: SRTP packet index.");
ABSL_FLAG(uint32_t, srtcp_index, 0, "derive: SRTCP index.");

namespace mikey {
namespace tools {
namespace {

namespace pb = ::mikey::broker::v1;

constexpr char kUsage[] =
    "MIKEY command-line tool.\n"
    "\n"
    "  mikeyctl decode [--binary] [--server=HOST:PORT] [TEXT | -]\n"
    "      Print the structure of a MIKEY message as JSON. TEXT is base64, an\n"
    "      a=key-mgmt attribute, an RTSP KeyMgmt header or a whole SDP; '-'\n"
    "      or no TEXT reads stdin. --binary: stdin holds raw wire bytes.\n"
    "\n"
    "  mikeyctl initiate --server=HOST:PORT --mode=psk --suite=S\n"
    "           [--streams=SSRC[:ROC[:SUITE]],...] [--key_id=ID | "
    "--inline_key=HEX]\n"
    "           [--v_flag] [--prf=mikey-256] [--sdp=FILE]\n"
    "           [--peer_certificate=FILE] ...\n"
    "      Build an I_MESSAGE (Initiate RPC); prints keys and state as JSON.\n"
    "\n"
    "  mikeyctl respond --server=HOST:PORT [--key_id=ID | --inline_key=HEX]\n"
    "           [--accept_null] [--peer_certificate=FILE] [--binary]\n"
    "           [TEXT | -]\n"
    "      Answer an I_MESSAGE (Respond RPC); prints keys and R_MESSAGE.\n"
    "\n"
    "  mikeyctl complete --server=HOST:PORT --state=BASE64 [--binary] "
    "[TEXT | -]\n"
    "      Check the R_MESSAGE (Complete RPC); prints the Initiator's keys.\n"
    "\n"
    "  mikeyctl derive [--server=HOST:PORT] --suite=S --master_key=HEX\n"
    "           --master_salt=HEX [--kdr=N --srtp_index=N --srtcp_index=N]\n"
    "      RFC 3711 session keys (DeriveSessionKeys RPC, or offline).\n"
    "\n"
    "  Any of the four: --request=JSON gives the whole request.\n"
    "  TLS: --ca=FILE [--cert=FILE --key=FILE] [--tls_server_name=NAME].\n";

// Exit codes.
constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsageError = 2;

int UsageError(absl::string_view message) {
  std::cerr << "mikeyctl: " << message << "\n(see mikeyctl --help)"
            << std::endl;
  return kUsageError;
}

int Failed(absl::string_view command, const absl::Status& status) {
  std::cerr << "mikeyctl: " << command << ": " << status.message() << std::endl;
  return kFailed;
}

// Reads all of stdin, up to the converter's input limit.
absl::StatusOr<std::string> ReadStdin() {
  std::string data;
  char buffer[4096];
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof(buffer), stdin);
    if (n > 0) {
      if (data.size() + n > service::kMaxDecodeInputSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "stdin: more than ", service::kMaxDecodeInputSize, " octets"));
      }
      data.append(buffer, n);
    }
    if (n < sizeof(buffer)) {
      if (std::ferror(stdin)) {
        return absl::DataLossError("stdin: read error");
      }
      break;
    }
  }
  return data;
}

// Whether `s` is valid UTF-8 (proto string fields must be, to be sent).
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  // Show zeros too: wire value 0 is meaningful (PSK init, MIKEY-1, ...).
  options.always_print_primitive_fields = true;
  std::string json;
  // protobuf 3.21 has its own Status type here.
  const auto s =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("JSON: ", s.ToString()));
  }
  return json;
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view flag) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": cannot open ", path));
  }
  std::string data;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    data.append(buffer, n);
    if (data.size() > service::kMaxDecodeInputSize) {
      std::fclose(f);
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": ", path, " is too large"));
    }
  }
  const bool error = std::ferror(f);
  std::fclose(f);
  if (error) {
    return absl::DataLossError(absl::StrCat(flag, ": reading ", path));
  }
  return data;
}

// Connects to mikeyd: TLS when --ca is given, else plaintext, which is only
// allowed to loopback addresses (requests and responses carry keys).
absl::StatusOr<std::unique_ptr<pb::KeyBroker::Stub>> Connect(
    const std::string& server) {
  absl::StatusOr<service::HostPort> address = service::ParseHostPort(server);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server: ", address.status().message()));
  }
  if (address->port == 0) {
    return absl::InvalidArgumentError("--server: port 0");
  }
  const std::string ca = absl::GetFlag(FLAGS_ca);
  const std::string cert = absl::GetFlag(FLAGS_cert);
  const std::string key = absl::GetFlag(FLAGS_key);
  if (ca.empty()) {
    if (!cert.empty() || !key.empty()) {
      return absl::InvalidArgumentError(
          "--cert/--key need --ca (the CA that signed mikeyd's certificate)");
    }
    if (!service::IsLoopbackHost(address->host)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--server: refusing plaintext gRPC to non-loopback address ", server,
          " (MIKEY messages and keys would cross the network in clear; use "
          "--ca for TLS)"));
    }
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
    return pb::KeyBroker::NewStub(channel);
  }
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--cert and --key go together (mutual TLS)");
  }
  grpc::SslCredentialsOptions tls;
  absl::StatusOr<std::string> roots = ReadFile(ca, "--ca");
  if (!roots.ok()) return roots.status();
  tls.pem_root_certs = *std::move(roots);
  if (!cert.empty()) {
    absl::StatusOr<std::string> chain = ReadFile(cert, "--cert");
    if (!chain.ok()) return chain.status();
    absl::StatusOr<std::string> private_key = ReadFile(key, "--key");
    if (!private_key.ok()) return private_key.status();
    tls.pem_cert_chain = *std::move(chain);
    tls.pem_private_key = *std::move(private_key);
  }
  grpc::ChannelArguments args;
  const std::string name = absl::GetFlag(FLAGS_tls_server_name);
  if (!name.empty()) args.SetSslTargetNameOverride(name);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(server, grpc::SslCredentials(tls), args);
  return pb::KeyBroker::NewStub(channel);
}

absl::Status StatusFromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

int Decode(const std::vector<char*>& args) {
  if (args.size() > 1) {
    return UsageError("decode: at most one argument (TEXT or -)");
  }
  const bool from_stdin = args.empty() || absl::string_view(args[0]) == "-";
  const bool binary = absl::GetFlag(FLAGS_binary);
  if (binary && !from_stdin) {
    return UsageError("decode: --binary reads stdin; give no TEXT or '-'");
  }

  pb::DecodeRequest request;
  if (from_stdin) {
    absl::StatusOr<std::string> data = ReadStdin();
    if (!data.ok()) return Failed("decode", data.status());
    if (binary) {
      request.mutable_input()->set_message(std::move(*data));
    } else {
      request.mutable_input()->set_text(std::move(*data));
    }
  } else {
    request.mutable_input()->set_text(args[0]);
  }

  pb::DecodeResponse response;
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty()) {
    absl::Status s = service::DecodeInput(request.input(), &response);
    if (!s.ok()) return Failed("decode", s);
  } else {
    if (request.input().has_text() && !IsValidUtf8(request.input().text())) {
      return Failed("decode", absl::InvalidArgumentError(
                                  "input text is not valid UTF-8 (use "
                                  "--binary for raw wire bytes)"));
    }
    absl::StatusOr<std::unique_ptr<pb::KeyBroker::Stub>> stub = Connect(server);
    if (!stub.ok()) return UsageError(stub.status().message());
    grpc::ClientContext context;
    context.set_deadline(
        std::chrono::system_clock::now() +
        absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
    grpc::Status s = (*stub)->Decode(&context, request, &response);
    if (!s.ok()) return Failed("decode", StatusFromGrpc(s));
  }

  absl::StatusOr<std::string> json = ToJson(response);
  if (!json.ok()) return Failed("decode", json.status());
  std::cout << *json;
  if (json->empty() || json->back() != '\n') std::cout << "\n";
  std::cout.flush();
  return std::cout.good() ? kOk : kFailed;
}

// ---------------------------------------------------------------------------
// The exchange subcommands.

absl::Status ParseJsonRequest(google::protobuf::Message* request) {
  const std::string json = absl::GetFlag(FLAGS_request);
  if (json.empty()) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  const auto s =
      google::protobuf::util::JsonStringToMessage(json, request, options);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--request: ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HexFlag(const std::string& hex,
                                    absl::string_view flag) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": odd number of hex digits"));
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": not hexadecimal"));
    }
  }
  return absl::HexStringToBytes(hex);
}

absl::StatusOr<uint32_t> ParseU32(absl::string_view text,
                                  absl::string_view what) {
  uint64_t v = 0;
  bool ok = false;
  if (absl::StartsWithIgnoreCase(text, "0x")) {
    ok = text.size() > 2 && text.size() <= 10 &&
         absl::SimpleHexAtoi(text.substr(2), &v);
  } else {
    ok = absl::SimpleAtoi(text, &v);
  }
  if (!ok || v > 0xffffffffu) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": '", text, "' is not a 32-bit number (decimal or 0x hex)"));
  }
  return static_cast<uint32_t>(v);
}

absl::StatusOr<pb::Mode> ParseMode(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  for (char& c : n) {
    if (c == '-') c = '_';
  }
  if (absl::StartsWith(n, "mode_")) n = n.substr(5);
  if (n == "psk") return pb::MODE_PSK;
  if (n == "psk_null" || n == "null") return pb::MODE_PSK_NULL;
  if (n == "dh") return pb::MODE_DH;
  if (n == "dhhmac") return pb::MODE_DHHMAC;
  if (n == "public_key" || n == "pk") return pb::MODE_PUBLIC_KEY;
  if (n == "rsa_r") return pb::MODE_RSA_R;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode: unknown mode '", name,
                   "' (psk, psk-null, dhhmac, dh, public-key, rsa-r)"));
}

absl::Status KeyFromFlags(pb::KeyReference* key) {
  const std::string id = absl::GetFlag(FLAGS_key_id);
  const std::string inline_hex = absl::GetFlag(FLAGS_inline_key);
  if (!id.empty() && !inline_hex.empty()) {
    return absl::InvalidArgumentError(
        "--key_id and --inline_key: give one of them");
  }
  if (!id.empty()) key->set_key_id(id);
  if (!inline_hex.empty()) {
    absl::StatusOr<std::string> k = HexFlag(inline_hex, "--inline_key");
    if (!k.ok()) return k.status();
    key->set_inline_key(*std::move(k));
  }
  if (absl::GetFlag(FLAGS_key_version) != 0) {
    key->set_version(absl::GetFlag(FLAGS_key_version));
  }
  return absl::OkStatus();
}

// The MIKEY message argument of respond/complete: TEXT, or stdin ("-" or
// none), raw bytes with --binary.
absl::Status MessageFromArgs(const std::vector<char*>& args,
                             absl::string_view command, pb::MikeyInput* input) {
  if (args.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(command, ": at most one argument (TEXT or -)"));
  }
  const bool from_stdin = args.empty() || absl::string_view(args[0]) == "-";
  if (!from_stdin) {
    if (absl::GetFlag(FLAGS_binary)) {
      return absl::InvalidArgumentError(
          absl::StrCat(command, ": --binary reads stdin; give no TEXT or '-'"));
    }
    input->set_text(args[0]);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> data = ReadStdin();
  if (!data.ok()) return data.status();
  if (absl::GetFlag(FLAGS_binary)) {
    input->set_message(*std::move(data));
  } else {
    if (!IsValidUtf8(*data)) {
      return absl::InvalidArgumentError(
          "input text is not valid UTF-8 (use --binary for raw wire bytes)");
    }
    input->set_text(*std::move(data));
  }
  return absl::OkStatus();
}

int PrintJson(absl::string_view command,
              const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) return Failed(command, json.status());
  std::cout << *json;
  if (json->empty() || json->back() != '\n') std::cout << "\n";
  std::cout.flush();
  return std::cout.good() ? kOk : kFailed;
}

// Calls `method` on --server and prints the response, or the error (with a
// RespondError's MIKEY Error message, when the status details carry one).
template <typename Request, typename Response, typename Method>
int CallServer(absl::string_view command, const Request& request,
               Method method) {
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty()) {
    return UsageError(absl::StrCat(command, ": --server=HOST:PORT required"));
  }
  absl::StatusOr<std::unique_ptr<pb::KeyBroker::Stub>> stub = Connect(server);
  if (!stub.ok()) return UsageError(stub.status().message());
  grpc::ClientContext context;
  context.set_deadline(
      std::chrono::system_clock::now() +
      absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_timeout)));
  Response response;
  grpc::Status s = ((*stub).get()->*method)(&context, request, &response);
  if (!s.ok()) {
    pb::RpcStatus details;
    if (!s.error_details().empty() &&
        details.ParseFromString(s.error_details())) {
      for (const google::protobuf::Any& any : details.details()) {
        pb::RespondError error;
        if (any.UnpackTo(&error)) {
          std::cerr << "mikeyctl: " << command
                    << ": MIKEY Error message for the peer ("
                    << error.error_name() << "): " << error.key_mgmt()
                    << std::endl;
        }
      }
    }
    return Failed(command, StatusFromGrpc(s));
  }
  return PrintJson(command, response);
}

// --peer_certificate=FILE into `out` (the bytes as they are: the server
// takes PEM or DER); nothing when the flag is not given.
absl::Status PeerCertificateFromFlag(std::string* out) {
  const std::string path = absl::GetFlag(FLAGS_peer_certificate);
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> bytes = ReadFile(path, "--peer_certificate");
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--peer_certificate: ", path, ": empty file"));
  }
  *out = *std::move(bytes);
  return absl::OkStatus();
}

int Initiate(const std::vector<char*>& args) {
  if (!args.empty()) return UsageError("initiate: takes no arguments");
  pb::InitiateRequest request;
  absl::Status s = ParseJsonRequest(&request);
  if (s.ok() && !absl::GetFlag(FLAGS_mode).empty()) {
    absl::StatusOr<pb::Mode> mode = ParseMode(absl::GetFlag(FLAGS_mode));
    if (mode.ok()) request.set_mode(*mode);
    s = mode.status();
  }
  if (s.ok() && !absl::GetFlag(FLAGS_suite).empty()) {
    request.set_suite(absl::GetFlag(FLAGS_suite));
  }
  const std::string streams = absl::GetFlag(FLAGS_streams);
  if (s.ok() && !streams.empty()) {
    request.clear_streams();
    for (absl::string_view item : absl::StrSplit(streams, ',')) {
      std::vector<absl::string_view> parts = absl::StrSplit(item, ':');
      if (parts.size() > 3) {
        s = absl::InvalidArgumentError(
            absl::StrCat("--streams: '", item, "' (SSRC[:ROC[:SUITE]])"));
        break;
      }
      pb::StreamSpec* spec = request.add_streams();
      absl::StatusOr<uint32_t> ssrc = ParseU32(parts[0], "--streams SSRC");
      if (!ssrc.ok()) {
        s = ssrc.status();
        break;
      }
      spec->set_ssrc(*ssrc);
      if (parts.size() > 1) {
        absl::StatusOr<uint32_t> roc = ParseU32(parts[1], "--streams ROC");
        if (!roc.ok()) {
          s = roc.status();
          break;
        }
        spec->set_roc(*roc);
      }
      if (parts.size() > 2) spec->set_suite(std::string(parts[2]));
    }
  }
  const std::string prf = absl::AsciiStrToLower(absl::GetFlag(FLAGS_prf));
  if (s.ok() && !prf.empty()) {
    if (prf == "mikey-1" || prf == "mikey1") {
      request.set_prf_func(pb::PRF_FUNC_MIKEY_1);
    } else if (prf == "mikey-256" || prf == "mikey256") {
      request.set_prf_func(pb::PRF_FUNC_MIKEY_256);
    } else {
      s = absl::InvalidArgumentError("--prf: mikey-1 or mikey-256");
    }
  }
  if (absl::GetFlag(FLAGS_v_flag)) request.set_v_flag(true);
  if (s.ok()) s = KeyFromFlags(request.mutable_key());
  if (s.ok() && !request.key().has_key_id() &&
      !request.key().has_inline_key() && request.key().version() == 0) {
    request.clear_key();
  }
  if (!absl::GetFlag(FLAGS_initiator_id).empty()) {
    request.set_initiator_id(absl::GetFlag(FLAGS_initiator_id));
  }
  if (!absl::GetFlag(FLAGS_responder_id).empty()) {
    request.set_responder_id(absl::GetFlag(FLAGS_responder_id));
  }
  if (s.ok() && !absl::GetFlag(FLAGS_csb_id).empty()) {
    absl::StatusOr<uint32_t> csb =
        ParseU32(absl::GetFlag(FLAGS_csb_id), "--csb_id");
    if (csb.ok()) request.set_csb_id(*csb);
    s = csb.status();
  }
  if (s.ok() && !absl::GetFlag(FLAGS_mki).empty()) {
    absl::StatusOr<std::string> mki =
        HexFlag(absl::GetFlag(FLAGS_mki), "--mki");
    if (mki.ok()) request.set_mki(*mki);
    s = mki.status();
  }
  if (absl::GetFlag(FLAGS_dh_group) >= 0) {
    request.set_dh_group(static_cast<uint32_t>(absl::GetFlag(FLAGS_dh_group)));
  }
  if (absl::GetFlag(FLAGS_kdr) != 0) {
    request.set_key_derivation_rate(absl::GetFlag(FLAGS_kdr));
  }
  if (s.ok()) s = PeerCertificateFromFlag(request.mutable_peer_certificate());
  const std::string sdp = absl::GetFlag(FLAGS_sdp);
  if (s.ok() && !sdp.empty()) {
    absl::StatusOr<std::string> text =
        sdp == "-" ? ReadStdin() : ReadFile(sdp, "--sdp");
    if (text.ok()) request.set_sdp(*std::move(text));
    s = text.status();
  }
  if (!s.ok()) return UsageError(absl::StrCat("initiate: ", s.message()));
  return CallServer<pb::InitiateRequest, pb::InitiateResponse>(
      "initiate", request, &pb::KeyBroker::Stub::Initiate);
}

int Respond(const std::vector<char*>& args) {
  pb::RespondRequest request;
  absl::Status s = ParseJsonRequest(&request);
  if (s.ok()) s = KeyFromFlags(request.mutable_key());
  if (s.ok() && !request.key().has_key_id() &&
      !request.key().has_inline_key() && request.key().version() == 0) {
    request.clear_key();
  }
  if (absl::GetFlag(FLAGS_accept_null)) request.set_accept_mikey_null(true);
  if (absl::GetFlag(FLAGS_skip_null_timestamp_check)) {
    request.set_skip_null_timestamp_check(true);
  }
  if (!absl::GetFlag(FLAGS_responder_id).empty()) {
    request.set_responder_id(absl::GetFlag(FLAGS_responder_id));
  }
  const std::string suites = absl::GetFlag(FLAGS_allowed_suites);
  if (!suites.empty()) {
    for (absl::string_view suite : absl::StrSplit(suites, ',')) {
      request.add_allowed_suites(std::string(suite));
    }
  }
  if (s.ok()) s = PeerCertificateFromFlag(request.mutable_peer_certificate());
  const std::string groups = absl::GetFlag(FLAGS_allowed_dh_groups);
  if (s.ok() && !groups.empty()) {
    for (absl::string_view g : absl::StrSplit(groups, ',')) {
      absl::StatusOr<uint32_t> n = ParseU32(g, "--allowed_dh_groups");
      if (!n.ok()) {
        s = n.status();
        break;
      }
      request.add_allowed_dh_groups(*n);
    }
  }
  const std::string sdp = absl::GetFlag(FLAGS_sdp);
  if (s.ok() && !sdp.empty()) {
    absl::StatusOr<std::string> text = ReadFile(sdp, "--sdp");
    if (text.ok()) request.set_sdp(*std::move(text));
    s = text.status();
  }
  const bool have_input = request.has_input() && args.empty();
  if (s.ok() && !have_input) {
    s = MessageFromArgs(args, "respond", request.mutable_input());
  }
  if (!s.ok()) return UsageError(absl::StrCat("respond: ", s.message()));
  return CallServer<pb::RespondRequest, pb::RespondResponse>(
      "respond", request, &pb::KeyBroker::Stub::Respond);
}

int Complete(const std::vector<char*>& args) {
  pb::CompleteRequest request;
  absl::Status s = ParseJsonRequest(&request);
  const std::string state = absl::GetFlag(FLAGS_state);
  if (s.ok() && !state.empty()) {
    std::string raw;
    // The JSON output of initiate prints bytes as standard base64; accept
    // the URL-safe alphabet too.
    if (!absl::Base64Unescape(state, &raw) &&
        !absl::WebSafeBase64Unescape(state, &raw)) {
      s = absl::InvalidArgumentError("--state: not base64");
    }
    request.set_state(raw);
  }
  const bool have_input = request.has_input() && args.empty();
  if (s.ok() && !have_input) {
    s = MessageFromArgs(args, "complete", request.mutable_input());
  }
  if (!s.ok()) return UsageError(absl::StrCat("complete: ", s.message()));
  return CallServer<pb::CompleteRequest, pb::CompleteResponse>(
      "complete", request, &pb::KeyBroker::Stub::Complete);
}

int Derive(const std::vector<char*>& args) {
  if (!args.empty()) return UsageError("derive: takes no arguments");
  pb::DeriveSessionKeysRequest request;
  absl::Status s = ParseJsonRequest(&request);
  if (!absl::GetFlag(FLAGS_suite).empty()) {
    request.set_suite(absl::GetFlag(FLAGS_suite));
  }
  if (s.ok() && !absl::GetFlag(FLAGS_master_key).empty()) {
    absl::StatusOr<std::string> k =
        HexFlag(absl::GetFlag(FLAGS_master_key), "--master_key");
    if (k.ok()) request.set_master_key(*k);
    s = k.status();
  }
  if (s.ok() && !absl::GetFlag(FLAGS_master_salt).empty()) {
    absl::StatusOr<std::string> k =
        HexFlag(absl::GetFlag(FLAGS_master_salt), "--master_salt");
    if (k.ok()) request.set_master_salt(*k);
    s = k.status();
  }
  if (absl::GetFlag(FLAGS_kdr) != 0) {
    request.set_key_derivation_rate(absl::GetFlag(FLAGS_kdr));
  }
  if (absl::GetFlag(FLAGS_srtp_index) != 0) {
    request.set_srtp_index(absl::GetFlag(FLAGS_srtp_index));
  }
  if (absl::GetFlag(FLAGS_srtcp_index) != 0) {
    request.set_srtcp_index(absl::GetFlag(FLAGS_srtcp_index));
  }
  if (!s.ok()) return UsageError(absl::StrCat("derive: ", s.message()));
  if (!absl::GetFlag(FLAGS_server).empty()) {
    return CallServer<pb::DeriveSessionKeysRequest,
                      pb::DeriveSessionKeysResponse>(
        "derive", request, &pb::KeyBroker::Stub::DeriveSessionKeys);
  }
  // Offline: the same code as the server, with no keystore.
  service::keybroker::BrokerOptions options;
  options.replay_cache_capacity = 1;
  service::keybroker::BrokerParts parts;
  parts.keys = std::make_unique<service::keystore::StaticKeyStore>(
      std::make_shared<service::keystore::KeySnapshot>());
  service::keybroker::Broker broker(options, std::move(parts));
  service::keybroker::CallContext call;
  call.authorize = [](absl::string_view) { return absl::OkStatus(); };
  pb::DeriveSessionKeysResponse response;
  s = broker.DeriveSessionKeys(request, &response, call);
  if (!s.ok()) return Failed("derive", s);
  return PrintJson("derive", response);
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return UsageError("no command given");
  const absl::string_view command = args[1];
  std::vector<char*> rest(args.begin() + 2, args.end());
  if (command == "decode") return Decode(rest);
  if (command == "initiate") return Initiate(rest);
  if (command == "respond") return Respond(rest);
  if (command == "complete") return Complete(rest);
  if (command == "derive") return Derive(rest);
  return UsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace tools
}  // namespace mikey

int main(int argc, char** argv) { return mikey::tools::Run(argc, argv); }
