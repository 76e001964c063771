// A Cloud-Optimised GeoTIFF, in GDAL's layout (its validator,
// validate_cloud_optimized_geotiff.py, accepts it): every IFD at the start
// of the file, the full resolution's first (at offset 8, or 16 in BigTIFF),
// then the overviews' (NewSubfileType 1) from the largest; then the tiles,
// the smallest overview's first and the full resolution's last, each level's
// in row-major order. A reader fetches the header and the overview it wants
// in a few ranged reads.
//
// Streamed in bounded memory: the bands arriving from the engine go to a
// tiled temporary file (a TiffSink); each overview is made from the level
// above it, two tile rows at a time, into a temporary file of its own; then
// the final file's IFDs are written with their tile arrays deferred
// (libtiff's TIFFDeferStrileArrayWriting, as GDAL's COG driver does), and
// every level's compressed tiles copied in, raw, smallest level first. The
// temporaries sit beside the output and are removed whatever happens.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <optional>
#include <cstring>
#include <limits>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/tiff_metadata.hpp"
#include "io/tiff_sink.hpp"
#include "tessera/error.hpp"
#include "tessera/metadata.hpp"

namespace tessera::io {

namespace {

// Temporary files removed when this goes away.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const auto& p : paths) ::unlink(p.c_str());
  }
};

struct Level {
  std::string path;
  std::int64_t height, width;
};

// Level k + 1 from level k: each output pixel from the 2x2 block above it
// (fewer at an odd edge). "average": the mean of the block's values that are
// neither NaN nor the nodata value, rounded to nearest for integers (none
// left: nodata, else NaN or 0); "nearest": the block's top-left value.
template <typename T>
void downsample(const T* in, std::int64_t in_rows, std::int64_t in_width, T* out, std::int64_t out_rows,
                std::int64_t out_width, std::int64_t samples, bool average, std::optional<double> nodata) {
  for (std::int64_t y = 0; y < out_rows; ++y)
    for (std::int64_t x = 0; x < out_width; ++x)
      for (std::int64_t c = 0; c < samples; ++c) {
        T& o = out[(y * out_width + x) * samples + c];
        if (!average) {
          o = in[(2 * y * in_width + 2 * x) * samples + c];
          continue;
        }
        double sum = 0;
        int count = 0;
        for (std::int64_t dy = 0; dy < 2 && 2 * y + dy < in_rows; ++dy)
          for (std::int64_t dx = 0; dx < 2 && 2 * x + dx < in_width; ++dx) {
            const T v = in[((2 * y + dy) * in_width + 2 * x + dx) * samples + c];
            if constexpr (std::is_floating_point_v<T>)
              if (v != v) continue;
            if (nodata && static_cast<double>(v) == *nodata) continue;
            sum += static_cast<double>(v);
            ++count;
          }
        if (count == 0) {
          if (nodata) o = static_cast<T>(*nodata);
          else if constexpr (std::is_floating_point_v<T>) o = std::numeric_limits<T>::quiet_NaN();
          else o = T{0};
        } else if constexpr (std::is_floating_point_v<T>) {
          o = static_cast<T>(sum / count);
        } else {
          o = static_cast<T>(std::floor(sum / count + 0.5));
        }
      }
}

std::optional<double> nodata_of(const Metadata& m) {
  const auto it = m.find("GDAL_NODATA");
  if (it == m.end()) return std::nullopt;
  const auto* s = std::get_if<std::string>(&it->second);
  if (!s) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s->c_str(), &end);
  if (end == s->c_str()) return std::nullopt;
  return v;
}

class CogSink final : public detail::Sink {
 public:
  CogSink(const std::string& path, const Shape& shape, DType dtype, const SaveOptions& o)
      : path_(path), dtype_(dtype), options_(o), metadata_(o.metadata ? *o.metadata : Metadata{}) {
    planes_ = image_planes(shape, metadata_, o.layout);
    samples_axis_ = shape.size() == 3;
    if (planes_.volume || shape.size() > 3)
      throw ValueError(path + ": a COG is one image, (height, width) or (height, width, samples), not shape " +
                       shape_to_string(shape) + " as pages");
    codec_ = tiff_codec(path, dtype, o);
    if (o.overview_resampling != "average" && o.overview_resampling != "nearest")
      throw ValueError(path + ": overview_resampling must be 'average' or 'nearest', not '" + o.overview_resampling +
                       "'");
    // A palette's indices are not averaged.
    const SampleTags tags = sample_tags(metadata_, planes_.samples, dtype);
    average_ = o.overview_resampling == "average" && tags.photometric != PHOTOMETRIC_PALETTE;
    if (!o.tile) options_.tile = std::make_pair(std::int64_t{512}, std::int64_t{512});
    tile_h_ = options_.tile->first;
    tile_w_ = options_.tile->second;
    file_ = std::make_unique<AtomicFile>(path);
    // The full resolution, tiled, into a temporary (no tags: the final file's are written there).
    SaveOptions level = level_options();
    levels_.push_back({file_->temp_path() + ".level0.tif", planes_.height, planes_.width});
    temps_.paths.push_back(levels_[0].path);
    level0_ = make_tiff_sink(levels_[0].path, shape, dtype, level);
  }
  ~CogSink() override { abort(); }

