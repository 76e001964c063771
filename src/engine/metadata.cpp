// Metadata: the table of tags tessera carries, and the rules by which an
// operation's output keeps them (tessera/metadata.hpp).
#include "tessera/metadata.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "tessera/error.hpp"

namespace tessera {

namespace {
using TagKind = MetaTag::Kind;
using TagRole = MetaTag::Role;

const std::vector<MetaTag> kTags = {
    {"ImageDescription", 270, TagKind::Text, TagRole::Values, 0},
    {"Photometric", 262, TagKind::Integers, TagRole::Samples, 1},
    {"Orientation", 274, TagKind::Integers, TagRole::Grid, 1},
    {"SamplesPerPixel", 277, TagKind::Integers, TagRole::Samples, 1},
    {"XResolution", 282, TagKind::Reals, TagRole::Grid, 1},
    {"YResolution", 283, TagKind::Reals, TagRole::Grid, 1},
    {"ResolutionUnit", 296, TagKind::Integers, TagRole::Grid, 1},
    {"Artist", 315, TagKind::Text, TagRole::Values, 0},
    {"ColorMap", 320, TagKind::Integers, TagRole::Samples, 0},
    {"ExtraSamples", 338, TagKind::Integers, TagRole::Samples, 0},
    {"Copyright", 33432, TagKind::Text, TagRole::Values, 0},
    {"ModelPixelScale", 33550, TagKind::Reals, TagRole::Grid, 0},
    {"ModelTiepoint", 33922, TagKind::Reals, TagRole::Grid, 0},
    {"ModelTransformation", 34264, TagKind::Reals, TagRole::Grid, 16},
    {"ICCProfile", 34675, TagKind::Bytes, TagRole::Samples, 0},
    {"GeoKeyDirectory", 34735, TagKind::Integers, TagRole::Grid, 0},
    {"GeoDoubleParams", 34736, TagKind::Reals, TagRole::Grid, 0},
    {"GeoAsciiParams", 34737, TagKind::Text, TagRole::Grid, 0},
    {"GDAL_METADATA", 42112, TagKind::Text, TagRole::Values, 0},
    {"GDAL_NODATA", 42113, TagKind::Text, TagRole::Values, 0},
};

std::size_t value_count(const MetaValue& v) {
  return std::visit([](const auto& x) { return x.size(); }, v);
}

// The tags of `in` whose role is kept.
Metadata keep(const Metadata& in, bool grid, bool samples) {
  Metadata out;
  for (const auto& [name, value] : in) {
    const MetaTag* t = metadata_tag(name);
    const TagRole role = t ? t->role : TagRole::Values;
    if ((role == TagRole::Grid && !grid) || (role == TagRole::Samples && !samples)) continue;
    out.emplace(name, value);
  }
  return out;
}

const std::vector<double>* reals(const Metadata& m, const char* name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : std::get_if<std::vector<double>>(&it->second);
}
}  // namespace

const std::vector<MetaTag>& metadata_tags() { return kTags; }

const MetaTag* metadata_tag(std::string_view name) {
  for (const MetaTag& t : kTags)
    if (t.name == name) return &t;
  return nullptr;
}

void check_metadata(const std::string& name, const MetaValue& value) {
  const MetaTag* t = metadata_tag(name);
  if (!t) {
    std::string known;
    for (const MetaTag& k : kTags) known += (known.empty() ? "" : ", ") + std::string(k.name);
    throw ValueError("metadata: unknown tag '" + name + "' (tessera carries " + known + ")");
  }
  const char* want = nullptr;
  switch (t->kind) {
    case TagKind::Text: want = std::holds_alternative<std::string>(value) ? nullptr : "text"; break;
    case TagKind::Reals: want = std::holds_alternative<std::vector<double>>(value) ? nullptr : "numbers"; break;
    case TagKind::Integers: want = std::holds_alternative<std::vector<std::int64_t>>(value) ? nullptr : "integers"; break;
    case TagKind::Bytes: want = std::holds_alternative<std::vector<std::uint8_t>>(value) ? nullptr : "bytes"; break;
  }
  if (want) throw TypeError("metadata: " + name + " takes " + want);
  const std::size_t n = value_count(value);
  if (t->kind != TagKind::Text && n == 0) throw ValueError("metadata: " + name + " has no values");
  if (t->count && n != static_cast<std::size_t>(t->count))
    throw ValueError("metadata: " + name + " takes " + std::to_string(t->count) + " value" +
                     (t->count == 1 ? "" : "s") + ", not " + std::to_string(n));
  if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value))
    for (std::int64_t v : *ints)
      if (v < 0 || v > 65535) throw ValueError("metadata: " + name + " holds 16-bit values, not " + std::to_string(v));
  if (const auto* r = std::get_if<std::vector<double>>(&value))
    for (double v : *r)
      if (!std::isfinite(v)) throw ValueError("metadata: " + name + " holds finite numbers");
}

