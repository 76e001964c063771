// The PNG reader under fuzzing: bytes -> file -> info, open -> both corners
// computed. A tessera::Error is the expected answer to a bad file.
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::as_file(data, size, ".png");
  try {
    (void)tessera::file_info(path);
    fuzz::look_at(tessera::open(path));
  } catch (const tessera::Error&) {
  }
  return 0;
}
