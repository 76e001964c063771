#include "io/format.hpp"

#include <algorithm>
#include <fstream>

#include "io/extension.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

std::vector<std::unique_ptr<Format>>& registry() {
  static std::vector<std::unique_ptr<Format>> all;
  return all;
}

template <typename F> std::string extensions_that(F&& can) {
  std::vector<std::string> exts;
  for (const Format* f : formats())
    if (can(*f)) exts.insert(exts.end(), f->extensions.begin(), f->extensions.end());
  std::string s;
  for (std::size_t i = 0; i < exts.size(); ++i)
    s += (i == 0 ? "" : i + 1 == exts.size() ? " and " : ", ") + exts[i];
  return s;
}

bool can(const Format& f, const std::string& what) {
  return what == "open" ? bool(f.open) : what == "encoder" ? bool(f.encoder) : bool(f.sink);
}

}  // namespace

std::string extensions_that_can(const std::string& what) {
  return extensions_that([&](const Format& f) { return can(f, what); });
}

bool register_format(Format format) {
  registry().push_back(std::make_unique<Format>(std::move(format)));
  return true;
}

const std::vector<const Format*>& formats() {
  static const std::vector<const Format*> sorted = [] {
    std::vector<const Format*> out;
    for (const auto& f : registry()) out.push_back(f.get());
    std::sort(out.begin(), out.end(), [](const Format* a, const Format* b) { return a->name < b->name; });
    return out;
  }();
  return sorted;
}

const Format& format_to_read(const std::string& path) {
  const std::string ext = lower_extension(path);
  for (const Format* f : formats())
    if (f->open && std::find(f->extensions.begin(), f->extensions.end(), ext) != f->extensions.end()) return *f;
  // Not known by its name: by its first bytes, if it can be read at all.
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  if (in) in.read(head, sizeof head);
  const std::string first(head, static_cast<std::size_t>(in ? sizeof head : in.gcount()));
  for (const Format* f : formats())
    for (const auto& magic : f->magics)
      if (f->open && first.compare(0, magic.size(), magic) == 0) return *f;
  throw ValueError(path + ": unknown file type '" + ext + "' (tessera reads " + extensions_that_can("open") + ")");
}

const Format& format_to_write(const std::string& path, const std::string& what) {
  const std::string ext = lower_extension(path);
  for (const Format* f : formats())
    if (can(*f, what) && std::find(f->extensions.begin(), f->extensions.end(), ext) != f->extensions.end())
      return *f;
  for (const Format* f : formats())  // known, but read only (JPEG)
    if (std::find(f->extensions.begin(), f->extensions.end(), ext) != f->extensions.end())
      throw ValueError(path + ": tessera reads " + f->name + " files but does not write them (tessera writes " +
                       extensions_that_can(what) + ")");
  throw ValueError(path + ": unknown file type '" + ext + "' (tessera writes " + extensions_that_can(what) + ")");
}

}  // namespace tessera::io
