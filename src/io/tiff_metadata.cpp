#include "io/tiff_metadata.hpp"

#include <cstring>
#include <string>

namespace tessera::io {

namespace {
using Kind = MetaTag::Kind;

const std::vector<std::int64_t>* integers(const Metadata& m, const char* name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : std::get_if<std::vector<std::int64_t>>(&it->second);
}

bool structural_description(const std::string& text) {
  return text.rfind("{\"shape\":", 0) == 0 || text.rfind("ImageJ=", 0) == 0 || text.rfind("shape=(", 0) == 0;
}

// One tag of the current page, if present.
bool read_tag(TIFF* t, const MetaTag& tag, int bits, MetaValue& out) {
  switch (tag.tag) {
    case TIFFTAG_PHOTOMETRIC:
    case TIFFTAG_ORIENTATION:
    case TIFFTAG_RESOLUTIONUNIT:
    case TIFFTAG_SAMPLESPERPIXEL: {
      std::uint16_t v = 0;
      if (!TIFFGetField(t, tag.tag, &v)) return false;
      out = std::vector<std::int64_t>{v};
      return true;
    }
    case TIFFTAG_XRESOLUTION:
    case TIFFTAG_YRESOLUTION: {
      float v = 0;
      if (!TIFFGetField(t, tag.tag, &v)) return false;
      out = std::vector<double>{v};
      return true;
    }
    case TIFFTAG_COLORMAP: {
      std::uint16_t *r = nullptr, *g = nullptr, *b = nullptr;
      if (bits > 16 || !TIFFGetField(t, tag.tag, &r, &g, &b) || !r || !g || !b) return false;
      // Padded to the unpacked dtype's range: a 4-bit palette image reads
      // as uint8 indices, saved with a 256-entry map.
      const std::size_t n = std::size_t{1} << bits, full = std::size_t{1} << (bits <= 8 ? 8 : 16);
      std::vector<std::int64_t> v;
      v.reserve(3 * full);
      for (const std::uint16_t* c : {r, g, b}) {
        v.insert(v.end(), c, c + n);
        v.insert(v.end(), full - n, 0);
      }
      out = std::move(v);
      return true;
    }
    case TIFFTAG_EXTRASAMPLES: {
      std::uint16_t n = 0;
      std::uint16_t* v = nullptr;
      if (!TIFFGetField(t, tag.tag, &n, &v) || !v || n == 0) return false;
      out = std::vector<std::int64_t>(v, v + n);
      return true;
    }
    case TIFFTAG_ICCPROFILE: {
      std::uint32_t n = 0;
      const void* v = nullptr;
      if (!TIFFGetField(t, tag.tag, &n, &v) || !v || n == 0) return false;
      const auto* p = static_cast<const std::uint8_t*>(v);
      out = std::vector<std::uint8_t>(p, p + n);
      return true;
    }
    default: break;
  }
  // ASCII tags, and GeoTIFF's arrays (registered in tiff_common.cpp).
  if (tag.kind == Kind::Text) {
    const char* v = nullptr;
    if (!TIFFGetField(t, tag.tag, &v) || !v) return false;
    out = std::string(v);
    return true;
  }
  std::uint16_t n = 0;
  const void* v = nullptr;
  if (!TIFFGetField(t, tag.tag, &n, &v) || !v || n == 0) return false;
  if (tag.kind == Kind::Reals) {
    const auto* d = static_cast<const double*>(v);
    out = std::vector<double>(d, d + n);
  } else {
    const auto* s = static_cast<const std::uint16_t*>(v);
    out = std::vector<std::int64_t>(s, s + n);
  }
  return true;
}

bool valid_photometric(unsigned p, std::int64_t samples, DType dtype, const Metadata& m, int& colour) {
  switch (p) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE: colour = 1; return true;
    case PHOTOMETRIC_RGB:
    case PHOTOMETRIC_CIELAB:
    case PHOTOMETRIC_ICCLAB:
    case PHOTOMETRIC_ITULAB: colour = 3; return samples >= 3;
    case PHOTOMETRIC_SEPARATED: colour = 4; return samples >= 4;
    case PHOTOMETRIC_PALETTE: {
      colour = 1;
      const auto* map = integers(m, "ColorMap");
      return samples == 1 && (dtype == DType::UInt8 || dtype == DType::UInt16) && map &&
             map->size() == std::size_t{3} << (8 * itemsize(dtype));
    }
    default: return false;  // YCbCr and others: tessera's pixels are not stored so
  }
}
}  // namespace

