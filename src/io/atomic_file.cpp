#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "tessera/error.hpp"

namespace tessera::io {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& why) { throw IOError(path + ": " + why); }
}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  const std::filesystem::path target(path);
  if (target.filename().empty()) fail(path, "not a file name");
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(path, "the folder " + dir.string() + " does not exist");
  if (std::filesystem::is_directory(target, ec)) fail(path, "is a directory");
  temp_ = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(temp_.data());
  if (fd < 0) fail(path, "cannot create a file in " + dir.string() + " (" + std::strerror(errno) + ")");
  ::close(fd);
}

AtomicFile::~AtomicFile() { abort(); }

// No fsync: the rename makes the file appear whole to every reader; making
// it durable across a power cut would cost a disk flush per file, which no
// peer (libvips, tifffile, numpy) pays either.
void AtomicFile::commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    abort();
    fail(path_, "cannot rename into place (" + why + ")");
  }
  done_ = true;
}

void AtomicFile::abort() noexcept {
  if (done_) return;
  done_ = true;
  ::unlink(temp_.c_str());
}

}  // namespace tessera::io
