// A path's extension, lower-cased (".tif", ".gif"; "" if none): how open,
// save and save_animation pick a format.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

namespace tessera::io {

inline std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace tessera::io
