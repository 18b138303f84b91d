// Replays a libFuzzer target over a corpus without libFuzzer: linked with a codec's fuzz
// target (see zp_add_codec in cmake/zp_component.cmake) it becomes an ordinary CTest test.
//   fuzz_replay_http1 tests/fuzz/corpus/http1 crash-1234
// Every argument is a file (one input) or a directory (every regular file below it, in
// sorted order). The empty input runs first, as libFuzzer does. Returns 0 when every
// input ran (a crash or sanitizer report ends the process itself), 1 when an argument
// does not exist or a file cannot be read.
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
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Runs one input; false (with a message) when the file cannot be read.
bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::fprintf(stderr, "replay: read error on %s\n", path.c_str());
    return false;
  }
  // A heap copy of exactly the input's size, so ASan catches any over-read.
  std::vector<uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);

  LLVMFuzzerTestOneInput(nullptr, 0);
  size_t inputs = 1;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    const fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      ++failures;
      continue;
    }
    if (!fs::is_directory(st)) {
      failures += run_file(arg) ? 0 : 1;
      ++inputs;
      continue;
    }
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", argv[i], ec.message().c_str());
      ++failures;
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      failures += run_file(f) ? 0 : 1;
      ++inputs;
    }
  }
  std::printf("replay: %zu inputs, %d errors\n", inputs, failures);
  return failures == 0 ? 0 : 1;
}
