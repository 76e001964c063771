// The PNG reader under fuzzing (fuzz_input.hpp: open_and_look).
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::open_and_look(data, size, ".png");
}
