// The TIFF reader under fuzzing: bytes -> file -> info, open (a volume and
// its first page) -> both corners computed -> the first corner saved as a
// TIFF and read back, which must give the same bits. A tessera::Error is the
// expected answer to a bad file; a crash, a sanitizer report, a leak, an
// allocation beyond the fuzzer's limit or a wrong round trip is a finding.
#include <cstring>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fuzz::as_file(data, size, ".tif");
  try {
    (void)tessera::file_info(path);
    fuzz::look_at(tessera::open(path, {0}));
    const tessera::Image volume = tessera::open(path);
    fuzz::look_at(volume);
    const tessera::Buffer first = fuzz::corner(volume, 48, false).compute({1});
    const std::string copy = path + ".copy.tif";
    tessera::SaveOptions one_thread;
    one_thread.threads = 1;
    tessera::save(tessera::Image::wrap(first.view()), copy, one_thread);
    const tessera::Buffer back = tessera::open(copy).compute({1});
    std::remove(copy.c_str());
    if (back.shape() != first.shape() || back.dtype() != first.dtype() ||
        std::memcmp(back.data(), first.data(), tessera::byte_count(first.shape(), tessera::itemsize(first.dtype()))))
      __builtin_trap();  // a file tessera reads must survive its own save
  } catch (const tessera::Error&) {
  }
  return 0;
}