Metadata read_tiff_metadata(TiffHandle& h) {
  TIFF* t = h.get();
  std::uint16_t bits = 8;
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  Metadata m;
  for (const MetaTag& tag : metadata_tags()) {
    MetaValue v;
    if (!read_tag(t, tag, bits, v)) continue;
    if (tag.tag == TIFFTAG_IMAGEDESCRIPTION && structural_description(std::get<std::string>(v))) continue;
    m.emplace(std::string(tag.name), std::move(v));
  }
  h.clear_error();  // a malformed optional tag is skipped, not an error
  return m;
}

SampleTags sample_tags(const Metadata& m, std::int64_t samples, DType dtype) {
  SampleTags s;
  int colour = 1;
  const auto* p = integers(m, "Photometric");
  if (p && p->size() == 1 && valid_photometric(static_cast<unsigned>((*p)[0]), samples, dtype, m, colour)) {
    s.photometric = static_cast<std::uint16_t>((*p)[0]);
    if (s.photometric == PHOTOMETRIC_PALETTE)
      for (std::int64_t v : *integers(m, "ColorMap")) s.colormap.push_back(static_cast<std::uint16_t>(v));
    const auto* extra = integers(m, "ExtraSamples");
    if (samples > colour) {
      if (extra && static_cast<std::int64_t>(extra->size()) == samples - colour)
        for (std::int64_t v : *extra) s.extra.push_back(static_cast<std::uint16_t>(v));
      else
        s.extra.assign(static_cast<std::size_t>(samples - colour), EXTRASAMPLE_UNSPECIFIED);
    }
    return s;
  }
  // No file's word on it, tifffile's rule: 3 samples RGB, 4 RGB and alpha
  // (as libvips writes RGBA too); any other count grey and unspecified
  // bands (a VV/VH pair, a 5-band scene: no band is taken for alpha).
  const bool rgb = samples == 3 || samples == 4;
  s.photometric = rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  colour = rgb ? 3 : 1;
  if (samples > colour) {
    s.extra.assign(static_cast<std::size_t>(samples - colour), EXTRASAMPLE_UNSPECIFIED);
    if (rgb) s.extra[0] = EXTRASAMPLE_UNASSALPHA;
  }
  return s;
}

void write_tiff_metadata(TIFF* t, const Metadata& m, std::int64_t samples, DType dtype) {
  const SampleTags s = sample_tags(m, samples, dtype);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s.photometric);
  if (!s.extra.empty()) TIFFSetField(t, TIFFTAG_EXTRASAMPLES, static_cast<std::uint16_t>(s.extra.size()), s.extra.data());
  if (!s.colormap.empty()) {
    const std::size_t n = s.colormap.size() / 3;
    TIFFSetField(t, TIFFTAG_COLORMAP, s.colormap.data(), s.colormap.data() + n, s.colormap.data() + 2 * n);
  }
  for (const auto& [name, value] : m) {
    const MetaTag* tag = metadata_tag(name);
    if (!tag) continue;
    switch (tag->tag) {
      case TIFFTAG_PHOTOMETRIC:
      case TIFFTAG_EXTRASAMPLES:
      case TIFFTAG_COLORMAP:
      case TIFFTAG_SAMPLESPERPIXEL: continue;  // above, and the sink's own
      case TIFFTAG_ORIENTATION:
      case TIFFTAG_RESOLUTIONUNIT:
        if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value); v && v->size() == 1)
          TIFFSetField(t, tag->tag, static_cast<std::uint16_t>((*v)[0]));
        continue;
      case TIFFTAG_XRESOLUTION:
      case TIFFTAG_YRESOLUTION:
        if (const auto* v = std::get_if<std::vector<double>>(&value); v && v->size() == 1)
          TIFFSetField(t, tag->tag, (*v)[0]);
        continue;
      case TIFFTAG_ICCPROFILE:
        if (const auto* v = std::get_if<std::vector<std::uint8_t>>(&value); v && !v->empty())
          TIFFSetField(t, tag->tag, static_cast<std::uint32_t>(v->size()), v->data());
        continue;
      default: break;
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
      if (tag->kind == Kind::Text) TIFFSetField(t, tag->tag, text->c_str());
    } else if (const auto* reals = std::get_if<std::vector<double>>(&value)) {
      if (tag->kind == Kind::Reals && !reals->empty() && reals->size() < 65536)
        TIFFSetField(t, tag->tag, static_cast<int>(reals->size()), reals->data());
    } else if (const auto* ints = std::get_if<std::vector<std::int64_t>>(&value)) {
      if (tag->kind == Kind::Integers && !ints->empty() && ints->size() < 65536) {
        std::vector<std::uint16_t> shorts(ints->begin(), ints->end());
        TIFFSetField(t, tag->tag, static_cast<int>(shorts.size()), shorts.data());
      }
    }
  }
}

}  // namespace tessera::io