std::string metadata_to_text(const MetaValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value))
    return "<" + std::to_string(bytes->size()) + " bytes>";
  std::ostringstream out;
  out.precision(17);
  std::visit(
      [&](const auto& v) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::string>)
          for (std::size_t k = 0; k < v.size(); ++k) out << (k ? "," : "") << +v[k];
      },
      value);
  return out.str();
}

MetaValue metadata_from_text(const std::string& name, const std::string& text) {
  const MetaTag* t = metadata_tag(name);
  if (!t) check_metadata(name, MetaValue{});  // names the known tags
  MetaValue value;
  if (t->kind == TagKind::Text) {
    value = text;
  } else if (t->kind == TagKind::Bytes) {
    throw ValueError("metadata: " + name + " holds bytes; it cannot be given as text");
  } else {
    std::vector<double> reals;
    std::vector<std::int64_t> ints;
    std::size_t at = 0;
    while (at <= text.size()) {
      const std::size_t comma = std::min(text.find(',', at), text.size());
      const std::string word = text.substr(at, comma - at);
      char* end = nullptr;
      errno = 0;
      if (t->kind == TagKind::Reals) reals.push_back(std::strtod(word.c_str(), &end));
      else ints.push_back(std::strtoll(word.c_str(), &end, 10));
      if (word.empty() || end != word.c_str() + word.size() || errno)
        throw ValueError("metadata: " + name + " takes " + (t->kind == TagKind::Reals ? "numbers" : "integers") +
                         " separated by commas, not '" + text + "'");
      at = comma + 1;
    }
    if (t->kind == TagKind::Reals) value = std::move(reals);
    else value = std::move(ints);
  }
  check_metadata(name, value);
  return value;
}

ImagePlanes image_planes(const Shape& s, const Metadata& metadata, std::string_view layout) {
  ImagePlanes p;
  switch (s.size()) {
    case 2: p.height = s[0], p.width = s[1]; break;
    case 3: {
      bool samples = s[2] < s[0] && s[2] < s[1];
      auto it = metadata.find("SamplesPerPixel");
      if (it != metadata.end())
        if (const auto* v = std::get_if<std::vector<std::int64_t>>(&it->second); v && v->size() == 1)
          samples = (*v)[0] > 1 && (*v)[0] == s[2];
      if (layout == "samples") samples = true;
      else if (layout == "pages") samples = false;
      else if (layout != "auto")
        throw ValueError("layout must be 'auto', 'samples' or 'pages', not '" + std::string(layout) + "'");
      if (samples) p.height = s[0], p.width = s[1], p.samples = s[2];
      else p.volume = true, p.pages = s[0], p.height = s[1], p.width = s[2];
      break;
    }
    case 4: p.volume = true, p.pages = s[0], p.height = s[1], p.width = s[2], p.samples = s[3]; break;
    default: break;  // no planes: height and width 0
  }
  return p;
}

Metadata carry_metadata(const Metadata& in, const Shape& in_shape, const Shape& out) {
  if (in.empty() || in_shape == out) return in;
  // The file's SamplesPerPixel describes shapes of its own rank only.
  Metadata hint = in;
  if (in_shape.size() != out.size()) hint.erase("SamplesPerPixel");
  const ImagePlanes a = image_planes(in_shape, in), b = image_planes(out, hint);
  const bool grid = a.height > 0 && a.height == b.height && a.width == b.width;
  return keep(in, grid, a.samples == b.samples);
}

