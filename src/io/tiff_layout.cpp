#include "io/tiff_layout.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/tiff_metadata.hpp"

namespace tessera::io {

namespace {

// How far a codec can expand its bytes at most (with a little slack for
// headers): deflate 1032:1, LZW's 12-bit codes 4096 bytes per 1.5 bytes,
// PackBits 128 bytes per 2. 0: no bound known (zstd, LZMA...): the cap alone.
double max_expansion(unsigned compression) {
  switch (compression) {
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return 1032.0;
    case COMPRESSION_LZW: return 2731.0;
    case COMPRESSION_PACKBITS: return 64.0;
    default: return 0.0;
  }
}

}  // namespace

void check_chunk_sizes(TiffHandle& h, const PageLayout& L, int page) {
  const std::int64_t item = static_cast<std::int64_t>(itemsize(L.dtype));
  const std::int64_t n = static_cast<std::int64_t>(L.offsets.size());
  for (std::int64_t k = 0; k < n; ++k) {
    // The chunk's real extent: the last strip holds only the rows left.
    const std::int64_t row = (k % (L.across * L.down)) / L.across * L.chunk_h;
    const std::int64_t rows = L.tiled ? L.chunk_h : std::min(L.chunk_h, L.height - row);
    std::int64_t decoded = 0;
    const bool overflow = __builtin_mul_overflow(rows, L.chunk_w, &decoded) ||
                          __builtin_mul_overflow(decoded, L.chunk_samples() * item, &decoded);
    const std::string what = std::string(L.tiled ? "tile " : "strip ") + std::to_string(k) + " of " + page_name(page);
    if (overflow || decoded > kMaxChunkBytes)
      io_fail(h.path(), "unsupported layout: " + what + " decodes to " +
                            (overflow ? std::string("more than 2^63") : std::to_string(decoded)) +
                            " bytes; tessera decodes at most " + std::to_string(kMaxChunkBytes >> 20) +
                            " MiB per strip or tile");
    const double ratio = max_expansion(L.compression);
    if (L.compression == COMPRESSION_NONE || ratio == 0.0 || L.bytecounts[k] == 0) continue;
    // What the codec itself produces: packed rows for packed samples.
    const std::int64_t stored = L.packed() ? rows * L.stored_row_bytes() : decoded;
    if (static_cast<double>(stored) > ratio * static_cast<double>(L.bytecounts[k]) + 65536.0)
      io_fail(h.path(), "corrupt file: " + what + " claims " + std::to_string(stored) + " bytes decoded from " +
                            std::to_string(L.bytecounts[k]) + " bytes of " + compression_name(L.compression) +
                            ", more than it can expand");
  }
}

std::string page_name(int p) { return "page " + std::to_string(p); }

PageLayout read_layout(TiffHandle& h, int page, std::uint64_t file_size) {
  TIFF* t = h.get();
  PageLayout L;
  std::uint32_t w = 0, hgt = 0;
  std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG, comp = COMPRESSION_NONE,
                photometric = PHOTOMETRIC_MINISBLACK;
  if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &hgt))
    h.fail("corrupt header: " + page_name(page) + " has no image size");
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &comp);
  TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric);
  std::uint16_t fill_order = FILLORDER_MSB2LSB;
  TIFFGetFieldDefaulted(t, TIFFTAG_FILLORDER, &fill_order);
  L.height = hgt;
  L.width = w;
  L.samples = spp;
  L.dtype = tiff_dtype(h.path(), bits, format);
  L.bits = bits;
  L.planar = planar == PLANARCONFIG_SEPARATE && spp > 1;
  L.compression = comp;
  L.photometric = photometric;
  L.fill_order = fill_order;
  if (spp == 0) h.fail("corrupt header: " + page_name(page) + " has 0 samples per pixel");
  if (comp == COMPRESSION_JPEG || comp == COMPRESSION_OJPEG || photometric == PHOTOMETRIC_YCBCR)
    io_fail(h.path(), "unsupported layout: JPEG/YCbCr (lossy) TIFFs are not read by tessera");
  if (!TIFFIsCODECConfigured(comp))
    io_fail(h.path(), "unsupported layout: " + compression_name(comp) + " is not available in this libtiff");
  L.tiled = TIFFIsTiled(t);
  if (L.tiled) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
    if (tw == 0 || th == 0) h.fail("corrupt header: " + page_name(page) + " has a zero tile size");
    L.chunk_h = th;
    L.chunk_w = tw;
    L.across = (L.width + tw - 1) / tw;
    L.down = (L.height + th - 1) / th;
  } else {
    std::uint32_t rps = 0;
    TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
    L.chunk_h = std::clamp<std::int64_t>(rps, 1, std::max<std::int64_t>(1, L.height));
    L.chunk_w = L.width;
    L.down = (L.height + L.chunk_h - 1) / L.chunk_h;
  }
  const std::int64_t n = L.across * L.down * L.planes();
  const std::int64_t present = L.tiled ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t);
  if (present < n)
    h.fail("corrupt header: " + page_name(page) + " has " + std::to_string(present) + " of its " +
           std::to_string(n) + (L.tiled ? " tiles" : " strips"));
  L.offsets.resize(static_cast<std::size_t>(n));
  L.bytecounts.resize(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    int err = 0;
    L.offsets[k] = TIFFGetStrileOffsetWithErr(t, static_cast<std::uint32_t>(k), &err);
    L.bytecounts[k] = TIFFGetStrileByteCountWithErr(t, static_cast<std::uint32_t>(k), &err);
    if (err) h.fail("corrupt header: the offsets of " + page_name(page) + " cannot be read");
    if (L.offsets[k] + L.bytecounts[k] > file_size)
      io_fail(h.path(), "truncated file: " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(k) + " of " +
                            page_name(page) + " ends at byte " + std::to_string(L.offsets[k] + L.bytecounts[k]) +
                            ", past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  check_chunk_sizes(h, L, page);
  // GDAL_NODATA (registered in tiff_common.cpp), as GDAL writes it: text.
  const char* nodata = nullptr;
  if (TIFFGetField(t, kGdalNoDataTag, &nodata) && nodata) {
    char* end = nullptr;
    const double v = std::strtod(nodata, &end);
    if (end != nodata) L.sparse_fill = v;
  }
  if (L.compression == COMPRESSION_NONE) {
    // An uncompressed chunk must hold all its rows (the last strip: the rest).
    for (std::int64_t k = 0; k < n; ++k) {
      if (L.absent(k)) continue;
      const std::int64_t row = (k % (L.across * L.down)) / L.across * L.chunk_h;
      const std::int64_t rows = L.tiled ? L.chunk_h : std::min(L.chunk_h, L.height - row);
      const std::int64_t need = rows * L.stored_row_bytes();
      if (static_cast<std::int64_t>(L.bytecounts[k]) < need)
        io_fail(h.path(), "corrupt file: " + std::string(L.tiled ? "tile " : "strip ") + std::to_string(k) + " of " +
                              page_name(page) + " holds " + std::to_string(L.bytecounts[k]) + " bytes, not " +
                              std::to_string(need));
    }
  }
  return L;
}

Opened read_file(const std::string& path, int page) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) io_fail(path, errno == ENOENT ? "no such file" : std::strerror(errno));
  if (S_ISDIR(st.st_mode)) io_fail(path, "is a directory");
  TiffHandle h(path, "rm");
  Opened o;
  o.n_pages = TIFFNumberOfDirectories(h.get());
  o.swapped = TIFFIsByteSwapped(h.get());
  o.bigtiff = TIFFIsBigTIFF(h.get());
  if (o.n_pages < 1) io_fail(path, "corrupt header: no image directory");
  if (page >= o.n_pages)
    throw ValueError(path + ": page " + std::to_string(page) + " does not exist (the file has " +
                     std::to_string(o.n_pages) + (o.n_pages == 1 ? " page)" : " pages)"));
  // The leading pages that are images of their own, not overviews or masks.
  o.n_main = o.n_pages;
  for (int p = 1; p < o.n_pages; ++p) {
    h.set_page(p);
    std::uint32_t kind = 0;
    TIFFGetFieldDefaulted(h.get(), TIFFTAG_SUBFILETYPE, &kind);
    if (kind & (FILETYPE_REDUCEDIMAGE | FILETYPE_MASK)) {
      o.n_main = p;
      break;
    }
  }
  const int first = page < 0 ? 0 : page, last = page < 0 ? o.n_main : page + 1;
  h.set_page(first);
  o.metadata = read_tiff_metadata(h);
  for (int p = first; p < last; ++p) {
    h.set_page(p);
    o.pages.push_back(read_layout(h, p, static_cast<std::uint64_t>(st.st_size)));
    if (!o.pages.back().same_image(o.pages.front()))
      io_fail(path, "page " + std::to_string(p) + " differs from page 0 in size, samples or type; open one page with page=");
  }
  return o;
}

Shape shape_of(const PageLayout& L, std::size_t pages, bool volume) {
  Shape s;
  if (volume) s.push_back(static_cast<std::int64_t>(pages));
  s.push_back(L.height);
  s.push_back(L.width);
  if (L.samples > 1) s.push_back(L.samples);
  return s;
}

}  // namespace tessera::io
