#include "io/tiff_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/tiff_common.hpp"
#include "io/tiff_metadata.hpp"

namespace tessera::io {

namespace {

// How the shape lies in pages (tessera/metadata.hpp's rule), checked
// against TIFF's limits.
ImagePlanes geometry_of(const std::string& path, const Shape& s, const SaveOptions& o) {
  if (s.size() < 2 || s.size() > 4)
    throw ValueError(path + ": a TIFF holds 2-D to 4-D images (pages, height, width, samples), not shape " +
                     shape_to_string(s));
  const ImagePlanes g = image_planes(s, o.metadata ? *o.metadata : Metadata{}, o.layout);
  if (g.height > 0xffffffffLL || g.width > 0xffffffffLL || g.samples > 0xffff || g.pages > 0xffff)
    throw ValueError(path + ": shape " + shape_to_string(s) + " is too large for TIFF");
  if (element_count(s) == 0) throw ValueError(path + ": cannot write an empty image (shape " + shape_to_string(s) + ")");
  return g;
}

class TiffSink final : public detail::Sink {
 public:
  TiffSink(const std::string& path, const Shape& shape, DType dtype, const SaveOptions& o)
      : g_(geometry_of(path, shape, o)),
        dtype_(dtype),
        item_(itemsize(dtype)),
        metadata_(o.metadata ? *o.metadata : Metadata{}) {
    codec_ = tiff_codec(path, dtype, o);
    const std::int64_t row_bytes = g_.width * g_.samples * static_cast<std::int64_t>(item_);
    if (o.tile) {
      tile_h_ = o.tile->first;
      tile_w_ = o.tile->second;
      if (tile_h_ <= 0 || tile_w_ <= 0 || tile_h_ % 16 || tile_w_ % 16)
        throw ValueError(path + ": tile sizes must be positive multiples of 16, not (" + std::to_string(tile_h_) +
                         ", " + std::to_string(tile_w_) + ")");
      rows_per_chunk_ = tile_h_;
    } else {
      // Strips of about 256 KiB: big enough to compress well, small enough
      // for a reader's cache.
      rows_per_chunk_ = std::clamp<std::int64_t>((256 << 10) / std::max<std::int64_t>(1, row_bytes), 1, g_.height);
    }
    const double raw = static_cast<double>(element_count(shape)) * static_cast<double>(item_);
    // LZW can grow incompressible data by half; the others by a few percent.
    const double worst = raw * (codec_.compression == COMPRESSION_LZW ? 1.5 : 1.1) + (64 << 20);
    bool big = false;
    if (o.bigtiff == "yes") big = true;
    else if (o.bigtiff == "auto") big = worst >= 4294967295.0;
    else if (o.bigtiff != "no") throw ValueError(path + ": bigtiff must be 'auto', 'yes' or 'no', not '" + o.bigtiff + "'");
    file_ = std::make_unique<AtomicFile>(path);
    tif_ = std::make_unique<TiffHandle>(file_->temp_path(), big ? "w8" : "w", path);
    set_tags();
  }

  ~TiffSink() override { abort(); }

  std::size_t row_axis() const override { return g_.volume ? 1 : 0; }
  std::int64_t row_granularity() const override { return rows_per_chunk_; }

  void write(const Region& band, const View& data) override {
    const std::size_t lead = g_.volume ? 1 : 0;
    const std::int64_t first_page = g_.volume ? band.offset[0] : 0;
    const std::int64_t n_pages = g_.volume ? band.size[0] : 1;
    const std::int64_t r0 = band.offset[lead], rows = band.size[lead];
    const std::int64_t page_bytes = rows * g_.width * g_.samples * static_cast<std::int64_t>(item_);
    for (std::int64_t p = 0; p < n_pages; ++p) {
      const std::int64_t page = first_page + p;
      if (page != page_) next_page(page);
      write_rows(r0, rows, data.data + p * page_bytes);
    }
  }

  void commit() override {
    if (!TIFFFlush(tif_->get())) tif_->fail(write_error("write failed"));
    tif_->close();
    file_->commit();
  }

  void abort() noexcept override {
    if (tif_) {
      tif_.reset();  // closes the handle (errors ignored)
    }
    if (file_) file_->abort();
  }

 private:
  std::string write_error(const std::string& what) const {
    const int err = errno;
    if (err == ENOSPC || err == EFBIG || err == EDQUOT) return what + ": " + std::strerror(err);
    return what;
  }

  void set_tags() {
    TIFF* t = tif_->get();
    set_tiff_image_fields(t, g_.width, g_.height, g_.samples, dtype_, codec_);
    write_tiff_metadata(t, metadata_, g_.samples, dtype_);
    if (tile_h_) {
      TIFFSetField(t, TIFFTAG_TILEWIDTH, static_cast<std::uint32_t>(tile_w_));
      TIFFSetField(t, TIFFTAG_TILELENGTH, static_cast<std::uint32_t>(tile_h_));
    } else {
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, static_cast<std::uint32_t>(rows_per_chunk_));
    }
    if (g_.volume) {
      TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField(t, TIFFTAG_PAGENUMBER, static_cast<std::uint16_t>(page_), static_cast<std::uint16_t>(g_.pages));
    }
    TIFFSetField(t, TIFFTAG_SOFTWARE, "tessera");
  }

