#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "tessera/error.hpp"

namespace tessera::io {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& why) { throw IOError(path + ": " + why); }

// The temporaries being written, for remove_temporaries_now() to find from a
// signal handler: plain pointers in atomic slots, no lock, no allocation.
constexpr std::size_t kTempSlots = 64;
std::array<std::atomic<char*>, kTempSlots> temporaries{};

void track(const std::string& temp) {
  char* copy = strdup(temp.c_str());
  if (!copy) return;
  for (auto& slot : temporaries) {
    char* empty = nullptr;
    if (slot.compare_exchange_strong(empty, copy)) return;
  }
  std::free(copy);  // more than kTempSlots at once: that one is not removed on a signal
}

void untrack(const std::string& temp) {
  for (auto& slot : temporaries) {
    char* p = slot.load();
    if (p && temp == p && slot.compare_exchange_strong(p, nullptr)) {
      std::free(p);
      return;
    }
  }
}

// The mode a plain open() would give a new file: 0666 less the umask, read
// from /proc (umask() itself would change it for every thread meanwhile).
mode_t new_file_mode() {
  mode_t mask = 022;
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "Umask:", 6) == 0) mask = static_cast<mode_t>(std::strtoul(line + 6, nullptr, 8));
    std::fclose(f);
  }
  return 0666 & ~mask;
}

}  // namespace

void remove_temporaries_now() noexcept {
  for (auto& slot : temporaries)
    if (char* p = slot.load()) ::unlink(p);
}

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  std::error_code ec;
  // A symlinked destination is written through: the link stays, its target
  // is replaced (as open(path, "w") would write through it).
  if (std::filesystem::is_symlink(std::filesystem::symlink_status(path, ec))) {
    std::filesystem::path link = std::filesystem::read_symlink(path, ec);
    if (!ec && link.is_relative()) link = std::filesystem::path(path).parent_path() / link;
    if (!ec) path_ = link.lexically_normal().string();
  }
  const std::filesystem::path target(path_);
  if (target.filename().empty()) fail(path, "not a file name");
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  if (!std::filesystem::is_directory(dir, ec)) fail(path, "the folder " + dir.string() + " does not exist");
  if (std::filesystem::is_directory(target, ec)) fail(path, "is a directory");
  // A file replaced keeps its mode; a read-only one is refused, not replaced.
  mode_t mode = new_file_mode();
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    if ((st.st_mode & 0222) == 0) fail(path, "is read-only; tessera does not replace it");
    mode = st.st_mode & 07777;
  }
  temp_ = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(temp_.data());
  if (fd < 0) fail(path, "cannot create a file in " + dir.string() + " (" + std::strerror(errno) + ")");
  track(temp_);
  const bool moded = ::fchmod(fd, mode) == 0;
  ::close(fd);
  if (!moded) {
    const std::string why = std::strerror(errno);
    abort();
    fail(path, "cannot set the file's mode (" + why + ")");
  }
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
  untrack(temp_);
}

void AtomicFile::abort() noexcept {
  if (done_) return;
  done_ = true;
  ::unlink(temp_.c_str());
  untrack(temp_);
}

}  // namespace tessera::io