  std::size_t row_axis() const override { return 0; }
  std::int64_t row_granularity() const override { return tile_h_; }
  void write(const Region& band, const View& data) override { level0_->write(band, data); }

  void commit() override {
    level0_->commit();
    level0_.reset();
    // Overviews until one tile holds the smallest (GDAL's rule).
    while (levels_.back().height > tile_h_ || levels_.back().width > tile_w_) make_overview();
    assemble();
    file_->commit();
  }

  void abort() noexcept override {
    if (level0_) level0_->abort();
    level0_.reset();
    if (file_) file_->abort();
  }

 private:
  std::int64_t pixel_bytes() const { return planes_.samples * static_cast<std::int64_t>(itemsize(dtype_)); }

  // The next level down, from the last, two input tile rows per output tile row.
  void make_overview() {
    const Level& in = levels_.back();
    Level out{file_->temp_path() + ".level" + std::to_string(levels_.size()) + ".tif", (in.height + 1) / 2,
              (in.width + 1) / 2};
    temps_.paths.push_back(out.path);
    TiffHandle src(in.path, "r", path_);
    const Shape out_shape = samples_axis_ ? Shape{out.height, out.width, planes_.samples} : Shape{out.height, out.width};
    auto sink = make_tiff_sink(out.path, out_shape, dtype_, level_options());
    const std::int64_t px = pixel_bytes();
    std::vector<std::byte> rows(static_cast<std::size_t>(2 * tile_h_ * in.width * px));
    std::vector<std::byte> tile(static_cast<std::size_t>(tile_h_ * tile_w_ * px));
    std::vector<std::byte> band(static_cast<std::size_t>(tile_h_ * out.width * px));
    const std::optional<double> nodata = nodata_of(metadata_);
    try {
      for (std::int64_t oy = 0; oy < out.height; oy += tile_h_) {
        const std::int64_t out_rows = std::min(tile_h_, out.height - oy);
        const std::int64_t iy = 2 * oy, in_rows = std::min(2 * tile_h_, in.height - iy);
        // The input rows: whole tiles of the two tile rows, cut to the image.
        for (std::int64_t ty = iy; ty < iy + in_rows; ty += tile_h_)
          for (std::int64_t tx = 0; tx < in.width; tx += tile_w_) {
            const auto index = TIFFComputeTile(src.get(), static_cast<std::uint32_t>(tx), static_cast<std::uint32_t>(ty), 0, 0);
            if (TIFFReadEncodedTile(src.get(), index, tile.data(), static_cast<tmsize_t>(tile.size())) < 0)
              src.fail("cannot read back a tile of level " + std::to_string(levels_.size() - 1));
            const std::int64_t w = std::min(tile_w_, in.width - tx), h = std::min(tile_h_, iy + in_rows - ty);
            for (std::int64_t r = 0; r < h; ++r)
              std::memcpy(rows.data() + ((ty - iy + r) * in.width + tx) * px, tile.data() + r * tile_w_ * px,
                          static_cast<std::size_t>(w * px));
          }
        dispatch(dtype_, [&](auto t) {
          using T = typename decltype(t)::type;
          if constexpr (!std::is_same_v<T, bool>)
            downsample(reinterpret_cast<const T*>(rows.data()), in_rows, in.width, reinterpret_cast<T*>(band.data()),
                       out_rows, out.width, planes_.samples, average_, nodata);
        });
        Shape offset(out_shape.size(), 0), size = out_shape;
        offset[0] = oy;
        size[0] = out_rows;
        View v{band.data(), dtype_, size, c_strides(size, itemsize(dtype_)), nullptr};
        sink->write(Region{offset, size}, v);
      }
      sink->commit();
    } catch (...) {
      sink->abort();
      throw;
    }
    levels_.push_back(out);
  }

