// A main() for fuzz targets outside libFuzzer: runs LLVMFuzzerInitialize (if
// the target has one), then LLVMFuzzerTestOneInput once on every file named
// on the command line or found (recursively, in sorted order) in a directory
// named there. It is the `<name>_corpus_test` of each cc_fuzz_target
// (tests/fuzz/fuzz.bzl): the corpus becomes a regression test that gcc and
// --config=asan builds run. A crash or a failed FUZZ_CHECK aborts the test;
// finding no input at all fails it too.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
    __attribute__((weak));

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f),
              std::istreambuf_iterator<char>());
  return !f.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry :
           std::filesystem::recursive_directory_iterator(arg, ec)) {
        if (entry.is_regular_file(ec)) files.push_back(entry.path().string());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", argv[i],
                     ec.message().c_str());
        return 1;
      }
    } else {
      files.push_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no corpus input found (arguments: %d)\n", argc - 1);
    return 1;
  }
  std::vector<uint8_t> data;
  for (const std::string& path : files) {
    if (!ReadFile(path, &data)) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
    std::fprintf(stderr, "running %s (%zu octets)\n", path.c_str(),
                 data.size());
    // A copy of exactly the input's size, so that ASan sees reads past it.
    std::vector<uint8_t> copy(data);
    LLVMFuzzerTestOneInput(copy.data(), copy.size());
  }
  std::printf("%zu inputs ran without a crash\n", files.size());
  return 0;
}
