// Writes each hand-assembled dialect sample (dialect_samples.cc) to
// <dir>/<name>.b64, one base64 line per file. dialects_test and peers_test
// check that the files and the hand assembly stay identical.

#include <cstdio>
#include <string>

#include "tests/interop/dialect_samples.h"
#include "tests/interop/interop_util.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <testdata dir>\n", argv[0]);
    return 2;
  }
  for (const auto& sample : mikey::interop::DialectSamples()) {
    std::string text = mikey::interop::EncodeBase64(sample.wire) + "\n";
    std::string path = std::string(argv[1]) + "/" + sample.name + ".b64";
    auto status = mikey::interop::WriteFile(
        path, mikey::interop::Bytes(text.begin(), text.end()));
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
      return 1;
    }
    std::printf("wrote %s (%zu octets)\n", path.c_str(), sample.wire.size());
  }
  return 0;
}
