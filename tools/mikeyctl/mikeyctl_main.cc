// mikeyctl: command-line tool for MIKEY messages and the mikeyd server.
//
//   mikeyctl decode [--binary] [--server=HOST:PORT] [TEXT | -]
//
// decode: finds the MIKEY message in TEXT (base64, an a=key-mgmt line, an
// RTSP KeyMgmt header or a whole SDP; "-" or no TEXT reads stdin) and prints
// its structure as JSON (the DecodeResponse of the KeyBroker API, with proto
// field names). --binary reads raw MIKEY wire bytes from stdin instead.
// Offline by default, using the same converter as the server; --server sends
// a Decode RPC to mikeyd instead.
//
// Exit status: 0 success, 1 bad input or failed RPC (error on stderr),
// 2 usage error.
//
// The subcommands initiate, respond, complete and derive are placeholders for
// clients of the exchange RPCs still to come.

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
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "mikey/broker/v1/broker.grpc.pb.h"
#include "mikey/broker/v1/broker.pb.h"
#include "service/address.h"
#include "service/decode.h"

ABSL_FLAG(std::string, server, "",
          "Send the request to mikeyd at HOST:PORT instead of working "
          "offline. Plaintext gRPC, so only loopback addresses are allowed.");
ABSL_FLAG(bool, binary, false,
          "decode: stdin holds raw MIKEY wire bytes, not text.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "Deadline for RPCs to --server.");

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
    "  mikeyctl initiate | respond | complete | derive\n"
    "      Not implemented yet (clients of mikeyd's exchange RPCs).\n";

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

// Connects to mikeyd. Plaintext, so loopback only (the input may hold keys).
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
  if (!service::IsLoopbackHost(address->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server: refusing plaintext gRPC to non-loopback address ", server,
        " (MIKEY messages can carry keys in clear; TLS is not supported "
        "yet)"));
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
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

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return UsageError("no command given");
  const absl::string_view command = args[1];
  std::vector<char*> rest(args.begin() + 2, args.end());
  if (command == "decode") return Decode(rest);
  if (command == "initiate" || command == "respond" || command == "complete" ||
      command == "derive") {
    std::cerr << "mikeyctl: " << command
              << ": not implemented yet (mikeyd does not offer this RPC yet)"
              << std::endl;
    return kFailed;
  }
  return UsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace tools
}  // namespace mikey

int main(int argc, char** argv) { return mikey::tools::Run(argc, argv); }
