// An output file that appears only when complete: written under a temporary
// name in the destination's folder, renamed into place by commit(), removed
// by abort() or by the destructor if never committed. The file gets the mode
// a plain open() would give it under the umask, or the mode of the file it
// replaces; a read-only destination is refused; a symlinked one is written
// through (the link stays, its target is replaced).
#pragma once

#include <string>

namespace tessera::io {

// Removes every temporary being written now: for a signal handler (async-
// signal-safe: unlink only), before the process exits on SIGINT or SIGTERM.
void remove_temporaries_now() noexcept;

class AtomicFile {
 public:
  // Checks the folder and creates the (empty) temporary; IOError if it cannot.
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  // Renames the temporary into place.
  void commit();
  void abort() noexcept;

 private:
  std::string path_, temp_;
  bool done_ = false;
};

}  // namespace tessera::io
