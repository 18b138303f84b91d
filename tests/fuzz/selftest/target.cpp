// A stand-in fuzz target for testing replay_main: reads every byte of its input, so ASan
// sees any over-read of the buffer the driver passes.
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  volatile unsigned sum = 0;
  for (size_t i = 0; i < size; ++i) sum = sum + data[i];
  return 0;
}