  void next_page(std::int64_t page) {
    if (!TIFFWriteDirectory(tif_->get())) tif_->fail(write_error("write failed"));
    page_ = page;
    set_tags();
  }

  void write_rows(std::int64_t r0, std::int64_t rows, const std::byte* data) {
    const std::int64_t row_bytes = g_.width * g_.samples * static_cast<std::int64_t>(item_);
    TIFF* t = tif_->get();
    for (std::int64_t r = 0; r < rows; r += rows_per_chunk_) {
      const std::int64_t n = std::min(rows_per_chunk_, rows - r);
      const std::int64_t y = r0 + r;
      errno = 0;
      if (!tile_h_) {
        const auto strip = static_cast<std::uint32_t>(y / rows_per_chunk_);
        // libtiff may modify the buffer (predictor, byte order): it is the
        // stream's band buffer, which nothing reads again.
        auto* rows_data = const_cast<std::byte*>(data + r * row_bytes);
        if (TIFFWriteEncodedStrip(t, strip, rows_data, static_cast<tmsize_t>(n * row_bytes)) < 0)
          tif_->fail(write_error("write failed at row " + std::to_string(y)));
        continue;
      }
      const std::int64_t pixel = g_.samples * static_cast<std::int64_t>(item_);
      const std::int64_t tile_row = tile_w_ * pixel;
      for (std::int64_t x = 0; x < g_.width; x += tile_w_) {
        const std::int64_t w = std::min(tile_w_, g_.width - x);
        chunk_.assign(static_cast<std::size_t>(tile_h_ * tile_row), std::byte{0});
        for (std::int64_t k = 0; k < n; ++k)
          std::memcpy(chunk_.data() + k * tile_row, data + (r + k) * row_bytes + x * pixel,
                      static_cast<std::size_t>(w * pixel));
        const auto tile = TIFFComputeTile(t, static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y), 0, 0);
        if (TIFFWriteEncodedTile(t, tile, chunk_.data(), static_cast<tmsize_t>(chunk_.size())) < 0)
          tif_->fail(write_error("write failed at row " + std::to_string(y)));
      }
    }
  }

  ImagePlanes g_;
  DType dtype_;
  std::size_t item_;
  Metadata metadata_;
  TiffCodec codec_;
  std::int64_t tile_h_ = 0, tile_w_ = 0, rows_per_chunk_ = 1;
  std::int64_t page_ = 0;
  std::vector<std::byte> chunk_;
  std::unique_ptr<AtomicFile> file_;
  std::unique_ptr<TiffHandle> tif_;
};

}  // namespace

TiffCodec tiff_codec(const std::string& path, DType dtype, const SaveOptions& o) {
  if (is_bool(dtype)) throw TypeError(path + ": TIFF has no boolean samples; save astype('uint8')");
  TiffCodec c;
  const std::string& name = o.compression;
  if (name == "none") c.compression = COMPRESSION_NONE;
  else if (name == "deflate" || name == "zlib") c.compression = COMPRESSION_ADOBE_DEFLATE;
  else if (name == "lzw") c.compression = COMPRESSION_LZW;
  else if (name == "zstd") c.compression = COMPRESSION_ZSTD;
  else if (name == "packbits") c.compression = COMPRESSION_PACKBITS;
  else throw ValueError(path + ": unknown compression '" + name + "' (none, deflate, lzw, zstd, packbits)");
  if (!TIFFIsCODECConfigured(static_cast<std::uint16_t>(c.compression)))
    throw ValueError(path + ": compression '" + name + "' is not available in this libtiff");
  const bool compressed = c.compression != COMPRESSION_NONE && c.compression != COMPRESSION_PACKBITS;
  if (o.predictor == "auto") c.predictor = compressed && !is_float(dtype) ? PREDICTOR_HORIZONTAL : PREDICTOR_NONE;
  else if (o.predictor == "none") c.predictor = PREDICTOR_NONE;
  else if (o.predictor == "horizontal") c.predictor = PREDICTOR_HORIZONTAL;
  else if (o.predictor == "float") c.predictor = PREDICTOR_FLOATINGPOINT;
  else throw ValueError(path + ": unknown predictor '" + o.predictor + "' (auto, none, horizontal, float)");
  if (c.predictor != PREDICTOR_NONE && !compressed)
    throw ValueError(path + ": a predictor needs compression deflate, lzw or zstd");
  if (c.predictor == PREDICTOR_FLOATINGPOINT && !is_float(dtype))
    throw ValueError(path + ": the float predictor needs float32 or float64 samples");
  return c;
}

void set_tiff_image_fields(TIFF* t, std::int64_t width, std::int64_t height, std::int64_t samples, DType dtype,
                           const TiffCodec& codec) {
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(width));
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(height));
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(samples));
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(itemsize(dtype) * 8));
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, static_cast<std::uint16_t>(tiff_sample_format(dtype)));
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, static_cast<std::uint16_t>(codec.compression));
  if (codec.predictor != PREDICTOR_NONE) TIFFSetField(t, TIFFTAG_PREDICTOR, static_cast<std::uint16_t>(codec.predictor));
}

std::unique_ptr<detail::Sink> make_tiff_sink(const std::string& path, const Shape& shape, DType dtype,
                                             const SaveOptions& options) {
  if (options.cog) return make_cog_sink(path, shape, dtype, options);
  return std::make_unique<TiffSink>(path, shape, dtype, options);
}

}  // namespace tessera::io
