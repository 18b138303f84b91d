// Replays a libFuzzer corpus without libFuzzer: calls LLVMFuzzerTestOneInput once per file
// found under the argument paths (files or directories, searched recursively). Linked with
// a codec's fuzz target as an ordinary CTest test, so CI runs the corpus on every build.
// Fails when no input is found, so a wrong corpus path never passes silently.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "replay: cannot open %s\n", p.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // A heap copy of exactly the input's size, so ASan sees any over-read.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t runs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg, ec)) {
        if (!e.is_regular_file()) continue;
        ok = run_file(e.path()) && ok;
        ++runs;
      }
    } else if (std::filesystem::exists(arg, ec)) {
      ok = run_file(arg) && ok;
      ++runs;
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      ok = false;
    }
    if (ec) {
      std::fprintf(stderr, "replay: %s: %s\n", argv[i], ec.message().c_str());
      ok = false;
    }
  }
  std::printf("replay: %zu inputs\n", runs);
  if (runs == 0) {
    std::fprintf(stderr, "replay: no inputs (usage: %s corpus_dir_or_file...)\n", argv[0]);
    return 1;
  }
  return ok ? 0 : 1;
}