  // A temporary level: tiled and encoded as the final file, without tags.
  SaveOptions level_options() const {
    SaveOptions level = options_;
    level.cog = false;
    level.metadata = Metadata{};
    level.bigtiff = "auto";
    level.layout = samples_axis_ ? "samples" : "auto";
    level.threads = 0;
    level.progress = nullptr;
    return level;
  }

  // The final file: every IFD, then every level's tiles, smallest first.
  void assemble() {
    double raw = 0;
    for (const Level& l : levels_) raw += static_cast<double>(l.height * l.width * pixel_bytes());
    bool big = options_.bigtiff == "yes";
    if (options_.bigtiff == "auto")
      big = raw * (codec_.compression == COMPRESSION_LZW ? 1.5 : 1.1) + (64 << 20) >= 4294967295.0;
    else if (options_.bigtiff != "yes" && options_.bigtiff != "no")
      throw ValueError(path_ + ": bigtiff must be 'auto', 'yes' or 'no', not '" + options_.bigtiff + "'");
    TiffHandle out(file_->temp_path(), big ? "w8" : "w", path_);
    TIFF* t = out.get();
    // The overviews' tags: how their samples read, nothing of the grid.
    Metadata samples_only;
    for (const char* tag : {"Photometric", "ExtraSamples", "ColorMap"})
      if (const auto it = metadata_.find(tag); it != metadata_.end()) samples_only.insert(*it);
    for (std::size_t k = 0; k < levels_.size(); ++k) {
      set_tiff_image_fields(t, levels_[k].width, levels_[k].height, planes_.samples, dtype_, codec_);
      TIFFSetField(t, TIFFTAG_TILEWIDTH, static_cast<std::uint32_t>(tile_w_));
      TIFFSetField(t, TIFFTAG_TILELENGTH, static_cast<std::uint32_t>(tile_h_));
      if (k > 0) TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
      write_tiff_metadata(t, k == 0 ? metadata_ : samples_only, planes_.samples, dtype_);
      if (k == 0) TIFFSetField(t, TIFFTAG_SOFTWARE, "tessera");
      if (!TIFFDeferStrileArrayWriting(t) || !TIFFWriteCheck(t, 1, "cog") || !TIFFWriteDirectory(t))
        out.fail("cannot write the directories");
    }
    std::vector<std::uint8_t> chunk;
    for (std::size_t k = levels_.size(); k-- > 0;) {
      if (!TIFFSetDirectory(t, static_cast<tdir_t>(k))) out.fail("cannot return to directory " + std::to_string(k));
      TiffHandle src(levels_[k].path, "r", path_);
      const std::uint32_t tiles = TIFFNumberOfTiles(src.get());
      for (std::uint32_t i = 0; i < tiles; ++i) {
        const std::uint64_t n = TIFFGetStrileByteCount(src.get(), i);
        chunk.resize(static_cast<std::size_t>(n));
        if (n && TIFFReadRawTile(src.get(), i, chunk.data(), static_cast<tmsize_t>(n)) != static_cast<tmsize_t>(n))
          src.fail("cannot read back a tile of level " + std::to_string(k));
        errno = 0;
        if (TIFFWriteRawTile(t, i, chunk.data(), static_cast<tmsize_t>(n)) != static_cast<tmsize_t>(n))
          out.fail(errno == ENOSPC ? std::string("write failed: ") + std::strerror(errno) : "write failed");
      }
      if (!TIFFForceStrileArrayWriting(t)) out.fail("cannot write the tile arrays");
    }
    out.close();
  }

  std::string path_;
  DType dtype_;
  SaveOptions options_;
  Metadata metadata_;
  ImagePlanes planes_;
  bool samples_axis_ = false;
  TiffCodec codec_;
  bool average_ = true;
  std::int64_t tile_h_ = 512, tile_w_ = 512;
  std::unique_ptr<AtomicFile> file_;
  TempFiles temps_;  // after file_: removed before the final file is renamed or dropped
  std::vector<Level> levels_;
  std::unique_ptr<detail::Sink> level0_;
};

}  // namespace

std::unique_ptr<detail::Sink> make_cog_sink(const std::string& path, const Shape& shape, DType dtype,
                                            const SaveOptions& options) {
  return std::make_unique<CogSink>(path, shape, dtype, options);
}

}  // namespace tessera::io
