// What the harnesses share: the fuzzer's bytes as a file (tessera's readers
// take paths), and a bounded look at an opened image (its corners), so that
// every input runs in milliseconds whatever size its header claims.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tessera/tessera.hpp"

namespace fuzz {

// The bytes written to a file of this process (in /dev/shm when there is one).
inline std::string as_file(const std::uint8_t* data, std::size_t size, const char* extension) {
  static const std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/tessera-fuzz-" + std::to_string(getpid()) + extension;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness's own failure, not a finding
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// A region of at most `edge` elements per axis, at the start or the end.
inline tessera::Image corner(const tessera::Image& image, std::int64_t edge, bool at_end) {
  std::vector<tessera::AxisIndex> index;
  for (const std::int64_t n : image.shape()) {
    const std::int64_t count = std::min(n, edge);
    index.push_back({tessera::AxisIndex::Kind::Slice, at_end ? n - count : 0, 1, count});
  }
  return image.index(index);
}

// Computes both corners on one thread; an image with no elements is fine.
inline void look_at(const tessera::Image& image) {
  for (const bool at_end : {false, true}) (void)corner(image, 48, at_end).compute({1});
}

// A reader under fuzzing: the bytes as a file of that extension -> info,
// open -> both corners computed. A tessera::Error is the expected answer to
// a bad file; anything else (a crash, a sanitizer report) is a finding.
inline int open_and_look(const std::uint8_t* data, std::size_t size, const char* extension) {
  const std::string path = as_file(data, size, extension);
  try {
    (void)tessera::file_info(path);
    look_at(tessera::open(path));
  } catch (const tessera::Error&) {
  }
  return 0;
}

}  // namespace fuzz
