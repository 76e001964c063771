// An output file that appears only when complete: written under a temporary
// name in the destination's folder, renamed into place by commit(), removed
// by abort() or by the destructor if never committed.
#pragma once

#include <string>

namespace tessera::io {

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