Metadata crop_metadata(const Metadata& in, std::int64_t row, std::int64_t col) {
  Metadata out = in;
  if (row == 0 && col == 0) return out;
  const double dx = static_cast<double>(col), dy = static_cast<double>(row);
  auto tag = [&](const char* name) -> std::vector<double>* {
    auto it = out.find(name);
    return it == out.end() ? nullptr : std::get_if<std::vector<double>>(&it->second);
  };
  if (auto* tie = tag("ModelTiepoint")) {
    const std::vector<double>* scale = reals(in, "ModelPixelScale");
    if (tie->size() == 6 && scale && scale->size() >= 2) {
      // One tiepoint and a scale (what GDAL writes): move the ground point,
      // keeping the raster point.
      (*tie)[3] += dx * (*scale)[0];
      (*tie)[4] -= dy * (*scale)[1];
    } else {
      for (std::size_t k = 0; k + 5 < tie->size(); k += 6) (*tie)[k] -= dx, (*tie)[k + 1] -= dy;
    }
  }
  if (auto* m = tag("ModelTransformation"); m && m->size() == 16) {
    (*m)[3] += (*m)[0] * dx + (*m)[1] * dy;
    (*m)[7] += (*m)[4] * dx + (*m)[5] * dy;
    (*m)[11] += (*m)[8] * dx + (*m)[9] * dy;
  }
  return out;
}

Metadata without_grid(const Metadata& in) { return keep(in, false, true); }

std::optional<Resolution> resolution_of(const Metadata& m) {
  const std::vector<double>* x = reals(m, "XResolution");
  const std::vector<double>* y = reals(m, "YResolution");
  const auto it = m.find("ResolutionUnit");
  const auto* unit = it == m.end() ? nullptr : std::get_if<std::vector<std::int64_t>>(&it->second);
  if (!x || !y || !unit || x->empty() || y->empty() || unit->empty() || !((*x)[0] > 0) || !((*y)[0] > 0))
    return std::nullopt;
  return Resolution{(*x)[0], (*y)[0], (*unit)[0]};
}

const std::vector<std::uint8_t>* icc_profile_of(const Metadata& m) {
  const auto it = m.find("ICCProfile");
  const auto* icc = it == m.end() ? nullptr : std::get_if<std::vector<std::uint8_t>>(&it->second);
  return icc && !icc->empty() ? icc : nullptr;
}

Metadata overview_metadata(const Metadata& own, std::int64_t own_height, std::int64_t own_width,
                           const Metadata& main, std::int64_t main_height, std::int64_t main_width) {
  Metadata out = own;
  for (const auto& [name, value] : keep(main, true, false)) out.emplace(name, value);  // its own first
  if (own_height < 1 || own_width < 1) return out;
  const double fx = static_cast<double>(main_width) / static_cast<double>(own_width);
  const double fy = static_cast<double>(main_height) / static_cast<double>(own_height);
  auto tag = [&](const char* name) -> std::vector<double>* {
    if (own.count(name)) return nullptr;  // the overview's own georeferencing stands
    auto it = out.find(name);
    return it == out.end() ? nullptr : std::get_if<std::vector<double>>(&it->second);
  };
  if (auto* scale = tag("ModelPixelScale"); scale && scale->size() >= 2) (*scale)[0] *= fx, (*scale)[1] *= fy;
  if (auto* tie = tag("ModelTiepoint"))
    for (std::size_t k = 0; k + 5 < tie->size(); k += 6) (*tie)[k] /= fx, (*tie)[k + 1] /= fy;
  if (auto* m = tag("ModelTransformation"); m && m->size() == 16)
    for (int r = 0; r < 3; ++r) (*m)[4 * r] *= fx, (*m)[4 * r + 1] *= fy;
  for (const char* resolution : {"XResolution", "YResolution"})
    if (auto* res = tag(resolution); res && !res->empty()) (*res)[0] /= resolution[0] == 'X' ? fx : fy;
  return out;
}

}  // namespace tessera
